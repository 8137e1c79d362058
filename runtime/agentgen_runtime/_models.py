"""What the agent loop asks a model, and the models that answer it."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

from ._base import AgentgenError


@dataclass(frozen=True)
class IntentSpec:
    """One intent as the model sees it: its name, description and the JSON Schema of its args."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ModelRequest:
    """One step's question to the model: the system prompt, the prompt and the allowed intents."""

    system: str
    prompt: str
    intents: tuple[IntentSpec, ...]
    # the thread asking: adapters key the provider's prompt cache by it ("" for none)
    thread_id: str = ""
    # how many of the prompt's first characters the thread's next requests repeat as they are
    # (a provider may cache them); 0 when none are known to
    stable_prefix: int = 0


ModelOutput: TypeAlias = str | dict[str, Any]
"""A model's answer: raw text, or an object the adapter already decoded (a tool call)."""


class Model(Protocol):
    """Anything that answers a request with the next step."""

    async def next_step(self, request: ModelRequest) -> ModelOutput:
        """The model's next step for this request."""
        ...


class ScriptExhausted(AgentgenError, RuntimeError):
    """A ScriptedModel was asked for more steps than it was given."""


class ModelNotConfigured(AgentgenError, RuntimeError):
    """No model was passed and none can be built from the spec's configuration."""

    http_status = 503


class ScriptedModel:
    """A model that replays given steps in order, for tests; it records every request.

    `record=False` keeps no requests: over thousands of steps, holding every prompt (each one
    the whole thread so far) costs memory quadratic in the thread's length, and time with it.
    """

    def __init__(self, steps: Iterable[dict[str, Any] | str] = (), *, record: bool = True) -> None:
        self._steps: list[dict[str, Any] | str] = []
        self._next = 0
        self._record = record
        self.requests: list[ModelRequest] = []
        self.add(*steps)

    def add(self, *steps: dict[str, Any] | str) -> None:
        """Queue more steps after the ones given so far."""
        for step in steps:
            if not isinstance(step, dict | str):
                kind = type(step).__name__
                index = len(self._steps)
                raise TypeError(f"ScriptedModel steps are dicts or strings; step {index} is {kind}")
            self._steps.append(step)

    @property
    def remaining(self) -> int:
        """How many steps are left."""
        return len(self._steps) - self._next

    async def next_step(self, request: ModelRequest) -> ModelOutput:
        """The next scripted step (a deep copy, so callers cannot change the script)."""
        if self._record:
            self.requests.append(request)
        if self._next >= len(self._steps):
            raise ScriptExhausted(
                f"ScriptedModel has no steps left (it was given {len(self._steps)})"
            )
        step = self._steps[self._next]
        self._next += 1
        return copy.deepcopy(step) if isinstance(step, dict) else step


@dataclass(frozen=True)
class ModelConfig:
    """The spec's model settings."""

    provider: str
    name: str
    base_url: str | None = None
    api_key_env: str | None = None
    temperature: float = 0.0
    timeout_s: float = 60.0
    max_retries: int = 2
    fallback: tuple[str, ...] = ()
