"""Deadlines on pauses (`timeout`, `on_timeout`): the publish_gate agent's people have 2 s each.

In process on a MemoryStore, through the CLI on SQLite, and on the real PostgreSQL server, where
the pause queues a job due at its deadline and a worker process (`python -m publish_gate
worker`, its model the loopback fake OpenAI server) records the timeout and carries on.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest

from agentgen.runtime import (
    DeadlineNotReached,
    MemoryStore,
    PostgresStore,
    ResponseRefused,
    ScriptedModel,
    StoreUnavailable,
)
from tests.fake_llm import FakeLLM, tool_call
from tests.fake_llm import serving as serving_llm
from tests.packages import generate_package, import_package
from tests.postgres_db import fresh_schema
from tests.strict_mypy import mypy_errors

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "tests" / "specs" / "publish_gate.toml"
AGENT = "publish_gate"
PUBLISH = {"intent": "publish", "tag": "v1.2.0"}
ASK = {"intent": "ask_owner", "question": "ship it on a Friday?"}
DONE = {"intent": "done_for_now", "message": "not published: no one approved"}
TIMED_OUT = '<publish tag="v1.2.0"/><timeout>no answer within 2s</timeout>'
NOT_YET = r"^the pending call is due at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, in [0-2] s: not timed out$"
BUDGET_S = 60.0
"""A bound on waiting for the worker (it normally takes the deadline plus a second)."""


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The publish_gate package, generated into a folder of its own."""
    return generate_package(SPEC, tmp_path_factory.mktemp("deadlines"))


@pytest.fixture(scope="module")
def agent(out: Path) -> ModuleType:
    return import_package(out, AGENT)


class Handlers:
    """publish_gate's one tool: records what it published."""

    def __init__(self) -> None:
        self.published: list[str] = []

    def publish(self, call: Any) -> str:
        self.published.append(call.tag)
        return f"published {call.tag}"


def launch(agent: ModuleType, store: Any, *steps: dict[str, Any]) -> Any:
    model = ScriptedModel(list(steps))
    return asyncio.run(agent.launch("publish v1.2.0", model=model, store=store))


def resume(agent: ModuleType, store: Any, thread_id: str, response: Any, *steps: Any) -> Any:
    model, handlers = ScriptedModel(list(steps)), Handlers()
    run = agent.resume(thread_id, response, model=model, store=store, handlers=handlers)
    return asyncio.run(run)


def stored_types(agent: ModuleType, store: Any, thread_id: str) -> list[str]:
    thread = asyncio.run(agent.load_thread(thread_id, store))
    return [event.type for event in thread.events]


def past(deadline: datetime) -> None:
    """Sleep until the deadline has passed on this machine's clock."""
    time.sleep(max(0.0, (deadline - datetime.now(UTC)).total_seconds()) + 0.05)


def test_a_pause_carries_its_deadline(agent: ModuleType) -> None:
    started = datetime.now(UTC).replace(microsecond=0)
    thread = launch(agent, MemoryStore(), PUBLISH)
    assert thread.status == "awaiting_approval"
    deadline = thread.pending.deadline
    assert started + timedelta(seconds=2) <= deadline <= datetime.now(UTC) + timedelta(seconds=2)
    assert thread.events[-1].deadline == deadline
    thread_json = importlib.import_module(f"{AGENT}.threads").thread_json
    assert thread_json(thread)["pending"]["deadline"] == deadline.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_before_its_deadline_a_call_does_not_time_out_and_nothing_is_stored(
    agent: ModuleType,
) -> None:
    store = MemoryStore()
    thread = launch(agent, store, PUBLISH)
    before = stored_types(agent, store, thread.id)
    with pytest.raises(DeadlineNotReached, match=NOT_YET):
        resume(agent, store, thread.id, agent.DeadlinePassed(call_id=thread.pending.call_id))
    assert stored_types(agent, store, thread.id) == before


def test_after_its_deadline_the_model_hears_that_no_one_answered(agent: ModuleType) -> None:
    store = MemoryStore()
    thread = launch(agent, store, PUBLISH)
    call_id = thread.pending.call_id
    past(thread.pending.deadline)
    model, handlers = ScriptedModel([DONE]), Handlers()
    late = agent.DeadlinePassed(call_id=call_id)
    done = asyncio.run(agent.resume(thread.id, late, model=model, store=store, handlers=handlers))
    assert done.status == "done"
    assert [event.type for event in done.events][-3:] == ["tool_call", "timeout", "tool_call"]
    timeout = done.events[-2]
    assert (timeout.call_id, timeout.intent, timeout.after) == (call_id, "publish", "2s")
    assert TIMED_OUT in model.requests[0].prompt  # what the model read before it chose `done`
    assert handlers.published == []


def test_an_escalating_timeout_asks_a_person_to_step_in(agent: ModuleType) -> None:
    store = MemoryStore()
    thread = launch(agent, store, ASK)
    assert thread.status == "awaiting_human"
    call_id = thread.pending.call_id
    past(thread.pending.deadline)
    escalated = resume(agent, store, thread.id, agent.DeadlinePassed(call_id=call_id))
    assert escalated.status == "awaiting_human"
    assert escalated.pending.intent == "escalation"
    assert escalated.pending.call_id == call_id
    assert escalated.pending.args == {
        "reason": f"no one answered 'ask_owner' ({call_id}) within 2s; please advise"
    }
    assert escalated.pending.deadline is None  # the person stepping in has no deadline
    assert [event.type for event in escalated.events][-2:] == ["timeout", "escalation"]
    answer = agent.HumanResponse(call_id=call_id, text="yes, ship it")
    assert resume(agent, store, thread.id, answer, DONE).status == "done"


def test_a_call_answered_in_time_refuses_its_deadline(agent: ModuleType) -> None:
    store = MemoryStore()
    thread = launch(agent, store, PUBLISH)
    call_id = thread.pending.call_id
    approval = agent.Approval(call_id=call_id, approved=True)
    assert resume(agent, store, thread.id, approval, DONE).status == "done"
    before = stored_types(agent, store, thread.id)
    past(thread.pending.deadline)
    refused = "DeadlinePassed cannot be accepted while the thread is done"
    with pytest.raises(ResponseRefused, match=f"^{refused}$"):
        resume(agent, store, thread.id, agent.DeadlinePassed(call_id=call_id))
    assert stored_types(agent, store, thread.id) == before


def test_a_deadline_for_another_call_is_refused(agent: ModuleType) -> None:
    store = MemoryStore()
    thread = launch(agent, store, PUBLISH)
    pending = thread.pending.call_id
    refused = f"call_id 'call_other' does not match the pending call '{pending}'"
    with pytest.raises(ResponseRefused, match=f"^{refused}$"):
        resume(agent, store, thread.id, agent.DeadlinePassed(call_id="call_other"))


def test_the_generated_package_passes_mypy_strict(out: Path) -> None:
    assert mypy_errors(out, AGENT) == ""


def _cli(out: Path, llm: FakeLLM, store: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": os.pathsep.join([str(out), str(ROOT)]),
        "AGENTGEN_BASE_URL": llm.openai_url,
        "OPENAI_API_KEY": "loopback",
        "AGENTGEN_STORE": store,
    }
    return subprocess.run(
        [sys.executable, "-m", AGENT, *arguments],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_cli_shows_the_deadline_and_times_out_the_pending_call(
    out: Path, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'threads.db'}"
    with serving_llm() as llm:
        llm.script(tool_call("publish", {"tag": "v1.2.0"}))
        launched = _cli(out, llm, store, "launch", "publish v1.2.0")
        assert launched.returncode == 0, launched.stderr
        thread_id = launched.stdout.split()[1].rstrip(":")
        due = next(line for line in launched.stdout.splitlines() if "times out at" in line)
        deadline = datetime.strptime(due.split()[-1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        early = _cli(out, llm, store, "resume", thread_id, "--deadline-passed")
        assert early.returncode == 1
        assert early.stderr.startswith("error: the pending call is due at ")
        past(deadline)
        llm.script(tool_call("done_for_now", {"message": "no one approved v1.2.0"}))
        late = _cli(out, llm, store, "resume", thread_id, "--deadline-passed")
        assert late.returncode == 0, late.stderr
        assert late.stdout.startswith(f"thread {thread_id}: done (done_for_now)\n")
        assert TIMED_OUT in llm.requests[-1].body["messages"][-1]["content"]


@pytest.fixture
def url() -> Iterator[str]:
    with fresh_schema() as schema_url:
        yield schema_url


def jobs_left(url: str) -> int:
    with psycopg.connect(url) as connection:
        row = connection.execute("SELECT count(*) FROM procrastinate_jobs").fetchone()
    return int(row[0]) if row else 0


def wait_for(check: Any, what: str) -> None:
    began = time.monotonic()
    while not check():
        assert time.monotonic() - began < BUDGET_S, f"gave up waiting for {what}"
        time.sleep(0.05)


def run_worker_until(
    out: Path, llm: FakeLLM, url: str, log: Path, concurrency: int, done: Any, what: str
) -> None:
    """`python -m publish_gate worker` on `url`, its model `llm`, until `done()`; then SIGTERM."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(out), str(ROOT)]),
        "AGENTGEN_BASE_URL": llm.openai_url,
        "OPENAI_API_KEY": "loopback",
        "AGENTGEN_STORE": url,
        "AGENTGEN_WORKER_HEARTBEAT_S": "0.3",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", AGENT, "worker", "--concurrency", str(concurrency)],
        cwd=out,
        env=env,
        stderr=log.open("wb"),
    )
    try:
        wait_for(done, what)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)


def test_a_worker_keeps_the_deadlines_of_paused_threads_on_postgres(
    agent: ModuleType, out: Path, url: str, tmp_path: Path
) -> None:
    store = PostgresStore(url)
    waiting = launch(agent, store, PUBLISH)
    answered = launch(agent, store, PUBLISH)
    # each pause queued its deadline's job; the second call is approved in time
    assert jobs_left(url) == 2
    approval = agent.Approval(call_id=answered.pending.call_id, approved=True)
    assert resume(agent, store, answered.id, approval, DONE).status == "done"
    answered_events = stored_types(agent, store, answered.id)
    with serving_llm() as llm:
        llm.script(tool_call("done_for_now", {"message": "no one approved v1.2.0"}))
        log = tmp_path / "worker.log"
        run_worker_until(out, llm, url, log, 2, lambda: jobs_left(url) == 0, "both deadline jobs")
        assert len(llm.requests) == 1
    finished = asyncio.run(agent.load_thread(waiting.id, PostgresStore(url)))
    assert finished.status == "done"
    # the worker's model answered: its call is recorded with the step it led to
    assert [event.type for event in finished.events][-4:] == [
        "tool_call",
        "timeout",
        "model_call",
        "tool_call",
    ]
    # the answered thread's late deadline changed nothing, and the worker said why
    assert stored_types(agent, store, answered.id) == answered_events
    assert f"job for thread {answered.id} dropped: DeadlinePassed cannot be accepted" in (
        log.read_text()
    )


def test_a_deadline_that_cannot_be_queued_stores_no_pause(agent: ModuleType, url: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:  # a queue table that is not one
        connection.execute("CREATE TABLE procrastinate_jobs (id integer)")
    store = PostgresStore(url)
    model = ScriptedModel([PUBLISH])
    shown = r"^store 'postgresql://postgres@[^']+' cannot be given the call's deadline: \S"
    with pytest.raises(StoreUnavailable, match=shown):
        asyncio.run(agent.launch("publish v1.2.0", model=model, store=store, thread_id="t1"))
    # the thread stopped before its pause: resuming it asks the model for the step again
    assert stored_types(agent, store, "t1") == ["thread_started", "user_message"]


def test_a_response_queued_before_the_deadline_wins_over_it(
    agent: ModuleType, out: Path, url: str, tmp_path: Path
) -> None:
    store = PostgresStore(url)
    thread = launch(agent, store, PUBLISH)
    approval = agent.Approval(call_id=thread.pending.call_id, approved=True)
    worker_module = importlib.import_module(f"{AGENT}.worker")

    async def queue_the_approval() -> None:  # what POST /responses with "wait": false does
        queue = worker_module.work_queue(store)
        await queue.enqueue(worker_module.queued_work(thread.id, approval))

    asyncio.run(queue_the_approval())
    past(thread.pending.deadline)  # no worker ran in time: both jobs are due when one starts
    with serving_llm() as llm:
        llm.script(tool_call("done_for_now", {"message": "published v1.2.0"}))
        both = "the approval and the deadline's job"
        log = tmp_path / "worker.log"
        run_worker_until(out, llm, url, log, 1, lambda: jobs_left(url) == 0, both)
    types = stored_types(agent, store, thread.id)
    assert "approval" in types and "timeout" not in types, types
    assert types[-1] == "tool_call"  # done_for_now, after the approved call ran
