"""The airline_service agent's tool handlers: your code.

agentgen writes this file once and never overwrites it. Each function is named after its tool,
takes the typed call and returns the result (sync or async). A handler that raises becomes a
short error event in the thread, which the model sees on its next step.
"""

from __future__ import annotations

from typing import Any

from .tools import (
    FaqLookupTool,
    TransferToFaqAgent,
    TransferToSeatBookingAgent,
    TransferToTriageAgent,
    UpdateSeat,
)


def faq_lookup_tool(call: FaqLookupTool) -> str:
    """Lookup frequently asked questions."""
    raise NotImplementedError("handler 'faq_lookup_tool' is not written yet: see handlers.py")


def update_seat(call: UpdateSeat) -> str:
    """Update the seat for a given confirmation number."""
    raise NotImplementedError("handler 'update_seat' is not written yet: see handlers.py")


def transfer_to_faq_agent(call: TransferToFaqAgent) -> Any:
    """Handoff to the FAQ Agent agent to handle the request. A helpful agent that can answer questions about the airline."""
    raise NotImplementedError("handler 'transfer_to_faq_agent' is not written yet: see handlers.py")


def transfer_to_seat_booking_agent(call: TransferToSeatBookingAgent) -> str:
    """Handoff to the Seat Booking Agent agent to handle the request. A helpful agent that can update a seat on a flight."""
    raise NotImplementedError(
        "handler 'transfer_to_seat_booking_agent' is not written yet: see handlers.py"
    )


def transfer_to_triage_agent(call: TransferToTriageAgent) -> Any:
    """Handoff to the Triage Agent agent to handle the request. A triage agent that can delegate a customer's request to the appropriate agent."""
    raise NotImplementedError(
        "handler 'transfer_to_triage_agent' is not written yet: see handlers.py"
    )
