"""PostgresStore on a real PostgreSQL server: its table, its connections, many writers.

The store contract itself (seq order, conflicts, gaps) is tested for every store in
test_runtime_stores.py.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from agentgen.runtime import (
    PostgresStore,
    Store,
    StoreUnavailable,
    ThreadConflict,
    default_store,
    store_from_url,
)
from tests.postgres_db import fresh_schema


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
