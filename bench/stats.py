"""Timing, the result rows and the one markdown table they make."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One measured line of the table; `value` is None when the system could not run."""

    benchmark: str
    system: str
    size: str
    value: float | None
    unit: str
    note: str = ""


def median(values: Iterable[float]) -> float:
    """The median of a non-empty series."""
    return statistics.median(list(values))


def timed(action: Callable[[], object]) -> float:
    """Seconds that one call of `action` takes."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median_ms(action: Callable[[], object], repeats: int) -> float:
    """Median milliseconds of `repeats` calls of `action`."""
    return median(timed(action) for _ in range(repeats)) * 1000


def target(label: str, measured: float | None, unit: str, met: bool) -> str:
    """One line of the report's targets: the target, what was measured, and whether it is met."""
    if measured is None:
        return f"- {label}: not measured"
    return f"- {label}: {fmt(measured)}{unit}: {'met' if met else 'MISSED'}"


def quotient(top: float | None, bottom: float | None) -> float | None:
    """`top / bottom`, or None when either is missing or `bottom` is 0."""
    return top / bottom if top is not None and bottom else None


def fmt(value: float) -> str:
    """A number with about three significant digits, no exponent."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def ratio(row: Row, baseline: Row | None) -> str:
    """How many times `row`'s value is the baseline's (ours), or blank."""
    if baseline is None or row is baseline or row.value is None or not baseline.value:
        return ""
    return f"{fmt(row.value / baseline.value)}x"


def table(rows: list[Row], baselines: dict[tuple[str, str], Row]) -> str:
    """The markdown table; ratios compare each row with ours at the same benchmark and size."""
    lines = [
        "| benchmark | system | size | median | unit | vs agentgen | note |",
        "|---|---|---|---:|---|---:|---|",
    ]
    for row in rows:
        value = "n/a" if row.value is None else fmt(row.value)
        base = baselines.get((row.benchmark, row.size))
        lines.append(
            f"| {row.benchmark} | {row.system} | {row.size} | {value} | {row.unit} "
            f"| {ratio(row, base)} | {row.note} |"
        )
    return "\n".join(lines)
