"""A store that cannot be used is one clear line: corrupted, read-only or full SQLite files.

Each case runs on a real file, through the Python API, the command line (exit 1, one line on
stderr) and the HTTP app (503 with a JSON error), and checks that nothing was half-written.
Read-only files are made so for real: `chattr +i` as root (root ignores file modes), `chmod`
otherwise; the test skips only where neither is possible. A full disk is SQLite's page cap.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from agentgen.runtime import (
    ScriptedModel,
    SqliteStore,
    StoreUnavailable,
    ThreadNotFound,
    store_from_url,
)
from generated.calculator.agent import launch
from generated.calculator.http import create_app
from tests.agent_cli import run_agent_cli

DIVIDE = {"intent": "divide", "a": 6, "b": 3}
READONLY = "attempt to write a readonly database"
CANTOPEN = (
    "unable to open database file (SQLite needs to write the file and create files beside it in "
    "its folder)"
)


def paused_thread(path: Path) -> str:
    """A thread waiting for approval in a new SQLite file, closed so its WAL is checkpointed."""
    store = SqliteStore(path)
    try:
        thread = asyncio.run(launch("divide 6 by 3", model=ScriptedModel([DIVIDE]), store=store))
    finally:
        store.close()
    assert thread.status == "awaiting_approval"
    return thread.id


def rows(path: Path) -> list[tuple[str, int, str]]:
    """Every stored event, read with plain SQL; closing removes the WAL files, as a store's does."""
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT thread_id, seq, event FROM events ORDER BY 1, 2").fetchall()
    finally:
        db.close()


def cli(url: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """The calculator's command line on the store at `url`, with a model that is never called."""
    env = {**os.environ, "AGENTGEN_STORE": url, "AGENTGEN_BASE_URL": "http://127.0.0.1:9/v1"}
    env.pop("AGENTGEN_MODEL", None)
    return run_agent_cli("calculator", *arguments, env=env)


def fails_cleanly(result: subprocess.CompletedProcess[str], message: str) -> None:
    """One line on stderr, nothing on stdout, exit status 1: no traceback."""
    assert (result.returncode, result.stdout, result.stderr) == (1, "", f"error: {message}\n")


Request = Callable[..., Any]


@pytest.fixture
def http(monkeypatch: pytest.MonkeyPatch) -> Request:
    """One request to the HTTP app on the store at a URL, opened as the app opens it (lazily).

    No auth; a model is configured, but the failing requests never call it.
    """
    monkeypatch.setenv("AGENTGEN_AUTH", "none")
    monkeypatch.setenv("AGENTGEN_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.delenv("AGENTGEN_MODEL", raising=False)

    def send(url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        monkeypatch.setenv("AGENTGEN_STORE", url)
        with TestClient(create_app(), raise_server_exceptions=False) as client:
            return client.request(method, path, json=body)

    return send


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path`, a file or a folder, made read-only for this process, even as root."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(mode & ~0o222)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    try:
        made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    except FileNotFoundError:
        pytest.skip("root ignores file modes and there is no chattr here")
    if made.returncode != 0:
        pytest.skip(f"root ignores file modes and chattr +i is refused: {made.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_corrupted_file_is_one_line_naming_the_store(tmp_path: Path, http: Request) -> None:
    path = tmp_path / "threads.db"
    thread_id = paused_thread(path)
    path.write_bytes(b"this is not a SQLite file " * 200)
    garbage = path.read_bytes()
    url = f"sqlite:///{path}"
    message = f"store '{url}' cannot be opened: file is not a database"
    with pytest.raises(StoreUnavailable) as raised:
        store_from_url(url)
    assert str(raised.value) == message
    fails_cleanly(cli(url, "show", thread_id), message)
    fails_cleanly(cli(url, "resume", thread_id, "--approve"), message)
    answer = http(url, "GET", f"/threads/{thread_id}")
    assert (answer.status_code, answer.json()) == (503, {"error": message})
    assert path.read_bytes() == garbage


def test_a_corrupted_page_is_one_line_naming_the_store(tmp_path: Path, http: Request) -> None:
    path = tmp_path / "threads.db"
    thread_id = paused_thread(path)
    with path.open("r+b") as file:  # every page but the first (the schema): the rows are gone
        size = file.seek(0, os.SEEK_END)
        file.seek(4096)
        file.write(b"\xff" * (size - 4096))
    url = f"sqlite:///{path}"
    message = f"store '{url}' cannot be read: database disk image is malformed"
    fails_cleanly(cli(url, "show", thread_id), message)
    answer = http(url, "GET", f"/threads/{thread_id}")
    assert (answer.status_code, answer.json()) == (503, {"error": message})


def test_a_read_only_file_refuses_writes_in_one_line_and_still_reads(
    tmp_path: Path, http: Request
) -> None:
    path = tmp_path / "threads.db"
    thread_id = paused_thread(path)
    before = rows(path)
    url = f"sqlite:///{path}"
    message = f"store '{url}' cannot be written: {READONLY}"
    with read_only(path):
        fails_cleanly(cli(url, "resume", thread_id, "--approve"), message)
        fails_cleanly(cli(url, "launch", "add 1 and 2"), message)
        answer = http(url, "POST", f"/threads/{thread_id}/responses", {"type": "resume"})
        assert (answer.status_code, answer.json()) == (503, {"error": message})
        shown = cli(url, "show", thread_id)
        assert (shown.returncode, shown.stderr) == (0, ""), shown.stderr
        assert "divide wants approval" in shown.stdout
        assert http(url, "GET", f"/threads/{thread_id}").status_code == 200
    assert rows(path) == before


def test_a_read_only_folder_is_one_line_naming_the_store(tmp_path: Path, http: Request) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "threads.db"
    thread_id = paused_thread(path)
    before = rows(path)
    url = f"sqlite:///{path}"
    # in WAL mode SQLite creates threads.db-wal and threads.db-shm beside the file to open it
    assert sorted(child.name for child in folder.iterdir()) == ["threads.db"]
    message = f"store '{url}' cannot be opened: {CANTOPEN}"
    with read_only(folder):
        fails_cleanly(cli(url, "show", thread_id), message)
        fails_cleanly(cli(url, "resume", thread_id, "--approve"), message)
        answer = http(url, "POST", f"/threads/{thread_id}/responses", {"type": "resume"})
        assert (answer.status_code, answer.json()) == (503, {"error": message})
    assert rows(path) == before


def test_a_store_opened_read_only_by_its_url_reads_and_refuses_writes(
    tmp_path: Path, http: Request
) -> None:
    path = tmp_path / "threads.db"
    thread_id = paused_thread(path)
    before = rows(path)
    url = f"sqlite:///{path}?mode=ro"
    message = f"store '{url}' cannot be written: {READONLY}"
    store = store_from_url(url)
    assert isinstance(store, SqliteStore)
    try:
        with pytest.raises(StoreUnavailable) as raised:
            asyncio.run(launch("add 1 and 2", model=ScriptedModel([]), store=store))
        assert str(raised.value) == message
        assert len(asyncio.run(store.load(thread_id))) == len(before)
    finally:
        store.close()
    fails_cleanly(cli(url, "resume", thread_id, "--approve"), message)
    assert cli(url, "show", thread_id).returncode == 0
    missing = f"sqlite:///{tmp_path / 'absent.db'}?mode=ro"
    fails_cleanly(
        cli(missing, "show", thread_id),
        f"store '{missing}' cannot be opened: unable to open database file",
    )
    assert rows(path) == before
    assert not (tmp_path / "absent.db").exists()


def full(path: Path) -> str:
    """The URL of the file at `path`, capped at the pages it has now: a full disk for SQLite."""
    db = sqlite3.connect(path)
    try:
        (pages,) = db.execute("PRAGMA page_count").fetchone()
    finally:
        db.close()
    return f"sqlite:///{path}?max_pages={pages}"


def test_a_full_disk_is_one_line_and_a_launch_writes_nothing(tmp_path: Path, http: Request) -> None:
    path = tmp_path / "threads.db"
    SqliteStore(path).close()  # the tables and their first pages, with room for a lease
    url = full(path)
    message = f"store '{url}' cannot be written: database or disk is full"
    # thread_started fits in the pages there are; this message does not
    text = "add these: " + "1 + " * 5000
    store = store_from_url(url)
    try:
        with pytest.raises(StoreUnavailable) as raised:
            asyncio.run(launch(text, model=ScriptedModel([]), store=store, thread_id="thread_1"))
        assert str(raised.value) == message
        with pytest.raises(ThreadNotFound):  # not even thread_started alone
            asyncio.run(store.load("thread_1"))
        assert asyncio.run(store.acquire_lease("thread_1", "next-worker", 60))  # released
    finally:
        store.close()
    fails_cleanly(cli(url, "launch", text), message)
    answer = http(url, "POST", "/threads", {"message": text})
    assert (answer.status_code, answer.json()) == (503, {"error": message})
    assert rows(path) == []
