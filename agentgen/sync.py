"""Compare a plan with the files on disk; write it (generate) or report the difference (check)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agentgen.plan import GENERATED_MARKER, Plan

ChangeKind = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class Change:
    """One file that differs between the plan and the disk."""

    path: Path
    kind: ChangeKind
    old: str | None
    new: str | None


def compare(plan: Plan, orphan_roots: tuple[Path, ...] = ()) -> list[Change]:
    """Every change that writing the plan would make, in path order.

    Generated files no longer planned are removed from the planned packages and, for the
    folders in `orphan_roots`, from packages whose spec is gone.
    """
    changes = []
    planned = {file.path for file in plan.files}
    for file in plan.files:
        old = _read(file.path)
        if old is None:
            changes.append(Change(file.path, "create", None, file.text))
        elif old != file.text and not file.once:
            changes.append(Change(file.path, "update", old, file.text))
    for stale in _generated_files(plan.packages, orphan_roots) - planned:
        changes.append(Change(stale, "delete", _read(stale), None))
    return sorted(changes, key=lambda change: change.path)


def apply(changes: list[Change]) -> None:
    """Write, overwrite or remove each changed file."""
    for change in changes:
        if change.new is None:
            change.path.unlink()
        else:
            change.path.parent.mkdir(parents=True, exist_ok=True)
            # Bytes, not text mode: "\n" must stay "\n" on every platform.
            change.path.write_bytes(change.new.encode("utf-8"))


def unified_diff(changes: list[Change], root: Path) -> str:
    """The changes as one unified diff, paths relative to `root` where possible."""
    chunks: list[str] = []
    for change in changes:
        name = _shown(change.path, root)
        lines = difflib.unified_diff(
            (change.old or "").splitlines(keepends=True),
            (change.new or "").splitlines(keepends=True),
            fromfile="/dev/null" if change.old is None else f"a/{name}",
            tofile="/dev/null" if change.new is None else f"b/{name}",
        )
        # As git does, so that a last line without a newline does not run into the next one.
        chunks.extend(
            line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n"
            for line in lines
        )
    return "".join(chunks)


def _generated_files(packages: tuple[Path, ...], orphan_roots: tuple[Path, ...]) -> set[Path]:
    """Python files that carry the generated-code marker, in the given package folders."""
    folders = set(packages)
    for root in orphan_roots:
        if root.is_dir():
            folders.update(child for child in root.iterdir() if child.is_dir())
    found = set()
    for folder in folders:
        for path in folder.glob("*.py") if folder.is_dir() else ():
            text = _read(path)
            if text is not None and text.startswith(GENERATED_MARKER):
                found.add(path)
    return found


def _read(path: Path) -> str | None:
    """A file's text; None when it does not exist; "" when it cannot be read as text."""
    try:
        # Bytes, not text mode: a file with "\r\n" line ends differs from the plan.
        return path.read_bytes().decode("utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, UnicodeDecodeError):
        return ""


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
