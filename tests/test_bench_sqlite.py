"""The SQLite bench rows (bench/sqlite_durable.py) on tiny sizes: they run, and name targets."""

from __future__ import annotations

from pathlib import Path

from bench import ours, sqlite_durable
from bench.stats import Row


def test_the_sqlite_rows_measure_ours_against_their_floors(tmp_path: Path) -> None:
    agent = ours.generate_agent(tmp_path / "agent")
    rows = sqlite_durable.concurrency_rows(1, agent, tmp_path, threads=3)
    rows += sqlite_durable.durable_step_rows(1, tmp_path, steps=3)
    found = {(row.benchmark, row.system): row for row in rows}
    for benchmark in (sqlite_durable.CONCURRENT, sqlite_durable.LAG):
        for system in (sqlite_durable.OURS, sqlite_durable.MEMORY, sqlite_durable.IDEAL):
            value = found[(benchmark, system)].value
            assert value is not None and value >= 0
    ideal = found[(sqlite_durable.CONCURRENT, sqlite_durable.IDEAL)].value
    assert ideal is not None and ideal >= 0.2  # 11 model calls of 20 ms, one after the other
    for system in (sqlite_durable.OURS, sqlite_durable.FLOOR):
        step = found[(sqlite_durable.STEP, system)]
        assert step.value is not None and step.value > 0 and step.size == "N=3"
    lines = sqlite_durable.targets(rows)
    assert [line.split(":")[0] for line in lines] == [
        "- 200 concurrent threads on SQLite within 3x of ideal",
        "- event-loop lag p50 under 5 ms (SQLite)",
        "- durable tool step within 1.5x of its floor",
    ]
    assert sqlite_durable.targets([Row("x", "y", "z", 1.0, "s")])[0].endswith("not measured")
