"""What each model call used: collected from the adapters, totalled per thread, priced.

The adapters report every provider call they make (`report_call`); the agent loop collects the
reports of one request (`collect_calls`) and records them as `model_call` events. A context
variable carries the collector, so concurrent threads in one process never mix their calls.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from ._base import ConfigurationError

PRICES_ENV = "AGENTGEN_PRICES"
"""JSON `{"provider:name": {"input": 0.15, "output": 0.6, "cached_input": 0.075}}` (USD per
million tokens): adds to or overrides the spec's [model.prices]."""


@dataclass(frozen=True)
class ModelCall:
    """One request to a provider: who answered, how long it took, and the tokens it counted."""

    provider: str
    model: str
    latency_ms: int
    input_tokens: int | None = None
    """All input tokens, cached ones included (as OpenTelemetry's GenAI conventions count)."""
    output_tokens: int | None = None
    cached_tokens: int | None = None
    finish_reason: str | None = None
    error: str | None = None
    """Why the call failed (a fallback chain then asks the next model); None when it answered."""

    def fields(self) -> dict[str, Any]:
        """The call as the keyword arguments of a `model_call` event."""
        return dict(self.__dict__)  # its fields, flat: asdict's deep copy costs a step 30 us


_collector: ContextVar[list[ModelCall] | None] = ContextVar("agentgen_model_calls", default=None)


@contextmanager
def collect_calls() -> Iterator[list[ModelCall]]:
    """The calls the adapters report inside the block, in order (an enclosing block gets them
    too, so a model that wraps another can count them without hiding them from the loop)."""
    calls: list[ModelCall] = []
    outer = _collector.get()
    token = _collector.set(calls)
    try:
        yield calls
    finally:
        _collector.reset(token)
        if outer is not None:
            outer.extend(calls)


def report_call(call: ModelCall) -> None:
    """Hand a finished provider call to the collector of the running request, if any."""
    calls = _collector.get()
    if calls is not None:
        calls.append(call)


@dataclass(frozen=True)
class Price:
    """USD per million tokens; cached input costs `cached_input` (else `input`)."""

    input: float
    output: float
    cached_input: float | None = None

    def cost(self, input_tokens: int, output_tokens: int, cached_tokens: int) -> float:
        """What these tokens cost, in USD."""
        cached_rate = self.input if self.cached_input is None else self.cached_input
        fresh = max(input_tokens - cached_tokens, 0)
        total = fresh * self.input + cached_tokens * cached_rate + output_tokens * self.output
        return total / 1_000_000


@dataclass(frozen=True)
class Usage:
    """A thread's model calls in total; `cost_usd` covers the calls of priced models only."""

    model_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    latency_ms: int = 0
    cost_usd: float | None = None
    """None when no model that was called has a price."""
    unpriced: tuple[str, ...] = field(default=())
    """The models called that have no price ("provider:name")."""

    def as_json(self) -> dict[str, Any]:
        """The totals as a JSON object (for `GET /threads/{id}` and `show`)."""
        body = asdict(self)
        body["unpriced"] = list(self.unpriced)
        return body


def total_usage(events: Iterable[Any], prices: Mapping[str, Price]) -> Usage:
    """The totals of the `model_call` events among `events`, priced by `prices` and the env."""
    calls = [event for event in events if getattr(event, "type", None) == "model_call"]
    known = {**prices, **configured_prices()}
    cost: float | None = None
    unpriced: dict[str, None] = {}  # a set that keeps the order
    for call in calls:
        price = known.get(f"{call.provider}:{call.model}")
        if price is None:
            unpriced[f"{call.provider}:{call.model}"] = None
            continue
        tokens = (call.input_tokens or 0, call.output_tokens or 0, call.cached_tokens or 0)
        cost = (cost or 0.0) + price.cost(*tokens)
    return Usage(
        model_calls=len(calls),
        input_tokens=sum(call.input_tokens or 0 for call in calls),
        output_tokens=sum(call.output_tokens or 0 for call in calls),
        cached_tokens=sum(call.cached_tokens or 0 for call in calls),
        latency_ms=sum(call.latency_ms for call in calls),
        cost_usd=None if cost is None else round(cost, 6),
        unpriced=tuple(unpriced),
    )


def configured_prices() -> dict[str, Price]:
    """The prices AGENTGEN_PRICES holds ({} when unset); ConfigurationError when malformed."""
    return env_prices(os.environ.get(PRICES_ENV, ""))


@lru_cache(maxsize=4)
def env_prices(text: str) -> dict[str, Price]:
    """The prices AGENTGEN_PRICES holds ("" for none); a malformed value is a one-line error."""
    if not text.strip():
        return {}
    try:
        given = json.loads(text)
        if not isinstance(given, dict):
            raise TypeError("not an object")
        return {str(model): _price(value) for model, value in given.items()}
    except (ValueError, TypeError) as error:
        raise ConfigurationError(
            f"{PRICES_ENV} must be JSON like "
            '{"openai:gpt-4o-mini": {"input": 0.15, "output": 0.6}} (USD per million tokens): '
            f"{error}"
        ) from None


def _price(value: object) -> Price:
    if not isinstance(value, dict) or not {"input", "output"} <= value.keys():
        raise TypeError(f"each price needs input and output, got {value!r}")
    numbers = {key: value[key] for key in ("input", "output", "cached_input") if key in value}
    if not all(_is_rate(number) for number in numbers.values()):
        raise TypeError(f"prices are numbers of at least 0, got {value!r}")
    return Price(**{key: float(n) for key, n in numbers.items()})


def _is_rate(number: object) -> bool:
    return isinstance(number, int | float) and not isinstance(number, bool) and number >= 0
