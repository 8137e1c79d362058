"""The printed report: the machine, the table with ratios, and the targets met or missed."""

from __future__ import annotations

from . import (
    cold_start,
    concurrency,
    context_budget,
    http_load,
    mixed_thread,
    sqlite_durable,
    tracing,
)
from .stats import Row, fmt, table, target
from .suite import DURABLE, GENERATE, context_targets

OURS = "agentgen"


def baselines(rows: list[Row]) -> dict[tuple[str, str], Row]:
    """Our row for each (benchmark, size): what every other row there is compared with."""
    found: dict[tuple[str, str], Row] = {}
    for row in rows:
        if row.system.startswith(OURS) and row.value is not None:
            found.setdefault((row.benchmark, row.size), row)
    return found


def value(rows: list[Row], benchmark: str, system: str, size: str) -> float | None:
    """The value of one row, None when it is missing or n/a."""
    for row in rows:
        if (row.benchmark, row.system, row.size) == (benchmark, system, size):
            return row.value
    return None


def step_targets(rows: list[Row], sizes: tuple[int, ...]) -> list[str]:
    """Durable per step <= 0.3 ms, flat in N, and >= 10x faster than LangGraph + SQLite at 1000."""
    durable = [value(rows, DURABLE, "agentgen (SqliteStore)", f"N={n}") for n in sizes]
    known = [ms for ms in durable if ms is not None]
    worst = max(known) if known else None
    flat = known[-1] / known[0] if len(known) > 1 else None
    ours_1000 = value(rows, DURABLE, "agentgen (SqliteStore)", "N=1000")
    theirs = value(rows, DURABLE, "LangGraph + SqliteSaver", "N=1000")
    faster = theirs / ours_1000 if theirs and ours_1000 else None
    return [
        target("durable per step <= 0.3 ms (worst N)", worst, " ms", (worst or 0) <= 0.3),
        target("flat: largest N within 1.5x of smallest", flat, "x", (flat or 0) <= 1.5),
        target(
            ">= 10x faster than LangGraph + SqliteSaver, N=1000", faster, "x", (faster or 0) >= 10
        ),
    ]


def generation_targets(rows: list[Row], counts: tuple[int, ...]) -> list[str]:
    """100 agents generated in under 3 s, and the time per agent as the count grows."""
    seconds = {n: value(rows, GENERATE, "agentgen generate", f"{n} agents") for n in counts}
    hundred = seconds.get(100)
    per_agent = ", ".join(f"{n}: {fmt(s / n)} s" for n, s in seconds.items() if s is not None)
    return [
        target("generate 100 agents in under 3 s", hundred, " s", (hundred or 0) < 3),
        f"- generate time per agent (flat or falling when growth is linear): {per_agent}",
    ]


def render(machine: str, rows: list[Row], sizes: tuple[int, ...], counts: tuple[int, ...]) -> str:
    """The whole report as markdown."""
    targets = step_targets(rows, sizes) + generation_targets(rows, counts)
    return "\n\n".join(
        [
            machine,
            table(rows, baselines(rows)),
            "Targets (DESIGN.md section 6):\n" + "\n".join(targets),
            "Targets (issue 14, SQLite):\n" + "\n".join(sqlite_durable.targets(rows)),
            "Targets (issue 14, PostgreSQL):\n"
            + "\n".join(concurrency.targets(rows) + http_load.targets(rows)),
            "Targets (issue 14, cold start):\n" + "\n".join(cold_start.targets(rows)),
            "Targets (issue 15, context):\n"
            + "\n".join(
                context_targets(rows) + mixed_thread.targets(rows) + context_budget.targets(rows)
            ),
            "Targets (issue 17, tracing):\n" + "\n".join(tracing.targets(rows)),
        ]
    )
