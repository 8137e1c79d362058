"""Background job engines on PostgreSQL: procrastinate against DBOS, same server, same run.

Each engine gets a new database of the server the tests use ($AGENTGEN_TEST_POSTGRES_DSN;
without one the rows are n/a) for every run, and WORKERS worker processes of
CONCURRENCY / WORKERS jobs each, started one after the other (the first one creates DBOS's
tables). The caller is this process, on one event loop: procrastinate's `App` (its psycopg pool)
and DBOS's `DBOSClient`, each the engine's way to enqueue from a process that runs no jobs. A job
sleeps 20 ms and reports its start and end (CLOCK_MONOTONIC, one clock for every process of the
machine) to the caller in one UDP datagram, so that no measurement adds database work.

- enqueue: ENQUEUES enqueues one after the other, each awaited, to a queue no worker takes from
  (the enqueue's own cost, not a worker's competing for the rows); p50 and p99 of all runs.
- enqueue to start: PICKUPS jobs one at a time on idle workers, a random pause of up to 1 s
  before each (DBOS polls its queues every second: the pause spreads the enqueues over the
  poll's phase); from the enqueue call to the job's first line, p50 of all runs.
- throughput: JOBS jobs enqueued at once (one asyncio.gather), from the first enqueue to the
  last job's end; against the same sleeps run CONCURRENCY at a time with asyncio.gather.
- ordering (checked, not timed): KEYS keys x PER_KEY jobs enqueued in turn, one after the
  other; procrastinate's `lock=key`, DBOS's queue partitions (`partition_concurrency=1`,
  `queue_partition_key=key`). A job of a key that starts before the key's previous job ended is
  a violation; the note says whether jobs of different keys ran side by side, and how long a
  key's next job waited after its previous one ended.
- idle load: the transactions per second the idle workers commit (pg_stat_database), first run.

Defaults are the engines' own except: procrastinate's worker concurrency (default 1) and its
schema; DBOS's config (name, database URL, an executor ID per worker process, which its docs ask
of several) and its queues' `worker_concurrency`. One more system of each polls every 0.05 s
instead (procrastinate's `fetch_job_polling_interval`, default 5 s; DBOS's queue
`polling_interval_sec`, default 1 s), to show what the poll costs and buys; and procrastinate
once more at the 1 s that agentgen's worker uses.

    python -m bench.engines worker procrastinate|dbos URL CONCURRENCY PORT [POLLING_S]
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Collection, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from agentgen_runtime._engine import DEFAULT_POLL_S

from .machine import version
from .stats import Row, fmt, median

DSN_ENV = "AGENTGEN_TEST_POSTGRES_DSN"  # as bench/concurrency.py
JOBS, SLEEP_S, CONCURRENCY, WORKERS = 500, 0.020, 8, 2
ENQUEUES, PICKUPS, PAUSE_S = 200, 10, 1.0
IDLE_S, IDLE_WINDOWS = 4.0, 3  # the windows in which the idle workers' transactions are counted
KEYS, PER_KEY = 3, 10
CELL_SECONDS = 20.0  # stop repeating the throughput run once its runs took this long
TASK, APP_NAME = "bench_job", "agentgen_bench"
QUEUE, ORDERED, PARKED = "bench", "bench_ordered", "bench_parked"  # workers skip PARKED
FAST_POLLING_S = 0.05

ENQUEUE = "job engine: enqueue one job (async caller)"
PICKUP = "job engine: enqueue to start, idle workers"
THROUGHPUT = (
    f"job engine: {JOBS} jobs of 20 ms, {WORKERS} workers x concurrency {CONCURRENCY // WORKERS}"
)
ORDER = "job engine: same key one at a time, in enqueue order (check)"
IDLE = f"job engine: database load of {WORKERS} idle workers"
FLOOR = f"asyncio.gather, {CONCURRENCY} at a time (floor)"


@dataclass(frozen=True)
class Engine:
    """One system under test: the engine, its row label, and how often its workers poll."""

    kind: str  # "procrastinate" or "dbos": the importable package
    system: str
    polling_s: float | None = None  # how often workers poll; None keeps the engine's default


@dataclass(frozen=True)
class Done:
    """What a job reported: its worker process, when it started and when it ended."""

    pid: int
    started: float
    finished: float


@dataclass(frozen=True)
class Ordering:
    """The per-key check: violations, whether keys ran side by side, the hand-over gaps."""

    violations: int
    overlapped: bool
    handoff_ms: float  # median: a key's next job's start after its previous job's end


@dataclass
class Samples:
    """One engine's measurements, over all its runs."""

    enqueue_ms: list[float] = field(default_factory=list)
    pickup_ms: list[float] = field(default_factory=list)
    throughput_s: list[float] = field(default_factory=list)
    enqueue_all_s: list[float] = field(default_factory=list)  # enqueueing the JOBS, of that
    ordering: Ordering | None = None
    idle_tps: float | None = None  # transactions/s the idle workers commit


def engines() -> list[Engine]:
    """The systems, labelled with their installed versions."""
    procrastinate, dbos = f"procrastinate {version('procrastinate')}", f"DBOS {version('dbos')}"
    fast = f"{FAST_POLLING_S} s (not default)"
    ours = f"{DEFAULT_POLL_S:g} s (agentgen's worker)"
    return [
        Engine("procrastinate", procrastinate),
        Engine("procrastinate", f"{procrastinate}, fetch polling {ours}", DEFAULT_POLL_S),
        Engine("procrastinate", f"{procrastinate}, fetch polling {fast}", FAST_POLLING_S),
        Engine("dbos", dbos),
        Engine("dbos", f"{dbos}, queue polling {fast}", FAST_POLLING_S),
    ]


# --- the job, as both engines' workers run it ---------------------------------------------


@functools.cache
def _udp() -> socket.socket:
    return socket.socket(socket.AF_INET, socket.SOCK_DGRAM)


def report(port: int, text: str) -> None:
    """One datagram to the caller's collector on 127.0.0.1."""
    _udp().sendto(text.encode(), ("127.0.0.1", port))


async def job(index: int, port: int) -> None:
    """The bench job: 20 ms of waiting, then its start and end reported to the caller."""
    started = time.monotonic()
    await asyncio.sleep(SLEEP_S)
    report(port, f"done {index} {os.getpid()} {started} {time.monotonic()}")


def procrastinate_app(url: str) -> Any:
    """A procrastinate App on `url` with the bench job registered as TASK."""
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))
    app.task(name=TASK, queue=QUEUE)(job)
    return app


async def procrastinate_worker(
    url: str, concurrency: int, port: int, polling_s: float | None
) -> None:
    """A procrastinate worker on QUEUE and ORDERED until SIGTERM (its own handler)."""
    app = procrastinate_app(url)
    polling: dict[str, Any] = {}
    if polling_s is not None:
        polling["fetch_job_polling_interval"] = polling_s
    async with app.open_async():
        report(port, f"ready {os.getpid()}")
        await app.run_worker_async(queues=[QUEUE, ORDERED], concurrency=concurrency, **polling)


async def until_terminated() -> None:
    """Wait for SIGTERM."""
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


async def dbos_worker(url: str, concurrency: int, port: int, polling_s: float | None) -> None:
    """A DBOS process dequeuing QUEUE and ORDERED (partitioned) until SIGTERM."""
    from dbos import DBOS

    DBOS.workflow(name=TASK)(job)
    # One executor ID per process: DBOS's docs ask it of several (each recovers its own work).
    DBOS(config={"name": APP_NAME, "system_database_url": url, "executor_id": f"w{os.getpid()}"})
    DBOS.listen_queues([QUEUE, ORDERED])
    DBOS.launch()  # on this loop: DBOS runs the async workflows here
    polling: dict[str, Any] = {} if polling_s is None else {"polling_interval_sec": polling_s}
    await DBOS.register_queue_async(QUEUE, worker_concurrency=concurrency, **polling)
    await DBOS.register_queue_async(
        ORDERED, worker_concurrency=concurrency, partition_concurrency=1, **polling
    )
    report(port, f"ready {os.getpid()}")
    await until_terminated()
    DBOS.destroy()


def worker(kind: str, url: str, concurrency: int, port: int, polling_s: float | None) -> None:
    """One worker process of `kind`, until SIGTERM."""
    if kind == "procrastinate":
        asyncio.run(procrastinate_worker(url, concurrency, port, polling_s))
    else:
        asyncio.run(dbos_worker(url, concurrency, port, polling_s))


# --- the caller ---------------------------------------------------------------------------


class Client(Protocol):
    """How the caller enqueues the bench job: to `queue`, ordered by `key` when one is given."""

    async def enqueue(
        self, index: int, port: int, queue: str = QUEUE, key: str | None = None
    ) -> None: ...

    async def close(self) -> None: ...


class ProcrastinateClient:
    """Defers through a procrastinate App (its own psycopg pool); a key is the job's lock."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.task = app.tasks[TASK]

    async def enqueue(
        self, index: int, port: int, queue: str = QUEUE, key: str | None = None
    ) -> None:
        await self.task.configure(queue=queue, lock=key).defer_async(index=index, port=port)

    async def close(self) -> None:
        await self.app.close_async()


class DbosClient:
    """Enqueues through DBOSClient (no workflows of its own); a key is the queue partition."""

    def __init__(self, url: str) -> None:
        from dbos import DBOSClient

        self.client = DBOSClient(system_database_url=url)

    async def enqueue(
        self, index: int, port: int, queue: str = QUEUE, key: str | None = None
    ) -> None:
        from dbos import EnqueueOptions

        options = EnqueueOptions(workflow_name=TASK, queue_name=queue)
        if key is not None:
            options["queue_partition_key"] = key
        await self.client.enqueue_async(options, index, port)

    async def close(self) -> None:
        self.client.destroy()


async def prepare(engine: Engine, url: str) -> None:
    """What must exist before a worker starts: procrastinate's schema (DBOS makes its own)."""
    if engine.kind == "procrastinate":
        app = procrastinate_app(url)
        async with app.open_async():
            await app.schema_manager.apply_schema_async()


async def open_client(engine: Engine, url: str) -> Client:
    """The caller's side of `engine`, connected (DBOS's needs its tables: after a worker)."""
    if engine.kind == "procrastinate":
        app = procrastinate_app(url)
        await app.open_async()
        return ProcrastinateClient(app)
    return DbosClient(url)


class Collector(asyncio.DatagramProtocol):
    """The jobs' and workers' datagrams: which jobs are done, which workers are ready."""

    def __init__(self) -> None:
        self.done: dict[int, Done] = {}
        self.ready: list[int] = []
        self.changed = asyncio.Event()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        fields = data.decode().split()
        if fields[0] == "ready":
            self.ready.append(int(fields[1]))
        else:
            index, pid, started, finished = fields[1:]
            self.done[int(index)] = Done(int(pid), float(started), float(finished))
        self.changed.set()

    async def wait(self, indexes: Collection[int], timeout: float) -> None:
        """Until every job of `indexes` has reported, or raise after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while any(index not in self.done for index in indexes):
            self.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                missing = sum(index not in self.done for index in indexes)
                raise RuntimeError(f"{missing} of {len(indexes)} jobs did not finish in time")
            with suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)


@asynccontextmanager
async def collector() -> AsyncIterator[tuple[Collector, int]]:
    """A Collector listening on a free UDP port of 127.0.0.1, and that port."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        Collector, local_addr=("127.0.0.1", 0)
    )
    try:
        yield protocol, int(transport.get_extra_info("sockname")[1])
    finally:
        transport.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def _started(process: subprocess.Popen[bytes], found: Collector, log: Path) -> None:
    """Until `process` says it is ready; its log's end if it exits or takes a minute."""
    deadline = time.monotonic() + 60
    while process.pid not in found.ready:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"a worker did not start: {log.read_text()[-800:]}")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def workers(
    engine: Engine, url: str, found: Collector, port: int, logs: Path
) -> AsyncIterator[None]:
    """WORKERS worker processes of `engine`, started one at a time, stopped at the end."""
    root = Path(__file__).resolve().parent.parent
    each = str(CONCURRENCY // WORKERS)
    command = [sys.executable, "-m", "bench.engines", "worker", engine.kind, url, each, str(port)]
    if engine.polling_s is not None:
        command.append(str(engine.polling_s))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for n in range(WORKERS):
            log = logs / f"{engine.kind}-{port}-{n}.log"
            with log.open("wb") as out:
                processes.append(
                    subprocess.Popen(command, cwd=root, stdout=out, stderr=subprocess.STDOUT)
                )
            await _started(processes[-1], found, log)
        yield
    finally:
        for process in processes:
            _stop(process)


@contextmanager
def fresh_database(dsn: str) -> Iterator[str]:
    """The URL of a new, empty database on the server of `dsn`, dropped afterwards."""
    import psycopg

    name = f"bench_jobs_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield urlsplit(dsn)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


# --- the measurements ---------------------------------------------------------------------


async def enqueue_ms(client: Client, port: int, ids: Iterator[int]) -> list[float]:
    """ENQUEUES enqueues to PARKED (no worker takes from it), one at a time: ms each."""
    times: list[float] = []
    for _ in range(ENQUEUES):
        begun = time.perf_counter()
        await client.enqueue(next(ids), port, queue=PARKED)
        times.append((time.perf_counter() - begun) * 1000)
    return times


async def pickup_ms(
    client: Client, found: Collector, port: int, ids: Iterator[int], pauses: random.Random
) -> list[float]:
    """PICKUPS jobs one at a time: ms from the enqueue call to the job's start."""
    times: list[float] = []
    for _ in range(PICKUPS):
        await asyncio.sleep(pauses.uniform(0, PAUSE_S))
        index, asked = next(ids), time.monotonic()
        await client.enqueue(index, port)
        await found.wait([index], timeout=60)
        times.append((found.done[index].started - asked) * 1000)
    return times


async def throughput_s(
    client: Client, found: Collector, port: int, ids: Iterator[int]
) -> tuple[float, float]:
    """JOBS jobs enqueued at once: seconds to the last one's end, and to the last enqueue."""
    indexes = [next(ids) for _ in range(JOBS)]
    begun = time.monotonic()
    await asyncio.gather(*(client.enqueue(index, port) for index in indexes))
    enqueued = time.monotonic() - begun
    await found.wait(indexes, timeout=600)
    return max(found.done[index].finished for index in indexes) - begun, enqueued


def order_check(plan: list[tuple[str, int]], done: dict[int, Done]) -> Ordering:
    """Jobs that started before their key's previous job ended, and how keys interleaved."""
    chains = {key: [done[i] for k, i in plan if k == key] for key, _ in plan}
    pairs = [pair for chain in chains.values() for pair in itertools.pairwise(chain)]
    overlapped = any(
        a.started < b.finished and b.started < a.finished
        for key, chain in chains.items()
        for other, rest in chains.items()
        if other != key
        for a in chain
        for b in rest
    )
    return Ordering(
        violations=sum(later.started < earlier.finished for earlier, later in pairs),
        overlapped=overlapped,
        handoff_ms=median((later.started - earlier.finished) * 1000 for earlier, later in pairs),
    )


async def ordering(client: Client, found: Collector, port: int, ids: Iterator[int]) -> Ordering:
    """KEYS keys x PER_KEY jobs, enqueued in turn to ORDERED, checked for per-key order."""
    plan = [(f"thread-{k}", next(ids)) for _ in range(PER_KEY) for k in range(KEYS)]
    for key, index in plan:
        await client.enqueue(index, port, queue=ORDERED, key=key)
    await found.wait([index for _, index in plan], timeout=300)
    return order_check(plan, found.done)


async def idle_tps(url: str) -> float:
    """Transactions per second committed in the database at `url`, nothing queued: the median
    of IDLE_WINDOWS windows (autovacuum, or statistics flushed late, make one an outlier)."""
    import psycopg

    query = "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
        await asyncio.sleep(2.0)  # what the workers' start wrote reaches the view
        counts: list[int] = []
        for _ in range(IDLE_WINDOWS + 1):
            row = await (await connection.execute(query)).fetchone()
            assert row is not None
            counts.append(int(row[0]))
            await asyncio.sleep(IDLE_S)
    # each count is a transaction of its own, seen by the next one
    return median((later - earlier - 1) / IDLE_S for earlier, later in itertools.pairwise(counts))


async def floor_seconds() -> float:
    """The floor: JOBS sleeps of 20 ms, CONCURRENCY at a time, in this process."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one() -> None:
        async with gate:
            await asyncio.sleep(SLEEP_S)

    begun = time.monotonic()
    await asyncio.gather(*(one() for _ in range(JOBS)))
    return time.monotonic() - begun


async def one_run(
    engine: Engine, url: str, samples: Samples, logs: Path, pauses: random.Random
) -> None:
    """One run of `engine` on the new database `url`: workers up, every measurement, down."""
    await prepare(engine, url)
    ids = itertools.count()
    async with collector() as (found, port), workers(engine, url, found, port, logs):
        client = await open_client(engine, url)
        try:
            if samples.idle_tps is None:  # before the warm-up: its statistics come late
                samples.idle_tps = await idle_tps(url)
            warm = [next(ids) for _ in range(2 * CONCURRENCY)]  # pools open, queues polled
            await asyncio.gather(*(client.enqueue(index, port) for index in warm))
            await found.wait(warm, timeout=120)
            samples.enqueue_ms += await enqueue_ms(client, port, ids)
            samples.pickup_ms += await pickup_ms(client, found, port, ids, pauses)
            if samples.ordering is None:
                samples.ordering = await ordering(client, found, port, ids)
            if sum(samples.throughput_s) < CELL_SECONDS:
                wall, enqueued = await throughput_s(client, found, port, ids)
                samples.throughput_s.append(wall)
                samples.enqueue_all_s.append(enqueued)
        finally:
            await client.close()


def percentile(values: list[float], share: float) -> float:
    """The `share` quantile (0..1) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def runs_note(count: int, repeats: int) -> str:
    """The note's run count, and "(capped at 20 s)" when the cap stopped the repeats."""
    runs = f"{count} run" + ("s" if count > 1 else "")
    return runs if count == repeats else f"{runs} (capped at {CELL_SECONDS:.0f} s)"


def engine_rows(engine: Engine, samples: Samples, floor_s: float, repeats: int) -> list[Row]:
    """The rows of one engine from its samples."""
    how = "defer_async" if engine.kind == "procrastinate" else "DBOSClient.enqueue_async"
    n = f"{len(samples.enqueue_ms)} enqueues, {repeats} runs; {how}"
    wall, enqueued = median(samples.throughput_s), median(samples.enqueue_all_s)
    pickups = samples.pickup_ms
    order = samples.ordering
    assert order is not None
    key = "lock=key" if engine.kind == "procrastinate" else "partition_concurrency=1"
    idle = f"median of {IDLE_WINDOWS} windows of {IDLE_S:.0f} s, pg_stat_database.xact_commit"
    side = "keys ran side by side" if order.overlapped else "keys never overlapped"
    return [
        Row(ENQUEUE, engine.system, "p50", percentile(samples.enqueue_ms, 0.5), "ms", n),
        Row(ENQUEUE, engine.system, "p99", percentile(samples.enqueue_ms, 0.99), "ms", n),
        Row(
            PICKUP,
            engine.system,
            "p50",
            percentile(pickups, 0.5),
            "ms",
            f"{len(pickups)} jobs; p90 {fmt(percentile(pickups, 0.9))} ms",
        ),
        Row(
            THROUGHPUT,
            engine.system,
            f"{JOBS} jobs",
            wall,
            "s",
            f"{fmt(JOBS / wall)} jobs/s; {fmt(wall / floor_s)}x the floor; enqueueing "
            f"{fmt(enqueued)} s of it; {runs_note(len(samples.throughput_s), repeats)}",
        ),
        Row(
            ORDER,
            engine.system,
            f"{KEYS} keys x {PER_KEY} jobs",
            order.violations,
            "jobs out of order",
            f"{key}; {side}; a key's next job started {fmt(order.handoff_ms)} ms (p50) "
            "after its previous one ended",
        ),
        Row(IDLE, engine.system, f"{WORKERS} workers", samples.idle_tps, "transactions/s", idle),
    ]


def unavailable(engine: Engine, why: str) -> list[Row]:
    """The rows of an engine that cannot run, with the reason."""
    sizes = [(ENQUEUE, "p50", "ms"), (ENQUEUE, "p99", "ms"), (PICKUP, "p50", "ms")]
    sizes += [(THROUGHPUT, f"{JOBS} jobs", "s"), (ORDER, f"{KEYS} keys x {PER_KEY} jobs", "")]
    sizes += [(IDLE, f"{WORKERS} workers", "transactions/s")]
    return [
        Row(bench, engine.system, size, None, unit, f"n/a ({why})") for bench, size, unit in sizes
    ]


def importable(kind: str) -> str | None:
    """Why the engine's package cannot be imported, or None."""
    try:
        importlib.import_module(kind)
    except Exception as error:  # any failure makes the engine "n/a", not a crash
        return f"{type(error).__name__}: {error}".splitlines()[0][:80]
    return None


def rows(repeats: int, workdir: Path) -> list[Row]:
    """Every engine's rows and the floor, the engines in turn run after run."""
    dsn = os.environ.get(DSN_ENV)
    systems = engines()
    why = {
        engine: importable(engine.kind) or ("no PostgreSQL" if not dsn else None)
        for engine in systems
    }
    samples = {engine: Samples() for engine in systems}
    floors: list[float] = []
    pauses = random.Random(0)
    logs = workdir / "engine-logs"
    logs.mkdir(parents=True, exist_ok=True)
    for _ in range(repeats):
        floors.append(asyncio.run(floor_seconds()))
        for engine in systems:
            if why[engine] is not None or dsn is None:
                continue
            try:
                with fresh_database(dsn) as url:
                    asyncio.run(one_run(engine, url, samples[engine], logs, pauses))
            except Exception as error:  # an engine that fails is "n/a", not a crash
                why[engine] = f"{type(error).__name__}: {error}".splitlines()[0][:120]
    floor_s = median(floors)
    floor = Row(THROUGHPUT, FLOOR, f"{JOBS} jobs", floor_s, "s", f"{fmt(JOBS / floor_s)} jobs/s")
    found: list[Row] = []
    for engine in systems:
        reason = why[engine]
        if reason is not None:
            found += unavailable(engine, reason)
        else:
            found += engine_rows(engine, samples[engine], floor_s, repeats)
    return grouped(found, floor)


def grouped(found: list[Row], floor: Row) -> list[Row]:
    """The rows benchmark by benchmark, the floor after the engines' throughput."""
    order = [ENQUEUE, PICKUP, THROUGHPUT, ORDER, IDLE]
    table: list[Row] = []
    for benchmark in order:
        table += [row for row in found if row.benchmark == benchmark]
        if benchmark == THROUGHPUT:
            table.append(floor)
    return table


if __name__ == "__main__" and sys.argv[1:2] == ["worker"]:
    polling = float(sys.argv[6]) if len(sys.argv) > 6 else None
    worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), polling)
