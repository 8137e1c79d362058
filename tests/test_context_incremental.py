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
    # a result or an error is of the call just before, when the event before is a call
    if kind == "result":
        return AddResult(call_id=f"c{index - 1}", result=float(index))
    if kind == "error":
        return ErrorEvent(
            source="tool", message=f"failed {index}", call_id=f"c{index - 1}", intent="add"
        )
    return ThreadResumed()


def _joined_anew(events: list[Event], hide_resolved_errors: bool) -> str:
    """The reference: render every event, hide errors that a later result resolved, join.

    What follows a call and has its call id goes on the call's line, right after it; other
    blocks are apart by a blank line, and the first block shown has nothing before it.
    """
    blocks: list[tuple[str, str]] = []  # each block with the separator that goes before it
    pending: list[int] = []
    hidden: set[int] = set()
    line_call: str | None = None  # the call whose line the last block is on
    for event in events:
        call_id = getattr(event, "call_id", None)
        on_its_line = (
            call_id is not None and call_id == line_call and not isinstance(event, ToolCallEvent)
        )
        block = render_event(event, on_its_call_line=on_its_line)
        if block is None:
            continue
        if isinstance(event, ToolCallEvent):
            line_call = event.call_id
        elif not on_its_line:
            line_call = None
        if isinstance(event, ErrorEvent):
            pending.append(len(blocks))
        elif isinstance(event, AddResult) and hide_resolved_errors:
            hidden.update(pending)
            pending.clear()
        blocks.append(("" if on_its_line else "\n\n", block))
    shown = [block for i, block in enumerate(blocks) if i not in hidden]
    return "".join(
        block if i == 0 else separator + block for i, (separator, block) in enumerate(shown)
    )


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
    assert context.text().startswith("<user_message>add 1 and 2</user_message>\n\n")
