"""The support_triage agent's tool handlers: your code.

agentgen writes this file once and never overwrites it. Each function is named after its tool,
takes the typed call and returns the result (sync or async). A handler that raises becomes a
short error event in the thread, which the model sees on its next step.

This example keeps a tiny shop in memory; a real one would call the shop's API.
"""

from __future__ import annotations

from typing import Any

from .tools import Customer, IssueRefund, ListOrders, LookupCustomer, Money, TagTicket

CUSTOMERS = [
    Customer(customer_id="cus_ana", email="ana@example.com", name="Ana Lima", tier="premium"),
]
ORDERS: dict[str, list[dict[str, Any]]] = {
    "cus_ana": [
        {
            "order_id": "ord_1001",
            "status": "delivered",
            "total": {"amount": 42.5, "currency": "EUR"},
            "placed_at": "2026-11-02T10:15:00Z",
            "items": ["kettle"],
        }
    ]
}
TAGS: dict[str, str] = {}


def lookup_customer(call: LookupCustomer) -> Customer | None:
    """Find a customer by id or by email address."""
    for customer in CUSTOMERS:
        if call.customer_id in ("", customer.customer_id) and call.email in ("", customer.email):
            return customer
    return None


def list_orders(call: ListOrders) -> list[dict[str, Any]]:
    """List a customer's orders, newest first."""
    orders = ORDERS.get(call.customer_id, [])
    return [order for order in orders if call.status in ("any", order["status"])]


def issue_refund(call: IssueRefund) -> Money:
    """Refund part or all of an order to the customer's original payment method."""
    for orders in ORDERS.values():
        for order in orders:
            if order["order_id"] == call.order_id:
                if call.amount.amount > order["total"]["amount"]:
                    raise ValueError("a refund cannot exceed the order total")
                order["status"] = "refunded"
                return call.amount
    raise LookupError(f"unknown order {call.order_id!r}")


def tag_ticket(call: TagTicket) -> dict[str, str]:
    """Tag the ticket so that it reaches the right team."""
    TAGS[call.tag] = call.priority
    return {"tag": call.tag, "priority": call.priority}
