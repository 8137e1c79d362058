"""A worker process of tests/test_workers.py: `python -m <calculator> worker` with a test model.

    python -m tests.queue_worker '{"dir": DIR, "hang_at": N or null, "model_s": S,
                                   "concurrency": C}'

It runs the calculator's `run_worker` on AGENTGEN_STORE, as `python -m generated.calculator
worker` would, with a model that adds, then multiplies, then is done (reading the thread it is
shown, so any worker can take a thread over) after `model_s` seconds each. Each handler call
creates DIR/calls/<call_id> exclusively (a second run of a call lands in DIR/twice/). With
`hang_at`, the process's hang_at-th model call creates DIR/hanging/<pid> and never returns: the
test kills the process there, in the middle of a step.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from agentgen.runtime import ModelOutput, ModelRequest
from generated.calculator.handler_types import ToolContext
from generated.calculator.tools import Add, Divide, Multiply, Subtract
from generated.calculator.worker import run_worker


class Chain:
    """add, multiply, done: the next step read from the thread in the prompt."""

    def __init__(self, folder: Path, hang_at: int | None, model_s: float) -> None:
        self.folder, self.hang_at, self.model_s = folder, hang_at, model_s
        self.count = 0

    async def next_step(self, request: ModelRequest) -> ModelOutput:
        self.count += 1
        if self.count == self.hang_at:
            (self.folder / "hanging" / str(os.getpid())).touch()
            await asyncio.sleep(3600)
        await asyncio.sleep(self.model_s)
        if "multiply" in request.prompt:
            return {"intent": "done_for_now", "message": "done"}
        if "add" in request.prompt:
            return {"intent": "multiply", "a": 3, "b": 4}
        return {"intent": "add", "a": 1, "b": 2}


class Marking:
    """The calculator's tools; each call leaves DIR/calls/<call_id>."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _mark(self, ctx: ToolContext[Any], value: float) -> float:
        try:
            (self.folder / "calls" / ctx.call_id).touch(exist_ok=False)
        except FileExistsError:  # this call ran before: the test fails on it
            (self.folder / "twice" / f"{ctx.call_id}.{os.getpid()}").touch()
        return value

    def add(self, call: Add, ctx: ToolContext[Any]) -> float:
        return self._mark(ctx, call.a + call.b)

    def subtract(self, call: Subtract, ctx: ToolContext[Any]) -> float:
        return self._mark(ctx, call.a - call.b)

    def multiply(self, call: Multiply, ctx: ToolContext[Any]) -> float:
        return self._mark(ctx, call.a * call.b)

    def divide(self, call: Divide, ctx: ToolContext[Any]) -> float:
        return self._mark(ctx, call.a / call.b)


def main() -> None:
    job = json.loads(sys.argv[1])
    folder = Path(job["dir"])
    model = Chain(folder, job.get("hang_at"), job.get("model_s", 0.05))
    concurrency = job.get("concurrency", 4)
    asyncio.run(run_worker(concurrency=concurrency, model=model, handlers=Marking(folder)))


if __name__ == "__main__":
    main()
