"""parse_step reads model output leniently and explains each failure in one short line."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from agentgen.runtime import ModelOutput, StepError, parse_step


class _Intent(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Add(_Intent):
    intent: Literal["add"]
    a: float
    b: float


class Divide(_Intent):
    intent: Literal["divide"]
    x: float
    y: float
    rounded: bool = False
    note: str | None = "none given"


class Echo(_Intent):
    intent: Literal["echo"]
    text: str


class Run(_Intent):
    intent: Literal["run"]
    args: list[str]


class Done(_Intent):
    intent: Literal["done"]


Step = Annotated[Add | Divide | Echo | Run | Done, Field(discriminator="intent")]
STEP: TypeAdapter[Step] = TypeAdapter(Step)
KNOWN = "expected one of: add, divide, echo, run, done"
ADD = Add(intent="add", a=1, b=2)

LENIENT: list[tuple[str, ModelOutput, BaseModel]] = [
    ("dict", {"intent": "add", "a": 1, "b": 2}, ADD),
    ("json text", '{"intent": "add", "a": 1, "b": 2}', ADD),
    ("padded text", '\n  {"intent": "add", "a": 1, "b": 2}  \n', ADD),
    ("json fence", '```json\n{"intent": "add", "a": 1, "b": 2}\n```', ADD),
    ("bare fence", '```\n{"intent": "add", "a": 1, "b": 2}\n```', ADD),
    ("prose", 'Sure! {"intent": "add", "a": 1, "b": 2} Hope that helps.', ADD),
    (
        "fence before prose example",
        'Shape: {"intent": "echo", "text": "e.g."}\n'
        '```json\n{"intent": "add", "a": 1, "b": 2}\n```',
        ADD,
    ),
    ("unclosed brace in prose", 'use { wisely: {"intent": "add", "a": 1, "b": 2}', ADD),
    ("second object after a broken one", '{oops} {"intent": "add", "a": 1, "b": 2}', ADD),
    (
        "trailing commas",
        'ok {"intent": "run", "args": ["a", "b",],}',
        Run(intent="run", args=["a", "b"]),
    ),
    (
        "python literals and single quotes",
        "{'intent': 'divide', 'x': 1, 'y': 2, 'rounded': True, 'note': None}",
        Divide(intent="divide", x=1, y=2, rounded=True, note=None),
    ),
    (
        "single quotes with escapes",
        "{'intent': 'echo', 'text': 'it\\'s \"quoted\"'}",
        Echo(intent="echo", text='it\'s "quoted"'),
    ),
    (
        "words and commas inside strings survive repair",
        '{"intent": "echo", "text": "True, None,}",}',
        Echo(intent="echo", text="True, None,}"),
    ),
    (
        "raw newline in a string",
        '{"intent": "echo", "text": "a\nb"}',
        Echo(intent="echo", text="a\nb"),
    ),
    ("arguments as a JSON string", {"name": "add", "arguments": '{"a": 1, "b": 2}'}, ADD),
    ("arguments as an object", {"name": "add", "arguments": {"a": 1, "b": 2}}, ADD),
    ("intent with args", {"intent": "add", "args": {"a": 1, "b": 2}}, ADD),
    ("intent with parameters", {"intent": "add", "parameters": {"a": 1, "b": 2}}, ADD),
    (
        "openai tool call",
        {"type": "function", "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'}},
        ADD,
    ),
    ("anthropic tool use", {"type": "tool_use", "name": "add", "input": {"a": 1, "b": 2}}, ADD),
    ("tool call as text", '{"name": "add", "arguments": "{\\"a\\": 1, \\"b\\": 2}"}', ADD),
    ("empty arguments string", {"name": "done", "arguments": ""}, Done(intent="done")),
    ("name without arguments", {"name": "done"}, Done(intent="done")),
    ("name with flat args", {"name": "add", "a": 1, "b": 2}, ADD),
    ("a real param named args", {"intent": "run", "args": ["-l"]}, Run(intent="run", args=["-l"])),
]


@pytest.mark.parametrize(
    ("output", "expected"), [case[1:] for case in LENIENT], ids=[case[0] for case in LENIENT]
)
def test_lenient_outputs_parse(output: ModelOutput, expected: BaseModel) -> None:
    assert parse_step(output, STEP) == expected


def test_a_dict_output_is_not_changed() -> None:
    output = {"name": "add", "arguments": {"a": 1, "b": 2}}
    parse_step(output, STEP)
    assert output == {"name": "add", "arguments": {"a": 1, "b": 2}}


LONG_PROSE = "I am thinking about which tool to use here, and I believe the best choice is add."
FAILURES: list[tuple[str, Any, str]] = [
    ("prose", "I cannot help with that.", "model output is not JSON: I cannot help with that."),
    (
        "long prose, one line",
        "I am\nthinking " + LONG_PROSE,
        # 79 characters of the output, then the ellipsis
        "model output is not JSON: I am thinking I am thinking about which tool to use here, "
        "and I believe the bes…",
    ),
    ("empty", "  \n ", "model output is empty"),
    ("truncated", '{"intent": "add", "a": 1', 'model output is not JSON: {"intent": "add", "a": 1'),
    ("array", "[1, 2]", "model output is not a JSON object: [1, 2]"),
    ("json string", '"add"', 'model output is not a JSON object: "add"'),
    ("not text or object", 42, "model output is neither text nor an object: int"),
    ("unknown intent", {"intent": "foo"}, f"unknown intent 'foo'; {KNOWN}"),
    ("unknown tool call", {"name": "nope", "arguments": {}}, f"unknown intent 'nope'; {KNOWN}"),
    ("no intent", {"a": 1, "b": 2}, f"model output has no 'intent'; {KNOWN}"),
    (
        "invalid args",
        {"intent": "add", "a": "x", "c": 1},
        "invalid args for 'add': a: Input should be a valid number, unable to parse string as a "
        "number; b: Field required; c: Extra inputs are not permitted",
    ),
    (
        "nested location",
        {"intent": "run", "args": ["a", 1]},
        "invalid args for 'run': args.1: Input should be a valid string",
    ),
    (
        "invalid args in a tool call",
        {"name": "add", "arguments": '{"a": [], "b": 1}'},
        "invalid args for 'add': a: Input should be a valid number",
    ),
]


@pytest.mark.parametrize(
    ("output", "message"), [case[1:] for case in FAILURES], ids=[case[0] for case in FAILURES]
)
def test_failures_are_one_short_line(output: Any, message: str) -> None:
    assert parse_step(output, STEP) == StepError(message)


def test_long_failures_are_cut_to_300_characters() -> None:
    extra = {f"field_{index}": index for index in range(40)}
    error = parse_step({"intent": "done", **extra}, STEP)
    assert isinstance(error, StepError)
    assert len(error.message) == 300
    assert error.message.startswith("invalid args for 'done': field_0: Extra inputs are not")
    assert error.message.endswith("…")


def test_a_single_intent_union_names_its_intent() -> None:
    only: TypeAdapter[Done] = TypeAdapter(Annotated[Done, Field(discriminator="intent")])
    assert parse_step({"intent": "add"}, only) == StepError(
        "unknown intent 'add'; expected one of: done"
    )
    assert parse_step(json.dumps({"intent": "done"}), only) == Done(intent="done")


def test_without_a_discriminated_union_no_intent_list_is_invented() -> None:
    assert parse_step({"a": 1}, TypeAdapter(Add)) == StepError(
        "invalid model output: intent: Field required; b: Field required"
    )
