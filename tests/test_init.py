"""`agentgen init`: from an empty folder to a passing check and test, as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.strict_mypy import mypy_errors

AGENTGEN = Path(sys.executable).parent / "agentgen"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [str(AGENTGEN), *args]
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, check=False, timeout=120
    )


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_a_new_project_checks_and_tests_green(tmp_path: Path) -> None:
    started = _run("init", "shop", cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    project = tmp_path / "shop"
    assert started.stdout == ""
    assert started.stderr.splitlines()[0] == (
        "a new project in shop: specs/assistant.toml, generated/assistant/, "
        ".github/workflows/agentgen.yml"
    )
    assert "  cd shop" in started.stderr
    files = _tree(project)
    assert {"pyproject.toml", "specs/assistant.toml", ".github/workflows/agentgen.yml"} <= set(
        files
    )
    assert "generated/assistant/agent.py" in files
    assert b'[tool.agentgen]\nspecs = "specs"\nout = "generated"\n' in files["pyproject.toml"]
    assert (_run("check", cwd=project).returncode, _run("validate", cwd=project).returncode) == (
        0,
        0,
    )
    tested = _run("test", cwd=project)
    assert tested.returncode == 0, tested.stdout
    assert tested.stderr == "3 passed\n"
    assert mypy_errors(project, "generated/assistant") == ""


def test_init_refuses_a_folder_that_has_its_files_and_writes_nothing(tmp_path: Path) -> None:
    assert _run("init", cwd=tmp_path).returncode == 0
    before = _tree(tmp_path)
    again = _run("init", cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr == (
        "error: . already has: .github/workflows/agentgen.yml, agentgen.schema.json, "
        "specs/assistant.toml, generated/assistant, pyproject.toml ([tool.agentgen]); "
        "nothing was written\n"
    )
    assert _tree(tmp_path) == before


def test_one_file_in_the_way_is_enough_to_refuse(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "assistant.toml").write_text("# mine\n", encoding="utf-8")
    refused = _run("init", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr == "error: . already has: specs/assistant.toml; nothing was written\n"
    assert _tree(tmp_path) == {"specs/assistant.toml": b"# mine\n"}


def test_an_existing_pyproject_gets_the_table_appended(tmp_path: Path) -> None:
    mine = '[project]\nname = "shop"\nversion = "1.0"\n\n[tool.ruff]\nline-length = 88\n'
    (tmp_path / "pyproject.toml").write_text(mine, encoding="utf-8")
    assert _run("init", "-q", cwd=tmp_path).stderr == ""
    text = (tmp_path / "pyproject.toml").read_text(encoding="utf-8")
    assert text == mine + '\n[tool.agentgen]\nspecs = "specs"\nout = "generated"\n'
    assert _run("check", cwd=tmp_path).returncode == 0


def test_a_pyproject_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\n", encoding="utf-8")
    refused = _run("init", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: pyproject.toml is not valid TOML (")
    assert refused.stderr.endswith("); nothing was written\n")
    assert _tree(tmp_path) == {"pyproject.toml": b"[project\n"}


def test_verbose_lists_every_file_written(tmp_path: Path) -> None:
    lines = _run("init", "new", "-v", cwd=tmp_path).stdout.splitlines()
    assert lines[:4] == [
        "wrote new/specs/assistant.toml",
        "wrote new/.github/workflows/agentgen.yml",
        "wrote new/agentgen.schema.json",
        "wrote new/pyproject.toml",
    ]
    assert "wrote new/generated/assistant/handlers.py" in lines
