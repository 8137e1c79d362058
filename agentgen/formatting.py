"""Format generated code with the pinned ruff, isolated from the user's own ruff settings."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

# Fixed settings: the same output on every machine, whatever the user's configuration says.
# `agentgen_runtime` (and `agentgen`) are pinned third-party: ruff would otherwise call them
# first-party whenever the working directory holds such a folder, and sort imports differently.
_SETTINGS = (
    "--isolated",
    "--no-cache",
    "--line-length",
    "100",
    "--target-version",
    "py311",
    "--config",
    "lint.isort.known-third-party = ['agentgen', 'agentgen_runtime']",
)
# Import order and a sorted `__all__`, as `ruff check --isolated` expects them.
_FIXES = ("I001", "RUF022")
# The sources go one folder down: ruff's first-party detection looks at the working directory,
# and nothing imports a module with this name.
_SOURCES = "agentgen_formatting"
_SHARED_MEMORY = Path("/dev/shm")
RUFF_ENV = "AGENTGEN_RUFF"
_SHARED_MEMORY_RESERVE = 64 * 1024 * 1024


class FormattingError(Exception):
    """ruff could not format generated code (a template produced invalid Python)."""


def format_sources(sources: dict[str, str]) -> dict[str, str]:
    """Sort imports and format every source, keyed by relative path, in one ruff run each."""
    if not sources:
        return {}
    size = sum(len(text) for text in sources.values())
    with tempfile.TemporaryDirectory(prefix="agentgen-", dir=_scratch_folder(size)) as folder:
        root = Path(folder) / _SOURCES
        for name, text in sources.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        fixes = ("--fix", "--select", ",".join(_FIXES), "--exit-zero", "--quiet")
        _ruff(Path(folder), "check", *fixes, _SOURCES)
        _ruff(Path(folder), "format", "--quiet", _SOURCES)
        return {name: (root / name).read_text(encoding="utf-8") for name in sources}


def _scratch_folder(size: int) -> str | None:
    """Memory-backed /dev/shm when it has room and TMPDIR says nothing; else the default."""
    # ruff reads and rewrites every file: on a disk, creating thousands of small files can
    # take seconds while the journal flushes; in memory it takes milliseconds.
    if "TMPDIR" in os.environ or not os.access(_SHARED_MEMORY, os.W_OK | os.X_OK):
        return None
    # Room for the sources, ruff's rewrites of them, and whatever others keep there.
    free = shutil.disk_usage(_SHARED_MEMORY).free
    return str(_SHARED_MEMORY) if free > 4 * size + _SHARED_MEMORY_RESERVE else None


def _ruff(cwd: Path, command: str, *arguments: str) -> None:
    result = subprocess.run(
        [_ruff_binary(), command, *_SETTINGS, *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise FormattingError(f"ruff {command} failed:\n{result.stderr or result.stdout}")


def _ruff_binary() -> str:
    """The installed ruff; AGENTGEN_RUFF names another binary (CI checks the supported range)."""
    return os.environ.get(RUFF_ENV) or str(find_ruff_bin())
