"""The rendered thread that the README's Context section shows is what the calculator renders."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from agentgen.runtime import MemoryStore, ScriptedModel
from generated.calculator import Approval, HumanResponse, launch, resume
from generated.calculator.context import render_thread

README = Path(__file__).resolve().parent.parent / "README.md"
STEPS = [
    {"intent": "add", "a": 3, "b": 4},
    {"intent": "divide", "a": 7},  # b missing: an error the model sees
    {"intent": "divide", "a": 7, "b": 0},  # approved, then fails in its handler
    {"intent": "request_more_information", "message": "Divide by what instead?"},
    {"intent": "divide", "a": 7, "b": 2},  # denied
    {"intent": "done_for_now", "message": "7 is the sum; I did not divide."},
]


def _readme_thread() -> str:
    section = README.read_text().split("## Context: what the model reads", 1)[1]
    found = re.search(r"```\n(.*?)\n```", section, re.DOTALL)
    assert found is not None, "the Context section has no code block"
    return found.group(1)


async def _thread() -> str:
    model, store = ScriptedModel(STEPS), MemoryStore()
    thread = await launch("add 3 and 4, then divide by 0", model=model, store=store)
    for response in (
        Approval(call_id="", approved=True),
        HumanResponse(call_id="", text="by 2"),
        Approval(call_id="", approved=False, comment="round numbers only"),
    ):
        assert thread.pending is not None
        addressed = response.model_copy(update={"call_id": thread.pending.call_id})
        thread = await resume(thread.id, addressed, model=model, store=store)
    assert thread.status == "done"
    return render_thread(thread.events)


def test_the_readme_shows_the_thread_as_the_calculator_renders_it() -> None:
    assert asyncio.run(_thread()) == _readme_thread()
