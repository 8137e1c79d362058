"""Port of the OpenAI Agents SDK customer-service example as one agent with per-state instructions.

Original: openai/openai-agents-python, `examples/customer_service/main.py` (read at 7f7a44f; the
handoff prefix from `src/agents/extensions/handoff_prompt.py`). The three SDK agents (Triage, FAQ,
Seat Booking) are the states of `specs/airline_service.toml`, each with its own `system`; a
handoff tool's success is a transition, and the customer's next input is a `UserMessage`. The
scenarios are those of the port's `scenarios.md` (`[[tests]]` written out), driven through the
public API of `generated.airline_service` with a ScriptedModel and fake handlers.
"""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path
from typing import Any

from agentgen.runtime import MemoryStore, ScriptedModel
from generated.airline_service import (
    FaqLookupTool,
    Thread,
    ToolContext,
    TransferToFaqAgent,
    TransferToSeatBookingAgent,
    TransferToTriageAgent,
    UpdateSeat,
    UserMessage,
    launch,
    resume,
)
from generated.airline_service.events import ErrorEvent, ToolCallEvent, ToolResultEvent

SPEC = tomllib.loads((Path(__file__).parents[1] / "specs" / "airline_service.toml").read_text())
SYSTEMS = {name: state["system"] for name, state in SPEC["states"].items()}

BAGGAGE = (
    "You are allowed to bring one bag on the plane. It must be under 50 pounds and "
    "22 inches x 14 inches x 9 inches."
)
UNKNOWN = "I'm sorry, I don't know the answer to that question."
WIFI = "We have free wifi on the plane, join Airline-Wifi"
FAQ = {"assistant": "FAQ Agent"}
TRIAGE = {"assistant": "Triage Agent"}


class Desk:
    """Fake handlers: each tool returns the scenario's result and records the call it got."""

    def __init__(self, **results: Any) -> None:
        self.results = results
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _result(self, name: str, call: Any) -> Any:
        self.calls.append((name, call.model_dump(exclude={"intent"})))
        return self.results[name]

    def faq_lookup_tool(self, call: FaqLookupTool) -> str:
        result: str = self._result("faq_lookup_tool", call)
        return result

    def update_seat(self, call: UpdateSeat, ctx: ToolContext) -> str:
        # the original's `assert context.context.flight_number is not None`
        if not ctx.state.flight_number:
            raise AssertionError("Flight number is required")
        result: str = self._result("update_seat", call)
        return result

    def transfer_to_faq_agent(self, call: TransferToFaqAgent) -> Any:
        return self._result("transfer_to_faq_agent", call)

    def transfer_to_seat_booking_agent(self, call: TransferToSeatBookingAgent) -> str:
        result: str = self._result("transfer_to_seat_booking_agent", call)
        return result

    def transfer_to_triage_agent(self, call: TransferToTriageAgent) -> Any:
        return self._result("transfer_to_triage_agent", call)


def start(message: str, model: ScriptedModel, store: MemoryStore, desk: Desk) -> Thread:
    return asyncio.run(launch(message, model=model, store=store, handlers=desk))


def say(thread: Thread, text: str, model: ScriptedModel, store: MemoryStore, desk: Desk) -> Thread:
    response = UserMessage(text=text)
    return asyncio.run(resume(thread.id, response, model=model, store=store, handlers=desk))


def intents(thread: Thread) -> list[str]:
    """The intents of the calls the thread recorded, in order."""
    return [event.call.intent for event in thread.events if isinstance(event, ToolCallEvent)]


def choices(thread: Thread) -> list[str]:
    """Every intent the model chose, a refused one (a model error naming it) included."""
    chosen: list[str] = []
    for event in thread.events:
        if isinstance(event, ToolCallEvent):
            chosen.append(event.call.intent)
        elif isinstance(event, ErrorEvent) and event.source == "model" and event.intent:
            chosen.append(event.intent)
    return chosen


def results(thread: Thread) -> list[tuple[str, Any]]:
    return [(e.intent, e.result) for e in thread.events if isinstance(e, ToolResultEvent)]


def replies(thread: Thread) -> list[str]:
    """What the customer was told: each reply_to_customer's message."""
    return [
        event.call.model_dump()["message"]
        for event in thread.events
        if isinstance(event, ToolCallEvent) and event.call.intent == "reply_to_customer"
    ]


def systems(model: ScriptedModel) -> list[str]:
    """Which state's instructions each model call was given."""
    names = {text: name for name, text in SYSTEMS.items()}
    return [names[request.system] for request in model.requests]


def offered(model: ScriptedModel) -> list[list[str]]:
    return [[intent.name for intent in request.intents] for request in model.requests]


def business(thread: Thread) -> dict[str, str]:
    state = thread.state
    return {
        "flight_number": state.flight_number,
        "confirmation_number": state.confirmation_number,
        "seat_number": state.seat_number,
        "passenger_name": state.passenger_name,
    }


def test_each_state_sends_the_model_its_own_instructions_and_tools() -> None:
    store, desk = MemoryStore(), Desk(transfer_to_faq_agent=FAQ, faq_lookup_tool=BAGGAGE)
    model = ScriptedModel([{"intent": "transfer_to_faq_agent"}])
    model.add({"intent": "faq_lookup_tool", "question": "What is the baggage allowance?"})
    model.add({"intent": "transfer_to_triage_agent"})
    model.add({"intent": "reply_to_customer", "message": "Anything else?"})
    desk.results["transfer_to_triage_agent"] = TRIAGE
    thread = start("What is the baggage allowance?", model, store, desk)
    model.add({"intent": "transfer_to_seat_booking_agent"})
    model.add({"intent": "reply_to_customer", "message": "What is your confirmation number?"})
    desk.results["transfer_to_seat_booking_agent"] = "FLT-123"
    thread = say(thread, "I'd like to change my seat.", model, store, desk)
    assert thread.status == "done"
    assert systems(model) == ["triage", "faq", "faq", "triage", "triage", "seat_booking"]
    triage, faq, seat_booking = (model.requests[i].system for i in (0, 1, 5))
    assert len({triage, faq, seat_booking}) == 3
    assert triage.endswith(
        "\n You are a helpful triaging agent. You can use your tools to delegate questions to "
        "other appropriate agents."
    )
    assert faq.endswith("3. If you cannot answer the question, transfer back to the triage agent.")
    assert seat_booking.endswith(
        "If the customer asks a question that is not related to the routine, transfer back to "
        "the triage agent."
    )
    # every state's instructions start with the SDK's handoff prefix, as the original's do
    prefix = "# System context\nYou are part of a multi-agent system called the Agents SDK"
    assert all(text.startswith(prefix) for text in (triage, faq, seat_booking))
    triage_tools = ["transfer_to_faq_agent", "transfer_to_seat_booking_agent", "reply_to_customer"]
    faq_tools = ["faq_lookup_tool", "transfer_to_triage_agent", "reply_to_customer"]
    seat_tools = ["update_seat", "transfer_to_triage_agent", "reply_to_customer"]
    assert offered(model) == [
        triage_tools,
        faq_tools,
        faq_tools,
        triage_tools,
        triage_tools,
        seat_tools,
    ]


def test_baggage_question() -> None:
    store, desk = MemoryStore(), Desk(transfer_to_faq_agent=FAQ, faq_lookup_tool=BAGGAGE)
    answer = (
        "You can bring one bag on the plane. It must be under 50 pounds and 22 x 14 x 9 inches."
    )
    model = ScriptedModel([{"intent": "transfer_to_faq_agent"}])
    model.add({"intent": "faq_lookup_tool", "question": "What is the baggage allowance?"})
    model.add({"intent": "reply_to_customer", "message": answer})
    thread = start("What is the baggage allowance?", model, store, desk)
    assert thread.status == "done"
    assert thread.pending is None
    assert intents(thread) == ["transfer_to_faq_agent", "faq_lookup_tool", "reply_to_customer"]
    assert results(thread) == [("transfer_to_faq_agent", FAQ), ("faq_lookup_tool", BAGGAGE)]
    assert desk.calls == [
        ("transfer_to_faq_agent", {}),
        ("faq_lookup_tool", {"question": "What is the baggage allowance?"}),
    ]
    assert replies(thread) == [answer]
    assert thread.state.current_state == "faq"
    assert thread.state.ended_by == "reply_to_customer"
    assert business(thread) == {
        "flight_number": "",
        "confirmation_number": "",
        "seat_number": "",
        "passenger_name": "",
    }
    assert systems(model) == ["triage", "faq", "faq"]
    assert model.remaining == 0


def test_unknown_question_goes_back_to_triage() -> None:
    desk = Desk(transfer_to_faq_agent=FAQ, faq_lookup_tool=UNKNOWN, transfer_to_triage_agent=TRIAGE)
    store = MemoryStore()
    answer = (
        "I'm sorry, I don't have information about store hours. I can help with baggage, "
        "seats, wifi or changing your seat."
    )
    model = ScriptedModel([{"intent": "transfer_to_faq_agent"}])
    model.add({"intent": "faq_lookup_tool", "question": "What are your store hours?"})
    model.add({"intent": "transfer_to_triage_agent"})
    model.add({"intent": "reply_to_customer", "message": answer})
    thread = start("What are your store hours?", model, store, desk)
    assert thread.status == "done"
    assert intents(thread) == [
        "transfer_to_faq_agent",
        "faq_lookup_tool",
        "transfer_to_triage_agent",
        "reply_to_customer",
    ]
    assert results(thread) == [
        ("transfer_to_faq_agent", FAQ),
        ("faq_lookup_tool", UNKNOWN),
        ("transfer_to_triage_agent", TRIAGE),
    ]
    assert thread.state.current_state == "triage"
    assert systems(model) == ["triage", "faq", "faq", "triage"]
    assert replies(thread) == [answer]
    assert model.remaining == 0


def test_change_seat_over_three_turns() -> None:
    desk = Desk(
        transfer_to_seat_booking_agent="FLT-123",
        update_seat="Updated seat to 14C for confirmation number ABC123",
    )
    store = MemoryStore()
    model = ScriptedModel([{"intent": "transfer_to_seat_booking_agent"}])
    model.add({"intent": "reply_to_customer", "message": "Sure. What is your confirmation number?"})
    thread = start("I'd like to change my seat.", model, store, desk)
    assert thread.status == "done"
    assert thread.state.current_state == "seat_booking"
    assert thread.state.flight_number == "FLT-123"

    model.add({"intent": "reply_to_customer", "message": "Thanks. Which seat would you like?"})
    thread = say(thread, "ABC123", model, store, desk)
    assert thread.status == "done"
    assert thread.state.current_state == "seat_booking"  # the next message goes to seat booking

    model.add({"intent": "update_seat", "confirmation_number": "ABC123", "new_seat": "14C"})
    done = "Done: your seat is now 14C for confirmation number ABC123."
    model.add({"intent": "reply_to_customer", "message": done})
    thread = say(thread, "14C please", model, store, desk)
    assert thread.status == "done"
    assert intents(thread) == [
        "transfer_to_seat_booking_agent",
        "reply_to_customer",
        "reply_to_customer",
        "update_seat",
        "reply_to_customer",
    ]
    assert business(thread) == {
        "flight_number": "FLT-123",
        "confirmation_number": "ABC123",
        "seat_number": "14C",
        "passenger_name": "",
    }
    assert thread.state.current_state == "seat_booking"
    assert replies(thread) == [
        "Sure. What is your confirmation number?",
        "Thanks. Which seat would you like?",
        done,
    ]
    # the customer's answers are user messages, between the replies, in order
    assert [e.text for e in thread.events if e.type == "user_message"] == [
        "I'd like to change my seat.",
        "ABC123",
        "14C please",
    ]
    assert desk.calls == [
        ("transfer_to_seat_booking_agent", {}),
        ("update_seat", {"confirmation_number": "ABC123", "new_seat": "14C"}),
    ]
    assert systems(model) == [
        "triage",
        "seat_booking",
        "seat_booking",
        "seat_booking",
        "seat_booking",
    ]
    assert "<user_message>14C please</user_message>" in model.requests[3].prompt
    assert model.remaining == 0


def test_off_routine_question_during_seat_booking() -> None:
    desk = Desk(
        transfer_to_seat_booking_agent="FLT-456",
        transfer_to_triage_agent=TRIAGE,
        transfer_to_faq_agent=FAQ,
        faq_lookup_tool=WIFI,
    )
    store = MemoryStore()
    model = ScriptedModel([{"intent": "transfer_to_seat_booking_agent"}])
    ask = "Happy to help. What is your confirmation number?"
    model.add({"intent": "reply_to_customer", "message": ask})
    thread = start("I want a different seat.", model, store, desk)
    assert (thread.status, thread.state.current_state) == ("done", "seat_booking")

    model.add({"intent": "transfer_to_triage_agent"}, {"intent": "transfer_to_faq_agent"})
    model.add({"intent": "faq_lookup_tool", "question": "Is there wifi on the plane?"})
    wifi = "Yes, we have free wifi on the plane: join Airline-Wifi."
    model.add({"intent": "reply_to_customer", "message": wifi})
    thread = say(thread, "Actually, first: is there wifi on the plane?", model, store, desk)
    assert thread.status == "done"
    assert intents(thread) == [
        "transfer_to_seat_booking_agent",
        "reply_to_customer",
        "transfer_to_triage_agent",
        "transfer_to_faq_agent",
        "faq_lookup_tool",
        "reply_to_customer",
    ]
    assert thread.state.current_state == "faq"
    # the context object outlives the handoffs: the first handoff's flight number stays
    assert (thread.state.flight_number, thread.state.seat_number) == ("FLT-456", "")
    assert systems(model) == ["triage", "seat_booking", "seat_booking", "triage", "faq", "faq"]
    assert replies(thread) == [ask, wifi]
    assert model.remaining == 0


def test_seat_update_refused_outside_seat_booking() -> None:
    desk = Desk(
        transfer_to_seat_booking_agent="FLT-777",
        update_seat="Updated seat to 2A for confirmation number XYZ789",
    )
    store = MemoryStore()
    update = {"intent": "update_seat", "confirmation_number": "XYZ789", "new_seat": "2A"}
    model = ScriptedModel([update, {"intent": "transfer_to_seat_booking_agent"}, update])
    done = "Your seat is now 2A for confirmation number XYZ789."
    model.add({"intent": "reply_to_customer", "message": done})
    thread = start("Put me in seat 2A, confirmation XYZ789.", model, store, desk)
    assert thread.status == "done"
    assert choices(thread) == [
        "update_seat",
        "transfer_to_seat_booking_agent",
        "update_seat",
        "reply_to_customer",
    ]
    assert intents(thread) == ["transfer_to_seat_booking_agent", "update_seat", "reply_to_customer"]
    errors = [(e.source, e.intent, e.message) for e in thread.events if isinstance(e, ErrorEvent)]
    assert errors == [
        (
            "model",
            "update_seat",
            "intent 'update_seat' is not allowed now; choose one of: transfer_to_faq_agent, "
            "transfer_to_seat_booking_agent, reply_to_customer",
        )
    ]
    assert [event.type for event in thread.events][:4] == [
        "thread_started",
        "user_message",
        "error",
        "tool_call",
    ]
    # the refused call never reached its handler; the allowed one ran with the flight number set
    assert desk.calls == [
        ("transfer_to_seat_booking_agent", {}),
        ("update_seat", {"confirmation_number": "XYZ789", "new_seat": "2A"}),
    ]
    assert results(thread) == [
        ("transfer_to_seat_booking_agent", "FLT-777"),
        ("update_seat", "Updated seat to 2A for confirmation number XYZ789"),
    ]
    assert business(thread) == {
        "flight_number": "FLT-777",
        "confirmation_number": "XYZ789",
        "seat_number": "2A",
        "passenger_name": "",
    }
    assert thread.state.current_state == "seat_booking"
    assert "<error intent=\"update_seat\">intent 'update_seat' is not allowed now" in (
        model.requests[1].prompt
    )
    assert model.remaining == 0
