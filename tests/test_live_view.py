"""The live view of a thread: `GET /threads/{id}/events` (Server-Sent Events) and `show --follow`.

Real components only: the calculator's app on a real uvicorn on 127.0.0.1, a real SQLite file
(or PostgreSQL schema), and the events appended by other OS processes (tests/durable_driver.py),
which the stream can only see by reading the store.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from agentgen.runtime import PostgresStore, ScriptedModel, SqliteStore, Store, store_from_url
from generated.calculator.http import create_app
from tests.agent_cli import ROOT
from tests.asgi_server import serving

TOKEN = "live-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DIVIDE = {"intent": "divide", "a": 6, "b": 3}
DONE = {"intent": "done_for_now", "message": "6 / 3 = 2"}
WAIT_S = 60.0
"""How long any wait may take before the test fails: generous, it measures no speed."""


class CountingStore:
    """A real store that counts its loads: how a test sees whether a stream still polls."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.loads = 0

    async def append(self, thread_id: str, seq: int, event_json: str) -> None:
        await self.inner.append(thread_id, seq, event_json)

    async def append_many(self, thread_id: str, seq: int, events_json: Sequence[str]) -> None:
        await self.inner.append_many(thread_id, seq, events_json)

    async def load(self, thread_id: str) -> list[str]:
        self.loads += 1
        return await self.inner.load(thread_id)

    async def thread_ids(self) -> list[str]:
        return await self.inner.thread_ids()

    async def acquire_lease(self, thread_id: str, owner: str, ttl_s: float) -> bool:
        return await self.inner.acquire_lease(thread_id, owner, ttl_s)

    async def release_lease(self, thread_id: str, owner: str) -> None:
        await self.inner.release_lease(thread_id, owner)


class Live:
    """The calculator's app serving one store, and other processes writing to that store."""

    def __init__(self, base: str, url: str, store: CountingStore, tmp_path: Path) -> None:
        self.base = base
        self.url = url
        self.store = store
        self.marker = tmp_path / "handler-calls"
        self.client = httpx.Client(base_url=base, headers=AUTH, timeout=WAIT_S)

    def launch_paused(self) -> dict[str, Any]:
        """A thread launched over HTTP that waits for approval of 6 / 3."""
        response = self.client.post("/threads", json={"message": "divide 6 by 3"})
        assert response.status_code == 201, response.text
        thread: dict[str, Any] = response.json()
        assert thread["status"] == "awaiting_approval"
        return thread

    def approve_elsewhere(self, thread: dict[str, Any], **job: Any) -> subprocess.Popen[str]:
        """Approve the pending call and finish the thread, in a new process of its own."""
        call_id = thread["pending"]["call_id"]
        response = {"type": "approval", "call_id": call_id, "approved": True}
        return driver(self.url, "resume", thread["id"], self.marker, response=response, **job)

    def rows(self, thread_id: str) -> list[str]:
        """The thread's events as the store holds them, read by a store of this test's own."""
        return read_rows(self.url, thread_id)

    def stream(self, thread_id: str, **options: Any) -> AbstractContextManager[SseReader]:
        """The thread's event stream, open (a context manager)."""
        return open_stream(self.client, f"/threads/{thread_id}/events", **options)


def driver(
    url: str, action: str, thread_id: str, marker: Path, **job: Any
) -> subprocess.Popen[str]:
    """One launch or resume of the calculator in a new OS process (tests/durable_driver.py)."""
    job = {"store": url, "action": action, "thread_id": thread_id, "marker": str(marker), **job}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.durable_driver", json.dumps(job)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen[str]) -> dict[str, Any]:
    """What a driver process printed, once it has ended well."""
    out, err = process.communicate(timeout=WAIT_S)
    assert process.returncode == 0, err
    outcome: dict[str, Any] = json.loads(out)
    assert outcome["ok"], outcome
    return outcome


def read_rows(url: str, thread_id: str) -> list[str]:
    """The thread's stored events (JSON text, in seq order), through a store opened for this."""

    async def read() -> list[str]:
        store = store_from_url(url)
        try:
            return await store.load(thread_id)
        finally:
            await close(store)

    return asyncio.run(read())


async def close(store: Store) -> None:
    """Close a store's connection, so that no test leaves one behind."""
    if isinstance(store, PostgresStore):
        await store.close()
    elif isinstance(store, SqliteStore):
        store.close()


class SseReader:
    """Server-Sent Events read off an httpx stream: messages, and the comments between them."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.comments: list[str] = []
        self._lines = self._split(response.iter_bytes())

    @staticmethod
    def _split(chunks: Iterator[bytes]) -> Iterator[str]:
        # at LF only (the server ends lines so): httpx's iter_lines would also split a message
        # at a U+2028 inside its JSON, which SSE does not
        pending = b""
        for chunk in chunks:
            pending += chunk
            *lines, pending = pending.split(b"\n")
            yield from (line.decode("utf-8") for line in lines)

    def message(self) -> dict[str, str]:
        """The next message's fields (`id`, `event`, `data`), its data lines joined by LF."""
        fields: dict[str, str] = {}
        for line in self._lines:
            if not line:
                if fields:
                    return fields
            elif line.startswith(":"):
                self.comments.append(line)
            else:
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                fields[name] = f"{fields[name]}\n{value}" if name in fields else value
        raise AssertionError(f"the stream ended; comments: {self.comments}")

    def messages(self, count: int) -> list[dict[str, str]]:
        return [self.message() for _ in range(count)]

    def comment(self) -> str:
        """The next comment line, skipping nothing else (a message here fails the test)."""
        for line in self._lines:
            if line.startswith(":"):
                return line
            assert not line, f"a message where a comment was expected: {line!r}"
        raise AssertionError("the stream ended")


@contextmanager
def open_stream(client: httpx.Client, path: str, **options: Any) -> Iterator[SseReader]:
    with client.stream("GET", path, **options) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield SseReader(response)


def expected(rows: list[str], first: int = 0) -> list[dict[str, str]]:
    """The messages a stream must send for these stored events, from seq `first` on."""
    return [
        {"id": str(seq), "event": json.loads(rows[seq])["type"], "data": rows[seq]}
        for seq in range(first, len(rows))
    ]


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {WAIT_S:g} s for {what}")
        time.sleep(0.02)


Serve = Callable[[str], AbstractContextManager[Live]]


@pytest.fixture
def live_at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Serve:
    """Serve the calculator on a store URL; its model asks to divide 6 by 3, then is done."""
    monkeypatch.setenv("AGENTGEN_API_TOKEN", TOKEN)
    monkeypatch.delenv("AGENTGEN_AUTH", raising=False)
    monkeypatch.delenv("AGENTGEN_CALLBACK_URL", raising=False)

    @contextmanager
    def live(url: str) -> Iterator[Live]:
        store = CountingStore(store_from_url(url))
        app = create_app(model=ScriptedModel([DIVIDE, DONE]), store=store)
        try:
            with serving(app) as base:
                yield Live(base, url, store, tmp_path)
        finally:
            asyncio.run(close(store.inner))

    return live


@pytest.fixture
def live(live_at: Serve, tmp_path: Path) -> Iterator[Live]:
    """The app on a SQLite file of its own."""
    with live_at(f"sqlite:///{tmp_path / 'threads.db'}") as running:
        yield running


def test_the_stream_sends_the_thread_then_what_another_process_appends(
    live_at: Serve, store_url: str
) -> None:
    with live_at(store_url) as live:
        thread = live.launch_paused()
        with live.stream(thread["id"]) as stream:
            before = live.rows(thread["id"])
            assert stream.messages(len(before)) == expected(before)
            # the other process holds inside the divide handler until told to go on: what it
            # stored before that reaches this stream while it is still running
            process = live.approve_elsewhere(thread, steps=[DONE], hold_in="divide")
            wait_until(lambda: live.marker.exists(), "the divide handler to start")
            approval = stream.message()
            assert process.poll() is None
            assert approval == expected(live.rows(thread["id"]), len(before))[0]
            assert approval["event"] == "approval"
            live.marker.with_name(live.marker.name + ".go").touch()
            assert finished(process)["thread"]["status"] == "done"
            after = live.rows(thread["id"])
            assert stream.messages(len(after) - len(before) - 1) == expected(after, len(before) + 1)
    appended = {json.loads(row)["type"] for row in after[len(before) :]}
    assert appended >= {"approval", "tool_result", "tool_call"}


def test_after_and_last_event_id_start_the_stream_after_that_seq(live: Live) -> None:
    thread = live.launch_paused()
    rows = live.rows(thread["id"])
    with live.stream(thread["id"], params={"after": 1}) as stream:
        assert stream.messages(len(rows) - 2) == expected(rows, 2)
    # what an EventSource sends when it reconnects: the id of the last message it saw
    with live.stream(thread["id"], headers={"Last-Event-ID": "0"}) as stream:
        assert stream.messages(len(rows) - 1) == expected(rows, 1)
    # both: the query says where, explicitly
    last = len(rows) - 1
    with live.stream(thread["id"], params={"after": last - 1}, headers={"Last-Event-ID": "0"}) as s:
        assert s.message() == expected(rows, last)[0]
    # after the last event: nothing until another process appends, then that first
    with live.stream(thread["id"], params={"after": last}) as stream:
        finished(live.approve_elsewhere(thread, steps=[DONE]))
        grown = live.rows(thread["id"])
        assert stream.messages(len(grown) - len(rows)) == expected(grown, len(rows))


def test_the_data_is_the_stored_json_even_with_line_separators_in_it(live: Live) -> None:
    text = "line\u2028separator\x85next\nline\r\nend"
    response = live.client.post("/threads", json={"message": text})
    thread = response.json()
    rows = live.rows(thread["id"])
    with live.stream(thread["id"]) as stream:
        messages = stream.messages(len(rows))
    assert messages == expected(rows)
    assert json.loads(messages[1]["data"])["text"] == text


def test_an_unknown_thread_is_the_404_of_get_thread(live: Live) -> None:
    response = live.client.get("/threads/thread_nope/events")
    assert response.status_code == 404
    assert response.json() == live.client.get("/threads/thread_nope").json()
    assert response.json() == {"error": "no thread 'thread_nope'"}


@pytest.mark.parametrize(
    ("params", "headers", "given"),
    [
        ({"after": "abc"}, {}, "after"),
        ({"after": "-2"}, {}, "after"),
        ({"after": "1.5"}, {}, "after"),
        ({"after": ""}, {}, "after"),
        ({"after": "9" * 30}, {}, "after"),
        ({}, {"Last-Event-ID": "seven"}, "Last-Event-ID"),
    ],
)
def test_a_bad_after_is_422_and_says_what_it_takes(
    live: Live, params: dict[str, str], headers: dict[str, str], given: str
) -> None:
    thread = live.launch_paused()
    response = live.client.get(f"/threads/{thread['id']}/events", params=params, headers=headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error.startswith(f"{given} must be the seq of an event (a whole number, -1 or more)")


def test_the_stream_needs_the_token(live: Live) -> None:
    thread = live.launch_paused()
    response = httpx.get(f"{live.base}/threads/{thread['id']}/events", timeout=WAIT_S)
    assert response.status_code == 401
    assert response.json() == {"error": "missing or wrong bearer token"}


def test_a_bad_poll_setting_is_a_503_before_the_stream_begins(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTGEN_FOLLOW_POLL_S", "often")
    thread = live.launch_paused()
    response = live.client.get(f"/threads/{thread['id']}/events")
    assert response.status_code == 503
    assert response.json() == {
        "error": "AGENTGEN_FOLLOW_POLL_S must be seconds above 0 (at most 3600), not 'often'"
    }


def test_a_quiet_stream_sends_keep_alive_comments(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTGEN_KEEPALIVE_S", "0.3")
    thread = live.launch_paused()
    rows = live.rows(thread["id"])
    with live.stream(thread["id"], params={"after": len(rows) - 1}) as stream:
        assert stream.comment() == ": keep-alive"
        assert stream.comment() == ": keep-alive"


def test_a_stream_stops_reading_the_store_when_its_client_goes(live: Live) -> None:
    thread = live.launch_paused()
    with live.stream(thread["id"]) as stream:
        stream.message()
        wait_until(lambda: live.store.loads > 3, "the stream to poll the store")

    def settled() -> bool:  # no load for several poll intervals
        before = live.store.loads
        time.sleep(1.0)
        return live.store.loads == before

    wait_until(settled, "the stream to stop polling")


class Output:
    """A process's standard output, line by line, read on a thread of its own."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        assert process.stdout is not None
        threading.Thread(target=self._read, args=(process.stdout,), daemon=True).start()

    def _read(self, stdout: Any) -> None:
        for line in stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, line: str) -> None:
        """Read on until `line` has come (a line that starts with it)."""
        deadline = time.monotonic() + WAIT_S
        while not any(seen.startswith(line) for seen in self.lines):
            try:
                got = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line {line!r} in {self.lines}") from None
            if got is None:
                raise AssertionError(f"the output ended without {line!r}: {self.lines}")
            self.lines.append(got)


def test_show_follow_prints_what_another_process_appends_until_ctrl_c(tmp_path: Path) -> None:
    url, marker = f"sqlite:///{tmp_path / 'threads.db'}", tmp_path / "handler-calls"
    launched = finished(
        driver(url, "launch", "thread_live", marker, message="divide 6 by 3", steps=[DIVIDE])
    )["thread"]
    follow = subprocess.Popen(
        [sys.executable, "-m", "generated.calculator", "show", "thread_live", "--follow"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "AGENTGEN_STORE": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        output = Output(follow)
        output.wait_for("thread thread_live: awaiting_approval")
        response = {"type": "approval", "call_id": launched["pending"]["call_id"], "approved": True}
        finished(driver(url, "resume", "thread_live", marker, response=response, steps=[DONE]))
        for line in ("<call_approved/>", "<divide_result>2</divide_result>"):
            output.wait_for(line)
        output.wait_for('<done_for_now message="6 / 3 = 2"/>')
        output.wait_for("thread thread_live: done (done_for_now)")
        follow.send_signal(signal.SIGINT)
        _, err = follow.communicate(timeout=WAIT_S)
    finally:
        follow.kill()
    assert (follow.returncode, err) == (0, "")
    shown = output.lines
    # the new events come after the thread as `show` printed it, each once
    assert shown.index("<call_approved/>") > shown.index("thread thread_live: awaiting_approval")
    assert shown.count("<call_approved/>") == 1
    assert shown.count("thread thread_live: done (done_for_now)") == 1
