"""Context keeps its text up to date as events come: the same text as joining every block anew."""

from __future__ import annotations

import random

import pytest

from generated.calculator.context import Context, render_event
from generated.calculator.events import (
    AddResult,
    ErrorEvent,
    Event,
    ThreadResumed,
    ToolCallEvent,
    UserMessageEvent,
)
from generated.calculator.tools import Add


def _random_event(rng: random.Random, index: int) -> Event:
    kind = rng.choice(["message", "call", "result", "error", "error", "resumed"])
    if kind == "message":
        return UserMessageEvent(text=f"message {index}")
    if kind == "call":
        return ToolCallEvent(call_id=f"c{index}", call=Add(intent="add", a=index, b=1))
    if kind == "result":
        return AddResult(call_id=f"c{index}", result=float(index))
    if kind == "error":
        return ErrorEvent(source="tool", message=f"failed {index}", intent="add")
    return ThreadResumed()


def _joined_anew(events: list[Event], hide_resolved_errors: bool) -> str:
    """The reference: render every event, hide errors that a later result resolved, join."""
    blocks: list[str] = []
    pending: list[int] = []
    hidden: set[int] = set()
    for event in events:
        block = render_event(event)
        if block is None:
            continue
        if isinstance(event, ErrorEvent):
            pending.append(len(blocks))
        elif isinstance(event, AddResult) and hide_resolved_errors:
            hidden.update(pending)
            pending.clear()
        blocks.append(block)
    return "\n\n".join(block for i, block in enumerate(blocks) if i not in hidden)


@pytest.mark.parametrize("hide_resolved_errors", [False, True])
@pytest.mark.parametrize("seed", range(20))
def test_the_text_after_each_event_is_the_whole_thread_joined(
    seed: int, hide_resolved_errors: bool
) -> None:
    rng = random.Random(seed)
    context, events = Context(hide_resolved_errors=hide_resolved_errors), []
    for index in range(60):
        event = _random_event(rng, index)
        context.add(event)
        events.append(event)
        if rng.random() < 0.4:  # the loop reads the text at some steps, not at every event
            assert context.text() == _joined_anew(events, hide_resolved_errors)
    assert context.text() == _joined_anew(events, hide_resolved_errors)


def test_a_resolved_error_leaves_the_text_it_was_in() -> None:
    context = Context(hide_resolved_errors=True)
    context.add(UserMessageEvent(text="add 1 and 2"))
    context.add(ErrorEvent(source="tool", message="boom", intent="add"))
    assert "boom" in context.text()
    context.add(AddResult(call_id="c1", result=3.0))
    assert "boom" not in context.text()
    assert context.text().startswith("<user_message>\ntext: add 1 and 2\n</user_message>\n\n")
