"""Golden cases, sqlc style: each tests/cases/<name>/ holds a spec and what it must give.

`expected/` is the package `agentgen generate` writes; `diagnostics.txt` is what
`agentgen validate` prints for a spec it refuses. Run with AGENTGEN_UPDATE_CASES=1 to rewrite
them from the current generator, then read the diff before committing it.
"""

from __future__ import annotations

import asyncio
import filecmp
import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from agentgen.cli import main
from agentgen.runtime import MemoryStore, ScriptedModel
from tests.strict_mypy import mypy_errors

CASES_FOLDER = Path(__file__).resolve().parent / "cases"
CASES = sorted(folder for folder in CASES_FOLDER.iterdir() if (folder / "spec.toml").is_file())
GENERATED = [case for case in CASES if (case / "expected").is_dir()]
BIN = Path(sys.executable).parent
UPDATE = os.environ.get("AGENTGEN_UPDATE_CASES") == "1"


def _validate(case: Path) -> tuple[int, str]:
    """`agentgen validate spec.toml` run inside the case folder: exit code and output."""
    old = Path.cwd()
    os.chdir(case)
    try:
        result = CliRunner().invoke(main, ["validate", "spec.toml"])
    finally:
        os.chdir(old)
    return result.exit_code, result.output


def _generate(case: Path, out: Path) -> Path:
    result = CliRunner().invoke(main, ["generate", str(case / "spec.toml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / case.name


def _differences(expected: Path, actual: Path) -> list[str]:
    """The .py files that differ, are missing or are extra, by name."""
    names = {path.name for path in (*expected.glob("*.py"), *actual.glob("*.py"))}
    _, mismatch, errors = filecmp.cmpfiles(expected, actual, sorted(names), shallow=False)
    return sorted([*mismatch, *errors])


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case_gives_its_expected_package_or_diagnostics(case: Path, tmp_path: Path) -> None:
    code, output = _validate(case)
    if code != 0:
        if UPDATE:
            (case / "diagnostics.txt").write_text(output, encoding="utf-8")
        assert not (case / "expected").exists(), f"{case.name} is refused:\n{output}"
        assert output == (case / "diagnostics.txt").read_text(encoding="utf-8")
        return
    package = _generate(case, tmp_path)
    if UPDATE:
        shutil.rmtree(case / "expected", ignore_errors=True)
        shutil.copytree(package, case / "expected", ignore=shutil.ignore_patterns(".*"))
    assert not (case / "diagnostics.txt").exists(), f"{case.name} validates:\n{output}"
    assert _differences(case / "expected", package) == []


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every expected package, copied under its own name into one folder."""
    folder = tmp_path_factory.mktemp("cases")
    for case in GENERATED:
        shutil.copytree(case / "expected", folder / case.name)
    return folder


def test_expected_packages_pass_mypy_strict_and_ruff(packages: Path) -> None:
    names = [case.name for case in GENERATED]
    assert mypy_errors(packages, *names) == ""
    ruff = [str(BIN / "ruff"), "check", "--isolated", "--no-cache", "--line-length", "100", *names]
    checked = subprocess.run(ruff, cwd=packages, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("case", GENERATED, ids=[case.name for case in GENERATED])
def test_expected_package_runs_its_tool(case: Path, packages: Path) -> None:
    tool = case.name.removeprefix("tool_named_")
    sys.path.insert(0, str(packages))
    try:
        agent = importlib.import_module(f"{case.name}.agent")
    finally:
        sys.path.remove(str(packages))

    def handler(call: Any, ctx: Any) -> str:
        return f"{call.service} is up ({ctx.thread_id})"

    steps = [{"intent": tool, "service": "shop"}, {"intent": "done_for_now", "message": "ok"}]
    thread = asyncio.run(
        agent.launch(
            "how is shop?",
            model=ScriptedModel(steps),
            store=MemoryStore(),
            handlers=SimpleNamespace(**{tool: handler}),
        )
    )
    results = [event.result for event in thread.events if event.type == "tool_result"]
    assert (thread.status, results) == ("done", [f"shop is up ({thread.id})"])


def test_every_case_holds_one_outcome() -> None:
    for case in CASES:
        outcomes = [(case / "expected").is_dir(), (case / "diagnostics.txt").is_file()]
        assert outcomes.count(True) == 1 or UPDATE, f"{case.name}: {outcomes}"
