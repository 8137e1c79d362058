"""Port of the OpenAI Agents SDK customer-service example as a parent agent with sub-agents.

Original: openai/openai-agents-python, `examples/customer_service/main.py` (read at 7f7a44f). The
triage agent (`specs/airline_triage.toml`) calls the FAQ agent (`specs/airline_faq.toml`) and the
seat-booking agent (`specs/seat_booking.toml`) as tools (`agent = ...`): each call runs a child
thread whose terminal call is the parent's tool result. The SDK's `on_seat_booking_handoff` hook
is seat_booking's `start` state, whose one tool is `assign_flight_number`; the SDK agent asking
the customer in text is the human contact `ask_passenger`, which makes the parent wait too. The
scenarios are the sub-agent variant of the port's `scenarios.md`, driven through the public API
of `generated.airline_triage`, `generated.airline_faq` and `generated.seat_booking` with one
ScriptedModel (parent and children, in the order the calls happen) and fake handlers.
"""

from __future__ import annotations

import asyncio
from typing import Any, Unpack

import pytest

from agentgen.runtime import MemoryStore, ResponseRefused, ScriptedModel
from generated import airline_faq, airline_triage, seat_booking
from generated.airline_faq import FaqLookupTool
from generated.airline_triage.agent import SubAgentHandlers
from generated.seat_booking import AssignFlightNumber, ToolContext, UpdateSeat

BAGGAGE = (
    "You are allowed to bring one bag on the plane. It must be under 50 pounds and "
    "22 inches x 14 inches x 9 inches."
)
UNKNOWN = "I'm sorry, I don't know the answer to that question."
WIFI = "We have free wifi on the plane, join Airline-Wifi"
CHANGE = "The customer wants to change their seat."
ASK_CONFIRMATION = {"intent": "ask_passenger", "message": "What is your confirmation number?"}
ASK_SEAT = {"intent": "ask_passenger", "message": "Which seat would you like?"}


class FaqDesk:
    """Fake handlers of airline_faq: the scenario's answers, and the questions asked."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.questions: list[str] = []

    def faq_lookup_tool(self, call: FaqLookupTool) -> str:
        self.questions.append(call.question)
        return self.answer


class SeatDesk:
    """Fake handlers of seat_booking: the flight number it assigns, and the seats it updated."""

    def __init__(self, flight: str) -> None:
        self.flight = flight
        self.updates: list[tuple[str, str, str]] = []

    def assign_flight_number(self, call: AssignFlightNumber) -> str:
        return self.flight

    def update_seat(self, call: UpdateSeat, ctx: ToolContext) -> str:
        # the original's `assert context.context.flight_number is not None`
        if not ctx.state.flight_number:
            raise AssertionError("Flight number is required")
        self.updates.append((ctx.state.flight_number, call.confirmation_number, call.new_seat))
        return f"Updated seat to {call.new_seat} for confirmation number {call.confirmation_number}"


def intents(thread: Any) -> list[str]:
    """The intents of the calls a thread recorded, in order (a parent's or a child's)."""
    return [event.call.intent for event in thread.events if event.type == "tool_call"]


def results(thread: Any) -> list[tuple[str, Any]]:
    return [(e.intent, e.result) for e in thread.events if e.type == "tool_result"]


def agents(model: ScriptedModel) -> list[str]:
    """Which agent asked the model each time, told apart by their system prompts."""
    starts = {
        "You are a helpful triaging agent": "airline_triage",
        "You are an FAQ agent.": "airline_faq",
        "You are a seat booking agent.": "seat_booking",
    }
    return [
        next(name for start, name in starts.items() if request.system.startswith(start))
        for request in model.requests
    ]


def parent(
    message: str, model: ScriptedModel, store: MemoryStore, **handlers: Unpack[SubAgentHandlers]
) -> airline_triage.Thread:
    run = airline_triage.launch(message, model=model, store=store, sub_agent_handlers=handlers)
    return asyncio.run(run)


def answer(
    thread: airline_triage.Thread,
    text: str,
    model: ScriptedModel,
    store: MemoryStore,
    **handlers: Unpack[SubAgentHandlers],
) -> airline_triage.Thread:
    assert thread.pending is not None
    response = airline_triage.HumanResponse(call_id=thread.pending.call_id, text=text)
    run = airline_triage.resume(
        thread.id,
        response,
        model=model,
        store=store,
        sub_agent_handlers=handlers,
    )
    return asyncio.run(run)


def children(thread: airline_triage.Thread, store: MemoryStore) -> list[str]:
    """The ids of the other threads in the store: the children of `thread`."""
    return [tid for tid in asyncio.run(store.thread_ids()) if tid != thread.id]


def test_baggage_question_via_faq_child() -> None:
    store, faq = MemoryStore(), FaqDesk(BAGGAGE)
    model = ScriptedModel(
        [{"intent": "ask_faq_agent", "message": "What is the baggage allowance?"}]
    )
    model.add({"intent": "faq_lookup_tool", "question": "What is the baggage allowance?"})
    child_answer = "One bag, under 50 pounds and 22 x 14 x 9 inches."
    model.add({"intent": "answer", "message": child_answer})
    reply = "You can bring one bag, under 50 pounds and 22 x 14 x 9 inches."
    model.add({"intent": "reply_to_customer", "message": reply})
    thread = parent("What is the baggage allowance?", model, store, airline_faq=faq)
    assert thread.status == "done"
    assert thread.pending is None
    assert intents(thread) == ["ask_faq_agent", "reply_to_customer"]
    # the child's terminal call, its intent included, is the parent's tool result
    assert results(thread) == [("ask_faq_agent", {"intent": "answer", "message": child_answer})]
    assert faq.questions == ["What is the baggage allowance?"]
    assert agents(model) == ["airline_triage", "airline_faq", "airline_faq", "airline_triage"]

    (child_id,) = children(thread, store)
    sub = [(e.call_id, e.thread_id, e.status) for e in thread.events if e.type == "sub_agent"]
    (call,) = [
        e for e in thread.events if e.type == "tool_call" and e.call.intent == "ask_faq_agent"
    ]
    assert sub == [(call.call_id, child_id, "done")]
    child = asyncio.run(airline_faq.load_thread(child_id, store))
    assert child.status == "done"
    assert child.state.ended_by == "answer"
    assert intents(child) == ["faq_lookup_tool", "answer"]
    assert results(child) == [("faq_lookup_tool", BAGGAGE)]
    # the child starts from the call's only string param, as its user message
    assert [e.text for e in child.events if e.type == "user_message"] == [
        "What is the baggage allowance?"
    ]
    assert (
        '<ask_faq_agent message="What is the baggage allowance?"/><result>\nintent: answer\n'
        "message: One bag, under 50 pounds and 22 x 14 x 9 inches.\n</result>"
        in model.requests[-1].prompt
    )
    assert model.remaining == 0


def test_seat_change_through_child_asking_the_customer() -> None:
    store, seats = MemoryStore(), SeatDesk("FLT-123")
    model = ScriptedModel([{"intent": "ask_seat_booking_agent", "message": CHANGE}])
    model.add({"intent": "assign_flight_number"}, ASK_CONFIRMATION)
    thread = parent("I'd like to change my seat.", model, store, seat_booking=seats)
    assert thread.status == "awaiting_human"
    (child_id,) = children(thread, store)
    assert thread.pending is not None
    assert thread.pending.intent == "ask_passenger"
    assert thread.pending.args == {"message": "What is your confirmation number?"}
    assert thread.pending.thread_id == child_id
    child = asyncio.run(seat_booking.load_thread(child_id, store))
    assert child.status == "awaiting_human"
    assert child.pending is not None
    # the parent shows the child's own pending call: the same call id
    assert child.pending.call_id == thread.pending.call_id
    assert child.pending.thread_id is None
    # the on_handoff hook: the flight number is set before the child's first question
    assert (child.state.current_state, child.state.flight_number) == ("booking", "FLT-123")
    first_question = thread.pending.call_id

    model.add(ASK_SEAT)
    thread = answer(thread, "ABC123", model, store, seat_booking=seats)
    assert thread.status == "awaiting_human"
    assert thread.pending is not None
    assert thread.pending.intent == "ask_passenger"
    assert thread.pending.args == {"message": "Which seat would you like?"}
    assert thread.pending.thread_id == child_id
    assert thread.pending.call_id != first_question
    assert children(thread, store) == [child_id]  # the same child carried on, no new one

    model.add({"intent": "update_seat", "confirmation_number": "ABC123", "new_seat": "14C"})
    seat_updated = {
        "intent": "seat_updated",
        "confirmation_number": "ABC123",
        "seat_number": "14C",
        "flight_number": "FLT-123",
        "message": "Seat updated to 14C.",
    }
    model.add(seat_updated)
    reply = "Done: you are now in seat 14C on flight FLT-123 (confirmation ABC123)."
    model.add({"intent": "reply_to_customer", "message": reply})
    thread = answer(thread, "14C", model, store, seat_booking=seats)
    assert thread.status == "done"
    assert thread.pending is None
    assert intents(thread) == ["ask_seat_booking_agent", "reply_to_customer"]
    assert results(thread) == [("ask_seat_booking_agent", seat_updated)]
    assert [(e.thread_id, e.status) for e in thread.events if e.type == "sub_agent"] == [
        (child_id, "awaiting_human"),
        (child_id, "awaiting_human"),
        (child_id, "done"),
    ]
    # the answers sent to the parent's id went to the child, never into the parent's log
    assert [e.type for e in thread.events].count("human_response") == 0

    child = asyncio.run(seat_booking.load_thread(child_id, store))
    assert child.status == "done"
    assert child.state.ended_by == "seat_updated"
    assert intents(child) == [
        "assign_flight_number",
        "ask_passenger",
        "ask_passenger",
        "update_seat",
        "seat_updated",
    ]
    assert [e.text for e in child.events if e.type == "human_response"] == ["ABC123", "14C"]
    assert (
        child.state.flight_number,
        child.state.confirmation_number,
        child.state.seat_number,
    ) == ("FLT-123", "ABC123", "14C")
    assert seats.updates == [("FLT-123", "ABC123", "14C")]
    assert agents(model) == ["airline_triage", *["seat_booking"] * 5, "airline_triage"]
    assert model.remaining == 0


def test_an_answer_with_another_call_id_is_refused_and_the_child_is_untouched() -> None:
    store, seats = MemoryStore(), SeatDesk("FLT-123")
    model = ScriptedModel([{"intent": "ask_seat_booking_agent", "message": CHANGE}])
    model.add({"intent": "assign_flight_number"}, ASK_CONFIRMATION)
    thread = parent("I'd like to change my seat.", model, store, seat_booking=seats)
    assert thread.pending is not None
    (child_id,) = children(thread, store)
    before = {tid: asyncio.run(store.load(tid)) for tid in (thread.id, child_id)}
    wrong = airline_triage.HumanResponse(call_id="call_other", text="ABC123")
    with pytest.raises(ResponseRefused) as refused:
        asyncio.run(airline_triage.resume(thread.id, wrong, model=model, store=store))
    assert str(refused.value) == (
        f"call_id 'call_other' does not match the pending call '{thread.pending.call_id}'"
    )
    assert {tid: asyncio.run(store.load(tid)) for tid in (thread.id, child_id)} == before


def test_seat_booking_child_hands_an_unrelated_question_back_to_triage() -> None:
    # the SDK's "transfer back to the triage agent", then triage asks the FAQ agent instead
    store, seats, faq = MemoryStore(), SeatDesk("FLT-322"), FaqDesk("Checked bags cost $35.")
    model = ScriptedModel([{"intent": "ask_seat_booking_agent", "message": CHANGE}])
    model.add({"intent": "assign_flight_number"}, ASK_CONFIRMATION)
    thread = parent(
        "I'd like to change my seat.", model, store, seat_booking=seats, airline_faq=faq
    )
    assert thread.status == "awaiting_human"
    (seat_child,) = children(thread, store)

    handback = {
        "intent": "transfer_to_triage_agent",
        "message": "How much does a checked bag cost?",
    }
    model.add(handback)
    model.add({"intent": "ask_faq_agent", "message": "How much does a checked bag cost?"})
    model.add({"intent": "faq_lookup_tool", "question": "How much does a checked bag cost?"})
    model.add({"intent": "answer", "message": "A checked bag costs $35."})
    model.add({"intent": "reply_to_customer", "message": "A checked bag costs $35."})
    said = "Before that, how much does a checked bag cost?"
    thread = answer(thread, said, model, store, seat_booking=seats, airline_faq=faq)
    assert thread.status == "done"
    assert intents(thread) == ["ask_seat_booking_agent", "ask_faq_agent", "reply_to_customer"]
    assert results(thread) == [
        ("ask_seat_booking_agent", handback),
        ("ask_faq_agent", {"intent": "answer", "message": "A checked bag costs $35."}),
    ]
    assert len(children(thread, store)) == 2
    child = asyncio.run(seat_booking.load_thread(seat_child, store))
    assert (child.status, child.state.ended_by) == ("done", "transfer_to_triage_agent")
    assert (child.state.flight_number, child.state.seat_number) == ("FLT-322", "")
    assert seats.updates == []
    assert faq.questions == ["How much does a checked bag cost?"]
    assert agents(model) == [
        "airline_triage",
        "seat_booking",
        "seat_booking",
        "seat_booking",
        "airline_triage",
        "airline_faq",
        "airline_faq",
        "airline_triage",
    ]
    assert model.remaining == 0


def test_faq_wifi() -> None:
    store, faq = MemoryStore(), FaqDesk(WIFI)
    model = ScriptedModel([{"intent": "faq_lookup_tool", "question": "Do you have wifi on board?"}])
    model.add({"intent": "answer", "message": "We have free wifi on the plane, join Airline-Wifi."})
    run = airline_faq.launch("Do you have wifi on board?", model=model, store=store, handlers=faq)
    thread = asyncio.run(run)
    assert thread.status == "done"
    assert intents(thread) == ["faq_lookup_tool", "answer"]
    assert results(thread) == [("faq_lookup_tool", WIFI)]
    assert thread.state.ended_by == "answer"
    assert faq.questions == ["Do you have wifi on board?"]
    assert [[i.name for i in request.intents] for request in model.requests] == [
        ["faq_lookup_tool", "cannot_answer", "answer"],
        ["faq_lookup_tool", "cannot_answer", "answer"],
    ]


def test_faq_store_hours_cannot_be_answered() -> None:
    store, faq = MemoryStore(), FaqDesk(UNKNOWN)
    model = ScriptedModel([{"intent": "faq_lookup_tool", "question": "What are your store hours?"}])
    model.add({"intent": "cannot_answer", "reason": "The FAQ does not cover store hours."})
    run = airline_faq.launch("What are your store hours?", model=model, store=store, handlers=faq)
    thread = asyncio.run(run)
    assert thread.status == "done"
    assert thread.pending is None
    assert intents(thread) == ["faq_lookup_tool", "cannot_answer"]
    assert results(thread) == [("faq_lookup_tool", UNKNOWN)]
    assert thread.state.ended_by == "cannot_answer"


def test_triage_gets_the_faq_childs_cannot_answer_as_its_result() -> None:
    store, faq = MemoryStore(), FaqDesk(UNKNOWN)
    model = ScriptedModel([{"intent": "ask_faq_agent", "message": "What are your store hours?"}])
    model.add({"intent": "faq_lookup_tool", "question": "What are your store hours?"})
    cannot = {"intent": "cannot_answer", "reason": "The FAQ does not cover store hours."}
    model.add(cannot)
    sorry = "I'm sorry, I don't have information about store hours."
    model.add({"intent": "reply_to_customer", "message": sorry})
    thread = parent("What are your store hours?", model, store, airline_faq=faq)
    assert thread.status == "done"
    assert intents(thread) == ["ask_faq_agent", "reply_to_customer"]
    assert results(thread) == [("ask_faq_agent", cannot)]
    (child_id,) = children(thread, store)
    child = asyncio.run(airline_faq.load_thread(child_id, store))
    assert (child.status, child.state.ended_by) == ("done", "cannot_answer")


def test_seat_booking_routine() -> None:
    store, seats = MemoryStore(), SeatDesk("FLT-321")
    model = ScriptedModel([{"intent": "assign_flight_number"}, ASK_CONFIRMATION])
    thread = asyncio.run(seat_booking.launch(CHANGE, model=model, store=store, handlers=seats))
    assert thread.status == "awaiting_human"
    assert thread.pending is not None
    assert (thread.pending.intent, thread.pending.args) == (
        "ask_passenger",
        {"message": "What is your confirmation number?"},
    )
    assert thread.pending.thread_id is None
    # the on_handoff hook ran first: its call and result, then the first question
    assert [e.type for e in thread.events] == [
        "thread_started",
        "user_message",
        "tool_call",
        "tool_result",
        "tool_call",
    ]
    assert results(thread) == [("assign_flight_number", "FLT-321")]
    assert (thread.state.current_state, thread.state.flight_number) == ("booking", "FLT-321")

    model.add(ASK_SEAT)
    response = seat_booking.HumanResponse(call_id=thread.pending.call_id, text="QWE456")
    thread = asyncio.run(
        seat_booking.resume(thread.id, response, model=model, store=store, handlers=seats)
    )
    assert thread.status == "awaiting_human"
    assert thread.pending is not None
    assert thread.pending.args == {"message": "Which seat would you like?"}

    model.add({"intent": "update_seat", "confirmation_number": "QWE456", "new_seat": "7A"})
    model.add(
        {
            "intent": "seat_updated",
            "confirmation_number": "QWE456",
            "seat_number": "7A",
            "flight_number": "FLT-321",
            "message": "Seat updated to 7A.",
        }
    )
    response = seat_booking.HumanResponse(call_id=thread.pending.call_id, text="7A")
    thread = asyncio.run(
        seat_booking.resume(thread.id, response, model=model, store=store, handlers=seats)
    )
    assert thread.status == "done"
    assert thread.state.ended_by == "seat_updated"
    assert intents(thread) == [
        "assign_flight_number",
        "ask_passenger",
        "ask_passenger",
        "update_seat",
        "seat_updated",
    ]
    assert results(thread) == [
        ("assign_flight_number", "FLT-321"),
        ("update_seat", "Updated seat to 7A for confirmation number QWE456"),
    ]
    assert (
        thread.state.flight_number,
        thread.state.confirmation_number,
        thread.state.seat_number,
    ) == ("FLT-321", "QWE456", "7A")
    assert seats.updates == [("FLT-321", "QWE456", "7A")]
    start = ["assign_flight_number", "seat_updated"]
    booking = ["update_seat", "ask_passenger", "transfer_to_triage_agent", "seat_updated"]
    assert [[i.name for i in request.intents] for request in model.requests] == [
        start,
        *[booking] * 4,
    ]


def test_seat_booking_unrelated_question_goes_back() -> None:
    store, seats = MemoryStore(), SeatDesk("FLT-322")
    model = ScriptedModel([{"intent": "assign_flight_number"}, ASK_CONFIRMATION])
    thread = asyncio.run(seat_booking.launch(CHANGE, model=model, store=store, handlers=seats))
    assert thread.pending is not None
    model.add(
        {"intent": "transfer_to_triage_agent", "message": "How much does a checked bag cost?"}
    )
    said = "Before that, how much does a checked bag cost?"
    response = seat_booking.HumanResponse(call_id=thread.pending.call_id, text=said)
    thread = asyncio.run(
        seat_booking.resume(thread.id, response, model=model, store=store, handlers=seats)
    )
    assert thread.status == "done"
    assert thread.state.ended_by == "transfer_to_triage_agent"
    assert intents(thread) == ["assign_flight_number", "ask_passenger", "transfer_to_triage_agent"]
    assert (thread.state.flight_number, thread.state.seat_number) == ("FLT-322", "")
    assert seats.updates == []
