"""Thread leases: the one worker advancing a thread holds its lease until the run stops.

A run (a launch or a resume) takes the lease before it reads or writes the thread, renews it in
the background every third of its time to live, and gives it up when it stops. Another worker's
attempt meanwhile is refused with ThreadBusy. A lease that expires belongs to a dead worker: the
next run may take it, and escalates the call that worker left unfinished.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator

from ._settings import env_seconds
from ._stores import Store, ThreadBusy

DEFAULT_LEASE_TTL_S = 30.0
STOP_WAIT_S = 5.0  # how long a run's end waits for a renewal under way before cancelling it
LEASE_TTL_ENV = "AGENTGEN_LEASE_TTL_S"
_log = logging.getLogger("agentgen.leases")


def lease_ttl_s() -> float:
    """How long a lease lives unless renewed: $AGENTGEN_LEASE_TTL_S, else 30 seconds."""
    return env_seconds(LEASE_TTL_ENV, DEFAULT_LEASE_TTL_S)


def new_owner() -> str:
    """A lease holder's id: its host and process (for people reading the table), and a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(6)}"


@contextlib.asynccontextmanager
async def hold_lease(
    store: Store, thread_id: str, ttl_s: float | None = None
) -> AsyncIterator[str]:
    """Hold the thread's lease while the block runs (its owner id); ThreadBusy if it is taken."""
    ttl = lease_ttl_s() if ttl_s is None else ttl_s
    owner = new_owner()
    if not await store.acquire_lease(thread_id, owner, ttl):
        raise ThreadBusy(thread_id)
    stopping = asyncio.Event()
    renewal = asyncio.create_task(_renew(store, thread_id, owner, ttl, stopping))
    try:
        yield owner
    except BaseException:
        await _stop(renewal, stopping)
        # the run's own error says more than a failed release; the lease expires anyway
        with contextlib.suppress(Exception):
            await store.release_lease(thread_id, owner)
        raise
    await _stop(renewal, stopping)
    await store.release_lease(thread_id, owner)


async def _renew(
    store: Store, thread_id: str, owner: str, ttl_s: float, stopping: asyncio.Event
) -> None:
    """Extend the lease every ttl/3 while the run goes on, model and handler calls included."""
    while not await _set_within(stopping, ttl_s / 3):
        try:
            held = await store.acquire_lease(thread_id, owner, ttl_s)
        except Exception as error:  # a blip: the next renewal is still in time
            _log.warning("could not renew the lease of thread %r: %s", thread_id, error)
            continue
        if not held:  # it expired (the loop was held up) and another worker took the thread
            _log.warning("lost the lease of thread %r to another worker", thread_id)
            return


async def _set_within(event: asyncio.Event, seconds: float) -> bool:
    """Whether `event` is set within `seconds`."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)
    return event.is_set()


async def _stop(task: asyncio.Task[None], stopping: asyncio.Event) -> None:
    """Stop the renewal; one under way lands first, so that it cannot retake a released lease."""
    # (a cancelled renewal's statement may already be on its way to the database, or in a
    # batch of other threads' renewals, and commit after the release)
    stopping.set()
    _, pending = await asyncio.wait([task], timeout=STOP_WAIT_S)
    if pending:  # the store hangs: the lease expires on its own
        task.cancel()
        await asyncio.wait([task])  # unlike `await task`, never mistakes its cancellation for ours
