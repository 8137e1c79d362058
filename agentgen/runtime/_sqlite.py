"""A thread store in one SQLite file (WAL): durable, shared by processes, O(1) per append."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from ._stores import ThreadNotFound, check_seq, conflict

MEMORY = ":memory:"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    thread_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (thread_id, seq)
)
"""
# One statement, so one implicit transaction: the insert happens only when event `seq` is the
# next one. MAX over the primary key is a single index seek, whatever the thread's length.
_APPEND = """
INSERT INTO events (thread_id, seq, event)
SELECT ?1, ?2, ?3
WHERE IFNULL((SELECT MAX(seq) FROM events WHERE thread_id = ?1), -1) = ?2 - 1
"""
_LENGTH = "SELECT IFNULL(MAX(seq), -1) + 1 FROM events WHERE thread_id = ?"
_LOAD = "SELECT event FROM events WHERE thread_id = ? ORDER BY seq"
_THREADS = "SELECT DISTINCT thread_id FROM events ORDER BY thread_id"


def _prepare(db: sqlite3.Connection, timeout_s: float) -> None:
    """WAL mode and the table, retried while another connection prepares the same new file."""
    # switching a fresh file to WAL can fail with SQLITE_BUSY at once, without the busy timeout
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # durable at each commit in WAL mode
            db.execute(_SCHEMA)
            return
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class SqliteStore:
    """Threads in a SQLite file; another writer's event at the same seq raises ThreadConflict."""

    def __init__(self, path: str | os.PathLike[str], *, timeout_s: float = 5.0) -> None:
        self.path = str(path)
        if self.path != MEMORY:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # autocommit: each statement is its own transaction; the timeout waits for other writers
        self._db = sqlite3.connect(
            self.path, timeout=timeout_s, isolation_level=None, check_same_thread=False
        )
        _prepare(self._db, timeout_s)

    async def append(self, thread_id: str, seq: int, event_json: str) -> None:
        """Store event `seq`; ThreadConflict unless the thread has exactly `seq` events."""
        check_seq(seq)
        try:
            inserted = self._db.execute(_APPEND, (thread_id, seq, event_json)).rowcount
        except sqlite3.IntegrityError as error:
            # the WHERE clause already refuses a taken seq; this is a second line of defence
            if error.sqlite_errorname != "SQLITE_CONSTRAINT_PRIMARYKEY":
                raise
            inserted = 0
        if inserted != 1:
            raise conflict(thread_id, seq, self._length(thread_id))

    def _length(self, thread_id: str) -> int:
        row = self._db.execute(_LENGTH, (thread_id,)).fetchone()
        return int(row[0])

    async def load(self, thread_id: str) -> list[str]:
        """The thread's events as JSON, in seq order."""
        events = [row[0] for row in self._db.execute(_LOAD, (thread_id,))]
        if not events:
            raise ThreadNotFound(thread_id)
        return events

    async def thread_ids(self) -> list[str]:
        """Every thread's id, sorted."""
        return [row[0] for row in self._db.execute(_THREADS)]

    def close(self) -> None:
        """Close the connection; the store cannot be used afterwards."""
        self._db.close()
