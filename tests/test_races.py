"""Four worker processes racing on three shared threads, with and without SIGKILLs.

Each worker (tests/race_worker.py) launches every thread, then keeps resuming them, as a client
retry or a "resume stuck threads" job would. The thread's lease makes every attempt on a thread
that a live worker advances a `ThreadBusy`; only a dead worker's call is escalated. Afterwards:
no finished result was discarded, no handler ran twice, each interrupted call was escalated
exactly once, and every thread folds. Run with -rP to see the counts.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from agentgen.runtime import PostgresStore, SqliteStore, Store, ThreadBusy, store_from_url
from generated.calculator.agent import VERSION, resume
from generated.calculator.state import Thread
from generated.calculator.threads import load_thread
from tests.agent_cli import ROOT
from tests.race_worker import Adder, MarkingHandlers

THREADS = ["thread_a", "thread_b", "thread_c"]
WORKERS = 4
FINISHED_TARGET = 200
"""Handler calls to finish before the workers are told to stop."""
LEASE_TTL_S = 2.0
BUDGET_S = 30.0
"""A bound on one race (it normally takes a few seconds), not an assertion."""
OUTCOMES = {
    "launch ok",
    "launch ThreadBusy",
    "launch ThreadConflict",
    "resume ok",
    "resume ThreadBusy",
    "resume ResponseRefused",  # the thread moved on between the worker's look and its resume
    # the launch that won the lease has not stored the thread's first events yet (a slow
    # machine: the losers' launches got ThreadBusy and their first look found no thread)
    "resume ThreadNotFound",
}


@dataclass
class Race:
    """The worker processes of one race and the folder they leave their traces in."""

    url: str
    folder: Path
    kills: int
    random: random.Random = field(default_factory=lambda: random.Random(12))
    armed: int = 0
    killed: int = 0
    live: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_worker(self) -> None:
        """One more worker; the first `kills` of them SIGKILL themselves in a handler."""
        # some die in their first launch, some later, inside a resume
        kill_at = self.random.randint(3, 40) if self.armed < self.kills else None
        self.armed += kill_at is not None
        job = {
            "store": self.url,
            "threads": THREADS,
            "dir": str(self.folder),
            "seed": self.random.randrange(1 << 30),
            "kill_at": kill_at,
        }
        env = {**os.environ, "PYTHONPATH": str(ROOT), "AGENTGEN_LEASE_TTL_S": str(LEASE_TTL_S)}
        command = [sys.executable, "-m", "tests.race_worker", json.dumps(job)]
        self.live.append(subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE))

    def reap(self) -> None:
        """Replace each worker that killed itself; any other exit is a failure."""
        for worker in [worker for worker in self.live if worker.poll() is not None]:
            self.live.remove(worker)
            _, err = worker.communicate()
            assert worker.returncode == -signal.SIGKILL, err.decode()
            self.killed += 1
            self.start_worker()

    def finished(self) -> int:
        return len(list((self.folder / "calls").glob("*.finished")))

    def run(self) -> float:
        """Race until enough calls finished and every armed worker died; the seconds it took."""
        for name in ("calls", "twice", "tally"):
            (self.folder / name).mkdir()
        began = time.monotonic()
        for _ in range(WORKERS):
            self.start_worker()
        while time.monotonic() - began < BUDGET_S:
            self.reap()
            if self.finished() >= FINISHED_TARGET and self.killed == self.kills:
                break
            time.sleep(0.05)
        (self.folder / "stop").touch()
        for worker in self.live:
            _, err = worker.communicate(timeout=60)
            assert worker.returncode == 0, err.decode()
        return time.monotonic() - began

    def tally(self) -> Counter[str]:
        """What the workers' attempts gave, summed over every worker."""
        total: Counter[str] = Counter()
        for path in (self.folder / "tally").glob("*.json"):
            total.update(json.loads(path.read_text()))
        return total


async def close(store: Store) -> None:
    if isinstance(store, PostgresStore):
        await store.close()
    elif isinstance(store, SqliteStore):
        store.close()


async def settle(url: str, folder: Path) -> dict[str, Thread]:
    """Every thread, after a dead worker's call (if it left one) has been escalated."""
    store = store_from_url(url)
    handlers = MarkingHandlers(folder, kill_at=None)
    threads = {}
    try:
        for thread_id in THREADS:
            thread = await load_thread(thread_id, store, VERSION)
            while thread.state.in_progress is not None:
                try:
                    thread = await resume(
                        thread_id, None, model=Adder(), store=store, handlers=handlers
                    )
                except ThreadBusy:  # the dead worker's lease has not expired yet
                    await asyncio.sleep(0.1)
            threads[thread_id] = thread
    finally:
        await close(store)
    return threads


def ids(threads: dict[str, Thread], kind: str) -> Counter[str]:
    """How many events of this type each call_id has, across the threads."""
    return Counter(
        getattr(event, "call_id", "")
        for thread in threads.values()
        for event in thread.events
        if event.type == kind
    )


def check(race: Race, seconds: float) -> dict[str, Any]:
    """The race's invariants; the counts, for the report."""
    threads = asyncio.run(settle(race.url, race.folder))
    calls = race.folder / "calls"
    started = {path.stem for path in calls.glob("*.started")}
    finished = {path.stem for path in calls.glob("*.finished")}
    results, escalated = ids(threads, "tool_result"), ids(threads, "escalation")
    discarded = finished - set(results)
    interrupted = started - finished
    tally = race.tally()
    counts = {
        "seconds": round(seconds, 1),
        "handler calls finished": len(finished),
        "discarded results": len(discarded),
        "interrupted calls": len(interrupted),
        "escalations": sum(escalated.values()),
        "attempts": dict(sorted(tally.items())),
    }
    print(f"race on {race.url.split(':')[0]} with {race.kills} kills: {counts}")
    assert sorted(path.name for path in (race.folder / "twice").iterdir()) == []
    assert discarded == set(), counts
    assert all(results[call_id] == 1 for call_id in finished), counts
    assert escalated == Counter(interrupted), counts
    assert len(interrupted) == race.kills, counts
    # every writer holds the thread's lease, so no two of them ever append to one thread at once:
    # a ThreadConflict is only a launch that came after the thread's first run had ended
    assert set(tally) <= OUTCOMES, counts
    return counts


@pytest.mark.parametrize("kills", [0, 2], ids=["no-kills", "two-sigkills"])
def test_workers_racing_on_shared_threads_lose_no_work(
    store_url: str, tmp_path: Path, kills: int
) -> None:
    race = Race(store_url, tmp_path, kills)
    counts = check(race, race.run())
    assert counts["handler calls finished"] >= FINISHED_TARGET
