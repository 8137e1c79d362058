"""A tool's result is appended while the model is asked for the next step, never lost meanwhile.

The generated loop records a result with `wait=False` (and a launch its first events): the
append goes on while the next model call is made, and the next record and the end of the run
wait for it. These tests run the calculator on real stores and check what stays in them when
that overlap meets a racing writer, a failing model, or simply ends.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from agentgen.runtime import (
    MemoryStore,
    ModelRequest,
    SqliteStore,
    Store,
    ThreadConflict,
    ThreadNotFound,
)
from generated.calculator.agent import launch
from generated.calculator.threads import load_thread

ADD = {"intent": "add", "a": 1, "b": 2}
DONE = {"intent": "done_for_now", "message": "3"}
FOREIGN = json.dumps({"type": "thread_resumed"})


class ModelThatMeddles:
    """Answers `add`, then, on its second call, first does what `meddle` says."""

    def __init__(self, store: Store, meddle: str) -> None:
        self.store, self.meddle, self.calls = store, meddle, 0
        self.seen: list[int] = []  # how many events the store held at each call's start

    async def next_step(self, request: ModelRequest) -> dict[str, Any]:
        self.calls += 1
        self.seen.append(await self.stored(request.thread_id))
        if self.calls == 1:
            return ADD
        if self.meddle == "write":  # a writer that holds no lease takes the result's seq
            await self.store.append(request.thread_id, self.seen[-1], FOREIGN)
        elif self.meddle == "fail":
            raise ConnectionError("the provider hung up")
        return DONE

    async def stored(self, thread_id: str) -> int:
        try:
            return len(await self.store.load(thread_id))
        except ThreadNotFound:
            return 0


def _types(rows: list[str]) -> list[str]:
    return [json.loads(row)["type"] for row in rows]


def test_the_model_is_asked_while_the_result_is_still_being_appended() -> None:
    # MemoryStore's calls never yield to the loop: the append left under way has not run yet
    store = MemoryStore()
    model = ModelThatMeddles(store, "nothing")
    thread = asyncio.run(launch("add 1 and 2", model=model, store=store))
    # the first call: before thread_started and the message were stored; the second: before
    # the result was (the call that produced it was stored before its handler ran)
    assert model.seen == [0, 3]
    assert thread.status == "done"
    stored = asyncio.run(store.load(thread.id))
    assert _types(stored) == [
        "thread_started",
        "user_message",
        "tool_call",
        "tool_result",
        "tool_call",
    ]


def test_a_racing_writer_during_the_overlap_fails_the_run_and_nothing_after_it_is_stored() -> None:
    store = MemoryStore()
    model = ModelThatMeddles(store, "write")
    with pytest.raises(ThreadConflict) as raised:
        asyncio.run(launch("add 1 and 2", model=model, store=store, thread_id="thread_raced"))
    assert str(raised.value) == (
        "thread 'thread_raced' was changed by another writer (event 3 already exists)"
    )
    # the foreign event kept its place; the result and the model's next call were not stored
    stored = asyncio.run(store.load("thread_raced"))
    assert _types(stored) == ["thread_started", "user_message", "tool_call", "thread_resumed"]


class SlowStore(MemoryStore):
    """A MemoryStore whose appends take a while, as a database's do; it notes each lease release."""

    def __init__(self) -> None:
        super().__init__()
        self.stored_at_release: list[list[str]] = []

    async def append_many(self, thread_id: str, seq: int, events_json: Sequence[str]) -> None:
        await asyncio.sleep(0.05)
        await super().append_many(thread_id, seq, events_json)

    async def release_lease(self, thread_id: str, owner: str) -> None:
        self.stored_at_release.append(_types(await self.load(thread_id)))
        await super().release_lease(thread_id, owner)


def test_a_failing_model_call_still_stores_the_result_before_the_lease_is_released() -> None:
    # else another worker could take the thread without the result and escalate the call
    store = SlowStore()
    model = ModelThatMeddles(store, "fail")
    with pytest.raises(ConnectionError, match="the provider hung up"):
        asyncio.run(launch("add 1 and 2", model=model, store=store, thread_id="thread_failed"))
    started = ["thread_started", "user_message", "tool_call", "tool_result"]
    assert store.stored_at_release == [started]
    assert json.loads(asyncio.run(store.load("thread_failed"))[-1])["result"] == 3.0


def test_a_launch_returns_only_once_every_event_is_in_the_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "threads.db"
    store = SqliteStore(path)
    thread = asyncio.run(launch("add 1 and 2", model=ModelThatMeddles(store, ""), store=store))
    reopened = asyncio.run(load_thread(thread.id, SqliteStore(path)))
    assert reopened.events == thread.events
    assert reopened.state == thread.state


def test_a_queued_launch_stores_its_start_before_it_returns() -> None:
    store = MemoryStore()
    thread = asyncio.run(launch("add 1 and 2", store=store, advance=False))
    assert _types(asyncio.run(store.load(thread.id))) == ["thread_started", "user_message"]
