"""Run `mypy --strict` on generated packages, as a user's CI would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MYPY = Path(sys.executable).parent / "mypy"


def mypy_errors(folder: Path, *packages: str) -> str:
    """mypy's report on `packages` (folders inside `folder`); "" when they pass."""
    result = subprocess.run(
        [str(MYPY), "--strict", "--no-incremental", *packages],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout + result.stderr if result.returncode else ""
