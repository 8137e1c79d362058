"""The pydantic models of the spec language: defaults, strictness, and the names they accept."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from agentgen.spec.model import (
    DEFAULT_NEXT_STEP_PROMPT,
    DEFAULT_SYSTEM_PROMPT,
    ApprovalWhen,
    Spec,
    StateField,
    ToolSection,
)
from agentgen.validate import validate_bytes

MINIMAL: dict[str, Any] = {"agent": {"name": "calc"}}
APPROVAL_SHAPE = 'approval must be "never", "always" or a table with a "when" expression'


def _spec(**sections: Any) -> dict[str, Any]:
    return {**MINIMAL, **sections}


def _errors(model: type[BaseModel], data: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(type, loc, message, hint) of every error the model raises for `data`."""
    with pytest.raises(ValidationError) as raised:
        model.model_validate(data)
    return [
        (e["type"], e["loc"], e["msg"], (e.get("ctx") or {}).get("hint"))
        for e in raised.value.errors(include_url=False)
    ]


def test_agent_defaults() -> None:
    agent = Spec.model_validate(MINIMAL).agent
    assert (agent.name, agent.description, agent.version) == ("calc", "", "1")
    assert (agent.max_turns, agent.max_consecutive_errors) == (20, 3)


def test_model_defaults() -> None:
    model = Spec.model_validate(MINIMAL).model
    assert (model.provider, model.name) == ("openai", "gpt-4o-mini")
    assert (model.base_url, model.api_key_env, model.fallback) == (None, None, [])
    assert (model.temperature, model.timeout_s, model.max_retries) == (0.0, 60.0, 2)


def test_prompt_defaults_show_the_thread() -> None:
    prompts = Spec.model_validate(MINIMAL).prompts
    assert prompts.system == DEFAULT_SYSTEM_PROMPT
    assert prompts.next_step == DEFAULT_NEXT_STEP_PROMPT
    assert "{{ thread }}" in prompts.next_step
    assert prompts.vars == {}


def test_done_defaults() -> None:
    done = Spec.model_validate(MINIMAL).done
    assert (done.name, done.description) == ("done_for_now", "Tell the user the work is done.")
    assert done.params == {"message": {"type": "string"}}


def test_optional_sections_default_to_empty() -> None:
    spec = Spec.model_validate(MINIMAL)
    assert (spec.tools, spec.humans, spec.types, spec.states) == ({}, {}, {}, {})
    assert spec.state.fields == {}


def test_tool_and_human_defaults() -> None:
    spec = Spec.model_validate(
        _spec(tools={"add": {"description": "Add."}}, humans={"ask": {"description": "Ask."}})
    )
    tool, human = spec.tools["add"], spec.humans["ask"]
    assert (tool.params, tool.returns, tool.approval) == ({}, None, "never")
    assert (human.format, human.choices, human.params) == ("free_text", None, {})


def test_a_spec_needs_an_agent_with_a_name() -> None:
    assert _errors(Spec, {}) == [("missing", ("agent",), "Field required", None)]
    assert _errors(Spec, {"agent": {}}) == [("missing", ("agent", "name"), "Field required", None)]


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        (_spec(agents={}), ("agents",)),
        ({"agent": {"name": "calc", "turns": 3}}, ("agent", "turns")),
        (_spec(model={"temprature": 0.5}), ("model", "temprature")),
        (_spec(tools={"add": {"description": "d", "param": {}}}), ("tools", "add", "param")),
        (_spec(done={"message": "bye"}), ("done", "message")),
        (_spec(states={"s": {"initial": True, "next": "t"}}), ("states", "s", "next")),
        (_spec(state={"field": {}}), ("state", "field")),
    ],
)
def test_unknown_keys_are_errors(data: dict[str, Any], loc: tuple[str, ...]) -> None:
    assert _errors(Spec, data) == [("extra_forbidden", loc, "Extra inputs are not permitted", None)]


@pytest.mark.parametrize(
    ("data", "kind", "loc"),
    [
        ({"agent": {"name": "calc", "max_turns": "20"}}, "int_type", ("agent", "max_turns")),
        ({"agent": {"name": "calc", "max_turns": True}}, "int_type", ("agent", "max_turns")),
        ({"agent": {"name": "calc", "max_turns": 2.0}}, "int_type", ("agent", "max_turns")),
        ({"agent": {"name": 5}}, "string_type", ("agent", "name")),
        (_spec(model={"temperature": "0.5"}), "float_type", ("model", "temperature")),
        (_spec(model={"fallback": "openai:gpt-4o"}), "list_type", ("model", "fallback")),
        (_spec(states={"s": {"initial": "true"}}), "bool_type", ("states", "s", "initial")),
        (
            _spec(tools={"t": {"description": "d", "params": []}}),
            "dict_type",
            ("tools", "t", "params"),
        ),
        (
            _spec(tools={"t": {"description": "d", "params": {"x": 5}}}),
            "dict_type",
            ("tools", "t", "params", "x"),
        ),
        (_spec(tools={"t": 5}), "model_type", ("tools", "t")),
    ],
)
def test_values_are_never_coerced(data: dict[str, Any], kind: str, loc: tuple[Any, ...]) -> None:
    assert [(error[0], error[1]) for error in _errors(Spec, data)] == [(kind, loc)]


def test_an_integer_is_a_valid_number() -> None:
    model = Spec.model_validate(_spec(model={"temperature": 1, "timeout_s": 5})).model
    assert (model.temperature, model.timeout_s) == (1.0, 5.0)


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        ({"agent": {"name": "calc", "max_turns": 0}}, ("agent", "max_turns")),
        (
            {"agent": {"name": "calc", "max_consecutive_errors": 0}},
            ("agent", "max_consecutive_errors"),
        ),
        ({"agent": {"name": "calc", "version": ""}}, ("agent", "version")),
        (_spec(model={"temperature": 2.5}), ("model", "temperature")),
        (_spec(model={"timeout_s": 0}), ("model", "timeout_s")),
        (_spec(model={"max_retries": -1}), ("model", "max_retries")),
        (_spec(model={"name": ""}), ("model", "name")),
    ],
)
def test_bounds(data: dict[str, Any], loc: tuple[str, ...]) -> None:
    assert [error[1] for error in _errors(Spec, data)] == [loc]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("never", "never"),
        ("always", "always"),
        ({"when": "b == 0"}, ApprovalWhen(when="b == 0")),
    ],
)
def test_the_three_forms_of_approval(value: Any, expected: Any) -> None:
    tool = ToolSection.model_validate({"description": "d", "approval": value})
    assert tool.approval == expected


@pytest.mark.parametrize(
    "value", ["sometimes", "Always", 5, True, [], {}, {"when": "a", "unless": "b"}, {"if": "a"}]
)
def test_any_other_approval_is_one_clear_error(value: Any) -> None:
    errors = _errors(ToolSection, {"description": "d", "approval": value})
    assert errors == [("AG013", ("approval",), APPROVAL_SHAPE, None)]


def test_a_state_field_reads_from_through_its_alias() -> None:
    field = StateField.model_validate({"type": "number", "default": 0, "from": "add.result"})
    assert field.from_ == "add.result"
    assert field.schema_ == {"type": "number", "default": 0}


@pytest.mark.parametrize("rule", ["add.result", "add.args.a", "add_two.args.first_value"])
def test_from_rules_of_the_documented_forms(rule: str) -> None:
    assert StateField.model_validate({"from": rule}).from_ == rule


@pytest.mark.parametrize("rule", ["add", "add.results", "Add.result", "add.args.", "add.result\n"])
def test_other_from_rules_are_refused(rule: str) -> None:
    shape = '"<tool>.result" or "<tool>.args.<param>"'
    shown = rule.replace("\n", "\\n")  # messages stay on one line
    assert _errors(StateField, {"from": rule}) == [
        ("AG013", ("from",), f"'{shown}' must have the form {shape}", None)
    ]


@pytest.mark.parametrize("name", ["calc", "a", "a1", "add_two", "v2_api", "match", "type"])
def test_snake_case_identifiers(name: str) -> None:
    assert Spec.model_validate({"agent": {"name": name}}).agent.name == name


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("Calc", "calc"),
        ("addTwo", "add_two"),
        ("add-two", "add_two"),
        ("add__two", "add_two"),
        ("_add", "add"),
        ("add_", "add"),
        ("1add", "add"),
        ("", "name"),
        ("calc\n", "calc"),
        ("Class", "class_name"),
    ],
)
def test_names_that_are_not_snake_case(name: str, hint: str) -> None:
    shown = name.replace("\n", "\\n")
    assert _errors(Spec, {"agent": {"name": name}}) == [
        (
            "AG020",
            ("agent", "name"),
            f"'{shown}' is not a snake_case identifier",
            f"did you mean '{hint}'?",
        )
    ]


@pytest.mark.parametrize("name", ["class", "def", "lambda", "import", "from"])
def test_python_keywords_cannot_name_things(name: str) -> None:
    message = f"'{name}' is a Python keyword and cannot name anything here"
    hint = f"use a longer name, such as '{name}_name'"
    assert _errors(Spec, _spec(tools={name: {"description": "d"}})) == [
        ("AG021", ("tools", name, "[key]"), message, hint)
    ]


@pytest.mark.parametrize(
    ("name", "kind", "message", "hint"),
    [
        ("money", "AG020", "'money' is not a PascalCase type name", "did you mean 'Money'?"),
        (
            "Money_Bag",
            "AG020",
            "'Money_Bag' is not a PascalCase type name",
            "did you mean 'MoneyBag'?",
        ),
        ("Money\n", "AG020", "'Money\\n' is not a PascalCase type name", "did you mean 'Money'?"),
        (
            "None",
            "AG021",
            "'None' is a Python keyword and cannot name anything here",
            "use a longer name, such as 'NoneValue'",
        ),
    ],
)
def test_type_names(name: str, kind: str, message: str, hint: str) -> None:
    assert _errors(Spec, _spec(types={name: {"type": "object"}})) == [
        (kind, ("types", name, "[key]"), message, hint)
    ]


def test_every_kind_of_name_is_checked() -> None:
    data = _spec(
        tools={"Add": {"description": "d"}},
        humans={"Ask": {"description": "d"}},
        done={"name": "Done"},
        prompts={"vars": {"User": "string"}},
        state={"fields": {"Total": {"type": "number"}}},
        states={"Start": {"initial": True}},
    )
    assert sorted(error[1] for error in _errors(Spec, data)) == [
        ("done", "name"),
        ("humans", "Ask", "[key]"),
        ("prompts", "vars", "User", "[key]"),
        ("state", "fields", "Total", "[key]"),
        ("states", "Start", "[key]"),
        ("tools", "Add", "[key]"),
    ]


def test_specs_are_frozen() -> None:
    spec = Spec.model_validate(MINIMAL)
    with pytest.raises(ValidationError):
        spec.agent.name = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("5", "5:21: error[AG012]: wrong type for 'when': expected a string, got an integer"),
        ('""', "5:21: error[AG013]: invalid value for 'when': must have at least 1 character"),
    ],
)
def test_a_bad_when_is_one_problem_not_one_per_union_member(when: str, expected: str) -> None:
    raw = f'[agent]\nname = "calc"\n[tools.t]\ndescription = "d"\napproval = {{ when = {when} }}\n'
    diagnostics = validate_bytes(raw.encode(), "s.toml").diagnostics
    assert [d.text() for d in diagnostics] == [f"s.toml:{expected}"]
