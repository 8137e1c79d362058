"""Regenerating over edited code: baselines, three-way merges, conflicts, stubs, stale files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from agentgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path("generated") / "calculator"


def cli(*arguments: str | Path) -> Result:
    return CliRunner().invoke(main, [str(argument) for argument in arguments])


def tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh project with the calculator spec, generated once."""
    (tmp_path / "specs").mkdir()
    shutil.copy(ROOT / "specs" / "calculator.toml", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    assert cli("generate").exit_code == 0
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact piece of a file, as a person would in an editor."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not unique in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def change_spec(project: Path, old: str, new: str) -> None:
    edit(project / "specs" / "calculator.toml", old, new)


def append_to_spec(project: Path, text: str) -> None:
    spec = project / "specs" / "calculator.toml"
    spec.write_text(spec.read_text(encoding="utf-8") + text, encoding="utf-8")


POWER_TOOL = """
[tools.power]
description = "Raise a to the power b."
params.a = { type = "number" }
params.b = { type = "number" }
returns = { type = "number" }
"""

# Edits people really make: a custom step in the loop, a business rule in the reducer.
LOOP_EDIT = (
    "            case Add():\n                await self.run_tool(step)\n",
    "            case Add():\n"
    "                if step.a < 0 or step.b < 0:\n"
    "                    # Our rule: negative numbers need a person's eye.\n"
    '                    await self.ask(step, "approval")\n'
    "                    return\n"
    "                await self.run_tool(step)\n",
)
REDUCER_EDIT = (
    "    new = _update(state, in_progress=None, consecutive_errors=0, current_state=current)\n",
    "    new = _update(state, in_progress=None, consecutive_errors=0, current_state=current)\n"
    "    # Our rule: results are kept to two decimals.\n"
    "    if isinstance(event.result, float):\n"
    "        event = event.model_copy(update={'result': round(event.result, 2)})\n",
)


def test_an_edit_survives_a_new_tool(project: Path) -> None:
    agent, reducer = project / PACKAGE / "agent.py", project / PACKAGE / "reducer.py"
    edit(agent, *LOOP_EDIT)
    edit(reducer, *REDUCER_EDIT)
    handlers = project / PACKAGE / "handlers.py"
    edit(
        handlers,
        "    raise NotImplementedError(\"handler 'add'",
        "    return call.a + call.b\n    raise NotImplementedError(\"handler 'add'",
    )
    users_handlers = handlers.read_text(encoding="utf-8")
    append_to_spec(project, POWER_TOOL)
    result = cli("generate", "-v")
    assert result.exit_code == 0, result.output
    assert result.stderr == "1 agent: 1 updated\n"
    assert result.stdout.splitlines() == [
        "updated generated/calculator/__init__.py",
        "merged generated/calculator/agent.py: your edits kept in case Add() (in _Run.handle)",
        "updated generated/calculator/events.py",
        "updated generated/calculator/handler_types.py",
        "added handler stubs to generated/calculator/handlers.py",
        "updated generated/calculator/tools.py",
    ]
    merged = agent.read_text(encoding="utf-8")
    assert LOOP_EDIT[1] in merged
    assert "            case Power():\n                await self.run_tool(step)\n" in merged
    assert REDUCER_EDIT[1] in reducer.read_text(encoding="utf-8")
    # the stub's class joins the user's import; the stub goes at the end; nothing else moves
    imports = "from .tools import Add, Divide, Multiply, Subtract\n"
    assert handlers.read_text(encoding="utf-8") == (
        users_handlers.replace(
            imports, "from .tools import Add, Divide, Multiply, Power, Subtract\n"
        )
        + '\n\ndef power(call: Power) -> float:\n    """Raise a to the power b."""\n'
        + "    raise NotImplementedError(\"handler 'power' is not written yet: see handlers.py\")\n"
    )
    assert cli("check").exit_code == 0
    assert cli("generate").stdout == "", "a second run changes nothing"


def test_an_edit_survives_a_renamed_param(project: Path) -> None:
    agent = project / PACKAGE / "agent.py"
    edit(agent, *LOOP_EDIT)
    change_spec(
        project,
        'params.message = { type = "string" }\n\n[done]',
        'params.question = { type = "string" }\n\n[done]',
    )
    # The spec's own test case names the param too, as a user's would.
    change_spec(project, 'message = "Which number', 'question = "Which number')
    change_spec(project, "args = { message = {", "args = { question = {")
    result = cli("generate")
    assert result.exit_code == 0, result.output
    assert LOOP_EDIT[1] in agent.read_text(encoding="utf-8")
    tools = (project / PACKAGE / "tools.py").read_text(encoding="utf-8")
    assert 'intent: Literal["request_more_information"]\n    question: str\n' in tools
    assert cli("check").exit_code == 0


def test_a_conflicting_edit_is_written_with_markers_and_fails(project: Path) -> None:
    agent = project / PACKAGE / "agent.py"
    edit(agent, "MAX_TURNS = 20\n", "MAX_TURNS = 50  # we need more\n")
    change_spec(project, "max_turns = 20", "max_turns = 30")
    result = cli("generate")
    assert result.exit_code == 1
    line = agent.read_text(encoding="utf-8").splitlines().index("<<<<<<< yours") + 1
    assert result.stdout == (
        f"conflict generated/calculator/agent.py: MAX_TURNS: both changed; markers at line {line}\n"
    )
    assert result.stderr.endswith("resolve what is listed above, then run `agentgen check`\n")
    text = agent.read_text(encoding="utf-8")
    assert (
        "<<<<<<< yours\nMAX_TURNS = 50  # we need more\n||||||| baseline\nMAX_TURNS = 20\n"
        "=======\nMAX_TURNS = 30\n>>>>>>> agentgen\n"
    ) in text
    checked = cli("check")
    assert checked.exit_code == 1
    assert f"generated/calculator/agent.py:{line}: conflict marker\n" in checked.stderr
    resolved = text.split("<<<<<<< yours\n")[0] + "MAX_TURNS = 50  # we need more\n"
    resolved += text.split(">>>>>>> agentgen\n")[1]
    agent.write_text(resolved, encoding="utf-8")
    assert cli("check").exit_code == 0
    assert cli("check", "--strict").exit_code == 1


def test_a_template_change_merges_into_edited_files(project: Path, tmp_path: Path) -> None:
    agent = project / PACKAGE / "agent.py"
    edit(agent, *LOOP_EDIT)
    upgraded = tmp_path / "upgraded-templates"
    upgraded.mkdir()
    template = (ROOT / "templates" / "agent.py.jinja").read_text(encoding="utf-8")
    marker = "@dataclass\nclass _Run:\n"
    assert template.count(marker) == 1
    (upgraded / "agent.py.jinja").write_text(
        template.replace(marker, "# Loop runs are cheap objects.\n" + marker), encoding="utf-8"
    )
    result = cli("generate", "-v", "--templates", upgraded)
    assert result.stdout == (
        "merged generated/calculator/agent.py: your edits kept in case Add() (in _Run.handle)\n"
    )
    text = agent.read_text(encoding="utf-8")
    assert LOOP_EDIT[1] in text
    assert "# Loop runs are cheap objects.\n@dataclass\nclass _Run:\n" in text
    assert cli("check", "--templates", upgraded).exit_code == 0
    assert cli("check").exit_code == 1, "without the upgrade the baseline is stale"


def test_two_agents_keep_their_own_edits(project: Path) -> None:
    shutil.copy(ROOT / "specs" / "deploy_bot.toml", project / "specs")
    assert cli("generate").exit_code == 0
    calculator, deploy = project / PACKAGE / "agent.py", project / "generated/deploy_bot/agent.py"
    edit(calculator, *LOOP_EDIT)
    edit(deploy, "def _check_call_id(", "# Ops asked for this check.\ndef _check_call_id(")
    append_to_spec(project, POWER_TOOL)
    deploy_spec = project / "specs" / "deploy_bot.toml"
    deploy_spec.write_text(
        deploy_spec.read_text(encoding="utf-8").replace("max_turns = 30", "max_turns = 40"),
        encoding="utf-8",
    )
    result = cli("generate")
    assert result.exit_code == 0, result.output
    assert LOOP_EDIT[1] in calculator.read_text(encoding="utf-8")
    deploy_text = deploy.read_text(encoding="utf-8")
    assert "# Ops asked for this check.\ndef _check_call_id(" in deploy_text
    assert "MAX_TURNS = 40\n" in deploy_text
    assert cli("check").exit_code == 0


def test_a_renamed_agent_retires_the_old_package_but_not_its_edits(project: Path) -> None:
    old = project / PACKAGE
    edit(old / "agent.py", *LOOP_EDIT)
    change_spec(project, 'name = "calculator"', 'name = "calc"')
    result = cli("generate", "-v")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "kept (edited by hand; no longer generated) generated/calculator/agent.py" in lines
    assert "removed generated/calculator/tools.py" in lines
    assert "created generated/calc/agent.py" in lines
    left = sorted(p.name for p in old.iterdir() if p.name != "__pycache__")
    assert left == ["agent.py", "handlers.py"], "the edited module and the user's handlers"
    assert LOOP_EDIT[1] in (old / "agent.py").read_text(encoding="utf-8")
    assert cli("check").exit_code == 0


def test_diff_shows_the_merge_and_writes_nothing(project: Path) -> None:
    edit(project / PACKAGE / "agent.py", *LOOP_EDIT)
    append_to_spec(project, POWER_TOOL)
    before = tree(project)
    result = cli("diff")
    assert result.exit_code == 0
    assert "+            case Power():\n" in result.stdout
    assert "+def power(call: Power) -> float:\n" in result.stdout
    assert LOOP_EDIT[1] not in result.stdout, "the user's edit is context, not a change"
    assert tree(project) == before
    assert cli("generate").exit_code == 0
    assert cli("diff").stderr == "no changes\n"


def test_a_baseline_of_a_fresh_clone_needs_no_history(project: Path, tmp_path: Path) -> None:
    edit(project / PACKAGE / "agent.py", *LOOP_EDIT)
    clone = tmp_path / "clone"
    shutil.copytree(project, clone)
    shutil.rmtree(project / "generated")
    append_to_spec(clone, POWER_TOOL)
    result = CliRunner().invoke(
        main, ["generate", str(clone / "specs"), "--out", str(clone / "generated")]
    )
    assert result.exit_code == 0, result.output
    assert LOOP_EDIT[1] in (clone / PACKAGE / "agent.py").read_text(encoding="utf-8")


def test_files_that_are_not_text_or_do_not_parse_are_left_alone(project: Path) -> None:
    agent, handlers = project / PACKAGE / "agent.py", project / PACKAGE / "handlers.py"
    agent.write_bytes(b"# caf\xe9 in latin-1\n")
    handlers.write_text("def add(call:\n", encoding="utf-8")
    append_to_spec(project, POWER_TOOL)
    result = cli("generate")
    assert result.exit_code == 1
    skipped = "skipped (not valid UTF-8 Python; fix it and generate again)"
    assert f"{skipped} generated/calculator/agent.py" in result.stdout.splitlines()
    assert f"{skipped} generated/calculator/handlers.py" in result.stdout.splitlines()
    assert agent.read_bytes() == b"# caf\xe9 in latin-1\n"
    assert handlers.read_text(encoding="utf-8") == "def add(call:\n"
    checked = cli("check")
    assert checked.exit_code == 1
    assert (
        "generated/calculator/agent.py: cannot be read or parsed as UTF-8 Python; left alone\n"
        in (checked.stderr)
    )
