"""Plain-text views of a thread for people at a terminal."""

from __future__ import annotations

import json
from typing import Any

from ._yaml import to_yaml


def describe_thread(thread: dict[str, Any], command: str) -> str:
    """The thread's status and, when a person is needed, what is asked and how to answer."""
    ended_by = f" ({thread['ended_by']})" if thread.get("ended_by") else ""
    lines = [f"thread {thread['id']}: {thread['status']}{ended_by}"]
    pending = thread.get("pending")
    if thread["status"] == "awaiting_approval" and pending:
        lines += _pending_call(pending, "wants approval")
        lines.append(f"  approve: {command} resume {thread['id']} --approve")
        lines.append(f'  deny:    {command} resume {thread["id"]} --deny "why"')
    elif thread["status"] == "awaiting_human" and pending:
        lines += _pending_call(pending, "asks")
        lines.append(f'  answer:  {command} resume {thread["id"]} --answer "..."')
    elif thread["status"] == "paused":
        lines.append(f"  continue: {command} resume {thread['id']}")
    elif thread["status"] == "done":
        lines += _indented(_final_args(thread))
    usage = thread.get("usage")
    if usage and usage["model_calls"]:
        lines.append(f"  usage: {usage_text(usage)}")
    return "\n".join(lines)


def usage_text(usage: dict[str, Any]) -> str:
    """`3 model calls, 2,200 input tokens (1,280 cached), 60 output, 1.20 s, $0.000270`."""
    calls = usage["model_calls"]
    parts = [
        f"{calls} model call{'' if calls == 1 else 's'}",
        f"{usage['input_tokens']:,} input tokens ({usage['cached_tokens']:,} cached)",
        f"{usage['output_tokens']:,} output",
        f"{usage['latency_ms'] / 1000:.2f} s",
    ]
    if usage.get("cost_usd") is not None:
        parts.append(f"${usage['cost_usd']:.6f}")
    if usage.get("unpriced"):
        parts.append(f"no price for {', '.join(usage['unpriced'])}")
    return ", ".join(parts)


def parse_var(text: str) -> tuple[str, Any]:
    """`name=value` from the command line; the value is JSON when it parses, else a string."""
    name, separator, value = text.partition("=")
    if not separator or not name:
        raise ValueError(f"expected NAME=VALUE, got {text!r}")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


def _pending_call(pending: dict[str, Any], verb: str) -> list[str]:
    head = f"  {pending['intent']} {verb} (call {pending['call_id']}):"
    summary = [f"    {line}" for line in (pending.get("summary") or "").splitlines()]
    due = [f"    times out at {pending['deadline']}"] if pending.get("deadline") else []
    return [head, *summary, *_indented(pending.get("args") or {}, "    "), *due]


def _final_args(thread: dict[str, Any]) -> dict[str, Any]:
    """The args of the terminal intent that ended the thread."""
    calls = [event for event in thread["events"] if event.get("type") == "tool_call"]
    if not calls:
        return {}
    return {k: v for k, v in calls[-1]["call"].items() if k != "intent"}


def _indented(body: dict[str, Any], prefix: str = "  ") -> list[str]:
    return [prefix + line for line in to_yaml(body).splitlines()]
