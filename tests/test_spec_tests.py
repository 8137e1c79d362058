"""`agentgen test`: the specs' [[tests]] run against the agents they render, in every format."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from agentgen.cli import main
from tests.calculator_project import BROKEN_DESCRIPTION, calculator_rule
from tests.fake_llm import FakeLLM, Recorded, Reply, tool_call

ROOT = Path(__file__).resolve().parent.parent
CALCULATOR = ROOT / "specs" / "calculator.toml"
DONE = '{ intent = "done_for_now", message = "done" }'

SMALL_SPEC = """\
[agent]
name = "calc"

[tools.add]
description = "Add two numbers."
params.a = { type = "number" }
params.b = { type = "number" }
returns = { type = "number" }

[tools.divide]
description = "Divide a by b."
approval = "always"
params.a = { type = "number" }
params.b = { type = "number" }
returns = { type = "number" }

[state.fields.last_result]
type = "number"
default = 0
from = "add.result"

[[tests]]
name = "adds"
message = "1 + 2"
steps = [{ intent = "add", a = 1, b = 2 }, { intent = "done_for_now", message = "done" }]
results = { add = 3 }
expect = { status = "done", intents = ["add", "done_for_now"], state = { last_result = 3 } }

[[tests]]
name = "divides after approval"
message = "6 / 3"
steps = [{ intent = "divide", a = 6, b = 3 }, { intent = "done_for_now", message = "done" }]
results = { divide = 2 }
responses = [{ approve = true }]
expect.intents = ["divide", "done_for_now"]
expect.calls = [{ intent = "divide", args = { a = { one_of = [5, 6] }, b = 3 } }]

[[tests]]
name = "expects too much"
message = "1 + 2"
steps = [{ intent = "add", a = 1, b = 2 }, { intent = "done_for_now", message = "done" }]
results = { add = 3 }
expect.status = "awaiting_approval"
expect.intents_contain = ["divide"]
expect.calls = [{ intent = "add", args = { a = { regex = "^1$" } } }]
expect.state = { last_result = 4 }
expect.errors = 1

[[tests]]
name = "a live one"
live = true
message = "1 + 2"
"""

EXPECTS_TOO_MUCH = """\
FAIL calc: expects too much ({seconds})
    status: expected awaiting_approval, got done
    intents: [divide] do not appear in that order in [add, done_for_now]
    calls[0]: no 'add' call with a matching /^1$/ (its calls: a = 1.0, b = 2.0)
    state.last_result: expected 4, got 3.0
    errors: expected 1, got 0"""


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder, the working directory, with the small spec in specs/."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "calc.toml").write_text(SMALL_SPEC, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _without_seconds(text: str) -> str:
    return re.sub(r"\(\d+\.\d\d s\)", "({seconds})", text)


def test_the_example_specs_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = _run("test", "specs/")
    assert result.exit_code == 0, result.output
    assert "PASS calculator: divides once a person approves" in result.output
    assert "PASS deploy_bot: a production deploy waits for approval, then runs" in result.output
    assert "PASS support_triage: a damaged item is refunded once a person approves" in result.output
    assert result.stderr.strip() == "14 passed, 2 skipped"


def test_each_unmet_expectation_is_a_line_and_the_run_exits_1(project: Path) -> None:
    result = _run("test")
    assert result.exit_code == 1
    lines = _without_seconds(result.stdout).splitlines()
    assert lines[0] == "PASS calc: adds ({seconds})"
    assert lines[1] == "PASS calc: divides after approval ({seconds})"
    assert "\n".join(lines[2:8]) == EXPECTS_TOO_MUCH
    skipped = "SKIP calc: a live one (live case: run with --model provider:name to check it)"
    assert lines[8] == skipped
    assert result.stderr.strip() == "2 passed, 1 failed, 1 skipped"


def test_nothing_is_written_to_the_project(project: Path) -> None:
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    assert _run("test").exit_code == 1
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_a_step_the_script_lacks_and_unused_responses_fail_the_case(project: Path) -> None:
    spec = project / "specs" / "calc.toml"
    spec.write_text(
        SMALL_SPEC.split("[[tests]]")[0]
        + '[[tests]]\nname = "short script"\nmessage = "1 + 2"\n'
        + 'steps = [{ intent = "add", a = 1, b = 2 }]\nresults = { add = 3 }\n\n'
        + '[[tests]]\nname = "long script"\nmessage = "1 + 2"\n'
        + f"steps = [{DONE}, {DONE}]\n\n"
        + '[[tests]]\nname = "answers nobody asked for"\nmessage = "1 + 2"\n'
        + f'steps = [{DONE}]\nresponses = [{{ answer = "3" }}]\n',
        encoding="utf-8",
    )
    output = _without_seconds(_run("test").stdout)
    assert output.splitlines() == [
        "FAIL calc: short script ({seconds})",
        "    ScriptExhausted: ScriptedModel has no steps left (it was given 1)",
        "FAIL calc: long script ({seconds})",
        "    1 scripted step not used",
        "FAIL calc: answers nobody asked for ({seconds})",
        "    responses[0]: the thread is done, with no call waiting for a person",
    ]


def test_github_format_annotates_the_failing_case_at_its_line(project: Path) -> None:
    lines = _run("test", "--format", "github").stdout.splitlines()
    assert lines[0] == "calc: adds: passed"
    failing = next(line for line in lines if "expects too much" in line)
    assert failing.startswith(
        "::error file=specs/calc.toml,line=38,col=1,title=agentgen test::test 'expects too much'"
        " failed: status: expected awaiting_approval, got done; intents: [divide]"
    )
    assert lines[-1].startswith("::warning file=specs/calc.toml,line=49,col=1,")


def test_junit_is_valid_xml_with_a_testcase_per_case(project: Path) -> None:
    result = _run("test", "--format", "junit")
    suites = ET.fromstring(result.stdout)
    suite = suites.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "1", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert list(cases) == ["adds", "divides after approval", "expects too much", "a live one"]
    failure = cases["expects too much"].find("failure")
    assert failure is not None and failure.text is not None
    assert failure.text.splitlines()[-1] == "errors: expected 1, got 0"
    assert cases["a live one"].find("skipped") is not None
    assert cases["adds"].get("classname") == "calc" and cases["adds"].get("line") == "22"


def test_json_format_has_every_run(project: Path) -> None:
    cases = json.loads(_run("test", "--format", "json").stdout)
    assert [case["verdict"] for case in cases] == ["passed", "passed", "failed", "skipped"]
    assert cases[2]["runs"][0]["problems"][0] == "status: expected awaiting_approval, got done"
    assert cases[3]["pass_rate"] is None and cases[3]["runs"] == []


def test_an_invalid_spec_prints_its_diagnostics_and_exits_1(project: Path) -> None:
    spec = project / "specs" / "calc.toml"
    spec.write_text(SMALL_SPEC.replace("results = { add = 3 }", "results = { ad = 3 }", 1))
    result = _run("test")
    assert result.exit_code == 1
    assert result.stdout.startswith(
        "specs/calc.toml:26:13: error[AG066]: results names 'ad', which is not one of the spec's"
        " tools\n    hint: did you mean 'add'?"
    )


def test_a_malformed_model_is_a_usage_error(project: Path) -> None:
    result = _run("test", "--model", "gpt-4o")
    assert result.exit_code == 2
    assert '--model must be "provider:name" with provider openai or anthropic' in result.stderr


def test_a_live_case_runs_against_the_model_and_a_rerun_is_cached(
    calculator: Path, llm: FakeLLM
) -> None:
    first = _run("test", "--model", "openai:gpt-test")
    assert first.exit_code == 0, first.output
    live = next(line for line in first.stdout.splitlines() if "a real model adds" in line)
    assert re.fullmatch(
        r"PASS calculator: a real model adds \(1/1 runs passed, \d+\.\d\d s, 2 model calls,"
        r" 0 cached, 4 tokens\)",
        live,
    )
    assert len(llm.requests) == 2
    second = _run("test", "--model", "openai:gpt-test")
    assert second.exit_code == 0
    assert "1/1 runs passed" in second.stdout
    assert "0 model calls, 2 cached, 0 tokens" in second.stdout
    assert len(llm.requests) == 2  # nothing changed: no model was asked


def test_a_broken_tool_description_fails_the_live_case(calculator: Path, llm: FakeLLM) -> None:
    spec = calculator / "specs" / "calculator.toml"
    spec.write_text(spec.read_text(encoding="utf-8").replace(*BROKEN_DESCRIPTION))
    result = _run("test", "--model", "openai:gpt-test", "--no-cache")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("FAIL calculator: a real model"))
    assert lines[at + 1 : at + 4] == [
        "    intents: [add, done_for_now] do not appear in that order in [done_for_now]",
        "    calls[0]: no 'add' call with a one of [12, 30], b one of [12, 30] (no 'add' call)",
        "    state.last_result: expected 42, got 0.0",
    ]
    assert not (calculator / ".agentgen-cache").exists()


def test_repeat_gives_a_pass_rate_that_min_pass_judges(calculator: Path, llm: FakeLLM) -> None:
    launches = 0

    def flaky(recorded: Recorded) -> Reply:
        """Every other thread, the model ends at once instead of adding."""
        nonlocal launches
        if "<result>" not in recorded.body["messages"][-1]["content"]:
            launches += 1
            if launches % 2 == 0:
                return tool_call("done_for_now", {"message": "no"})
        return calculator_rule(recorded)

    llm.answer_by(flaky)
    options = ["test", "specs/calculator.toml", "--model", "openai:gpt-test", "--repeat", "4"]
    lenient = _run(*options, "--min-pass", "0.5", "--no-cache")
    assert lenient.exit_code == 0, lenient.output
    assert "PASS calculator: a real model adds (2/4 runs passed" in lenient.stdout
    assert "    run 2: intents: [add, done_for_now] do not appear" in lenient.stdout
    strict = _run(*options, "--min-pass", "0.75", "--no-cache")
    assert strict.exit_code == 1
    assert "FAIL calculator: a real model adds (2/4 runs passed" in strict.stdout


def test_pytest_collects_the_cases_of_the_specs_folder(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.agentgen]\nspecs = "specs"\n', encoding="utf-8")
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", "specs"]
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout
    assert "specs/calc.toml::adds PASSED" in done.stdout
    assert "specs/calc.toml::divides after approval PASSED" in done.stdout
    assert "specs/calc.toml::expects too much FAILED" in done.stdout
    assert "specs/calc.toml::a live one SKIPPED" in done.stdout
    assert "    state.last_result: expected 4, got 3.0" in done.stdout
