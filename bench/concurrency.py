"""Many threads at once on a shared store: 200 threads, each 11 model calls of 20 ms.

The floor is the sleeps alone (200 tasks, each 11 sleeps of 20 ms in a row, about 0.22 s),
measured in the same run; a store that serializes its threads is far above it.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType, SimpleNamespace
from typing import Any
from urllib.parse import quote, urlsplit

from agentgen.runtime import MemoryStore, PostgresStore, ScriptedModel, Store

from .ours import script
from .stats import Row

DSN_ENV = "AGENTGEN_TEST_POSTGRES_DSN"  # the same server the PostgreSQL tests use
THREADS, CALLS, SLEEP_S = 200, 11, 0.020
CONCURRENT = f"PostgreSQL, {THREADS} concurrent threads x {CALLS} model calls of 20 ms"
FLOOR = "sleeps only (ideal)"
POSTGRES, MEMORY = "agentgen (PostgresStore)", "agentgen (MemoryStore)"


class SleepyModel(ScriptedModel):
    """A ScriptedModel that takes `sleep_s` to answer, as a remote model would (no CPU)."""

    def __init__(self, steps: list[dict[str, Any]], sleep_s: float) -> None:
        super().__init__(steps, record=False)
        self.sleep_s = sleep_s

    async def next_step(self, request: Any) -> Any:
        await asyncio.sleep(self.sleep_s)
        return await super().next_step(request)


async def add(call: Any) -> float:
    """The add tool as an async handler: I/O-bound tools are, and it keeps the loop's own cost."""
    return float(call.a + call.b)


async def _sleeps(calls: int, sleep_s: float) -> None:
    for _ in range(calls):
        await asyncio.sleep(sleep_s)


async def floor_seconds(threads: int, calls: int, sleep_s: float) -> float:
    """The ideal: `threads` tasks that only sleep `calls` times in a row."""
    start = time.perf_counter()
    await asyncio.gather(*(_sleeps(calls, sleep_s) for _ in range(threads)))
    return time.perf_counter() - start


async def launches(
    agent: ModuleType, store: Store, threads: int, calls: int, sleep_s: float
) -> float:
    """Seconds for `threads` concurrent launches, each `calls` model calls (the last: done)."""
    handlers = SimpleNamespace(add=add)

    async def one() -> Any:
        model = SleepyModel(script(calls - 1), sleep_s)
        return await agent.launch("add 1, n times", model=model, store=store, handlers=handlers)

    await one()  # warm: the store's connections open, as in a server that has been up a while
    start = time.perf_counter()
    done = await asyncio.gather(*(one() for _ in range(threads)))
    seconds = time.perf_counter() - start
    ended = {thread.status for thread in done}
    if ended != {"done"}:
        raise RuntimeError(f"threads ended {sorted(ended)}")
    return seconds


def with_search_path(dsn: str, schema: str) -> str:
    """`dsn` with its unqualified table names resolved in `schema`."""
    if not urlsplit(dsn).scheme.startswith("postgres"):
        raise ValueError(f"{DSN_ENV} must be a postgresql:// URL, got {dsn!r}")
    separator = "&" if "?" in dsn else "?"
    return f"{dsn}{separator}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def fresh_schema(dsn: str) -> Iterator[str]:
    """A URL whose tables live in a new, empty schema, dropped afterwards."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield with_search_path(dsn, schema)
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def postgres_run(agent: ModuleType, url: str) -> Callable[[], float]:
    """One timed run on a fresh PostgresStore (its pool opened in the run's own event loop)."""

    async def run() -> float:
        store = PostgresStore(url)
        try:
            return await launches(agent, store, THREADS, CALLS, SLEEP_S)
        finally:
            await store.close()

    return lambda: asyncio.run(run())


Measure = Callable[[str, Callable[[], float]], tuple[float, str]]


def rows(agent: ModuleType, measure: Measure) -> list[Row]:
    """The PostgreSQL row, the floor and the in-memory row, measured in this run."""
    size = f"{THREADS} threads"
    floor = measure(FLOOR, lambda: asyncio.run(floor_seconds(THREADS, CALLS, SLEEP_S)))
    memory = measure(
        MEMORY,
        lambda: asyncio.run(launches(agent, MemoryStore(), THREADS, CALLS, SLEEP_S)),
    )
    dsn = os.environ.get(DSN_ENV)
    if not dsn:
        postgres = Row(CONCURRENT, POSTGRES, size, None, "s", "n/a (no PostgreSQL)")
    else:
        with fresh_schema(dsn) as url:
            value, note = measure(POSTGRES, postgres_run(agent, url))
        postgres = Row(CONCURRENT, POSTGRES, size, value, "s", note)
    return [
        postgres,
        Row(CONCURRENT, MEMORY, size, memory[0], "s", f"{memory[1]}; no database"),
        Row(CONCURRENT, FLOOR, size, floor[0], "s", f"{floor[1]}; the sleeps only"),
    ]


def targets(found: Callable[[str, str, str], float | None]) -> list[str]:
    """The PostgreSQL run within 2x of its floor, measured in the same run."""
    size = f"{THREADS} threads"
    ours, floor = found(CONCURRENT, POSTGRES, size), found(CONCURRENT, FLOOR, size)
    label = f"PostgreSQL, {THREADS} concurrent threads within 2x of ideal"
    if ours is None or not floor:
        return [f"- {label}: not measured"]
    times, verdict = ours / floor, "met" if ours / floor <= 2 else "MISSED"
    return [f"- {label}: {times:.2f}x ({ours:.3f} s / {floor:.3f} s): {verdict}"]
