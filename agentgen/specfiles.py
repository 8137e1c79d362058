"""Find the spec files that command-line paths name."""

from __future__ import annotations

from pathlib import Path


class SpecFilesError(Exception):
    """A path on the command line names no spec."""


def find_spec_files(paths: list[Path]) -> list[Path]:
    """Files as given, folders as their `*.toml` files (recursively), sorted and unique."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            specs = [p for p in path.rglob("*.toml") if not p.is_dir()]
            if not specs:
                raise SpecFilesError(f"no spec files (*.toml) in folder '{path.as_posix()}'")
            found.update(specs)
        elif path.exists() or path.is_symlink():
            found.add(path)
        else:
            raise SpecFilesError(f"no such file or folder: '{path.as_posix()}'")
    return sorted(found)
