"""JSON Schemas from elsewhere (MCP inputSchemas, OpenAPI schemas) as the spec's schemas.

The spec language is JSON Schema written in TOML, with named types under [types] that schemas
reach as `#/$defs/<Type>`. What is ours: every `$ref` target becomes a named type; an optional
param becomes one the way the spec says it (a default, or a schema that admits null); the
keywords of older drafts and OpenAPI 3.0 (`nullable`, boolean `exclusiveMinimum`) become
2020-12's; and what TOML cannot hold (null, integers past 64 bits) or the spec does not know
is left out with a `Note`, never silently.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urlparse
from urllib.request import url2pathname

from agentgen.importers._drafts import ImportRefused, Note
from agentgen.importers._names import free_name, type_name
from agentgen.importers._schema_refs import Refs
from agentgen.ir import is_nullable
from agentgen.validate._jsonschema import KNOWN_KEYWORDS, REF_PREFIX

# Keywords whose value is one subschema, a list of them, or a map of name to subschema.
_ONE = {
    "additionalProperties", "items", "contains", "not", "if", "then", "else", "propertyNames",
    "unevaluatedItems", "unevaluatedProperties", "contentSchema",
}  # fmt: skip
_LIST = {"allOf", "anyOf", "oneOf", "prefixItems"}
_MAP = {"properties", "patternProperties", "dependentSchemas"}
# Their members become [types] once a `$ref` reaches them.
_HOISTED = {"$defs", "definitions"}
# Left out without a word: `$id` and `$anchor` would move `$ref`s already resolved, `$schema`
# names a dialect the spec fixes, and `xml` is only how OpenAPI writes the value as XML.
_QUIET = {"$schema", "$id", "$anchor", "xml"}
# What stays beside `anyOf` when a schema is made to admit null.
_ANNOTATIONS = {"title", "description", "default", "deprecated", "examples", "example"}
# The order keywords are written in, as the README's specs do: what it is first, then the
# rest as the source has them, its description last.
_FIRST = ("$ref", "type", "format", "enum", "const", "default", "required")
_LAST = ("description",)
_INT64 = range(-(2**63), 2**63)
_DROP = object()


@dataclass(frozen=True)
class _Where:
    """Which tool, param and named type a schema belongs to, and the base of its `$ref`s."""

    tool: str
    param: str | None
    at: tuple[str, ...]
    refs: Refs
    base: str
    type: str | None = None

    def note(self, message: str) -> Note:
        return Note(self.tool, self.param, message, self.at, self.type)


class SchemaMapper:
    """Converts the schemas of one import; collects the named types they need and the notes."""

    def __init__(self, existing_types: Mapping[str, Any], taken: Collection[str]) -> None:
        self.types: dict[str, dict[str, Any]] = {}
        self.notes: list[Note] = []
        self._existing = dict(existing_types)
        self._taken = set(taken) | set(existing_types)
        self._named: dict[str, str] = {}
        self._converting: set[str] = set()

    def param(
        self, tool: str, name: str, schema: Any, required: bool, refs: Refs
    ) -> dict[str, Any]:
        """A param's schema; optional ones get a default or admit null, as the spec wants."""
        where = _Where(tool, name, ("tools", tool, "params", name), refs, refs.uri)
        converted = _table(self._schema(schema, where, name))
        if "default" in converted:
            return converted
        if not required:
            return admit_null(converted)
        if is_nullable(converted):
            message = "required, but it may be null: the spec makes it optional (None if left out)"
            self.notes.append(where.note(message))
        return converted

    def returns(self, tool: str, schema: Any, refs: Refs) -> dict[str, Any]:
        """A tool's result schema."""
        where = _Where(tool, None, ("tools", tool, "returns"), refs, refs.uri)
        return _table(self._schema(schema, where))

    def _schema(self, node: Any, where: _Where, name: str | None = None) -> dict[str, Any] | bool:
        """One schema; `name` is the property or type it describes (for redundant titles)."""
        if isinstance(node, bool):
            return node
        if not isinstance(node, dict):
            self.notes.append(where.note(f"a schema that is not an object ({node!r}) is left out"))
            return {}
        node, admits_null = _modern(node)
        out: dict[str, Any] = {}
        for key, value in node.items():
            converted = self._keyword(key, value, where, name)
            if converted is not _DROP:
                out[key] = converted
        out = _ordered(out)
        return admit_null(out) if admits_null or _null_in_enum(out) else out

    def _keyword(self, key: str, value: Any, where: _Where, name: str | None) -> Any:
        """One keyword's converted value, or _DROP."""
        if key == "$ref":
            return self._ref(value, where)
        if key in _HOISTED or key in _QUIET or (key == "title" and _redundant(value, name)):
            return _DROP
        if key not in KNOWN_KEYWORDS and not key.startswith("x-"):
            self.notes.append(
                where.note(f"left out '{key}': the spec language has no such keyword")
            )
            return _DROP
        if key in _ONE:
            return self._schema(value, where)
        if key in _LIST and isinstance(value, list):
            return [self._schema(item, where) for item in value]
        if key in _MAP and isinstance(value, dict):
            named = key == "properties"
            return {k: self._schema(v, where, k if named else None) for k, v in value.items()}
        if key == "discriminator" and isinstance(value, dict):
            return self._discriminator(value, where)
        return self._data(key, value, where)

    def _data(self, key: str, value: Any, where: _Where) -> Any:
        """A keyword's plain value, if TOML can hold it."""
        if key == "enum" and isinstance(value, list) and None in value:
            return value  # the null is taken out, and admitted, by `_schema`
        if key == "default" and value is None:
            return _DROP  # the schema admits null, or the default of an optional param is None
        problem = _untomlable(value)
        if problem is None:
            return value
        self.notes.append(where.note(f"left out '{key}': {problem}"))
        return _DROP

    def _ref(self, ref: Any, where: _Where) -> Any:
        """`{"$ref": ...}` to anything becomes one to a named type."""
        if not isinstance(ref, str):
            self.notes.append(where.note(f"left out '$ref': {ref!r} is not a reference"))
            return _DROP
        found = where.refs.lookup(ref, where.base)
        if isinstance(found, str):
            raise ImportRefused(where.note(found).text())
        uri, target = found
        name = self._named.get(uri) or self._hoist(uri, target, where)
        return REF_PREFIX + name

    def _hoist(self, uri: str, target: Any, where: _Where) -> str:
        """A `$ref` target as a named type; an equal one already named is shared instead."""
        base = type_name(_last_segment(uri) or f"{where.tool}_schema")
        name = free_name(base, self._taken)
        self._named[uri] = name
        self._taken.add(name)
        self.types[name] = {}  # holds the place while the type converts (it may refer to itself)
        self._converting.add(name)
        inside = replace(where, at=("types", name), base=urldefrag(uri).url, type=name)
        converted = _table(self._schema(target, inside, base))
        self._converting.discard(name)
        done = {
            k: v for k, v in {**self._existing, **self.types}.items() if k not in self._converting
        }
        same = _equal_type(base, converted, done, name)
        if same is None:
            self.types[name] = converted
            return name
        del self.types[name]
        self._taken.discard(name)
        self._named[uri] = same
        return same

    def _discriminator(self, value: dict[str, Any], where: _Where) -> Any:
        """OpenAPI's discriminator, its mapping's `$ref`s pointing at named types too."""
        mapping = value.get("mapping")
        if not isinstance(mapping, dict):
            return self._data("discriminator", value, where)
        named = {key: self._ref(ref, where) for key, ref in mapping.items()}
        return {**value, "mapping": {k: v for k, v in named.items() if v is not _DROP}}


def admit_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema`, or it or null: `type = ["string", "null"]`, else an `anyOf` with null."""
    enum = schema.get("enum")
    if isinstance(enum, list) and None in enum:
        schema = {**schema, "enum": [item for item in enum if item is not None]}
    elif is_nullable(schema):
        return schema
    kind = schema.get("type")
    if "enum" not in schema and "const" not in schema and isinstance(kind, str | list):
        kinds = [kind] if isinstance(kind, str) else list(kind)
        return {**schema, "type": [*kinds, "null"]}
    core = {k: v for k, v in schema.items() if k not in _ANNOTATIONS}
    if core.get("enum") == []:
        return {"type": "null", **{k: v for k, v in schema.items() if k in _ANNOTATIONS}}
    kept = {k: v for k, v in schema.items() if k in _ANNOTATIONS}
    return {"anyOf": [core, {"type": "null"}], **kept}


def _modern(node: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Draft-4 and OpenAPI 3.0 keywords as 2020-12 ones, and whether `nullable` was true."""
    node = dict(node)
    admits_null = node.pop("nullable", False) is True
    if "const" in node and node["const"] is None:  # TOML has no null, but a type for it
        del node["const"]
        node["type"] = "null"
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        flag = node.get(bound)
        if isinstance(flag, bool):  # draft 4 and OpenAPI 3.0: a flag on `minimum`
            del node[bound]
            if flag and limit in node:
                node[bound] = node.pop(limit)
    if isinstance(node.get("items"), list):
        node["prefixItems"] = node.pop("items")
        if "additionalItems" in node:
            node["items"] = node.pop("additionalItems")
    return node, admits_null


def _ordered(schema: dict[str, Any]) -> dict[str, Any]:
    first = {key: schema[key] for key in _FIRST if key in schema}
    last = {key: schema[key] for key in _LAST if key in schema}
    middle = {key: value for key, value in schema.items() if key not in first and key not in last}
    return first | middle | last


def _table(schema: dict[str, Any] | bool) -> dict[str, Any]:
    """A schema where the spec needs a table: `true` is `{}`, `false` is `{ not = {} }`."""
    if isinstance(schema, bool):
        return {} if schema else {"not": {}}
    return schema


def _null_in_enum(schema: dict[str, Any]) -> bool:
    enum = schema.get("enum")
    return isinstance(enum, list) and None in enum


def _redundant(title: Any, name: str | None) -> bool:
    """A title that only repeats its name, as pydantic writes them (`zip_code`: "Zip Code")."""
    return name is not None and title in (name, name.title().replace("_", " "))


def _untomlable(value: Any) -> str | None:
    """Why TOML cannot hold `value`, or None."""
    if value is None:
        return "TOML has no null"
    if isinstance(value, bool | str | float):
        return None
    if isinstance(value, int):
        return None if value in _INT64 else f"{value} is past TOML's 64-bit integers"
    if isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, list):
        items = value
    else:
        return f"a {type(value).__name__} is not a JSON value"
    return next((found for item in items if (found := _untomlable(item))), None)


def _last_segment(uri: str) -> str:
    """The name a `$ref` target goes by: its pointer's last part, else its file's stem."""
    document, fragment = urldefrag(uri)
    parts = [unquote(p).replace("~1", "/").replace("~0", "~") for p in fragment.split("/") if p]
    if parts:
        return parts[-1]
    parsed = urlparse(document)
    return Path(url2pathname(parsed.path)).stem if parsed.scheme == "file" else ""


def _equal_type(
    base: str, schema: dict[str, Any], types: Mapping[str, Any], name: str
) -> str | None:
    """A type named like `base` (`Pet`, `Pet2`, ...) whose schema is `schema`, if there is one."""
    for other, existing in types.items():
        family = other == base or (other.startswith(base) and other[len(base) :].isdigit())
        if other != name and family and existing == schema:
            return other
    return None
