"""`agentgen import openapi`: chosen operations of an OpenAPI 3.0 or 3.1 document as tools.

Each operation is one tool: its path, query and header parameters are params by their own
names, and a JSON request body is one more param, `body` (`request_body` when a parameter is
already called so), typed by the body's schema (a `$ref`'d body keeps its named type); the
first 2xx JSON response's schema is its `returns`. The comment above each table says which
param goes where, for the handler that makes the request.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from agentgen.importers._drafts import ImportRefused, Source, SourceParam, SourceTool
from agentgen.importers._names import agent_identifier
from agentgen.importers._schema_refs import Refs
from agentgen.spec.hints import did_you_mean

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_LOCATIONS = ("path", "query", "header")
_BODY_NAMES = ("body", "request_body")
# Header parameters OpenAPI says to ignore: the request's media types and auth say them.
_IGNORED_HEADERS = {"accept", "content-type", "authorization"}


@dataclass(frozen=True)
class _Operation:
    operation_id: str
    method: str
    route: str
    operation: dict[str, Any]
    path_item: dict[str, Any]


@dataclass
class _Params:
    """An operation's params as they are gathered, with where each one goes."""

    params: list[SourceParam] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, schema: Any, required: bool, place: str) -> None:
        self.params.append(SourceParam(name, schema, required))
        self.places.append(f"{name} ({place})")

    def names(self) -> set[str]:
        return {param.name for param in self.params}


def read_openapi(path: Path, operation_ids: Sequence[str]) -> Source:
    """The operations `operation_ids` of the OpenAPI document at `path`, as tools."""
    document = load_document(path)
    _check_version(document, path)
    operations = _operations(document)
    chosen = [_pick(operations, wanted, path) for wanted in dict.fromkeys(operation_ids)]
    refs = Refs(document, path.resolve().as_uri(), load_document)
    server = _server(document)
    info = document.get("info")
    title = info.get("title") if isinstance(info, dict) else None
    title = title if isinstance(title, str) else ""
    agent = agent_identifier(title or path.stem, "openapi_tools")
    header = f"Operations of {title or path.name}, imported by `agentgen import openapi`."
    return Source(agent, title, header, tuple(_tool(op, refs, server) for op in chosen))


def load_document(path: Path) -> Any:
    """A JSON or YAML file as JSON values (YAML's dates as their text, its keys as strings)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ImportRefused(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ImportRefused(f"{path} is not UTF-8 text") from None
    try:
        return _json_values(json.loads(text) if path.suffix == ".json" else yaml.safe_load(text))
    except (ValueError, yaml.YAMLError) as error:
        raise ImportRefused(f"{path} is not JSON or YAML: {' '.join(str(error).split())}") from None
    except RecursionError:
        raise ImportRefused(f"{path} nests too deeply (or refers to itself)") from None


def _json_values(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _json_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_values(item) for item in value]
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def _check_version(document: Any, path: Path) -> None:
    if not isinstance(document, dict):
        raise ImportRefused(f"{path} is not an OpenAPI document: it is not a mapping")
    version = str(document.get("openapi", ""))
    if version.startswith(("3.0", "3.1")):
        return
    if "swagger" in document:
        raise ImportRefused(f"{path} is Swagger 2.0: only OpenAPI 3.0 and 3.1 can be imported")
    raise ImportRefused(f"{path} is not an OpenAPI 3.0 or 3.1 document (no 'openapi: 3.x')")


def _operations(document: dict[str, Any]) -> dict[str, _Operation]:
    """Every operation that has an operationId, by it, in the document's order."""
    found: dict[str, _Operation] = {}
    paths = document.get("paths")
    for route, item in paths.items() if isinstance(paths, dict) else ():
        for method in _METHODS if isinstance(item, dict) else ():
            operation = item.get(method)
            if isinstance(operation, dict) and isinstance(operation.get("operationId"), str):
                identifier = operation["operationId"]
                found.setdefault(identifier, _Operation(identifier, method, route, operation, item))
    return found


def _pick(operations: dict[str, _Operation], wanted: str, path: Path) -> _Operation:
    if wanted in operations:
        return operations[wanted]
    hint = did_you_mean(wanted, operations)
    shown = f" ({hint})" if hint else ""
    known = ", ".join(sorted(operations)) or "none (no operation has an operationId)"
    raise ImportRefused(
        f"unknown operation '{wanted}' in {path}{shown}; its operations are: {known}"
    )


def _server(owner: dict[str, Any], default: str = "") -> str:
    """The first server's URL of a document, path item or operation (without its last `/`)."""
    servers = owner.get("servers")
    first = servers[0] if isinstance(servers, list) and servers else None
    url = first.get("url") if isinstance(first, dict) else None
    return url.rstrip("/") if isinstance(url, str) else default


def _tool(found: _Operation, refs: Refs, server: str) -> SourceTool:
    """One operation as a tool: its parameters and JSON body as params, its 2xx JSON result."""
    gathered = _Params()
    _parameters(found, refs, gathered)
    _body(found.operation, refs, gathered)
    base = _server(found.operation, _server(found.path_item, server))
    route = f"{found.method.upper()} {base}{found.route}"
    comment = [f"OpenAPI operation {found.operation_id}: {route}"]
    if gathered.places:
        comment.append("params: " + ", ".join(gathered.places))
    description = _description(found.operation) or f"{found.method.upper()} {found.route}"
    returns = _returns(found.operation, refs)
    params = tuple(gathered.params)
    return SourceTool(
        found.operation_id,
        description,
        tuple(comment),
        params,
        refs,
        returns,
        tuple(gathered.notes),
    )


def _description(operation: dict[str, Any]) -> str:
    """The summary, then the description when it says more."""
    texts = [operation.get(key) for key in ("summary", "description")]
    parts = [text.strip() for text in texts if isinstance(text, str) and text.strip()]
    if len(parts) == 2 and parts[0].rstrip(".") == parts[1].rstrip("."):
        parts = parts[:1]
    return "\n\n".join(parts)


def _parameters(found: _Operation, refs: Refs, gathered: _Params) -> None:
    """The path item's and the operation's parameters (the operation's win), in order."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*_listed(found.path_item), *_listed(found.operation)]:
        parameter = _resolved(raw, refs, found.operation_id)
        name, place = parameter.get("name"), parameter.get("in")
        if isinstance(name, str) and isinstance(place, str):
            merged[(name, place)] = parameter
    for (name, place), parameter in merged.items():
        if place == "header" and name.lower() in _IGNORED_HEADERS:
            continue
        if place not in _LOCATIONS:
            gathered.notes.append(f"left out the {place} parameter '{name}'")
            continue
        required = place == "path" or parameter.get("required") is True
        unique = name if name not in gathered.names() else f"{name}_{place}"
        if unique != name:
            gathered.notes.append(f"the {place} parameter '{name}' is the param '{unique}'")
            place = f"{place} {name}"
        gathered.add(unique, _parameter_schema(parameter), required, place)


def _listed(owner: dict[str, Any]) -> list[Any]:
    listed = owner.get("parameters")
    return listed if isinstance(listed, list) else []


def _resolved(value: Any, refs: Refs, operation_id: str) -> dict[str, Any]:
    """A parameter, body or response, behind its `$ref` if it has one."""
    ref = value.get("$ref") if isinstance(value, dict) else None
    if isinstance(ref, str):
        found = refs.lookup(ref, refs.uri)
        if isinstance(found, str):
            raise ImportRefused(f"operation '{operation_id}': {found}")
        value = found[1]
    return value if isinstance(value, dict) else {}


def _parameter_schema(parameter: dict[str, Any]) -> Any:
    """A parameter's schema (or its content's), described as the parameter is."""
    schema = parameter.get("schema")
    if schema is None:
        schema = _json_schema(parameter.get("content")) or {}
    description = parameter.get("description")
    if isinstance(description, str) and description.strip() and isinstance(schema, dict):
        schema = {**schema, "description": schema.get("description", description.strip())}
    return schema


def _body(operation: dict[str, Any], refs: Refs, gathered: _Params) -> None:
    """A JSON request body as one param, `body`, typed by its schema."""
    if "requestBody" not in operation:
        return
    body = _resolved(operation["requestBody"], refs, operation.get("operationId", ""))
    content = body.get("content")
    schema = _json_schema(content)
    if schema is None:
        kinds = ", ".join(content) if isinstance(content, dict) and content else "no content"
        gathered.notes.append(f"left out its request body: {kinds}, not JSON")
        return
    description = body.get("description")
    if isinstance(description, str) and description.strip() and isinstance(schema, dict):
        schema = {**schema, "description": schema.get("description", description.strip())}
    name = next(name for name in _BODY_NAMES if name not in gathered.names())
    gathered.add(name, schema, body.get("required") is True, "JSON request body")


def _json_schema(content: Any) -> Any:
    """The schema of a content map's JSON media type (application/json first), or None."""
    if not isinstance(content, dict):
        return None
    kinds = sorted(content, key=lambda kind: kind != "application/json")
    for kind in kinds:
        media = content[kind]
        is_json = kind == "application/json" or kind.split(";")[0].endswith("+json")
        if is_json and isinstance(media, dict) and "schema" in media:
            return media["schema"]
    return None


def _returns(operation: dict[str, Any], refs: Refs) -> Any:
    """The schema of the first 2xx response with JSON content, if any."""
    responses = operation.get("responses")
    if not isinstance(responses, dict):
        return None
    for code in sorted(str(code) for code in responses):
        if code.startswith("2") and len(code) == 3:
            response = _resolved(responses[code], refs, operation.get("operationId", ""))
            schema = _json_schema(response.get("content"))
            if schema is not None:
                return schema
    return None
