"""A worker process of tests/test_races.py: advances shared calculator threads until told to stop.

    python -m tests.race_worker '{"store": URL, "threads": [...], "dir": DIR, "seed": S,
                                  "kill_at": N or null}'

It first launches every thread (all workers try; one wins each), then loops: pick a thread, load
it, and `resume` it with what it needs (None when paused or running, an answer to an escalation).
Each handler call leaves DIR/calls/<call_id>.started (created exclusively: a second run of the
same call is recorded in DIR/twice/) and, once its result is computed, <call_id>.finished. With
`kill_at`, the process SIGKILLs itself inside its kill_at-th handler call, after `.started`. The
worker stops when DIR/stop exists; its tally of outcomes is kept in DIR/tally/<pid>.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from agentgen.runtime import AgentgenError, ModelOutput, ModelRequest, Store, store_from_url
from generated.calculator.agent import VERSION, launch, resume
from generated.calculator.events import HumanResponse, Response
from generated.calculator.handler_types import ToolContext
from generated.calculator.state import Thread
from generated.calculator.threads import load_thread
from generated.calculator.tools import Add, Divide, Multiply, Subtract

WORK_S = 0.01
"""How long each handler call works: long enough for other workers to arrive meanwhile."""
ANSWER = "it took effect"
BUSY_RETRY_S = 0.01
"""How long a worker waits after ThreadBusy, as a client retrying would."""


class Adder:
    """A model that always adds: a thread runs max_turns calls per run, then pauses."""

    async def next_step(self, request: ModelRequest) -> ModelOutput:
        return {"intent": "add", "a": 1, "b": 2}


class MarkingHandlers:
    """The calculator's tools; each call leaves one marker file per stage in `calls`."""

    def __init__(self, folder: Path, kill_at: int | None) -> None:
        self.calls = folder / "calls"
        self.twice = folder / "twice"
        self.kill_at = kill_at
        self.count = 0

    def _run(self, ctx: ToolContext[Any], value: float) -> float:
        self.count += 1
        try:
            (self.calls / f"{ctx.call_id}.started").touch(exist_ok=False)
        except FileExistsError:  # this call ran before: the race test fails on it
            (self.twice / f"{ctx.call_id}.{os.getpid()}").touch()
        if self.count == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(WORK_S)  # sync handlers run in a worker thread: the event loop goes on
        (self.calls / f"{ctx.call_id}.finished").touch()
        return value

    def add(self, call: Add, ctx: ToolContext[Any]) -> float:
        return self._run(ctx, call.a + call.b)

    def subtract(self, call: Subtract, ctx: ToolContext[Any]) -> float:
        return self._run(ctx, call.a - call.b)

    def multiply(self, call: Multiply, ctx: ToolContext[Any]) -> float:
        return self._run(ctx, call.a * call.b)

    def divide(self, call: Divide, ctx: ToolContext[Any]) -> float:
        return self._run(ctx, call.a / call.b)


def response_for(thread: Thread) -> Response:
    """What a "resume stuck threads" job sends: None, or an answer to the escalation."""
    if thread.status == "awaiting_human" and thread.pending is not None:
        return HumanResponse(call_id=thread.pending.call_id, text=ANSWER)
    return None


class Worker:
    """One process's share of the race, and the tally of what each attempt gave."""

    def __init__(self, job: dict[str, Any], store: Store) -> None:
        self.folder = Path(job["dir"])
        self.threads: list[str] = job["threads"]
        self.store = store
        self.handlers = MarkingHandlers(self.folder, job.get("kill_at"))
        self.random = random.Random(job["seed"])
        self.tally: Counter[str] = Counter()

    async def attempt(self, action: str, thread_id: str) -> None:
        """One launch or resume; its outcome (ok or the error's class) goes into the tally."""
        try:
            if action == "launch":
                await launch(
                    "add",
                    model=Adder(),
                    store=self.store,
                    handlers=self.handlers,
                    thread_id=thread_id,
                )
            else:
                response = response_for(await load_thread(thread_id, self.store, VERSION))
                await resume(
                    thread_id, response, model=Adder(), store=self.store, handlers=self.handlers
                )
            outcome = "ok"
        except AgentgenError as error:
            outcome = type(error).__name__
        self.tally[f"{action} {outcome}"] += 1
        self.save()
        if outcome == "ThreadBusy":
            await asyncio.sleep(BUSY_RETRY_S)

    def save(self) -> None:
        """The tally so far, replaced atomically, so that a SIGKILL leaves the last one whole."""
        path = self.folder / "tally" / f"{os.getpid()}.json"
        path.with_suffix(".tmp").write_text(json.dumps(self.tally))
        path.with_suffix(".tmp").replace(path)

    async def run(self) -> None:
        for thread_id in self.random.sample(self.threads, len(self.threads)):
            await self.attempt("launch", thread_id)
        while not (self.folder / "stop").exists():
            await self.attempt("resume", self.random.choice(self.threads))


async def main(job: dict[str, Any]) -> None:
    store = store_from_url(job["store"])
    try:
        await Worker(job, store).run()
    finally:
        close = getattr(store, "close", None)
        if close is not None:
            result = close()
            if asyncio.iscoroutine(result):
                await result


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
