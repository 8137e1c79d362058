"""Following a thread as it grows: the events any process appends, read back from the store.

Polling the store is what lets a follower see the events of every worker and process alike (a
notification inside one process would miss the others). Each poll is one `store.load` of the
thread's rows, as JSON text: only the new ones are parsed, for their type.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncGenerator
from typing import NamedTuple

from ._settings import env_seconds
from ._stores import Store

FOLLOW_POLL_ENV = "AGENTGEN_FOLLOW_POLL_S"
KEEPALIVE_ENV = "AGENTGEN_KEEPALIVE_S"
DEFAULT_FOLLOW_POLL_S = 0.25
DEFAULT_KEEPALIVE_S = 15.0
KEEPALIVE = ": keep-alive\n\n"
"""An SSE comment: clients ignore it, and proxies see a connection that is not idle."""

# SSE ends a line at CR, LF or CRLF only: str.splitlines() would also split at U+2028 or U+0085,
# which JSON text may hold raw, and so corrupt the data
_SSE_LINES = re.compile(r"\r\n|\r|\n")


class StoredEvent(NamedTuple):
    """One event as the store holds it: its seq, its `type` and its JSON text."""

    seq: int
    type: str
    json: str


def follow_poll_s() -> float:
    """How often a follower reads the store: $AGENTGEN_FOLLOW_POLL_S, else 0.25 seconds."""
    return env_seconds(FOLLOW_POLL_ENV, DEFAULT_FOLLOW_POLL_S)


def keepalive_s() -> float:
    """How often a quiet event stream sends a keep-alive: $AGENTGEN_KEEPALIVE_S, else 15 s."""
    return env_seconds(KEEPALIVE_ENV, DEFAULT_KEEPALIVE_S)


async def follow_events(
    store: Store, thread_id: str, after: int = -1, *, poll_s: float | None = None
) -> AsyncGenerator[list[StoredEvent], None]:
    """Each poll's newly stored events with seq > `after`, in order; [] when none came.

    Runs until the caller stops iterating; ThreadNotFound when the thread has no events.
    """
    wait = follow_poll_s() if poll_s is None else poll_s
    next_seq = after + 1
    while True:
        rows = await store.load(thread_id)
        yield [stored_event(seq, rows[seq]) for seq in range(next_seq, len(rows))]
        next_seq = max(next_seq, len(rows))
        await asyncio.sleep(wait)


def stored_event(seq: int, text: str) -> StoredEvent:
    """The event stored at `seq`, with its type read from its JSON."""
    data = json.loads(text)
    kind = data.get("type") if isinstance(data, dict) else None
    if not (isinstance(kind, str) and kind.isidentifier()):  # it would break the `event:` line
        kind = "message"  # SSE's default event
    return StoredEvent(seq, kind, text)


def sse_message(event: StoredEvent) -> str:
    """The event as one Server-Sent Events message: `id: seq`, `event: type`, `data: JSON`."""
    data = "".join(f"data: {line}\n" for line in _SSE_LINES.split(event.json))
    return f"id: {event.seq}\nevent: {event.type}\n{data}\n"
