"""What every command shares: -q/-v, a summary by default, colour, --format, exit codes."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from agentgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
AGENTGEN = Path(sys.executable).parent / "agentgen"
SPECS = ("calculator", "deploy_bot", "support_triage")
GREEN = "\x1b[32m"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three example specs, generated, in the working directory."""
    (tmp_path / "specs").mkdir()
    for name in SPECS:
        shutil.copy(ROOT / "specs" / f"{name}.toml", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert _cli("generate", "-q").exit_code == 0
    return tmp_path


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _bump(project: Path, name: str) -> None:
    """One more turn for an agent: a change to its agent.py only."""
    spec = project / "specs" / f"{name}.toml"
    text = spec.read_text(encoding="utf-8")
    start = text.index("max_turns = ") + len("max_turns = ")
    end = text.index("\n", start)
    spec.write_text(f"{text[:start]}{int(text[start:end]) + 1}{text[end:]}", encoding="utf-8")


def test_generate_prints_a_summary_by_agent_and_files_with_v(project: Path) -> None:
    _bump(project, "calculator")
    _bump(project, "deploy_bot")
    quiet = _cli("generate", "--color", "never")
    assert (quiet.exit_code, quiet.stdout) == (0, "")
    assert quiet.stderr == "3 agents: 2 updated, 1 unchanged\n"
    _bump(project, "calculator")
    verbose = _cli("generate", "-v")
    assert verbose.stdout.splitlines() == ["updated generated/calculator/agent.py"]
    assert verbose.stderr == "3 agents: 1 updated, 2 unchanged\n"


def test_q_prints_only_results_and_errors(project: Path) -> None:
    assert _cli("validate", "-q").stderr == ""
    assert _cli("check", "-q").stderr == ""
    _bump(project, "calculator")
    stale = _cli("check", "-q")
    assert stale.exit_code == 1
    assert "generated/calculator/agent.py: not what the specs generate now\n" in stale.stderr
    both = _cli("generate", "-q", "-v")
    assert both.exit_code == 2
    assert "Error: -q and -v cannot be used together" in both.stderr


def test_json_and_github_formats_on_check_diff_and_generate(project: Path) -> None:
    _bump(project, "calculator")
    stale = _cli("check", "--format", "json")
    assert stale.exit_code == 1
    assert {
        "path": "generated/calculator/agent.py",
        "line": None,
        "reason": "not what the specs generate now",
    } in json.loads(stale.stdout)
    assert (
        "::error file=generated/calculator/agent.py,line=1,col=1,title=agentgen::"
        "not what the specs generate now: run `agentgen generate` to update it"
    ) in _cli("check", "--format", "github").stdout.splitlines()
    diffs = json.loads(_cli("diff", "--format", "json").stdout)
    assert [d["path"] for d in diffs] == ["generated/calculator/agent.py"]
    assert "+MAX_TURNS = 21\n" in diffs[0]["diff"]
    generated = json.loads(_cli("generate", "--format", "json").stdout)
    assert generated["summary"] == "3 agents: 1 updated, 2 unchanged"
    assert [f["kind"] for f in generated["files"]] == ["update"]
    assert _cli("check", "--format", "json").stdout.strip() == "[]"


def test_an_invalid_spec_is_reported_in_the_format_asked_for(project: Path) -> None:
    spec = project / "specs" / "calculator.toml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("[tools.add]", "[tools.class]"))
    for command in ("generate", "check", "diff"):
        result = _cli(command, "--format", "github")
        assert result.exit_code == 1
        assert result.stdout.startswith("::error file=specs/calculator.toml,line=")
        assert "title=AG021::'class' is a Python keyword" in result.stdout


def test_diff_exits_1_when_generate_would_conflict(project: Path) -> None:
    agent = project / "generated" / "calculator" / "agent.py"
    text = agent.read_text(encoding="utf-8")
    agent.write_text(text.replace("MAX_TURNS = 20\n", "MAX_TURNS = 50  # more\n"), encoding="utf-8")
    spec = project / "specs" / "calculator.toml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("max_turns = 20", "max_turns = 30"))
    result = _cli("diff")
    assert result.exit_code == 1
    line = next(n for n in result.stderr.split() if n.isdigit())
    assert f"generated/calculator/agent.py: would conflict at line {line}\n" in result.stderr
    assert _cli("diff", "--format", "github").exit_code == 1


def test_colour_follows_the_flag_and_no_color(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bump(project, "calculator")
    assert GREEN + "+" in _cli("diff", "--color", "always").stdout
    assert "\x1b[" not in _cli("diff", "--color", "never").stdout
    assert "\x1b[" not in _cli("diff").stdout  # not a terminal
    monkeypatch.setenv("NO_COLOR", "1")
    assert GREEN + "+" in _cli("diff", "--color", "always").stdout  # the flag wins


def _on_a_terminal(project: Path, env: dict[str, str]) -> str:
    """What `agentgen diff` writes to a pseudo-terminal."""
    leader, follower = pty.openpty()
    done = subprocess.run(
        [str(AGENTGEN), "diff"], cwd=project, stdout=follower, stderr=subprocess.DEVNULL, env=env
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal is closed once all is read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert done.returncode == 0
    return b"".join(chunks).decode()


def test_a_terminal_gets_colour_unless_no_color_is_set(project: Path) -> None:
    _bump(project, "calculator")
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert GREEN + "+" in _on_a_terminal(project, env)
    assert "\x1b[" not in _on_a_terminal(project, {**env, "NO_COLOR": "1"})


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
        else:
            found.append((f"{prefix}{name}", command))
    return found


def test_every_command_takes_q_v_color_and_format() -> None:
    for name, command in _commands(main):
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        assert {"-q", "-v", "--color", "--format"} <= options, name
