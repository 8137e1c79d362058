"""A thread that owns one SQLite connection, so that the event loop never waits for the file.

Coroutines hand it jobs (functions of the connection) and await their answers. Write jobs that
queue up while it is busy commit together, in one transaction: one sync of the file for all of
them (group commit). Each job still gets its own answer: a job's refusal (a conflict, raised as
`Refused` once it has written nothing) leaves the others in the transaction; any other failure
rolls the batch back and runs its jobs again one transaction each, so that an error reaches only
the job that meets it, and no job's answer arrives before its commit has returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], Any]
# a bound on one transaction's size; jobs beyond it wait for the next commit
MAX_BATCH = 512


class Refused(Exception):
    """A job's refusal: it wrote nothing, and `error` is its answer; the batch goes on."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


@dataclass(eq=False)
class _Job:
    work: Work
    write: bool
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


# (job, whether it succeeded, its result or its error)
_Outcome = tuple[_Job, bool, Any]


class Lane:
    """One connection and the thread (started on first use) that runs every job on it."""

    def __init__(self, db: sqlite3.Connection, name: str) -> None:
        self._db = db
        self._name = name
        self._lock = threading.Condition(threading.Lock())
        self._pending: list[_Job] = []
        self._thread: threading.Thread | None = None
        self._closed = False

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work(db)` inside a write transaction (perhaps shared), once it has committed."""
        result: T = await self._run(work, write=True)
        return result

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work(db)` outside any transaction: it sees every commit answered before it."""
        result: T = await self._run(work, write=False)
        return result

    async def _run(self, work: Work, *, write: bool) -> Any:
        loop = asyncio.get_running_loop()
        job = _Job(work, write, loop, loop.create_future())
        with self._lock:
            if self._closed:
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
            self._pending.append(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
                self._thread.start()
            else:
                self._lock.notify()
        return await job.future

    def close(self) -> None:
        """Answer the jobs already queued, then close the connection; later jobs are refused."""
        with self._lock:
            self._closed = True
            thread = self._thread
            self._lock.notify()
        if thread is None:
            self._db.close()
        elif thread is not threading.current_thread():
            thread.join()

    def _serve(self) -> None:
        try:
            while True:
                with self._lock:
                    while not self._pending and not self._closed:
                        self._lock.wait()
                    if not self._pending:  # closed, and every job answered
                        return
                    jobs = self._pending[:MAX_BATCH]
                    del self._pending[:MAX_BATCH]
                _answer(self._batch(jobs))
        finally:
            self._db.close()

    def _batch(self, jobs: list[_Job]) -> list[_Outcome]:
        """The writes in one transaction, then the reads (which see those writes)."""
        live = [job for job in jobs if not job.future.cancelled()]  # its caller gave up
        writes = [job for job in live if job.write]
        outcomes = self._commit(writes) if writes else []
        return outcomes + [self._read(job) for job in live if not job.write]

    def _commit(self, jobs: list[_Job]) -> list[_Outcome]:
        db = self._db
        try:
            # IMMEDIATE: the write lock from the start (waiting up to the busy timeout for it)
            db.execute("BEGIN IMMEDIATE")
        except Exception as error:  # the lock not had in time, an unusable file: for all
            return [(job, False, error) for job in jobs]
        outcomes: list[_Outcome] = []
        try:
            for job in jobs:
                try:
                    outcomes.append((job, True, job.work(db)))
                except Refused as refusal:
                    outcomes.append((job, False, refusal.error))
            db.execute("COMMIT")  # with synchronous=FULL, returns once the WAL is synced
        except Exception as error:
            self._rollback()
            if len(jobs) == 1:
                return [(jobs[0], False, error)]
            return [outcome for job in jobs for outcome in self._commit([job])]
        return outcomes

    def _rollback(self) -> None:
        if self._db.in_transaction:  # SQLite may have rolled it back itself (a full disk)
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    def _read(self, job: _Job) -> _Outcome:
        try:
            return (job, True, job.work(self._db))
        except Exception as error:
            return (job, False, error)


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
