"""Thread leases through launch and resume: busy while a live worker holds one, free once it stops.

In one process, on a MemoryStore and a real SQLite file; tests/test_durability.py and
tests/test_races.py do the same across real processes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from agentgen.runtime import (
    LEASE_TTL_ENV,
    MemoryStore,
    ScriptedModel,
    ScriptExhausted,
    SqliteStore,
    Store,
    ThreadBusy,
    ThreadNotFound,
    hold_lease,
    lease_ttl_s,
)
from generated.calculator.agent import VERSION, launch, resume
from generated.calculator.events import UserMessage
from generated.calculator.tools import Add

ADD = {"intent": "add", "a": 1, "b": 2}
DONE = {"intent": "done_for_now", "message": "3"}
BUSY = "thread 'thread_1' is being advanced by another worker; try again when it pauses"


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
    else:
        sqlite = SqliteStore(tmp_path / "threads.db")
        yield sqlite
        sqlite.close()


def started_call(store: Store) -> None:
    """thread_1 as a worker leaves it when it dies inside the handler of an `add` call."""
    events = [
        {"type": "thread_started", "version": VERSION, "vars": {}},
        {"type": "user_message", "text": "add 1 and 2"},
        {"type": "tool_call", "call_id": "call_1", "call": {"intent": "add", "a": 1, "b": 2}},
    ]
    asyncio.run(store.append_many("thread_1", 0, [json.dumps(event) for event in events]))


def test_a_live_lease_refuses_resume_and_changes_nothing(store: Store) -> None:
    started_call(store)
    assert asyncio.run(store.acquire_lease("thread_1", "live-worker", 60))
    before = asyncio.run(store.load("thread_1"))
    with pytest.raises(ThreadBusy) as raised:
        asyncio.run(resume("thread_1", None, model=ScriptedModel([DONE]), store=store))
    assert str(raised.value) == BUSY
    assert raised.value.http_status == 409
    assert asyncio.run(store.load("thread_1")) == before


def test_only_an_expired_lease_leads_to_the_interrupted_call_escalation(store: Store) -> None:
    started_call(store)
    assert asyncio.run(store.acquire_lease("thread_1", "dead-worker", 0.2))
    with pytest.raises(ThreadBusy):
        asyncio.run(resume("thread_1", None, model=ScriptedModel([]), store=store))

    async def after_expiry() -> str:
        await asyncio.sleep(0.3)  # nobody renews a dead worker's lease
        thread = await resume("thread_1", None, model=ScriptedModel([]), store=store)
        assert thread.pending is not None
        return thread.pending.intent

    assert asyncio.run(after_expiry()) == "escalation"


def test_launch_on_a_leased_thread_id_is_busy_and_writes_nothing(store: Store) -> None:
    assert asyncio.run(store.acquire_lease("thread_1", "live-worker", 60))
    with pytest.raises(ThreadBusy) as raised:
        asyncio.run(launch("add", model=ScriptedModel([DONE]), store=store, thread_id="thread_1"))
    assert str(raised.value) == BUSY
    with pytest.raises(ThreadNotFound):
        asyncio.run(store.load("thread_1"))


def test_the_lease_is_released_when_the_run_stops(store: Store) -> None:
    thread = asyncio.run(launch("add", model=ScriptedModel([DONE]), store=store))
    assert asyncio.run(store.acquire_lease(thread.id, "next-worker", 60))
    asyncio.run(store.release_lease(thread.id, "next-worker"))
    # a run that fails (here: its model has no steps left) gives the thread up as well
    with pytest.raises(ScriptExhausted):
        more = UserMessage(text="and add 3")
        asyncio.run(resume(thread.id, more, model=ScriptedModel([]), store=store))
    assert asyncio.run(store.acquire_lease(thread.id, "next-worker", 60))


def test_the_lease_is_renewed_while_a_handler_outlasts_its_ttl(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LEASE_TTL_ENV, "0.3")
    in_handler = asyncio.Event()

    async def slow_add(call: Add) -> float:
        in_handler.set()
        await asyncio.sleep(1.0)  # three times the lease's time to live
        return call.a + call.b

    async def race() -> tuple[str, str]:
        handlers = SimpleNamespace(add=slow_add)
        model = ScriptedModel([ADD, DONE])
        run = asyncio.create_task(
            launch("add", model=model, store=store, handlers=handlers, thread_id="thread_1")
        )
        await in_handler.wait()
        await asyncio.sleep(0.6)  # past the first expiry: only renewals keep the lease alive
        with pytest.raises(ThreadBusy) as raised:
            await resume("thread_1", None, model=ScriptedModel([]), store=store)
        thread = await run
        return str(raised.value), thread.status

    assert asyncio.run(race()) == (BUSY, "done")
    events = [json.loads(event)["type"] for event in asyncio.run(store.load("thread_1"))]
    assert events == ["thread_started", "user_message", "tool_call", "tool_result", "tool_call"]


def test_hold_lease_refuses_a_second_holder_and_frees_the_thread_after() -> None:
    store = MemoryStore()

    async def nested() -> str:
        async with hold_lease(store, "thread_1", ttl_s=60):
            with pytest.raises(ThreadBusy) as raised:
                async with hold_lease(store, "thread_1", ttl_s=60):
                    pass
        async with hold_lease(store, "thread_1", ttl_s=60):
            pass
        return str(raised.value)

    assert asyncio.run(nested()) == BUSY


def test_the_ttl_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LEASE_TTL_ENV, raising=False)
    assert lease_ttl_s() == 30.0
    monkeypatch.setenv(LEASE_TTL_ENV, "2.5")
    assert lease_ttl_s() == 2.5
    for bad in ("0", "-1", "soon", "nan", "inf"):
        monkeypatch.setenv(LEASE_TTL_ENV, bad)
        with pytest.raises(ValueError) as raised:
            lease_ttl_s()
        assert str(raised.value) == (
            f"AGENTGEN_LEASE_TTL_S must be seconds above 0 (at most 3600), not {bad!r}"
        )


class LateRenewals(MemoryStore):
    """A MemoryStore whose lease renewals land 0.2 s after they are sent, cancelled or not.

    As with a database: a renewal's statement on its way (alone, or in a batch of other
    threads' renewals) commits even when the task that sent it is cancelled.
    """

    def __init__(self) -> None:
        super().__init__()
        self.takes = 0
        self.renewing, self.landed = asyncio.Event(), asyncio.Event()

    async def acquire_lease(self, thread_id: str, owner: str, ttl_s: float) -> bool:
        self.takes += 1
        if self.takes == 1:  # the run's own take
            return await super().acquire_lease(thread_id, owner, ttl_s)
        self.renewing.set()
        return await asyncio.shield(self._late(thread_id, owner, ttl_s))

    async def _late(self, thread_id: str, owner: str, ttl_s: float) -> bool:
        await asyncio.sleep(0.2)
        held = await super().acquire_lease(thread_id, owner, ttl_s)
        self.landed.set()
        return held


def test_a_renewal_under_way_when_the_run_ends_cannot_retake_the_released_lease() -> None:
    async def run_then_take() -> bool:
        store = LateRenewals()
        async with hold_lease(store, "thread_1", ttl_s=0.3):  # renewed every 0.1 s
            await store.renewing.wait()  # the run ends while its renewal is on its way
        await store.landed.wait()
        return await store.acquire_lease("thread_1", "next_worker", 60)

    assert asyncio.run(run_then_take()) is True
