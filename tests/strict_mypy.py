"""Run `mypy --strict` on generated packages, as a user's CI would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MYPY = Path(sys.executable).parent / "mypy"
# The repository's own (ignored) cache: pydantic, jinja2 and the runtime are analysed once per
# machine, not once per test; each package's own modules are still checked from their sources.
CACHE = Path(__file__).resolve().parent.parent / ".mypy_cache"


def mypy_errors(folder: Path, *packages: str) -> str:
    """mypy's report on `packages` (folders inside `folder`); "" when they pass."""
    result = subprocess.run(
        [str(MYPY), "--strict", "--cache-dir", str(CACHE), *packages],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout + result.stderr if result.returncode else ""
