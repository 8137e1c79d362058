"""The model call that folds a thread's oldest events into a summary (a context budget)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from ._limits import MAX_TEXT_CHARS
from ._models import IntentSpec, ModelOutput
from ._parsing import StepError, parse_step

if TYPE_CHECKING:
    from pydantic import TypeAdapter

SUMMARY_INTENT = IntentSpec(
    name="thread_summary",
    description="The summary of the events shown, which replaces them in the thread.",
    parameters={
        "type": "object",
        "properties": {"summary": {"type": "string", "description": "The summary, as text."}},
        "required": ["summary"],
        "additionalProperties": False,
    },
)
"""What a summary request offers the model: one intent, so that every adapter asks for it as
it asks for a step (a tool call or structured output)."""


@functools.cache
def _summary_adapter() -> TypeAdapter[Any]:
    """Built on first use: an agent that never summarizes (or only shows a thread) never pays
    for it, nor for the imports it needs."""
    from typing import Annotated, Literal

    from pydantic import Field, TypeAdapter
    from typing_extensions import TypedDict  # pydantic reads typing.TypedDict on 3.12+ only

    class Summary(TypedDict):
        intent: Literal["thread_summary"]
        summary: Annotated[str, Field(max_length=MAX_TEXT_CHARS)]

    return TypeAdapter(Summary)


def parse_summary(output: ModelOutput) -> str | StepError:
    """The summary text in a model's answer to a summary request, or why there is none."""
    step = parse_step(output, _summary_adapter())
    if isinstance(step, StepError):
        return step
    text = str(step["summary"]).strip()
    return text or StepError("the model's summary is empty")
