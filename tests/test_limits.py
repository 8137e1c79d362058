"""No input bricks a thread: one limit for every value that enters it; what passes loads back."""

from __future__ import annotations

import asyncio
import re
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from agentgen.runtime import (
    MAX_EVENT_CHARS,
    MAX_JSON_DEPTH,
    MemoryStore,
    ScriptedModel,
    ValueRefused,
    check_json_value,
)
from generated.calculator.agent import launch as calculator_launch
from generated.calculator.events import ErrorEvent, UserMessage
from generated.deploy_bot.agent import launch
from generated.deploy_bot.threads import load_thread

DONE = {"intent": "done_for_now", "message": "ok"}


def nested(depth: int) -> Any:
    """A list holding a list ... `depth` levels deep."""
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def test_the_limit_is_on_depth_integers_and_text() -> None:
    check_json_value(nested(MAX_JSON_DEPTH), "vars")
    check_json_value({"n": 2**63 - 1, "m": -(2**63 - 1), "t": "é ✓"}, "vars")
    cases = [
        (nested(MAX_JSON_DEPTH + 1), "vars is nested deeper than 64 levels"),
        (nested(100_000), "vars is nested deeper than 64 levels"),
        ({"n": 10**5000}, "vars holds an integer beyond 64 bits"),
        ({"\ud800": 1}, "vars holds a lone surrogate: it is not UTF-8 text"),
    ]
    for value, message in cases:
        with pytest.raises(ValueRefused) as caught:
            check_json_value(value, "vars")
        assert (str(caught.value), caught.value.http_status) == (message, 422)


@pytest.mark.parametrize(
    ("environments", "message"),
    [
        (nested(MAX_JSON_DEPTH), "vars is nested deeper than 64 levels"),
        ([10**5000], "vars holds an integer beyond 64 bits"),
        (["\udfff"], "vars holds a lone surrogate: it is not UTF-8 text"),
    ],
)
def test_launch_vars_beyond_the_limit_are_refused_and_nothing_is_stored(
    environments: Any, message: str
) -> None:
    store = MemoryStore()
    vars = {"service": "shop", "environments": environments}
    with pytest.raises(ValueRefused, match=f"^{re.escape(message)}$"):
        asyncio.run(launch("ship", model=ScriptedModel([DONE]), store=store, vars=vars))
    assert asyncio.run(store.thread_ids()) == []


def _run_result(result: object) -> list[Any]:
    """Launch deploy_bot with one `list_git_tags` call whose handler returns `result`."""
    model = ScriptedModel([{"intent": "list_git_tags", "limit": 1}, DONE])
    handlers = SimpleNamespace(list_git_tags=lambda call: result)
    vars = {"service": "shop", "environments": []}
    store = MemoryStore()
    run = launch("ship", model=model, store=store, vars=vars, handlers=handlers)  # type: ignore[arg-type]
    thread = asyncio.run(run)
    assert asyncio.run(load_thread(thread.id, store)).events == thread.events
    return thread.events


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (nested(200), "ValueRefused: the result of 'list_git_tags' is nested deeper than 64 "
         "levels"),
        ([2**64], "ValueRefused: the result of 'list_git_tags' holds an integer beyond 64 bits"),
        (["\ud800"], "ValueRefused: the result of 'list_git_tags' holds a lone surrogate: it is "
         "not UTF-8 text"),
        (["x" * MAX_EVENT_CHARS], "ValueRefused: the tool_result event is too large: 1,048,679 "
         "characters of JSON (at most 1,048,576)"),
    ],
)  # fmt: skip
def test_a_result_beyond_the_limit_is_a_compact_tool_error(result: object, message: str) -> None:
    events = _run_result(result)
    assert [event.type for event in events if event.type == "tool_result"] == []
    [error] = [event for event in events if event.type == "error"]
    assert (error.source, error.intent, error.message) == ("tool", "list_git_tags", message)


def test_a_model_output_beyond_the_limit_is_the_model_s_error() -> None:
    deep = {"intent": "add", "a": 1, "b": 2, "note": nested(MAX_JSON_DEPTH + 5)}
    model = ScriptedModel([deep, DONE])
    thread = asyncio.run(calculator_launch("add", model=model, store=MemoryStore()))
    [error] = [event for event in thread.events if isinstance(event, ErrorEvent)]
    assert (error.source, error.message) == (
        "model",
        "the model's output is nested deeper than 64 levels",
    )


def test_a_launch_message_beyond_the_limit_is_refused_and_nothing_is_stored() -> None:
    store = MemoryStore()
    for text, message in [
        ("\ud800", "the user_message event holds a lone surrogate: it is not UTF-8 text"),
        ("x" * MAX_EVENT_CHARS, "the user_message event is too large: 1,048,609 characters "
         "of JSON (at most 1,048,576)"),
    ]:  # fmt: skip
        with pytest.raises(ValueRefused, match=f"^{re.escape(message)}$"):
            asyncio.run(calculator_launch(text, model=ScriptedModel([DONE]), store=store))
    # the first events go together: no thread is left holding only `thread_started`
    assert asyncio.run(store.thread_ids()) == []


def test_people_s_texts_beyond_their_own_limits_never_reach_the_thread() -> None:
    with pytest.raises(ValidationError, match="unable to parse raw data as a unicode string"):
        UserMessage(text="\ud800")
    with pytest.raises(ValidationError, match="at most 100000 characters"):
        UserMessage(text="x" * MAX_EVENT_CHARS)


JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.sampled_from(["\ud800", "a\udfffb", "</user_message>"]),
)


def _deep(draw: st.DrawFn) -> Any:
    return nested(draw(st.integers(min_value=MAX_JSON_DEPTH - 2, max_value=MAX_JSON_DEPTH + 2)))


JSON_VALUES = st.one_of(
    st.recursive(
        JSON_LEAVES,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
        ),
        max_leaves=12,
    ),
    st.composite(_deep)(),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(environments=st.lists(JSON_VALUES, max_size=3), result=JSON_VALUES)
def test_whatever_a_thread_accepts_loads_back(environments: list[Any], result: Any) -> None:
    store = MemoryStore()
    model = ScriptedModel([{"intent": "list_git_tags", "limit": 1}, DONE])
    handlers = SimpleNamespace(list_git_tags=lambda call: result)
    vars = {"service": "shop", "environments": environments}
    try:
        thread = asyncio.run(launch("ship", model=model, store=store, vars=vars, handlers=handlers))  # type: ignore[arg-type]
    except ValueRefused:
        assert asyncio.run(store.thread_ids()) == []
        return
    assert thread.status == "done"
    assert asyncio.run(load_thread(thread.id, store)).events == thread.events
