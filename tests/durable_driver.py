"""One launch or resume of the calculator agent, run as its own process by tests/test_durability.py.

    python -m tests.durable_driver '{"store": URL, "action": "launch", "message": ..., ...}'

The job is one JSON object: `store` (a store URL), `action` ("launch" or "resume"), `message` and
`thread_id` (launch), `thread_id` and `response` (resume), `steps` for a ScriptedModel, `marker` (a
file each handler call appends its intent to), `kill_in` (the intent whose handler SIGKILLs this
process once it has marked the file), `hold_in` (the intent whose handler, once it has marked
the file, waits until the file `<marker>.go` exists), `retry_busy` (resume again while the thread
is busy: a dead worker's lease has not expired yet) and `barrier` (`{"dir", "parties", "at"}`:
the first call on the store, or with "at": "start" the launch or resume itself, waits until that
many processes reach it). Prints one JSON object: the thread, or the error.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentgen.runtime import (
    IncompatibleThread,
    PostgresStore,
    ResponseRefused,
    ScriptedModel,
    SqliteStore,
    Store,
    ThreadBusy,
    ThreadConflict,
    store_from_url,
)
from generated.calculator.agent import launch, resume
from generated.calculator.events import Approval, HumanResponse, Response, UserMessage
from generated.calculator.http import thread_json
from generated.calculator.state import Thread
from generated.calculator.tools import Add, Divide, Multiply, Subtract

BARRIER_WAIT_S = 30.0
HOLD_WAIT_S = 30.0
BUSY_RETRY_S = 0.05
_REFUSALS = (IncompatibleThread, ResponseRefused, ThreadBusy, ThreadConflict)


class Handlers:
    """The calculator's tools, each leaving a trace in the marker file before it acts."""

    def __init__(self, marker: str, kill_in: str | None, hold_in: str | None = None) -> None:
        self.marker = Path(marker)
        self.kill_in = kill_in
        self.hold_in = hold_in

    def _mark(self, intent: str) -> None:
        # fsync, so the mark survives the SIGKILL that may follow
        with self.marker.open("a") as file:
            file.write(intent + "\n")
            file.flush()
            os.fsync(file.fileno())
        if intent == self.kill_in:
            os.kill(os.getpid(), signal.SIGKILL)
        if intent == self.hold_in:  # a long call: the test acts while this process is inside it
            wait_for(self.marker.with_name(self.marker.name + ".go"), HOLD_WAIT_S)

    def add(self, call: Add) -> float:
        self._mark("add")
        return call.a + call.b

    def subtract(self, call: Subtract) -> float:
        self._mark("subtract")
        return call.a - call.b

    def multiply(self, call: Multiply) -> float:
        self._mark("multiply")
        return call.a * call.b

    def divide(self, call: Divide) -> float:
        self._mark("divide")
        return call.a / call.b


class BarrierStore:
    """A real store whose first call (taking the thread's lease) waits for every racing process."""

    def __init__(self, inner: Store, directory: str, parties: int) -> None:
        self.inner = inner
        self.directory = Path(directory)
        self.parties = parties
        self.waited = False

    def _first(self) -> None:
        if not self.waited:
            self.waited = True
            arrive(self.directory, self.parties)

    async def append(self, thread_id: str, seq: int, event_json: str) -> None:
        self._first()
        await self.inner.append(thread_id, seq, event_json)

    async def append_many(self, thread_id: str, seq: int, events_json: Sequence[str]) -> None:
        self._first()
        await self.inner.append_many(thread_id, seq, events_json)

    async def load(self, thread_id: str) -> list[str]:
        self._first()
        return await self.inner.load(thread_id)

    async def thread_ids(self) -> list[str]:
        return await self.inner.thread_ids()

    async def acquire_lease(self, thread_id: str, owner: str, ttl_s: float) -> bool:
        self._first()
        return await self.inner.acquire_lease(thread_id, owner, ttl_s)

    async def release_lease(self, thread_id: str, owner: str) -> None:
        await self.inner.release_lease(thread_id, owner)


def wait_for(path: Path, timeout_s: float) -> None:
    """Block until `path` exists."""
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} never appeared")
        time.sleep(0.005)


def arrive(directory: Path, parties: int) -> None:
    """Say this process is here, then wait (blocking: nothing else runs) for the others."""
    (directory / str(os.getpid())).touch()
    deadline = time.monotonic() + BARRIER_WAIT_S
    while len(list(directory.iterdir())) < parties:
        if time.monotonic() > deadline:
            raise RuntimeError(f"barrier in {directory}: the other processes never arrived")
        time.sleep(0.001)


def response_from(data: dict[str, Any] | None) -> Response:
    """The Response a job's JSON describes."""
    if data is None:
        return None
    kind = data.pop("type")
    if kind == "approval":
        return Approval.model_validate(data)
    if kind == "human_response":
        return HumanResponse.model_validate(data)
    return UserMessage.model_validate(data)


async def run(job: dict[str, Any], store: Store) -> Thread:
    """Launch or resume as the job says."""
    model = ScriptedModel(job.get("steps", []))
    handlers = Handlers(job["marker"], job.get("kill_in"), job.get("hold_in"))
    if job["action"] == "launch":
        return await launch(
            job["message"], model=model, store=store, handlers=handlers, thread_id=job["thread_id"]
        )
    while True:
        response = response_from(dict(job["response"]) if job.get("response") else None)
        try:
            return await resume(
                job["thread_id"], response, model=model, store=store, handlers=handlers
            )
        except ThreadBusy:
            if not job.get("retry_busy"):
                raise
            await asyncio.sleep(BUSY_RETRY_S)


async def main(job: dict[str, Any]) -> dict[str, Any]:
    """The thread as JSON, or the refusal's type and message."""
    inner = store_from_url(job["store"])
    barrier = job.get("barrier")
    store: Store = inner
    if barrier is not None and barrier.get("at") == "start":
        arrive(Path(barrier["dir"]), barrier["parties"])
    elif barrier is not None:
        store = BarrierStore(inner, barrier["dir"], barrier["parties"])
    try:
        return {"ok": True, "thread": thread_json(await run(job, store))}
    except _REFUSALS as error:
        return {"ok": False, "error": type(error).__name__, "message": str(error)}
    finally:
        if isinstance(inner, PostgresStore):
            await inner.close()
        elif isinstance(inner, SqliteStore):
            inner.close()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))))
