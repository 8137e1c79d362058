"""The generated calculator agent, driven by a ScriptedModel through the scenarios of its loop."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from agentgen.runtime import MemoryStore, ResponseRefused, ScriptedModel, SqliteStore, Store
from generated.calculator.agent import MAX_TURNS, launch, resume
from generated.calculator.events import (
    Approval,
    ErrorEvent,
    HumanResponse,
    Response,
    ToolCallEvent,
    ToolResultEvent,
    UserMessage,
)
from generated.calculator.state import Thread
from generated.calculator.threads import load_thread


def add(a: float, b: float) -> dict[str, Any]:
    return {"intent": "add", "a": a, "b": b}


def divide(a: float, b: float) -> dict[str, Any]:
    return {"intent": "divide", "a": a, "b": b}


def done(message: str) -> dict[str, Any]:
    return {"intent": "done_for_now", "message": message}


def start(model: ScriptedModel, store: Store, message: str = "compute") -> Thread:
    return asyncio.run(launch(message, model=model, store=store))


def answer(thread: Thread, response: Response, model: ScriptedModel, store: Store) -> Thread:
    return asyncio.run(resume(thread.id, response, model=model, store=store))


def kinds(thread: Thread) -> list[str]:
    """The thread's event types, with the intent of each call and result."""
    named = []
    for event in thread.events:
        if isinstance(event, ToolCallEvent):
            named.append(f"call:{event.call.intent}")
        elif isinstance(event, ToolResultEvent):
            named.append(f"result:{event.intent}")
        else:
            named.append(event.type)
    return named


def stored(thread_id: str, store: Store) -> list[str]:
    return asyncio.run(store.load(thread_id))


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


def test_a_chain_of_sync_tools_ends_done(store: MemoryStore) -> None:
    model = ScriptedModel([add(3, 4), add(7, 5), {"intent": "multiply", "a": 12, "b": 2}])
    model.add({"intent": "subtract", "a": 24, "b": 1.5}, done("22.5"))
    thread = start(model, store, "(3 + 4 + 5) * 2 - 1.5")
    assert thread.status == "done"
    assert thread.pending is None
    results = [event.result for event in thread.events if isinstance(event, ToolResultEvent)]
    assert results == [7.0, 12.0, 24.0, 22.5]
    assert thread.state.last_result == 12.0  # `from = "add.result"`: the last add
    assert kinds(thread) == [
        "thread_started",
        "user_message",
        "call:add",
        "result:add",
        "call:add",
        "result:add",
        "call:multiply",
        "result:multiply",
        "call:subtract",
        "result:subtract",
        "call:done_for_now",
    ]
    assert model.remaining == 0


def test_each_step_the_model_sees_the_results_so_far(store: MemoryStore) -> None:
    model = ScriptedModel([add(3, 4), done("7")])
    start(model, store, "3 + 4")
    first, second = (request.prompt for request in model.requests)
    assert "<user_message>3 + 4</user_message>" in first
    assert "result>" not in first
    assert "<add a=3 b=4/><result>7</result>" in second
    # the context is append-only: all but the closing question is a prefix of the next prompt
    assert first.endswith("\n\nWhat should the next step be?")
    assert second.startswith(first.removesuffix("What should the next step be?"))
    assert [intent.name for intent in model.requests[0].intents] == [
        "add",
        "subtract",
        "multiply",
        "divide",
        "request_more_information",
        "done_for_now",
    ]


def test_the_stored_events_rebuild_the_same_thread(store: MemoryStore) -> None:
    thread = start(ScriptedModel([add(1, 2), done("3")]), store)
    reloaded = asyncio.run(load_thread(thread.id, store))
    assert reloaded.events == thread.events
    assert reloaded.state == thread.state
    assert len(stored(thread.id, store)) == len(thread.events)


def test_a_denied_call_reaches_the_model_with_its_comment_then_an_approved_one_runs(
    store: MemoryStore,
) -> None:
    model = ScriptedModel([divide(3, 4)])
    thread = start(model, store, "divide 3 by 4")
    assert thread.status == "awaiting_approval"
    assert thread.pending is not None
    assert (thread.pending.intent, thread.pending.args) == ("divide", {"a": 3.0, "b": 4.0})
    assert "divide_result" not in kinds(thread)

    model.add(divide(3, 5))
    denial = Approval(call_id=thread.pending.call_id, approved=False, comment="use 5 instead")
    thread = answer(thread, denial, model, store)
    assert '<divide a=3 b=4/><denied comment="use 5 instead"/>' in model.requests[-1].prompt
    assert thread.status == "awaiting_approval"
    assert thread.pending is not None
    assert thread.pending.args == {"a": 3.0, "b": 5.0}

    model.add(done("0.6"))
    thread = answer(thread, Approval(call_id=thread.pending.call_id, approved=True), model, store)
    assert thread.status == "done"
    results = [event.result for event in thread.events if isinstance(event, ToolResultEvent)]
    assert results == [0.6]  # the denied division never ran
    assert "<divide a=3 b=5/><approved/><result>0.6</result>" in model.requests[-1].prompt


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (
            Approval(call_id="call_unknown", approved=True),
            "call_id 'call_unknown' does not match the pending call '{pending}'",
        ),
        (
            HumanResponse(call_id="{pending}", text="4"),
            "HumanResponse cannot be accepted while the thread is awaiting_approval",
        ),
        (
            UserMessage(text="never mind"),
            "UserMessage cannot be accepted while the thread is awaiting_approval",
        ),
        (None, "no response cannot be accepted while the thread is awaiting_approval"),
    ],
)
def test_a_response_that_does_not_fit_is_refused_and_changes_nothing(
    store: MemoryStore, response: Response, message: str
) -> None:
    model = ScriptedModel([divide(3, 4)])
    thread = start(model, store)
    assert thread.pending is not None
    pending = thread.pending.call_id
    if isinstance(response, HumanResponse):
        response = HumanResponse(call_id=pending, text=response.text)
    before = stored(thread.id, store)
    with pytest.raises(ResponseRefused) as refused:
        answer(thread, response, model, store)
    assert str(refused.value) == message.format(pending=pending)
    assert stored(thread.id, store) == before
    assert len(model.requests) == 1


def test_a_stale_call_id_is_refused_after_it_was_answered(store: MemoryStore) -> None:
    model = ScriptedModel([divide(3, 4), divide(1, 2)])
    thread = start(model, store)
    assert thread.pending is not None
    first = thread.pending.call_id
    thread = answer(thread, Approval(call_id=first, approved=False), model, store)
    assert thread.pending is not None
    second = thread.pending.call_id
    before = stored(thread.id, store)
    for repeated in (
        Approval(call_id=first, approved=True),
        Approval(call_id=first, approved=False),
    ):
        with pytest.raises(ResponseRefused) as refused:
            answer(thread, repeated, model, store)
        assert str(refused.value) == (
            f"call_id '{first}' does not match the pending call '{second}'"
        )
    assert stored(thread.id, store) == before


def test_a_human_contact_is_answered_and_the_answer_reaches_the_model(store: MemoryStore) -> None:
    question = {"intent": "request_more_information", "message": "which numbers?"}
    model = ScriptedModel([question])
    thread = start(model, store, "add some numbers")
    assert thread.status == "awaiting_human"
    assert thread.pending is not None
    assert (thread.pending.intent, thread.pending.args) == (
        "request_more_information",
        {"message": "which numbers?"},
    )
    model.add(add(2, 2), done("4"))
    reply = HumanResponse(call_id=thread.pending.call_id, text="2 and 2")
    thread = answer(thread, reply, model, store)
    assert thread.status == "done"
    assert (
        '<request_more_information message="which numbers?"/>'
        "<human_response>2 and 2</human_response>" in model.requests[1].prompt
    )


def test_three_bad_outputs_in_a_row_escalate_and_an_answer_continues(store: MemoryStore) -> None:
    bad: list[dict[str, Any] | str] = [
        "I think the answer is 7",
        '{"intent": "add", "a": "three"}',
        {"intent": "sqrt"},
    ]
    model = ScriptedModel(bad)
    thread = start(model, store, "3 + 4")
    errors = [event for event in thread.events if isinstance(event, ErrorEvent)]
    assert [error.source for error in errors] == ["model"] * 3
    assert thread.status == "awaiting_human"
    assert thread.pending is not None
    assert thread.pending.intent == "escalation"
    assert thread.pending.args == {"reason": "3 errors in a row; please advise"}
    assert len(model.requests) == 3

    model.add(add(3, 4), done("7"))
    reply = HumanResponse(call_id=thread.pending.call_id, text="just add 3 and 4")
    thread = answer(thread, reply, model, store)
    assert thread.status == "done"
    assert thread.state.consecutive_errors == 0


def test_an_error_then_a_success_resets_the_count(store: MemoryStore) -> None:
    model = ScriptedModel(["oops", "oops", add(1, 1), "oops", "oops", done("2")])
    thread = start(model, store)
    assert thread.status == "done"
    assert kinds(thread).count("error") == 4


def test_a_handler_exception_becomes_one_compact_error_the_model_sees(store: MemoryStore) -> None:
    model = ScriptedModel([divide(1, 0)])
    thread = start(model, store, "1 / 0")
    assert thread.pending is not None
    model.add(done("cannot divide by zero"))
    thread = answer(thread, Approval(call_id=thread.pending.call_id, approved=True), model, store)
    assert thread.status == "done"
    errors = [event for event in thread.events if isinstance(event, ErrorEvent)]
    assert len(errors) == 1
    assert (errors[0].source, errors[0].intent) == ("tool", "divide")
    assert errors[0].message == "ZeroDivisionError: float division by zero"
    assert "Traceback" not in model.requests[-1].prompt
    assert (
        "<divide a=1 b=0/><approved/><error>ZeroDivisionError: float division by zero</error>"
        in model.requests[-1].prompt
    )


def test_max_turns_pauses_and_resume_with_none_continues(store: MemoryStore) -> None:
    model = ScriptedModel([add(n, 1) for n in range(MAX_TURNS)])
    thread = start(model, store)
    assert thread.status == "paused"
    assert thread.state.turns == MAX_TURNS
    assert kinds(thread)[-1] == "thread_paused"
    model.add(done("counted"))
    thread = answer(thread, None, model, store)
    assert thread.status == "done"
    assert kinds(thread)[-2:] == ["thread_resumed", "call:done_for_now"]


def test_a_done_thread_takes_a_new_user_message(store: MemoryStore) -> None:
    model = ScriptedModel([add(1, 2), done("3")])
    thread = start(model, store)
    model.add(add(3, 1), done("4"))
    thread = answer(thread, UserMessage(text="now add 1"), model, store)
    assert thread.status == "done"
    assert "<user_message>now add 1</user_message>" in model.requests[-2].prompt
    with pytest.raises(ResponseRefused) as refused:
        answer(thread, None, model, store)
    assert str(refused.value) == "no response cannot be accepted while the thread is done"


def test_a_sqlite_thread_continues_with_a_new_store_object(tmp_path: Path) -> None:
    path = str(tmp_path / "threads.db")
    model = ScriptedModel([divide(8, 2)])
    first = SqliteStore(path)
    thread = start(model, first)
    first.close()
    assert thread.pending is not None
    model.add(done("4"))
    second = SqliteStore(path)
    thread = answer(thread, Approval(call_id=thread.pending.call_id, approved=True), model, second)
    assert thread.status == "done"
    results = [event.result for event in thread.events if isinstance(event, ToolResultEvent)]
    assert results == [4.0]
    second.close()


class WrongAdd:
    """Handlers whose `add` returns what its `returns = number` (and `last_result`) refuses."""

    def add(self, call: object) -> str:
        return "three"


def test_a_result_its_type_refuses_is_the_handlers_error(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "threads.db"))
    model = ScriptedModel([add(1, 2), done("gave up")])
    thread = asyncio.run(launch("1 + 2", model=model, store=store, handlers=WrongAdd()))
    assert thread.status == "done"
    [error] = [event for event in thread.events if isinstance(event, ErrorEvent)]
    assert (error.source, error.intent) == ("tool", "add")
    assert error.message == "ValidationError: AddResult: result: Input should be a valid number"
    assert not any(isinstance(event, ToolResultEvent) for event in thread.events)
    # nothing unreadable was stored: the thread loads again as it was
    reloaded = asyncio.run(load_thread(thread.id, store))
    assert reloaded.events == thread.events
    store.close()
