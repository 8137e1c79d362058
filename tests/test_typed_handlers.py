"""Typed seams: handlers are checked by mypy against `Handlers`, and may take a ToolContext."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agentgen.runtime import MemoryStore, ScriptedModel, run_handler, takes_context
from generated.deploy_bot import ListGitTags, ToolContext
from generated.deploy_bot.agent import launch, resume
from generated.deploy_bot.events import Approval, ToolResultEvent
from tests.strict_mypy import mypy_errors

ROOT = Path(__file__).resolve().parent.parent
VARS = {"service": "shop", "environments": ["staging", "production"]}


def _mypy(package: Path) -> str:
    return mypy_errors(package.parent, package.name)


@pytest.fixture
def calculator(tmp_path: Path) -> Path:
    """A copy of the generated calculator package whose handlers.py a test may break."""
    package = tmp_path / "calculator"
    shutil.copytree(ROOT / "generated" / "calculator", package)
    return package


def _edit_handlers(package: Path, old: str, new: str) -> None:
    path = package / "handlers.py"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_example_handlers_fit_their_protocol(calculator: Path) -> None:
    assert _mypy(calculator) == ""


def test_a_handler_taking_the_wrong_call_fails_mypy_naming_the_tool(calculator: Path) -> None:
    _edit_handlers(calculator, "def add(call: Add) -> float:", "def add(call: Divide) -> float:")
    output = _mypy(calculator)
    assert 'Following member(s) of Module "calculator.handlers" have conflicts:' in output
    assert 'add: expected "Callable[[Add], float | Awaitable[float]]' in output
    assert 'got "Callable[[Divide], float]"' in output


def test_a_handler_returning_the_wrong_type_fails_mypy(calculator: Path) -> None:
    _edit_handlers(
        calculator, "def add(call: Add) -> float:\n", "def add(call: Add) -> str:\n    return ''\n"
    )
    assert 'got "Callable[[Add], str]"' in _mypy(calculator)


def test_a_missing_handler_fails_mypy_naming_the_tool(calculator: Path) -> None:
    _edit_handlers(calculator, "def subtract(call: Subtract)", "def minus(call: Subtract)")
    output = _mypy(calculator)
    assert 'is missing following "Handlers" protocol member:' in output
    assert "note:     subtract\n" in output


def test_a_handler_with_a_context_fits_too(calculator: Path) -> None:
    _edit_handlers(
        calculator,
        "def add(call: Add) -> float:",
        "async def add(call: Add, ctx: ToolContext) -> float:\n    assert ctx.thread_id",
    )
    _edit_handlers(
        calculator,
        "from .tools import",
        "from .handler_types import ToolContext\nfrom .tools import",
    )
    assert _mypy(calculator) == ""


@dataclass
class Database:
    """The user's own per-run dependency."""

    tags: list[str]
    reads: list[str] = field(default_factory=list)


@dataclass
class Seen:
    """What the handler saw of its context."""

    contexts: list[ToolContext[Database]] = field(default_factory=list)


class Handlers:
    """Deploy-bot handlers of our own: one with a context, the others from the example."""

    def __init__(self, seen: Seen) -> None:
        self.seen = seen

    def list_git_tags(self, call: ListGitTags, ctx: ToolContext[Database]) -> list[str]:
        self.seen.contexts.append(ctx)
        ctx.deps.reads.append(ctx.call_id)
        return ctx.deps.tags[: call.limit]

    def __getattr__(self, name: str) -> object:
        from generated.deploy_bot import handlers

        return getattr(handlers, name)


def test_a_handler_reads_state_vars_deps_and_ids_through_launch_and_resume() -> None:
    store, seen = MemoryStore(), Seen()
    database = Database(["v2", "v1"])
    prod = {"intent": "deploy_backend", "tag": "v2", "environment": "production"}
    model = ScriptedModel([{"intent": "list_git_tags", "limit": 1}, prod])
    thread = asyncio.run(
        launch("ship", model=model, store=store, vars=VARS, handlers=Handlers(seen), deps=database)
    )
    assert thread.status == "awaiting_approval"
    [ctx] = seen.contexts
    assert (ctx.thread_id, ctx.deps, ctx.vars.service) == (thread.id, database, "shop")
    assert ctx.vars.environments == ["staging", "production"]
    assert ctx.state.current_state == "planning" and ctx.state.turns == 1
    [result] = [event for event in thread.events if isinstance(event, ToolResultEvent)]
    assert (result.call_id, result.result) == (ctx.call_id, ["v2"])
    assert database.reads == [ctx.call_id]
    # resume: a new database for this run, and the approved call runs with the same context
    model.add({"intent": "list_git_tags", "limit": 2}, {"intent": "done_for_now", "message": "ok"})
    later = Database(["v3"])
    assert thread.pending is not None
    approval = Approval(call_id=thread.pending.call_id, approved=False, comment="not yet")
    thread = asyncio.run(
        resume(thread.id, approval, model=model, store=store, handlers=Handlers(seen), deps=later)
    )
    assert thread.status == "done"
    assert seen.contexts[1].deps is later and seen.contexts[1].thread_id == thread.id
    assert seen.contexts[1].state.pending is None


def test_the_state_a_handler_gets_is_a_copy() -> None:
    store, seen = MemoryStore(), Seen()
    model = ScriptedModel([{"intent": "list_git_tags", "limit": 1}])
    model.add({"intent": "done_for_now", "message": "ok"})
    thread = asyncio.run(
        launch("ship", model=model, store=store, vars=VARS, handlers=Handlers(seen),
               deps=Database(["v1"]))
    )  # fmt: skip
    seen.contexts[0].state.turns = 99
    assert thread.state.turns != 99


def one(call: object) -> str:
    return "one"


def two(call: object, ctx: object) -> str:
    return f"two {ctx}"


async def two_async(call: object, ctx: object) -> str:
    return f"async {ctx}"


class Methods:
    def one(self, call: object) -> str:
        return "method one"

    def two(self, call: object, ctx: object) -> str:
        return f"method two {ctx}"


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        (one, "one"),
        (two, "two ctx"),
        (two_async, "async ctx"),
        (Methods().one, "method one"),
        (Methods().two, "method two ctx"),
        (lambda call, *rest: f"star {rest}", "star ('ctx',)"),
    ],
)
def test_run_handler_passes_the_context_only_to_handlers_that_take_it(
    handler: object, expected: str
) -> None:
    assert callable(handler)
    assert asyncio.run(run_handler(handler, ListGitTags(intent="list_git_tags"), "ctx")) == expected


def test_takes_context_of_a_callable_object_without_a_hash() -> None:
    class Unhashable:
        __hash__ = None  # type: ignore[assignment]

        def __call__(self, call: object, ctx: object) -> str:
            return "called"

    assert takes_context(Unhashable())
