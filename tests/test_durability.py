"""Durable threads across real processes: racing writers, busy threads, SIGKILL inside a
handler, refusals.

Every launch and resume runs in its own OS process (tests/durable_driver.py) on one SQLite file
or one PostgreSQL schema; the test process only reads the rows the others left behind.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient

from agentgen.runtime import (
    LEASE_TTL_ENV,
    IncompatibleThread,
    PostgresStore,
    SqliteStore,
    Store,
    store_from_url,
)
from generated.calculator.agent import VERSION
from generated.calculator.http import create_app
from generated.calculator.state import Thread
from generated.calculator.threads import load_thread
from tests.agent_cli import ROOT, run_agent_cli

SQLITE = "sqlite:///"
LEASE_TTL_S = 1.0
ADD = {"intent": "add", "a": 1, "b": 2}
DIVIDE = {"intent": "divide", "a": 6, "b": 3}
DIVIDE_AGAIN = {"intent": "divide", "a": 6, "b": 2}
DONE = {"intent": "done_for_now", "message": "done"}
APPROVED_RUN = [
    "thread_started",
    "user_message",
    "tool_call",
    "approval",
    "tool_result",
    "tool_call",
]
"""The events of a thread paused for approval, approved once, and finished."""


class Driver:
    """Runs launch and resume jobs of the calculator agent, each in a new process."""

    def __init__(self, url: str, tmp_path: Path) -> None:
        self.url = url
        self.marker = tmp_path / "handler-calls"
        # a short lease, so that a SIGKILLed worker's thread is free again within a second
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), LEASE_TTL_ENV: str(LEASE_TTL_S)}

    def start(self, action: str, thread_id: str, **job: Any) -> subprocess.Popen[str]:
        """Start one job; see tests/durable_driver.py for its fields."""
        job = {"store": self.url, "action": action, "thread_id": thread_id, **job}
        job["marker"] = str(self.marker)
        return subprocess.Popen(
            [sys.executable, "-m", "tests.durable_driver", json.dumps(job)],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def outcome(self, process: subprocess.Popen[str]) -> dict[str, Any]:
        """What a job printed: {"ok": true, "thread": ...} or {"ok": false, "error", "message"}."""
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        result: dict[str, Any] = json.loads(out)
        return result

    def thread(self, action: str, thread_id: str, **job: Any) -> dict[str, Any]:
        """Run a job that must succeed; the thread as JSON."""
        outcome = self.outcome(self.start(action, thread_id, **job))
        assert outcome["ok"], outcome
        thread: dict[str, Any] = outcome["thread"]
        return thread

    def calls(self) -> list[str]:
        """The intents whose handlers ran, in every process so far."""
        return self.marker.read_text().splitlines() if self.marker.exists() else []


@pytest.fixture
def driver(store_url: str, tmp_path: Path) -> Driver:
    """Jobs on the test's store, counting handler calls in a file of their own."""
    return Driver(store_url, tmp_path)


def stored_rows(url: str, thread_id: str) -> list[tuple[int, str]]:
    """The thread's (seq, event) rows, read with plain SQL rather than through a Store."""
    if url.startswith(SQLITE):
        db = sqlite3.connect(url.removeprefix(SQLITE))
        try:
            query = "SELECT seq, event FROM events WHERE thread_id = ? ORDER BY seq"
            return [(int(seq), str(event)) for seq, event in db.execute(query, (thread_id,))]
        finally:
            db.close()
    with psycopg.connect(url) as pg:
        query = "SELECT seq, event FROM agentgen_events WHERE thread_id = %s ORDER BY seq"
        return [(int(seq), str(event)) for seq, event in pg.execute(query, (thread_id,))]


def stored_events(url: str, thread_id: str) -> list[dict[str, Any]]:
    """The stored events as JSON, after checking that their seqs are 0, 1, 2, ... with no gap."""
    rows = stored_rows(url, thread_id)
    assert [seq for seq, _ in rows] == list(range(len(rows)))
    return [json.loads(event) for _, event in rows]


async def close(store: Store) -> None:
    """Close a store's connection, so no test leaves one open behind it."""
    if isinstance(store, PostgresStore):
        await store.close()
    elif isinstance(store, SqliteStore):
        store.close()


def load(url: str, thread_id: str) -> Thread:
    """The thread as this process's agent reads it back from the store."""

    async def read() -> Thread:
        store = store_from_url(url)
        try:
            return await load_thread(thread_id, store, VERSION)
        finally:
            await close(store)

    return asyncio.run(read())


def approval(call_id: str, approved: bool = True) -> dict[str, Any]:
    """An Approval as a job's response."""
    return {"type": "approval", "call_id": call_id, "approved": approved}


def paused_for_approval(driver: Driver, thread_id: str) -> tuple[str, int]:
    """Launch a thread that waits for approval of 6 / 3; its call_id and its event count."""
    thread = driver.thread("launch", thread_id, message="divide 6 by 3", steps=[DIVIDE])
    assert thread["status"] == "awaiting_approval"
    return thread["pending"]["call_id"], len(thread["events"])


def types(events: list[dict[str, Any]]) -> list[str]:
    """Each event's type, in order."""
    return [event["type"] for event in events]


def busy(thread_id: str) -> str:
    """The refusal of a thread that another live worker is advancing."""
    return f"thread '{thread_id}' is being advanced by another worker; try again when it pauses"


def test_two_processes_approving_at_once_run_the_call_once(driver: Driver, tmp_path: Path) -> None:
    call_id, _ = paused_for_approval(driver, "thread_race")
    # both processes reach their first store call (taking the lease) together
    barrier = {"dir": str(tmp_path / "barrier"), "parties": 2}
    (tmp_path / "barrier").mkdir()
    racers = [
        driver.start(
            "resume", "thread_race", response=approval(call_id), steps=[DONE], barrier=barrier
        )
        for _ in range(2)
    ]
    outcomes = [driver.outcome(racer) for racer in racers]
    winners = [outcome["thread"] for outcome in outcomes if outcome["ok"]]
    losers = [(outcome["error"], outcome["message"]) for outcome in outcomes if not outcome["ok"]]
    assert len(winners) == 1
    # busy while the winner runs; once it has released the thread, the approval is stale
    done = "Approval cannot be accepted while the thread is done"
    assert losers in ([("ThreadBusy", busy("thread_race"))], [("ResponseRefused", done)])
    assert driver.calls() == ["divide"]
    events = stored_events(driver.url, "thread_race")
    assert events == winners[0]["events"]
    assert types(events) == APPROVED_RUN
    assert events[4] == {
        "type": "tool_result",
        "call_id": call_id,
        "intent": "divide",
        "result": 2.0,
    }
    thread = load(driver.url, "thread_race")
    assert (thread.status, thread.pending, thread.state.in_progress) == ("done", None, None)


def test_three_unsynchronised_approvers_store_the_approval_once(
    driver: Driver, tmp_path: Path
) -> None:
    call_id, _ = paused_for_approval(driver, "thread_crowd")
    # started together, each loads whenever it gets there: before or after the winner's writes
    barrier = {"dir": str(tmp_path / "barrier"), "parties": 3, "at": "start"}
    (tmp_path / "barrier").mkdir()
    racers = [
        driver.start(
            "resume", "thread_crowd", response=approval(call_id), steps=[DONE], barrier=barrier
        )
        for _ in range(3)
    ]
    outcomes = [driver.outcome(racer) for racer in racers]
    assert [outcome["ok"] for outcome in outcomes].count(True) == 1
    # never a ThreadConflict: only the lease holder writes
    allowed = {
        ("ThreadBusy", busy("thread_crowd")),
        ("ResponseRefused", "Approval cannot be accepted while the thread is done"),
    }
    for outcome in outcomes:
        if not outcome["ok"]:
            assert (outcome["error"], outcome["message"]) in allowed
    assert driver.calls() == ["divide"]
    assert types(stored_events(driver.url, "thread_crowd")) == APPROVED_RUN
    assert load(driver.url, "thread_crowd").status == "done"


def test_a_thread_inside_a_handler_in_another_process_is_busy_for_everyone_else(
    driver: Driver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = driver.start(
        "launch", "thread_busy", message="add 1 and 2", steps=[ADD, DONE], hold_in="add"
    )
    wait_until(lambda: driver.calls() == ["add"], worker)  # the worker is inside the handler
    rows = stored_rows(driver.url, "thread_busy")
    started = ["thread_started", "user_message", "tool_call"]
    assert types([json.loads(event) for _, event in rows]) == started
    # a "resume stuck threads" job, a retried approval, the CLI and the HTTP app: all refused
    for response in (None, approval("call_any")):
        outcome = driver.outcome(driver.start("resume", "thread_busy", response=response))
        assert outcome == {"ok": False, "error": "ThreadBusy", "message": busy("thread_busy")}
    fails_cleanly(cli(driver.url, "resume", "thread_busy", model=True), busy("thread_busy"))
    monkeypatch.setenv("AGENTGEN_AUTH", "none")
    monkeypatch.setenv("AGENTGEN_BASE_URL", "http://127.0.0.1:9/v1")  # configured, never called
    store = store_from_url(driver.url)
    try:
        with TestClient(create_app(store=store)) as client:
            answer = client.post("/threads/thread_busy/responses", json={"type": "resume"})
    finally:
        asyncio.run(close(store))
    assert (answer.status_code, answer.json()) == (409, {"error": busy("thread_busy")})
    assert stored_rows(driver.url, "thread_busy") == rows
    (tmp_path / "handler-calls.go").touch()  # the handler returns
    finished = driver.outcome(worker)
    assert finished["ok"], finished
    assert types(finished["thread"]["events"]) == [*started, "tool_result", "tool_call"]
    assert finished["thread"]["status"] == "done"
    assert driver.calls() == ["add"]
    assert stored_events(driver.url, "thread_busy") == finished["thread"]["events"]


def wait_until(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    """Poll until `condition` holds; fail if `process` exits first."""
    deadline = time.monotonic() + 60
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


def test_launched_in_one_process_and_approved_in_another(driver: Driver) -> None:
    call_id, _ = paused_for_approval(driver, "thread_handoff")
    assert driver.calls() == []
    thread = driver.thread("resume", "thread_handoff", response=approval(call_id), steps=[DONE])
    assert thread["status"] == "done"
    assert thread["pending"] is None
    assert driver.calls() == ["divide"]
    result = {"type": "tool_result", "call_id": call_id, "intent": "divide", "result": 2.0}
    assert types(thread["events"]) == APPROVED_RUN
    assert thread["events"][4] == result
    assert stored_events(driver.url, "thread_handoff") == thread["events"]


def interrupted_reason(intent: str, call_id: str) -> str:
    """What escalate_interrupted_call in generated/calculator/agent.py tells the person."""
    return (
        f"the call '{intent}' ({call_id}) was interrupted; it may or may not have taken effect: "
        "check, then answer to continue"
    )


def killed(process: subprocess.Popen[str]) -> None:
    """Wait for a job whose handler SIGKILLs its own process."""
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL


def escalates_then_continues(driver: Driver, thread_id: str, intent: str, call_id: str) -> None:
    """Resume the killed thread in new processes: an escalation, never a second handler call."""
    # busy until the dead worker's lease expires (LEASE_TTL_S), then escalated
    escalated = driver.thread("resume", thread_id, response=None, steps=[], retry_busy=True)
    assert escalated["status"] == "awaiting_human"
    pending = dict(escalated["pending"])
    assert isinstance(pending.pop("asked_at"), str)  # when the person was asked: now
    assert pending == {
        "intent": "escalation",
        "call_id": call_id,
        "args": {"reason": interrupted_reason(intent, call_id)},
        "summary": None,
        "thread_id": None,
    }
    assert driver.calls() == [intent]
    answer = {"type": "human_response", "call_id": call_id, "text": "it took effect"}
    done = driver.thread("resume", thread_id, response=answer, steps=[DONE])
    assert done["status"] == "done"
    assert driver.calls() == [intent]
    # the resume of a running thread records nothing of its own: the escalation follows the
    # killed call's last event (its tool_call, or the approval of it)
    assert types(done["events"])[-3:] == ["escalation", "human_response", "tool_call"]
    assert done["events"][-4]["type"] in ("tool_call", "approval")
    assert done["events"][-4]["call_id"] == call_id
    assert "tool_result" not in types(done["events"])
    assert stored_events(driver.url, thread_id) == done["events"]


def test_sigkill_inside_a_tool_handler_escalates_instead_of_running_it_again(
    driver: Driver,
) -> None:
    killed(
        driver.start("launch", "thread_killed", message="add 1 and 2", steps=[ADD], kill_in="add")
    )
    assert driver.calls() == ["add"]
    events = stored_events(driver.url, "thread_killed")
    # the call was recorded as started before its handler ran, and never finished
    assert types(events) == ["thread_started", "user_message", "tool_call"]
    assert events[2]["call"] == {"intent": "add", "a": 1.0, "b": 2.0}
    escalates_then_continues(driver, "thread_killed", "add", events[2]["call_id"])


def test_sigkill_inside_an_approved_handler_escalates_instead_of_running_it_again(
    driver: Driver,
) -> None:
    call_id, _ = paused_for_approval(driver, "thread_killed")
    killed(
        driver.start(
            "resume", "thread_killed", response=approval(call_id), steps=[DONE], kill_in="divide"
        )
    )
    assert driver.calls() == ["divide"]
    # the approval is the record that the call started
    events = stored_events(driver.url, "thread_killed")
    assert types(events) == ["thread_started", "user_message", "tool_call", "approval"]
    escalates_then_continues(driver, "thread_killed", "divide", call_id)


def refused(driver: Driver, thread_id: str, response: dict[str, Any], message: str) -> None:
    """A response from another process is refused with `message`, and nothing is written."""
    rows, calls = stored_rows(driver.url, thread_id), driver.calls()
    outcome = driver.outcome(driver.start("resume", thread_id, response=response, steps=[DONE]))
    assert outcome == {"ok": False, "error": "ResponseRefused", "message": message}
    assert stored_rows(driver.url, thread_id) == rows
    assert driver.calls() == calls


def mismatch(given: str, pending: str) -> str:
    """The refusal of an answer addressed to a call that is not the pending one."""
    return f"call_id '{given}' does not match the pending call '{pending}'"


def test_a_wrong_or_stale_call_id_is_refused_and_changes_nothing(driver: Driver) -> None:
    first, _ = paused_for_approval(driver, "thread_ids")
    refused(driver, "thread_ids", approval("call_forged"), mismatch("call_forged", first))
    answer = {"type": "human_response", "call_id": first, "text": "yes"}
    refused(
        driver,
        "thread_ids",
        answer,
        "HumanResponse cannot be accepted while the thread is awaiting_approval",
    )
    denied = driver.thread(
        "resume", "thread_ids", response=approval(first, approved=False), steps=[DIVIDE_AGAIN]
    )
    second = denied["pending"]["call_id"]
    assert second != first
    refused(driver, "thread_ids", approval(first), mismatch(first, second))
    assert driver.calls() == []


def test_a_repeated_approval_is_refused_and_changes_nothing(driver: Driver) -> None:
    first, _ = paused_for_approval(driver, "thread_again")
    again = driver.thread("resume", "thread_again", response=approval(first), steps=[DIVIDE_AGAIN])
    second = again["pending"]["call_id"]
    refused(driver, "thread_again", approval(first), mismatch(first, second))
    driver.thread("resume", "thread_again", response=approval(second), steps=[DONE])
    refused(
        driver,
        "thread_again",
        approval(second),
        "Approval cannot be accepted while the thread is done",
    )
    assert driver.calls() == ["divide", "divide"]
    assert load(driver.url, "thread_again").status == "done"


def rewrite_event(url: str, thread_id: str, seq: int, event: dict[str, Any]) -> None:
    """Change a stored event in place, as another spec version or a person editing rows might."""
    text = json.dumps(event)
    if url.startswith(SQLITE):
        db = sqlite3.connect(url.removeprefix(SQLITE))
        try:
            update = "UPDATE events SET event = ? WHERE thread_id = ? AND seq = ?"
            assert db.execute(update, (text, thread_id, seq)).rowcount == 1
            db.commit()
        finally:
            db.close()
        return
    with psycopg.connect(url) as pg:
        update = "UPDATE agentgen_events SET event = %s WHERE thread_id = %s AND seq = %s"
        assert pg.execute(update, (text, thread_id, seq)).rowcount == 1


def write_thread(url: str, thread_id: str, events: list[dict[str, Any]]) -> None:
    """Store hand-made events through the store itself."""

    async def write() -> None:
        store = store_from_url(url)
        try:
            for seq, event in enumerate(events):
                await store.append(thread_id, seq, json.dumps(event))
        finally:
            await close(store)

    asyncio.run(write())


def cli(url: str, *arguments: str, model: bool = False) -> subprocess.CompletedProcess[str]:
    """`python -m generated.calculator ...` in a new process on the store at `url`.

    `model`: with a model configured (a local server that is never called), as a worker has.
    """
    env = {**os.environ, "AGENTGEN_STORE": url}
    env.pop("AGENTGEN_MODEL", None)
    if model:
        env["AGENTGEN_BASE_URL"] = "http://127.0.0.1:9/v1"
    return run_agent_cli("calculator", *arguments, env=env)


def fails_cleanly(result: subprocess.CompletedProcess[str], message: str) -> None:
    """One line on stderr, nothing on stdout, exit status 1: no traceback."""
    assert (result.returncode, result.stdout, result.stderr) == (1, "", f"error: {message}\n")


def test_a_thread_of_another_spec_version_is_refused_clearly(driver: Driver) -> None:
    call_id, _ = paused_for_approval(driver, "thread_old")
    rewrite_event(driver.url, "thread_old", 0, {"type": "thread_started", "version": "0"})
    message = (
        "thread 'thread_old' was written by spec version '0' of the calculator agent; "
        "this is version '1'"
    )
    with pytest.raises(IncompatibleThread) as caught:
        load(driver.url, "thread_old")
    assert str(caught.value) == message
    rows = stored_rows(driver.url, "thread_old")
    outcome = driver.outcome(driver.start("resume", "thread_old", response=approval(call_id)))
    assert outcome == {"ok": False, "error": "IncompatibleThread", "message": message}
    fails_cleanly(cli(driver.url, "resume", "thread_old", "--approve"), message)
    assert stored_rows(driver.url, "thread_old") == rows
    assert driver.calls() == []


def test_show_refuses_a_thread_of_another_spec_version_clearly(driver: Driver) -> None:
    paused_for_approval(driver, "thread_old")
    rewrite_event(driver.url, "thread_old", 0, {"type": "thread_started", "version": "0"})
    message = (
        "thread 'thread_old' was written by spec version '0' of the calculator agent; "
        "this is version '1'"
    )
    fails_cleanly(cli(driver.url, "show", "thread_old"), message)


def test_a_hand_made_event_this_agent_cannot_read_is_refused_clearly(store_url: str) -> None:
    started = {"type": "thread_started", "version": VERSION, "vars": {}}
    unknown = {"type": "tool_call", "call_id": "call_1", "call": {"intent": "sqrt", "x": 4}}
    write_thread(store_url, "thread_sqrt", [started, unknown])
    message = (
        "thread 'thread_sqrt' cannot be read by this version of the calculator agent (event "
        "1.tool_call.call: Input tag 'sqrt' found using 'intent' does not match any of the "
        "expected tags: 'add', 'subtract', 'multiply', 'divide', 'request_more_information', "
        "'done_for_now')"
    )
    with pytest.raises(IncompatibleThread) as caught:
        load(store_url, "thread_sqrt")
    assert str(caught.value) == message
    fails_cleanly(cli(store_url, "show", "thread_sqrt"), message)


def test_a_stored_result_that_does_not_fit_its_type_is_refused_clearly(store_url: str) -> None:
    started = {"type": "thread_started", "version": VERSION, "vars": {}}
    call = {"type": "tool_call", "call_id": "call_1", "call": {"intent": "add", "a": 1, "b": 2}}
    result = {"type": "tool_result", "call_id": "call_1", "intent": "add", "result": "three"}
    write_thread(store_url, "thread_three", [started, call, result])
    message = (
        "thread 'thread_three' cannot be read by this version of the calculator agent (event "
        "2.tool_result.add.result: Input should be a valid number, unable to parse string as a "
        "number)"
    )
    fails_cleanly(cli(store_url, "show", "thread_three"), message)
