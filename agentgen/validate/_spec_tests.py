"""Checks of `[[tests]]`: names, tools, intents, matchers and states a case can really meet.

Scripted `steps` are not checked: they stand for what a model says, mistakes included, and a
case may script an unknown intent on purpose to test the error path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from agentgen.spec.hints import did_you_mean
from agentgen.spec.model import CallExpectation, CaseSection, Spec
from agentgen.validate._positions import Path
from agentgen.validate._problems import Problem

MATCHER_KEYS = ("equals", "regex", "one_of")


def check_spec_tests(spec: Spec) -> list[Problem]:
    """AG065 to AG070 for each case that could not run, or could never pass."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, case in enumerate(spec.tests):
        path: Path = ("tests", index)
        if case.name in seen:
            message = f"a test named '{case.name}' is already defined"
            problems.append(
                Problem((*path, "name"), "AG065", message, "give each case its own name")
            )
        seen.add(case.name)
        problems += _results(spec, case, path)
        problems += _intents(spec, case, path)
        problems += _calls(spec, case.expect.calls, (*path, "expect", "calls"))
        problems += _state(spec, case, path)
        problems += _possible(spec, case, path)
    return problems


def intent_names(spec: Spec) -> list[str]:
    """Every intent the model may choose: tools, human contacts and the done intent."""
    return [*spec.tools, *spec.humans, spec.done.name]


def _results(spec: Spec, case: CaseSection, path: Path) -> list[Problem]:
    problems = []
    for tool in case.results:
        section = spec.tools.get(tool)
        if section is None:
            hint = did_you_mean(tool, spec.tools) or f"one of: {', '.join(spec.tools) or '(none)'}"
            message = f"results names '{tool}', which is not one of the spec's tools"
        elif section.agent is not None or section.terminal:
            kind = "runs a sub-agent" if section.agent is not None else "ends the thread"
            message, hint = f"'{tool}' has no handler to fake: it {kind}", "remove its result"
        else:
            continue
        problems.append(Problem((*path, "results", tool), "AG066", message, hint, at="key"))
    return problems


def _intents(spec: Spec, case: CaseSection, path: Path) -> list[Problem]:
    known = intent_names(spec)
    problems = []
    for key in ("intents", "intents_contain"):
        for position, name in enumerate(getattr(case.expect, key) or []):
            problems += _unknown_intent(name, known, (*path, "expect", key, position))
    return problems


def _unknown_intent(name: str, known: list[str], where: Path) -> list[Problem]:
    if name in known:
        return []
    hint = did_you_mean(name, known) or f"one of: {', '.join(known)}"
    return [Problem(where, "AG067", f"'{name}' is not one of the agent's intents", hint)]


def _calls(spec: Spec, calls: list[CallExpectation], path: Path) -> list[Problem]:
    known = intent_names(spec)
    problems = []
    for index, call in enumerate(calls):
        where = (*path, index)
        unknown = _unknown_intent(call.intent, known, (*where, "intent"))
        if unknown:
            problems += unknown
            continue
        params = _params(spec, call.intent)
        for param, matcher in call.args.items():
            problems += _arg(call.intent, param, matcher, params, (*where, "args", param))
    return problems


def _params(spec: Spec, intent: str) -> dict[str, Any]:
    if intent in spec.tools:
        return spec.tools[intent].params
    if intent in spec.humans:
        return spec.humans[intent].params
    return spec.done.params


def _arg(
    intent: str, param: str, matcher: Any, params: dict[str, Any], where: Path
) -> list[Problem]:
    if param not in params:
        hint = did_you_mean(param, params) or f"its params: {', '.join(params) or '(none)'}"
        return [Problem(where, "AG068", f"'{intent}' has no param '{param}'", hint, at="key")]
    kind = matcher_kind(matcher)
    if kind == "regex":
        try:
            re.compile(matcher["regex"])
        except (re.error, TypeError) as error:
            message = f"the regex for '{param}' does not compile: {error}"
            return [
                Problem((*where, "regex"), "AG068", message, "write a Python regular expression")
            ]
    if kind == "one_of" and not isinstance(matcher["one_of"], list):
        message = f"one_of for '{param}' must be an array of the values allowed"
        return [Problem((*where, "one_of"), "AG068", message, 'e.g. one_of = ["a", "b"]')]
    return []


def matcher_kind(matcher: Any) -> str:
    """ "regex", "one_of" or "equals": a table with one matcher key is that matcher."""
    if isinstance(matcher, dict) and len(matcher) == 1:
        (key,) = matcher
        if key in MATCHER_KEYS:
            return str(key)
    return "equals"


def _state(spec: Spec, case: CaseSection, path: Path) -> list[Problem]:
    fields = spec.state.fields
    problems = []
    for name in case.expect.state:
        if name not in fields:
            hint = did_you_mean(name, fields) or f"fields: {', '.join(fields) or '(none)'}"
            message = f"'{name}' is not a field of [state.fields]"
            problems.append(
                Problem((*path, "expect", "state", name), "AG069", message, hint, at="key")
            )
    return problems


def _possible(spec: Spec, case: CaseSection, path: Path) -> list[Problem]:
    """Expectations no run could meet, and case shapes that cannot run."""
    problems = []
    if case.live and case.steps:
        message = "a live case takes its steps from the model: it cannot also script them"
        problems.append(Problem((*path, "steps"), "AG070", message, "remove steps, or live"))
    if case.expect.status == "awaiting_approval" and not _any_approval(spec):
        message = "no tool of this agent asks for approval, so no thread can await one"
        problems.append(Problem((*path, "expect", "status"), "AG070", message))
    for index, response in enumerate(case.responses):
        problems += _response(response.model_fields_set, (*path, "responses", index))
    return problems


def _any_approval(spec: Spec) -> bool:
    return any(tool.approval != "never" or tool.agent is not None for tool in spec.tools.values())


def _response(given: Iterable[str], where: Path) -> list[Problem]:
    kinds = [key for key in ("approve", "answer", "message") if key in given]
    if len(kinds) == 1 and (kinds == ["approve"] or not {"comment", "args"} & set(given)):
        return []
    if len(kinds) != 1:
        message = f"a response is one of approve, answer or message; this one has {len(kinds)}"
    else:
        message = "comment and args go with approve only"
    hint = 'e.g. { approve = true, comment = "ok" }, { answer = "..." } or { message = "..." }'
    return [Problem(where, "AG070", message, hint)]
