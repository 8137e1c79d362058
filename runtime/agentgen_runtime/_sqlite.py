"""A thread store in one SQLite file (WAL): durable at each commit, shared by processes, O(1) per
append, its I/O on threads of its own so that the event loop never waits for the disk.

Durable: every write commits with `PRAGMA synchronous=FULL` in WAL mode. SQLite documents that
"Writers sync the WAL on every transaction commit if PRAGMA synchronous is set to FULL but omit
this sync if PRAGMA synchronous is set to NORMAL" (wal.html), and that "A transaction committed
in WAL mode with synchronous=NORMAL might roll back following a power loss or system crash.
Transactions are durable across application crashes regardless of the synchronous setting or
journal mode" (pragma.html). So an append that has returned survives a crash of the process, of
the OS and a power loss (as far as the disk keeps what fsync was told it holds).
`synchronous="normal"` (`?synchronous=normal` in the URL) skips that sync: still consistent, and
still durable across a crash of the process, but a power loss or an OS crash may undo the last
commits.

Off the event loop: one writer thread owns the connection that writes; appends and leases that
arrive while it commits wait for the next commit and share it (one sync for all of them), each
still answered on its own (a conflict fails only its own append). Reads go through a second
connection on a thread of its own. See _sqlite_lanes.py. Only the constructor touches the file
from the caller's thread: it opens it, and creates it with its tables on first use.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

from ._sqlite_lanes import Bulk, Lane, Refusal
from ._stores import StoreUnavailable, ThreadNotFound, check_seq, conflict

MEMORY = ":memory:"
Synchronous = Literal["full", "normal"]
SYNCHRONOUS: tuple[Synchronous, ...] = ("full", "normal")

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
# One statement, in the writer's transaction (which holds the write lock): the insert happens
# only when event `seq` is the next one; when it is not, the statement changes nothing. MAX over
# the primary key is a single index seek, whatever the thread's length.
_APPEND = """
INSERT INTO events (thread_id, seq, event)
SELECT ?1, ?2, ?3
WHERE IFNULL((SELECT MAX(seq) FROM events WHERE thread_id = ?1), -1) = ?2 - 1
"""
# Rows in one statement (all of them or, failing, none); 333 rows of 3 keep under the 999
# parameters older SQLite versions take.
_INSERT = "INSERT INTO events (thread_id, seq, event) VALUES "
_ROWS_PER_INSERT = 333
# Appends to different threads in one statement, all or none: a row whose seq is not its
# thread's next gets a NULL seq, which fails the statement whole (NOT NULL). Rows of NULLs, left
# out, pad it to one of a few sizes, so that each size is prepared once.
_APPEND_ROWS = """
INSERT INTO events (thread_id, seq, event)
SELECT column1, CASE
    WHEN column2 = IFNULL((SELECT MAX(seq) FROM events WHERE thread_id = asked.column1), -1) + 1
    THEN column2 END, column3
FROM (VALUES {values}) AS asked
WHERE column1 IS NOT NULL
"""
_ROWS_PER_APPEND = 128  # 384 parameters; statement sizes 1, 2, 4 ... 128
# Several threads' lengths in one row ("index:length,..."), for a batch that met a conflict.
_LENGTHS = """
WITH asked (i, thread_id) AS (VALUES {values})
SELECT group_concat(i || ':' || IFNULL(
    (SELECT MAX(seq) + 1 FROM events WHERE events.thread_id = asked.thread_id), 0))
FROM asked
"""
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


def _prepare(db: sqlite3.Connection, timeout_s: float, synchronous: Synchronous) -> None:
    """WAL mode and the tables, retried while another connection prepares the same new file."""
    # switching a fresh file to WAL can fail with SQLITE_BUSY at once, without the busy timeout
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # per connection: FULL syncs the WAL at each commit, so a commit survives power loss
            db.execute(f"PRAGMA synchronous={synchronous.upper()}")
            if synchronous == "full":  # on macOS, where fsync leaves it in the drive's cache
                db.execute("PRAGMA fullfsync=ON")  # (elsewhere SQLite ignores it)
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


def _url(path: str, read_only: bool, max_pages: int | None, synchronous: Synchronous) -> str:
    """The store's URL, as store_from_url takes it and as error messages name the store."""
    options = (
        (["mode=ro"] if read_only else [])
        + ([f"max_pages={max_pages}"] if max_pages is not None else [])
        + ([f"synchronous={synchronous}"] if synchronous != "full" else [])
    )
    return f"sqlite:///{path}" + ("?" + "&".join(options) if options else "")


def _length(db: sqlite3.Connection, thread_id: str) -> int:
    row = db.execute(_LENGTH, (thread_id,)).fetchone()
    return int(row[0])


def _insert(db: sqlite3.Connection, rows: list[tuple[str, int, str]]) -> None:
    """Insert the rows, a statement per _ROWS_PER_INSERT of them."""
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        values = [value for row in chunk for value in row]
        db.execute(_INSERT + ", ".join(["(?, ?, ?)"] * len(chunk)), values)


def _append_alone(
    db: sqlite3.Connection, thread_id: str, seq: int, events: Sequence[str]
) -> Refusal | None:
    """Store the events if event `seq` is the thread's next one, else refuse (storing none)."""
    if len(events) == 1:
        try:
            inserted = db.execute(_APPEND, (thread_id, seq, events[0])).rowcount
        except sqlite3.IntegrityError as error:
            # the WHERE clause already refuses a taken seq; this is a second line of defence
            if error.sqlite_errorname != "SQLITE_CONSTRAINT_PRIMARYKEY":
                raise
            inserted = 0  # the statement failed whole: nothing of it is kept
        if inserted != 1:
            return Refusal(conflict(thread_id, seq, _length(db, thread_id)))
        return None
    # the writer's transaction holds the write lock from its start: no other writer slips in
    # between this length check and the inserts
    if _length(db, thread_id) != seq:
        return Refusal(conflict(thread_id, seq, _length(db, thread_id)))
    rows = [(thread_id, seq + index, event) for index, event in enumerate(events)]
    db.execute("SAVEPOINT append_many")  # several statements when there are many rows
    try:
        _insert(db, rows)
    except sqlite3.IntegrityError:  # a taken seq, as in append: nothing is kept
        db.execute("ROLLBACK TO append_many")
        db.execute("RELEASE append_many")
        return Refusal(conflict(thread_id, seq, _length(db, thread_id)))
    db.execute("RELEASE append_many")
    return None


Row = tuple[str, int, str]  # thread_id, seq, event
_append_rows: dict[int, str] = {}  # the statement for each size


def _append_at_once(db: sqlite3.Connection, rows: list[Row]) -> bool:
    """One event appended to each of several threads (no two rows on one thread), in one
    statement: True when every row was its thread's next and all are stored, else none is."""
    size = 1 << (len(rows) - 1).bit_length()
    statement = _append_rows.get(size)
    if statement is None:
        statement = _append_rows[size] = _APPEND_ROWS.format(values=", ".join(["(?, ?, ?)"] * size))
    values: list[object] = [value for row in rows for value in row]
    values += [None] * (3 * (size - len(rows)))  # rows of NULLs, left out
    try:
        db.execute(statement, values)
    except sqlite3.IntegrityError:  # a seq that is not its thread's next: nothing is stored
        return False
    return True


def _append_careful(db: sqlite3.Connection, rows: list[Row]) -> list[Exception | None]:
    """The same appends in the open transaction, each on its own: every thread's length read
    first (in one statement), then the rows that fit inserted; for each, None (stored) or its
    ThreadConflict (not stored)."""
    asked = [thread_id for thread_id, _, _ in rows]
    pairs = ", ".join(f"({index}, ?)" for index in range(len(rows)))
    (text,) = db.execute(_LENGTHS.format(values=pairs), asked).fetchone()
    lengths = {int(i): int(n) for i, _, n in (pair.partition(":") for pair in text.split(","))}
    fits = [lengths[index] == seq for index, (_, seq, _) in enumerate(rows)]
    _insert(db, [row for row, fit in zip(rows, fits, strict=True) if fit])
    return [
        None if fit else conflict(thread_id, seq, lengths[index])
        for index, ((thread_id, seq, _), fit) in enumerate(zip(rows, fits, strict=True))
    ]


_APPENDS = Bulk(at_once=_append_at_once, careful=_append_careful, size=_ROWS_PER_APPEND)


class SqliteStore:
    """Threads in a SQLite file; another writer's event at the same seq raises ThreadConflict.

    Every append, append_many and lease change has committed durably when it returns: WAL mode
    with `synchronous=FULL`, which syncs the WAL at each commit, so the write survives a crash of
    the process or the OS and a power loss (see the module's docstring for SQLite's own words).
    Writes that arrive together share one commit; the event loop never waits for the disk
    (opening the file, in the constructor, is the one exception).

    `synchronous="normal"` skips that sync, for speed: a write still survives the process
    crashing, but a power loss or an OS crash may undo the last commits (never half of one).
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
        synchronous: Synchronous = "full",
    ) -> None:
        if max_pages is not None and (isinstance(max_pages, bool) or max_pages < 1):
            raise ValueError(f"max_pages must be an integer >= 1, got {max_pages!r}")
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be 'full' or 'normal', got {synchronous!r}")
        self.path = str(path)
        self.read_only = read_only
        self.synchronous: Synchronous = synchronous
        self.url = _url(self.path, read_only, max_pages, synchronous)
        with self._failing("opened"):
            db = self._open(timeout_s)
            try:
                if max_pages is not None:  # per connection, so each store sets its own
                    db.execute(f"PRAGMA max_page_count = {int(max_pages)}")
                # a second connection for reads, unless a read-only store's one serves both,
                # or the database is in memory (each connection would have its own)
                shared = read_only or self.path == MEMORY
                reader = db if shared else self._connect(self.path, False, timeout_s)
            except BaseException:
                db.close()
                raise
        self._writes = Lane(db, "agentgen-sqlite-writer", _APPENDS)
        self._reads = self._writes if reader is db else Lane(reader, "agentgen-sqlite-reader")
        lanes = (self._writes,) if reader is db else (self._writes, self._reads)
        # a store dropped without close() still stops its threads and closes its connections
        self._closer = weakref.finalize(self, _close, lanes)

    def _open(self, timeout_s: float) -> sqlite3.Connection:
        """The writing connection, ready: WAL mode, `synchronous`, the tables."""
        # read-only: SQLite opens the file so (a file that is not there is not created)
        target = Path(self.path).absolute().as_uri() + "?mode=ro" if self.read_only else self.path
        if not self.read_only and self.path != MEMORY:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        db = self._connect(target, self.read_only, timeout_s)
        try:
            if not self.read_only:  # a read-only store reads what a writer prepared
                _prepare(db, timeout_s, self.synchronous)
        except BaseException:
            db.close()
            raise
        return db

    @staticmethod
    def _connect(target: str, uri: bool, timeout_s: float) -> sqlite3.Connection:
        """A connection in autocommit mode, waiting up to `timeout_s` for other writers."""
        return sqlite3.connect(
            target, uri=uri, timeout=timeout_s, isolation_level=None, check_same_thread=False
        )

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
        await self._append(thread_id, seq, (event_json,))

    async def append_many(self, thread_id: str, seq: int, events_json: Sequence[str]) -> None:
        """Store events `seq`, `seq + 1`, ... in one transaction: all of them, or none."""
        check_seq(seq)
        await self._append(thread_id, seq, tuple(events_json))

    async def _append(self, thread_id: str, seq: int, events: tuple[str, ...]) -> None:
        def alone(db: sqlite3.Connection) -> Refusal | None:
            return _append_alone(db, thread_id, seq, events)

        # one event may join other threads' in one statement (see _append_at_once)
        together = (thread_id, seq, events[0]) if len(events) == 1 else None
        with self._failing("written"):
            await self._writes.write(alone, key=thread_id, bulk=together)

    async def load(self, thread_id: str) -> list[str]:
        """The thread's events as JSON, in seq order."""
        with self._failing("read"):
            events = await self._reads.read(
                lambda db: [row[0] for row in db.execute(_LOAD, (thread_id,))]
            )
        if not events:
            raise ThreadNotFound(thread_id)
        return events

    async def thread_ids(self) -> list[str]:
        """Every thread's id, sorted."""
        with self._failing("read"):
            return await self._reads.read(lambda db: [row[0] for row in db.execute(_THREADS)])

    async def acquire_lease(self, thread_id: str, owner: str, ttl_s: float) -> bool:
        """Take or renew the thread's lease, unless another owner holds a live one."""

        def take(db: sqlite3.Connection) -> bool:
            # "now" is when the statement runs, the write lock held
            cursor = db.execute(_ACQUIRE, (thread_id, owner, time.time(), ttl_s))
            return cursor.rowcount == 1

        with self._failing("written"):
            return await self._writes.write(take)

    async def release_lease(self, thread_id: str, owner: str) -> None:
        """Drop the thread's lease if `owner` holds it."""

        def release(db: sqlite3.Connection) -> None:
            db.execute(_RELEASE, (thread_id, owner))

        with self._failing("written"):
            await self._writes.write(release)

    def close(self) -> None:
        """Finish the writes under way, close the connections; the store cannot be used after."""
        self._closer()


def _close(lanes: tuple[Lane, ...]) -> None:
    for lane in lanes:
        lane.close()
