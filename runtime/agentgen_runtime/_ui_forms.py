"""The inbox's form for editing a call's args, built from the tool's JSON Schema, and read back.

Strings are text inputs, numbers number inputs, an enum a select, a boolean a checkbox, an
object with properties a group of fields; anything else (arrays, unions) is JSON in a textarea.
What a field cannot be read as (`abc` for a number) is a problem shown beside it; what the
tool's model refuses comes back from `resume` as the same kind of problem, by param.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

FieldKind = Literal["text", "number", "integer", "select", "checkbox", "json", "group"]
PREFIX = "arg."
MAX_DEPTH = 3  # objects nested deeper are edited as JSON
_KINDS: dict[str, FieldKind] = {
    "string": "text",
    "number": "number",
    "integer": "integer",
    "boolean": "checkbox",
}


class _Missing:
    """A field left empty that the call may go without: not sent."""


MISSING = _Missing()


@dataclass(frozen=True)
class FormField:
    """One input of the form, or a group of them for an object."""

    name: str  # the form's key: "arg.tag", "arg.amount.currency"
    label: str
    kind: FieldKind
    schema: dict[str, Any]
    required: bool = False
    nullable: bool = False
    description: str = ""
    text: str = ""  # what a text, number or JSON input holds; a select's option index
    checked: bool = False
    options: tuple[str, ...] = ()  # a select's choices, as a person reads them
    error: str | None = None
    children: tuple[FormField, ...] = ()


def edit_fields(parameters: Mapping[str, Any], args: Mapping[str, Any]) -> tuple[FormField, ...]:
    """A field for each param of the tool's schema, showing the call's value."""
    defs = parameters.get("$defs", {})
    required = set(parameters.get("required", ()))
    properties: Mapping[str, Any] = parameters.get("properties", {})
    return tuple(
        _field(PREFIX + name, name, schema, defs, args.get(name), name in required, 0)
        for name, schema in properties.items()
    )


def _field(
    name: str, label: str, schema: Any, defs: Any, value: Any, required: bool, depth: int
) -> FormField:
    resolved, nullable = _resolve(schema, defs)
    kind = _kind(resolved, depth)
    field = FormField(name, label, kind, resolved, required, nullable, _description(resolved))
    if kind == "group":
        inner = value if isinstance(value, dict) else {}
        needed = set(resolved.get("required", ()))
        children = tuple(
            _field(f"{name}.{key}", key, sub, defs, inner.get(key), key in needed, depth + 1)
            for key, sub in resolved["properties"].items()
        )
        return replace(field, children=children)
    if kind == "select":
        options = tuple(_option_text(choice) for choice in resolved["enum"])
        return replace(field, options=options, text=_index_of(resolved["enum"], value))
    if kind == "checkbox":
        return replace(field, checked=value is True)
    return replace(field, text=_value_text(kind, value))


def _resolve(schema: Any, defs: Any) -> tuple[dict[str, Any], bool]:
    """The schema a field is made from, with `$ref`s followed and null split off its choices."""
    nullable = False
    current: dict[str, Any] = schema if isinstance(schema, dict) else {}
    for _ in range(8):  # a chain of refs and single-choice unions; a cycle stops here
        if isinstance(current.get("$ref"), str):
            target = defs.get(current["$ref"].rpartition("/")[2], {})
            current = {**{k: v for k, v in current.items() if k != "$ref"}, **target}
            continue
        branches = current.get("anyOf") or current.get("oneOf")
        if not isinstance(branches, list):
            break
        others = [b for b in branches if not (isinstance(b, dict) and b.get("type") == "null")]
        nullable = nullable or len(others) < len(branches)
        if len(others) != 1:
            break
        current = {**{k: v for k, v in current.items() if k not in ("anyOf", "oneOf")}, **others[0]}
    types = current.get("type")
    if isinstance(types, list) and "null" in types:
        rest = [t for t in types if t != "null"]
        current = {**current, "type": rest[0] if len(rest) == 1 else rest}
        nullable = True
    return current, nullable


def _kind(schema: dict[str, Any], depth: int) -> FieldKind:
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return "select"
    kind = schema.get("type")
    if isinstance(kind, str) and kind in _KINDS:
        return _KINDS[kind]
    if schema.get("type") == "object" and isinstance(schema.get("properties"), dict):
        return "group" if depth < MAX_DEPTH and schema["properties"] else "json"
    return "json"


def _description(schema: dict[str, Any]) -> str:
    text = schema.get("description")
    return text if isinstance(text, str) else ""


def _option_text(choice: Any) -> str:
    return choice if isinstance(choice, str) else json.dumps(choice)


def _index_of(choices: list[Any], value: Any) -> str:
    for index, choice in enumerate(choices):
        if choice == value and type(choice) is type(value):
            return str(index)
    return ""


def _value_text(kind: FieldKind, value: Any) -> str:
    if value is None:
        return ""
    if kind == "text" and isinstance(value, str):
        return value
    if kind == "json":
        return json.dumps(value, indent=2, ensure_ascii=False)
    return json.dumps(value)


def read_fields(
    fields: tuple[FormField, ...], form: Mapping[str, str]
) -> tuple[dict[str, Any], tuple[FormField, ...]]:
    """The value each param's field gives, and the fields as submitted with their problems."""
    values: dict[str, Any] = {}
    shown = []
    for field in fields:
        value, filled = _read(field, form)
        shown.append(filled)
        if value is not MISSING:
            values[field.label] = value
    return values, tuple(shown)


def has_problems(fields: tuple[FormField, ...]) -> bool:
    """Whether any field, or a field of a group, has a problem."""
    return any(field.error is not None or has_problems(field.children) for field in fields)


def with_problems(
    fields: tuple[FormField, ...], problems: Mapping[str, str]
) -> tuple[FormField, ...]:
    """The fields with the problems `resume` found (by param path), each beside its field."""
    shown = []
    for field in fields:
        path = field.name.removeprefix(PREFIX)
        children = with_problems(field.children, problems)
        shown.append(replace(field, error=problems.get(path, field.error), children=children))
    return tuple(shown)


def _read(field: FormField, form: Mapping[str, str]) -> tuple[Any, FormField]:
    """One field's value from the form (MISSING: leave it out), and the field as submitted."""
    if field.kind == "group":
        inner, children = read_fields(field.children, form)
        return inner, replace(field, children=children)
    if field.kind == "checkbox":
        checked = field.name in form
        return checked, replace(field, checked=checked)
    text = form.get(field.name, "")
    filled = replace(field, text=text)
    # an empty text is the empty string, unless the param may be null
    if not text.strip() and (field.kind != "text" or field.nullable):
        return _empty(filled)
    try:
        return _parse(field, text), filled
    except ValueError as error:
        return MISSING, replace(filled, error=str(error))


def _empty(field: FormField) -> tuple[Any, FormField]:
    """An empty field: null where the param allows it, left out where it is optional."""
    if field.nullable:
        return None, field
    if not field.required:
        return MISSING, field
    return MISSING, replace(field, error="a value is needed")


def _parse(field: FormField, text: str) -> Any:
    """The field's text as the JSON value its kind needs; ValueError says what is wrong."""
    match field.kind:
        case "text":
            return text
        case "integer":
            try:
                return int(text.strip())
            except ValueError:
                raise ValueError("a whole number is needed") from None
        case "number":
            return _number(text)
        case "select":
            choices = field.schema["enum"]
            if not text.isdigit() or int(text) >= len(choices):
                raise ValueError("choose one of the options")
            return choices[int(text)]
        case _:
            try:
                return json.loads(text)
            except json.JSONDecodeError as error:
                raise ValueError(f"not JSON: {error.msg} (line {error.lineno})") from None


def _number(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError("a number is needed") from None
    if not math.isfinite(value):  # JSON has no NaN or infinity
        raise ValueError("a finite number is needed")
    return value
