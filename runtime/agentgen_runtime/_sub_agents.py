"""Sub-agents as tools: a call runs a child thread of another generated agent.

The parent's generated loop decides what the call means; this module only launches the child,
carries it on with a person's response, and reads back where it stands. The child's thread id
follows from the parent's id and the call's, so a parent resumed in another process finds it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from ._base import AgentgenError
from ._errors import compact_error
from ._limits import ValueRefused
from ._models import Model
from ._stores import Store, ThreadNotFound
from ._yaml import to_yaml

WAITING = ("awaiting_approval", "awaiting_human")


class SubAgentStopped(AgentgenError, RuntimeError):
    """A child thread paused before it finished (its max_turns): the parent's call failed."""


@dataclass(frozen=True)
class ChildSettings:
    """What child threads run with: the parent's store, model, deps and vars, unless overridden.

    `model` None: each child uses its own spec's [model]. `handlers` by agent name; an agent
    not named uses its own handlers.py.
    """

    store: Store
    model: Model | None = None
    deps: object = None
    vars: Mapping[str, Any] = field(default_factory=dict)
    handlers: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class SubAgentOutcome:
    """Where a child thread stands after a launch or resume."""

    agent: str
    thread_id: str
    status: Literal["awaiting_approval", "awaiting_human", "done", "paused"]
    pending: dict[str, Any] | None = None
    result: dict[str, Any] | None = None  # done: the terminal call, its intent included
    reason: str = ""  # paused: why


def child_thread_id(parent_id: str, call_id: str) -> str:
    """The child thread of a parent's call: the same id in every process, of a bounded length."""
    digest = hashlib.sha256(f"{parent_id}\n{call_id}".encode()).hexdigest()
    return "thread_" + digest[:24]


async def advance_child(
    package: ModuleType,
    agent: str,
    thread_id: str,
    args: dict[str, Any],
    response: BaseModel | None,
    settings: ChildSettings,
) -> SubAgentOutcome:
    """Launch the child with the call's `args`, or carry it on with a person's `response`.

    `package` is the child's generated agent module, `agent` its name.

    A child that does not wait for this response (none given, or it took it already) and waits
    for a person or is done is only read back; one that is running or paused is carried on.
    That is how a parent whose worker died picks up its child where it stands.
    """
    handlers = settings.handlers.get(agent)
    options = {"model": settings.model, "store": settings.store, "handlers": handlers}
    try:
        thread = await package.load_thread(thread_id, settings.store)
    except ThreadNotFound:
        given = _known_vars(package, settings.vars)
        try:
            thread = await package.launch(
                first_event(package, args),
                **options,
                vars=given,
                thread_id=thread_id,
                deps=settings.deps,
            )
        except ValidationError as error:  # its input or its vars: refused before anything ran
            raise ValueRefused(
                f"the {agent} agent refused its input: {compact_error(error)}"
            ) from None
        return sub_agent_outcome(agent, thread)
    if not _waits_for(thread, response):
        # Nothing to hand over: the child already took this response (its parent's worker died
        # before recording so), or there is none. Read it back, or carry it on if it is running.
        if thread.status in (*WAITING, "done"):
            return sub_agent_outcome(agent, thread)
        response = None
    own = _as_childs(response, package)
    return sub_agent_outcome(
        agent, await package.resume(thread_id, own, **options, deps=settings.deps)
    )


def first_event(package: ModuleType, args: dict[str, Any]) -> object:
    """What the child starts from: the args as its typed [input] if it has one, else a message.

    The message is the value of a call's only string param, else the args as YAML.
    """
    if hasattr(package, "AgentInput"):
        return args
    values = list(args.values())
    if len(values) == 1 and isinstance(values[0], str):
        return values[0]
    return to_yaml(args).rstrip("\n")


def sub_agent_outcome(agent: str, thread: Any) -> SubAgentOutcome:
    """Read a child's generated `Thread` back as plain values."""
    status = thread.status
    if status in WAITING:
        pending = thread.pending.model_dump(mode="json")
        return SubAgentOutcome(agent, thread.id, status, pending=pending)
    last = thread.events[-1].model_dump(mode="json", by_alias=True) if thread.events else {}
    if status == "done":
        return SubAgentOutcome(agent, thread.id, "done", result=last.get("call"))
    return SubAgentOutcome(agent, thread.id, "paused", reason=str(last.get("reason", "")))


def sub_agent_stopped(outcome: SubAgentOutcome) -> SubAgentStopped:
    """The error a parent's call records when its child paused unfinished."""
    return SubAgentStopped(
        f"the {outcome.agent} agent stopped before finishing ({outcome.reason}); "
        f"its thread {outcome.thread_id} is paused"
    )


def _known_vars(package: ModuleType, given: Mapping[str, Any]) -> dict[str, Any]:
    """The parent's vars that the child declares; the child refuses a missing one itself."""
    model: type[BaseModel] = package.PromptVars
    known = {info.alias or name for name, info in model.model_fields.items()}
    return {name: value for name, value in given.items() if name in known}


def _waits_for(thread: Any, response: BaseModel | None) -> bool:
    """Whether the child waits for a person's answer to the call `response` is about."""
    if response is None or thread.status not in WAITING or thread.pending is None:
        return False
    return bool(thread.pending.call_id == getattr(response, "call_id", None))


def _as_childs(response: BaseModel | None, package: ModuleType) -> Any:
    """The same response as the child package's own class: each package defines its own."""
    if response is None:
        return None
    kind: type[BaseModel] = getattr(package, type(response).__name__)
    return kind.model_validate(response.model_dump())
