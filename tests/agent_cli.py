"""Running a generated agent's command line, `python -m generated.<agent>`, as a real process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_agent_cli(
    agent: str, *arguments: str, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """The CLI of `generated.<agent>` in a new process of this checkout, with `env` only."""
    return subprocess.run(
        [sys.executable, "-m", f"generated.{agent}", *arguments],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
