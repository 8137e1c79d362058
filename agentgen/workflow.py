"""The jobs behind the commands: validate, then plan, then write or compare (one code path)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agentgen.config import Config
from agentgen.diagnostics import Diagnostic
from agentgen.plan import build_plan
from agentgen.specfiles import find_spec_files
from agentgen.sync import Change, apply, compare
from agentgen.validate import SpecResult, validate_file


@dataclass(frozen=True)
class Outcome:
    """What generate or check found: diagnostics when specs are invalid, else the changes."""

    results: list[SpecResult]
    changes: list[Change]

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for result in self.results for d in result.diagnostics]

    @property
    def valid(self) -> bool:
        return all(result.ok for result in self.results)


def validate_paths(paths: list[Path], config: Config) -> list[SpecResult]:
    """Validate every spec the paths name (default: the configured specs folder)."""
    return [validate_file(file) for file in find_spec_files(paths or [_relative(config.specs)])]


def plan_changes(
    paths: list[Path], config: Config, out: Path | None, templates: Path | None
) -> Outcome:
    """Validate, render and compare with the disk; nothing is written."""
    results = validate_paths(paths, config)
    if not all(result.ok for result in results):
        return Outcome(results, [])
    target = out or _relative(config.out)
    plan = build_plan(results, target, templates or config.templates)
    orphan_roots = (target,) if not paths else ()
    return Outcome(results, compare(plan, orphan_roots))


def generate(
    paths: list[Path], config: Config, out: Path | None, templates: Path | None
) -> Outcome:
    """Plan, then write the changes when every spec is valid."""
    outcome = plan_changes(paths, config, out, templates)
    if outcome.valid:
        apply(outcome.changes)
    return outcome


def _relative(path: Path) -> Path:
    """Show configured folders relative to the working directory, as users typed them."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
