"""Check the Jinja2 prompt templates: syntax, and that every variable is declared."""

from __future__ import annotations

import re
from collections.abc import Collection

import jinja2
from jinja2 import meta

from agentgen.spec.hints import did_you_mean
from agentgen.validate._positions import Path, PositionMap, position_in_string
from agentgen.validate._problems import Problem

_ENVIRONMENT = jinja2.Environment(autoescape=False)


def check_template(
    value: str, path: Path, declared: Collection[str], source: str, positions: PositionMap
) -> list[Problem]:
    """Syntax errors and undeclared variables, each at its place in the file."""

    def pinned(offset: int, code: str, message: str, hint: str | None = None) -> Problem:
        where = position_in_string(source, positions, path, value, offset)
        return Problem(path, code, message, hint, pinned=where)

    try:
        tree = _ENVIRONMENT.parse(value)
    except jinja2.TemplateSyntaxError as error:
        return [
            pinned(
                _line_offset(value, error.lineno),
                "AG040",
                f"invalid template: {_lower(error.message or 'syntax error')}",
            )
        ]
    except RecursionError:
        return [Problem(path, "AG040", "invalid template: it is nested too deeply")]
    problems = []
    for name in sorted(meta.find_undeclared_variables(tree) - set(declared)):
        match = re.search(rf"\b{re.escape(name)}\b", value)
        hint = did_you_mean(name, declared) or f'declare it under [prompts.vars]: {name} = "string"'
        message = f"undeclared template variable '{name}'"
        problems.append(pinned(match.start() if match else 0, "AG041", message, hint))
    return problems


def uses_variable(value: str, name: str) -> bool:
    """Whether a template reads a variable (an unparsable one is reported elsewhere)."""
    try:
        return name in meta.find_undeclared_variables(_ENVIRONMENT.parse(value))
    except (jinja2.TemplateSyntaxError, RecursionError):
        return True


def _line_offset(value: str, lineno: int) -> int:
    """Offset of the first character of a 1-based line of the template."""
    offset = 0
    for _ in range(max(lineno, 1) - 1):
        found = value.find("\n", offset)
        if found < 0:
            break
        offset = found + 1
    return offset


def _lower(message: str) -> str:
    return message[:1].lower() + message[1:]
