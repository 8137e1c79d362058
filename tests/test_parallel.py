"""ordered_map: worker processes for many items, this process for few, and failures told."""

from __future__ import annotations

import os
import signal

import pytest

from agentgen.parallel import MIN_ITEMS_PER_WORKER, WorkerDied, available_cpus, ordered_map


def square_and_pid(number: int) -> tuple[int, int]:
    return number * number, os.getpid()


def refuse_seven(number: int) -> int:
    if number == 7:
        raise ValueError(f"seven is refused (in process {os.getpid()})")
    return number


def die_on_three(number: int) -> int:
    if number == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return number


def test_many_items_run_in_other_processes_and_keep_their_order() -> None:
    results = ordered_map(square_and_pid, list(range(40)), jobs=2)
    assert [square for square, _ in results] == [n * n for n in range(40)]
    assert os.getpid() not in {pid for _, pid in results}


def test_few_items_or_one_job_run_in_this_process() -> None:
    few = list(range(2 * MIN_ITEMS_PER_WORKER - 1))
    for items, jobs in [(few, 8), (list(range(40)), 1)]:
        results = ordered_map(square_and_pid, items, jobs)
        assert [square for square, _ in results] == [n * n for n in items]
        assert {pid for _, pid in results} == {os.getpid()}


def test_an_exception_in_a_worker_reaches_the_caller_unchanged() -> None:
    with pytest.raises(ValueError, match=r"^seven is refused \(in process \d+\)$") as raised:
        ordered_map(refuse_seven, list(range(20)), jobs=2)
    assert f"in process {os.getpid()})" not in str(raised.value)


def test_a_worker_that_dies_is_reported_not_waited_for() -> None:
    with pytest.raises(WorkerDied, match=r"^a worker process died: "):
        ordered_map(die_on_three, list(range(20)), jobs=2)


def test_available_cpus_is_at_least_one() -> None:
    assert 1 <= available_cpus() <= (os.cpu_count() or 1)
