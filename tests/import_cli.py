"""`agentgen import` run as a user runs it, for the import tests."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from agentgen.cli import main
from agentgen.cli_import import import_command


def agentgen() -> click.Group:
    """`agentgen` with its `import` command (registered in agentgen/cli.py, or added here)."""
    if "import" in main.commands:
        return main
    return click.Group("agentgen", commands={**main.commands, "import": import_command})


def run(*args: str) -> Result:
    """`agentgen ARGS...`; stdout and stderr apart, never a traceback."""
    result = CliRunner().invoke(agentgen(), list(args), prog_name="agentgen")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh project folder with a pyproject.toml and no settings, as the working directory."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path
