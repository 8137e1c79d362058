"""The spec language as a draft-07 JSON Schema, for TOML editors (`#:schema` first line)."""

from __future__ import annotations

import json
from typing import Any

from agentgen.spec.model import Spec

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
# Stable: editors, catalogs and `#:schema` lines cache the schema by it. A breaking change
# of the spec language is a new version of the language, and so a new id (spec-v2.json).
SCHEMA_ID = "https://agentgen.dev/schema/spec-v1.json"
TITLE = "agentgen spec v1"
DESCRIPTION = (
    "An agentgen agent spec, v1 of the spec language: one TOML file describes one agent (its"
    " model, prompts, tools, human contacts, states and tests), which `agentgen generate`"
    " turns into a typed Python package."
)
NULL = {"type": "null"}
# Keywords whose values are data, not subschemas: they are copied as they are.
DATA_KEYWORDS = frozenset({"default", "enum", "const", "examples"})
# Keywords whose values are maps of subschemas, and keywords whose value is one subschema.
SCHEMA_MAPS = frozenset({"properties", "patternProperties"})
SCHEMA_VALUES = frozenset({"items", "additionalProperties"})
# Any value at all. `{}` says the same, but tombi's strict mode reads it as a table with no
# keys allowed; `additionalProperties` constrains tables only, so nothing else changes.
ANY_VALUE = {"additionalProperties": True}


def spec_json_schema() -> dict[str, Any]:
    """The JSON Schema of a spec file, with a description on every key."""
    schema = _to_draft_07(Spec.model_json_schema(by_alias=True, mode="validation"))
    definitions = schema.pop("definitions", {})
    for key in ("title", "description"):
        schema.pop(key, None)
    return {
        "$schema": DRAFT_07,
        "$id": SCHEMA_ID,
        "title": TITLE,
        "description": DESCRIPTION,
        **schema,
        "definitions": dict(sorted(definitions.items())),
    }


def spec_json_schema_text() -> str:
    """The schema as stable, formatted JSON text."""
    return json.dumps(spec_json_schema(), indent=2, ensure_ascii=False) + "\n"


def _to_draft_07(node: Any) -> Any:
    """pydantic writes 2020-12 (`$defs`); draft-07 tools expect `definitions`."""
    if isinstance(node, list):
        return [_to_draft_07(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = _without_null(node)
    if "$ref" in node and len(node) > 1:
        # Draft-07 ignores the siblings of `$ref`; `allOf` keeps the description visible.
        node = {**node, "allOf": [{"$ref": node["$ref"]}]}
        del node["$ref"]
    if "patternProperties" in node:
        # Keys that match no pattern (a tool named `Add`) are errors, as in the model.
        node = {**node, "additionalProperties": False}
    converted: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            converted[key] = value.replace("#/$defs/", "#/definitions/")
        elif key == "$defs":
            converted["definitions"] = _to_draft_07(value)
        elif key in DATA_KEYWORDS:
            converted[key] = value
        elif key in SCHEMA_MAPS and isinstance(value, dict):
            converted[key] = {name: _open(_to_draft_07(sub)) for name, sub in value.items()}
        elif key in SCHEMA_VALUES:
            converted[key] = _open(_to_draft_07(value))
        else:
            converted[key] = _to_draft_07(value)
    return converted


def _open(schema: Any) -> Any:
    """`{}` (any value) as ANY_VALUE, which every TOML tool reads as any value."""
    return dict(ANY_VALUE) if schema == {} else schema


def _without_null(node: dict[str, Any]) -> dict[str, Any]:
    """TOML has no null: an optional key is left out, so `X | None` is just X for an editor."""
    branches = node.get("anyOf")
    if not isinstance(branches, list) or len(branches) != 2 or NULL not in branches:
        return node
    kept = next(branch for branch in branches if branch != NULL)
    rest = {key: value for key, value in node.items() if key != "anyOf"}
    if rest.get("default", ...) is None:
        del rest["default"]
    # The field's own description and title win over the generic ones of the kept branch.
    return {**kept, **rest}
