"""Run every benchmark and print one markdown table: `bench/.env/bin/python bench/main.py`."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import (
    cold_start,
    concurrency,
    context_budget,
    engines,
    http_load,
    machine,
    mixed_thread,
    ours,
    report,
    sqlite_durable,
    suite,
    tracing,
)
from bench.stats import Row


def ints(text: str) -> tuple[int, ...]:
    """A comma-separated list of integers."""
    return tuple(int(part) for part in text.split(","))


def parse(argv: list[str] | None) -> suite.Config:
    """The configuration from the command line (the defaults are the full run)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", default="200,1000,2000", help="chain lengths for per step")
    parser.add_argument("--storage-sizes", default="200,2000", help="for storage and context")
    parser.add_argument("--agents", default="1,10,100", help="agent counts for generation")
    parser.add_argument("--max-run-seconds", type=float, default=90.0)
    parser.add_argument(
        "--sections",
        default=",".join(suite.SECTIONS),
        help=f"which parts to run, comma-separated (default: all of {','.join(suite.SECTIONS)})",
    )
    args = parser.parse_args(argv)
    sections = tuple(args.sections.split(","))
    unknown = sorted(set(sections) - set(suite.SECTIONS))
    if unknown:
        parser.error(f"unknown sections: {', '.join(unknown)}")
    return suite.Config(
        repeats=args.repeats,
        sizes=ints(args.sizes),
        storage_sizes=ints(args.storage_sizes),
        agent_counts=ints(args.agents),
        max_run_seconds=args.max_run_seconds,
        sections=sections,
    )


def run(config: suite.Config, workdir: Path) -> list[Row]:
    """Every section's rows, in table order."""
    config.peers = suite.load_peers()
    agent = ours.generate_agent(workdir)
    rows = suite.per_step_rows(config, agent, workdir) if "steps" in config.sections else []
    if "sqlite" in config.sections:
        rows += sqlite_durable.concurrency_rows(config.repeats, agent, workdir)
        rows += sqlite_durable.durable_step_rows(config.repeats, workdir)
    if "postgres" in config.sections:
        rows += concurrency.rows(config.repeats, agent)
        rows += http_load.rows(config.repeats, workdir / "pkgs")  # where generate_agent put it
    if "coldstart" in config.sections:
        rows += cold_start.rows(config.repeats, workdir)
    if "engines" in config.sections:
        rows += engines.rows(config.repeats, workdir)
    if "storage" in config.sections:
        rows += suite.storage_rows(config, agent, workdir)
    if "context" in config.sections:
        rows += suite.context_rows(config, agent)
        rows += mixed_thread.rows(suite.encoder())
        rows += context_budget.rows(suite.encoder(), workdir)
        rows += suite.growth_rows(config, agent, workdir)
    if "tracing" in config.sections:
        rows += tracing.rows(config.repeats, workdir)
    if "generation" in config.sections:
        rows += suite.generation_rows(config, workdir)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the suite in a temporary folder and print the report."""
    config = parse(argv)
    with tempfile.TemporaryDirectory(prefix="agentgen-bench-") as tmp:
        rows = run(config, Path(tmp))
    print(report.render(machine.describe(), rows, config.sizes, config.agent_counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
