"""One case of a spec's `[[tests]]`, run against its package: launch, responses, expectations."""

from __future__ import annotations

import copy
import importlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType, SimpleNamespace
from typing import Any, Literal

from agentgen.spec.model import CaseResponse, CaseSection, Spec
from agentgen.testing._expect import unmet
from agentgen.testing._live import CachedModel
from agentgen_runtime import MemoryStore, Model, ScriptedModel

Verdict = Literal["passed", "failed", "skipped"]


@dataclass(frozen=True)
class CaseRun:
    """One run of one case: its verdict, why it failed, and what the model was asked."""

    verdict: Verdict
    problems: tuple[str, ...] = ()
    seconds: float = 0.0
    model_calls: int = 0
    cached_calls: int = 0
    tokens: int = 0
    estimated: bool = False
    """Whether `tokens` holds estimates (the model reported no usage)."""


async def run_case(
    package: ModuleType, spec: Spec, case: CaseSection, live: CachedModel | None
) -> CaseRun:
    """Run the case on a MemoryStore; a live case needs `live`, a scripted one ignores it."""
    started = time.perf_counter()
    scripted = ScriptedModel(case.steps, record=False)
    model: Model = live if live is not None else scripted
    problems = await _drive(package, spec, case, model)
    if live is None and scripted.remaining and not problems:
        problems.append(f"{_count(scripted.remaining, 'scripted step')} not used")
    verdict: Verdict = "failed" if problems else "passed"
    seconds = time.perf_counter() - started
    if live is None:
        return CaseRun(verdict, tuple(problems), seconds)
    return CaseRun(
        verdict, tuple(problems), seconds, live.calls, live.cached, live.tokens, live.estimated
    )


async def _drive(package: ModuleType, spec: Spec, case: CaseSection, model: Model) -> list[str]:
    """Launch, answer each time the thread waits, then check what it did."""
    store, thread_id = MemoryStore(), "thread_case"
    handlers = fake_handlers(package, spec, case.results)
    run: dict[str, Any] = {"model": model, "store": store, "handlers": handlers}
    try:
        thread = await package.launch(case.message, vars=case.vars, thread_id=thread_id, **run)
        for index, response in enumerate(case.responses):
            given = _response(package, thread, response)
            if isinstance(given, str):
                return [f"responses[{index}]: {given}"]
            thread = await package.resume(thread.id, given, **run)
    except Exception as error:  # the agent's own failure is the case's result, never a crash
        return [f"{type(error).__name__}: {error}", *await _errors_so_far(store, thread_id)]
    events = [event.model_dump(mode="json") for event in thread.events]
    state = thread.state.model_dump(mode="json")
    return unmet(case.expect, thread.status, state, events)


async def _errors_so_far(store: MemoryStore, thread_id: str) -> list[str]:
    """The thread's error events: what went wrong before the run stopped."""
    rows = (
        [json.loads(row) for row in await store.load(thread_id)]
        if await _exists(store, thread_id)
        else []
    )
    return [f"error event: {row['message']}" for row in rows if row.get("type") == "error"]


async def _exists(store: MemoryStore, thread_id: str) -> bool:
    return thread_id in await store.thread_ids()


def fake_handlers(package: ModuleType, spec: Spec, results: dict[str, Any]) -> SimpleNamespace:
    """handlers.py, with each tool the case gives a result for answering that result."""
    own = importlib.import_module(f"{package.__name__}.handlers")
    handlers = {name: getattr(own, name) for name in _handled(spec) if hasattr(own, name)}
    for tool, result in results.items():
        handlers[tool] = _returning(result)
    return SimpleNamespace(**handlers)


def _handled(spec: Spec) -> list[str]:
    return [n for n, t in spec.tools.items() if t.agent is None and not t.terminal]


def _returning(result: Any) -> Callable[[Any], Any]:
    def fake(call: Any) -> Any:
        return copy.deepcopy(result)  # a handler may keep what it returns; the case stays as given

    return fake


def _response(package: ModuleType, thread: Any, response: CaseResponse) -> Any:
    """The package's response for what the thread waits on, or why it does not wait for it."""
    pending = thread.state.pending
    if response.message is not None:
        return package.UserMessage(text=response.message)
    if pending is None:
        return f"the thread is {thread.status}, with no call waiting for a person"
    if response.answer is not None:
        return package.HumanResponse(call_id=pending.call_id, text=response.answer)
    return package.Approval(
        call_id=pending.call_id,
        approved=bool(response.approve),
        comment=response.comment,
        args=response.args,
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
