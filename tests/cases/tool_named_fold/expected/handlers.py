"""The tool_named_fold agent's tool handlers: your code.

agentgen writes this file once and never overwrites it. Each function is named after its tool,
takes the typed call and returns the result (sync or async). A handler that raises becomes a
short error event in the thread, which the model sees on its next step.
"""

from __future__ import annotations

from .tools import Fold


def fold(call: Fold) -> str:
    """Look up how a service is doing."""
    raise NotImplementedError("handler 'fold' is not written yet: see handlers.py")
