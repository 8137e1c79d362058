"""`agentgen test`: validate, render in memory, import, then run every case of every spec."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from agentgen.config import Config
from agentgen.spec.model import CaseSection, Spec
from agentgen.testing._cases import CaseRun, run_case
from agentgen.testing._live import CachedModel, live_model
from agentgen.testing._packages import MemoryPackages, import_agents
from agentgen.validate import SpecResult
from agentgen.validate._positions import scan_positions
from agentgen.workflow import validate_paths

NO_MODEL = "live case: run with --model provider:name to check it"


@dataclass(frozen=True)
class TestOptions:
    """How to run: the live model (none skips live cases), runs per live case, the cache."""

    model: str | None = None
    repeat: int = 1
    min_pass: float = 1.0
    cache: Path | None = None


@dataclass(frozen=True)
class CaseReport:
    """Every run of one case, and where the case is written."""

    file: str
    line: int
    agent: str
    name: str
    live: bool
    runs: tuple[CaseRun, ...]
    skipped: str | None = None

    @property
    def pass_rate(self) -> float:
        passed = sum(1 for run in self.runs if run.verdict == "passed")
        return passed / len(self.runs) if self.runs else 0.0

    def verdict(self, min_pass: float) -> str:
        """passed, failed or skipped: a case passes when its pass rate reaches `min_pass`."""
        if self.skipped is not None:
            return "skipped"
        return "passed" if self.pass_rate >= min_pass else "failed"


@dataclass(frozen=True)
class Suite:
    """What `agentgen test` found: the specs' diagnostics, or the reports of their cases."""

    results: list[SpecResult]
    cases: list[CaseReport]

    @property
    def valid(self) -> bool:
        return all(result.ok for result in self.results)


def run_tests(paths: list[Path], config: Config, options: TestOptions) -> Suite:
    """Run the cases of every spec the paths name; nothing is written but the live cache."""
    results = validate_paths(paths, config)
    if not all(result.ok for result in results):
        return Suite(results, [])
    packages = import_agents(results, config)
    try:
        cases = asyncio.run(_run_all(results, packages, options))
    finally:
        packages.close()
    return Suite(results, cases)


async def _run_all(
    results: list[SpecResult], packages: MemoryPackages, options: TestOptions
) -> list[CaseReport]:
    reports = []
    for result, spec, index, case in _cases(results):
        package = packages.agent(spec.agent.name)
        reports.append(await _report(result.name, package, spec, index, case, options))
    return reports


def _cases(results: list[SpecResult]) -> Iterator[tuple[SpecResult, Spec, int, CaseSection]]:
    for result in results:
        assert result.spec is not None
        for index, case in enumerate(result.spec.tests):
            yield result, result.spec, index, case


async def _report(
    file: str, package: ModuleType, spec: Spec, index: int, case: CaseSection, options: TestOptions
) -> CaseReport:
    line = _line(file, index)
    where = (file, line, spec.agent.name, case.name, case.live)
    if not case.live:
        return CaseReport(*where, (await run_case(package, spec, case, None),))
    if options.model is None:
        return CaseReport(*where, (), skipped=NO_MODEL)
    model = live_model(options.model, package.agent.MODEL)
    runs = []
    for run in range(options.repeat):
        cached = CachedModel(model, options.model, run, options.cache)
        runs.append(await run_case(package, spec, case, cached))
    return CaseReport(*where, tuple(runs))


def _line(file: str, index: int) -> int:
    text = Path(file).read_text(encoding="utf-8-sig")
    return scan_positions(text).key(("tests", index)).line
