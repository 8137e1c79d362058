"""A two-intent step union, the request that offers it, and a clean model environment, for tests."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field, TypeAdapter

from agentgen.runtime import IntentSpec, ModelRequest


class Add(BaseModel):
    intent: Literal["add"]
    a: float
    b: float


class Done(BaseModel):
    intent: Literal["done"]
    message: str


STEP: TypeAdapter[Add | Done] = TypeAdapter(Annotated[Add | Done, Field(discriminator="intent")])

ADD_PARAMS: dict[str, Any] = {
    "type": "object",
    "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
    "required": ["a", "b"],
    "additionalProperties": False,
}
DONE_PARAMS: dict[str, Any] = {
    "type": "object",
    "properties": {"message": {"type": "string"}},
    "required": ["message"],
    "additionalProperties": False,
}
INTENTS = (
    IntentSpec("add", "Add two numbers.", ADD_PARAMS),
    IntentSpec("done", "Tell the user the work is done.", DONE_PARAMS),
)
REQUEST = ModelRequest(system="You do arithmetic.", prompt="What is 1 + 2?", intents=INTENTS)

MODEL_ENV = (
    "AGENTGEN_MODEL",
    "AGENTGEN_BASE_URL",
    "OPENAI_API_KEY",
    "OPENAI_ADMIN_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
)
"""Variables that change which model is built: tests start without any of them."""


def clear_model_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove every variable that changes how models are built, for this test only."""
    for name in MODEL_ENV:
        monkeypatch.delenv(name, raising=False)
