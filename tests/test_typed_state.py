"""Typed state: StateName, reducer updates checked by mypy and at run time, typed tool results."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from agentgen.runtime import MemoryStore, ScriptedModel
from generated.calculator.agent import launch
from generated.calculator.events import EVENT, AddResult, ErrorEvent
from generated.calculator.reducer import _update
from generated.calculator.state import AgentState
from generated.deploy_bot import StateName
from generated.deploy_bot.state import AgentState as DeployState
from tests.strict_mypy import mypy_errors

ROOT = Path(__file__).resolve().parent.parent


def _mypy_errors(package: Path) -> str:
    return mypy_errors(package.parent, package.name)


def _with_reducer_line(tmp_path: Path, line: str) -> Path:
    """A copy of the calculator whose reducer also makes one more update."""
    package = tmp_path / "calculator"
    shutil.copytree(ROOT / "generated" / "calculator", package)
    reducer = package / "reducer.py"
    reducer.write_text(
        reducer.read_text()
        + f"\n\ndef _extra(state: AgentState) -> AgentState:\n    return {line}\n"
    )
    return package


@pytest.mark.parametrize(
    ("update", "message"),
    [
        ('_update(state, statuss="done")', 'Unexpected keyword argument "statuss" for "_update"'),
        (
            '_update(state, status="pasued")',
            'Argument "status" to "_update" has incompatible type "Literal[\'pasued\']"',
        ),
        ('_update(state, turns="x")', 'Argument "turns" to "_update" has incompatible type "str"'),
        (
            '_update(state, last_result="x")',
            'Argument "last_result" to "_update" has incompatible type "str"; expected "float"',
        ),
    ],
)
def test_a_wrong_reducer_update_fails_mypy_naming_the_field(
    tmp_path: Path, update: str, message: str
) -> None:
    assert message in _mypy_errors(_with_reducer_line(tmp_path, update))


def test_a_right_reducer_update_passes_mypy(tmp_path: Path) -> None:
    assert _mypy_errors(_with_reducer_line(tmp_path, "_update(state, last_result=2.5)")) == ""


def test_a_wrong_update_at_run_time_raises_and_leaves_the_state_alone() -> None:
    state = AgentState()
    changes: dict[str, Any] = {"status": "pasued"}
    with pytest.raises(ValidationError, match="status"):
        _update(state, **changes)
    assert state.status == "running"
    assert _update(state, turns=3).turns == 3


def test_state_name_lists_the_spec_s_states() -> None:
    assert get_args(StateName) == ("planning", "verifying")
    assert DeployState().current_state == "planning"
    with pytest.raises(ValidationError, match="current_state"):
        DeployState(current_state="nowhere")  # type: ignore[arg-type]


def _run_add(result: object) -> list[Any]:
    """Launch the calculator with one `add` call whose handler returns `result`."""
    model = ScriptedModel(
        [{"intent": "add", "a": 1, "b": 2}, {"intent": "done_for_now", "message": "ok"}]
    )
    handlers = SimpleNamespace(add=lambda call: result)
    thread = asyncio.run(launch("add", model=model, store=MemoryStore(), handlers=handlers))  # type: ignore[arg-type]
    return thread.events


def test_a_number_tool_s_result_is_typed_in_its_event() -> None:
    [result] = [event for event in _run_add(3) if isinstance(event, AddResult)]
    assert (type(result.result), result.result) == (float, 3.0)


def test_a_string_for_a_number_result_is_a_compact_tool_error_not_a_coerced_number() -> None:
    events = _run_add("3")
    assert not [event for event in events if isinstance(event, AddResult)]
    [error] = [event for event in events if isinstance(event, ErrorEvent)]
    assert (error.source, error.intent) == ("tool", "add")
    assert error.message == "ValidationError: AddResult: result: Input should be a valid number"


def test_stored_results_keep_their_json_and_load_typed() -> None:
    stored = '{"type":"tool_result","call_id":"call_1","intent":"add","result":4.0}'
    event = EVENT.validate_json(stored)
    assert isinstance(event, AddResult)
    assert json.loads(event.model_dump_json()) == json.loads(stored)
