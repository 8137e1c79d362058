"""Thread stores: append-only event logs keyed by (thread_id, seq), and the threads' leases."""

from __future__ import annotations

import time
from collections.abc import Sequence
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


class ThreadBusy(AgentgenError, RuntimeError):
    """Another live worker holds the thread's lease: it is advancing the thread right now."""

    http_status = 409

    def __init__(self, thread_id: str) -> None:
        super().__init__(
            f"thread '{thread_id}' is being advanced by another worker; try again when it pauses"
        )
        self.thread_id = thread_id


class StoreUnavailable(AgentgenError, RuntimeError):
    """The store cannot be opened, read or written: corrupted, read-only, full or unreachable."""

    http_status = 503

    def __init__(self, store: str, action: str, cause: str) -> None:
        super().__init__(f"store '{store}' cannot be {action}: {cause}")
        self.store = store


class Store(Protocol):
    """Where threads live: each append is one transaction; events are never changed.

    A store of your own implements every method here, the leases included: they are what keeps
    two workers from advancing one thread at once (see MemoryStore for the plainest version).
    """

    async def append(self, thread_id: str, seq: int, event_json: str) -> None:
        """Store event `seq` (0, 1, 2, ...); ThreadConflict unless the thread has `seq` events."""
        ...

    async def append_many(self, thread_id: str, seq: int, events_json: Sequence[str]) -> None:
        """Store events `seq`, `seq + 1`, ... in one transaction: all of them, or none."""
        ...

    async def load(self, thread_id: str) -> list[str]:
        """The thread's events as JSON, in seq order; ThreadNotFound when it has none."""
        ...

    async def thread_ids(self) -> list[str]:
        """Every stored thread's id, sorted."""
        ...

    async def acquire_lease(self, thread_id: str, owner: str, ttl_s: float) -> bool:
        """Take or renew the thread's lease for `ttl_s` seconds, in one atomic step.

        True when `owner` holds it now: it was free, expired, or already `owner`'s. False when
        another owner holds a lease that has not expired; then nothing changes.
        """
        ...

    async def release_lease(self, thread_id: str, owner: str) -> None:
        """Give the thread's lease up, if `owner` still holds it."""
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
        self._leases: dict[str, tuple[str, float]] = {}  # thread_id: (owner, monotonic expiry)

    async def append(self, thread_id: str, seq: int, event_json: str) -> None:
        """Store event `seq`; ThreadConflict unless the thread has exactly `seq` events."""
        await self.append_many(thread_id, seq, (event_json,))

    async def load(self, thread_id: str) -> list[str]:
        """The thread's events as JSON, in seq order."""
        events = self._threads.get(thread_id)
        if not events:
            raise ThreadNotFound(thread_id)
        return list(events)

    async def append_many(self, thread_id: str, seq: int, events_json: Sequence[str]) -> None:
        """Store events `seq`, `seq + 1`, ...: all of them, or none."""
        check_seq(seq)
        events = self._threads.get(thread_id)
        length = 0 if events is None else len(events)
        if seq != length:
            raise conflict(thread_id, seq, length)
        if events_json:
            self._threads.setdefault(thread_id, []).extend(events_json)

    async def thread_ids(self) -> list[str]:
        """Every thread's id, sorted."""
        return sorted(self._threads)

    async def acquire_lease(self, thread_id: str, owner: str, ttl_s: float) -> bool:
        """Take or renew the lease, unless another owner holds a live one."""
        now = time.monotonic()
        holder = self._leases.get(thread_id)
        if holder is not None and holder[0] != owner and holder[1] > now:
            return False
        self._leases[thread_id] = (owner, now + ttl_s)
        return True

    async def release_lease(self, thread_id: str, owner: str) -> None:
        """Drop the lease if `owner` holds it."""
        holder = self._leases.get(thread_id)
        if holder is not None and holder[0] == owner:
            del self._leases[thread_id]
