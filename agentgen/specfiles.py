"""Find the spec files that command-line paths name."""

from __future__ import annotations

from pathlib import Path


class SpecFilesError(Exception):
    """A path on the command line names no spec."""


def find_spec_files(paths: list[Path]) -> list[Path]:
    """Files as given, folders as their `*.toml` files (recursively), sorted and unique."""
    found: set[Path] = set()
    for path in paths:
        try:
            found.update(_specs_at(path))
        except OSError as error:
            # e.g. a name too long for the file system: the path itself is unusable.
            reason = (error.strerror or type(error).__name__).lower()
            raise SpecFilesError(f"cannot use '{path.as_posix()}': {reason}") from error
    return sorted(found)


def _specs_at(path: Path) -> list[Path]:
    """The spec files one command-line path names."""
    if path.is_dir():
        specs = [p for p in path.rglob("*.toml") if _is_spec(path, p)]
        if not specs:
            raise SpecFilesError(f"no spec files (*.toml) in folder '{path.as_posix()}'")
        return specs
    # A dangling symlink is still named on purpose: reading it reports the problem.
    if path.exists() or path.is_symlink():
        return [path]
    raise SpecFilesError(f"no such file or folder: '{path.as_posix()}'")


def _is_spec(folder: Path, path: Path) -> bool:
    """In a folder scan: not a folder, not under a hidden folder (.venv), not pyproject.toml."""
    hidden = any(part.startswith(".") for part in path.relative_to(folder).parts[:-1])
    return not hidden and path.name != "pyproject.toml" and not path.is_dir()
