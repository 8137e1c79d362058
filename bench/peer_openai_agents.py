"""The OpenAI Agents SDK on the same chain: an Agent whose Model returns function calls."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from pathlib import Path
from typing import Any

from agents import (
    Agent,
    ModelResponse,
    Runner,
    SQLiteSession,
    Usage,
    function_tool,
    set_tracing_disabled,
)
from agents.models.interface import Model
from openai.types.responses import (
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
)

from .ours import SYSTEM, file_bytes, new_db
from .stats import median_ms

set_tracing_disabled(True)  # no trace exporter: there is no network, and it would skew times


@function_tool
def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


def final(n: int) -> ResponseOutputMessage:
    """The model's last answer: text, no tool call."""
    text = ResponseOutputText(type="output_text", text=f"the sum is {n}", annotations=[])
    return ResponseOutputMessage(
        id="msg_final", type="message", role="assistant", status="completed", content=[text]
    )


class ScriptedChain(Model):
    """A Model answering with `n` add calls, then a final text; no LLM involved."""

    def __init__(self, n: int) -> None:
        self.n, self.counter = n, itertools.count()

    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        """The next scripted answer, whatever the input."""
        i = next(self.counter)
        if i >= self.n:
            return ModelResponse(output=[final(self.n)], usage=Usage(), response_id=None)
        arguments = json.dumps({"a": i, "b": 1})
        call = ResponseFunctionToolCall(
            type="function_call", call_id=f"call_{i}", name="add", arguments=arguments
        )
        return ModelResponse(output=[call], usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> Any:
        """Streaming is not part of this benchmark."""
        raise NotImplementedError


def run(n: int, path: Path | None) -> tuple[float, SQLiteSession | None, Agent[Any]]:
    """Seconds for the chain of `n`, its session (SQLite at `path` when given), the agent."""
    agent = Agent(name="chain", instructions=SYSTEM, tools=[add], model=ScriptedChain(n))
    session = SQLiteSession("chain", path) if path else None
    start = time.perf_counter()
    result = asyncio.run(Runner.run(agent, "go", max_turns=n + 10, session=session))
    seconds = time.perf_counter() - start
    outputs = sum(item.type == "tool_call_output_item" for item in result.new_items)
    if outputs != n:
        raise RuntimeError(f"OpenAI Agents chain of {n} produced {outputs} tool outputs")
    return seconds, session, agent


def ms_per_step(n: int, workdir: Path, durable: bool) -> float:
    """Milliseconds per tool step, in memory or with an SQLiteSession."""
    path = new_db(workdir, "openai-agents") if durable else None
    return run(n, path)[0] * 1000 / n


def storage(n: int, workdir: Path, repeats: int) -> tuple[int, float, float]:
    """Bytes of the SQLiteSession database after a chain of `n`, median get_items ms, and
    median ms of a resume: a new message in the session up to the model's next answer."""
    path = new_db(workdir, "openai-agents-storage")
    _, session, agent = run(n, path)
    assert session is not None
    stored = file_bytes(path)
    load_ms = median_ms(lambda: asyncio.run(session.get_items()), repeats)
    # The scripted model is past its n calls: it answers with text, and the run ends.
    again = lambda: asyncio.run(Runner.run(agent, "again", max_turns=10, session=session))  # noqa: E731
    resume_ms = median_ms(again, repeats)
    session.close()
    return stored, load_ms, resume_ms
