"""`agentgen replay`: recorded decisions re-asked with the current spec, the store only read."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner, Result

from agentgen.cli import main
from agentgen.config import load_config
from agentgen.testing._packages import import_agents
from agentgen.workflow import validate_paths
from agentgen_runtime import ScriptedModel, store_from_url
from generated.calculator.agent import launch
from tests.calculator_project import BROKEN_DESCRIPTION
from tests.fake_llm import FakeLLM, tool_call

ADD = {"intent": "add", "a": 12, "b": 30}
DONE = {"intent": "done_for_now", "message": "The answer is 42."}


def _record(db: Path, *steps: dict[str, object]) -> str:
    """A calculator thread in a SQLite file, as production would have stored it."""
    store = store_from_url(f"sqlite:///{db}")
    try:
        thread = asyncio.run(
            launch("What is 12 + 30?", model=ScriptedModel(list(steps)), store=store)
        )
    finally:
        store.close()
    return thread.id


def _rows(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT * FROM events ORDER BY 1, 2").fetchall()


def _replay(db: Path, *args: str) -> Result:
    store = ["--store", f"sqlite:///{db}", "--spec", "specs/calculator.toml"]
    command = ["replay", *args, *store, "--model", "openai:gpt-test"]
    return CliRunner().invoke(main, command, catch_exceptions=False)


def _break_description(project: Path) -> None:
    spec = project / "specs" / "calculator.toml"
    spec.write_text(spec.read_text(encoding="utf-8").replace(*BROKEN_DESCRIPTION))


def test_a_thread_the_model_would_run_again_agrees_and_nothing_is_written(
    calculator: Path, llm: FakeLLM
) -> None:
    db = calculator / "threads.db"
    thread_id = _record(db, ADD, DONE)
    before = _rows(db)
    result = _replay(db, thread_id)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{thread_id}: 2 of 2 decisions agree (100%)\n"
    assert result.stderr == "2 of 2 decisions agree across 1 thread\n"
    assert len(llm.requests) == 2
    assert "<result>" not in llm.requests[0].body["messages"][-1]["content"]
    assert "<result>42</result>" in llm.requests[1].body["messages"][-1]["content"]
    assert _rows(db) == before
    assert [path.name for path in (calculator / "generated" / "calculator").iterdir()] == [
        "handlers.py"
    ]


def test_a_broken_description_names_the_changed_decision_and_min_agree_fails(
    calculator: Path, llm: FakeLLM
) -> None:
    db = calculator / "threads.db"
    thread_id = _record(db, ADD, DONE)
    _break_description(calculator)
    lenient = _replay(db, thread_id, "--min-agree", "0.5")
    assert lenient.exit_code == 0, lenient.output
    assert lenient.stdout.splitlines() == [
        f"{thread_id}: 1 of 2 decisions agree (50%)",
        '    event 2: recorded add(a=12.0, b=30.0); now done_for_now(message="I have no tool'
        ' that adds.")',
    ]
    strict = _replay(db, thread_id, "--min-agree", "0.9")
    assert strict.exit_code == 1
    assert strict.stderr == "1 of 2 decisions agree across 1 thread\n"


def test_every_thread_is_reported_in_json_github_and_junit(calculator: Path, llm: FakeLLM) -> None:
    db = calculator / "threads.db"
    first, second = _record(db, ADD, DONE), _record(db, ADD, DONE)
    _break_description(calculator)
    replays = json.loads(_replay(db, first, second, "--format", "json").stdout)
    assert [r["thread_id"] for r in replays] == [first, second]
    assert [d["agrees"] for d in replays[0]["decisions"]] == [False, True]
    assert replays[0]["decisions"][0]["recorded"] == {"intent": "add", "a": 12.0, "b": 30.0}
    assert replays[0]["decisions"][0]["now"]["intent"] == "done_for_now"
    github = _replay(db, first, "--format", "github", "--min-agree", "0.9")
    assert github.stdout == (
        f"::error title=agentgen replay::{first}: 1 of 2 decisions agree (50%); event 2: recorded"
        ' add(a=12.0, b=30.0); now done_for_now(message="I have no tool that adds.")\n'
    )
    junit = ET.fromstring(_replay(db, first, "--format", "junit", "--min-agree", "0.9").stdout)
    suite = junit.find("testsuite")
    assert suite is not None
    assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == (first, "2", "1")
    names = [case.get("name") for case in suite.iter("testcase")]
    assert names == ["event 2: add", "event 4: done_for_now"]


def test_a_model_step_that_does_not_parse_is_a_changed_decision(
    calculator: Path, llm: FakeLLM
) -> None:
    db = calculator / "threads.db"
    thread_id = _record(db, ADD, DONE)
    llm.answer_by(lambda recorded: tool_call("add", {"a": "twelve", "b": 30}))
    result = _replay(db, thread_id)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"{thread_id}: 0 of 2 decisions agree (0%)"
    assert lines[1].startswith("    event 2: recorded add(a=12.0, b=30.0); now no valid step: ")


def test_an_unknown_thread_exits_2_and_names_it(calculator: Path, llm: FakeLLM) -> None:
    db = calculator / "threads.db"
    _record(db, ADD, DONE)
    result = _replay(db, "thread_nope")
    assert result.exit_code == 2
    assert result.stderr == "error: no thread 'thread_nope'\n"
    assert llm.requests == []


def test_prefetched_calls_are_no_decision_and_are_left_out(calculator: Path, llm: FakeLLM) -> None:
    spec = calculator / "specs" / "calculator.toml"
    prefetch = '\n[[prefetch]]\ntool = "add"\nargs = { a = 1, b = 1 }\n'
    spec.write_text(spec.read_text(encoding="utf-8") + prefetch, encoding="utf-8")
    results = validate_paths([spec], load_config(calculator))
    packages = import_agents(results, load_config(calculator))
    db = calculator / "threads.db"
    store = store_from_url(f"sqlite:///{db}")
    try:
        agent = packages.agent("calculator").agent
        thread = asyncio.run(
            agent.launch("12 + 30?", model=ScriptedModel([ADD, DONE]), store=store)
        )
    finally:
        store.close()
        packages.close()
    assert [e.call.intent for e in thread.events if e.type == "tool_call"] == ["add"] * 2 + [
        "done_for_now"
    ]
    # the rule model answers at once from the prefetched result: the model's add (event 4) changes
    result = _replay(db, thread.id)
    assert result.stdout.splitlines() == [
        f"{thread.id}: 1 of 2 decisions agree (50%)",
        '    event 4: recorded add(a=12.0, b=30.0); now done_for_now(message="The answer is 2.")',
    ]
    assert len(llm.requests) == 2


def test_a_missing_store_file_is_an_error_and_is_not_created(
    calculator: Path, llm: FakeLLM
) -> None:
    missing = calculator / "nowhere.db"
    result = _replay(missing, "thread_nope")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: store 'sqlite:///{missing}?mode=ro' cannot be opened:"
        " unable to open database file\n"
    )
    assert not missing.exists()
