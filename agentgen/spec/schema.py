"""The spec language as a draft-07 JSON Schema, for TOML editors (`#:schema` first line)."""

from __future__ import annotations

import json
from typing import Any

from agentgen.spec.model import Spec

DRAFT_07 = "http://json-schema.org/draft-07/schema#"


def spec_json_schema() -> dict[str, Any]:
    """The JSON Schema of a spec file, with a description on every key."""
    schema = Spec.model_json_schema(by_alias=True, mode="validation")
    schema = _to_draft_07(schema)
    definitions = schema.pop("definitions", {})
    return {
        **schema,
        "$schema": DRAFT_07,
        "$id": "https://agentgen.dev/schema/spec-v1.json",
        "title": "agentgen spec v1",
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
    converted: dict[str, Any] = {}
    if "$ref" in node and len(node) > 1:
        # Draft-07 ignores the siblings of `$ref`; `allOf` keeps the description visible.
        node = {**node, "allOf": [{"$ref": node["$ref"]}]}
        del node["$ref"]
    if "patternProperties" in node:
        node = {**node, "additionalProperties": False}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            converted[key] = value.replace("#/$defs/", "#/definitions/")
        elif key == "$defs":
            converted["definitions"] = _to_draft_07(value)
        else:
            converted[key] = _to_draft_07(value)
    return converted
