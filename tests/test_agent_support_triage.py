"""The generated support-triage agent: multiple-choice contacts, an always-approved refund."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

from agentgen.runtime import MemoryStore, ResponseRefused, ScriptedModel
from generated.support_triage import handlers
from generated.support_triage.agent import launch, resume
from generated.support_triage.events import (
    Approval,
    ErrorEvent,
    HumanResponse,
    Response,
    ToolResultEvent,
)
from generated.support_triage.state import Thread
from generated.support_triage.tools import Money

TICKET = "My kettle (order ord_1001) arrived broken. -- ana@example.com"
CHOOSE = {
    "intent": "choose_resolution",
    "question": "Broken on arrival, outside the policy window: what now?",
    "order_id": "ord_1001",
}
REFUND = {
    "intent": "issue_refund",
    "order_id": "ord_1001",
    "amount": {"amount": 42.5, "currency": "EUR"},
    "reason": "The kettle arrived broken.",
}
RESOLVE = {"intent": "resolve_ticket", "summary": "Refunded in full.", "category": "refunded"}


@pytest.fixture(autouse=True)
def fresh_shop(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example handlers keep a tiny shop in module globals: each test gets its own copy."""
    monkeypatch.setattr(handlers, "ORDERS", copy.deepcopy(handlers.ORDERS))
    monkeypatch.setattr(handlers, "TAGS", {})


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


def start(model: ScriptedModel, store: MemoryStore) -> Thread:
    return asyncio.run(launch(TICKET, model=model, store=store))


def answer(thread: Thread, response: Response, model: ScriptedModel, store: MemoryStore) -> Thread:
    return asyncio.run(resume(thread.id, response, model=model, store=store))


def results(thread: Thread) -> list[tuple[str, Any]]:
    return [(e.intent, e.result) for e in thread.events if isinstance(e, ToolResultEvent)]


def test_lookups_typed_results_and_state_fields(store: MemoryStore) -> None:
    model = ScriptedModel([{"intent": "lookup_customer", "email": "ana@example.com"}])
    model.add({"intent": "list_orders", "customer_id": "cus_ana", "status": "delivered"})
    model.add({"intent": "tag_ticket", "tag": "damaged_item", "priority": "urgent"}, RESOLVE)
    thread = start(model, store)
    assert thread.status == "done"
    customer, orders, tag = results(thread)
    # a pydantic model returned by a handler is stored as its JSON
    assert customer == (
        "lookup_customer",
        {
            "customer_id": "cus_ana",
            "email": "ana@example.com",
            "name": "Ana Lima",
            "tier": "premium",
        },
    )
    assert orders[1][0]["order_id"] == "ord_1001"
    assert tag == ("tag_ticket", {"tag": "damaged_item", "priority": "urgent"})
    assert (thread.state.customer_id, thread.state.ticket_tag) == ("cus_ana", "damaged_item")
    assert thread.state.last_refund == Money(amount=0, currency="EUR")  # the spec's default


def test_a_refund_always_waits_for_approval_then_sets_the_state(store: MemoryStore) -> None:
    model = ScriptedModel([REFUND])
    thread = start(model, store)
    assert thread.status == "awaiting_approval"
    assert thread.pending is not None
    assert thread.pending.intent == "issue_refund"
    assert thread.pending.args == {
        "order_id": "ord_1001",
        "amount": {"amount": 42.5, "currency": "EUR"},
        "reason": "The kettle arrived broken.",
    }
    assert handlers.ORDERS["cus_ana"][0]["status"] == "delivered"

    model.add(RESOLVE)
    thread = answer(thread, Approval(call_id=thread.pending.call_id, approved=True), model, store)
    assert thread.status == "done"
    assert results(thread) == [("issue_refund", Money(amount=42.5, currency="EUR"))]
    assert thread.state.last_refund == Money(amount=42.5, currency="EUR")
    assert handlers.ORDERS["cus_ana"][0]["status"] == "refunded"


def test_a_multiple_choice_answer_must_be_one_of_the_choices(store: MemoryStore) -> None:
    model = ScriptedModel([CHOOSE])
    thread = start(model, store)
    assert thread.status == "awaiting_human"
    assert thread.pending is not None
    assert thread.pending.intent == "choose_resolution"
    before = asyncio.run(store.load(thread.id))
    with pytest.raises(ResponseRefused) as refused:
        answer(thread, HumanResponse(call_id=thread.pending.call_id, text="refund"), model, store)
    assert str(refused.value) == (
        "answer 'refund' is not one of: full refund, partial refund, replacement, no action"
    )
    assert asyncio.run(store.load(thread.id)) == before

    model.add(REFUND)
    chosen = HumanResponse(call_id=thread.pending.call_id, text="full refund")
    thread = answer(thread, chosen, model, store)
    assert "<human_response>full refund</human_response>" in model.requests[-1].prompt
    assert thread.status == "awaiting_approval"


def test_a_refund_over_the_order_total_fails_in_the_handler(store: MemoryStore) -> None:
    too_much = {**REFUND, "amount": {"amount": 500, "currency": "EUR"}}
    model = ScriptedModel([too_much])
    thread = start(model, store)
    assert thread.pending is not None
    model.add(RESOLVE)
    thread = answer(thread, Approval(call_id=thread.pending.call_id, approved=True), model, store)
    messages = [event.message for event in thread.events if isinstance(event, ErrorEvent)]
    assert messages == ["ValueError: a refund cannot exceed the order total"]
    assert thread.state.last_refund == Money(amount=0, currency="EUR")
    assert handlers.ORDERS["cus_ana"][0]["status"] == "delivered"


def test_named_type_constraints_are_checked_before_anything_runs(store: MemoryStore) -> None:
    wrong_currency = {**REFUND, "amount": {"amount": 5, "currency": "JPY"}}
    model = ScriptedModel([wrong_currency, {**REFUND, "order_id": "1001"}, RESOLVE])
    thread = start(model, store)
    assert thread.status == "done"
    messages = [event.message for event in thread.events if isinstance(event, ErrorEvent)]
    assert messages == [
        "invalid args for 'issue_refund': amount.currency: Input should be 'EUR', 'USD' or 'GBP'",
        "invalid args for 'issue_refund': order_id: String should match pattern "
        "'^ord_[A-Za-z0-9]+$'",
    ]
