"""Sync handlers run in a worker thread: a slow one never holds up the loop's other requests."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Awaitable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from agentgen.runtime import ScriptedModel, SqliteStore, run_handler
from generated.calculator import ToolContext
from generated.calculator.http import create_app
from generated.calculator.tools import Add, Divide, Multiply, Subtract
from tests.asgi_server import serving

TOKEN = "s3cret-token"
SLEEP_S = 2.5
GETTERS = 3
GETS_EACH = 20
DONE = {"intent": "done_for_now", "message": "done"}


class SlowHandlers:
    """Calculator handlers; `add` blocks its thread like a slow sync library call would."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.left = threading.Event()
        self.thread_ids: list[str] = []

    def add(self, call: Add, ctx: ToolContext[Any]) -> float:
        self.thread_ids.append(ctx.thread_id)
        self.entered.set()
        time.sleep(SLEEP_S)
        self.left.set()
        return call.a + call.b

    def subtract(self, call: Subtract) -> float:
        return call.a - call.b

    def multiply(self, call: Multiply) -> float:
        return call.a * call.b

    def divide(self, call: Divide) -> float:
        return call.a / call.b


@pytest.fixture
def base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, SlowHandlers]]:
    monkeypatch.setenv("AGENTGEN_API_TOKEN", TOKEN)
    monkeypatch.delenv("AGENTGEN_AUTH", raising=False)
    model = ScriptedModel([DONE, {"intent": "add", "a": 3, "b": 4}, DONE])
    handlers = SlowHandlers()
    app = create_app(model=model, store=SqliteStore(tmp_path / "threads.db"), handlers=handlers)
    with serving(app) as url:
        yield url, handlers


def client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)


def launch(url: str, message: str) -> httpx.Response:
    with client(url) as poster:
        return poster.post("/threads", json={"message": message})


def timed_gets(url: str, path: str) -> list[float]:
    """GET `path` GETS_EACH times in a row on one connection; each one's seconds."""
    seconds = []
    with client(url) as getter:
        for _ in range(GETS_EACH):
            start = time.perf_counter()
            assert getter.get(path).status_code == 200
            seconds.append(time.perf_counter() - start)
    return seconds


def p99(samples: list[float]) -> float:
    """The 99th percentile (nearest rank)."""
    return sorted(samples)[math.ceil(0.99 * len(samples)) - 1]


def test_a_slow_sync_handler_does_not_delay_other_requests(
    base: tuple[str, SlowHandlers],
) -> None:
    url, handlers = base
    done = launch(url, "nothing to do").json()
    with ThreadPoolExecutor(max_workers=1 + GETTERS) as pool:
        slow = pool.submit(launch, url, "add 3 and 4")
        assert handlers.entered.wait(10), "the slow handler never started"
        getters = [pool.submit(timed_gets, url, f"/threads/{done['id']}") for _ in range(GETTERS)]
        latencies = [seconds for getter in getters for seconds in getter.result()]
        assert not handlers.left.is_set(), "every GET was answered while the handler slept"
        launched = slow.result(timeout=30)
    assert len(latencies) == GETTERS * GETS_EACH
    assert p99(latencies) < 0.100, f"p99 {p99(latencies) * 1000:.0f} ms"
    assert launched.status_code == 201
    assert launched.json()["events"][3]["result"] == 7.0
    assert handlers.thread_ids == [launched.json()["id"]], "the handler got its ToolContext"


def test_sync_handlers_run_in_a_worker_thread_and_async_ones_on_the_loop() -> None:
    ran_on: dict[str, int] = {}

    def sync(call: Add) -> float:
        ran_on["sync"] = threading.get_ident()
        return call.a + call.b

    async def coroutine(call: Add, ctx: object) -> float:
        ran_on["async"] = threading.get_ident()
        return call.a * call.b

    class AsyncCallable:
        async def __call__(self, call: Add) -> float:
            ran_on["async object"] = threading.get_ident()
            return call.a - call.b

    def returns_an_awaitable(call: Add) -> Awaitable[float]:
        return coroutine(call, None)

    async def run_all() -> tuple[list[object], int]:
        call = Add(intent="add", a=3, b=4)
        handlers = (sync, coroutine, AsyncCallable(), returns_an_awaitable)
        results = [await run_handler(handler, call, "ctx") for handler in handlers]
        return results, threading.get_ident()

    results, loop_thread = asyncio.run(run_all())
    assert results == [7.0, 12.0, -1.0, 12.0]
    assert ran_on["sync"] != loop_thread
    assert ran_on["async"] == ran_on["async object"] == loop_thread
