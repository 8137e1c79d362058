"""Checks of `[[prefetch]]`: a known tool that runs without a person, and args that fit it."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, UnknownType
from referencing.exceptions import Unresolvable

from agentgen.ir import is_nullable
from agentgen.spec.hints import did_you_mean
from agentgen.spec.model import PrefetchEntry, Spec, ToolSection
from agentgen.validate._positions import Path
from agentgen.validate._problems import Problem


def check_prefetch(spec: Spec) -> list[Problem]:
    """AG054 to AG057 for each prefetch entry that could not run before the first step."""
    problems: list[Problem] = []
    for index, entry in enumerate(spec.prefetch):
        problems += _entry(spec, entry, ("prefetch", index))
    return problems


def _entry(spec: Spec, entry: PrefetchEntry, path: Path) -> list[Problem]:
    tool = spec.tools.get(entry.tool)
    if tool is None:
        known = sorted(spec.tools)
        hint = did_you_mean(entry.tool, known) or f"one of: {', '.join(known) or '(no tools)'}"
        message = f"prefetch names '{entry.tool}', which is not one of the spec's tools"
        return [Problem((*path, "tool"), "AG054", message, hint)]
    refusal = _why_not_before_the_model(tool)
    if refusal is not None:
        message = f"'{entry.tool}' cannot be prefetched: {refusal}"
        hint = "prefetch only tools that run on their own, without a person or a child thread"
        return [Problem((*path, "tool"), "AG055", message, hint)]
    return _from_vars(spec, entry, tool, path) + _args(spec, entry, tool, path)


def _why_not_before_the_model(tool: ToolSection) -> str | None:
    if tool.approval != "never":
        return "it waits for a person's approval"
    if tool.terminal:
        return "it ends the thread"
    if tool.agent is not None:
        return "it runs a sub-agent"
    return None


def _from_vars(spec: Spec, entry: PrefetchEntry, tool: ToolSection, path: Path) -> list[Problem]:
    """Each param named is the tool's, given once, and each var is declared."""
    problems = []
    for param, var in entry.from_vars.items():
        where = (*path, "from_vars", param)
        if param not in tool.params:
            hint = did_you_mean(param, tool.params) or f"its params: {', '.join(tool.params)}"
            message = f"'{entry.tool}' has no param '{param}'"
            problems.append(Problem(where, "AG056", message, hint, at="key"))
        elif param in entry.args:
            message = f"'{param}' is given twice: in args and in from_vars"
            problems.append(Problem(where, "AG056", message, "keep one of them", at="key"))
        elif var not in spec.prompts.vars:
            hint = did_you_mean(var, spec.prompts.vars) or "declare it under [prompts.vars]"
            message = f"from_vars takes '{param}' from '{var}', which is not a prompt var"
            problems.append(Problem(where, "AG056", message, hint))
    return problems


def _args(spec: Spec, entry: PrefetchEntry, tool: ToolSection, path: Path) -> list[Problem]:
    """The fixed args against the tool's params (those from vars are checked at launch)."""
    schema = _params_schema(spec, tool, given_later=set(entry.from_vars))
    try:
        Draft202012Validator.check_schema(schema)
        errors = sorted(Draft202012Validator(schema).iter_errors(entry.args), key=str)
    except (SchemaError, UnknownType, Unresolvable):  # a broken param: reported where it is
        return []
    problems = []
    for error in errors:
        where = (*path, "args", *error.absolute_path)
        message = f"prefetch args of '{entry.tool}': {error.message}"
        problems.append(Problem(where, "AG057", message, "give args that fit the tool's params"))
    return problems


def _params_schema(spec: Spec, tool: ToolSection, given_later: set[str]) -> dict[str, Any]:
    required = [
        name
        for name, param in tool.params.items()
        if "default" not in param and name not in given_later and not is_nullable(param)
    ]
    return {
        "type": "object",
        "properties": tool.params,
        "required": required,
        "additionalProperties": False,
        "$defs": spec.types,
    }
