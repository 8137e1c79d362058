"""Format generated code with the pinned ruff, isolated from the user's own ruff settings."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

# Fixed settings: the same output on every machine, whatever the user's configuration says.
_SETTINGS = ("--isolated", "--line-length", "100", "--target-version", "py311")


class FormattingError(Exception):
    """ruff could not format generated code (a template produced invalid Python)."""


def format_sources(sources: dict[str, str]) -> dict[str, str]:
    """Sort imports and format every source, keyed by relative path, in one ruff run each."""
    if not sources:
        return {}
    with tempfile.TemporaryDirectory(prefix="agentgen-") as folder:
        root = Path(folder)
        for name, text in sources.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        _ruff("check", "--fix", "--select", "I", "--exit-zero", "--quiet", str(root))
        _ruff("format", "--quiet", str(root))
        return {name: (root / name).read_text(encoding="utf-8") for name in sources}


def _ruff(command: str, *arguments: str) -> None:
    result = subprocess.run(
        [find_ruff_bin(), command, *_SETTINGS, *arguments],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise FormattingError(f"ruff {command} failed:\n{result.stderr or result.stdout}")
