"""Bring the disk in line with a plan without losing an edit: generate, check and diff share this.

Beside each package agentgen keeps the baseline, the pristine copy of what it last generated
(`<package>/.agentgen-baseline/<file>`). Comparing the baseline, the user's file and the new
output decides each file: untouched files are replaced, edited ones are merged three ways,
conflicts are written with markers, and nothing the user wrote is dropped.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agentgen.merge import append_handlers, conflict_lines, merge_three, missing_handlers
from agentgen.merge_units import merge_units
from agentgen.plan import Plan, PlannedFile

BASELINE_DIR = ".agentgen-baseline"
STRICT_REASON = "edited by hand (--strict)"

UpdateKind = Literal[
    "create",
    "update",
    "merge",
    "conflict",
    "recreate",
    "delete",
    "keep",
    "stubs",
    "baseline",
    "skip",
]


@dataclass(frozen=True)
class UnitNotes:
    """What a merge by units did with the user's edits, unit by unit (names for people)."""

    kept: tuple[str, ...] = ()
    conflicting: tuple[tuple[str, int], ...] = ()
    """(unit, the line of its first conflict marker)"""
    orphans: tuple[tuple[str, int], ...] = ()
    """(unit, its line): edited by the user, no longer generated, kept"""


@dataclass(frozen=True)
class FileUpdate:
    """What generate does to one file: its text on disk and its baseline, before and after."""

    path: Path
    kind: UpdateKind
    old: str | None
    new: str | None
    baseline: str | None
    conflicts: tuple[int, ...] = ()
    units: UnitNotes = UnitNotes()
    """A Python file merged by units: which kept the user's edits, conflict, or outlive the spec."""

    @property
    def baseline_path(self) -> Path:
        return baseline_of(self.path)

    @property
    def changes_disk(self) -> bool:
        return self.old != self.new


def baseline_of(path: Path) -> Path:
    """Where the pristine copy of a generated file lives."""
    return path.parent / BASELINE_DIR / path.name


def plan_updates(plan: Plan, orphan_roots: tuple[Path, ...] = ()) -> list[FileUpdate]:
    """Every file generate would touch, in path order; nothing is written.

    Files of parts no longer generated are looked for in the planned packages and, for the
    folders in `orphan_roots`, in packages whose spec is gone.
    """
    updates = [_update(file) for file in plan.files]
    planned = {file.path for file in plan.files}
    for path in sorted(_baselined_files(plan.packages, orphan_roots) - planned):
        updates.append(_retire(path))
    return sorted((u for u in updates if u is not None), key=lambda u: u.path)


def apply(updates: list[FileUpdate]) -> None:
    """Write each update: the file on disk and its baseline."""
    for update in updates:
        if update.kind == "skip":
            continue
        if update.changes_disk:
            _write(update.path, update.new)
        baseline = _read(update.baseline_path)
        if update.kind != "stubs" and baseline != update.baseline:
            _write(update.baseline_path, update.baseline)
            _remove_if_empty(update.baseline_path.parent)


def _update(file: PlannedFile) -> FileUpdate | None:
    try:
        disk = _read(file.path)
    except NotText:
        # Not text that can be merged: leave it exactly as it is, and say so.
        return FileUpdate(file.path, "skip", None, None, None)
    if file.once:
        return _handlers_update(file, disk)
    base = _read(baseline_of(file.path))
    if disk is None:
        kind: UpdateKind = "create" if base is None else "recreate"
        return FileUpdate(file.path, kind, None, file.text, file.text)
    if disk == file.text:
        return None if base == file.text else FileUpdate(file.path, "baseline", disk, disk, disk)
    if disk == base:
        return FileUpdate(file.path, "update", disk, file.text, file.text)
    text, conflicts, notes = _merged(file.path, base or "", disk, file.text)
    if text == disk and base == file.text:
        return None  # only the user's edits differ, and the baseline is current
    kind = "conflict" if conflicts else "merge"
    return FileUpdate(file.path, kind, disk, text, file.text, conflicts, notes)


def _merged(path: Path, base: str, disk: str, new: str) -> tuple[str, tuple[int, ...], UnitNotes]:
    """Python by units of code (where all three parse), anything else by lines."""
    by_units = merge_units(base, disk, new) if path.suffix == ".py" else None
    if by_units is None:
        merged = merge_three(base, disk, new)
        return merged.text, merged.conflicts, UnitNotes()
    notes = UnitNotes(by_units.kept, by_units.conflicting, by_units.orphans)
    return by_units.text, by_units.conflicts, notes


def _handlers_update(file: PlannedFile, disk: str | None) -> FileUpdate | None:
    """handlers.py is the user's: created once, then only new stubs are appended."""
    if disk is None:
        return FileUpdate(file.path, "create", None, file.text, None)
    missing = missing_handlers(disk, file.text)
    if missing is None:
        return FileUpdate(file.path, "skip", disk, disk, None)
    if not missing:
        return None
    return FileUpdate(file.path, "stubs", disk, append_handlers(disk, file.text, missing), None)


def _retire(path: Path) -> FileUpdate:
    """A file generate no longer produces: removed when untouched, else kept and reported."""
    try:
        disk, base = _read(path), _read(baseline_of(path))
    except NotText:
        return FileUpdate(path, "keep", None, None, None)
    if disk is None or disk == base:
        return FileUpdate(path, "delete", disk, None, None)
    return FileUpdate(path, "keep", disk, disk, None)


@dataclass(frozen=True, order=True)
class Stale:
    """One reason `check` fails: a file (at a line, for a conflict marker) and what is wrong."""

    path: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.reason}"


def stale_reasons(plan: Plan, orphan_roots: tuple[Path, ...], strict: bool) -> list[Stale]:
    """Why `check` fails: stale baselines, leftover conflicts, and with `strict` any hand edit."""
    reasons = []
    for update in plan_updates(plan, orphan_roots):
        edited_only = update.kind in ("merge", "conflict") and (
            _read(update.baseline_path) == update.baseline
        )
        if not edited_only:
            reasons.append(Stale(update.path.as_posix(), None, _STALE[update.kind]))
    for file in plan.files:
        text = _text_or_empty(file.path)
        path = file.path.as_posix()
        reasons += [Stale(path, line, "conflict marker") for line in conflict_lines(text)]
        if strict and not file.once and text != _text_or_empty(baseline_of(file.path)):
            reasons.append(Stale(path, None, STRICT_REASON))
    return sorted(set(reasons), key=str)


_STALE: dict[UpdateKind, str] = {
    "create": "missing",
    "recreate": "missing (deleted by hand)",
    "update": "not what the specs generate now",
    "baseline": "its baseline is not what the specs generate now",
    "merge": "not what the specs generate now (your edits would be merged)",
    "conflict": "not what the specs generate now (your edits would conflict)",
    "delete": "no longer generated",
    "keep": "no longer generated (and edited by hand)",
    "stubs": "a new tool has no handler yet",
    "skip": "cannot be read or parsed as UTF-8 Python; left alone",
}


def unified_diff(updates: list[FileUpdate], root: Path) -> str:
    """What generate would change on disk, as one unified diff relative to `root`."""
    chunks: list[str] = []
    for update in updates:
        if not update.changes_disk:
            continue
        name = _shown(update.path, root)
        lines = difflib.unified_diff(
            (update.old or "").splitlines(keepends=True),
            (update.new or "").splitlines(keepends=True),
            fromfile="/dev/null" if update.old is None else f"a/{name}",
            tofile="/dev/null" if update.new is None else f"b/{name}",
        )
        # As git does, so that a last line without a newline does not run into the next one.
        chunks.extend(
            line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n"
            for line in lines
        )
    return "".join(chunks)


def _baselined_files(packages: tuple[Path, ...], orphan_roots: tuple[Path, ...]) -> set[Path]:
    """Files that have a baseline (so agentgen generated them) in the given package folders."""
    folders = set(packages)
    for root in orphan_roots:
        if root.is_dir():
            folders.update(child for child in root.iterdir() if child.is_dir())
    return {
        folder / baseline.name
        for folder in folders
        for baseline in sorted((folder / BASELINE_DIR).glob("*"))
        if baseline.is_file()
    }


class NotText(Exception):
    """A file in the way that cannot be read as UTF-8 text; agentgen leaves it alone."""


def _read(path: Path) -> str | None:
    """A file's text, or None when it does not exist."""
    try:
        # Bytes, not text mode: a file with "\r\n" line ends differs from the plan.
        return path.read_bytes().decode("utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise NotText(str(path)) from error


def _text_or_empty(path: Path) -> str:
    try:
        return _read(path) or ""
    except NotText:
        return ""


def _write(path: Path, text: str | None) -> None:
    if text is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # Bytes, not text mode: "\n" must stay "\n" on every platform.
    path.write_bytes(text.encode("utf-8"))


def _remove_if_empty(folder: Path) -> None:
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
