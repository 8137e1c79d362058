"""The one limit on JSON values that enter a thread, shared by every writer and reader.

A value the store accepts must load again: deeper nesting than the reader allows, integers
Python cannot print back, or text that is not UTF-8 would brick the thread it lands in.
"""

from __future__ import annotations

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError

from ._base import AgentgenError

MAX_JSON_DEPTH = 64
"""Arrays and objects nested in one value; the readers allow far more, event and list around it."""
MAX_EVENT_CHARS = 1024 * 1024
"""Characters of one stored event's JSON."""
MAX_ID_CHARS = 128
"""Characters of an id a person sends back (ours are 29: `call_` and 24 hex digits)."""
MAX_TEXT_CHARS = 100_000
"""Characters of a text a person sends: a message, an answer, a comment."""
MAX_INTEGER = 2**63 - 1
"""Integers are 64-bit signed, as JSON readers and databases agree on; beyond is refused."""


class ValueRefused(AgentgenError, ValueError):
    """A value that would make its thread unreadable; nothing was stored."""

    http_status = 422


def check_json_value(value: object, what: str) -> None:
    """Refuse `value` (named `what` in the error) when it breaks the thread's limits."""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:  # iterative: a value too deep for recursion gets its error too
        item, depth = stack.pop()
        if isinstance(item, dict | list | tuple):
            if depth >= MAX_JSON_DEPTH:
                raise ValueRefused(f"{what} is nested deeper than {MAX_JSON_DEPTH} levels")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
            if isinstance(item, dict):
                stack.extend((key, depth + 1) for key in item)
        elif isinstance(item, str):
            _check_text(item, what)
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > MAX_INTEGER:
            raise ValueRefused(f"{what} holds an integer beyond 64 bits")


def event_json(event: BaseModel) -> str:
    """The event as stored: UTF-8 JSON of at most MAX_EVENT_CHARS characters, or ValueRefused."""
    what = f"the {getattr(event, 'type', 'thread')} event"
    try:
        text = event.model_dump_json()
    except PydanticSerializationError:  # the one way a validated event fails: a lone surrogate
        raise ValueRefused(f"{what} holds a lone surrogate: it is not UTF-8 text") from None
    if len(text) > MAX_EVENT_CHARS:
        raise ValueRefused(
            f"{what} is too large: {len(text):,} characters of JSON (at most {MAX_EVENT_CHARS:,})"
        )
    return text


def _check_text(text: str, what: str) -> None:
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueRefused(f"{what} holds a lone surrogate: it is not UTF-8 text") from None
