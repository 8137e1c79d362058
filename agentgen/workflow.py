"""The jobs behind the commands: validate, then plan, then write or compare (one code path)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from agentgen.config import Config
from agentgen.diagnostics import Diagnostic
from agentgen.parallel import ordered_map
from agentgen.plan import Plan, build_plan
from agentgen.specfiles import find_spec_files
from agentgen.sync import FileUpdate, Stale, apply, plan_updates, stale_reasons
from agentgen.validate import SpecResult, validate_file
from agentgen.validate._agents import check_sub_agents
from agentgen.validate._positions import scan_positions


@dataclass(frozen=True)
class Outcome:
    """What generate or check found: diagnostics when specs are invalid, else the changes."""

    results: list[SpecResult]
    updates: list[FileUpdate]
    plan: Plan | None = None
    orphan_roots: tuple[Path, ...] = ()

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for result in self.results for d in result.diagnostics]

    @property
    def valid(self) -> bool:
        return all(result.ok for result in self.results)


def validate_paths(paths: list[Path], config: Config, jobs: int = 1) -> list[SpecResult]:
    """Validate every spec the paths name (default: the configured specs folder)."""
    files = find_spec_files(paths or [_relative(config.specs)])
    return check_sub_agents(_unique_agents(ordered_map(validate_file, files, jobs), files), files)


def _unique_agents(results: list[SpecResult], files: list[Path]) -> list[SpecResult]:
    """Two specs of one agent name would write one package: the later one is an error."""
    owners: dict[str, str] = {}
    checked = []
    for result, file in zip(results, files, strict=True):
        if result.spec is None or result.spec.agent.name not in owners:
            if result.spec is not None:
                owners[result.spec.agent.name] = result.name
            checked.append(result)
            continue
        name = result.spec.agent.name
        where = scan_positions(file.read_text(encoding="utf-8-sig")).value(("agent", "name"))
        message = f"duplicate agent name '{name}': {owners[name]} already uses it"
        hint = "rename one of the agents: its name is the name of its package"
        duplicate = Diagnostic(result.name, where.line, where.column, "AG022", message, hint)
        checked.append(SpecResult(result.name, None, [*result.diagnostics, duplicate]))
    return checked


def plan_changes(
    paths: list[Path], config: Config, out: Path | None, templates: Path | None, jobs: int = 1
) -> Outcome:
    """Validate, render (on up to `jobs` processes) and compare with the disk; writes nothing."""
    results = validate_paths(paths, config, jobs)
    if not all(result.ok for result in results):
        return Outcome(results, [])
    target = out or _relative(config.out)
    plan = build_plan(results, target, templates or config.templates, jobs)
    # Only a run over the whole specs folder may retire packages whose spec is gone.
    orphan_roots = (target,) if not paths else ()
    return Outcome(results, plan_updates(plan, orphan_roots), plan, orphan_roots)


def check_reasons(outcome: Outcome, strict: bool) -> list[Stale]:
    """Why the committed code is not what the specs generate (empty: it is)."""
    if outcome.plan is None:
        return []
    return stale_reasons(outcome.plan, outcome.orphan_roots, strict)


def generate(
    paths: list[Path], config: Config, out: Path | None, templates: Path | None, jobs: int = 1
) -> Outcome:
    """Plan, then write the changes when every spec is valid."""
    outcome = plan_changes(paths, config, out, templates, jobs)
    if outcome.valid:
        apply(outcome.updates)
    return outcome


def _relative(path: Path) -> Path:
    """Show configured folders relative to the working directory, as users typed them."""
    try:
        # relpath, not relative_to: from a subfolder of the project it is `../specs`.
        return Path(os.path.relpath(path, Path.cwd()))
    except ValueError:
        return path
