"""What a `when` expression may do with a param or attribute, read off its JSON Schema."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REF_PREFIX = "#/$defs/"
_NUMBERS = frozenset({"integer", "number"})
_SIZED = frozenset({"string", "array"})
# Number formats that stay `int` or `float` in the generated models.
_PLAIN_NUMBER_FORMATS = frozenset({"int32", "int64", "float", "double"})
_ARTICLES = {"integer": "an integer", "array": "an array", "object": "an object"}
_PYTHON_KINDS = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))


@dataclass(frozen=True)
class Shape:
    """A value's schema (behind `$ref` and a nullable `anyOf`) and whether it may be None."""

    schema: dict[str, Any]
    nullable: bool

    @property
    def kinds(self) -> frozenset[str]:
        """The JSON types the value may have besides null; empty when the schema does not say."""
        declared = self.schema.get("type")
        if isinstance(declared, str):
            return frozenset({declared} - {"null"})
        if isinstance(declared, list):
            return frozenset(kind for kind in declared if isinstance(kind, str)) - {"null"}
        return frozenset(_kind_of(value) for value in self.enum or ()) - {"null"}

    @property
    def enum(self) -> tuple[Any, ...] | None:
        """The only values it may take, from `enum` or `const`."""
        if isinstance(self.schema.get("enum"), list):
            return tuple(self.schema["enum"])
        return (self.schema["const"],) if "const" in self.schema else None

    @property
    def format(self) -> str | None:
        found = self.schema.get("format")
        return found if isinstance(found, str) else None

    @property
    def is_number(self) -> bool:
        plain = self.format is None or self.format in _PLAIN_NUMBER_FORMATS
        return bool(self.kinds) and self.kinds <= _NUMBERS and plain

    @property
    def has_length(self) -> bool:
        """A string the models keep as `str` (no `format`), or an array."""
        text = self.kinds == {"string"} and self.format is None
        return text or self.kinds == {"array"}

    @property
    def properties(self) -> dict[str, Any] | None:
        """An object's declared properties; None when it is no object or declares none."""
        found = self.schema.get("properties")
        if self.kinds <= {"object"} and isinstance(found, dict) and found:
            return found
        return None

    def describe(self) -> str:
        """The value's type as a noun phrase, e.g. `an integer` or `a string of format 'date'`."""
        if not self.kinds:
            return "a value of any type"
        if len(self.kinds) == 1 and self.format is not None:
            return f"{_article(next(iter(self.kinds)))} of format '{self.format}'"
        return " or ".join(_article(kind) for kind in sorted(self.kinds))


def param_shape(schema: Any, types: Mapping[str, Any]) -> Shape:
    """A tool param's shape: it may be None only when its schema admits null."""
    return _resolve(schema, types)


def attribute_shape(owner: Shape, name: str, types: Mapping[str, Any]) -> Shape | None:
    """An object's property: None when not declared; it may be None unless it is required."""
    properties = owner.properties
    if properties is None or name not in properties:
        return None
    shape = _resolve(properties[name], types)
    required = owner.schema.get("required")
    optional = not isinstance(required, list) or name not in required
    return Shape(shape.schema, shape.nullable or optional)


def _resolve(schema: Any, types: Mapping[str, Any]) -> Shape:
    """Follow `$ref`s and unwrap `anyOf`/`oneOf` of one schema and null (each ref once)."""
    nullable, seen = False, set()
    while isinstance(schema, dict):
        nullable = nullable or _admits_null(schema)
        ref = schema.get("$ref")
        if isinstance(ref, str):
            name = ref.removeprefix(REF_PREFIX)
            if not ref.startswith(REF_PREFIX) or name in seen:
                return Shape({}, nullable)
            seen.add(name)
            schema = types.get(name)
            continue
        branch = _only_branch(schema)
        if branch is None:
            return Shape(schema, nullable)
        schema = branch
    return Shape({}, nullable)


def _only_branch(schema: dict[str, Any]) -> Any:
    """The one schema of an `anyOf`/`oneOf` that only adds null to it, else None."""
    branches = schema.get("anyOf", schema.get("oneOf"))
    if "type" in schema or not isinstance(branches, list):
        return None
    others = [branch for branch in branches if not _is_null(branch)]
    return others[0] if len(others) == 1 and len(branches) > 1 else None


def _admits_null(schema: dict[str, Any]) -> bool:
    """`type = "null"` or a list with it, `nullable`, a null branch, or None among the enum."""
    declared = schema.get("type")
    if declared == "null" or (isinstance(declared, list) and "null" in declared):
        return True
    branches = [*_as_list(schema.get("anyOf")), *_as_list(schema.get("oneOf"))]
    enum = _as_list(schema.get("enum"))
    return bool(schema.get("nullable")) or any(map(_is_null, branches)) or None in enum


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_null(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null"


def _kind_of(value: Any) -> str:
    """The JSON type of an enum value."""
    for python, kind in _PYTHON_KINDS:
        if isinstance(value, python):
            return kind
    return "null" if value is None else type(value).__name__


def _article(kind: str) -> str:
    return _ARTICLES.get(kind, f"a {kind}")
