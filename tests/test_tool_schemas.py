"""Intent models generated from real tools' input schemas: aliases, anyOf, $ref, nullable."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from agentgen.cli import main

SPECS = Path(__file__).resolve().parent / "specs"
EDIT = {
    "intent": "edit_file",
    "path": "a.txt",
    "edits": [{"oldText": "a", "newText": "b"}],
    "dryRun": True,
}
MOVE = {"intent": "move_file", "source": "/a", "destination": "/b", "from": "x", "class": 2}
ISSUE = {"intent": "create_issue", "owner": "me", "repo": "app", "title": "Crash on start"}
UPDATE = {"intent": "update_issue", "owner": "o", "repo": "r", "issue_number": 1, "state": "open"}
LABEL = {"name": "urgent", "color": "ff0000", "description": None}


def _import(folder: Path, package: str) -> ModuleType:
    """Import a generated package from `folder` under a name no other test uses."""
    name = f"tool_schemas_{package}"
    spec = importlib.util.spec_from_file_location(
        name, folder / package / "__init__.py", submodule_search_locations=[str(folder / package)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tool_schemas")
    result = CliRunner().invoke(main, ["generate", str(SPECS), "--out", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def mcp(out: Path) -> ModuleType:
    return importlib.import_module(_import(out, "mcp_filesystem").__name__ + ".tools")


@pytest.fixture(scope="module")
def github(out: Path) -> ModuleType:
    return importlib.import_module(_import(out, "github_issues").__name__ + ".tools")


def _args(payload: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in payload.items() if key != "intent"}


def test_camel_case_properties_validate_through_aliases(mcp: ModuleType) -> None:
    step = mcp.NEXT_STEP.validate_python(EDIT)
    assert type(step) is mcp.EditFile
    assert (step.path, step.dry_run) == ("a.txt", True)
    assert [(edit.old_text, edit.new_text) for edit in step.edits] == [("a", "b")]
    assert step.model_dump(by_alias=True) == EDIT


def test_keyword_params_are_reachable_with_a_trailing_underscore(mcp: ModuleType) -> None:
    step = mcp.NEXT_STEP.validate_python(MOVE)
    assert type(step) is mcp.MoveFile
    assert (step.from_, step.class_) == ("x", 2)
    defaults = mcp.MoveFile.model_validate(
        {"intent": "move_file", "source": "s", "destination": "d"}
    )
    assert (defaults.from_, defaults.class_) == ("", 0)


def test_defaults_apply_and_arrays_of_objects_are_typed(mcp: ModuleType) -> None:
    step = mcp.EditFile.model_validate({"intent": "edit_file", "path": "p", "edits": []})
    assert step.dry_run is False
    search = {"intent": "search_files", "path": ".", "pattern": "*.py"}
    assert mcp.NEXT_STEP.validate_python(search).exclude_patterns == []


@pytest.mark.parametrize("title", ["Crash on start", 42])
def test_any_of_string_or_integer_keeps_the_type(github: ModuleType, title: str | int) -> None:
    step = github.NEXT_STEP.validate_python({**ISSUE, "title": title})
    assert type(step.title) is type(title)
    assert step.title == title


def test_named_types_through_ref(github: ModuleType) -> None:
    labels = ["bug", LABEL]
    step = github.NEXT_STEP.validate_python({**ISSUE, "labels": labels, "milestone": 3})
    assert step.labels[0] == "bug"
    assert type(step.labels[1]) is github.Label
    assert step.labels[1].model_dump() == LABEL
    assert type(step.milestone) is github.Milestone
    assert step.milestone.root == 3


def test_nullable_params_may_be_omitted_or_null(github: ModuleType) -> None:
    step = github.NEXT_STEP.validate_python(ISSUE)
    assert (step.milestone, step.type, step.body, step.assignees, step.labels) == (
        None,
        None,
        "",
        [],
        [],
    )
    assert github.NEXT_STEP.validate_python(UPDATE).state_reason is None
    closed = github.NEXT_STEP.validate_python({**UPDATE, "state": "closed", "state_reason": None})
    assert closed.state_reason is None


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({**EDIT, "edits": [{"oldText": "a"}]}, ("edits", 0, "newText")),
        ({**EDIT, "edits": [{"oldText": "a", "newText": "b", "x": 1}]}, ("edits", 0, "x")),
        ({**EDIT, "force": True}, ("force",)),
        ({"intent": "read_multiple_files", "paths": []}, ("paths",)),
        ({**MOVE, "class": "first"}, ("class",)),
    ],
)
def test_bad_filesystem_calls_are_refused(
    mcp: ModuleType, payload: dict[str, Any], error: tuple[str | int, ...]
) -> None:
    with pytest.raises(ValidationError) as raised:
        mcp.NEXT_STEP.validate_python(payload)
    assert [e["loc"][1:] for e in raised.value.errors()] == [error]


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({**ISSUE, "title": 4.5}, "title"),
        ({**ISSUE, "labels": [{"name": "x", "color": "red"}]}, "labels"),
        ({**ISSUE, "milestone": [1]}, "milestone"),
        ({**UPDATE, "issue_number": 0}, "issue_number"),
        ({**UPDATE, "state": "merged"}, "state"),
        ({**UPDATE, "state_reason": "wontfix"}, "state_reason"),
    ],
)
def test_bad_issue_calls_are_refused(
    github: ModuleType, payload: dict[str, Any], error: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        github.NEXT_STEP.validate_python(payload)
    assert {e["loc"][1] for e in raised.value.errors()} == {error}


def test_next_step_discriminates_on_intent(mcp: ModuleType, github: ModuleType) -> None:
    done = {"intent": "done_for_now", "message": "ok"}
    assert type(mcp.NEXT_STEP.validate_python(done)) is mcp.DoneForNow
    assert type(github.NEXT_STEP.validate_python(done)) is github.DoneForNow
    with pytest.raises(ValidationError) as raised:
        github.NEXT_STEP.validate_python({**EDIT})
    [error] = raised.value.errors()
    assert (error["type"], error["ctx"]["tag"]) == ("union_tag_invalid", "edit_file")


def test_when_approvals_are_plain_python_in_the_loop(out: Path) -> None:
    mcp = (out / "mcp_filesystem" / "agent.py").read_text(encoding="utf-8").splitlines()
    github = (out / "github_issues" / "agent.py").read_text(encoding="utf-8").splitlines()
    line = 'if step.destination == "/" or step.source in ["/etc", "/root"]:'
    assert [text.strip() for text in mcp if "step.destination" in text] == [line]
    assert [text.strip() for text in github if "step.owner" in text] == [
        'if step.owner != "my-org":'
    ]


def test_schemas_for_the_model_carry_defs_and_only_required_params(
    mcp: ModuleType, github: ModuleType
) -> None:
    create = github.INTENTS["create_issue"].parameters
    assert create["required"] == ["owner", "repo", "title"]
    assert sorted(create["$defs"]) == ["Label", "Milestone"]
    # Derived from the models: a named union is a type alias there, which has no docstring.
    assert create["$defs"]["Milestone"] == {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    update = github.INTENTS["update_issue"].parameters
    assert update["required"] == ["owner", "repo", "issue_number", "state"]
    assert "$defs" not in update
    edit = mcp.INTENTS["edit_file"].parameters
    assert (edit["required"], edit["additionalProperties"]) == (["path", "edits"], False)
    assert mcp.INTENTS["move_file"].parameters["required"] == ["source", "destination"]


@pytest.mark.parametrize(
    ("package", "payload"),
    [
        ("mcp", EDIT),
        ("mcp", MOVE),
        ("github", {**ISSUE, "labels": ["bug", LABEL], "milestone": "v1"}),
    ],
)
def test_the_model_schema_and_the_pydantic_model_agree(
    request: pytest.FixtureRequest, package: str, payload: dict[str, Any]
) -> None:
    tools = request.getfixturevalue(package)
    schema = tools.INTENTS[payload["intent"]].parameters
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(_args(payload))
    bad = {**_args(payload), "unknown": 1}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(bad)
    with pytest.raises(ValidationError):
        tools.NEXT_STEP.validate_python({**bad, "intent": payload["intent"]})
