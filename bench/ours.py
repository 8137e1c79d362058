"""agentgen's side: a generated agent driven by ScriptedModel through a chain of tool calls."""

from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from agentgen.runtime import MemoryStore, ScriptedModel, SqliteStore, Store

from .stats import median

AGENT = "bench_chain"
SYSTEM = "You are a helpful assistant that can help with tasks."
SPEC = f'''[agent]
name = "{AGENT}"
description = "Adds numbers in a long chain, for benchmarks."
max_turns = 1000000
max_consecutive_errors = 3

[prompts]
system = "{SYSTEM}"

[tools.add]
description = "Add two numbers."
params.a = {{ type = "number" }}
params.b = {{ type = "number" }}
returns = {{ type = "number" }}
'''


def agentgen(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the agentgen CLI of this interpreter; a failure raises with its output."""
    command = [sys.executable, "-m", "agentgen", *map(str, args)]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"agentgen {args[0]} failed:\n{done.stdout}{done.stderr}")
    return done


def generate_agent(workdir: Path) -> ModuleType:
    """Generate the bench agent into `workdir` with the CLI and import its package."""
    spec = workdir / "specs" / f"{AGENT}.toml"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(SPEC)
    agentgen("generate", spec, "--out", workdir / "pkgs", cwd=workdir)
    sys.path.insert(0, str(workdir / "pkgs"))
    return importlib.import_module(AGENT)


def add(call: Any) -> float:
    """The add tool's handler."""
    return float(call.a + call.b)


def script(n: int) -> list[dict[str, Any]]:
    """N add calls, each on the previous result, then done."""
    steps: list[dict[str, Any]] = [{"intent": "add", "a": i, "b": 1} for i in range(n)]
    return [*steps, {"intent": "done_for_now", "message": f"the sum is {n}"}]


@dataclass
class ChainRun:
    """One launch through the whole chain."""

    thread: Any
    model: ScriptedModel
    seconds: float


async def run_chain(agent: ModuleType, n: int, store: Store, *, record: bool = True) -> ChainRun:
    """Launch the agent on a chain of `n` tool calls and time it until done.

    Timed runs pass `record=False`: a real model keeps no copy of every prompt, and keeping
    them all (as tests do) costs memory quadratic in `n`.
    """
    model = ScriptedModel(script(n), record=record)
    start = time.perf_counter()
    thread = await agent.launch(
        "add 1, n times", model=model, store=store, handlers=SimpleNamespace(add=add)
    )
    return ChainRun(thread, model, time.perf_counter() - start)


def make_store(kind: str, workdir: Path) -> Store:
    """A fresh store: "memory", or "sqlite" in a new file under `workdir`."""
    if kind == "memory":
        return MemoryStore()
    return SqliteStore(new_db(workdir, "threads"))


def tool_results(thread: Any) -> int:
    """How many add results the thread holds."""
    return sum(1 for event in thread.events if event.type == "tool_result")


def ms_per_step(agent: ModuleType, n: int, kind: str, workdir: Path) -> float:
    """Milliseconds per tool step of one chain of `n` calls on a fresh store of `kind`."""
    store = make_store(kind, workdir)
    run = asyncio.run(run_chain(agent, n, store, record=False))
    if isinstance(store, SqliteStore):
        store.close()
    if run.thread.status != "done" or tool_results(run.thread) != n:
        raise RuntimeError(f"chain of {n} ended {run.thread.status}")
    return run.seconds * 1000 / n


@dataclass(frozen=True)
class Stored:
    """A finished chain in SQLite: its size on disk and how fast it is read back."""

    db_bytes: int
    event_bytes: int
    load_ms: float
    resume_ms: float


def new_db(workdir: Path, name: str) -> Path:
    """A database path under `workdir` that no earlier run has used."""
    return workdir / f"{name}-{time.perf_counter_ns()}.db"


def file_bytes(path: Path) -> int:
    """Bytes of a SQLite database with its WAL and journal files, if any."""
    files = [path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-journal"))]
    return sum(file.stat().st_size for file in files if file.exists())


def storage(agent: ModuleType, n: int, workdir: Path, repeats: int) -> Stored:
    """Run a chain of `n` into a new SQLite file, then time loading and resuming it."""
    path = new_db(workdir, f"storage-{n}")
    store = SqliteStore(path)
    thread_id = asyncio.run(run_chain(agent, n, store, record=False)).thread.id
    rows = asyncio.run(store.load(thread_id))
    store.close()  # the last connection's close folds the WAL into the database file
    db_bytes = file_bytes(path)
    load, resume = asyncio.run(reread(agent, path, thread_id, repeats))
    return Stored(db_bytes, sum(len(row.encode()) for row in rows), load, resume)


async def reread(
    agent: ModuleType, path: Path, thread_id: str, repeats: int
) -> tuple[float, float]:
    """Median ms of load_thread (load + fold), then of resume up to the model's next answer."""
    store = SqliteStore(path)
    loads, resumes = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        await agent.load_thread(thread_id, store, agent.agent.VERSION)
        loads.append(time.perf_counter() - start)
    for _ in range(repeats):
        model = ScriptedModel([{"intent": "done_for_now", "message": "still done"}])
        start = time.perf_counter()
        await agent.resume(thread_id, agent.UserMessage(text="again"), model=model, store=store)
        resumes.append(time.perf_counter() - start)
    store.close()
    return median(loads) * 1000, median(resumes) * 1000
