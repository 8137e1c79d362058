"""The spec language as a draft-07 JSON Schema, for TOML editors (`#:schema` first line)."""

from __future__ import annotations

import json
from typing import Any

from agentgen.spec.model import Spec

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
SCHEMA_ID = "https://agentgen.dev/schema/spec-v1.json"
NULL = {"type": "null"}
# Keywords whose values are data, not subschemas: they are copied as they are.
DATA_KEYWORDS = frozenset({"default", "enum", "const", "examples"})


def spec_json_schema() -> dict[str, Any]:
    """The JSON Schema of a spec file, with a description on every key."""
    schema = _to_draft_07(Spec.model_json_schema(by_alias=True, mode="validation"))
    definitions = schema.pop("definitions", {})
    schema.pop("title", None)
    return {
        "$schema": DRAFT_07,
        "$id": SCHEMA_ID,
        "title": "agentgen spec v1",
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
        else:
            converted[key] = _to_draft_07(value)
    return converted


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
