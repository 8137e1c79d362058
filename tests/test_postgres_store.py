"""PostgresStore on a real PostgreSQL server: its table, its pool of connections, many writers.

The store contract itself (seq order, conflicts, gaps) is tested for every store in
test_runtime_stores.py.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from agentgen.runtime import (
    ConfigurationError,
    PostgresStore,
    Store,
    StoreUnavailable,
    ThreadConflict,
    default_store,
    store_from_url,
)
from tests.postgres_db import fresh_schema

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def url() -> Iterator[str]:
    """A URL of the test server whose agentgen_events table starts absent, in a fresh schema."""
    with fresh_schema() as schema_url:
        yield schema_url


@pytest.fixture
def store(url: str) -> Iterator[PostgresStore]:
    opened = PostgresStore(url)
    yield opened
    asyncio.run(opened.close())


async def _append_all(store: Store, thread_id: str, events: list[str]) -> None:
    for seq, event in enumerate(events):
        await store.append(thread_id, seq, event)


def _rows(url: str) -> list[tuple[str, int, str]]:
    with psycopg.connect(url) as db:
        return db.execute(
            "SELECT thread_id, seq, event FROM agentgen_events ORDER BY 1, 2"
        ).fetchall()


def test_threads_persist_across_store_objects(url: str) -> None:
    writer = PostgresStore(url)
    asyncio.run(_append_all(writer, "abc", ['{"type": "thread_started"}', '{"n": 1}']))
    asyncio.run(writer.close())
    reader = PostgresStore(url)
    assert asyncio.run(reader.load("abc")) == ['{"type": "thread_started"}', '{"n": 1}']
    asyncio.run(reader.append("abc", 2, '{"n": 2}'))
    asyncio.run(reader.close())
    assert _rows(url) == [
        ("abc", 0, '{"type": "thread_started"}'),
        ("abc", 1, '{"n": 1}'),
        ("abc", 2, '{"n": 2}'),
    ]


def test_the_table_has_the_documented_columns_and_key(store: PostgresStore, url: str) -> None:
    asyncio.run(store.thread_ids())  # the first call creates the table
    with psycopg.connect(url) as db:
        columns = db.execute(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
            " WHERE table_name = 'agentgen_events' AND table_schema = current_schema()"
            " ORDER BY ordinal_position"
        ).fetchall()
        key = db.execute(
            "SELECT a.attname FROM pg_index i"
            " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indrelid = 'agentgen_events'::regclass AND i.indisprimary"
            " ORDER BY array_position(i.indkey, a.attnum)"
        ).fetchall()
    assert columns == [
        ("thread_id", "text", "NO"),
        ("seq", "integer", "NO"),
        ("event", "text", "NO"),
    ]
    assert key == [("thread_id",), ("seq",)]


def test_one_store_serves_several_event_loops(store: PostgresStore) -> None:
    # launch and a later resume in one process each run their own asyncio.run
    asyncio.run(store.append("abc", 0, "e0"))
    asyncio.run(store.append("abc", 1, "e1"))
    assert asyncio.run(store.load("abc")) == ["e0", "e1"]


def test_concurrent_tasks_sharing_one_store_keep_their_transactions_apart(
    store: PostgresStore, url: str
) -> None:
    # the losers of seq 0 roll back; sharing a transaction would roll back the others' appends
    async def append(thread_id: str, event: str) -> str:
        try:
            await store.append(thread_id, 0, event)
        except ThreadConflict:
            return "conflict"
        return "stored"

    async def run_all() -> list[str]:
        racers = [append("shared", f"racer {n}") for n in range(10)]
        loners = [append(f"own {n}", f"loner {n}") for n in range(10)]
        return await asyncio.gather(*racers, *loners)

    outcomes = asyncio.run(run_all())
    assert outcomes[:10].count("stored") == 1
    assert outcomes[10:] == ["stored"] * 10
    stored = {(thread_id, event) for thread_id, _, event in _rows(url)}
    assert stored == {("shared", f"racer {outcomes.index('stored')}")} | {
        (f"own {n}", f"loner {n}") for n in range(10)
    }


def test_racing_writers_on_their_own_connections_never_lose_an_event(url: str) -> None:
    writers, length = 6, 15

    async def write(index: int, store: PostgresStore) -> list[str]:
        accepted = []
        for seq in range(length):
            try:
                await store.append("race", seq, f"{index}:{seq}")
                accepted.append(f"{index}:{seq}")
            except ThreadConflict:
                pass
        await store.close()
        return accepted

    async def run_all() -> list[list[str]]:
        # every store opens its connection, and creates the table, at the same moment
        return await asyncio.gather(*(write(n, PostgresStore(url)) for n in range(writers)))

    accepted = [event for events in asyncio.run(run_all()) for event in events]
    reader = PostgresStore(url)
    stored = asyncio.run(reader.load("race"))
    asyncio.run(reader.close())
    assert [event.split(":")[1] for event in stored] == [str(seq) for seq in range(length)]
    assert sorted(stored) == sorted(accepted)


def test_a_dropped_connection_is_replaced_on_the_next_call(url: str) -> None:
    name = f"victim_{uuid.uuid4().hex}"  # so that only this store's connection is dropped
    store = PostgresStore(f"{url}&application_name={name}")

    async def drop_then_load() -> list[str]:
        # one event loop throughout: a new loop would open a new connection anyway
        await store.append("abc", 0, "e0")
        with psycopg.connect(url, autocommit=True) as admin:
            dropped = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s",
                (name,),
            ).fetchall()
        assert dropped == [(True,)]
        with pytest.raises(StoreUnavailable) as raised:
            await store.load("abc")
        cause = "terminating connection due to administrator command"
        assert str(raised.value) == f"store '{store.url}' cannot be read: {cause}"
        await store.append("abc", 1, "e1")
        events = await store.load("abc")
        await store.close()
        return events

    assert asyncio.run(drop_then_load()) == ["e0", "e1"]


def test_store_from_url_selects_postgres(url: str) -> None:
    for scheme_url in (url, url.replace("postgresql://", "postgres://", 1)):
        store = store_from_url(scheme_url)
        assert isinstance(store, PostgresStore)
        assert store.dsn == scheme_url
    assert isinstance(store, PostgresStore)  # narrowed again after the loop, for close()
    asyncio.run(_append_all(store, "abc", ["e0"]))
    assert asyncio.run(store.load("abc")) == ["e0"]
    asyncio.run(store.close())


def test_agentgen_store_selects_postgres(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTGEN_STORE", url)
    store = default_store()
    assert isinstance(store, PostgresStore)
    assert store.dsn == url
    assert default_store() is store
    asyncio.run(store.append("abc", 0, "e0"))
    assert _rows(url) == [("abc", 0, "e0")]
    asyncio.run(store.close())


def test_the_lease_table_has_the_documented_columns(store: PostgresStore, url: str) -> None:
    asyncio.run(store.thread_ids())
    with psycopg.connect(url) as db:
        columns = db.execute(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
            " WHERE table_name = 'agentgen_leases' AND table_schema = current_schema()"
            " ORDER BY ordinal_position"
        ).fetchall()
    assert columns == [
        ("thread_id", "text", "NO"),
        ("owner", "text", "NO"),
        ("expires_at", "timestamp with time zone", "NO"),
    ]


def test_racing_workers_on_their_own_connections_give_a_lease_to_one(url: str) -> None:
    async def take(index: int, thread_id: str) -> bool:
        store = PostgresStore(url)
        try:
            return await store.acquire_lease(thread_id, f"worker-{index}", 60)
        finally:
            await store.close()

    async def race(thread_id: str) -> list[bool]:
        return await asyncio.gather(*(take(index, thread_id) for index in range(8)))

    for trial in range(5):
        assert asyncio.run(race(f"t{trial}")).count(True) == 1


def test_a_server_that_cannot_be_reached_is_one_line_naming_it() -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = PostgresStore(f"postgresql://agent:s3cret@127.0.0.1:{port}/threads")
    with pytest.raises(StoreUnavailable) as raised:
        asyncio.run(store.load("abc"))
    message = str(raised.value)
    prefix = f"store 'postgresql://agent:***@127.0.0.1:{port}/threads' cannot be opened: "
    assert message.startswith(prefix), message
    assert "Connection refused" in message
    assert "s3cret" not in message
    assert "\n" not in message
    assert raised.value.http_status == 503


def _waiting_on_a_lock(url: str, application_name: str) -> bool:
    """Whether a backend of `application_name` is waiting for a lock another one holds."""
    with psycopg.connect(url, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT 1 FROM pg_stat_activity WHERE application_name = %s"
            " AND wait_event_type = 'Lock'",
            (application_name,),
        ).fetchall()
    return bool(rows)


def test_a_thread_held_up_by_a_row_lock_holds_up_no_other_thread(url: str) -> None:
    # Another transaction holds the key of thread "held"'s next event; the old store, one
    # connection behind a lock, made every other thread of the process wait for it.
    name = f"held_{uuid.uuid4().hex}"
    store = PostgresStore(f"{url}&application_name={name}")
    asyncio.run(_append_all(store, "taken", ["e0"]))

    async def run(blocker: psycopg.Connection[tuple[object, ...]]) -> list[object]:
        held = asyncio.ensure_future(store.append("held", 0, "ours"))
        for _ in range(600):  # until its statement waits for the lock (a minute at most)
            if _waiting_on_a_lock(url, name):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the append never waited for the row lock")
        others = [
            store.append("free 1", 0, "f1"),
            store.append("free 2", 0, "f2"),
            store.append_many("free 3", 0, ["f3a", "f3b"]),
            store.append("taken", 0, "late"),  # a conflict of its own, in the same batch
            store.append("nul", 0, "a\x00b"),  # text PostgreSQL refuses: its own error
            store.acquire_lease("free 1", "me", 60),
            store.load("taken"),
        ]
        # a minute is a hang's deadline, not a measure: they finish while the lock is held
        outcomes = await asyncio.wait_for(asyncio.gather(*others, return_exceptions=True), 60)
        assert not held.done()
        blocker.rollback()  # the lock goes: the held append goes in
        await asyncio.wait_for(held, 60)
        await store.close()
        return outcomes

    with psycopg.connect(url) as blocker:  # a transaction, left open
        blocker.execute("INSERT INTO agentgen_events VALUES ('held', 0, 'theirs')")
        outcomes = asyncio.run(run(blocker))
    assert outcomes[:3] == [None, None, None]
    assert isinstance(outcomes[3], ThreadConflict)
    assert str(outcomes[3]) == (
        "thread 'taken' was changed by another writer (event 0 already exists)"
    )
    assert isinstance(outcomes[4], psycopg.DataError)
    assert outcomes[5:] == [True, ["e0"]]
    assert _rows(url) == [
        ("free 1", 0, "f1"),
        ("free 2", 0, "f2"),
        ("free 3", 0, "f3a"),
        ("free 3", 1, "f3b"),
        ("held", 0, "ours"),
        ("taken", 0, "e0"),
    ]


def test_many_threads_at_once_each_get_their_own_outcome(url: str) -> None:
    # concurrent appends and leases go to the database in batches: every call still answers
    # for itself alone
    store = PostgresStore(url)
    asyncio.run(_append_all(store, "t0", ["e0"]))

    async def run_all() -> list[object]:
        calls = []
        for n in range(60):
            calls.append(store.append(f"t{n}", 0, f"e{n}"))  # t0's is a conflict
            calls.append(store.append_many(f"m{n}", 0, ["a", "b", "c"]))
            calls.append(store.acquire_lease(f"t{n % 30}", f"owner {n}", 60))
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        for n in range(30, 60):  # each lease's holder drops it; the others' drops do nothing
            await store.release_lease(f"t{n % 30}", f"owner {n}")
        await store.close()
        return outcomes

    outcomes = asyncio.run(run_all())
    appends, many, leases = outcomes[0::3], outcomes[1::3], outcomes[2::3]
    assert isinstance(appends[0], ThreadConflict)
    assert appends[1:] == [None] * 59
    assert many == [None] * 60
    # two owners asked for each of the leases t0..t29: exactly one of them got it
    assert [leases[n] != leases[n + 30] for n in range(30)] == [True] * 30
    rows = _rows(url)
    assert len(rows) == 60 + 3 * 60
    assert ("t0", 0, "e0") in rows
    with psycopg.connect(url) as db:
        held = db.execute("SELECT thread_id, owner FROM agentgen_leases ORDER BY 1").fetchall()
    assert len(held) == sum(1 for n in range(30) if leases[n] is True)
    assert all(owner == f"owner {int(thread[1:])}" for thread, owner in held)


def test_pool_sizes_come_from_the_arguments_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AGENTGEN_PG_POOL_MIN", raising=False)
    monkeypatch.delenv("AGENTGEN_PG_POOL_MAX", raising=False)
    dsn = "postgresql://agent@127.0.0.1:9/threads"
    assert (PostgresStore(dsn).pool_min, PostgresStore(dsn).pool_max) == (1, 10)
    store = PostgresStore(dsn, pool_min=2, pool_max=4)
    assert (store.pool_min, store.pool_max) == (2, 4)
    monkeypatch.setenv("AGENTGEN_PG_POOL_MAX", "30")
    assert (PostgresStore(dsn).pool_min, PostgresStore(dsn).pool_max) == (1, 30)
    monkeypatch.setenv("AGENTGEN_PG_POOL_MIN", "40")
    with pytest.raises(ConfigurationError) as raised:
        PostgresStore(dsn)
    assert str(raised.value) == (
        "the PostgreSQL pool's minimum (40, pool_min or AGENTGEN_PG_POOL_MIN) is above its "
        "maximum (30, pool_max or AGENTGEN_PG_POOL_MAX)"
    )
    monkeypatch.setenv("AGENTGEN_PG_POOL_MAX", "many")
    with pytest.raises(ConfigurationError) as raised:
        PostgresStore(dsn)
    assert str(raised.value) == "AGENTGEN_PG_POOL_MAX must be an integer >= 1, got 'many'"


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`code` in a new interpreter: nothing imported yet."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_opening_a_store_imports_no_driver() -> None:
    code = (
        "import sys, agentgen_runtime\n"
        "agentgen_runtime.store_from_url('postgresql://agent@127.0.0.1:9/threads')\n"
        "print(sorted(name for name in ('psycopg', 'psycopg_pool') if name in sys.modules))\n"
    )
    result = _python(code)
    assert (result.returncode, result.stdout, result.stderr) == (0, "[]\n", "")


@pytest.mark.parametrize("missing", ["psycopg", "psycopg_pool"])
def test_a_missing_driver_is_one_line_naming_the_install(missing: str) -> None:
    code = (
        f"import sys; sys.modules[{missing!r}] = None  # as if it were not installed\n"
        "import agentgen_runtime\n"
        "try:\n"
        "    agentgen_runtime.store_from_url('postgresql://agent@127.0.0.1:9/threads')\n"
        "except agentgen_runtime.MissingExtra as error:\n"
        "    print(isinstance(error, ImportError), error)\n"
    )
    result = _python(code)
    expected = f"True {missing} is not installed: pip install 'agentgen-runtime[postgres]'\n"
    assert (result.stdout, result.stderr) == (expected, "")
    # and an agent's command line on such a store says it in one line
    cli = (
        f"import runpy, sys; sys.modules[{missing!r}] = None\n"
        "sys.argv = ['calculator', 'show', 'thread_1']\n"
        "runpy.run_module('generated.calculator', run_name='__main__')\n"
    )
    result = _python(cli, AGENTGEN_STORE="postgresql://agent@127.0.0.1:9/threads")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {missing} is not installed: pip install 'agentgen-runtime[postgres]'\n"
    )


def test_a_batch_whose_connection_drops_fails_each_call_in_one_line(url: str) -> None:
    # "x" alone, then "y" and "z" in one batch, both held up by another transaction's locks;
    # the server then drops the store's connections: every call says so, and nothing is stored
    name = f"dropped_{uuid.uuid4().hex}"
    store = PostgresStore(f"{url}&application_name={name}")
    asyncio.run(store.thread_ids())  # the tables exist

    async def run() -> list[object]:
        first = asyncio.ensure_future(store.append("x", 0, "x0"))
        for _ in range(600):  # until it waits for the row lock (a minute at most)
            if _waiting_on_a_lock(url, name):
                break
            await asyncio.sleep(0.1)
        batch = [asyncio.ensure_future(store.append(t, 0, f"{t}0")) for t in ("y", "z")]
        for _ in range(600):  # until the batch waits too (a minute at most)
            with psycopg.connect(url, autocommit=True) as admin:
                waiting = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
                    " AND wait_event_type = 'Lock'",
                    (name,),
                ).fetchone()
            if waiting == (2,):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the batch never waited for the row lock")
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s",
                (name,),
            )
        outcomes = await asyncio.gather(first, *batch, return_exceptions=True)
        await store.close()
        return outcomes

    with psycopg.connect(url) as blocker:  # holds the keys of x, y and z, uncommitted
        for thread in ("x", "y", "z"):
            blocker.execute("INSERT INTO agentgen_events VALUES (%s, 0, 'theirs')", (thread,))
        outcomes = asyncio.run(run())
        blocker.rollback()
    cause = "terminating connection due to administrator command"
    for outcome in outcomes:
        assert isinstance(outcome, StoreUnavailable)
        # the server adds its CONTEXT (the index it was inserting into), on the same line
        assert str(outcome).startswith(f"store '{store.url}' cannot be written: {cause}")
        assert "\n" not in str(outcome)
    assert _rows(url) == []
