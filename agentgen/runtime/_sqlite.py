"""A thread store in one SQLite file (WAL): durable, shared by processes, O(1) per append."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from ._stores import StoreUnavailable, ThreadNotFound, check_seq, conflict

MEMORY = ":memory:"

_EVENTS = """
CREATE TABLE IF NOT EXISTS events (
    thread_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (thread_id, seq)
)
"""
# Who advances each thread, until when (Unix time); a row outlives its worker only until then.
_LEASES = """
CREATE TABLE IF NOT EXISTS leases (
    thread_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at REAL NOT NULL
)
"""
# One statement, so one implicit transaction: the insert happens only when event `seq` is the
# next one. MAX over the primary key is a single index seek, whatever the thread's length.
_APPEND = """
INSERT INTO events (thread_id, seq, event)
SELECT ?1, ?2, ?3
WHERE IFNULL((SELECT MAX(seq) FROM events WHERE thread_id = ?1), -1) = ?2 - 1
"""
_INSERT = "INSERT INTO events (thread_id, seq, event) VALUES (?, ?, ?)"
_LENGTH = "SELECT IFNULL(MAX(seq), -1) + 1 FROM events WHERE thread_id = ?"
_LOAD = "SELECT event FROM events WHERE thread_id = ? ORDER BY seq"
_THREADS = "SELECT DISTINCT thread_id FROM events ORDER BY thread_id"
# Compare-and-set in one statement: a new row, or the row taken over when it is the caller's
# own or has expired (?3 is now); otherwise nothing changes and no row counts as changed.
_ACQUIRE = """
INSERT INTO leases (thread_id, owner, expires_at) VALUES (?1, ?2, ?3 + ?4)
ON CONFLICT (thread_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
WHERE leases.owner = excluded.owner OR leases.expires_at <= ?3
"""
_RELEASE = "DELETE FROM leases WHERE thread_id = ? AND owner = ?"
# What SQLite says when the file and its folder are fine but cannot be opened for writing.
_CANTOPEN_HINT = " (SQLite needs to write the file and create files beside it in its folder)"


def _prepare(db: sqlite3.Connection, timeout_s: float) -> None:
    """WAL mode and the tables, retried while another connection prepares the same new file."""
    # switching a fresh file to WAL can fail with SQLITE_BUSY at once, without the busy timeout
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # durable at each commit in WAL mode
            db.execute(_EVENTS)
            db.execute(_LEASES)
            return
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _unavailable(error: sqlite3.Error) -> bool:
    """Whether an error is the file's or the disk's (not a constraint or a misuse of the API)."""
    return type(error) in (sqlite3.OperationalError, sqlite3.DatabaseError)


def _cause(error: sqlite3.Error, read_only: bool) -> str:
    text = str(error)
    cantopen = getattr(error, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_CANTOPEN
    return text + _CANTOPEN_HINT if cantopen and not read_only else text


def _url(path: str, read_only: bool, max_pages: int | None) -> str:
    """The store's URL, as store_from_url takes it and as error messages name the store."""
    options = (["mode=ro"] if read_only else []) + (
        [f"max_pages={max_pages}"] if max_pages is not None else []
    )
    return f"sqlite:///{path}" + ("?" + "&".join(options) if options else "")


class SqliteStore:
    """Threads in a SQLite file; another writer's event at the same seq raises ThreadConflict.

    `read_only` opens the file read-only (reading works, any write is StoreUnavailable);
    `max_pages` caps the file at that many pages (4 KiB each): a quota, met as a full disk is.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout_s: float = 5.0,
        read_only: bool = False,
        max_pages: int | None = None,
    ) -> None:
        if max_pages is not None and (isinstance(max_pages, bool) or max_pages < 1):
            raise ValueError(f"max_pages must be an integer >= 1, got {max_pages!r}")
        self.path = str(path)
        self.read_only = read_only
        self.url = _url(self.path, read_only, max_pages)
        with self._failing("opened"):
            self._db = self._open(timeout_s)
            if max_pages is not None:  # per connection, so each store sets its own
                self._db.execute(f"PRAGMA max_page_count = {int(max_pages)}")

    def _open(self, timeout_s: float) -> sqlite3.Connection:
        """The connection: autocommit (each statement its own transaction), waiting for writers."""
        # read-only: SQLite opens the file so (a file that is not there is not created)
        target = Path(self.path).absolute().as_uri() + "?mode=ro" if self.read_only else self.path
        if not self.read_only and self.path != MEMORY:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(
            target,
            uri=self.read_only,
            timeout=timeout_s,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            if not self.read_only:  # a read-only store reads what a writer prepared
                _prepare(db, timeout_s)
        except BaseException:
            db.close()
            raise
        return db

    @contextlib.contextmanager
    def _failing(self, action: str) -> Iterator[None]:
        """A corrupted file, no write access or a full disk as one StoreUnavailable line."""
        try:
            yield
        except sqlite3.Error as error:
            if not _unavailable(error):
                raise
            raise StoreUnavailable(self.url, action, _cause(error, self.read_only)) from error
        except OSError as error:  # its folder cannot be created
            cause = f"{error.strerror}: '{error.filename}'"
            raise StoreUnavailable(self.url, action, cause) from error

    async def append(self, thread_id: str, seq: int, event_json: str) -> None:
        """Store event `seq`; ThreadConflict unless the thread has exactly `seq` events."""
        check_seq(seq)
        with self._failing("written"):
            try:
                inserted = self._db.execute(_APPEND, (thread_id, seq, event_json)).rowcount
            except sqlite3.IntegrityError as error:
                # the WHERE clause already refuses a taken seq; this is a second line of defence
                if error.sqlite_errorname != "SQLITE_CONSTRAINT_PRIMARYKEY":
                    raise
                inserted = 0
            if inserted != 1:
                raise conflict(thread_id, seq, self._length(thread_id))

    async def append_many(self, thread_id: str, seq: int, events_json: Sequence[str]) -> None:
        """Store events `seq`, `seq + 1`, ... in one transaction: all of them, or none."""
        check_seq(seq)
        rows = [(thread_id, seq + index, event) for index, event in enumerate(events_json)]
        with self._failing("written"):
            if not self._insert_all(thread_id, seq, rows):
                raise conflict(thread_id, seq, self._length(thread_id))

    def _insert_all(self, thread_id: str, seq: int, rows: list[tuple[str, int, str]]) -> bool:
        """Insert the rows if event `seq` is the thread's next one; whether it was."""
        # IMMEDIATE: the write lock from the start, so no writer slips in after the length check
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if self._length(thread_id) != seq:
                return False
            self._db.executemany(_INSERT, rows)
            self._db.execute("COMMIT")
            return True
        except sqlite3.IntegrityError:  # a taken seq, as in append: nothing is kept
            return False
        finally:
            if self._db.in_transaction:  # not committed: a conflict, or the disk refused it
                self._db.execute("ROLLBACK")

    def _length(self, thread_id: str) -> int:
        row = self._db.execute(_LENGTH, (thread_id,)).fetchone()
        return int(row[0])

    async def load(self, thread_id: str) -> list[str]:
        """The thread's events as JSON, in seq order."""
        with self._failing("read"):
            events = [row[0] for row in self._db.execute(_LOAD, (thread_id,))]
        if not events:
            raise ThreadNotFound(thread_id)
        return events

    async def thread_ids(self) -> list[str]:
        """Every thread's id, sorted."""
        with self._failing("read"):
            return [row[0] for row in self._db.execute(_THREADS)]

    async def acquire_lease(self, thread_id: str, owner: str, ttl_s: float) -> bool:
        """Take or renew the thread's lease, unless another owner holds a live one."""
        with self._failing("written"):
            cursor = self._db.execute(_ACQUIRE, (thread_id, owner, time.time(), ttl_s))
        return cursor.rowcount == 1

    async def release_lease(self, thread_id: str, owner: str) -> None:
        """Drop the thread's lease if `owner` holds it."""
        with self._failing("written"):
            self._db.execute(_RELEASE, (thread_id, owner))

    def close(self) -> None:
        """Close the connection; the store cannot be used afterwards."""
        self._db.close()
