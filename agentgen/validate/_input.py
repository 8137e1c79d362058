"""Check [input]: a JSON Schema of one object, whose fields become the typed `AgentInput`."""

from __future__ import annotations

from typing import Any

from agentgen.spec.model import Spec
from agentgen.validate._jsonschema import check_schema
from agentgen.validate._positions import Path
from agentgen.validate._problems import Problem

INPUT_PATH: Path = ("input",)
# Top-level keywords that make the input a choice between schemas, not one object.
_CHOICES = ("anyOf", "oneOf")


def check_input(spec: Spec) -> list[Problem]:
    """The [input] schema's own problems, then whether it is one object with properties."""
    if spec.input is None:
        return []
    problems = check_schema(spec.input, INPUT_PATH, set(spec.types))
    return problems or _object_problems(spec.input)


def _object_problems(schema: dict[str, Any]) -> list[Problem]:
    """AG052 when the schema is not `type = "object"` with its fields under `properties`."""
    kind = schema.get("type")
    if kind != "object":
        shown = "but it has no type" if kind is None else f"not type {kind!r}"
        message = f'[input] must be an object schema (type = "object"), {shown}'
        hint = 'write type = "object"'
        if "type" in schema:
            return [Problem(INPUT_PATH + ("type",), "AG052", message, hint)]
        return [Problem(INPUT_PATH, "AG052", message, hint, at="key")]
    for keyword in _CHOICES:
        if keyword in schema:
            message = f"[input] must be one object schema, not a choice of schemas ({keyword})"
            hint = "declare its fields under properties; put alternatives inside a property"
            return [Problem(INPUT_PATH + (keyword,), "AG052", message, hint, at="key")]
    if not schema.get("properties"):
        message = "[input] declares no properties: the typed input needs its fields"
        hint = 'add them as properties.<name> = { type = "string" }'
        return [Problem(INPUT_PATH, "AG052", message, hint, at="key")]
    return []
