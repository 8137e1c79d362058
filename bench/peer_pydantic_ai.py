"""pydantic-ai on the same chain: an Agent whose FunctionModel returns the tool calls."""

from __future__ import annotations

import asyncio
import itertools
import time

from pydantic_ai import Agent
from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import UsageLimits

from .ours import SYSTEM
from .stats import median_ms

UNLIMITED = UsageLimits(request_limit=None)


def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


def build(n: int) -> Agent[None, str]:
    """An agent whose model answers with `n` add calls, then a final text."""
    counter = itertools.count()

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        i = next(counter)
        if i >= n:
            return ModelResponse(parts=[TextPart(f"the sum is {n}")])
        return ModelResponse(parts=[ToolCallPart("add", {"a": i, "b": 1}, f"call_{i}")])

    agent = Agent(FunctionModel(respond), system_prompt=SYSTEM)
    agent.tool_plain(add)
    return agent


def tool_returns(messages: list[ModelMessage]) -> int:
    """How many tool results the history holds."""
    return sum(isinstance(part, ToolReturnPart) for message in messages for part in message.parts)


def run(n: int) -> tuple[float, bytes, Agent[None, str]]:
    """Seconds for the chain of `n`, the run's message history as JSON, and the agent."""
    agent = build(n)
    start = time.perf_counter()
    result = asyncio.run(agent.run("go", usage_limits=UNLIMITED))
    seconds = time.perf_counter() - start
    if tool_returns(result.all_messages()) != n:
        raise RuntimeError(f"pydantic-ai chain of {n} ended early")
    return seconds, result.all_messages_json(), agent


def ms_per_step(n: int) -> float:
    """Milliseconds per tool step (pydantic-ai keeps history in memory only)."""
    return run(n)[0] * 1000 / n


def storage(n: int, repeats: int) -> tuple[int, float, float]:
    """Bytes of the message history as JSON (what a user would store), median ms to parse it,
    and median ms of a resume: parse it, then run a new message up to the model's answer."""
    _, history, agent = run(n)

    def resume() -> None:
        messages = ModelMessagesTypeAdapter.validate_json(history)
        # The scripted model is past its n calls: it answers with text, and the run ends.
        asyncio.run(agent.run("again", message_history=messages, usage_limits=UNLIMITED))

    load_ms = median_ms(lambda: ModelMessagesTypeAdapter.validate_json(history), repeats)
    return len(history), load_ms, median_ms(resume, repeats)
