"""What generate, check and diff found, as a summary line, JSON, or GitHub annotations."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from agentgen.diagnostics import Diagnostic, Severity
from agentgen.sync import FileUpdate, Stale, unified_diff
from agentgen.workflow import Outcome

AGENT_STATES = ("created", "updated", "with conflicts", "unchanged")


def conflict_lines_text(update: FileUpdate) -> str:
    """`12, 40`: the lines where a file's conflicts start."""
    return ", ".join(str(line) for line in update.conflicts)


def needs_you(update: FileUpdate) -> bool:
    """Whether a file's update needs the user: a conflict, a file left alone, or an edited unit
    kept although the spec no longer produces it."""
    return bool(update.conflicts or update.units.orphans) or update.kind in ("skip", "keep")


def agents_summary(outcome: Outcome) -> str:
    """`3 agents: 2 updated, 1 unchanged`: each agent by what happened to its package."""
    packages = outcome.plan.packages if outcome.plan is not None else ()
    states = [_agent_state(_updates_in(outcome.updates, package)) for package in packages]
    counts = [f"{states.count(state)} {state}" for state in AGENT_STATES if state in states]
    agents = len(outcome.results)
    summary = f"{agents} agent{'' if agents == 1 else 's'}: {', '.join(counts) or 'none'}"
    removed = [u for u in outcome.updates if u.kind == "delete" and not _inside(u.path, packages)]
    if removed:
        summary += (
            f"; {len(removed)} file{'' if len(removed) == 1 else 's'} of removed specs deleted"
        )
    return summary


def _agent_state(updates: list[FileUpdate]) -> str:
    shown = [update for update in updates if update.kind != "baseline"]
    if any(update.conflicts for update in shown):
        return "with conflicts"
    if not shown:
        return "unchanged"
    return "created" if all(update.kind == "create" for update in shown) else "updated"


def _updates_in(updates: Iterable[FileUpdate], package: Path) -> list[FileUpdate]:
    return [update for update in updates if package in update.path.parents]


def _inside(path: Path, packages: tuple[Path, ...]) -> bool:
    return any(package in path.parents for package in packages)


def files_json(outcome: Outcome) -> dict[str, Any]:
    """generate's result: the agents, and each file it changed or left for the user."""
    return {
        "summary": agents_summary(outcome),
        "files": [
            {"path": u.path.as_posix(), "kind": u.kind, "conflicts": list(u.conflicts)}
            for u in outcome.updates
            if u.kind != "baseline"
        ],
    }


def diffs_json(updates: list[FileUpdate], root: Path) -> list[dict[str, Any]]:
    """diff's result: each file generate would change, with its unified diff."""
    return [
        {
            "path": update.path.as_posix(),
            "kind": update.kind,
            "conflicts": list(update.conflicts),
            "diff": unified_diff([update], root),
        }
        for update in updates
        if update.changes_disk
    ]


def update_annotations(updates: list[FileUpdate]) -> list[str]:
    """A GitHub annotation per file: an error for a conflict, a notice for a change."""
    notes = []
    for update in updates:
        if update.kind == "baseline" or (not update.changes_disk and not needs_you(update)):
            continue
        path = update.path.as_posix()
        if update.conflicts:
            lines = conflict_lines_text(update)
            notes.append(_note(path, update.conflicts[0], "error", f"conflict at line {lines}"))
        elif needs_you(update):
            notes.append(_note(path, 1, "warning", f"left alone: {update.kind}"))
        else:
            notes.append(_note(path, 1, "notice", update.kind))
    return notes


def stale_annotations(reasons: list[Stale], fix: str) -> list[str]:
    """A GitHub error annotation per reason check fails."""
    return [_note(r.path, r.line or 1, "error", f"{r.reason}: {fix}") for r in reasons]


def _note(path: str, line: int, severity: Severity, message: str) -> str:
    return Diagnostic(path, line, 1, "agentgen", message, None, severity).github()
