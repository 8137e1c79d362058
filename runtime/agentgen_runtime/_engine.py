"""Background work on procrastinate: worker processes advance threads queued in PostgreSQL.

The event log stays the one source of truth; a job only says "advance this thread (with this
response)". The jobs of one thread share a procrastinate lock, so
they run one at a time, in the order they were queued, on whichever worker takes them. A job
that finds the thread's lease taken (a request with `"wait": true` holds it, or a dead worker's
lease has not expired yet) is retried a moment later, still ahead of the thread's later jobs.
A worker that dies mid-job stops its heartbeat; the other workers put its jobs back in the
queue, and the thread carries on from its last durable event.

A pause with a deadline queues one more job, due at the deadline and outside the thread's lock
(procrastinate holds back a lock's later jobs behind a waiting one): it gives the thread a
`deadline_passed` response, which the thread refuses if a person answered in time. A response
queued before the deadline counts as in time: the deadline's job waits until it has run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ._base import AgentgenError
from ._deadlines import DeadlineNotReached
from ._errors import one_line
from ._extras import missing_extra
from ._postgres import without_password
from ._provider import ModelUnavailable
from ._settings import env_seconds
from ._stores import Store, StoreUnavailable, ThreadBusy

if TYPE_CHECKING:
    import procrastinate

Work = dict[str, Any]
"""A job's JSON payload: `thread_id`, the `response` to give it (or None) and a `callback_url`."""
Advance = Callable[[Work], Awaitable[None]]

ADVANCE_TASK = "agentgen.advance"
HEARTBEAT_ENV = "AGENTGEN_WORKER_HEARTBEAT_S"
POLL_ENV = "AGENTGEN_WORKER_POLL_S"
# procrastinate wakes a worker at once for a new job, but a job held back by its thread's lock, a
# retry or a deadline waits for the next poll: 5 s by procrastinate's default, 1 s here (bench/
# engines.py measures what each costs an idle database)
DEFAULT_POLL_S = 1.0
_SCHEMA_LOCK = 0x61676E74  # advisory lock ids: two workers starting together create it once,
_RECOVERY_LOCK = 0x61676E75  # and one worker at a time puts stalled jobs back
_log = logging.getLogger("agentgen.worker")
_QUEUES: dict[tuple[str, str], WorkQueue] = {}
_SCHEMA_SEEN: set[str] = set()  # databases whose procrastinate tables this process has seen


class EngineUnavailable(AgentgenError, RuntimeError):
    """Queued work needs a PostgreSQL store and the worker extra."""

    http_status = 501


def heartbeat_s() -> float:
    """How often a worker says it is alive: $AGENTGEN_WORKER_HEARTBEAT_S, else 10 seconds."""
    return env_seconds(HEARTBEAT_ENV, 10.0)


def poll_s() -> float:
    """How often an idle worker looks for due jobs: $AGENTGEN_WORKER_POLL_S, else 1 second."""
    return env_seconds(POLL_ENV, DEFAULT_POLL_S)


def postgres_dsn(store: Store) -> str | None:
    """The URL of a store that keeps its threads in PostgreSQL (and so its queue), else None."""
    dsn = getattr(store, "dsn", None)
    if isinstance(dsn, str) and dsn.startswith(("postgres://", "postgresql://")):
        return dsn
    return None


def deadline_work(thread_id: str, call_id: str, deadline: datetime) -> Work:
    """The job that tells a thread its pending call's deadline passed."""
    response = {"type": "deadline_passed", "call_id": call_id}
    due = deadline.isoformat()
    return {"thread_id": thread_id, "response": response, "callback_url": None, "deadline": due}


async def schedule_deadline(
    store: Store, agent: str, thread_id: str, call_id: str, deadline: datetime
) -> None:
    """Queue the deadline's job with a PostgreSQL store; other stores keep none (see README)."""
    dsn = postgres_dsn(store)
    if dsn is None:
        return
    module = _procrastinate()
    # a connection of its own, closed at once: a CLI run or a test's event loop ends right after
    app = module.App(connector=module.PsycopgConnector(conninfo=dsn, min_size=1, max_size=1))
    with _queue_errors(dsn, "given the call's deadline"):
        async with app.open_async():
            await _create_schema(app, dsn)
            deferrer = app.configure_task(ADVANCE_TASK, queue=agent, schedule_at=deadline)
            await deferrer.defer_async(work=deadline_work(thread_id, call_id, deadline))


@contextlib.contextmanager
def _queue_errors(dsn: str, action: str) -> Iterator[None]:
    """The queue's failures (its database down, its tables broken) as StoreUnavailable (503)."""
    try:
        yield
    except AgentgenError:
        raise
    except Exception as error:  # procrastinate's and psycopg's own errors: one line of them
        root: BaseException = error
        while root.__cause__ is not None:  # procrastinate says "Database error." over psycopg's
            root = root.__cause__
        cause = one_line(str(root) or type(root).__name__, 500)
        raise StoreUnavailable(without_password(dsn), action, cause) from error


class WorkQueue:
    """One agent's queue of work in the database of a PostgreSQL store."""

    def __init__(self, dsn: str, agent: str) -> None:
        self.dsn, self.agent = dsn, agent
        self._apps: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, procrastinate.App] = (
            weakref.WeakKeyDictionary()
        )

    @classmethod
    def for_store(cls, store: Store, agent: str) -> WorkQueue:
        """The queue beside a PostgresStore's tables; EngineUnavailable for any other store."""
        dsn = postgres_dsn(store)
        if dsn is None:
            raise EngineUnavailable(
                "queued work needs a PostgreSQL store: set AGENTGEN_STORE=postgresql://..."
            )
        _procrastinate()  # a missing extra is one line now, not at the first job
        # one per database and agent: each holds a pool of connections per event loop
        return _QUEUES.setdefault((dsn, agent), cls(dsn, agent))

    async def ready(self) -> None:
        """Open the queue and create its tables now; StoreUnavailable if it cannot be."""
        await self._app()

    async def enqueue(self, work: Work) -> int:
        """Queue work on the thread behind the thread's earlier jobs; the job's id."""
        app = await self._app()
        stamped = {**work, "queued_at": datetime.now(UTC).isoformat()}
        with _queue_errors(self.dsn, "given queued work"):
            deferrer = app.configure_task(ADVANCE_TASK, queue=self.agent, lock=work["thread_id"])
            return await deferrer.defer_async(work=stamped)

    async def run(self, advance: Advance, *, concurrency: int) -> None:
        """Run jobs until stopped (SIGINT/SIGTERM), `concurrency` at a time."""
        app = await self._app()
        task = app.task(name=ADVANCE_TASK, retry=_retry_strategy(), pass_context=False)
        task(self._bound(advance))
        beat, poll = heartbeat_s(), poll_s()
        recovering = asyncio.create_task(self._recover_stalled(beat))
        try:
            await app.run_worker_async(
                queues=[self.agent],
                concurrency=concurrency,
                fetch_job_polling_interval=poll,
                update_heartbeat_interval=beat,
                stalled_worker_timeout=3 * beat,
                delete_jobs="successful",
            )
        finally:
            recovering.cancel()

    def _bound(self, advance: Advance) -> Callable[..., Awaitable[None]]:
        async def agentgen_advance(work: Work) -> None:
            deadline = work.get("deadline")
            if deadline is not None and await self._answered_before(work["thread_id"], deadline):
                raise ThreadBusy(work["thread_id"])  # retried in a second, after that response
            await advance(work)

        return agentgen_advance

    async def _answered_before(self, thread_id: str, deadline: str) -> bool:
        """Whether a response to the thread, queued before `deadline`, has yet to run."""
        app = await self._app()
        with _queue_errors(self.dsn, "read"):
            row = await app.connector.execute_query_one_async(
                "SELECT count(*) AS waiting FROM procrastinate_jobs"
                " WHERE lock = %(lock)s AND queue_name = %(queue)s"
                " AND status IN ('todo', 'doing')"
                " AND (args -> 'work' ->> 'queued_at')::timestamptz < %(deadline)s::timestamptz",
                lock=thread_id,
                queue=self.agent,
                deadline=deadline,
            )
        return bool(row["waiting"])

    async def _recover_stalled(self, beat: float) -> None:
        """Put back in the queue the jobs of workers whose heartbeat stopped (killed, lost)."""
        while True:
            await asyncio.sleep(beat)
            try:
                await self._recover_once(3 * beat)
            except Exception as error:  # the next round tries again
                _log.warning("could not recover stalled jobs: %s", error)

    async def _recover_once(self, silent_s: float) -> None:
        """One round, by one worker at a time: two would put the same job back twice."""
        import psycopg

        app = await self._app()
        connection = await psycopg.AsyncConnection.connect(self.dsn)
        async with connection, connection.transaction():
            cursor = await connection.execute(
                "SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))", (_RECOVERY_LOCK, self.agent)
            )
            row = await cursor.fetchone()
            if row is None or not row[0]:
                return  # another worker is at it
            jobs = await app.job_manager.get_stalled_jobs(
                queue=self.agent, seconds_since_heartbeat=silent_s
            )
            for job in jobs:
                _log.warning("job %s of a stopped worker goes back in the queue", job.id)
                await app.job_manager.retry_job(job)

    async def _app(self) -> procrastinate.App:
        """This event loop's procrastinate app, opened (and its tables created) on first use."""
        loop = asyncio.get_running_loop()
        app = self._apps.get(loop)
        if app is None:
            module = _procrastinate()
            app = module.App(connector=module.PsycopgConnector(conninfo=self.dsn))
            with _queue_errors(self.dsn, "opened for its work queue"):
                await app.open_async()
                await _create_schema(app, self.dsn)
            self._apps[loop] = app
        return app


def _retry_strategy() -> procrastinate.RetryStrategy:
    # a busy thread frees up within a lease TTL; an outage gets the same patience
    _procrastinate()
    from procrastinate import RetryStrategy

    return RetryStrategy(
        max_attempts=1000,
        wait=1,
        retry_exceptions={ThreadBusy, StoreUnavailable, ModelUnavailable, DeadlineNotReached},
    )


async def _create_schema(app: procrastinate.App, dsn: str) -> None:
    """procrastinate's tables, once per database; later versions migrate with its own CLI."""
    import psycopg

    if dsn in _SCHEMA_SEEN:
        return

    schema = app.schema_manager.get_schema()
    connection = await psycopg.AsyncConnection.connect(dsn)
    async with connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        cursor = await connection.execute("SELECT to_regclass('procrastinate_jobs')")
        row = await cursor.fetchone()
        if row is not None and row[0] is None:
            await connection.execute(schema)
    _SCHEMA_SEEN.add(dsn)


def _procrastinate() -> ModuleType:
    """The procrastinate module, or a one-line MissingExtra (imported late: it is optional)."""
    try:
        import procrastinate
    except ModuleNotFoundError as error:
        raise missing_extra(error) from None
    return procrastinate
