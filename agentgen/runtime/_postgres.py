"""A thread store in PostgreSQL (psycopg 3): one database shared by any number of workers."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from ._stores import ThreadNotFound, check_seq, conflict

if TYPE_CHECKING:
    from psycopg import AsyncConnection
    from psycopg.rows import TupleRow

TABLE = "agentgen_events"

# `event` is text, not jsonb: load returns each event exactly as it was appended.
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    thread_id text NOT NULL,
    seq integer NOT NULL,
    event text NOT NULL,
    PRIMARY KEY (thread_id, seq)
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
_LENGTH = f"SELECT COALESCE(MAX(seq), -1) + 1 FROM {TABLE} WHERE thread_id = %s"
_LOAD = f"SELECT event FROM {TABLE} WHERE thread_id = %s ORDER BY seq"
_THREADS = f'SELECT DISTINCT thread_id COLLATE "C" AS id FROM {TABLE} ORDER BY id'


class PostgresStore:
    """Threads in PostgreSQL; another writer's event at the same seq raises ThreadConflict.

    Nothing is cached between calls, so any number of stateless workers can share the database.
    The connection opens on first use (one per event loop) and each call is one transaction.
    """

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._connection: AsyncConnection[TupleRow] | None = None
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._lock = asyncio.Lock()

    async def append(self, thread_id: str, seq: int, event_json: str) -> None:
        """Store event `seq`; ThreadConflict unless the thread has exactly `seq` events."""
        check_seq(seq)
        from psycopg.errors import UniqueViolation  # imported already by the connection

        params = {"thread_id": thread_id, "seq": seq, "event": event_json}
        try:
            async with self._transaction() as connection:
                inserted = (await connection.execute(_APPEND, params)).rowcount
        except UniqueViolation:
            inserted = 0
        if inserted != 1:
            raise conflict(thread_id, seq, await self._length(thread_id))

    async def _length(self, thread_id: str) -> int:
        async with self._transaction() as connection:
            row = await (await connection.execute(_LENGTH, (thread_id,))).fetchone()
        assert row is not None  # an aggregate always returns one row
        return int(row[0])

    async def load(self, thread_id: str) -> list[str]:
        """The thread's events as JSON, in seq order."""
        async with self._transaction() as connection:
            rows = await (await connection.execute(_LOAD, (thread_id,))).fetchall()
        if not rows:
            raise ThreadNotFound(thread_id)
        return [str(row[0]) for row in rows]

    async def thread_ids(self) -> list[str]:
        """Every thread's id, sorted by code point (as SqliteStore sorts them)."""
        async with self._transaction() as connection:
            rows = await (await connection.execute(_THREADS)).fetchall()
        return [str(row[0]) for row in rows]

    async def close(self) -> None:
        """Close the connection; the next call opens a new one."""
        self._follow_loop()
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncConnection[TupleRow]]:
        """The connection inside one transaction: committed at the end, rolled back on error."""
        self._follow_loop()
        # one transaction at a time: two tasks sharing the connection would share the transaction
        async with self._lock:
            connection = await self._connect()
            async with connection.transaction():
                yield connection

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
        async with connection.transaction():
            await connection.execute(_SCHEMA_LOCK)
            await connection.execute(_SCHEMA)
        self._connection = connection
        return connection
