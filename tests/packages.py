"""Agent packages generated for one test module: written to a folder, imported by name."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

from click.testing import CliRunner

from agentgen.cli import main


def generate_package(spec: Path, folder: Path) -> Path:
    """`agentgen generate SPEC --out FOLDER`, which must succeed; the folder."""
    result = CliRunner().invoke(main, ["generate", str(spec), "--out", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


def import_package(folder: Path, name: str) -> ModuleType:
    """The module `name` from `folder` (its package keeps its path once imported)."""
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(folder))
