"""A thread that owns one SQLite connection, so that the event loop never waits for the file.

Coroutines hand it jobs (functions of the connection) and await their answers. Write jobs that
queue up while it is busy commit together, in one transaction: one sync of the file for all of
them (group commit). Each job still gets its own answer, and only once its commit has returned:
a job that refuses (a conflict: it returns a `Refusal` once it has written nothing) leaves the
others in the transaction; any other failure rolls the batch back and runs its jobs again, one
transaction each, so that an error reaches only the job that meets it.

A batch costs the thread a few statements whatever its size: write jobs that name what they touch
(`key`) and give arguments for the lane's `bulk` function are done by one call of it, when no
other job of the batch touches the same key (so that they commute with every other job). Each
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
# Several jobs' `bulk` arguments, in the open transaction (or, for one job, in none: then it
# must be one statement), and whether to be careful: for each job, None (done) or its refusal's
# error; or, when not careful, None for "roll the batch back and do it again, carefully".
Bulk = Callable[[sqlite3.Connection, list[Any], bool], list[Exception | None] | None]
# a bound on one transaction's size; jobs beyond it wait for the next commit
MAX_BATCH = 512


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

    def _commit(self, jobs: list[_Job], careful: bool = False) -> list[_Outcome]:
        db = self._db
        if len(jobs) == 1 and jobs[0].bulk is not None and self._bulk is not None and not careful:
            # alone, a bulk job is one statement: its own transaction, two statements fewer
            try:
                if self._bulk(db, [jobs[0].bulk], False) is not None:
                    return [(jobs[0], True, None)]
            except Exception as error:
                return [(jobs[0], False, error)]
            # it refused: decided again in a transaction, which finds out why
        try:
            # IMMEDIATE: the write lock from the start (waiting up to the busy timeout for it)
            db.execute("BEGIN IMMEDIATE")
        except Exception as error:  # the lock not had in time, an unusable file: for all
            return [(job, False, error) for job in jobs]
        outcomes: list[_Outcome] = []
        together, alone = self._together(jobs)
        try:
            if together and self._bulk is not None:
                refusals = self._bulk(db, [job.bulk for job in together], careful)
                if refusals is None:  # some refused: do it all again, finding out which
                    self._rollback()
                    return self._commit(jobs, careful=True)
                for job, refusal in zip(together, refusals, strict=True):
                    outcomes.append((job, True, None) if refusal is None else (job, False, refusal))
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

    def _together(self, jobs: list[_Job]) -> tuple[list[_Job], list[_Job]]:
        """The jobs one bulk call does (each the only one of the batch to touch its key), and
        the others, in their order."""
        if self._bulk is None or len(jobs) < 2:
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
