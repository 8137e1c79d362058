"""Port of LangGraph's customer-support tutorial (Swiss Airlines), Part 4 "Specialized Workflows".

Original: langchain-ai/langgraph, docs/docs/tutorials/customer-support/customer-support.ipynb
(read at 139cad373b6cf712d0b6d456c698559b59073812; now archived as
examples/customer-support/customer-support.ipynb). Ported as specs/travel_support.toml, generated
as generated.travel_support. The scenarios are deterministic slices of the tutorial's
`tutorial_questions` run (/tmp/ports/travel_support/scenarios.md), with its recorded data.

The tutorial's fetch_user_info node is the initial `fetching` state, whose only tool is
fetch_user_flight_information: every scenario's model calls it first. Read-only tools run at
once; the sensitive tools (LangGraph's `interrupt_before`) wait for the user's approval, who reads
the rendered `summary`; a denial's comment is what the model reads next.
"""

from __future__ import annotations

import asyncio
import tomllib
from typing import Any

from agentgen.runtime import MemoryStore, ModelOutput, ModelRequest, ScriptedModel
from generated.travel_support import (
    Approval,
    Thread,
    ToolContext,
    UserMessage,
    launch,
    load_thread,
    resume,
)
from generated.travel_support.events import (
    ApprovalEvent,
    ErrorEvent,
    ToolCallEvent,
    ToolResultEvent,
)
from generated.travel_support.events import Response as PersonResponse
from tests.agent_cli import ROOT

NOW = "2024-04-25 09:00:00-04:00"
VARS = {"passenger_id": "3442 587242", "now": NOW}

SPEC = tomllib.loads((ROOT / "specs" / "travel_support.toml").read_text(encoding="utf-8"))
PRIMARY, FLIGHTS, CARS, HOTELS, EXCURSIONS = (
    "primary_assistant",
    "flight_updates",
    "car_rental",
    "hotel_booking",
    "excursions",
)


def system_of(state: str) -> str:
    """The system prompt the spec gives `state`, with the launch's `now`; else [prompts] system."""
    text: str = SPEC["states"][state].get("system", SPEC["prompts"]["system"])
    return text.replace("{{ now }}", NOW)


# The tutorial's recorded rows: before the rebooking (flight 19250, April 30) and after (19238).
TICKET_APRIL_30 = {
    "ticket_no": "7240005432906569",
    "book_ref": "C46E9F",
    "flight_id": 19250,
    "flight_no": "LX0112",
    "departure_airport": "CDG",
    "arrival_airport": "BSL",
    "scheduled_departure": "2024-04-30 12:09:03.561731-04:00",
    "scheduled_arrival": "2024-04-30 13:39:03.561731-04:00",
    "seat_no": "18E",
    "fare_conditions": "Economy",
}
TICKET_MAY_8 = {
    **TICKET_APRIL_30,
    "flight_id": 19238,
    "scheduled_departure": "2024-05-08 12:09:03.561731-04:00",
    "scheduled_arrival": "2024-05-08 13:39:03.561731-04:00",
}
FETCH = {"intent": "fetch_user_flight_information"}
RESUMING = (
    "Resuming dialog with the host assistant. Please reflect on the past conversation and "
    "assist the user as needed."
)


def reply(message: str) -> dict[str, Any]:
    return {"intent": "reply_to_customer", "message": message}


class RecordingModel:
    """A Model around a ScriptedModel that keeps what each request showed the model."""

    def __init__(self, *steps: dict[str, Any]) -> None:
        self.scripted = ScriptedModel(steps)
        self.requests: list[ModelRequest] = []

    def add(self, *steps: dict[str, Any]) -> None:
        self.scripted.add(*steps)

    async def next_step(self, request: ModelRequest) -> ModelOutput:
        self.requests.append(request)
        return await self.scripted.next_step(request)

    @property
    def systems(self) -> list[str]:
        return [request.system for request in self.requests]

    @property
    def offered(self) -> list[list[str]]:
        return [[intent.name for intent in request.intents] for request in self.requests]


class FakeHandlers:
    """One handler per tool in `results`, returning its result; records each call and its vars."""

    def __init__(self, results: dict[str, Any]) -> None:
        self.results = results
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.passengers: list[str] = []

    def __getattr__(self, name: str) -> Any:
        if name not in self.results:  # a tool the scenario does not expect to run
            raise AttributeError(name)

        def handler(call: Any, ctx: ToolContext[Any]) -> Any:
            self.calls.append((name, call.model_dump(mode="json", exclude={"intent"})))
            self.passengers.append(ctx.vars.passenger_id)
            return self.results[name]

        return handler


class Session:
    """One thread of a scenario: the model, the store and the fake handlers it runs with."""

    def __init__(self, model: RecordingModel, handlers: FakeHandlers) -> None:
        self.model, self.handlers, self.store = model, handlers, MemoryStore()

    def launch(self, message: str) -> Thread:
        return asyncio.run(
            launch(message, model=self.model, store=self.store, handlers=self.handlers, vars=VARS)
        )

    def resume(self, thread: Thread, response: PersonResponse) -> Thread:
        return asyncio.run(
            resume(thread.id, response, model=self.model, store=self.store, handlers=self.handlers)
        )

    def approve(self, thread: Thread) -> Thread:
        assert thread.pending is not None
        return self.resume(thread, Approval(call_id=thread.pending.call_id, approved=True))

    def deny(self, thread: Thread, comment: str) -> Thread:
        assert thread.pending is not None
        denial = Approval(call_id=thread.pending.call_id, approved=False, comment=comment)
        return self.resume(thread, denial)

    def reload(self, thread: Thread) -> Thread:
        return asyncio.run(load_thread(thread.id, self.store))


def intents(thread: Thread) -> list[str]:
    """The intents the model chose that were recorded as calls, in order."""
    return [event.call.intent for event in thread.events if isinstance(event, ToolCallEvent)]


def results(thread: Thread) -> list[tuple[str, Any]]:
    return [(e.intent, e.result) for e in thread.events if isinstance(e, ToolResultEvent)]


def approvals(thread: Thread) -> list[tuple[str, bool, str | None]]:
    """(intent of the call, approved, comment) for each approval event."""
    calls = {e.call_id: e.call.intent for e in thread.events if isinstance(e, ToolCallEvent)}
    return [
        (calls[e.call_id], e.approved, e.comment)
        for e in thread.events
        if isinstance(e, ApprovalEvent)
    ]


def user_info(thread: Thread) -> list[dict[str, Any]]:
    return [row.model_dump(mode="json") for row in thread.state.user_info]


def booked(thread: Thread) -> dict[str, int]:
    state = thread.state
    return {
        "new_flight_id": state.new_flight_id,
        "booked_hotel_id": state.booked_hotel_id,
        "booked_car_rental_id": state.booked_car_rental_id,
        "booked_excursion_id": state.booked_excursion_id,
    }


NOTHING_BOOKED = {
    "new_flight_id": 0,
    "booked_hotel_id": 0,
    "booked_car_rental_id": 0,
    "booked_excursion_id": 0,
}


# --- 1. what_time_is_my_flight (tutorial_questions[0]) -------------------------------------------


def test_what_time_is_my_flight_fetches_the_tickets_first_then_answers() -> None:
    answer = (
        "Your flight LX0112 from Paris (CDG) to Basel (BSL) departs on April 30 at 12:09 and "
        "arrives at 13:39. You are in seat 18E, Economy."
    )
    model = RecordingModel(FETCH, reply(answer))
    handlers = FakeHandlers({"fetch_user_flight_information": [TICKET_APRIL_30]})
    session = Session(model, handlers)
    thread = session.launch("Hi there, what time is my flight?")

    assert thread.status == "done"
    assert thread.state.ended_by == "reply_to_customer"
    assert thread.state.current_state == PRIMARY
    assert intents(thread) == ["fetch_user_flight_information", "reply_to_customer"]
    assert user_info(thread) == [TICKET_APRIL_30]
    assert booked(thread) == NOTHING_BOOKED
    # the fetch_user_info node: its call and result right after thread_started and the message
    assert [event.type for event in thread.events] == [
        "thread_started",
        "user_message",
        "tool_call",
        "tool_result",
        "tool_call",
    ]
    assert results(thread) == [("fetch_user_flight_information", [TICKET_APRIL_30])]
    assert handlers.calls == [("fetch_user_flight_information", {})]
    assert handlers.passengers == ["3442 587242"]  # config["configurable"]["passenger_id"]
    # the fetching state offers its one tool (and the answer), under the agent's own prompt
    assert model.offered == [
        ["fetch_user_flight_information", "reply_to_customer"],
        [
            "tavily_search_results_json",
            "search_flights",
            "lookup_policy",
            "to_flight_booking_assistant",
            "to_book_car_rental",
            "to_hotel_booking_assistant",
            "to_book_excursion",
            "reply_to_customer",
        ],
    ]
    assert model.systems == [
        "You are a helpful customer support assistant for Swiss Airlines.",
        system_of(PRIMARY),
    ]
    assert model.requests[0].prompt.endswith("Fetch the user's flight information first.")
    assert model.systems[1].endswith(f"Current time: {NOW}.")
    # the primary assistant reads the fetched tickets in its thread
    assert "<fetch_user_flight_information/><result>\n- ticket_no: '7240005432906569'\n" in (
        model.requests[1].prompt
    )
    assert session.reload(thread).state == thread.state


def test_the_model_must_fetch_the_tickets_before_anything_else() -> None:
    policy = {"intent": "lookup_policy", "query": "changing flights same day"}
    model = RecordingModel(policy, FETCH, reply("Your flight leaves on April 30 at 12:09."))
    handlers = FakeHandlers({"fetch_user_flight_information": [TICKET_APRIL_30]})
    thread = Session(model, handlers).launch("Hi there, what time is my flight?")

    assert thread.status == "done"
    assert intents(thread) == ["fetch_user_flight_information", "reply_to_customer"]
    errors = [(e.source, e.intent, e.message) for e in thread.events if isinstance(e, ErrorEvent)]
    assert errors == [
        (
            "model",
            "lookup_policy",
            "intent 'lookup_policy' is not allowed now; choose one of: "
            "fetch_user_flight_information, reply_to_customer",
        )
    ]
    assert handlers.calls == [("fetch_user_flight_information", {})]  # lookup_policy never ran
    assert model.systems == [system_of("fetching"), system_of("fetching"), system_of(PRIMARY)]


# --- 2. policy_question (tutorial_questions[1]) --------------------------------------------------


def test_policy_question_runs_a_safe_tool_without_approval() -> None:
    policy = (
        "## Booking and Cancellation\n1. How can I change my booking?\n* The ticket number must "
        "start with 724 (SWISS ticket no./plate). ..."
    )
    answer = (
        "Your ticket starts with 724, so it can be rebooked, but not onto a flight that leaves "
        "less than 3 hours from now. Would you like me to look for one?"
    )
    lookup = {"intent": "lookup_policy", "query": "changing flights same day"}
    model = RecordingModel(FETCH, lookup, reply(answer))
    handlers = FakeHandlers(
        {"fetch_user_flight_information": [TICKET_APRIL_30], "lookup_policy": policy}
    )
    thread = Session(model, handlers).launch(
        "Am i allowed to update my flight to something sooner? I want to leave later today."
    )

    assert thread.status == "done"
    assert thread.state.current_state == PRIMARY
    assert intents(thread) == [
        "fetch_user_flight_information",
        "lookup_policy",
        "reply_to_customer",
    ]
    assert approvals(thread) == []
    assert results(thread) == [
        ("fetch_user_flight_information", [TICKET_APRIL_30]),
        ("lookup_policy", policy),
    ]
    assert handlers.calls[1] == ("lookup_policy", {"query": "changing flights same day"})
    assert booked(thread) == NOTHING_BOOKED
    assert model.systems == [system_of("fetching"), system_of(PRIMARY), system_of(PRIMARY)]


# --- 3. rebook_flight_next_week (tutorial_questions[2] and [3]) ----------------------------------


def test_rebook_flight_next_week_asks_approval_with_its_summary_then_hands_back() -> None:
    search = {
        "intent": "search_flights",
        "departure_airport": "CDG",
        "arrival_airport": "BSL",
        "start_time": "2024-05-06",
        "end_time": "2024-05-13",
    }
    found = [
        {
            "flight_id": 19238,
            "flight_no": "LX0112",
            "scheduled_departure": "2024-05-08 12:09:03.561731-04:00",
            "departure_airport": "CDG",
            "arrival_airport": "BSL",
            "status": "Scheduled",
        }
    ]
    delegate = {
        "intent": "to_flight_booking_assistant",
        "request": "Move ticket 7240005432906569 (LX0112 CDG to BSL) to a flight next week.",
    }
    question = (
        "The next available flight is LX0112 on May 8 at 12:09. Shall I move your ticket to it?"
    )
    model = RecordingModel(FETCH, delegate, search, reply(question))
    handlers = FakeHandlers(
        {
            "fetch_user_flight_information": [TICKET_APRIL_30],
            "to_flight_booking_assistant": "The assistant is now the Flight Updates & Booking "
            "Assistant. ...",
            "search_flights": found,
            "update_ticket_to_new_flight": "Ticket successfully updated to new flight.",
            "complete_or_escalate": RESUMING,
        }
    )
    session = Session(model, handlers)
    thread = session.launch("Update my flight to sometime next week then")

    # the specialized assistant asked the user: done for now, still in charge of the dialog
    assert (thread.status, thread.state.current_state) == ("done", FLIGHTS)
    assert handlers.calls[2] == (
        "search_flights",
        {
            "departure_airport": "CDG",
            "arrival_airport": "BSL",
            "start_time": "2024-05-06",
            "end_time": "2024-05-13",
            "limit": 20,
        },
    )

    update = {
        "intent": "update_ticket_to_new_flight",
        "ticket_no": "7240005432906569",
        "new_flight_id": 19238,
    }
    model.add(update)
    thread = session.resume(thread, UserMessage(text="The next available option is great"))
    assert thread.status == "awaiting_approval"
    assert thread.pending is not None
    assert thread.pending.intent == "update_ticket_to_new_flight"
    assert thread.pending.args == {"ticket_no": "7240005432906569", "new_flight_id": 19238}
    assert thread.pending.summary == "Move ticket 7240005432906569 to flight 19238"
    assert [name for name, _ in handlers.calls] == [
        "fetch_user_flight_information",
        "to_flight_booking_assistant",
        "search_flights",
    ]  # not run before the approval
    assert thread.state.new_flight_id == 0

    model.add(
        {
            "intent": "complete_or_escalate",
            "cancel": True,
            "reason": "I have fully completed the task.",
        },
        reply("Done: your ticket is now on LX0112, May 8 at 12:09, CDG to BSL."),
    )
    thread = session.approve(thread)
    assert thread.status == "done"
    assert thread.state.current_state == PRIMARY
    assert intents(thread) == [
        "fetch_user_flight_information",
        "to_flight_booking_assistant",
        "search_flights",
        "reply_to_customer",
        "update_ticket_to_new_flight",
        "complete_or_escalate",
        "reply_to_customer",
    ]
    assert approvals(thread) == [("update_ticket_to_new_flight", True, None)]
    assert handlers.calls[3:] == [
        ("update_ticket_to_new_flight", {"ticket_no": "7240005432906569", "new_flight_id": 19238}),
        ("complete_or_escalate", {"cancel": True, "reason": "I have fully completed the task."}),
    ]
    assert results(thread)[3:] == [
        ("update_ticket_to_new_flight", "Ticket successfully updated to new flight."),
        ("complete_or_escalate", RESUMING),
    ]
    assert booked(thread) == {**NOTHING_BOOKED, "new_flight_id": 19238}
    # each state's own instructions, in the order the dialog moved through them
    assert model.systems == [
        system_of("fetching"),
        system_of(PRIMARY),
        system_of(FLIGHTS),
        system_of(FLIGHTS),
        system_of(FLIGHTS),  # the user's message went back to the workflow in charge
        system_of(FLIGHTS),
        system_of(PRIMARY),
    ]
    assert model.offered[2] == [
        "search_flights",
        "update_ticket_to_new_flight",
        "cancel_ticket",
        "complete_or_escalate",
        "reply_to_customer",
    ]
    assert session.reload(thread).state == thread.state


# --- 4. hotel_denied_then_approved (tutorial_questions[5] and [6]) -------------------------------


def test_hotel_denied_with_a_reason_the_model_reads_then_another_approved() -> None:
    hotels = [
        {"id": 1, "name": "Hilton Basel", "location": "Basel", "price_tier": "Luxury", "booked": 0},
        {
            "id": 3,
            "name": "Hyatt Regency Basel",
            "location": "Basel",
            "price_tier": "Upper Upscale",
            "booked": 0,
        },
        {
            "id": 8,
            "name": "Holiday Inn Basel",
            "location": "Basel",
            "price_tier": "Upper Midscale",
            "booked": 0,
        },
    ]
    delegate = {
        "intent": "to_hotel_booking_assistant",
        "location": "Basel",
        "checkin_date": "2024-05-08",
        "checkout_date": "2024-05-15",
        "request": "An affordable hotel for 7 nights. The user also wants to rent a car.",
    }
    search = {"intent": "search_hotels", "location": "Basel", "price_tier": "Midscale"}
    model = RecordingModel(FETCH, delegate, search, {"intent": "book_hotel", "hotel_id": 1})
    handlers = FakeHandlers(
        {
            "fetch_user_flight_information": [TICKET_MAY_8],
            "to_hotel_booking_assistant": "The assistant is now the Hotel Booking Assistant. ...",
            "search_hotels": hotels,
            "book_hotel": "Hotel 8 successfully booked.",
        }
    )
    session = Session(model, handlers)
    thread = session.launch(
        "Yeah i think i'd like an affordable hotel for my week-long stay (7 days). "
        "And I'll want to rent a car."
    )
    assert thread.status == "awaiting_approval"
    assert thread.pending is not None
    assert (thread.pending.intent, thread.pending.args) == ("book_hotel", {"hotel_id": 1})
    assert thread.pending.summary == "Book hotel 1"

    model.add({"intent": "book_hotel", "hotel_id": 8})
    reason = "That's the Hilton, too expensive. Book the Holiday Inn instead."
    thread = session.deny(thread, reason)
    assert thread.status == "awaiting_approval"
    assert thread.pending is not None
    assert (thread.pending.intent, thread.pending.args) == ("book_hotel", {"hotel_id": 8})
    assert thread.pending.summary == "Book hotel 8"
    # the denial's comment is what the model read when it chose the Holiday Inn
    assert model.requests[-1].prompt.endswith(
        f'<book_hotel hotel_id=1/><denied comment="{reason}"/>\n\nWhat should the next step be?'
    )
    assert model.systems[-1] == system_of(HOTELS)  # denied, still the hotel assistant
    assert thread.state.booked_hotel_id == 0  # the denied call set nothing

    model.add(
        reply(
            "You're booked at the Holiday Inn Basel from May 8 to May 15. "
            "Shall we look at rental cars next?"
        )
    )
    thread = session.approve(thread)
    assert thread.status == "done"
    # the assistant answered without escalating: the user's next message goes to the hotels
    assert thread.state.current_state == HOTELS
    assert intents(thread) == [
        "fetch_user_flight_information",
        "to_hotel_booking_assistant",
        "search_hotels",
        "book_hotel",
        "book_hotel",
        "reply_to_customer",
    ]
    assert approvals(thread) == [("book_hotel", False, reason), ("book_hotel", True, None)]
    assert [call for call in handlers.calls if call[0] == "book_hotel"] == [
        ("book_hotel", {"hotel_id": 8})
    ]
    assert results(thread)[-1] == ("book_hotel", "Hotel 8 successfully booked.")
    assert booked(thread) == {**NOTHING_BOOKED, "booked_hotel_id": 8}
    assert user_info(thread) == [TICKET_MAY_8]


# --- 5. cheapest_car_for_seven_days (tutorial_questions[9]) --------------------------------------


def test_the_primary_assistant_cannot_book_a_car_itself_then_delegates() -> None:
    cars = [
        {"id": 1, "name": "Europcar", "location": "Basel", "price_tier": "Economy", "booked": 0},
        {"id": 2, "name": "Avis", "location": "Basel", "price_tier": "Luxury", "booked": 0},
        {"id": 7, "name": "Enterprise", "location": "Basel", "price_tier": "Premium", "booked": 0},
        {"id": 9, "name": "Thrifty", "location": "Basel", "price_tier": "Midsize", "booked": 0},
    ]
    book = {"intent": "book_car_rental", "rental_id": 1}
    delegate = {
        "intent": "to_book_car_rental",
        "location": "Basel",
        "start_date": "2024-05-08",
        "end_date": "2024-05-15",
        "request": "The cheapest car, for 7 days.",
    }
    search = {"intent": "search_car_rentals", "location": "Basel"}
    model = RecordingModel(FETCH, book, delegate, search, book)
    handlers = FakeHandlers(
        {
            "fetch_user_flight_information": [TICKET_MAY_8],
            "to_book_car_rental": "The assistant is now the Car Rental Assistant. ...",
            "search_car_rentals": cars,
            "book_car_rental": "Car rental 1 successfully booked.",
            "complete_or_escalate": RESUMING,
        }
    )
    session = Session(model, handlers)
    thread = session.launch(
        "Awesome let's just get the cheapest option. Go ahead and book for 7 days"
    )
    assert thread.status == "awaiting_approval"
    assert thread.pending is not None
    assert (thread.pending.intent, thread.pending.args) == ("book_car_rental", {"rental_id": 1})
    assert thread.pending.summary == "Book car rental 1"
    # the primary assistant's own try: one error event, right after the fetch, and no approval
    assert [event.type for event in thread.events[2:6]] == [
        "tool_call",
        "tool_result",
        "error",
        "tool_call",
    ]
    refused = thread.events[4]
    assert isinstance(refused, ErrorEvent)
    assert (refused.source, refused.intent, refused.call_id) == ("model", "book_car_rental", None)
    assert refused.message == (
        "intent 'book_car_rental' is not allowed now; choose one of: tavily_search_results_json, "
        "search_flights, lookup_policy, to_flight_booking_assistant, to_book_car_rental, "
        "to_hotel_booking_assistant, to_book_excursion, reply_to_customer"
    )

    model.add(
        {
            "intent": "complete_or_escalate",
            "cancel": True,
            "reason": "Car rental booking confirmed",
        },
        reply("Booked: a Europcar economy car in Basel from May 8 to May 15."),
    )
    thread = session.approve(thread)
    assert thread.status == "done"
    assert thread.state.current_state == PRIMARY
    assert intents(thread) == [
        "fetch_user_flight_information",
        "to_book_car_rental",
        "search_car_rentals",
        "book_car_rental",
        "complete_or_escalate",
        "reply_to_customer",
    ]
    assert [e.intent for e in thread.events if isinstance(e, ErrorEvent)] == ["book_car_rental"]
    assert approvals(thread) == [("book_car_rental", True, None)]
    assert [name for name, _ in handlers.calls] == [
        "fetch_user_flight_information",
        "to_book_car_rental",
        "search_car_rentals",
        "book_car_rental",
        "complete_or_escalate",
    ]
    assert handlers.calls[2] == (
        "search_car_rentals",
        {
            "location": "Basel",
            "name": None,
            "price_tier": None,
            "start_date": None,
            "end_date": None,
        },
    )
    assert results(thread)[2] == ("search_car_rentals", cars)
    assert booked(thread) == {**NOTHING_BOOKED, "booked_car_rental_id": 1}
    assert model.systems == [
        system_of("fetching"),
        system_of(PRIMARY),
        system_of(PRIMARY),
        system_of(CARS),
        system_of(CARS),
        system_of(CARS),
        system_of(PRIMARY),
    ]


# --- 6. museum_on_second_day (tutorial_questions[12] and [13]) -----------------------------------


def test_museum_the_users_next_message_goes_straight_to_the_excursion_assistant() -> None:
    museum = {
        "id": 2,
        "name": "Kunstmuseum Basel",
        "location": "Basel",
        "keywords": "art, museum",
        "details": "Explore the extensive art collection at the Kunstmuseum Basel.",
        "booked": 0,
    }
    delegate = {
        "intent": "to_book_excursion",
        "location": "Basel",
        "request": "The user likes museums.",
    }
    search = {"intent": "search_trip_recommendations", "location": "Basel", "keywords": "museum"}
    question = (
        "In Basel there is the Kunstmuseum Basel, with an extensive art collection. "
        "Shall I book it?"
    )
    model = RecordingModel(FETCH, delegate, search, reply(question))
    handlers = FakeHandlers(
        {
            "fetch_user_flight_information": [TICKET_MAY_8],
            "to_book_excursion": "The assistant is now the Trip Recommendation Assistant. ...",
            "search_trip_recommendations": [museum],
            "book_excursion": "Trip recommendation 2 successfully booked.",
        }
    )
    session = Session(model, handlers)
    thread = session.launch("interesting - i like the museums, what options are there? ")
    assert (thread.status, thread.state.current_state) == ("done", EXCURSIONS)

    model.add({"intent": "book_excursion", "recommendation_id": 2})
    thread = session.resume(
        thread, UserMessage(text="OK great pick one and book it for my second day there.")
    )
    assert thread.status == "awaiting_approval"
    assert thread.pending is not None
    assert thread.pending.intent == "book_excursion"
    assert thread.pending.args == {"recommendation_id": 2}
    assert thread.pending.summary == "Book excursion 2"
    assert model.systems[-1] == system_of(EXCURSIONS)  # route_to_workflow
    assert model.offered[-1] == [
        "search_trip_recommendations",
        "book_excursion",
        "update_excursion",
        "cancel_excursion",
        "complete_or_escalate",
        "reply_to_customer",
    ]

    model.add(reply("Booked: the Kunstmuseum Basel on May 9, your second day."))
    thread = session.approve(thread)
    assert thread.status == "done"
    assert thread.state.current_state == EXCURSIONS
    assert intents(thread) == [
        "fetch_user_flight_information",
        "to_book_excursion",
        "search_trip_recommendations",
        "reply_to_customer",
        "book_excursion",
        "reply_to_customer",
    ]
    assert approvals(thread) == [("book_excursion", True, None)]
    assert handlers.calls[-1] == ("book_excursion", {"recommendation_id": 2})
    assert results(thread)[-1] == ("book_excursion", "Trip recommendation 2 successfully booked.")
    assert booked(thread) == {**NOTHING_BOOKED, "booked_excursion_id": 2}
    assert model.systems == [
        system_of("fetching"),
        system_of(PRIMARY),
        system_of(EXCURSIONS),
        system_of(EXCURSIONS),
        system_of(EXCURSIONS),
        system_of(EXCURSIONS),
    ]


# --- 7. cancel_denied_user_changes_mind -----------------------------------------------------------


def test_a_denied_cancellation_never_runs_and_the_assistant_hands_back() -> None:
    delegate = {
        "intent": "to_flight_booking_assistant",
        "request": "Cancel ticket 7240005432906569.",
    }
    cancel = {"intent": "cancel_ticket", "ticket_no": "7240005432906569"}
    model = RecordingModel(FETCH, delegate, cancel)
    handlers = FakeHandlers(  # no cancel_ticket: it must never run
        {
            "fetch_user_flight_information": [TICKET_APRIL_30],
            "to_flight_booking_assistant": "The assistant is now the Flight Updates & Booking "
            "Assistant. ...",
            "complete_or_escalate": RESUMING,
        }
    )
    session = Session(model, handlers)
    thread = session.launch("Please cancel my flight.")
    assert thread.status == "awaiting_approval"
    assert thread.pending is not None
    assert thread.pending.intent == "cancel_ticket"
    assert thread.pending.args == {"ticket_no": "7240005432906569"}
    assert thread.pending.summary == "Cancel ticket 7240005432906569"
    cancel_id = thread.pending.call_id

    escalate = {
        "intent": "complete_or_escalate",
        "cancel": True,
        "reason": "User changed their mind about the current task.",
    }
    answer = "No problem, I have left your booking on LX0112 as it is. Anything else?"
    model.add(escalate, reply(answer))
    thread = session.deny(thread, "nevermind, keep it")
    assert thread.status == "done"
    assert thread.state.current_state == PRIMARY
    assert intents(thread) == [
        "fetch_user_flight_information",
        "to_flight_booking_assistant",
        "cancel_ticket",
        "complete_or_escalate",
        "reply_to_customer",
    ]
    denial = [e for e in thread.events if isinstance(e, ApprovalEvent)]
    assert [(e.call_id, e.approved, e.comment, e.edited) for e in denial] == [
        (cancel_id, False, "nevermind, keep it", None)
    ]
    assert [intent for intent, _ in results(thread)] == [
        "fetch_user_flight_information",
        "to_flight_booking_assistant",
        "complete_or_escalate",
    ]  # no cancel_ticket result
    assert [e for e in thread.events if isinstance(e, ErrorEvent)] == []
    assert handlers.calls[-1] == (
        "complete_or_escalate",
        {"cancel": True, "reason": "User changed their mind about the current task."},
    )
    assert booked(thread) == NOTHING_BOOKED
    # the flight assistant read the user's reason, then handed back to the primary assistant
    denied = '<cancel_ticket ticket_no="7240005432906569"/><denied comment="nevermind, keep it"/>'
    assert denied in model.requests[3].prompt
    assert model.systems[3:] == [system_of(FLIGHTS), system_of(PRIMARY)]
    assert session.reload(thread).state == thread.state
