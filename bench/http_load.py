"""HTTP throughput on PostgreSQL: the generated app against a bare Starlette app, same sleeps.

Each request is `POST /threads`: the bench agent's app (create_app, PostgresStore on a fresh
schema of $AGENTGEN_TEST_POSTGRES_DSN, AGENTGEN_AUTH=none) runs a thread of TOOL_CALLS `add`
calls and a final answer, each model call a 20 ms sleep; the floor is a bare Starlette route
that sleeps as many times and answers JSON. Each server is one uvicorn process; one client
(asyncio streams, CONCURRENCY keep-alive connections) sends REQUESTS after a warm-up round, and
the row is requests per second (the note: the median latency). The same app on MemoryStore
shows the app's own cost without a database. Without a PostgreSQL server its row is n/a.

    python -m bench.http_load serve agent|bare PACKAGES_DIR STORE_URL PORT
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from .stats import Row, fmt, median, quotient, target

TOOL_CALLS, SLEEP_S, CONCURRENCY, REQUESTS = 2, 0.020, 50, 1000
THROUGHPUT = (
    f"HTTP on PostgreSQL, POST /threads ({TOOL_CALLS + 1} model calls of 20 ms), "
    f"{CONCURRENCY} in flight"
)
OURS, MEMORY = "agentgen (create_app, PostgresStore)", "agentgen (create_app, MemoryStore)"
BARE = "bare Starlette, same sleeps (floor)"
MESSAGE = {"message": "add 1, twice"}


class ChainModel:
    """Answers `add` until the thread holds TOOL_CALLS results, then the final answer."""

    async def next_step(self, request: Any) -> dict[str, Any]:
        await asyncio.sleep(SLEEP_S)
        done = request.prompt.count("<add ")  # each call made so far, its result beside it
        if done < TOOL_CALLS:
            return {"intent": "add", "a": done, "b": 1}
        return {"intent": "done_for_now", "message": f"the sum is {done}"}


async def add(call: Any) -> float:
    """The add tool, async as in bench/concurrency.py."""
    return float(call.a + call.b)


def agent_app(packages: str, url: str) -> Any:
    """The bench agent's HTTP app on the store at `url` (a PostgreSQL schema, or memory://)."""
    sys.path.insert(0, packages)
    from bench_chain.http import create_app  # type: ignore[import-not-found]  # bench/ours.py

    from agentgen.runtime import store_from_url

    handlers = SimpleNamespace(add=add)
    return create_app(model=ChainModel(), store=store_from_url(url), handlers=handlers)


def bare_app() -> Any:
    """The floor: a Starlette route doing the same sleeps, answering as our app does."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def create_thread(request: Request) -> JSONResponse:
        body = await request.json()
        for _ in range(TOOL_CALLS + 1):
            await asyncio.sleep(SLEEP_S)
        return JSONResponse({"status": "done", "message": body["message"]}, status_code=201)

    return Starlette(routes=[Route("/threads", create_thread, methods=["POST"])])


def serve(kind: str, packages: str, url: str, port: int) -> None:
    """Run one of the two apps under uvicorn until killed."""
    import uvicorn

    os.environ["AGENTGEN_AUTH"] = "none"
    app = agent_app(packages, url) if kind == "agent" else bare_app()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _load(port: int, requests: int, concurrency: int) -> tuple[float, float]:
    """Requests per second and the median latency (ms) of `requests` POSTs, after a warm-up.

    The client is plain asyncio streams, one keep-alive connection per request in flight:
    httpx took 2.6 ms of CPU a request with 10 connections and 9.6 ms with 50, more than the
    servers it would measure.
    """
    latencies: list[float] = []
    body = json.dumps(MESSAGE).encode()
    request = (
        b"POST /threads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )

    async def connection(left: Iterator[int], record: bool) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for _ in left:
                begun = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
                answer = await reader.readexactly(int(length.group(1)) if length else 0)
                if not head.startswith(b"HTTP/1.1 201 ") or json.loads(answer)["status"] != "done":
                    raise RuntimeError(f"POST /threads: {head[:40]!r} {answer[:200]!r}")
                if record:
                    latencies.append(time.perf_counter() - begun)
        finally:
            writer.close()
            await writer.wait_closed()

    warm = iter(range(concurrency * 2))  # the server's first requests: the store's pool opens
    await asyncio.gather(*(connection(warm, False) for _ in range(concurrency)))
    left = iter(range(requests))
    begun = time.perf_counter()
    await asyncio.gather(*(connection(left, True) for _ in range(concurrency)))
    seconds = time.perf_counter() - begun
    return requests / seconds, median(latencies) * 1000


def _wait_until_up(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited: {server.stderr.read().decode()[-500:]}")  # type: ignore[union-attr]
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("the server did not start within 60 s")


def run_once(kind: str, packages: Path, url: str, requests: int) -> tuple[float, float]:
    """Start one server, load it, stop it: its requests per second and median latency."""
    port = _free_port()
    root = Path(__file__).resolve().parent.parent
    command = [sys.executable, "-m", "bench.http_load", "serve", kind, str(packages), url]
    server = subprocess.Popen(
        [*command, str(port)], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_until_up(port, server)
        return asyncio.run(_load(port, requests, CONCURRENCY))
    finally:
        server.terminate()
        server.wait(timeout=30)


def rows(repeats: int, packages: Path, requests: int = REQUESTS) -> list[Row]:
    """Our app's throughput on PostgreSQL and on MemoryStore, and the floor's, run after run in
    turn; the PostgreSQL row is n/a without a server."""
    from .concurrency import DSN_ENV, fresh_schema

    dsn, size = os.environ.get(DSN_ENV), f"{requests} requests"
    systems = {BARE: ("bare", ""), MEMORY: ("agent", "memory://")}
    runs: dict[str, list[tuple[float, float]]] = {OURS: [], MEMORY: [], BARE: []}
    with ExitStack() as stack:
        if dsn:
            systems[OURS] = ("agent", stack.enter_context(fresh_schema(dsn)))
        for _ in range(repeats):
            for system, (kind, url) in systems.items():
                runs[system].append(run_once(kind, packages, url, requests))
    note = f"{repeats} run" + ("s" if repeats > 1 else "")
    rate = {system: median(r for r, _ in values) for system, values in runs.items() if values}
    p50 = {system: median(ms for _, ms in values) for system, values in runs.items() if values}

    def row(system: str) -> Row:
        if system not in rate:
            return Row(THROUGHPUT, system, size, None, "requests/s", "n/a (no PostgreSQL)")
        vs = "" if system == BARE else f"; {fmt(rate[system] / rate[BARE])}x the floor"
        text = f"{note}; p50 {fmt(p50[system])} ms{vs}"
        return Row(THROUGHPUT, system, size, rate[system], "requests/s", text)

    return [row(OURS), row(MEMORY), row(BARE)]


def targets(rows: list[Row]) -> list[str]:
    """Issue 14's HTTP target: at least 0.8x the bare Starlette floor's requests per second."""
    found = {row.system: row.value for row in rows if row.benchmark == THROUGHPUT}
    ours, bare = found.get(OURS), found.get(BARE)
    label = "HTTP throughput on PostgreSQL at least 0.8x bare Starlette"
    times = quotient(ours, bare)
    return [target(label, times, "x", times is not None and times >= 0.8)]


if __name__ == "__main__" and sys.argv[1:2] == ["serve"]:
    serve(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
