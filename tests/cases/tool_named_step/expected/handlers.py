"""The tool_named_step agent's tool handlers: your code.

agentgen writes this file once and never overwrites it. Each function is named after its tool,
takes the typed call and returns the result (sync or async). A handler that raises becomes a
short error event in the thread, which the model sees on its next step.
"""

from __future__ import annotations

from .tools import Step


def step(call: Step) -> str:
    """Look up how a service is doing."""
    raise NotImplementedError("handler 'step' is not written yet: see handlers.py")
