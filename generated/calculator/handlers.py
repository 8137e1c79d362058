"""The calculator agent's tool handlers: your code.

agentgen writes this file once and never overwrites it. Each function is named after its tool,
takes the typed call and returns the result (sync or async). A handler that raises becomes a
short error event in the thread, which the model sees on its next step.
"""

from __future__ import annotations

from .tools import Add, Divide, Multiply, Subtract


def add(call: Add) -> float:
    """Add two numbers."""
    return call.a + call.b


def subtract(call: Subtract) -> float:
    """Subtract b from a."""
    return call.a - call.b


def multiply(call: Multiply) -> float:
    """Multiply two numbers."""
    return call.a * call.b


def divide(call: Divide) -> float:
    """Divide a by b; dividing by zero raises, and the model sees the error."""
    return call.a / call.b
