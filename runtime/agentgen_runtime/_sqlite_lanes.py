"""A thread that owns one SQLite connection, so that the event loop never waits for the file.

Coroutines hand it jobs (functions of the connection) and await their answers. Write jobs that
queue up while it is busy commit together, in one transaction: one sync of the file for all of
them (group commit). Each job still gets its own answer, and only once its commit has returned:
a job that refuses (a conflict: it returns a `Refusal` once it has written nothing) leaves the
others in the transaction; any other failure rolls the batch back and runs its jobs again, one
transaction each, so that an error reaches only the job that meets it.

A batch costs the thread a few statements whatever its size: write jobs that name what they touch
(`key`) and give arguments for the lane's `Bulk` are done together when no other job of the batch
touches the same key (so that they commute with every other job): in one statement that stores
them all or none (its own transaction, when the batch holds nothing else), and only when that
refuses, in a transaction that finds out which of them to refuse. That matters because each
statement hands Python's GIL to the thread and back, and a busy event loop hands it back late.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], Any]
# a bound on one transaction's size; jobs beyond it wait for the next commit
MAX_BATCH = 512


@dataclass(frozen=True)
class Bulk:
    """How a lane does several jobs at once, from their `bulk` arguments (no two on one key)."""

    # One statement, in a transaction or as its own: True when it stored every job, False when
    # it stored none of them because one (at least) must be refused.
    at_once: Callable[[sqlite3.Connection, list[Any]], bool]
    # In a transaction: for each job, None (stored) or the error that refuses it (not stored).
    careful: Callable[[sqlite3.Connection, list[Any]], list[Exception | None]]
    size: int  # jobs per call, at most


@dataclass(frozen=True, slots=True)
class Refusal:
    """What a job returns when it refuses: it wrote nothing, `error` is its answer, and the
    other jobs of its batch go on."""

    error: Exception


@dataclass(eq=False, slots=True)
class _Job:
    work: Work
    write: bool
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    key: str | None = None  # what it touches: jobs with the same key keep their order
    bulk: Any = None  # its arguments for the lane's bulk function, if it can join one


# (job, whether it succeeded, its result or its error)
_Outcome = tuple[_Job, bool, Any]


class Lane:
    """One connection and the thread (started on first use) that runs every job on it."""

    def __init__(self, db: sqlite3.Connection, name: str, bulk: Bulk | None = None) -> None:
        self._db = db
        self._name = name
        self._bulk = bulk
        self._lock = threading.Lock()  # over `_closed` and starting the thread
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()  # None: stop
        self._thread: threading.Thread | None = None
        self._closed = False

    async def write(
        self, work: Callable[[sqlite3.Connection], T], *, key: str | None = None, bulk: Any = None
    ) -> T:
        """`work(db)` inside a write transaction (perhaps shared), once it has committed.

        With `bulk`, the lane may do the job as part of one call of its bulk function instead
        (its result is then None); `key` names what the job touches.
        """
        result: T = await self._submit(work, True, key, bulk)
        return result

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work(db)` outside any transaction: it sees every commit answered before it."""
        result: T = await self._submit(work, False, None, None)
        return result

    def _submit(self, work: Work, write: bool, key: str | None, bulk: Any) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        job = _Job(work, write, loop, loop.create_future(), key, bulk)
        with self._lock:
            if self._closed:
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
            self._queue.put(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
                self._thread.start()
        return job.future

    def close(self) -> None:
        """Answer the jobs already queued, then close the connection; later jobs are refused."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
            self._queue.put(None)  # after every job: none can be queued from now on
        if thread is None:
            self._db.close()
        elif thread is not threading.current_thread():
            thread.join()

    def _serve(self) -> None:
        try:
            stopping = False
            while not stopping:
                jobs: list[_Job] = []
                item = self._queue.get()  # waits for the first job, then takes what came too
                while item is not None:
                    jobs.append(item)
                    if len(jobs) == MAX_BATCH:
                        break
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                stopping = item is None
                if jobs:
                    _answer(self._answers(jobs))
        finally:
            self._db.close()

    def _answers(self, jobs: list[_Job]) -> list[_Outcome]:
        try:
            return self._batch(jobs)
        except Exception as error:  # a bug of ours: no caller is left waiting for ever
            return [(job, False, error) for job in jobs]

    def _batch(self, jobs: list[_Job]) -> list[_Outcome]:
        """The writes in one transaction, then the reads (which see those writes)."""
        live = [job for job in jobs if not job.future.cancelled()]  # its caller gave up
        writes = [job for job in live if job.write]
        outcomes = self._commit(writes) if writes else []
        return outcomes + [self._read(job) for job in live if not job.write]

    def _commit(self, jobs: list[_Job]) -> list[_Outcome]:
        together, alone = self._together(jobs)
        if together and not alone:
            return self._at_once(together)
        return self._transaction(jobs, together, alone)

    def _at_once(self, jobs: list[_Job]) -> list[_Outcome]:
        """Bulk jobs alone in the batch: a statement per `size` of them, each its own
        transaction; those that one refused go through a transaction, to find out why."""
        assert self._bulk is not None
        outcomes: list[_Outcome] = []
        left: list[_Job] = []
        for chunk in _chunks(jobs, self._bulk.size):
            try:
                stored = self._bulk.at_once(self._db, [job.bulk for job in chunk])
            except Exception as error:  # the statement stored nothing
                if len(chunk) == 1 or _busy(error):  # the job's own error, or every job's
                    outcomes += [(job, False, error) for job in chunk]
                    continue
                stored = False  # a full disk, say: the transaction finds out whose write it is
            if stored:
                outcomes += [(job, True, None) for job in chunk]
            else:
                left += chunk
        return outcomes + (self._transaction(left, left, []) if left else [])

    def _transaction(
        self, jobs: list[_Job], together: list[_Job], alone: list[_Job]
    ) -> list[_Outcome]:
        """Every job in one transaction (`together` the bulk ones, `alone` the others, in
        order); when it fails, each job again in a transaction of its own."""
        db = self._db
        try:
            # IMMEDIATE: the write lock from the start (waiting up to the busy timeout for it)
            db.execute("BEGIN IMMEDIATE")
        except Exception as error:  # the lock not had in time, an unusable file: for all
            return [(job, False, error) for job in jobs]
        try:
            outcomes = self._bulk_in_transaction(together)
            for job in alone:
                result = job.work(db)
                refused = isinstance(result, Refusal)
                outcomes.append((job, False, result.error) if refused else (job, True, result))
            db.execute("COMMIT")  # with synchronous=FULL, returns once the WAL is synced
        except Exception as error:
            self._rollback()
            if len(jobs) == 1:
                return [(jobs[0], False, error)]
            return [outcome for job in jobs for outcome in self._commit([job])]
        return outcomes

    def _bulk_in_transaction(self, jobs: list[_Job]) -> list[_Outcome]:
        outcomes: list[_Outcome] = []
        if self._bulk is None:
            return outcomes
        for chunk in _chunks(jobs, self._bulk.size):
            arguments = [job.bulk for job in chunk]
            if self._bulk.at_once(self._db, arguments):
                refusals: list[Exception | None] = [None] * len(chunk)
            else:  # the statement stored none of them: find out which to refuse
                refusals = self._bulk.careful(self._db, arguments)
            for job, refusal in zip(chunk, refusals, strict=True):
                outcomes.append((job, True, None) if refusal is None else (job, False, refusal))
        return outcomes

    def _together(self, jobs: list[_Job]) -> tuple[list[_Job], list[_Job]]:
        """The bulk jobs (each the only one of the batch to touch its key), and the others, in
        their order."""
        if self._bulk is None:
            return [], jobs
        touched: Counter[str | None] = Counter(job.key for job in jobs)
        together: list[_Job] = []
        alone: list[_Job] = []
        for job in jobs:
            joins = job.bulk is not None and touched[job.key] == 1
            (together if joins else alone).append(job)
        return together, alone

    def _rollback(self) -> None:
        if self._db.in_transaction:  # SQLite may have rolled it back itself (a full disk)
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    def _read(self, job: _Job) -> _Outcome:
        try:
            return (job, True, job.work(self._db))
        except Exception as error:
            return (job, False, error)


def _busy(error: Exception) -> bool:
    """Whether the write lock was not had within the busy timeout."""
    code = getattr(error, "sqlite_errorcode", 0)
    return isinstance(error, sqlite3.OperationalError) and code & 0xFF == sqlite3.SQLITE_BUSY


def _chunks(jobs: list[_Job], size: int) -> list[list[_Job]]:
    return [jobs[start : start + size] for start in range(0, len(jobs), size)]


def _answer(outcomes: list[_Outcome]) -> None:
    """Hand each outcome to its job's event loop: one wake-up per loop, not one per job."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].loop, []).append(outcome)
    for loop, answers in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody is waiting
            loop.call_soon_threadsafe(_settle, answers)


def _settle(outcomes: list[_Outcome]) -> None:
    for job, succeeded, value in outcomes:
        if job.future.done():  # cancelled meanwhile
            continue
        if succeeded:
            job.future.set_result(value)
        else:
            job.future.set_exception(value)
