"""Thread stores append events in seq order and refuse any write that would lose or skip one."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from agentgen.runtime import (
    MemoryStore,
    PostgresStore,
    SqliteStore,
    Store,
    ThreadConflict,
    ThreadNotFound,
    default_store,
    store_from_url,
)
from tests.postgres_db import fresh_schema

Factory = Callable[[], Store]
S = TypeVar("S", SqliteStore, PostgresStore)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Factory]:
    """A factory of stores: every store it makes shares the same place (memory, file, schema)."""
    if request.param == "memory":
        shared = MemoryStore()
        yield lambda: shared
    elif request.param == "sqlite":
        yield from _opened(lambda: SqliteStore(tmp_path / "threads.db"), SqliteStore.close)
    else:
        with fresh_schema() as url:  # skips the test when there is no PostgreSQL server
            yield from _opened(lambda: PostgresStore(url), lambda s: asyncio.run(s.close()))


def _opened(open_store: Callable[[], S], close: Callable[[S], None]) -> Iterator[Factory]:
    """A factory of `open_store()`, closing every store it opened afterwards."""
    opened: list[S] = []

    def make() -> Store:
        opened.append(open_store())
        return opened[-1]

    yield make
    for store in opened:
        close(store)


async def _append_all(store: Store, thread_id: str, events: list[str]) -> None:
    for seq, event in enumerate(events):
        await store.append(thread_id, seq, event)


def test_load_returns_events_in_seq_order(make_store: Factory) -> None:
    store = make_store()
    events = [f'{{"n": {n}}}' for n in range(12)]
    asyncio.run(_append_all(store, "t1", events))
    asyncio.run(_append_all(store, "t2", ['{"other": true}']))
    assert asyncio.run(store.load("t1")) == events
    assert asyncio.run(store.load("t2")) == ['{"other": true}']


def test_events_come_back_exactly_as_appended(make_store: Factory) -> None:
    store = make_store()
    events = ['{"b": 1,   "a": [1.50, "é\\u00e9"]}', "not json at all", '{"a": 1, "a": 2}']
    asyncio.run(_append_all(store, "raw", events))
    assert asyncio.run(store.load("raw")) == events


def test_a_taken_seq_is_a_conflict_and_keeps_the_first_event(make_store: Factory) -> None:
    store = make_store()
    asyncio.run(_append_all(store, "abc", ["e0", "e1"]))
    with pytest.raises(ThreadConflict) as raised:
        asyncio.run(store.append("abc", 1, "late"))
    assert (
        str(raised.value) == "thread 'abc' was changed by another writer (event 1 already exists)"
    )
    assert asyncio.run(store.load("abc")) == ["e0", "e1"]


def test_a_gap_is_a_conflict_and_writes_nothing(make_store: Factory) -> None:
    store = make_store()
    asyncio.run(_append_all(store, "abc", ["e0"]))
    with pytest.raises(ThreadConflict) as raised:
        asyncio.run(store.append("abc", 3, "e3"))
    assert str(raised.value) == "thread 'abc' has 1 events; appending event 3 would leave a gap"
    with pytest.raises(ThreadConflict) as raised:
        asyncio.run(store.append("new", 1, "e1"))
    assert str(raised.value) == "thread 'new' has 0 events; appending event 1 would leave a gap"
    assert asyncio.run(store.load("abc")) == ["e0"]
    assert asyncio.run(store.thread_ids()) == ["abc"]


def test_a_negative_seq_is_refused(make_store: Factory) -> None:
    with pytest.raises(ValueError) as raised:
        asyncio.run(make_store().append("abc", -1, "e"))
    assert str(raised.value) == "seq must be an integer >= 0, got -1"


def test_a_second_writer_on_the_same_thread_gets_a_conflict(make_store: Factory) -> None:
    first, second = make_store(), make_store()
    asyncio.run(first.append("abc", 0, "from first"))
    with pytest.raises(ThreadConflict) as raised:
        asyncio.run(second.append("abc", 0, "from second"))
    assert (
        str(raised.value) == "thread 'abc' was changed by another writer (event 0 already exists)"
    )
    asyncio.run(second.append("abc", 1, "second, after reloading"))
    assert asyncio.run(first.load("abc")) == ["from first", "second, after reloading"]


def test_an_unknown_thread_is_not_found(make_store: Factory) -> None:
    with pytest.raises(ThreadNotFound) as raised:
        asyncio.run(make_store().load("abc"))
    assert str(raised.value) == "no thread 'abc'"


def test_thread_ids_are_sorted_by_code_point(make_store: Factory) -> None:
    store = make_store()
    assert asyncio.run(store.thread_ids()) == []
    for thread_id in ["b", "a", "é", "B", "a2", "Z"]:
        asyncio.run(_append_all(store, thread_id, ["x", "y"]))
    assert asyncio.run(store.thread_ids()) == ["B", "Z", "a", "a2", "b", "é"]


def test_append_many_stores_every_event_in_one_go(make_store: Factory) -> None:
    store = make_store()
    asyncio.run(store.append_many("abc", 0, ["e0", "e1"]))
    asyncio.run(store.append_many("abc", 2, ["e2", "e3", "e4"]))
    asyncio.run(store.append_many("abc", 5, []))
    asyncio.run(store.append("abc", 5, "e5"))
    assert asyncio.run(store.load("abc")) == ["e0", "e1", "e2", "e3", "e4", "e5"]


def test_append_many_on_a_taken_seq_writes_none_of_its_events(make_store: Factory) -> None:
    first, second = make_store(), make_store()
    asyncio.run(first.append_many("abc", 0, ["first 0", "first 1"]))
    with pytest.raises(ThreadConflict) as raised:
        asyncio.run(second.append_many("abc", 1, ["late 1", "late 2", "late 3"]))
    assert (
        str(raised.value) == "thread 'abc' was changed by another writer (event 1 already exists)"
    )
    with pytest.raises(ThreadConflict) as raised:
        asyncio.run(second.append_many("new", 1, ["e1", "e2"]))
    assert str(raised.value) == "thread 'new' has 0 events; appending event 1 would leave a gap"
    assert asyncio.run(first.load("abc")) == ["first 0", "first 1"]
    assert asyncio.run(first.thread_ids()) == ["abc"]


def test_a_lease_is_held_by_one_owner_until_released(make_store: Factory) -> None:
    first, second = make_store(), make_store()
    assert asyncio.run(first.acquire_lease("abc", "worker-1", 60)) is True
    assert asyncio.run(second.acquire_lease("abc", "worker-2", 60)) is False
    assert asyncio.run(first.acquire_lease("abc", "worker-1", 60)) is True  # a renewal
    assert asyncio.run(second.acquire_lease("other", "worker-2", 60)) is True
    asyncio.run(second.release_lease("abc", "worker-2"))  # not its lease: nothing changes
    assert asyncio.run(second.acquire_lease("abc", "worker-2", 60)) is False
    asyncio.run(first.release_lease("abc", "worker-1"))
    assert asyncio.run(second.acquire_lease("abc", "worker-2", 60)) is True
    assert asyncio.run(first.acquire_lease("abc", "worker-1", 60)) is False


def test_an_expired_lease_goes_to_the_next_owner(make_store: Factory) -> None:
    first, second = make_store(), make_store()
    assert asyncio.run(first.acquire_lease("abc", "dead-worker", 0.05)) is True
    time.sleep(0.1)  # the worker died: nobody renews its lease
    assert asyncio.run(second.acquire_lease("abc", "worker-2", 60)) is True
    assert asyncio.run(first.acquire_lease("abc", "dead-worker", 60)) is False


def test_sqlite_threads_persist_across_store_objects(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "threads.db"
    writer = SqliteStore(path)
    asyncio.run(_append_all(writer, "abc", ['{"type": "thread_started"}', '{"n": 1}']))
    writer.close()
    reader = SqliteStore(str(path))
    assert asyncio.run(reader.load("abc")) == ['{"type": "thread_started"}', '{"n": 1}']
    asyncio.run(reader.append("abc", 2, '{"n": 2}'))
    reader.close()
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT thread_id, seq, event FROM events ORDER BY seq").fetchall()
    assert rows == [
        ("abc", 0, '{"type": "thread_started"}'),
        ("abc", 1, '{"n": 1}'),
        ("abc", 2, '{"n": 2}'),
    ]


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "threads.db").close()
    with sqlite3.connect(tmp_path / "threads.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_store_from_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(store_from_url("memory://"), MemoryStore)
    assert store_from_url("memory://") is not store_from_url("memory://")
    monkeypatch.chdir(tmp_path)
    relative = store_from_url("sqlite:///data/threads.db")
    assert isinstance(relative, SqliteStore)
    assert (tmp_path / "data" / "threads.db").is_file()
    absolute = store_from_url(f"sqlite:///{tmp_path / 'abs.db'}")
    assert isinstance(absolute, SqliteStore)
    assert absolute.path == str(tmp_path / "abs.db")
    assert (tmp_path / "abs.db").is_file()
    relative.close()
    absolute.close()


def test_sqlite_urls_take_read_only_and_a_page_cap(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "threads.db").close()
    url = f"sqlite:///{tmp_path / 'threads.db'}?mode=ro&max_pages=50"
    store = store_from_url(url)
    assert isinstance(store, SqliteStore)
    assert (store.path, store.read_only, store.url) == (str(tmp_path / "threads.db"), True, url)
    assert asyncio.run(store.thread_ids()) == []
    store.close()
    plain = store_from_url(f"sqlite:///{tmp_path / 'threads.db'}?mode=rw")
    assert isinstance(plain, SqliteStore)
    assert (plain.read_only, plain.url) == (False, f"sqlite:///{tmp_path / 'threads.db'}")
    plain.close()


@pytest.mark.parametrize(
    "option", ["mode=wal", "max_pages=0", "max_pages=x", "cache=shared", "synchronous=off"]
)
def test_sqlite_urls_refuse_other_options(option: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'threads.db'}?{option}"
    key, _, value = option.partition("=")
    with pytest.raises(ValueError) as raised:
        store_from_url(url)
    assert str(raised.value) == (
        f"unsupported option {key}={value!r} in store URL {url!r}: "
        "a sqlite URL takes mode=ro, max_pages=N (N >= 1) and synchronous=normal"
    )
    assert not (tmp_path / "threads.db").exists()


@pytest.mark.parametrize("url", ["postgre://db/threads", "sqlite:///", "threads.db", "memory:"])
def test_store_from_url_refuses_other_urls(url: str) -> None:
    with pytest.raises(ValueError) as raised:
        store_from_url(url)
    assert str(raised.value) == (
        f"unsupported store URL {url!r}: use 'memory://', 'sqlite:///path/to/threads.db' "
        "or 'postgresql://user@host:port/dbname'"
    )


def test_default_store_follows_agentgen_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTGEN_STORE", f"sqlite:///{tmp_path / 'chosen.db'}")
    store = default_store()
    assert isinstance(store, SqliteStore)
    assert store.path == str(tmp_path / "chosen.db")
    assert default_store() is store
    monkeypatch.setenv("AGENTGEN_STORE", "memory://")
    memory = default_store()
    assert isinstance(memory, MemoryStore)
    assert default_store() is memory


def test_default_store_without_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AGENTGEN_STORE", raising=False)
    monkeypatch.chdir(tmp_path)
    store = default_store()
    assert isinstance(store, SqliteStore)
    asyncio.run(store.append("abc", 0, "e0"))
    reader = SqliteStore(tmp_path / ".agentgen" / "threads.db")
    assert asyncio.run(reader.load("abc")) == ["e0"]
    reader.close()


def _all_at_once(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run `work(0)` ... `work(count - 1)` in threads released together; what they raised."""
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(index)
        except BaseException as error:  # a thread's error would otherwise go unnoticed
            failures.append(error)
            barrier.abort()  # so that no other thread waits for this one forever

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_racing_sqlite_writers_never_lose_an_event(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    outcomes: list[str] = []

    def write(index: int) -> None:
        store = SqliteStore(path)  # each writer opens the fresh file at the same time
        for seq in range(20):
            try:
                asyncio.run(store.append("race", seq, f"{index}:{seq}"))
                outcomes.append(f"{index}:{seq}")
            except ThreadConflict:
                pass
        store.close()

    assert _all_at_once(8, write) == []
    reader = SqliteStore(path)
    stored = asyncio.run(reader.load("race"))
    reader.close()
    assert [event.split(":")[1] for event in stored] == [str(seq) for seq in range(20)]
    assert sorted(stored) == sorted(outcomes)


def test_many_stores_opening_one_new_file_at_once_all_succeed(tmp_path: Path) -> None:
    # switching a new file to WAL used to fail at once with "database is locked" (~1 in 10 runs)
    for trial in range(30):
        open_and_close = functools.partial(_open_and_close, tmp_path / f"new-{trial}.db")
        assert _all_at_once(8, open_and_close) == []


def _open_and_close(path: Path, _index: int) -> None:
    SqliteStore(path).close()


def test_racing_sqlite_stores_give_a_lease_to_one_owner(tmp_path: Path) -> None:
    path = tmp_path / "leases.db"
    SqliteStore(path).close()
    for trial in range(10):
        winners = _lease_winners(path, f"t{trial}", 6)
        assert len(winners) == 1, winners


def _lease_winners(path: Path, thread_id: str, count: int) -> list[int]:
    """Which of `count` stores, each on its own connection, got the lease they asked for at once."""
    winners: list[int] = []

    def take(index: int) -> None:
        store = SqliteStore(path)
        if asyncio.run(store.acquire_lease(thread_id, f"worker-{index}", 60)):
            winners.append(index)
        store.close()

    assert _all_at_once(count, take) == []
    return winners
