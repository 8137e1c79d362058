"""The seat_booking agent's tool handlers: your code.

agentgen writes this file once and never overwrites it. Each function is named after its tool,
takes the typed call and returns the result (sync or async). A handler that raises becomes a
short error event in the thread, which the model sees on its next step.
"""

from __future__ import annotations

from .tools import AssignFlightNumber, UpdateSeat


def assign_flight_number(call: AssignFlightNumber) -> str:
    """Assign the flight number of this booking (run once, when the agent starts)."""
    raise NotImplementedError("handler 'assign_flight_number' is not written yet: see handlers.py")


def update_seat(call: UpdateSeat) -> str:
    """Update the seat for a given confirmation number."""
    raise NotImplementedError("handler 'update_seat' is not written yet: see handlers.py")
