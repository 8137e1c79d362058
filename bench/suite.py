"""The benchmark suite: each section returns table rows; peers that cannot load are "n/a"."""

from __future__ import annotations

import asyncio
import importlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import ModuleType

from agentgen.runtime import MemoryStore

from . import context_cost, generation, ours
from .machine import version
from .stats import Row, median, quotient, target

PEERS = {
    "langgraph": "LangGraph",
    "pydantic_ai": "pydantic-ai",
    "openai_agents": "OpenAI Agents SDK",
}


SECTIONS = (
    "steps",
    "sqlite",
    "postgres",
    "coldstart",
    "engines",
    "storage",
    "context",
    "tracing",
    "generation",
)


@dataclass
class Config:
    """What to run: sizes, repeats, and when a slow peer gets fewer runs or none."""

    repeats: int = 5
    sizes: tuple[int, ...] = (200, 1000, 2000)
    storage_sizes: tuple[int, ...] = (200, 2000)
    agent_counts: tuple[int, ...] = (1, 10, 100)
    cell_seconds: float = 20.0  # stop repeating a measurement once its runs took this long
    max_run_seconds: float = 90.0  # skip a run whose estimated duration is longer
    sections: tuple[str, ...] = SECTIONS  # which parts of the suite run (bench/main.py)
    peers: dict[str, ModuleType | str] = field(default_factory=dict)
    last_run: dict[str, tuple[int, float]] = field(default_factory=dict)


def load_peers() -> dict[str, ModuleType | str]:
    """Each peer's bench module, or why it cannot be imported (not installed, broken...)."""
    peers: dict[str, ModuleType | str] = {}
    for name in PEERS:
        try:
            peers[name] = importlib.import_module(f"bench.peer_{name}")
        except Exception as error:  # any failure makes the peer "n/a", not a crash
            peers[name] = f"{type(error).__name__}: {error}".splitlines()[0][:80]
    return peers


def measure(
    config: Config, key: str, n: int, run: Callable[[], float], per: float
) -> tuple[float, str]:
    """Median of up to `repeats` runs of `run` (its result divided by `per`) and a note."""
    values: list[float] = []
    spent = 0.0
    while len(values) < config.repeats:
        # What earlier runs wrote (LangGraph's checkpoints: gigabytes) reaches the disk now,
        # instead of slowing this run's own writes.
        os.sync()
        begun = time.perf_counter()
        values.append(run() / per)
        seconds = time.perf_counter() - begun
        config.last_run[key] = (n, seconds)
        spent += seconds
        if spent > config.cell_seconds:
            break
    runs = f"{len(values)} run" + ("s" if len(values) > 1 else "")
    capped = f"{runs} (capped at {config.cell_seconds:.0f} s)"
    note = runs if len(values) == config.repeats else capped
    return median(values), note


def too_slow(config: Config, key: str, n: int) -> str | None:
    """Why a run of `n` is skipped: its duration extrapolated (quadratically) from the last one."""
    if key not in config.last_run:
        return None
    last_n, seconds = config.last_run[key]
    estimate = seconds * (n / last_n) ** 2
    if estimate <= config.max_run_seconds:
        return None
    return f"skipped: ~{estimate:.0f} s per run (quadratic)"


MEMORY, DURABLE = "per step, in memory", "per step, durable (SQLite)"
PeerRun = Callable[[ModuleType, int, Path], float]


def _stored(durable: bool) -> PeerRun:
    """A peer's ms_per_step, in memory or with its SQLite store."""
    return lambda module, n, workdir: module.ms_per_step(n, workdir, durable)


def _pydantic_ai(module: ModuleType, n: int, workdir: Path) -> float:
    return float(module.ms_per_step(n))


STEP_VARIANTS: list[tuple[str, str, str, PeerRun]] = [
    ("langgraph", MEMORY, "LangGraph, no checkpointer", _stored(False)),
    ("langgraph", DURABLE, "LangGraph + SqliteSaver", _stored(True)),
    ("pydantic_ai", MEMORY, "pydantic-ai (FunctionModel)", _pydantic_ai),
    ("openai_agents", MEMORY, "OpenAI Agents SDK", _stored(False)),
    ("openai_agents", DURABLE, "OpenAI Agents SDK + SQLiteSession", _stored(True)),
]


def na(benchmark: str, system: str, size: str, unit: str, why: str) -> Row:
    """A row for a system that could not run (or was skipped as too slow)."""
    note = why if why.startswith("skipped") else f"n/a ({why})"
    return Row(benchmark, system, size, None, unit, note)


def failure(error: Exception) -> str:
    """One short line for a peer's exception."""
    return f"{type(error).__name__}: {error}".splitlines()[0][:80]


def peer_row(config: Config, peer: str, row: Row, run: Callable[[ModuleType], float]) -> Row:
    """`row` measured with `run` on the peer's module; n/a when missing, too slow or failing."""
    module, n = config.peers.get(peer, "not loaded"), int(row.size.removeprefix("N="))
    if isinstance(module, str):
        return na(row.benchmark, row.system, row.size, row.unit, module)
    skip = too_slow(config, row.system, n)
    if skip is not None:
        return na(row.benchmark, row.system, row.size, row.unit, skip)
    try:
        value, note = measure(config, row.system, n, lambda: run(module), 1)
    except Exception as error:  # any failure of a peer is reported, not fatal
        return na(row.benchmark, row.system, row.size, row.unit, failure(error))
    return Row(row.benchmark, row.system, row.size, value, row.unit, note)


def our_step_rows(config: Config, agent: ModuleType, n: int, workdir: Path) -> list[Row]:
    """ms per tool step of the generated agent, with MemoryStore and with SqliteStore."""
    rows = []
    for kind, benchmark, system in (
        ("memory", MEMORY, "agentgen (MemoryStore)"),
        ("sqlite", DURABLE, "agentgen (SqliteStore)"),
    ):
        run = partial(ours.ms_per_step, agent, n, kind, workdir)
        value, note = measure(config, system, n, run, 1)
        rows.append(Row(benchmark, system, f"N={n}", value, "ms/step", note))
    return rows


def per_step_rows(config: Config, agent: ModuleType, workdir: Path) -> list[Row]:
    """ms per tool step on the chain of N calls: ours, then each peer variant."""
    rows = []
    for n in config.sizes:
        rows += our_step_rows(config, agent, n, workdir)
        for peer, benchmark, system, step in STEP_VARIANTS:
            row = Row(benchmark, system, f"N={n}", None, "ms/step")
            rows.append(peer_row(config, peer, row, partial(_bind, step, n, workdir)))
    return sorted(rows, key=lambda row: [MEMORY, DURABLE].index(row.benchmark))


def _bind(step: PeerRun, n: int, workdir: Path, module: ModuleType) -> float:
    return step(module, n, workdir)


BYTES, LOAD, RESUME = "stored bytes", "load latency", "resume latency"
StorageRun = Callable[[ModuleType, int, Path, int], tuple[int, float, float]]
STORAGE_VARIANTS: list[tuple[str, str, str, StorageRun]] = [
    (
        "langgraph",
        "LangGraph + SqliteSaver",
        "get_state",
        lambda module, n, workdir, repeats: module.storage(n, workdir, repeats),
    ),
    (
        "pydantic_ai",
        "pydantic-ai (FunctionModel)",
        "history JSON, parsed",
        lambda module, n, workdir, repeats: module.storage(n, repeats),
    ),
    (
        "openai_agents",
        "OpenAI Agents SDK + SQLiteSession",
        "get_items",
        lambda module, n, workdir, repeats: module.storage(n, workdir, repeats),
    ),
]


def our_storage_rows(config: Config, agent: ModuleType, n: int, workdir: Path) -> list[Row]:
    """Our SQLite file after the chain, and the latency of reading and resuming it."""
    stored, size = ours.storage(agent, n, workdir, config.repeats), f"N={n}"
    events = f"event JSON {stored.event_bytes / 1e6:.3f} MB"
    return [
        Row(BYTES, "agentgen (SqliteStore)", size, stored.db_bytes / 1e6, "MB", events),
        Row(LOAD, "agentgen (SqliteStore)", size, stored.load_ms, "ms", "load_thread: load + fold"),
        Row(
            RESUME,
            "agentgen (SqliteStore)",
            size,
            stored.resume_ms,
            "ms",
            "a new message to the next answer",
        ),
    ]


def peer_storage_rows(
    config: Config, variant: tuple[str, str, str, StorageRun], n: int, workdir: Path
) -> list[Row]:
    """A peer's bytes stored, load and resume latency after the chain, or n/a rows."""
    peer, system, how, run = variant
    module, size = config.peers.get(peer, "not loaded"), f"N={n}"
    why = module if isinstance(module, str) else too_slow(config, system, n)
    if why is None and not isinstance(module, str):
        try:
            stored, load_ms, resume_ms = run(module, n, workdir, config.repeats)
        except Exception as error:  # any failure of a peer is reported, not fatal
            why = failure(error)
        else:
            return [
                Row(BYTES, system, size, stored / 1e6, "MB"),
                Row(LOAD, system, size, load_ms, "ms", how),
                Row(RESUME, system, size, resume_ms, "ms", "a new message to the next answer"),
            ]
    assert why is not None
    units = {BYTES: "MB", LOAD: "ms", RESUME: "ms"}
    return [na(benchmark, system, size, unit, why) for benchmark, unit in units.items()]


def storage_rows(config: Config, agent: ModuleType, workdir: Path) -> list[Row]:
    """Bytes stored and load/resume latency after N steps, ours then the peers."""
    rows = []
    for n in config.storage_sizes:
        os.sync()
        rows += our_storage_rows(config, agent, n, workdir)
        for variant in STORAGE_VARIANTS:
            os.sync()
            rows += peer_storage_rows(config, variant, n, workdir)
    return sorted(rows, key=lambda row: [BYTES, LOAD, RESUME].index(row.benchmark))


TOKENS = "context tokens, last request (what the model reads)"
PER_STEP = "context tokens per step (what the model reads)"
EXACT = "prefix: steps extending the last prompt"
CACHED = "prefix: share of prompt sent before"
CHAT = "chat messages + tools (peers)"
READ_NOTE = "contents, call names and args, 3 per message"


def encoder() -> Callable[[str], int] | str:
    """A token counter for o200k_base, or why there is none."""
    try:
        from .tokens import o200k_base

        encoding = o200k_base()
    except Exception as error:  # tiktoken or its vocabulary missing: tokens are n/a
        return failure(error)
    return lambda text: len(encoding.encode(text))


def token_rows(system: str, size: str, n: int, first: int, last: int) -> list[Row]:
    """The last request's tokens, and how many each step adds (from the first request on)."""
    per_step = (last - first) / n
    return [
        Row(TOKENS, system, size, last, "tokens", READ_NOTE),
        Row(PER_STEP, system, size, per_step, "tokens", READ_NOTE),
    ]


def context_rows(config: Config, agent: ModuleType) -> list[Row]:
    """Tokens the model reads and prefix stability, ours against the peers' chat messages."""
    count, rows = encoder(), []
    for n in config.storage_sizes:
        requests = asyncio.run(ours.run_chain(agent, n, MemoryStore())).model.requests
        messages = context_cost.chat_messages(n, requests[-1].system)
        tools = context_cost.chat_tools(requests[-1])
        mine = context_cost.stability(context_cost.our_prompts(requests))
        theirs = context_cost.stability(context_cost.chat_prompts(messages, tools))
        size = f"N={n}"
        if isinstance(count, str):
            rows += [
                na(name, who, size, "tokens", count)
                for name in (TOKENS, PER_STEP)
                for who in ("agentgen", CHAT)
            ]
        else:
            ends = [context_cost.our_read_tokens(r, count) for r in (requests[0], requests[-1])]
            rows += token_rows("agentgen", size, n, *ends)
            chat_first = context_cost.chat_read_tokens(messages[:2], count)
            rows += token_rows(
                CHAT, size, n, chat_first, context_cost.chat_read_tokens(messages, count)
            )
        for system, shares in (("agentgen", mine), (CHAT, theirs)):
            rows.append(Row(EXACT, system, size, shares.exact * 100, "%"))
            rows.append(Row(CACHED, system, size, shares.cached * 100, "%"))
    order = [TOKENS, PER_STEP, EXACT, CACHED]
    return sorted(rows, key=lambda row: order.index(row.benchmark))


GROWTH = "context: per step in memory as the thread grows"
GROWTH_SIZES = (200, 10_000)
GROWTH_TARGET = 1.3


def growth_rows(config: Config, agent: ModuleType, workdir: Path) -> list[Row]:
    """Per-step time of a 200-step and a 10,000-step chain on MemoryStore, run in turn."""
    runs: dict[int, list[float]] = {n: [] for n in GROWTH_SIZES}
    for _ in range(config.repeats):
        for n in GROWTH_SIZES:
            runs[n].append(ours.ms_per_step(agent, n, "memory", workdir))
    note = f"{config.repeats} run" + ("s" if config.repeats > 1 else "") + ", alternating"
    return [
        Row(GROWTH, "agentgen (MemoryStore)", f"N={n}", median(values), "ms/step", note)
        for n, values in runs.items()
    ]


def context_targets(rows: list[Row]) -> list[str]:
    """Issue 15's targets on the bench chain: tokens per step, and cost flat as it grows."""
    lines = []
    for size in sorted({row.size for row in rows if row.benchmark == PER_STEP}):
        found = {
            row.system: row.value for row in rows if (row.benchmark, row.size) == (PER_STEP, size)
        }
        ratio = quotient(found.get("agentgen"), found.get(CHAT))
        label = f"chain {size}: tokens per step at most 0.8x the chat transcript"
        lines.append(target(label, ratio, "x", ratio is not None and ratio <= 0.8))
    growth = {row.size: row.value for row in rows if row.benchmark == GROWTH}
    small, large = (growth.get(f"N={n}") for n in GROWTH_SIZES)
    ratio = quotient(large, small)
    label = f"per step at 10,000 steps within {GROWTH_TARGET}x of 200 steps"
    return [*lines, target(label, ratio, "x", ratio is not None and ratio <= GROWTH_TARGET)]


GENERATE, CHECK = "generate (10 tools per agent)", "check (10 tools per agent)"


def timed_row(
    config: Config, benchmark: str, system: str, size: str, run: Callable[[], float]
) -> Row:
    """Median wall seconds of a generator run, or n/a when it fails."""
    try:
        value, note = measure(config, f"{system} {size}", 0, run, 1)
    except Exception as error:  # a generator missing or failing is reported, not fatal
        return na(benchmark, system, size, "s", failure(error))
    return Row(benchmark, system, size, value, "s", note)


def generator_runs(root: Path, count: int) -> dict[str, Callable[[], float] | str]:
    """Each generator's timed run on `count` agents, or why it cannot run."""
    runs: dict[str, Callable[[], float] | str] = dict(generation.agentgen_runs(root / "a", count))
    runs["datamodel-codegen (models only)"] = generation.datamodel_run(root / "d", count)
    baml = version("baml-py")
    if Path(generation.tool("baml-cli")).exists():
        runs["baml-cli generate"] = generation.baml_run(root / "b", count, baml)
    else:
        runs["baml-cli generate"] = f"baml-py {baml}"
    return runs


def generation_rows(config: Config, workdir: Path) -> list[Row]:
    """Wall time of agentgen generate and check against the peers' generators, per agent count."""
    rows = []
    for count in config.agent_counts:
        size = f"{count} agents"
        for system, run in generator_runs(workdir / f"gen-{count}", count).items():
            benchmark = CHECK if system.startswith("agentgen check") else GENERATE
            if isinstance(run, str):
                rows.append(na(benchmark, system, size, "s", run))
            else:
                rows.append(timed_row(config, benchmark, system, size, run))
    return sorted(rows, key=lambda row: [GENERATE, CHECK].index(row.benchmark))
