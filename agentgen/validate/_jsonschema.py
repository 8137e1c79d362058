"""Check the JSON Schemas a spec embeds: params, returns, named types, state fields."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterator
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator

from agentgen.spec.hints import did_you_mean
from agentgen.validate._positions import Path
from agentgen.validate._problems import Problem

# Keywords whose value is one subschema, a list of them, or a map of name to subschema.
_ONE_SCHEMA = {
    "additionalProperties",
    "items",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "additionalItems",
    "contentSchema",
}
_SCHEMA_LIST = {"allOf", "anyOf", "oneOf", "prefixItems"}
_SCHEMA_MAP = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
_OTHER_KEYWORDS = {
    "$schema",
    "$id",
    "$ref",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$comment",
    "$vocabulary",
    "type",
    "enum",
    "const",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxContains",
    "minContains",
    "maxProperties",
    "minProperties",
    "required",
    "dependentRequired",
    "dependencies",
    "title",
    "description",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "examples",
    "format",
    "contentEncoding",
    "contentMediaType",
    # OpenAPI's additions, common in real tool schemas.
    "nullable",
    "example",
    "discriminator",
    "xml",
    "externalDocs",
}
KNOWN_KEYWORDS = frozenset(_ONE_SCHEMA | _SCHEMA_LIST | _SCHEMA_MAP | _OTHER_KEYWORDS)
_META = Draft202012Validator(Draft202012Validator.META_SCHEMA)
# The same metaschema, compiled by jsonschema-rs: it accepts a valid schema about 500 times
# faster. It only ever answers "valid"; the messages of an invalid one come from `_META`.
_QUICK_META = jsonschema_rs.Draft202012Validator(
    Draft202012Validator.META_SCHEMA, validate_formats=False, offline=True
)
REF_PREFIX = "#/$defs/"


def check_schema(
    schema: Any, path: Path, types: Collection[str], own_keys: Collection[str] = ()
) -> list[Problem]:
    """Every problem of one embedded schema: metaschema, keywords, `$ref`, `required`.

    `own_keys` are keys the spec itself allows beside the schema (`from`), for hints only.
    """
    if not isinstance(schema, dict):
        return [Problem(path, "AG050", "invalid JSON Schema: expected a table")]
    problems = [] if _surely_valid(schema) else _metaschema_problems(schema, path)
    for sub_path, subschema in _subschemas(path, schema):
        keys = own_keys if sub_path == path else ()
        problems += _keyword_problems(sub_path, subschema, types, keys)
    return problems


def _surely_valid(schema: dict[str, Any]) -> bool:
    """The quick check's "valid"; False also for values it cannot take (TOML dates, NaN)."""
    try:
        return _QUICK_META.is_valid(schema)
    except ValueError:
        return False


def _metaschema_problems(schema: dict[str, Any], path: Path) -> list[Problem]:
    return [p for error in _META.iter_errors(schema) for p in _meta_problems(error, path)]


_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")
# Type names of other languages, which people write out of habit.
_TYPE_ALIASES = {
    "bool": "boolean",
    "dict": "object",
    "double": "number",
    "float": "number",
    "int": "integer",
    "list": "array",
    "none": "null",
    "str": "string",
}
_A_TYPE = {
    "array": "an array",
    "boolean": "a boolean",
    "integer": "an integer",
    "null": "null",
    "number": "a number",
    "object": "a table",
    "string": "a string",
}


def _meta_problems(error: Any, path: Path) -> list[Problem]:
    """Turn one metaschema error into problems that name the keyword at fault."""
    relative = tuple(error.absolute_path)
    where = path + relative
    roles = _roles(relative)
    if roles[-1:] == ["keyword"] and relative[-1] == "type":
        return _type_problems(error.instance, where)
    if error.validator == "type" and roles:
        return [_wrong_type(error, where, relative, roles)]
    return [Problem(where, "AG050", f"invalid JSON Schema: {error.message}")]


def _roles(relative: Path) -> list[str]:
    """For each part of a path inside a schema: a "keyword", a "member" of a map or list of
    schemas, or "data" (inside a keyword's plain value, such as `enum`)."""
    roles, context = [], "schema"
    for part in relative:
        if context == "schema":
            roles.append("keyword")
            context = _context_after(str(part))
        elif context in ("map", "list"):
            roles.append("member")
            context = "schema"
        else:
            roles.append("data")
    return roles


def _context_after(keyword: str) -> str:
    if keyword in _SCHEMA_MAP:
        return "map"
    if keyword in _SCHEMA_LIST:
        return "list"
    return "schema" if keyword in _ONE_SCHEMA else "data"


def _type_problems(value: Any, where: Path) -> list[Problem]:
    """`type` holds a type name or an array of them."""
    if isinstance(value, str):
        return [_unknown_type(value, where)] if value not in _TYPES else []
    if isinstance(value, list):
        unknown = [
            _unknown_type(item, where + (index,))
            for index, item in enumerate(value)
            if not isinstance(item, str) or item not in _TYPES
        ]
        message = "invalid JSON Schema: 'type' must not repeat a type or be empty"
        return unknown or [Problem(where, "AG050", message)]
    message = f"invalid JSON Schema: 'type' must name a type, not {_kind(value)}"
    return [Problem(where, "AG050", message, f"use one of {', '.join(_TYPES)}")]


def _unknown_type(value: Any, where: Path) -> Problem:
    shown = f"'{value}'" if isinstance(value, str) else _kind(value)
    message = f"invalid JSON Schema: unknown type {shown}"
    alias = _TYPE_ALIASES.get(value.lower()) if isinstance(value, str) else None
    hint = f"did you mean '{alias}'?" if alias else None
    if hint is None and isinstance(value, str):
        hint = did_you_mean(value, _TYPES)
    return Problem(where, "AG050", message, hint or f"use one of {', '.join(_TYPES)}")


def _wrong_type(error: Any, where: Path, relative: Path, roles: list[str]) -> Problem:
    """A keyword's value, or a subschema, of the wrong TOML type."""
    expected = error.validator_value
    got = _kind(error.instance)
    if roles[-1] == "member" or (roles[-1] == "keyword" and relative[-1] in _ONE_SCHEMA):
        return _not_a_schema(error.instance, where, relative, roles)
    if roles[-1] == "keyword" and isinstance(expected, str):
        message = f"invalid JSON Schema: '{relative[-1]}' must be {_A_TYPE[expected]}, got {got}"
        return Problem(where, "AG050", message)
    if len(roles) > 1 and roles[-2] == "keyword" and isinstance(expected, str):
        items = "tables" if expected == "object" else f"{expected}s"
        message = f"invalid JSON Schema: the items of '{relative[-2]}' must be {items}, got {got}"
        return Problem(where, "AG050", message)
    return Problem(where, "AG050", f"invalid JSON Schema: {error.message}")


def _not_a_schema(value: Any, where: Path, relative: Path, roles: list[str]) -> Problem:
    """A subschema written as something else, often a bare type name: `amount = "number"`."""
    got = _kind(value)
    if roles[-1] == "keyword":
        message = f"'{relative[-1]}' must be a schema table, got {got}"
    elif relative[-2] == "properties":
        message = f"property '{relative[-1]}' must be a schema table, got {got}"
    elif isinstance(relative[-1], int):
        message = f"the items of '{relative[-2]}' must be schema tables, got {got}"
    else:
        message = f"'{relative[-1]}' must be a schema table, got {got}"
    shown = _TYPE_ALIASES.get(value.lower(), value) if isinstance(value, str) else None
    hint = f'write {{ type = "{shown}" }}' if shown in _TYPES else None
    return Problem(where, "AG050", f"invalid JSON Schema: {message}", hint)


def _kind(value: Any) -> str:
    """Name a value's TOML type, as in `got a string`."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, datetime.datetime):  # before date: a datetime is also a date
        return "a date-time"
    if isinstance(value, datetime.date | datetime.time):
        return f"a {type(value).__name__}"
    return "an array" if isinstance(value, list) else "a table"


def _subschemas(path: Path, schema: dict[str, Any]) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every (sub)schema table with its path, depth-first, without recursion."""
    stack = [(path, schema)]
    while stack:
        here, current = stack.pop()
        yield here, current
        for keyword, value in current.items():
            stack.extend(_children(here + (keyword,), keyword, value))


def _children(path: Path, keyword: str, value: Any) -> list[tuple[Path, dict[str, Any]]]:
    if keyword in _ONE_SCHEMA and isinstance(value, dict):
        return [(path, value)]
    if keyword in _SCHEMA_LIST | {"items"} and isinstance(value, list):
        return [(path + (i,), item) for i, item in enumerate(value) if isinstance(item, dict)]
    if keyword in _SCHEMA_MAP and isinstance(value, dict):
        return [(path + (k,), item) for k, item in value.items() if isinstance(item, dict)]
    return []


def _keyword_problems(
    path: Path, schema: dict[str, Any], types: Collection[str], own_keys: Collection[str]
) -> list[Problem]:
    problems = []
    for keyword in schema:
        if keyword not in KNOWN_KEYWORDS and not keyword.startswith("x-"):
            message = f"unknown JSON Schema keyword '{keyword}'"
            hint = _closest(keyword, KNOWN_KEYWORDS | set(own_keys))
            problems.append(Problem(path + (keyword,), "AG051", message, hint, at="key"))
    ref = schema.get("$ref")
    if isinstance(ref, str):
        problems += _ref_problems(path + ("$ref",), ref, types)
    required, properties = schema.get("required"), schema.get("properties")
    if isinstance(required, list) and isinstance(properties, dict):
        for index, name in enumerate(required):
            if isinstance(name, str) and name not in properties:
                problems.append(_not_a_property(path + ("required", index), name, properties))
    return problems


def _closest(word: str, candidates: Collection[str]) -> str | None:
    """'Did you mean', preferring a candidate with two letters swapped (`form` -> `from`)."""
    for candidate in sorted(candidates):
        differ = [i for i, (a, b) in enumerate(zip(word, candidate, strict=False)) if a != b]
        swapped = len(differ) == 2 and word[differ[0]] == candidate[differ[1]]
        if len(word) == len(candidate) and swapped and sorted(word) == sorted(candidate):
            return f"did you mean '{candidate}'?"
    return did_you_mean(word, candidates)


def _not_a_property(path: Path, name: str, properties: dict[str, Any]) -> Problem:
    message = f"required property '{name}' is not among the properties"
    known = ", ".join(properties)
    listed = f"the properties are: {known}" if known else "the schema declares no properties"
    hint = did_you_mean(name, properties) or listed
    return Problem(path, "AG050", message, hint)


def _ref_problems(path: Path, ref: str, types: Collection[str]) -> list[Problem]:
    if not ref.startswith(REF_PREFIX):
        message = f"unsupported $ref '{ref}': refer to a named type as '{REF_PREFIX}<Type>'"
        name = ref.rstrip("/").rsplit("/", 1)[-1]
        hint = f"write '{REF_PREFIX}{name}'" if name in types else None
        return [Problem(path, "AG030", message, hint)]
    name = ref[len(REF_PREFIX) :]
    if name in types:
        return []
    hint = did_you_mean(name, types) or "declare it under [types]"
    return [Problem(path, "AG030", f"undefined type '{name}' in $ref", hint)]
