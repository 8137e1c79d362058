"""action.yml (the composite GitHub Action) and .pre-commit-hooks.yaml: their shape, and the
action's check step run by bash as a runner would (its install step is pip, as the hooks')."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
BIN = Path(sys.executable).parent


def _action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return loaded


def _step(name: str) -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in _action()["runs"]["steps"] if s["name"] == name)
    return step


def test_the_action_is_composite_with_documented_inputs() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {"python-version", "specs", "working-directory"}
    assert all(spec["description"] for spec in action["inputs"].values())
    assert action["inputs"]["python-version"]["default"] == "3.12"
    assert action["inputs"]["specs"]["default"] == ""


def test_the_action_installs_agentgen_from_its_own_checkout() -> None:
    # PyPI's `agentgen` is another project, and agentgen-runtime is not published yet.
    install = _step("Install agentgen")
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert '"$ACTION_PATH/runtime" "$ACTION_PATH"' in install["run"]
    setup = _step("Set up Python")
    assert setup["uses"].startswith("actions/setup-python@")
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"


def test_no_input_is_pasted_into_a_script() -> None:
    for step in _action()["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]


def _check_step(project: Path, specs: str) -> subprocess.CompletedProcess[str]:
    """The action's `agentgen check` step, by bash, with the inputs as the runner passes them."""
    step = _step("agentgen check")
    assert step["shell"] == "bash"
    env = {**os.environ, "AGENTGEN": str(BIN / "agentgen"), "SPECS": specs}
    # GitHub runs `bash --noprofile --norc -eo pipefail {0}` for `shell: bash`.
    command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    (tmp_path / "specs").mkdir()
    for name in ("calculator", "support_triage"):
        shutil.copyfile(ROOT / "specs" / f"{name}.toml", tmp_path / "specs" / f"{name}.toml")
    generate = [str(BIN / "agentgen"), "generate", "-q"]
    subprocess.run(generate, cwd=tmp_path, check=True, capture_output=True)
    return tmp_path


def test_the_check_step_passes_on_fresh_code(project: Path) -> None:
    result = _check_step(project, "")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "::" not in result.stdout  # no annotation


def test_the_check_step_annotates_an_invalid_spec(project: Path) -> None:
    spec = project / "specs" / "calculator.toml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("max_turns", "max_turn"), "utf-8")
    result = _check_step(project, "  specs/calculator.toml   specs/support_triage.toml ")
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.match(
        r"::error file=specs/calculator.toml,line=\d+,col=1,title=AG010::unknown key 'max_turn'",
        result.stdout,
    ), result.stdout


def test_the_check_step_takes_paths_as_they_are(project: Path) -> None:
    # Split on spaces into paths: no glob expands and no `$(...)` runs.
    result = _check_step(project, "specs/*.toml $(touch pwned)")
    assert result.returncode == 2
    assert "no such file or folder: 'specs/*.toml'" in result.stderr
    assert not (project / "pwned").exists()


def _hooks() -> dict[str, dict[str, Any]]:
    return {hook["id"]: hook for hook in yaml.safe_load(HOOKS.read_text(encoding="utf-8"))}


def test_the_hook_manifest_is_valid_for_pre_commit() -> None:
    command = [str(BIN / "pre-commit"), "validate-manifest", str(HOOKS)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_validate_takes_the_staged_specs_and_check_the_whole_project() -> None:
    hooks = _hooks()
    assert set(hooks) == {"agentgen-validate", "agentgen-check"}
    validate, check = hooks["agentgen-validate"], hooks["agentgen-check"]
    assert (validate["entry"], validate["pass_filenames"]) == ("agentgen validate", True)
    assert (check["entry"], check["pass_filenames"]) == ("agentgen check", False)
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["additional_dependencies"] == ["./runtime"]
    assert re.search(validate["files"], "specs/calculator.toml")
    assert re.search(validate["files"], "specs/nested/agent.toml")
    assert not re.search(validate["files"], "pyproject.toml")
    assert re.search(validate["exclude"], "specs/pyproject.toml")
    assert re.search(check["files"], "pyproject.toml")
