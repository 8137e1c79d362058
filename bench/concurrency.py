"""PostgresStore under load: many threads of one process at once, each waiting on its model.

200 threads launched at once on one event loop, each 11 model calls of 20 ms (10 `add` tool
calls, then the final answer), on a fresh schema of the PostgreSQL server the tests use
($AGENTGEN_TEST_POSTGRES_DSN; without one the row is n/a). The floor is the sleeps alone (200
tasks, each 11 sleeps of 20 ms in a row: about 0.22 s), and the same threads on MemoryStore
show the runtime's own cost without a database; the three alternate run after run, so that a
drift of the machine's speed meets them all. Each run first launches one thread, as a server
that has been up a while has its pool open.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import ModuleType, SimpleNamespace
from typing import Any
from urllib.parse import quote, urlsplit

from agentgen.runtime import MemoryStore, PostgresStore, ScriptedModel, Store

from .ours import script, tool_results
from .stats import Row, fmt, median, quotient, target

DSN_ENV = "AGENTGEN_TEST_POSTGRES_DSN"  # the server the PostgreSQL tests use
THREADS, CALLS, SLEEP_S = 200, 11, 0.020
CONCURRENT = f"PostgreSQL, {THREADS} concurrent threads x {CALLS} model calls of 20 ms"
IDEAL = "sleeps only (ideal)"
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
    for thread in done:
        if thread.status != "done" or tool_results(thread) != calls - 1:
            raise RuntimeError(f"a concurrent thread ended {thread.status}")
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


def run_once(kind: str, agent: ModuleType, url: str | None, threads: int) -> float:
    """One timed run: the sleeps alone, or the threads on MemoryStore or a new PostgresStore."""
    if kind == IDEAL:
        return asyncio.run(floor_seconds(threads, CALLS, SLEEP_S))
    if kind == MEMORY:
        return asyncio.run(launches(agent, MemoryStore(), threads, CALLS, SLEEP_S))
    assert url is not None

    async def run() -> float:
        store = PostgresStore(url)  # its pool opens in this run's own event loop
        try:
            return await launches(agent, store, threads, CALLS, SLEEP_S)
        finally:
            await store.close()

    return asyncio.run(run())


def rows(repeats: int, agent: ModuleType, threads: int = THREADS) -> list[Row]:
    """The PostgreSQL row, the in-memory row and the floor, measured in this run."""
    dsn, size = os.environ.get(DSN_ENV), f"{threads} threads"
    kinds = (IDEAL, MEMORY, POSTGRES) if dsn else (IDEAL, MEMORY)
    runs: dict[str, list[float]] = {kind: [] for kind in kinds}
    with ExitStack() as stack:
        url = stack.enter_context(fresh_schema(dsn)) if dsn else None
        for _ in range(repeats):
            for kind in kinds:
                runs[kind].append(run_once(kind, agent, url, threads))
    seconds = {kind: median(values) for kind, values in runs.items()}
    note = f"{repeats} run" + ("s" if repeats > 1 else "")

    def vs_ideal(kind: str) -> str:
        return f"{note}; {fmt(seconds[kind] / seconds[IDEAL])}x ideal"

    if POSTGRES in seconds:
        postgres = Row(CONCURRENT, POSTGRES, size, seconds[POSTGRES], "s", vs_ideal(POSTGRES))
    else:
        postgres = Row(CONCURRENT, POSTGRES, size, None, "s", "n/a (no PostgreSQL)")
    return [
        postgres,
        Row(CONCURRENT, MEMORY, size, seconds[MEMORY], "s", f"{vs_ideal(MEMORY)}; no database"),
        Row(CONCURRENT, IDEAL, size, seconds[IDEAL], "s", note),
    ]


def targets(rows: list[Row]) -> list[str]:
    """Issue 14's target for PostgreSQL: the concurrent threads within 2x of ideal."""
    found = {row.system: row.value for row in rows if row.benchmark == CONCURRENT}
    ours, ideal = found.get(POSTGRES), found.get(IDEAL)
    label = f"{THREADS} concurrent threads on PostgreSQL within 2x of ideal"
    times = quotient(ours, ideal)
    return [target(label, times, "x", times is not None and times <= 2)]
