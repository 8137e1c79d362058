"""Tracing overhead: ms per step of the bench chain with tracing off, and with OpenTelemetry's
SDK recording every span into an in-memory exporter (target: at most 20% more).

Each step makes what a real model call makes, less the HTTP: the model is ScriptedModel inside
the adapters' own `model_call_span` (a `chat` span, its usage, a `model_call` event), then the
tool runs in its `execute_tool` span, the step's log line and span event, all in one
`invoke_agent` span. OpenTelemetry lets a process set its tracer provider once, so each run is
a new process (`off` and `on` alternate, run after run), warmed up on a short chain first.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` importable from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ours import AGENT, add, make_store, script
from bench.stats import Row, fmt, median, target

BENCHMARK = "tracing overhead per step"
TARGET = 1.2
STEPS = 1000
MODES = {
    "off": "tracing off (opentelemetry-api alone: no-op)",
    "on": "SDK on, every span to an in-memory exporter",
}


class TracedScript:
    """ScriptedModel's steps, each inside the span and usage report an adapter makes."""

    def __init__(self, steps: list[dict[str, Any]]) -> None:
        from agentgen.runtime import ScriptedModel

        self.model = ScriptedModel(steps, record=False)

    async def next_step(self, request: Any) -> Any:
        from agentgen.runtime import model_call_span

        with model_call_span("scripted", "chain", request, 0.0) as call:
            output = await self.model.next_step(request)
            call.answered(
                output, input_tokens=100, output_tokens=10, cached_tokens=0, finish_reason="stop"
            )
        return output


def measure(mode: str, packages: Path, store_kind: str, workdir: Path) -> float:
    """ms per step of one chain of STEPS in this process (after a warm-up chain)."""
    if mode == "on":
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
        trace.set_tracer_provider(provider)
    sys.path.insert(0, str(packages))
    agent = importlib.import_module(AGENT)
    asyncio.run(_chain(agent, 200, store_kind, workdir))
    return asyncio.run(_chain(agent, STEPS, store_kind, workdir)) * 1000 / STEPS


async def _chain(agent: Any, n: int, store_kind: str, workdir: Path) -> float:
    from agentgen.runtime import SqliteStore

    store = make_store(store_kind, workdir)
    start = time.perf_counter()
    thread = await agent.launch(
        "add 1, n times",
        model=TracedScript(script(n)),
        store=store,
        handlers=SimpleNamespace(add=add),
    )
    seconds = time.perf_counter() - start
    if isinstance(store, SqliteStore):
        store.close()
    if thread.status != "done" or thread.usage.model_calls != n + 1:
        raise RuntimeError(f"the traced chain ended {thread.status}")
    return seconds


def _run(mode: str, packages: Path, store_kind: str, workdir: Path) -> float:
    argv = [sys.executable, __file__, mode, str(packages), store_kind, str(workdir)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    done = subprocess.run(argv, capture_output=True, text=True, check=True, env=env)
    return float(done.stdout.strip())


def rows(repeats: int, workdir: Path) -> list[Row]:
    """Each mode's median ms per step, on a memory store and on SQLite, modes alternating."""
    packages, found = workdir / "pkgs", []  # where bench/ours.py generated the chain agent
    for store_kind in ("memory", "sqlite"):
        runs: dict[str, list[float]] = {mode: [] for mode in MODES}
        for _ in range(repeats):
            for mode in MODES:
                runs[mode].append(_run(mode, packages, store_kind, workdir))
        size = f"N={STEPS}, {store_kind}"
        note = f"{repeats} processes each, alternating"
        found += [
            Row(BENCHMARK, label, size, median(runs[mode]), "ms/step", note)
            for mode, label in MODES.items()
        ]
    return found


def targets(found: list[Row]) -> list[str]:
    """Issue 17's target: the SDK on costs at most 20% more per step."""
    lines = []
    for store_kind in ("memory", "sqlite"):
        size = f"N={STEPS}, {store_kind}"
        values = {r.system: r.value for r in found if r.benchmark == BENCHMARK and r.size == size}
        off, on = values.get(MODES["off"]), values.get(MODES["on"])
        ratio = on / off if on is not None and off else None
        label = f"tracing on at most {fmt(TARGET)}x tracing off per step ({store_kind} store)"
        lines.append(target(label, ratio, "x", ratio is not None and ratio <= TARGET))
    return lines


if __name__ == "__main__":
    mode, packages, store_kind, workdir = sys.argv[1:5]
    print(measure(mode, Path(packages), store_kind, Path(workdir)))
