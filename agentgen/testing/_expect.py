"""A case's `expect`, checked against the thread it produced: one line per unmet expectation."""

from __future__ import annotations

import json
import re
from typing import Any

from agentgen.spec.model import CallExpectation, CaseExpect
from agentgen.validate._spec_tests import matcher_kind

Events = list[dict[str, Any]]


def unmet(expect: CaseExpect, status: str, state: dict[str, Any], events: Events) -> list[str]:
    """What the thread does not meet; empty when it meets everything."""
    calls = [event["call"] for event in events if event["type"] == "tool_call"]
    intents = [call["intent"] for call in calls]
    problems = []
    if expect.status is not None and status != expect.status:
        problems.append(f"status: expected {expect.status}, got {status}{_pending(state)}")
    if expect.intents is not None and intents != expect.intents:
        problems.append(f"intents: expected {_list(expect.intents)}, got {_list(intents)}")
    if expect.intents_contain is not None and not _in_order(expect.intents_contain, intents):
        wanted = _list(expect.intents_contain)
        problems.append(f"intents: {wanted} do not appear in that order in {_list(intents)}")
    problems += _calls(expect.calls, calls)
    for field, value in expect.state.items():
        if not _same(value, state.get(field)):
            problems.append(
                f"state.{field}: expected {_show(value)}, got {_show(state.get(field))}"
            )
    errors = [event for event in events if event["type"] == "error"]
    if expect.errors is not None and len(errors) != expect.errors:
        problems.append(f"errors: expected {expect.errors}, got {len(errors)}{_messages(errors)}")
    return problems


def _in_order(wanted: list[str], intents: list[str]) -> bool:
    remaining = iter(intents)
    return all(any(intent == name for intent in remaining) for name in wanted)


def _calls(expected: list[CallExpectation], calls: list[dict[str, Any]]) -> list[str]:
    """Each expected call matched by a later call than the one before it."""
    position = 0
    for index, call in enumerate(expected):
        found = next(
            (i for i in range(position, len(calls)) if _matches(call, calls[i])),
            None,
        )
        if found is None:
            same = [_args(c) for c in calls[position:] if c["intent"] == call.intent]
            seen = f"its calls: {'; '.join(same)}" if same else f"no '{call.intent}' call"
            wanted = ", ".join(f"{k} {_matcher(v)}" for k, v in call.args.items()) or "any args"
            return [f"calls[{index}]: no '{call.intent}' call with {wanted} ({seen})"]
        position = found + 1
    return []


def _matches(expected: CallExpectation, call: dict[str, Any]) -> bool:
    if call["intent"] != expected.intent:
        return False
    return all(arg_matches(matcher, call.get(param)) for param, matcher in expected.args.items())


def arg_matches(matcher: Any, value: Any) -> bool:
    """Whether a call's arg meets a matcher: equals, regex (searched) or one_of."""
    kind = matcher_kind(matcher)
    if kind == "regex":
        return isinstance(value, str) and re.search(matcher["regex"], value) is not None
    if kind == "one_of":
        return any(_same(option, value) for option in matcher["one_of"])
    return _same(matcher["equals"] if kind == "equals" and _is_equals(matcher) else matcher, value)


def _is_equals(matcher: Any) -> bool:
    return isinstance(matcher, dict) and list(matcher) == ["equals"]


def _same(expected: Any, value: Any) -> bool:
    # True == 1 in Python; in JSON a boolean is never a number
    return bool(expected == value and isinstance(expected, bool) == isinstance(value, bool))


def _matcher(matcher: Any) -> str:
    kind = matcher_kind(matcher)
    if kind == "regex":
        return f"matching /{matcher['regex']}/"
    if kind == "one_of":
        return f"one of {_show(matcher['one_of'])}"
    return f"= {_show(matcher['equals'] if _is_equals(matcher) else matcher)}"


def _args(call: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {_show(v)}" for k, v in call.items() if k != "intent") or "no args"


def _pending(state: dict[str, Any]) -> str:
    pending = state.get("pending")
    return f" (pending '{pending['intent']}')" if isinstance(pending, dict) else ""


def _messages(errors: Events) -> str:
    return f": {'; '.join(str(e['message']) for e in errors)}" if errors else ""


def _list(names: list[str]) -> str:
    return f"[{', '.join(names)}]"


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
