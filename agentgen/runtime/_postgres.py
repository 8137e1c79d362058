"""A thread store in PostgreSQL (psycopg 3): one database shared by any number of workers."""

from __future__ import annotations

import asyncio
import contextlib
import re
import weakref
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from ._errors import one_line
from ._stores import StoreUnavailable, ThreadNotFound, check_seq, conflict

if TYPE_CHECKING:
    from psycopg import AsyncConnection
    from psycopg.rows import TupleRow

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
_INSERT = f"INSERT INTO {TABLE} (thread_id, seq, event) VALUES (%s, %s, %s)"
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
    The connection opens on first use (one per event loop) and each call is one transaction.
    """

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.url = without_password(dsn)
        self._connection: AsyncConnection[TupleRow] | None = None
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._lock = asyncio.Lock()

    async def append(self, thread_id: str, seq: int, event_json: str) -> None:
        """Store event `seq`; ThreadConflict unless the thread has exactly `seq` events."""
        check_seq(seq)
        from psycopg.errors import UniqueViolation  # imported already by the connection

        params = {"thread_id": thread_id, "seq": seq, "event": event_json}
        try:
            async with self._transaction("written") as connection:
                inserted = (await connection.execute(_APPEND, params)).rowcount
        except UniqueViolation:
            inserted = 0
        if inserted != 1:
            raise conflict(thread_id, seq, await self._length(thread_id))

    async def append_many(self, thread_id: str, seq: int, events_json: Sequence[str]) -> None:
        """Store events `seq`, `seq + 1`, ... in one transaction: all of them, or none."""
        check_seq(seq)
        from psycopg.errors import UniqueViolation

        rows = [(thread_id, seq + index, event) for index, event in enumerate(events_json)]
        if not rows:  # nothing to write; still refused where no event `seq` could go
            length = await self._length(thread_id)
            if length != seq:
                raise conflict(thread_id, seq, length)
            return
        first = {"thread_id": thread_id, "seq": seq, "event": rows[0][2]}
        try:
            async with self._transaction("written") as connection:
                # the first row only if it is the next event; the rest then follow it
                inserted = (await connection.execute(_APPEND, first)).rowcount
                if inserted == 1 and len(rows) > 1:
                    async with connection.cursor() as cursor:
                        await cursor.executemany(_INSERT, rows[1:])
        except UniqueViolation:  # a racing writer committed first: this transaction rolled back
            inserted = 0
        if inserted != 1:
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
        params = {"thread_id": thread_id, "owner": owner, "ttl": float(ttl_s)}
        async with self._transaction("written") as connection:
            return (await connection.execute(_ACQUIRE, params)).rowcount == 1

    async def release_lease(self, thread_id: str, owner: str) -> None:
        """Drop the thread's lease if `owner` holds it."""
        async with self._transaction("written") as connection:
            await connection.execute(_RELEASE, (thread_id, owner))

    async def close(self) -> None:
        """Close the connection; the next call opens a new one."""
        self._follow_loop()
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()

    @contextlib.asynccontextmanager
    async def _transaction(self, action: str) -> AsyncIterator[AsyncConnection[TupleRow]]:
        """The connection inside one transaction: committed at the end, rolled back on error."""
        self._follow_loop()
        # one transaction at a time: two tasks sharing the connection would share the transaction
        async with self._lock:
            with self._failing("opened"):
                connection = await self._connect()
            with self._failing(action):
                async with connection.transaction():
                    yield connection

    @contextlib.contextmanager
    def _failing(self, action: str) -> Iterator[None]:
        """An unreachable, read-only or full database as one StoreUnavailable line."""
        try:
            yield
        except Exception as error:
            if not _unavailable(error):
                raise
            raise StoreUnavailable(self.url, action, one_line(str(error), 500)) from error

    def _follow_loop(self) -> None:
        """Drop the connection and lock of an earlier event loop (each asyncio.run has its own)."""
        loop = asyncio.get_running_loop()
        if self._loop is not None and self._loop() is loop:
            return
        self._loop, self._lock = weakref.ref(loop), asyncio.Lock()
        stale, self._connection = self._connection, None
        if stale is not None:
            stale.pgconn.finish()  # its loop may be closed: close the socket without awaiting

    async def _connect(self) -> AsyncConnection[TupleRow]:
        """The open connection, opened (and the table created) when there is none or it broke."""
        if self._connection is not None and not self._connection.closed:
            return self._connection
        # imported here, not at the top: psycopg takes a quarter of a second to import, which
        # agents on SQLite should not pay
        from psycopg import AsyncConnection

        connection = await AsyncConnection.connect(self.dsn, autocommit=False)
        try:
            async with connection.transaction():
                await connection.execute(_SCHEMA_LOCK)
                await connection.execute(_SCHEMA)
                await connection.execute(_LEASES)
        except BaseException:
            await connection.close()
            raise
        self._connection = connection
        return connection


def _unavailable(error: Exception) -> bool:
    """Whether an error is the server's or the connection's, not a constraint or a bug."""
    from psycopg import OperationalError, errors  # loaded already: psycopg raised `error`

    unavailable = (OperationalError, errors.ReadOnlySqlTransaction, errors.InsufficientPrivilege)
    return isinstance(error, unavailable)


def without_password(dsn: str) -> str:
    """The DSN as error messages show it: a password, in a URL or as `password=`, is masked."""
    parts = urlsplit(dsn) if "://" in dsn else None
    if parts is not None and parts.password is not None:
        netloc = f"{parts.username or ''}:***@{parts.netloc.rpartition('@')[2]}"
        dsn = urlunsplit(parts._replace(netloc=netloc))
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)", r"\1***", dsn)
