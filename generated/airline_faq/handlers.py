"""The airline_faq agent's tool handlers: your code.

agentgen writes this file once and never overwrites it. Each function is named after its tool,
takes the typed call and returns the result (sync or async). A handler that raises becomes a
short error event in the thread, which the model sees on its next step.
"""

from __future__ import annotations

from .tools import FaqLookupTool


def faq_lookup_tool(call: FaqLookupTool) -> str:
    """Lookup frequently asked questions."""
    raise NotImplementedError("handler 'faq_lookup_tool' is not written yet: see handlers.py")
