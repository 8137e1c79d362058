"""What the inbox shows, as plain data for its templates: the agent, a thread's ask and events.

Everything here reads a thread as its JSON (`thread_json` of the generated package, plus its
`current_state`), so it needs nothing of the agent's own classes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from ._models import IntentSpec

WAITING = ("awaiting_approval", "awaiting_human")
AskKind = Literal["approval", "question", "escalation"]


@dataclass(frozen=True)
class InboxAgent:
    """What the /ui inbox shows of one agent; its generated http.py passes it."""

    name: str
    intents: Mapping[str, IntentSpec]
    # INTENTS_BY_STATE and TRANSITIONS, keyed by the agent's own StateName (None without
    # states): Any, as a Mapping's key type must match exactly
    states: Mapping[Any, Sequence[str]]
    transitions: Mapping[tuple[Any, str], Any]
    initial: str | None = None
    answers: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """The answers a person may give a yes/no or multiple-choice contact (HUMAN_ANSWERS)."""
    offered_choices: Collection[str] = ()
    """The multiple-choice contacts whose choices each call gives in its `choices` arg."""
    humans: Mapping[str, str] = field(default_factory=dict)
    """Each human contact and its format: free_text, yes_no or multiple_choice."""
    approvals: Mapping[str, str] = field(default_factory=dict)
    """Each tool that may need approval: "always", or "if <its when expression>"."""
    terminals: Collection[str] = ()
    sub_agents: Mapping[str, str] = field(default_factory=dict)
    """Each sub-agent tool and the agent its calls run."""


@dataclass(frozen=True)
class Ask:
    """What a waiting thread asks of a person."""

    kind: AskKind
    intent: str
    call_id: str
    text: str | None  # the call's summary, the question or the escalation's reason
    args: dict[str, Any]
    choices: tuple[str, ...]
    asked_at: datetime | None
    deadline: str | None
    child_thread: str | None  # set when the call waits in a sub-agent's child thread


@dataclass(frozen=True)
class Entry:
    """One event of a thread as a person reads it."""

    kind: str  # a CSS class: message, call, ask, result, decision, error, note
    title: str
    text: str | None = None
    value: Any = None  # shown as a table, a list or text
    has_value: bool = False


@dataclass(frozen=True)
class PictureIntent:
    """An intent in the picture of the agent: what it is, and where its success leads."""

    name: str
    description: str
    marks: tuple[str, ...]
    leads_to: str | None


@dataclass(frozen=True)
class PictureState:
    """A control-flow state (None: an agent without states) and the intents allowed in it."""

    name: str | None
    initial: bool
    current: bool
    intents: tuple[PictureIntent, ...]


def ask_of(agent: InboxAgent, thread: Mapping[str, Any]) -> Ask | None:
    """What the thread waits for, or None when it waits for no one."""
    pending = thread.get("pending")
    if thread.get("status") not in WAITING or not isinstance(pending, dict):
        return None
    intent, args = str(pending.get("intent")), dict(pending.get("args") or {})
    kind: AskKind = "approval" if thread["status"] == "awaiting_approval" else "question"
    text: str | None = pending.get("summary")
    if intent == "escalation" and kind == "question":
        kind, text = "escalation", str(args.get("reason", ""))
    elif kind == "question":
        text = _question(args)
    return Ask(
        kind,
        intent,
        str(pending.get("call_id")),
        text,
        args,
        _choices(agent, intent, args) if kind == "question" else (),
        _time(pending.get("asked_at")),
        pending.get("deadline"),
        pending.get("thread_id"),
    )


def _question(args: Mapping[str, Any]) -> str | None:
    """A contact's question: its one text arg (the choices aside), else None (shown as a table)."""
    texts = [value for key, value in args.items() if key != "choices" and isinstance(value, str)]
    return texts[0] if len(texts) == 1 and len(args) - ("choices" in args) == 1 else None


def _choices(agent: InboxAgent, intent: str, args: Mapping[str, Any]) -> tuple[str, ...]:
    """The answers a person may pick, in order; () for free text."""
    if intent in agent.offered_choices and isinstance(args.get("choices"), list):
        return tuple(str(choice) for choice in args["choices"])
    return tuple(agent.answers.get(intent, ()))


def _time(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def waited(since: datetime | None, now: datetime) -> str:
    """How long ago `since` was, as a person says it: "4 min", "2 h 5 min", "3 d 1 h"."""
    if since is None:
        return "unknown"  # a thread stored before calls recorded when they began to wait
    seconds = max(int((now - since).total_seconds()), 0)
    days, hours, minutes = seconds // 86400, seconds // 3600 % 24, seconds // 60 % 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else "under a minute"


def picture(agent: InboxAgent, current: str | None) -> tuple[PictureState, ...]:
    """The agent's states, initial first, each with its intents; `current` is marked."""
    boxes = [
        PictureState(
            state,
            state is not None and state == agent.initial,
            state is not None and state == current,
            tuple(_picture_intent(agent, state, name) for name in names),
        )
        for state, names in agent.states.items()
    ]
    return tuple(sorted(boxes, key=lambda box: not box.initial))


def _picture_intent(agent: InboxAgent, state: str | None, name: str) -> PictureIntent:
    marks: list[str] = []
    if name in agent.approvals:
        marks.append(f"needs approval: {agent.approvals[name]}")
    if name in agent.humans:
        marks.append(f"asks a person ({agent.humans[name].replace('_', ' ')})")
    if name in agent.sub_agents:
        marks.append(f"runs the {agent.sub_agents[name]} agent")
    if name in agent.terminals:
        marks.append("ends the thread")
    spec = agent.intents.get(name)
    description = spec.description if spec is not None else ""
    return PictureIntent(name, description, tuple(marks), agent.transitions.get((state, name)))


def entries(events: Sequence[Mapping[str, Any]]) -> list[Entry]:
    """The thread's events as a person reads them, oldest first."""
    shown = (_entry(event) for event in events)
    return [entry for entry in shown if entry is not None]


def _entry(event: Mapping[str, Any]) -> Entry | None:
    kind = event.get("type")
    match kind:
        case "thread_started":
            return _with_value("note", "Thread started", event.get("vars") or None)
        case "user_message":
            return Entry("message", "Message", str(event.get("text", "")))
        case "input":
            return _with_value("message", "Input", event.get("payload"))
        case "tool_call":
            return _call(event)
        case "tool_result":
            return _with_value("result", f"{event.get('intent')} returned", event.get("result"))
        case "approval":
            return _decision(event)
        case "human_response":
            return Entry("decision", "A person answered", str(event.get("text", "")))
        case "model_call":
            return Entry("model", _model_call(event))
        case _:
            return _other(event)


def _with_value(kind: str, title: str, value: Any, text: str | None = None) -> Entry:
    return Entry(kind, title, text, value, has_value=value is not None)


def _call(event: Mapping[str, Any]) -> Entry:
    call = dict(event.get("call") or {})
    intent = call.pop("intent", "?")
    if event.get("awaiting") == "approval":
        return _with_value("ask", f"Asked for approval: {intent}", call, event.get("summary"))
    if event.get("awaiting") == "human":
        return _with_value("ask", f"Asked a person: {intent}", call)
    return _with_value("call", f"Called {intent}", call or None)


def _decision(event: Mapping[str, Any]) -> Entry:
    verdict = "Approved" if event.get("approved") else "Denied"
    edited = dict(event.get("edited") or {})
    edited.pop("intent", None)
    title = f"{verdict}, with edited args" if edited else verdict
    return _with_value("decision", title, edited or None, event.get("comment"))


def _model_call(event: Mapping[str, Any]) -> str:
    who = f"{event.get('provider')}:{event.get('model')}"
    if event.get("error"):
        return f"Model call to {who} failed: {event['error']}"
    tokens = f"{event.get('input_tokens') or 0} in, {event.get('output_tokens') or 0} out"
    return f"Model call to {who}: {event.get('latency_ms')} ms, {tokens} tokens"


def _other(event: Mapping[str, Any]) -> Entry:
    """The events people rarely need: errors, escalations, timeouts, summaries, pauses."""
    kind = event.get("type")
    if kind == "error":
        where = f" ({event['intent']})" if event.get("intent") else ""
        return Entry("error", f"Error from the {event.get('source')}{where}", event.get("message"))
    if kind == "escalation":
        return Entry("ask", "Asked a person to step in", event.get("reason"))
    if kind == "timeout":
        return Entry("error", f"No answer to {event.get('intent')} within {event.get('after')}")
    if kind == "summary":
        return Entry("note", "Older events summarized for the model", event.get("text"))
    if kind == "thread_paused":
        return Entry("note", "Paused", event.get("reason"))
    if kind == "thread_resumed":
        return Entry("note", "Resumed")
    if kind == "sub_agent":
        return Entry("note", f"Sub-agent thread {event.get('thread_id')}: {event.get('status')}")
    rest = {key: value for key, value in event.items() if key != "type"}
    return _with_value("note", str(kind), rest or None)
