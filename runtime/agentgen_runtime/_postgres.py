"""A thread store in PostgreSQL (psycopg 3): one database shared by any number of workers."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import re
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit, urlunsplit

from ._base import ConfigurationError
from ._errors import one_line
from ._extras import missing_extra
from ._stores import StoreUnavailable, ThreadNotFound, check_seq, conflict

if TYPE_CHECKING:
    from psycopg import AsyncConnection
    from psycopg.rows import TupleRow
    from psycopg_pool import AsyncConnectionPool

    Connection = AsyncConnection[TupleRow]

# How many connections each store keeps per event loop: at least POOL_MIN open (opened when the
# store is first used), up to POOL_MAX while calls wait for one; connections above the minimum
# close after 10 idle minutes. The environment sets them for every store of the process.
POOL_MIN_ENV, POOL_MAX_ENV = "AGENTGEN_PG_POOL_MIN", "AGENTGEN_PG_POOL_MAX"
POOL_MIN, POOL_MAX = 1, 10
# How long a call waits for a free connection before it fails with StoreUnavailable.
POOL_TIMEOUT_S = 30.0
# How many batches of each kind (appends, lease takes, lease drops) a loop writes at once, and
# after how long a batch stops counting (another thread's row lock may hold it up for long).
FLUSHES, STALL_S = 1, 0.05

TABLE = "agentgen_events"
LEASES = "agentgen_leases"

# `event` is text, not jsonb: load returns each event exactly as it was appended.
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    thread_id text NOT NULL,
    seq integer NOT NULL,
    event text NOT NULL,
    PRIMARY KEY (thread_id, seq)
)
"""
# Who advances each thread, until when; a row outlives its worker only until then.
_LEASES = f"""
CREATE TABLE IF NOT EXISTS {LEASES} (
    thread_id text PRIMARY KEY,
    owner text NOT NULL,
    expires_at timestamptz NOT NULL
)
"""
# Workers starting together would race in CREATE TABLE IF NOT EXISTS (a duplicate-key error in
# the catalog); this lock, held until the transaction ends, lets one create the table at a time.
_SCHEMA_LOCK = f"SELECT pg_advisory_xact_lock(hashtext('{TABLE}'))"
# Inserts only when event `seq` is the next one. Two writers that both see `seq - 1` as the last
# event race on the primary key: the second waits for the first to commit, then fails.
_APPEND = f"""
INSERT INTO {TABLE} (thread_id, seq, event)
SELECT %(thread_id)s, %(seq)s, %(event)s
WHERE COALESCE(
    (SELECT MAX(seq) FROM {TABLE} WHERE thread_id = %(thread_id)s), -1
) = %(seq)s - 1
"""
# append_many's events in one statement (so one transaction): all of them when the first is the
# next event, none otherwise; a racing writer makes the whole statement fail on the primary key.
_APPEND_MANY = f"""
INSERT INTO {TABLE} (thread_id, seq, event)
SELECT %(thread_id)s, %(seq)s + batch.position - 1, batch.event
FROM unnest(%(events)s::text[]) WITH ORDINALITY AS batch(event, position)
WHERE COALESCE(
    (SELECT MAX(seq) FROM {TABLE} WHERE thread_id = %(thread_id)s), -1
) = %(seq)s - 1
"""
# Group commit: the appends of many threads, waiting at once, in one statement. Each row goes in
# when its thread's last event is just before its append's first one (so an append's rows go in
# together or not at all); a racing writer's committed row fails the whole statement on the
# primary key, and then each append is tried on its own. The arrays go in binary (%b): quoting
# thousands of strings into array text would cost more than the statement.
_APPEND_BATCH = f"""
INSERT INTO {TABLE} (thread_id, seq, event)
SELECT batch.thread_id, batch.seq, batch.event
FROM unnest(%b::text[], %b::integer[], %b::text[], %b::integer[])
    AS batch(thread_id, seq, event, first)
WHERE COALESCE(
    (SELECT MAX(seq) FROM {TABLE} WHERE thread_id = batch.thread_id), -1
) = batch.first - 1
RETURNING thread_id
"""
_LENGTH = f"SELECT COALESCE(MAX(seq), -1) + 1 FROM {TABLE} WHERE thread_id = %s"
_LOAD = f"SELECT event FROM {TABLE} WHERE thread_id = %s ORDER BY seq"
_THREADS = f'SELECT DISTINCT thread_id COLLATE "C" AS id FROM {TABLE} ORDER BY id'
# Compare-and-set in one statement, on the server's clock: a new row, or the row taken over
# when it is the caller's own or has expired. A concurrent acquirer waits on the row's lock and
# then re-checks the WHERE clause against the committed row, so only one of them can win.
_ACQUIRE = f"""
INSERT INTO {LEASES} (thread_id, owner, expires_at)
VALUES (%(thread_id)s, %(owner)s, clock_timestamp() + %(ttl)s * interval '1 second')
ON CONFLICT (thread_id) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
WHERE {LEASES}.owner = EXCLUDED.owner OR {LEASES}.expires_at <= clock_timestamp()
"""
_RELEASE = f"DELETE FROM {LEASES} WHERE thread_id = %s AND owner = %s"
# The same for many threads at once (see _Batches); RETURNING names the leases taken.
_ACQUIRE_BATCH = f"""
INSERT INTO {LEASES} (thread_id, owner, expires_at)
SELECT batch.thread_id, batch.owner, clock_timestamp() + batch.ttl * interval '1 second'
FROM unnest(%b::text[], %b::text[], %b::float8[]) AS batch(thread_id, owner, ttl)
ON CONFLICT (thread_id) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
WHERE {LEASES}.owner = EXCLUDED.owner OR {LEASES}.expires_at <= clock_timestamp()
RETURNING thread_id
"""
_RELEASE_BATCH = f"""
DELETE FROM {LEASES} USING unnest(%b::text[], %b::text[]) AS batch(thread_id, owner)
WHERE {LEASES}.thread_id = batch.thread_id AND {LEASES}.owner = batch.owner
"""


class PostgresStore:
    """Threads in PostgreSQL; another writer's event at the same seq raises ThreadConflict.

    Nothing is cached between calls, so any number of stateless workers can share the database.
    Each event loop gets its own pool of connections (psycopg_pool), opened on first use; a call
    takes a connection for its one statement (autocommit: each is one transaction), so the
    threads of a process do not wait for each other. Appends and lease changes that arrive
    while one of their kind is being written go together in the next statement (group commit,
    see _Batches). The pool keeps `pool_min` connections open and grows to `pool_max` while
    calls wait for one: $AGENTGEN_PG_POOL_MIN and $AGENTGEN_PG_POOL_MAX, else 1 and 10. The
    tables are created on first use, once per store.
    """

    def __init__(
        self, dsn: str, *, pool_min: int | None = None, pool_max: int | None = None
    ) -> None:
        _check_installed()  # a missing extra is one line now, not at the first call
        self.dsn = dsn
        self.url = without_password(dsn)
        self.pool_min, self.pool_max = pool_sizes(pool_min, pool_max)
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._opening = asyncio.Lock()  # held only while this loop's pool is being opened
        self._ready: _LoopPool | None = None  # this loop's pool, once the tables exist
        self._newest: _LoopPool | None = None  # the pool opened last on this loop, ready or not
        self._schema_ready = False

    async def append(self, thread_id: str, seq: int, event_json: str) -> None:
        """Store event `seq`; ThreadConflict unless the thread has exactly `seq` events."""
        check_seq(seq)
        pool = await self._loop_pool()
        if not await pool.appends.call(thread_id, seq, [event_json]):
            raise conflict(thread_id, seq, await self._length(thread_id))

    async def append_many(self, thread_id: str, seq: int, events_json: Sequence[str]) -> None:
        """Store events `seq`, `seq + 1`, ... in one transaction: all of them, or none."""
        check_seq(seq)
        events = list(events_json)
        if not events:  # nothing to write; still refused where no event `seq` could go
            length = await self._length(thread_id)
            if length != seq:
                raise conflict(thread_id, seq, length)
            return
        pool = await self._loop_pool()
        if not await pool.appends.call(thread_id, seq, events):
            raise conflict(thread_id, seq, await self._length(thread_id))

    async def _length(self, thread_id: str) -> int:
        async with self._transaction("read") as connection:
            row = await (await connection.execute(_LENGTH, (thread_id,))).fetchone()
        assert row is not None  # an aggregate always returns one row
        return int(row[0])

    async def load(self, thread_id: str) -> list[str]:
        """The thread's events as JSON, in seq order."""
        async with self._transaction("read") as connection:
            rows = await (await connection.execute(_LOAD, (thread_id,))).fetchall()
        if not rows:
            raise ThreadNotFound(thread_id)
        return [str(row[0]) for row in rows]

    async def thread_ids(self) -> list[str]:
        """Every thread's id, sorted by code point (as SqliteStore sorts them)."""
        async with self._transaction("read") as connection:
            rows = await (await connection.execute(_THREADS)).fetchall()
        return [str(row[0]) for row in rows]

    async def acquire_lease(self, thread_id: str, owner: str, ttl_s: float) -> bool:
        """Take or renew the thread's lease, unless another owner holds a live one."""
        pool = await self._loop_pool()
        return bool(await pool.takes.call(thread_id, owner, float(ttl_s)))

    async def release_lease(self, thread_id: str, owner: str) -> None:
        """Drop the thread's lease if `owner` holds it."""
        pool = await self._loop_pool()
        await pool.drops.call(thread_id, owner)

    async def close(self) -> None:
        """Close this event loop's pool and its connections; the next call opens a new one."""
        self._follow_loop()
        newest, self._newest, self._ready = self._newest, None, None
        if newest is not None:
            await newest.close()

    # One call alone, and a batch of them in one statement (one call per thread, sorted by
    # thread: two processes' batches lock rows in the same order, so they cannot deadlock).

    async def _append_alone(self, pool: _LoopPool, call: _Call) -> bool:
        seq, events = call.args
        if len(events) == 1:
            statement = _APPEND
            params = {"thread_id": call.thread_id, "seq": seq, "event": events[0]}
        else:
            statement = _APPEND_MANY
            params = {"thread_id": call.thread_id, "seq": seq, "events": events}
        unique_violation = _unique_violation()
        try:
            async with self._connection(pool, "written") as connection:
                inserted: int = (await connection.execute(statement, params)).rowcount
        except unique_violation:  # a racing writer committed first: the statement rolled back
            return False
        return inserted == len(events)

    async def _append_together(self, pool: _LoopPool, batch: list[_Call]) -> list[bool]:
        threads, seqs, events, firsts = [], [], [], []
        for call in batch:
            seq, texts = call.args
            for offset, text in enumerate(texts):
                threads.append(call.thread_id)
                seqs.append(seq + offset)
                events.append(text)
                firsts.append(seq)
        params = (threads, seqs, events, firsts)
        async with self._connection(pool, "written") as connection:
            rows = await (await connection.execute(_APPEND_BATCH, params)).fetchall()
        inserted = {row[0] for row in rows}
        return [call.thread_id in inserted for call in batch]

    async def _take_alone(self, pool: _LoopPool, call: _Call) -> bool:
        owner, ttl = call.args
        params = {"thread_id": call.thread_id, "owner": owner, "ttl": ttl}
        async with self._connection(pool, "written") as connection:
            return (await connection.execute(_ACQUIRE, params)).rowcount == 1

    async def _take_together(self, pool: _LoopPool, batch: list[_Call]) -> list[bool]:
        params = (
            [call.thread_id for call in batch],
            [call.args[0] for call in batch],  # owner
            [call.args[1] for call in batch],  # ttl
        )
        async with self._connection(pool, "written") as connection:
            rows = await (await connection.execute(_ACQUIRE_BATCH, params)).fetchall()
        taken = {row[0] for row in rows}
        return [call.thread_id in taken for call in batch]

    async def _drop_alone(self, pool: _LoopPool, call: _Call) -> None:
        async with self._connection(pool, "written") as connection:
            await connection.execute(_RELEASE, (call.thread_id, *call.args))

    async def _drop_together(self, pool: _LoopPool, batch: list[_Call]) -> list[None]:
        params = ([call.thread_id for call in batch], [call.args[0] for call in batch])
        async with self._connection(pool, "written") as connection:
            await connection.execute(_RELEASE_BATCH, params)
        return [None] * len(batch)

    @contextlib.asynccontextmanager
    async def _transaction(self, action: str) -> AsyncIterator[Connection]:
        """A connection of this loop's pool, the caller's alone until the block ends."""
        pool = await self._loop_pool()
        async with self._connection(pool, action) as connection:
            yield connection

    @contextlib.asynccontextmanager
    async def _connection(self, pool: _LoopPool, action: str) -> AsyncIterator[Connection]:
        with self._failing(pool, "opened"):
            connection: Connection = await pool.pool.getconn()
        try:
            with self._failing(pool, action):
                yield connection
        finally:  # the pool closes a broken connection and opens another
            await pool.pool.putconn(connection)

    @contextlib.contextmanager
    def _failing(self, pool: _LoopPool, action: str) -> Iterator[None]:
        """An unreachable, read-only or full database as one StoreUnavailable line."""
        try:
            yield
        except Exception as error:
            # the pool gave up (or timed out) on connecting: what the server answered says why
            cause = pool.failure if _pool_error(error) else None
            if cause is not None and not _unavailable(cause):
                raise cause from error  # as connecting raised it (a malformed DSN, say)
            if not _unavailable(error):
                raise
            if cause is not None:
                text = str(cause)
            elif _pool_error(error):  # every connection was busy for that long
                text = (
                    f"no connection free within {POOL_TIMEOUT_S:g} s (at most {self.pool_max}; "
                    f"{POOL_MAX_ENV} sets it)"
                )
            else:
                text = str(error)
            raise StoreUnavailable(self.url, action, one_line(text, 500)) from error

    def _follow_loop(self) -> None:
        """Drop the pool of an earlier event loop (each asyncio.run has its own)."""
        loop = asyncio.get_running_loop()
        if self._loop is not None and self._loop() is loop:
            return
        self._loop, self._opening = weakref.ref(loop), asyncio.Lock()
        stale, self._newest, self._ready = self._newest, None, None
        if stale is not None:
            stale.abandon()

    async def _loop_pool(self) -> _LoopPool:
        """This event loop's pool, opened (and the tables created) on first use."""
        self._follow_loop()
        ready = self._ready
        if ready is None:
            async with self._opening:  # the first calls of a loop share one pool
                ready = self._ready or await self._open_pool()
        return ready

    async def _open_pool(self) -> _LoopPool:
        pool = self._newest = _LoopPool(self)
        await pool.open()
        if not self._schema_ready:
            try:
                async with (
                    self._connection(pool, "opened") as connection,
                    connection.transaction(),
                ):
                    await connection.execute(_SCHEMA_LOCK)
                    await connection.execute(_SCHEMA)
                    await connection.execute(_LEASES)
            except BaseException:
                self._discard(pool)
                raise
            self._schema_ready = True
        self._ready = pool
        return pool

    def _discard(self, pool: _LoopPool) -> None:
        """Stop using `pool` and close it: the next call opens a new one."""
        if self._ready is pool:
            self._ready = None
        if self._newest is pool:
            self._newest = None
        pool.close_soon()


@dataclass
class _Call:
    """One store call waiting for its batch."""

    thread_id: str
    args: tuple[Any, ...]
    done: asyncio.Future[Any]

    def settle(self, result: object) -> None:
        if not self.done.done():  # its caller may have been cancelled
            self.done.set_result(result)

    def fail(self, error: BaseException) -> None:
        if not self.done.done():
            self.done.set_exception(error)


Alone = Callable[["_LoopPool", _Call], Awaitable[Any]]
Together = Callable[["_LoopPool", list[_Call]], Awaitable[list[Any]]]


class _Batches:
    """Calls of one kind (appends, lease takes, lease drops) that go to the database together.

    A call goes at once when no batch of its kind is being written (at most FLUSHES at a time,
    not counting those held up for STALL_S already); calls that arrive meanwhile go in the next
    batch, one statement and one durable commit for all of them instead of a round trip each.
    A batch holds one call per thread (the others wait for the next). A batch that fails for
    one call's sake (a racing writer in another process, text PostgreSQL refuses) is retried
    call by call, so each gets its own outcome; an unreachable database fails them all with
    the same StoreUnavailable.
    """

    def __init__(self, pool: _LoopPool, alone: Alone, together: Together) -> None:
        self.pool, self.alone, self.together = pool, alone, together
        self.waiting: list[_Call] = []
        self.running = 0
        self.tasks: set[asyncio.Task[None]] = set()

    async def call(self, thread_id: str, *args: Any) -> Any:
        call = _Call(thread_id, args, asyncio.get_running_loop().create_future())
        self.waiting.append(call)
        self._start()
        return await call.done

    def _start(self) -> None:
        if self.waiting and self.running < FLUSHES:
            self.running += 1
            task = asyncio.get_running_loop().create_task(self._drain())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _drain(self) -> None:
        """Write the calls waiting, a batch at a time, until none is left."""
        counted = True  # whether this drain is one of the FLUSHES

        def stalled() -> None:  # a row lock holds the batch up: another drain takes the rest
            nonlocal counted
            counted = False
            self.running -= 1
            self._start()

        try:
            while self.waiting and counted:
                batch: dict[str, _Call] = {}
                later: list[_Call] = []
                for call in self.waiting:
                    if call.thread_id in batch:
                        later.append(call)
                    else:
                        batch[call.thread_id] = call
                self.waiting = later
                timer = asyncio.get_running_loop().call_later(STALL_S, stalled)
                try:
                    await self._write([batch[key] for key in sorted(batch)])
                finally:
                    timer.cancel()
        finally:
            if counted:
                self.running -= 1

    async def _write(self, batch: list[_Call]) -> None:
        try:
            if len(batch) == 1:
                await self._write_alone(batch[0])
                return
            try:
                results = await self.together(self.pool, batch)
            except StoreUnavailable as error:  # the same error for each: the batch's
                for call in batch:
                    call.fail(error)
                return
            except Exception:  # for one call's sake, maybe: each on its own
                await asyncio.gather(*(self._write_alone(call) for call in batch))
                return
            for call, result in zip(batch, results, strict=True):
                call.settle(result)
        except BaseException:  # cancelled (the loop is ending): no caller waits forever
            for call in batch:
                call.done.cancel()
            raise

    async def _write_alone(self, call: _Call) -> None:
        try:
            result = await self.alone(self.pool, call)
        except Exception as error:
            call.fail(error)
        else:
            call.settle(result)


class _LoopPool:
    """One event loop's psycopg_pool, and how its last connection attempt went."""

    def __init__(self, store: PostgresStore) -> None:
        try:
            # imported here, not at the top: psycopg takes a quarter of a second to import,
            # which agents on SQLite should not pay
            from psycopg_pool import AsyncConnectionPool
        except ModuleNotFoundError as error:
            raise missing_extra(error) from None
        self.store = store
        self.live: weakref.WeakSet[Connection] = weakref.WeakSet()  # the connections it opened
        self.failure: Exception | None = None  # the last attempt's error, until one succeeds
        self.failed = asyncio.Event()  # set when an attempt failed with no connection left
        self.pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            store.dsn,
            connection_class=_connection_class(self),
            kwargs={"autocommit": True},
            min_size=store.pool_min,
            max_size=store.pool_max,
            open=False,
            name=store.url,  # what psycopg_pool's log lines show: the password masked
            timeout=POOL_TIMEOUT_S,
        )
        self.guard: asyncio.Task[None] | None = None
        self.appends = _Batches(self, store._append_alone, store._append_together)
        self.takes = _Batches(self, store._take_alone, store._take_together)
        self.drops = _Batches(self, store._drop_alone, store._drop_together)

    async def open(self) -> None:
        """Open the pool and wait for its first connections (or a failed attempt to open one).

        The pool closes itself when the event loop shuts down.
        """
        self.guard = asyncio.get_running_loop().create_task(_close_when_cancelled(self.pool))
        await asyncio.sleep(0)  # the guard is waiting: from now on a shutdown closes the pool
        await self.pool.open()
        # as pool.open(wait=True), which would wait out its timeout on an unreachable server
        filled = asyncio.ensure_future(self.pool.wait(POOL_TIMEOUT_S))
        failed = asyncio.ensure_future(self.failed.wait())
        try:
            await asyncio.wait((filled, failed), return_when=asyncio.FIRST_COMPLETED)
        finally:
            filled.cancel()
            failed.cancel()
        if filled.done() and not filled.cancelled():
            filled.exception()  # a timeout: the pool closed itself, and the first call says so

    def connected(self, connection: Connection) -> None:
        self.failure = None
        self.live.add(connection)

    def connect_failed(self, error: Exception) -> None:
        """With no connection left, the calls waiting fail now with `error`.

        psycopg_pool would keep them waiting (up to its timeout) while it tries again; the next
        call opens a new pool, which tries at once, as a new connection would.
        """
        self.failure = error
        if not any(not connection.closed for connection in self.live):
            self.failed.set()
            self.store._discard(self)

    def close_soon(self) -> None:
        if self.guard is not None:
            self.guard.cancel()

    async def close(self) -> None:
        if self.guard is None:
            await self.pool.close()
            return
        self.guard.cancel()
        await self.guard

    def abandon(self) -> None:
        """Close the sockets of a loop that has ended, without awaiting (it may be closed)."""
        for connection in list(self.live):
            if not connection.closed:
                connection.pgconn.finish()


async def _close_when_cancelled(pool: AsyncConnectionPool[Any]) -> None:
    """Wait until cancelled (by close, or by asyncio.run as it ends), then close `pool`.

    psycopg_pool's workers swallow a cancellation that reaches them while they connect, then
    wait for work forever, so asyncio.run would never return; closing the pool stops them.
    """
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.get_running_loop().create_future()
    for _ in range(3):  # asyncio.run, ending, may cancel this task again while it closes
        with contextlib.suppress(asyncio.CancelledError):
            await pool.close()
            return


def pool_sizes(pool_min: int | None = None, pool_max: int | None = None) -> tuple[int, int]:
    """The pool's least and most connections: as given, else from the environment, else 1, 10."""
    least = _size(pool_min, "pool_min", 0) if pool_min is not None else _env_size(POOL_MIN_ENV, 0)
    most = _size(pool_max, "pool_max", 1) if pool_max is not None else _env_size(POOL_MAX_ENV, 1)
    least = POOL_MIN if least is None else least
    most = max(POOL_MAX, least) if most is None else most
    if least > most:
        raise ConfigurationError(
            f"the PostgreSQL pool's minimum ({least}, pool_min or {POOL_MIN_ENV}) is above its "
            f"maximum ({most}, pool_max or {POOL_MAX_ENV})"
        )
    return least, most


def _size(value: int, name: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ConfigurationError(f"{name} must be an integer >= {least}, got {value!r}")
    return value


def _env_size(name: str, least: int) -> int | None:
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < least:
        raise ConfigurationError(f"{name} must be an integer >= {least}, got {text!r}")
    return int(text)


def _check_installed() -> None:
    """MissingExtra unless psycopg and psycopg_pool can be imported (found, not imported)."""
    for name in ("psycopg", "psycopg_pool"):
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise missing_extra(ModuleNotFoundError(f"No module named {name!r}", name=name))


def _connection_class(owner: _LoopPool) -> type[Connection]:
    """psycopg's AsyncConnection, telling `owner` how each of its pool's attempts went."""
    try:
        from psycopg import AsyncConnection
        from psycopg.rows import TupleRow
    except ModuleNotFoundError as error:
        raise missing_extra(error) from None

    class PoolConnection(AsyncConnection[TupleRow]):
        @classmethod
        async def connect(cls, *args: Any, **kwargs: Any) -> Self:
            try:
                connection = await super().connect(*args, **kwargs)
            except Exception as error:
                owner.connect_failed(error)
                raise
            owner.connected(connection)
            return connection

    return PoolConnection


def _unique_violation() -> type[Exception]:
    try:
        from psycopg.errors import UniqueViolation
    except ModuleNotFoundError as error:
        raise missing_extra(error) from None
    return UniqueViolation


def _pool_error(error: Exception) -> bool:
    """Whether the pool refused a connection (closed after failing to connect, or timed out)."""
    try:
        from psycopg_pool import PoolClosed, PoolTimeout  # loaded already: a pool is open
    except ModuleNotFoundError as missing:
        raise missing_extra(missing) from None
    return isinstance(error, PoolClosed | PoolTimeout)


def _unavailable(error: Exception) -> bool:
    """Whether an error is the server's or the connection's, not a constraint or a bug."""
    try:
        from psycopg import OperationalError, errors  # loaded already: psycopg raised `error`
    except ModuleNotFoundError as missing:
        raise missing_extra(missing) from None

    unavailable = (OperationalError, errors.ReadOnlySqlTransaction, errors.InsufficientPrivilege)
    return isinstance(error, unavailable)


def without_password(dsn: str) -> str:
    """The DSN as error messages show it: a password, in a URL or as `password=`, is masked."""
    parts = urlsplit(dsn) if "://" in dsn else None
    if parts is not None and parts.password is not None:
        netloc = f"{parts.username or ''}:***@{parts.netloc.rpartition('@')[2]}"
        dsn = urlunsplit(parts._replace(netloc=netloc))
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)", r"\1***", dsn)
