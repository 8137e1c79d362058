"""SqliteStore under load: many concurrent threads, the event loop's lag, a durable step's floor.

Three rows, each against its floor measured in the same run:
- 200 threads launched at once on one event loop, each 11 model calls of 20 ms (10 `add` tool
  calls, then the final answer), on a new SqliteStore file; the floor is the sleeps alone. The
  workload is bench/concurrency.py's for PostgreSQL: an async `add`, one launch first to warm up.
- The event loop's lag meanwhile: a ticker task sleeps 1 ms again and again, and each wake-up's
  lateness is one sample; the row is their median.
- One durable tool step (`tool_call` started, then `tool_result`: two appends, each durable
  before the next begins), against the same two rows inserted with plain sqlite3, each its own
  commit with synchronous=FULL in WAL mode, in a new file in the same folder: the floor's step
  and ours alternate, so that both meet the disk in the same state.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import statistics
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from agentgen.runtime import (
    MemoryStore,
    ModelOutput,
    ModelRequest,
    ScriptedModel,
    SqliteStore,
    Store,
)

from .ours import new_db, script, tool_results
from .stats import Row, fmt, median, target

THREADS, MODEL_CALLS, SLEEP_S, TICK_S = 200, 11, 0.02, 0.001
CONCURRENT = f"SQLite, {THREADS} concurrent threads x {MODEL_CALLS} model calls of 20 ms"
LAG = f"SQLite, event-loop lag p50 during {THREADS} concurrent threads"
STEP = "SQLite, a durable tool step (started, then finished)"
IDEAL = "sleeps only (ideal)"
FLOOR = "floor: 2 sqlite3 inserts, each a FULL commit (WAL)"
OURS, MEMORY = "agentgen (SqliteStore)", "agentgen (MemoryStore)"
# what a tool step of the bench agent stores (its events, with a fixed-width call id)
STARTED = (
    '{"type":"tool_call","call_id":"call_%024d","call":{"intent":"add","a":%d.0,"b":1.0},'
    '"awaiting":null,"summary":null}'
)
FINISHED = '{"type":"tool_result","call_id":"call_%024d","intent":"add","result":%d.0}'


TABLE = (
    "CREATE TABLE events (thread_id TEXT, seq INTEGER, event TEXT, PRIMARY KEY (thread_id, seq))"
)


class SleepingModel:
    """A scripted model whose every answer takes `seconds`, as a remote model's would."""

    def __init__(self, steps: list[dict[str, Any]], seconds: float) -> None:
        self.inner, self.seconds = ScriptedModel(steps, record=False), seconds

    async def next_step(self, request: ModelRequest) -> ModelOutput:
        await asyncio.sleep(self.seconds)
        return await self.inner.next_step(request)


@dataclass(frozen=True)
class Concurrent:
    """One run of the concurrent threads: its wall seconds and the loop's median lag (ms)."""

    seconds: float
    lag_ms: float


async def _ticking(work: Coroutine[Any, Any, None]) -> Concurrent:
    """Run `work` while a ticker measures how late a 1 ms sleep wakes up."""
    lags: list[float] = []
    done = False

    async def tick() -> None:
        while not done:
            begun = time.perf_counter()
            await asyncio.sleep(TICK_S)
            lags.append(time.perf_counter() - begun - TICK_S)

    ticker = asyncio.create_task(tick())
    begun = time.perf_counter()
    await work
    seconds = time.perf_counter() - begun
    done = True
    await ticker
    return Concurrent(seconds, statistics.median(lags) * 1000 if lags else 0.0)


async def _sleeps_only(threads: int, calls: int) -> None:
    async def one() -> None:
        for _ in range(calls):
            await asyncio.sleep(SLEEP_S)

    await asyncio.gather(*(one() for _ in range(threads)))


async def add(call: Any) -> float:
    """The add tool as an async handler: I/O-bound tools are, and it keeps the loop's own cost."""
    return float(call.a + call.b)


async def _launch(agent: ModuleType, store: Store, calls: int) -> None:
    model = SleepingModel(script(calls - 1), SLEEP_S)
    handlers = SimpleNamespace(add=add)
    thread = await agent.launch("add 1, n times", model=model, store=store, handlers=handlers)
    if thread.status != "done" or tool_results(thread) != calls - 1:
        raise RuntimeError(f"a concurrent thread ended {thread.status}")


async def _agents(agent: ModuleType, store: Store, threads: int, calls: int) -> None:
    await asyncio.gather(*(_launch(agent, store, calls) for _ in range(threads)))


def concurrent_run(
    agent: ModuleType | None, kind: str, workdir: Path, threads: int = THREADS
) -> Concurrent:
    """`threads` threads at once: the sleeps alone (agent None), or the agent on a new store."""
    if agent is None:
        return asyncio.run(_ticking(_sleeps_only(threads, MODEL_CALLS)))
    store = MemoryStore() if kind == "memory" else SqliteStore(new_db(workdir, "concurrent"))

    async def run() -> Concurrent:
        await _launch(agent, store, MODEL_CALLS)  # warm up, as a server that has been up a while
        return await _ticking(_agents(agent, store, threads, MODEL_CALLS))

    try:
        return asyncio.run(run())
    finally:
        if isinstance(store, SqliteStore):
            store.close()


def concurrency_rows(
    repeats: int, agent: ModuleType, workdir: Path, threads: int = THREADS
) -> list[Row]:
    """The concurrent threads' wall time and the loop's lag: the sleeps alone, then ours.

    Run after run, one of each in turn, so that a drift of the machine's speed meets them all."""
    kinds = (IDEAL, MEMORY, OURS)
    runs: dict[str, list[Concurrent]] = {kind: [] for kind in kinds}
    for _ in range(repeats):
        for kind in kinds:
            os.sync()  # what earlier runs wrote reaches the disk now, not during this run
            which = None if kind == IDEAL else agent
            store = "memory" if kind == MEMORY else "sqlite"
            runs[kind].append(concurrent_run(which, store, workdir, threads))
    seconds = {kind: median(run.seconds for run in runs[kind]) for kind in kinds}
    lags = {kind: median(run.lag_ms for run in runs[kind]) for kind in kinds}
    note, size = f"{repeats} run" + ("s" if repeats > 1 else ""), f"{threads} threads"

    def vs_ideal(kind: str) -> str:
        return f"{note}; {fmt(seconds[kind] / seconds[IDEAL])}x ideal"

    return [
        Row(CONCURRENT, OURS, size, seconds[OURS], "s", vs_ideal(OURS)),
        Row(CONCURRENT, MEMORY, size, seconds[MEMORY], "s", vs_ideal(MEMORY)),
        Row(CONCURRENT, IDEAL, size, seconds[IDEAL], "s", note),
        *(Row(LAG, kind, size, lags[kind], "ms", f"{note}; 1 ms ticker") for kind in kinds[::-1]),
    ]


def _floor_db(workdir: Path) -> sqlite3.Connection:
    """A new file for the floor: WAL, synchronous=FULL, autocommit (each insert a commit)."""
    db = sqlite3.connect(new_db(workdir, "floor"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(TABLE)
    return db


async def _steps(store: SqliteStore, floor: sqlite3.Connection, steps: int) -> tuple[float, float]:
    """Seconds of `steps` tool steps through the store and of as many on the floor's file.

    Step by step, one then the other, so that both meet the disk in the same state (its speed
    here drifts by 2x within a minute)."""
    insert = "INSERT INTO events VALUES (?, ?, ?)"
    ours = bare = 0.0
    for step in range(steps):
        started, finished = STARTED % (step, step), FINISHED % (step, step + 1)
        begun = time.perf_counter()
        floor.execute(insert, ("thread_bench", 2 * step, started))
        floor.execute(insert, ("thread_bench", 2 * step + 1, finished))
        middle = time.perf_counter()
        await store.append("thread_bench", 2 * step, started)
        await store.append("thread_bench", 2 * step + 1, finished)
        bare += middle - begun
        ours += time.perf_counter() - middle
    return ours, bare


def step_ms(workdir: Path, steps: int) -> tuple[float, float]:
    """ms per durable tool step through SqliteStore (two appends, one awaited after the other)
    and on its floor (two plain inserts, each its own FULL commit in WAL mode)."""
    store, floor = SqliteStore(new_db(workdir, "step")), _floor_db(workdir)
    try:
        ours, bare = asyncio.run(_steps(store, floor, steps))
    finally:
        store.close()
        floor.close()
    return ours * 1000 / steps, bare * 1000 / steps


def durable_step_rows(repeats: int, workdir: Path, steps: int = 200) -> list[Row]:
    """A durable tool step through SqliteStore against its floor, measured step by step."""
    ours, floor = [], []
    for _ in range(repeats):
        os.sync()
        mine, bare = step_ms(workdir, steps)
        ours.append(mine)
        floor.append(bare)
    note = f"{repeats} run" + ("s" if repeats > 1 else "")
    size = f"N={steps}"
    ratio = median(ours) / median(floor)
    return [
        Row(STEP, OURS, size, median(ours), "ms/step", f"{note}; {fmt(ratio)}x the floor"),
        Row(STEP, FLOOR, size, median(floor), "ms/step", f"{note}; same folder, same steps"),
    ]


def targets(rows: list[Row]) -> list[str]:
    """Issue 14's targets for SQLite: within 3x of ideal, lag p50 under 5 ms, step within 1.5x."""

    def value(benchmark: str, system: str) -> float | None:
        found = [r.value for r in rows if (r.benchmark, r.system) == (benchmark, system)]
        return found[0] if found else None

    def line(label: str, measured: float | None, unit: str, limit: float) -> str:
        return target(label, measured, unit, measured is not None and measured <= limit)

    ideal, ours = value(CONCURRENT, IDEAL), value(CONCURRENT, OURS)
    floor, step = value(STEP, FLOOR), value(STEP, OURS)
    return [
        line(
            f"{THREADS} concurrent threads on SQLite within 3x of ideal",
            ours / ideal if ours and ideal else None,
            "x",
            3,
        ),
        line("event-loop lag p50 under 5 ms (SQLite)", value(LAG, OURS), " ms", 5),
        line(
            "durable tool step within 1.5x of its floor",
            step / floor if step and floor else None,
            "x",
            1.5,
        ),
    ]
