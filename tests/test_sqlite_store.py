"""SqliteStore: every commit durable (synchronous=FULL), and its I/O off the event loop.

The store's writes run on a thread of its own, and writes that arrive together share one commit
(group commit). These tests hold SQLite's write lock from another connection, so that the
store's writes must wait, and check what happens meanwhile and afterwards; none of them times
anything.
"""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import struct
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from agentgen.runtime import SqliteStore, StoreUnavailable, ThreadConflict, store_from_url

FULL, NORMAL = 2, 1  # what PRAGMA synchronous reads back


def synchronous(store: SqliteStore) -> int:
    """PRAGMA synchronous as the store's own writing connection has it (it is per connection)."""

    def read(db: sqlite3.Connection) -> int:
        return int(db.execute("PRAGMA synchronous").fetchone()[0])

    return asyncio.run(store._writes.write(read))


def test_every_commit_is_synced_by_default(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "threads.db")
    try:
        assert store.synchronous == "full"
        assert synchronous(store) == FULL
        assert store.url == f"sqlite:///{tmp_path / 'threads.db'}"
    finally:
        store.close()
    from_url = store_from_url(f"sqlite:///{tmp_path / 'threads.db'}")
    assert isinstance(from_url, SqliteStore)
    try:
        assert synchronous(from_url) == FULL
    finally:
        from_url.close()
    with sqlite3.connect(tmp_path / "threads.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_normal_is_there_for_who_asks_for_it(tmp_path: Path) -> None:
    path = tmp_path / "threads.db"
    store = SqliteStore(path, synchronous="normal")
    try:
        assert synchronous(store) == NORMAL
        assert store.url == f"sqlite:///{path}?synchronous=normal"
    finally:
        store.close()
    url = f"sqlite:///{path}?synchronous=normal"
    from_url = store_from_url(url)
    assert isinstance(from_url, SqliteStore)
    try:
        assert (from_url.synchronous, from_url.url) == ("normal", url)
        assert synchronous(from_url) == NORMAL
    finally:
        from_url.close()
    full = store_from_url(f"sqlite:///{path}?synchronous=full")
    assert isinstance(full, SqliteStore)
    try:
        assert (full.url, synchronous(full)) == (f"sqlite:///{path}", FULL)
    finally:
        full.close()
    with pytest.raises(ValueError) as raised:
        SqliteStore(path, synchronous="off")  # type: ignore[arg-type]
    assert str(raised.value) == "synchronous must be 'full' or 'normal', got 'off'"


@contextmanager
def write_locked(path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection holding the file's write lock until the block ends (or releases it)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    finally:
        if db.in_transaction:
            db.execute("ROLLBACK")
        db.close()


def rows(path: Path) -> list[tuple[str, int, str]]:
    """Every stored event, read with plain SQL."""
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT thread_id, seq, event FROM events ORDER BY 1, 2").fetchall()
    finally:
        db.close()


def test_the_event_loop_runs_while_a_write_waits_for_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "threads.db"
    store = SqliteStore(path, timeout_s=60)

    async def scenario() -> list[str]:
        await store.append("earlier", 0, "e0")
        with write_locked(path) as other:
            append = asyncio.create_task(store.append("abc", 0, "waits"))
            ticks = 0
            for _ in range(50):  # other coroutines go on: the append waits on another thread
                await asyncio.sleep(0)
                ticks += 1
            assert ticks == 50 and not append.done()
            # reads have a connection of their own: they do not queue behind the waiting write
            assert await store.load("earlier") == ["e0"]
            assert await store.thread_ids() == ["earlier"]
            assert not append.done()
            other.execute("COMMIT")  # the lock goes: the append takes it and commits
            await append
        return await store.load("abc")

    try:
        assert asyncio.run(scenario()) == ["waits"]
    finally:
        store.close()
    assert rows(path) == [("abc", 0, "waits"), ("earlier", 0, "e0")]


def commits(path: Path) -> int:
    """How many transactions the WAL file beside `path` holds (its frames that end a commit)."""
    wal = path.with_name(path.name + "-wal").read_bytes()
    if len(wal) < 32:
        return 0
    page_size, _, salt1, salt2 = struct.unpack(">IIII", wal[8:24])
    count, offset = 0, 32
    while offset + 24 + page_size <= len(wal):
        _, size_after, frame_salt1, frame_salt2 = struct.unpack(">IIII", wal[offset : offset + 16])
        if (frame_salt1, frame_salt2) != (salt1, salt2):
            break  # a frame of an earlier generation of the WAL
        count += size_after != 0  # a commit frame: the database's size in pages after it
        offset += 24 + page_size
    return count


def test_writes_that_arrive_together_share_a_commit_and_keep_their_own_answers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "threads.db"
    store = SqliteStore(path, timeout_s=60)

    async def scenario() -> list[BaseException | None]:
        await store.append("taken", 0, "first")
        await store.append_many("long", 0, ["l0", "l1"])
        before = commits(path)
        with write_locked(path) as other:
            writes: list[Coroutine[Any, Any, object]]
            writes = [store.append(f"t{n:03}", 0, f"event {n}") for n in range(100)]
            writes += [
                store.append("taken", 0, "late"),  # a conflict: event 0 exists
                store.append("gap", 3, "e3"),  # a conflict: a gap
                store.append("long", 2, "l2"),  # fine, beside the others
                store.append_many("many", 0, ["m0", "m1", "m2"]),
                store.append_many("many", 3, ["m3"]),  # the same thread, in order: fine
                store.append("dup", 0, "d-first"),
                store.append("dup", 0, "d-second"),  # the same seq: the first one wins
                store.acquire_lease("taken", "worker-1", 60),
            ]
            tasks = [asyncio.ensure_future(write) for write in writes]
            for _ in range(20):
                await asyncio.sleep(0)
            assert not any(task.done() for task in tasks)
            other.execute("ROLLBACK")
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        # two commits at most: the first write the writer took, then all the others together
        assert commits(path) - before <= 2
        return [outcome if isinstance(outcome, BaseException) else None for outcome in outcomes]

    try:
        outcomes = asyncio.run(scenario())
        assert outcomes[:100] == [None] * 100
        late, gap, *fine, dup_second, lease = outcomes[100:]
        assert isinstance(late, ThreadConflict) and str(late) == (
            "thread 'taken' was changed by another writer (event 0 already exists)"
        )
        assert isinstance(gap, ThreadConflict) and str(gap) == (
            "thread 'gap' has 0 events; appending event 3 would leave a gap"
        )
        assert fine == [None, None, None, None]
        assert isinstance(dup_second, ThreadConflict) and str(dup_second) == (
            "thread 'dup' was changed by another writer (event 0 already exists)"
        )
        assert lease is None  # (acquire_lease's True is not an exception)
        assert asyncio.run(store.load("long")) == ["l0", "l1", "l2"]
        assert asyncio.run(store.load("many")) == ["m0", "m1", "m2", "m3"]
        assert asyncio.run(store.load("dup")) == ["d-first"]
        assert asyncio.run(store.load("taken")) == ["first"]
        assert not asyncio.run(store.acquire_lease("taken", "worker-2", 60))
        ids = asyncio.run(store.thread_ids())
        assert ids == sorted([f"t{n:03}" for n in range(100)] + ["dup", "long", "many", "taken"])
    finally:
        store.close()
    assert ("t042", 0, "event 42") in rows(path)


def test_a_full_disk_fails_only_the_write_that_does_not_fit(tmp_path: Path) -> None:
    path = tmp_path / "threads.db"
    SqliteStore(path).close()
    with sqlite3.connect(path) as db:
        (pages,) = db.execute("PRAGMA page_count").fetchone()
    store = SqliteStore(path, max_pages=pages, timeout_s=60)

    async def scenario() -> list[BaseException | None]:
        with write_locked(path) as other:
            writes: list[Coroutine[Any, Any, object]]
            writes = [store.append(f"small-{n}", 0, "x") for n in range(5)]
            writes.append(store.append("big", 0, "y" * 100_000))  # needs pages there are not
            writes += [store.append(f"small-{n}", 1, "z") for n in range(5, 8)]  # gaps
            tasks = [asyncio.ensure_future(write) for write in writes]
            for _ in range(20):
                await asyncio.sleep(0)
            other.execute("ROLLBACK")
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        return [outcome if isinstance(outcome, BaseException) else None for outcome in outcomes]

    try:
        outcomes = asyncio.run(scenario())
        assert outcomes[:5] == [None] * 5
        full = outcomes[5]
        assert isinstance(full, StoreUnavailable)
        assert str(full) == (
            f"store 'sqlite:///{path}?max_pages={pages}' cannot be written: "
            "database or disk is full"
        )
        assert [str(gap) for gap in outcomes[6:]] == [
            f"thread 'small-{n}' has 0 events; appending event 1 would leave a gap"
            for n in range(5, 8)
        ]
    finally:
        store.close()
    assert rows(path) == [(f"small-{n}", 0, "x") for n in range(5)]


def test_a_write_cancelled_before_it_ran_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "threads.db"
    store = SqliteStore(path, timeout_s=60)

    async def scenario() -> None:
        with write_locked(path) as other:
            first = asyncio.create_task(store.append("first", 0, "kept"))
            while store._writes._queue.qsize():  # until the writer has taken it (and waits)
                await asyncio.sleep(0)
            cancelled = asyncio.create_task(store.append("cancelled", 0, "never"))
            await asyncio.sleep(0)  # queued behind the first
            cancelled.cancel()
            other.execute("ROLLBACK")
            await first
            with pytest.raises(asyncio.CancelledError):
                await cancelled
        await store.append("after", 0, "kept too")  # the writer goes on

    try:
        asyncio.run(scenario())
    finally:
        store.close()
    assert rows(path) == [("after", 0, "kept too"), ("first", 0, "kept")]


def test_close_finishes_the_writes_under_way(tmp_path: Path) -> None:
    path = tmp_path / "threads.db"
    store = SqliteStore(path)

    async def scenario() -> None:
        writes = [asyncio.create_task(store.append(f"t{n}", 0, "e")) for n in range(10)]
        await asyncio.sleep(0)  # every append is queued
        store.close()
        await asyncio.gather(*writes)
        with pytest.raises(sqlite3.ProgrammingError):
            await store.append("later", 0, "e")

    asyncio.run(scenario())
    assert rows(path) == [(f"t{n}", 0, "e") for n in range(10)]
    # the last connection closed: SQLite folded the WAL into the file and removed it
    assert sorted(child.name for child in tmp_path.iterdir()) == ["threads.db"]


def test_a_store_dropped_without_close_stops_its_threads(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "threads.db")
    asyncio.run(store.append("abc", 0, "e0"))
    assert asyncio.run(store.load("abc")) == ["e0"]
    threads = [store._writes._thread, store._reads._thread]
    assert all(thread is not None and thread.is_alive() for thread in threads)
    del store
    gc.collect()
    assert not any(thread is not None and thread.is_alive() for thread in threads)
