"""Queued work (`"wait": false`) advanced by worker processes, on the real PostgreSQL server.

The HTTP app runs on 127.0.0.1 (uvicorn); the workers are real processes running the
calculator's `run_worker` (tests/queue_worker.py). One of them is SIGKILLed in the middle of a
model call: its job goes back in the queue, and another worker finishes its thread.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from agentgen.runtime import PostgresStore, ScriptedModel, SqliteStore
from generated.calculator.http import create_app
from generated.calculator.state import Thread
from generated.calculator.threads import load_thread
from tests.agent_cli import ROOT
from tests.asgi_server import serving
from tests.postgres_db import fresh_schema

AUTH = {"Authorization": "Bearer worker-token"}
THREADS = 12
BUDGET_S = 60.0
"""A bound on waiting for the workers (they normally take a few seconds), not an assertion."""
WORKER_ENV = {"AGENTGEN_LEASE_TTL_S": "1", "AGENTGEN_WORKER_HEARTBEAT_S": "0.3"}


@pytest.fixture
def url() -> Iterator[str]:
    with fresh_schema() as schema_url:
        yield schema_url


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTGEN_API_TOKEN", "worker-token")
    monkeypatch.delenv("AGENTGEN_AUTH", raising=False)
    monkeypatch.delenv("AGENTGEN_CALLBACK_URL", raising=False)


@contextmanager
def workers(
    url: str, folder: Path, jobs: list[dict[str, Any]], first: int = 0
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Worker processes on `url`, one per job, logging to DIR/worker<n>.log; SIGTERM at the end."""
    for name in ("calls", "twice", "hanging"):
        (folder / name).mkdir(exist_ok=True)
    env = {**os.environ, **WORKER_ENV, "PYTHONPATH": str(ROOT), "AGENTGEN_STORE": url}
    live = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.queue_worker", json.dumps({"dir": str(folder), **job})],
            cwd=ROOT,
            env=env,
            stderr=(folder / f"worker{n}.log").open("wb"),
        )
        for n, job in enumerate(jobs, start=first)
    ]
    try:
        yield live
    finally:
        for worker in live:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in live:
            worker.wait(timeout=30)


def wait_for(check: Any, what: str) -> None:
    began = time.monotonic()
    while not check():
        assert time.monotonic() - began < BUDGET_S, f"gave up waiting for {what}"
        time.sleep(0.02)


def threads(url: str, ids: list[str]) -> dict[str, Thread]:
    async def load() -> dict[str, Thread]:
        store = PostgresStore(url)
        return {thread_id: await load_thread(thread_id, store) for thread_id in ids}

    return asyncio.run(load())


def jobs_left(url: str) -> list[tuple[str, int]]:
    """procrastinate's jobs that are not done (successful ones are deleted)."""
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status"
        ).fetchall()
    return [(status, int(count)) for status, count in rows]


def intents(thread: Thread) -> list[str]:
    return [event.call.intent for event in thread.events if event.type == "tool_call"]


def test_three_workers_one_killed_mid_step_finish_every_thread_once(
    url: str, tmp_path: Path
) -> None:
    app = create_app(store=PostgresStore(url))
    with serving(app) as base, httpx.Client(base_url=base, headers=AUTH, timeout=30) as client:
        replies = [
            client.post("/threads", json={"message": f"job {n}", "wait": False})
            for n in range(THREADS)
        ]
        assert {reply.status_code for reply in replies} == {202}
        assert {reply.json()["status"] for reply in replies} == {"running"}
        ids = [reply.json()["id"] for reply in replies]
        # the victim first, so that it has work when it hangs in its first model call; one job
        # at a time, so that its only job is the one it hangs in (a kill inside a handler
        # is escalated to a person instead, see test_races.py)
        with workers(url, tmp_path, [{"hang_at": 1, "concurrency": 1}]) as (victim,):
            wait_for(lambda: (tmp_path / "hanging" / str(victim.pid)).exists(), "the victim's hang")
            with workers(url, tmp_path, [{}, {}], first=1):
                time.sleep(0.3)  # all three at work
                victim.kill()  # in the middle of a step: its model call never returns
                assert victim.wait(timeout=10) == -signal.SIGKILL
                done = lambda: all(t.status == "done" for t in threads(url, ids).values())  # noqa: E731
                wait_for(done, "every thread to be done")
        finished = threads(url, ids)
        assert all(client.get(f"/threads/{i}").json()["status"] == "done" for i in ids)
    for thread in finished.values():
        assert intents(thread) == ["add", "multiply", "done_for_now"], thread.id
        assert thread.state.consecutive_errors == 0
    # the victim's job went back in the queue once, and a survivor took its thread over
    logs = "".join((tmp_path / f"worker{n}.log").read_text() for n in (1, 2))
    recovered = re.findall(r"job (\d+) of a stopped worker goes back in the queue", logs)
    assert len(recovered) == 1, logs
    calls = sorted(path.name for path in (tmp_path / "calls").iterdir())
    assert len(calls) == 2 * THREADS  # each handler call ran once
    assert list((tmp_path / "twice").iterdir()) == []
    assert jobs_left(url) == []  # nothing queued, running or failed is left behind


def test_a_response_queued_while_a_worker_runs_the_thread_waits_its_turn(
    url: str, tmp_path: Path
) -> None:
    # the app's model is never asked: the one request that waits is refused first
    app = create_app(model=ScriptedModel([]), store=PostgresStore(url))
    with serving(app) as base, httpx.Client(base_url=base, headers=AUTH, timeout=30) as client:
        launched = client.post("/threads", json={"message": "first", "wait": False})
        thread_id = launched.json()["id"]
        with workers(url, tmp_path, [{"model_s": 0.3}]):
            # the worker is in the middle of the thread: a waiting request would get 409
            wait_for(lambda: len(threads(url, [thread_id])[thread_id].events) > 2, "a first step")
            busy = client.post(
                f"/threads/{thread_id}/responses", json={"type": "user_message", "text": "again"}
            )
            assert busy.status_code == 409
            queued = client.post(
                f"/threads/{thread_id}/responses",
                json={"type": "user_message", "text": "again", "wait": False},
            )
            assert queued.status_code == 202
            wait_for(
                lambda: intents(threads(url, [thread_id])[thread_id]).count("done_for_now") == 2,
                "the queued message to be worked on",
            )
    thread = threads(url, [thread_id])[thread_id]
    messages = [event.text for event in thread.events if event.type == "user_message"]
    assert messages == ["first", "again"]
    assert intents(thread) == ["add", "multiply", "done_for_now", "done_for_now"]
    assert thread.status == "done"


def test_wait_false_on_a_store_without_a_queue_is_refused_and_stores_nothing(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "threads.db")
    app = create_app(model=ScriptedModel([]), store=store)
    with serving(app) as base, httpx.Client(base_url=base, headers=AUTH, timeout=30) as client:
        reply = client.post("/threads", json={"message": "x", "wait": False})
        assert reply.status_code == 501
        assert reply.json() == {
            "error": "queued work needs a PostgreSQL store: set AGENTGEN_STORE=postgresql://..."
        }
        # the queue is looked for first: no thread was started that nothing would run
        with sqlite3.connect(tmp_path / "threads.db") as db:
            assert db.execute("SELECT count(*) FROM events").fetchone() == (0,)


@contextmanager
def role_without_create(url: str) -> Iterator[str]:
    """`url` as a role that may use the store's tables but create nothing (a production role)."""
    role = f"worker_{os.getpid()}_{time.monotonic_ns()}"
    asyncio.run(PostgresStore(url).thread_ids())  # the store's tables, created by the owner
    schema = re.search(r"search_path%3D(\w+)", url)
    assert schema is not None
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f"GRANT USAGE ON SCHEMA {schema[1]} TO {role}")
        admin.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA {schema[1]} TO {role}")
    try:
        yield url.replace("postgresql://postgres@", f"postgresql://{role}@", 1)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")


def test_wait_false_with_a_queue_that_cannot_be_created_is_a_503_and_stores_nothing(
    url: str,
) -> None:
    with role_without_create(url) as limited:
        store = PostgresStore(limited)
        app = create_app(model=ScriptedModel([]), store=store)
        with serving(app) as base, httpx.Client(base_url=base, headers=AUTH, timeout=30) as client:
            reply = client.post("/threads", json={"message": "x", "wait": False})
            assert reply.status_code == 503
            error = reply.json()["error"]
        assert re.fullmatch(
            r"store 'postgresql://worker_\w+@[^']+' cannot be opened for its work queue: "
            r"permission denied for schema test_\w+",
            error,
        ), error
    assert asyncio.run(PostgresStore(url).thread_ids()) == []  # read as the owner


def test_the_worker_command_without_postgresql_says_what_it_needs(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AGENTGEN_STORE": f"sqlite:///{tmp_path}/t.db"}
    done = subprocess.run(
        [sys.executable, "-m", "generated.calculator", "worker"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "error: queued work needs a PostgreSQL store: set AGENTGEN_STORE=postgresql://...\n"
    )
