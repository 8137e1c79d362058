"""Thread stores: append-only event logs keyed by (thread_id, seq)."""

from __future__ import annotations

from typing import Protocol

from ._base import AgentgenError


class ThreadNotFound(AgentgenError, LookupError):
    """No events are stored for this thread."""

    http_status = 404

    def __init__(self, thread_id: str) -> None:
        super().__init__(f"no thread '{thread_id}'")
        self.thread_id = thread_id


class ThreadConflict(AgentgenError, RuntimeError):
    """An append that does not extend the thread by exactly one event; nothing was written."""

    http_status = 409


class Store(Protocol):
    """Where threads live: each append is one transaction; events are never changed."""

    async def append(self, thread_id: str, seq: int, event_json: str) -> None:
        """Store event `seq` (0, 1, 2, ...); ThreadConflict unless the thread has `seq` events."""
        ...

    async def load(self, thread_id: str) -> list[str]:
        """The thread's events as JSON, in seq order; ThreadNotFound when it has none."""
        ...

    async def thread_ids(self) -> list[str]:
        """Every stored thread's id, sorted."""
        ...


def conflict(thread_id: str, seq: int, length: int) -> ThreadConflict:
    """The error for appending event `seq` to a thread that has `length` events."""
    if seq < length:
        return ThreadConflict(
            f"thread '{thread_id}' was changed by another writer (event {seq} already exists)"
        )
    return ThreadConflict(
        f"thread '{thread_id}' has {length} events; appending event {seq} would leave a gap"
    )


def check_seq(seq: int) -> None:
    """Refuse a seq that can never be valid."""
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ValueError(f"seq must be an integer >= 0, got {seq!r}")


class MemoryStore:
    """Threads in this process's memory: for tests and throwaway runs."""

    def __init__(self) -> None:
        self._threads: dict[str, list[str]] = {}

    async def append(self, thread_id: str, seq: int, event_json: str) -> None:
        """Store event `seq`; ThreadConflict unless the thread has exactly `seq` events."""
        check_seq(seq)
        events = self._threads.get(thread_id)
        length = 0 if events is None else len(events)
        if seq != length:
            raise conflict(thread_id, seq, length)
        if events is None:
            self._threads[thread_id] = [event_json]
        else:
            events.append(event_json)

    async def load(self, thread_id: str) -> list[str]:
        """The thread's events as JSON, in seq order."""
        events = self._threads.get(thread_id)
        if not events:
            raise ThreadNotFound(thread_id)
        return list(events)

    async def thread_ids(self) -> list[str]:
        """Every thread's id, sorted."""
        return sorted(self._threads)
