"""`agentgen replay`: re-ask the model each decision stored threads recorded, and compare.

At each `tool_call` of a stored thread, the current spec's agent renders the request it would
send for the events before that call, the model answers, and the answer is compared with the
recorded call (intent and args). Calls made by `[[prefetch]]` were no model's decision and are
left out. Nothing is written to the threads: the store is only read.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from agentgen.config import Config
from agentgen.spec.model import Spec
from agentgen.testing._live import live_model
from agentgen.testing._packages import import_agents
from agentgen.validate import SpecResult
from agentgen.workflow import validate_paths
from agentgen_runtime import (
    Model,
    StepError,
    Store,
    default_store_url,
    parse_step,
    resolve_model,
    store_from_url,
)


@dataclass(frozen=True)
class Decision:
    """One recorded call, and what the model chooses at the same point now."""

    index: int
    recorded: dict[str, Any]
    now: dict[str, Any] | None
    problem: str | None = None

    @property
    def agrees(self) -> bool:
        return self.now == self.recorded


@dataclass(frozen=True)
class ThreadReplay:
    """Every decision of one thread, replayed."""

    thread_id: str
    decisions: tuple[Decision, ...]

    @property
    def agreement(self) -> float:
        """The share of decisions the model makes again as recorded (1.0 for none)."""
        if not self.decisions:
            return 1.0
        return sum(1 for d in self.decisions if d.agrees) / len(self.decisions)


@dataclass(frozen=True)
class Replay:
    """What `agentgen replay` found: the spec's diagnostics, or each thread replayed."""

    results: list[SpecResult]
    threads: list[ThreadReplay]


def run_replay(
    spec_file: Path, thread_ids: list[str], config: Config, store_url: str | None, model: str | None
) -> Replay:
    """Replay the threads with the spec's current prompts; the store is only read."""
    results = validate_paths([spec_file], config)
    if not all(result.ok for result in results) or not results:
        return Replay(results, [])
    spec = results[0].spec
    assert spec is not None
    packages = import_agents(results, config)
    try:
        package = packages.agent(spec.agent.name)
        config_model = package.agent.MODEL
        chosen = live_model(model, config_model) if model else resolve_model(None, config_model)
        # read-only: a replay neither writes a thread nor creates a file at a mistyped path
        store = store_from_url(store_url or default_store_url(), read_only=True)
        replays = asyncio.run(_replay_all(package, spec, thread_ids, store, chosen))
    finally:
        packages.close()
    return Replay(results, replays)


async def _replay_all(
    package: ModuleType, spec: Spec, thread_ids: list[str], store: Store, model: Model
) -> list[ThreadReplay]:
    return [await replay_thread(package, spec, thread_id, store, model) for thread_id in thread_ids]


async def replay_thread(
    package: ModuleType, spec: Spec, thread_id: str, store: Store, model: Model
) -> ThreadReplay:
    """Replay one stored thread's decisions against `model`; the store is only read."""
    thread = await package.load_thread(thread_id, store)
    events = thread.events
    decisions = []
    for index in _decisions(spec, [event.model_dump(mode="json") for event in events]):
        before = package.Thread(
            id=thread.id, events=events[:index], state=package.fold(events[:index])
        )
        request = package.agent.next_request(before)
        step = parse_step(await model.next_step(request), package.tools.NEXT_STEP)
        recorded = events[index].call.model_dump(mode="json")
        if isinstance(step, StepError):
            decisions.append(Decision(index, recorded, None, step.message))
        else:
            decisions.append(Decision(index, recorded, step.model_dump(mode="json")))
    return ThreadReplay(thread_id, tuple(decisions))


def _decisions(spec: Spec, events: list[dict[str, Any]]) -> list[int]:
    """The indexes of the model's recorded calls: every tool call but the prefetched ones."""
    calls = [i for i, event in enumerate(events) if event["type"] == "tool_call"]
    prefetched = 0
    for entry, index in zip(spec.prefetch, calls, strict=False):
        if events[index]["call"]["intent"] != entry.tool:
            break
        prefetched += 1
    return calls[prefetched:]
