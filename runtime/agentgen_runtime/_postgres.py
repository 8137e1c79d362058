"""A thread store in PostgreSQL (psycopg 3): one database shared by any number of workers."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import re
import weakref
from collections.abc import AsyncIterator, Iterator, Sequence
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


class PostgresStore:
    """Threads in PostgreSQL; another writer's event at the same seq raises ThreadConflict.

    Nothing is cached between calls, so any number of stateless workers can share the database.
    Each event loop gets its own pool of connections (psycopg_pool), opened on first use, and
    each call takes one of them for one transaction (autocommit: every call is one statement),
    so the threads of a process do not wait for each other's calls. The pool keeps `pool_min`
    connections open and grows to `pool_max` while calls wait; the arguments default to
    $AGENTGEN_PG_POOL_MIN and $AGENTGEN_PG_POOL_MAX, else 1 and 10. The tables are created on
    first use, once per store.
    """

    def __init__(
        self, dsn: str, *, pool_min: int | None = None, pool_max: int | None = None
    ) -> None:
        _check_installed()  # a missing extra is one line now, not at the first call
        self.dsn = dsn
        self.url = without_password(dsn)
        self.pool_min, self.pool_max = pool_sizes(pool_min, pool_max)
        self._pool: AsyncConnectionPool[Any] | None = None
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._opening = asyncio.Lock()  # held only while a loop's pool is being opened
        # the pool's connections (this loop's), and the last connection attempt's error
        self._live: weakref.WeakSet[Connection] = weakref.WeakSet()
        self._failure: Exception | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self._schema_ready = False

    async def append(self, thread_id: str, seq: int, event_json: str) -> None:
        """Store event `seq`; ThreadConflict unless the thread has exactly `seq` events."""
        check_seq(seq)
        params = {"thread_id": thread_id, "seq": seq, "event": event_json}
        if await self._insert(_APPEND, params) != 1:
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
        params = {"thread_id": thread_id, "seq": seq, "events": events}
        if await self._insert(_APPEND_MANY, params) != len(events):
            raise conflict(thread_id, seq, await self._length(thread_id))

    async def _insert(self, statement: str, params: dict[str, Any]) -> int:
        """The rows one statement inserted; 0 when a racing writer committed the key first."""
        unique_violation = _unique_violation()
        try:
            async with self._transaction("written") as connection:
                return (await connection.execute(statement, params)).rowcount
        except unique_violation:  # the statement, so the whole transaction, rolled back
            return 0

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
        params = {"thread_id": thread_id, "owner": owner, "ttl": float(ttl_s)}
        async with self._transaction("written") as connection:
            return (await connection.execute(_ACQUIRE, params)).rowcount == 1

    async def release_lease(self, thread_id: str, owner: str) -> None:
        """Drop the thread's lease if `owner` holds it."""
        async with self._transaction("written") as connection:
            await connection.execute(_RELEASE, (thread_id, owner))

    async def close(self) -> None:
        """Close this event loop's pool and its connections; the next call opens a new one."""
        self._follow_loop()
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()
        if self._closing:  # a pool given up on after a failed connection attempt
            await asyncio.gather(*self._closing)

    @contextlib.asynccontextmanager
    async def _transaction(self, action: str) -> AsyncIterator[Connection]:
        """A connection of this loop's pool, all the caller's own until the block ends.

        The connection is in autocommit mode: each statement is one transaction.
        """
        pool = await self._loop_pool()
        async with self._connection(pool, action) as connection:
            yield connection

    @contextlib.asynccontextmanager
    async def _connection(
        self, pool: AsyncConnectionPool[Any], action: str
    ) -> AsyncIterator[Connection]:
        with self._failing("opened"):
            connection: Connection = await pool.getconn()
        try:
            with self._failing(action):
                yield connection
        finally:  # a broken connection is closed and replaced by the pool
            await pool.putconn(connection)

    @contextlib.contextmanager
    def _failing(self, action: str) -> Iterator[None]:
        """An unreachable, read-only or full database as one StoreUnavailable line."""
        try:
            yield
        except Exception as error:
            cause = self._failure if _pool_error(error) else None
            if cause is not None and not _unavailable(cause):
                raise cause from error  # as the connection attempt raised it (a malformed DSN)
            if not _unavailable(error):
                raise
            if cause is not None:  # the pool gave up: the server refuses connections
                text = str(cause)
            elif _pool_error(error):  # every connection busy for that long
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
        self._pool, self._failure, self._closing = None, None, set()
        stale, self._live = self._live, weakref.WeakSet()
        for connection in list(stale):
            connection.pgconn.finish()  # its loop may be closed: close the socket without awaiting

    async def _loop_pool(self) -> AsyncConnectionPool[Any]:
        """This event loop's pool, opened (and the tables created) on first use."""
        self._follow_loop()
        pool = self._pool
        if pool is None:
            async with self._opening:  # the first calls of a loop share one pool
                pool = self._pool or await self._open_pool()
        return pool

    async def _open_pool(self) -> AsyncConnectionPool[Any]:
        try:
            # imported here, not at the top: psycopg takes a quarter of a second to import,
            # which agents on SQLite should not pay
            from psycopg_pool import AsyncConnectionPool
        except ModuleNotFoundError as error:
            raise missing_extra(error) from None
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            self.dsn,
            connection_class=_connection_class(self),
            kwargs={"autocommit": True},
            min_size=self.pool_min,
            max_size=self.pool_max,
            open=False,
            name=self.url,  # in psycopg_pool's log lines: the password masked
            timeout=POOL_TIMEOUT_S,
        )
        self._failure = None
        await pool.open()
        self._pool = pool
        if self._schema_ready:
            return pool
        try:
            async with self._connection(pool, "opened") as connection, connection.transaction():
                await connection.execute(_SCHEMA_LOCK)
                await connection.execute(_SCHEMA)
                await connection.execute(_LEASES)
        except BaseException:
            if self._pool is pool:
                self._pool = None
            await pool.close()
            raise
        self._schema_ready = True
        return pool

    def _connected(self, connection: Connection) -> None:
        """A connection the pool opened."""
        self._failure = None
        self._live.add(connection)

    def _connect_failed(self, error: Exception) -> None:
        """The pool could not open a connection: with none left, the calls waiting fail now.

        Otherwise psycopg_pool would keep them waiting (up to its timeout) while it retries;
        the next call opens a new pool, which tries again at once.
        """
        self._failure = error
        if any(not connection.closed for connection in self._live):
            return  # the calls waiting get one of the connections that still work
        pool, self._pool = self._pool, None
        if pool is not None:
            closing = asyncio.get_running_loop().create_task(pool.close())
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)


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


def _connection_class(store: PostgresStore) -> type[Connection]:
    """psycopg's AsyncConnection, telling `store` how each of the pool's attempts went."""
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
                store._connect_failed(error)
                raise
            store._connected(connection)
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
