"""Find the spec files that command-line paths name."""

from __future__ import annotations

import os
from pathlib import Path

SPEC_SUFFIX = ".toml"


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
    # A name ending in .toml is a spec, whatever it is: reading it reports a folder (even a
    # symlink to a huge one), a FIFO or a device at once, where scanning could take minutes.
    if path.name.endswith(SPEC_SUFFIX) and (path.exists() or path.is_symlink()):
        return [path]
    if path.is_dir():
        specs = _specs_in(path)
        if not specs:
            raise SpecFilesError(f"no spec files (*.toml) in folder '{path.as_posix()}'")
        return specs
    # A dangling symlink is still named on purpose: reading it reports the problem.
    if path.exists() or path.is_symlink():
        return [path]
    raise SpecFilesError(f"no such file or folder: '{path.as_posix()}'")


def _specs_in(folder: Path) -> list[Path]:
    """In a folder scan: `*.toml` but pyproject.toml, not in hidden folders (.venv), not folders.

    Hidden folders are never entered, nor are symlinked folders (a link to `/` stays cheap).
    """
    specs = []
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        specs += [
            Path(root, name)
            for name in files
            if name.endswith(SPEC_SUFFIX) and name != "pyproject.toml"
        ]
    return specs
