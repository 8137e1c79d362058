"""`agentgen init`: a new project with one commented example spec, its package, and CI.

Nothing that exists is overwritten: a folder holding any of the files init would write is
refused as a whole, before anything is written. A pyproject.toml without [tool.agentgen]
gets the table appended; one that has it is refused too.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from agentgen.spec.schema import spec_json_schema_text

SPEC = Path("specs") / "assistant.toml"
WORKFLOW = Path(".github") / "workflows" / "agentgen.yml"
SCHEMA = Path("agentgen.schema.json")
TOOL_TABLE = '[tool.agentgen]\nspecs = "specs"\nout = "generated"\n'


class InitRefused(Exception):
    """The folder already holds what init would write; nothing was written."""


@dataclass(frozen=True)
class Starter:
    """The files of a new project, by path relative to its folder, and pyproject's part."""

    files: dict[Path, str]
    pyproject: str
    """The whole new pyproject.toml, or the table to append to the existing one."""
    appends: bool


def plan_project(folder: Path) -> Starter:
    """What init writes into `folder`; InitRefused when any of it is there already."""
    files = {
        SPEC: _starter("assistant.toml"),
        WORKFLOW: _starter("agentgen.yml"),
        SCHEMA: spec_json_schema_text(),
    }
    taken = sorted(path.as_posix() for path in files if (folder / path).exists())
    if (folder / "generated" / "assistant").exists():
        taken.append("generated/assistant")
    pyproject = folder / "pyproject.toml"
    appends = pyproject.exists()
    if appends and _has_tool_table(pyproject):
        taken.append("pyproject.toml ([tool.agentgen])")
    if taken:
        raise InitRefused(
            f"{folder.as_posix()} already has: {', '.join(taken)}; nothing was written"
        )
    table = TOOL_TABLE if appends else _new_pyproject(folder)
    return Starter(files, table, appends)


def write_project(folder: Path, starter: Starter) -> list[Path]:
    """Write the starter's files (and pyproject.toml's part); the paths written."""
    for path, text in starter.files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")
    pyproject = folder / "pyproject.toml"
    if starter.appends:
        existing = pyproject.read_text(encoding="utf-8")
        separator = "" if existing.endswith("\n\n") else "\n" if existing.endswith("\n") else "\n\n"
        pyproject.write_text(existing + separator + starter.pyproject, encoding="utf-8")
    else:
        pyproject.write_text(starter.pyproject, encoding="utf-8")
    return [*starter.files, Path("pyproject.toml")]


def _starter(name: str) -> str:
    return resources.files("agentgen").joinpath("starter", name).read_text(encoding="utf-8")


def _has_tool_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InitRefused(
            f"{pyproject.as_posix()} is not valid TOML ({error}); nothing was written"
        ) from None
    return "agentgen" in data.get("tool", {})


def _new_pyproject(folder: Path) -> str:
    name = re.sub(r"[^a-z0-9]+", "-", folder.resolve().name.lower()).strip("-") or "agents"
    return (
        f'[project]\nname = "{name}"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        "# what the generated packages import; `pip install agentgen` to generate and check\n"
        'dependencies = ["agentgen-runtime[openai,http]"]\n\n' + TOOL_TABLE
    )
