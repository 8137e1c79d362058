"""Check the JSON Schemas a spec embeds: params, returns, named types, state fields."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

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
REF_PREFIX = "#/$defs/"


def check_schema(schema: Any, path: Path, types: Collection[str]) -> list[Problem]:
    """Every problem of one embedded schema: metaschema, keywords, `$ref`, `required`."""
    if not isinstance(schema, dict):
        return [Problem(path, "AG050", "invalid JSON Schema: expected a table")]
    problems = [_meta_problem(error, path) for error in _META.iter_errors(schema)]
    for sub_path, subschema in _subschemas(path, schema):
        problems += _keyword_problems(sub_path, subschema, types)
    return problems


_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")


def _meta_problem(error: Any, path: Path) -> Problem:
    where = path + tuple(error.absolute_path)
    in_type = where[-1:] == ("type",) or (len(where) > 1 and where[-2] == "type")
    if in_type and isinstance(error.instance, str) and error.instance not in _TYPES:
        message = f"invalid JSON Schema: unknown type '{error.instance}'"
        hint = did_you_mean(error.instance, _TYPES) or f"use one of {', '.join(_TYPES)}"
        return Problem(where, "AG050", message, hint)
    return Problem(where, "AG050", f"invalid JSON Schema: {error.message}")


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


def _keyword_problems(path: Path, schema: dict[str, Any], types: Collection[str]) -> list[Problem]:
    problems = []
    for keyword in schema:
        if keyword not in KNOWN_KEYWORDS and not keyword.startswith("x-"):
            message = f"unknown JSON Schema keyword '{keyword}'"
            hint = did_you_mean(keyword, KNOWN_KEYWORDS)
            problems.append(Problem(path + (keyword,), "AG051", message, hint, at="key"))
    ref = schema.get("$ref")
    if isinstance(ref, str):
        problems += _ref_problems(path + ("$ref",), ref, types)
    required, properties = schema.get("required"), schema.get("properties")
    if isinstance(required, list) and isinstance(properties, dict):
        for index, name in enumerate(required):
            if isinstance(name, str) and name not in properties:
                message = f"required property '{name}' is not among the properties"
                hint = did_you_mean(name, properties)
                problems.append(Problem(path + ("required", index), "AG050", message, hint))
    return problems


def _ref_problems(path: Path, ref: str, types: Collection[str]) -> list[Problem]:
    if not ref.startswith(REF_PREFIX):
        message = f"unsupported $ref '{ref}': refer to a named type as '{REF_PREFIX}<Type>'"
        return [Problem(path, "AG030", message)]
    name = ref[len(REF_PREFIX) :]
    if name in types:
        return []
    hint = did_you_mean(name, types) or "declare it under [types]"
    return [Problem(path, "AG030", f"undefined type '{name}' in $ref", hint)]
