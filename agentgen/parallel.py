"""Run one function over many items in worker processes, keeping their order."""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# Below this many items per worker, starting the workers costs more than they save.
MIN_ITEMS_PER_WORKER = 2


class WorkerDied(Exception):
    """A worker process ended without an answer (killed, or out of memory)."""


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity, where the OS tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def ordered_map(
    function: Callable[[Item], Result], items: Sequence[Item], jobs: int
) -> list[Result]:
    """`[function(item) for item in items]`, spread over up to `jobs` processes.

    `function` must be a module-level function; its exceptions reach the caller unchanged.
    """
    workers = min(jobs, len(items) // MIN_ITEMS_PER_WORKER)
    if workers < 2:
        return [function(item) for item in items]
    try:
        with ProcessPoolExecutor(workers, mp_context=_start_method()) as pool:
            # One item at a time: an idle worker takes the next, so all finish together.
            return list(pool.map(function, items))
    except BrokenProcessPool as error:
        raise WorkerDied(f"a worker process died: {error}") from error


def _start_method() -> multiprocessing.context.BaseContext:
    # fork starts a worker in milliseconds, with everything already imported; elsewhere
    # (macOS, Windows) fork is unsafe or missing, and spawn imports agentgen in each worker.
    return multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
