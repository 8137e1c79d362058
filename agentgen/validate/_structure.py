"""Check a spec's shape with the pydantic models; turn their errors into problems."""

from __future__ import annotations

import re
import types
import typing
from datetime import date, datetime, time
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from agentgen.diagnostics import clip
from agentgen.spec.hints import did_you_mean
from agentgen.spec.model import Spec
from agentgen.validate._positions import Path
from agentgen.validate._problems import Problem, describe_path, describe_table

_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "bool_type": "a boolean",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "list_type": "an array",
}


def check_structure(data: dict[str, Any]) -> Spec | list[Problem]:
    """Validate TOML data against the spec models; every error is kept."""
    try:
        return Spec.model_validate(data)
    except ValidationError as error:
        details = error.errors(include_url=False)
        return [
            _problem(detail, data) for detail in details if not _redundant(detail, details, data)
        ]


def _redundant(detail: ErrorDetails, details: list[ErrorDetails], data: dict[str, Any]) -> bool:
    """A union's literal member failing on a table, when another member explains the table.

    Such a loc ends with pydantic's name for the union member, which is not a key of the data.
    """
    if detail["type"] != "literal_error" or not isinstance(detail["input"], dict | list):
        return False
    path, _ = _data_path(detail["loc"], data)
    if len(path) == len(detail["loc"]) and _step(_parent(data, path), path[-1])[0]:
        return False
    parent = detail["loc"][:-1]
    return any(other is not detail and other["loc"][: len(parent)] == parent for other in details)


def _parent(data: Any, path: Path) -> Any:
    for part in path[:-1]:
        data = _step(data, part)[1]
    return data


def _problem(detail: ErrorDetails, data: dict[str, Any]) -> Problem:
    """Translate one pydantic error into our code, message and hint."""
    path, on_key = _data_path(detail["loc"], data)
    kind = detail["type"]
    context = detail.get("ctx") or {}
    name = clip(_key_name(path)) if path else "the spec"
    if kind.startswith("AG"):
        at: Literal["key", "value"] = "key" if on_key else "value"
        return Problem(path, kind, detail["msg"], context.get("hint"), at=at)
    if kind == "extra_forbidden":
        hint = did_you_mean(str(path[-1]), _allowed_keys(path[:-1]))
        message = f"unknown key '{clip(str(path[-1]))}' in {describe_table(path[:-1])}"
        return Problem(path, "AG010", message, hint, at="key")
    if kind == "missing":
        return Problem(path, "AG011", _missing_message(path), at="key")
    if kind in _EXPECTED:
        got = _toml_type(detail["input"])
        message = f"wrong type for '{name}': expected {_EXPECTED[kind]}, got {got}"
        return Problem(path, "AG012", message)
    if kind == "literal_error":
        return _literal_problem(path, detail, context)
    return Problem(path, "AG013", f"invalid value for '{name}': {_reword(detail['msg'])}")


def _key_name(path: Path) -> str:
    """The key a message is about: `max_turns`, or `choices[1]` for a list item."""
    tail = path[-2:] if len(path) > 1 and isinstance(path[-1], int) else path[-1:]
    return describe_path(tail)


def _data_path(loc: tuple[int | str, ...], data: Any) -> tuple[Path, bool]:
    """Drop pydantic's own loc parts (union tags, `[key]`) so the path follows the TOML."""
    path: list[str | int] = []
    on_key = False
    current = data
    for index, part in enumerate(loc):
        if part == "[key]":
            on_key = True
            continue
        found, child = _step(current, part)
        if found:
            current = child
        elif index < len(loc) - 1:
            continue
        path.append(part)
    return tuple(path), on_key


def _step(current: Any, part: int | str) -> tuple[bool, Any]:
    """Follow one loc part into TOML data, if the data has it."""
    if isinstance(current, dict) and part in current:
        return True, current[part]
    if isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
        return True, current[part]
    return False, None


def _missing_message(path: Path) -> str:
    if len(path) == 1 and path[0] == "agent":
        return "missing required table [agent]"
    return f"missing required key '{path[-1]}' in {describe_table(path[:-1])}"


def _literal_problem(path: Path, detail: ErrorDetails, context: dict[str, Any]) -> Problem:
    if not isinstance(detail["input"], str | int | float | bool):
        kind = _toml_type(detail["input"])
        return Problem(
            path, "AG012", f"wrong type for '{_key_name(path)}': expected a string, got {kind}"
        )
    options = re.findall(r"'([^']*)'", str(context.get("expected", "")))
    got = detail["input"]
    hint = did_you_mean(got, options) if isinstance(got, str) else None
    shown = ", ".join(f"'{option}'" for option in options)
    name = clip(_key_name(path))
    message = f"invalid value {_show(got)} for '{name}': expected one of {shown}"
    return Problem(path, "AG013", message, hint)


def _reword(message: str) -> str:
    """pydantic's "Input should be ..." reads as "must be ..." in our messages."""
    for prefix in ("Input should", "String should", "List should", "Value should"):
        if message.startswith(prefix):
            return "must" + message[len(prefix) :]
    return message[:1].lower() + message[1:]


def _show(value: Any) -> str:
    return f"'{clip(value)}'" if isinstance(value, str) else clip(repr(value))


def _toml_type(value: Any) -> str:
    """Name a TOML value's type as a TOML user would."""
    kinds: list[tuple[type | tuple[type, ...], str]] = [
        (bool, "a boolean"),
        (int, "an integer"),
        (float, "a float"),
        (str, "a string"),
        (dict, "a table"),
        (list, "an array"),
        (datetime, "a date-time"),
        ((date, time), "a date or time"),
    ]
    return next((label for kind, label in kinds if isinstance(value, kind)), "a value")


def _allowed_keys(path: Path) -> list[str]:
    """The keys the model accepts at a table path, for 'did you mean' hints."""
    current: Any = Spec
    for part in path:
        current = _child_type(current, part)
        if current is None:
            return []
    model = _as_model(current)
    if model is None:
        return []
    return [field.alias or name for name, field in model.model_fields.items()]


def _child_type(annotation: Any, part: str | int) -> Any:
    model = _as_model(annotation)
    if model is not None:
        for name, field in model.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    origin = typing.get_origin(annotation)
    if origin is dict:
        return typing.get_args(annotation)[1]
    if origin is list:
        return typing.get_args(annotation)[0]
    return None


def _as_model(annotation: Any) -> type[BaseModel] | None:
    """The model class an annotation holds, looking through Optional, unions and Annotated."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        for argument in typing.get_args(annotation):
            found = _as_model(argument)
            if found is not None:
                return found
    return None
