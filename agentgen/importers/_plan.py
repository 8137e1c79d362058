"""One import, whatever its source: the target spec, the names, the tables, all checked first.

Nothing is written until the whole spec, as it would be, validates and renders: a spec the
import writes passes `agentgen validate` and `agentgen generate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from agentgen.diagnostics import Diagnostic
from agentgen.importers._drafts import ImportRefused, Note, Source, SourceTool, ToolDraft
from agentgen.importers._names import class_names_of, tool_identifier
from agentgen.importers._schema_to_spec import SchemaMapper
from agentgen.importers._write import appended, new_spec, tables_text
from agentgen.plan import AgentWork, render_agent
from agentgen.spec.model import Spec
from agentgen.spec.names import check_identifier
from agentgen.validate import validate_bytes
from agentgen.validate._positions import scan_positions

# The warning of a note: something of the source's schemas the spec cannot express.
NOTE_CODE = "AG090"
_NEW_SPEC_DONE = "done_for_now"


class ImportFailed(Exception):
    """The imported tools would make a spec that does not generate (exit 1); nothing is written."""


@dataclass(frozen=True)
class ImportPlan:
    """What an import would write, and what it found on the way."""

    path: Path
    content: bytes
    original: bytes | None
    """The file as it was, when the import appends to it."""
    tools: tuple[ToolDraft, ...]
    source_names: tuple[str, ...]
    types: tuple[str, ...]
    warnings: tuple[Diagnostic, ...]
    errors: tuple[Diagnostic, ...]
    """The spec's problems as it would be: when there are any, nothing may be written."""

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Target:
    path: Path
    original: bytes | None
    spec: Spec | None


def plan_import(
    source: Source, spec_file: Path | None, agent: str | None, specs: Path
) -> ImportPlan:
    """Plan writing `source`'s tools to `spec_file` (default: `<specs>/<agent>.toml`)."""
    target = _target(source, spec_file, agent, specs)
    names = _names(source.tools, target)
    mapper = _mapper(target.spec, names)
    try:
        drafts = tuple(map(partial(_draft, mapper=mapper), source.tools, names))
    except RecursionError:
        raise ImportRefused("a schema nests too deeply to import") from None
    content = _content(source, target, agent, tables_text(drafts, mapper.types))
    shown = target.path.as_posix()
    result = validate_bytes(content, shown)
    if result.spec is not None:
        _check_renders(result.spec, target.path.name)
    errors = tuple(d for d in result.diagnostics if d.severity == "error")
    warnings = _warnings(mapper.notes, content, shown)
    sources = tuple(tool.source_name for tool in source.tools)
    return ImportPlan(
        target.path,
        content,
        target.original,
        drafts,
        sources,
        tuple(mapper.types),
        warnings,
        errors,
    )


def _content(source: Source, target: _Target, agent: str | None, tables: str) -> bytes:
    """The whole file as it would be: a new spec, or the old one and the tables after it."""
    if target.original is None:
        return new_spec(source.header, _agent_table(source, agent), tables)
    return appended(target.original, tables)


def _target(source: Source, spec_file: Path | None, agent: str | None, specs: Path) -> _Target:
    """The spec to append to (valid, and of `agent` if given), or the path of a new one."""
    if agent is not None:
        check_agent_name(agent)
    path = spec_file if spec_file is not None else specs / f"{agent or source.agent}.toml"
    if not path.exists():
        return _Target(path, None, None)
    if not path.is_file():
        raise ImportRefused(f"{path} is not a file")
    try:
        original = path.read_bytes()
    except OSError as error:
        raise ImportRefused(f"cannot read {path}: {error.strerror or error}") from None
    spec = validate_bytes(original, path.as_posix()).spec
    if spec is None:
        raise ImportRefused(f"{path} is not a valid spec: run `agentgen validate {path}`")
    if agent is not None and spec.agent.name != agent:
        message = f"{path} is the spec of agent '{spec.agent.name}', not '{agent}'"
        raise ImportRefused(f"{message}: --agent names the agent of a new spec")
    return _Target(path, original, spec)


def check_agent_name(agent: str) -> None:
    """Refuse an agent name the spec would refuse."""
    try:
        check_identifier(agent)
    except ValueError as error:
        raise ImportRefused(f"--agent: {_message(error)}") from None


def _message(error: ValueError) -> str:
    """A pydantic custom error's text, with its hint."""
    context = getattr(error, "context", None) or {}
    hint = context.get("hint")
    return f"{error} ({hint})" if hint else str(error)


def _names(tools: tuple[SourceTool, ...], target: _Target) -> list[str]:
    """Each tool's spec name; one already in the spec, or two alike, are refused."""
    kinds = _intent_kinds(target.spec)
    seen: dict[str, str] = {}
    for tool in tools:
        name = tool_identifier(tool.source_name)
        if kinds.get(name) == "tool":
            raise ImportRefused(f"tool '{name}' already exists in {target.path}")
        if name in kinds:
            raise ImportRefused(f"tool '{name}' would take the name of the {kinds[name]}")
        if name in seen:
            both = f"'{seen[name]}' and '{tool.source_name}' would both be tool '{name}'"
            raise ImportRefused(f"{both}: import one of them")
        seen[name] = tool.source_name
    return list(seen)


def _intent_kinds(spec: Spec | None) -> dict[str, str]:
    if spec is None:
        return {_NEW_SPEC_DONE: "done intent"}
    kinds = dict.fromkeys(spec.tools, "tool") | dict.fromkeys(spec.humans, "human contact")
    return kinds | {spec.done.name: "done intent"}


def _mapper(spec: Spec | None, names: list[str]) -> SchemaMapper:
    """A mapper whose new types take no name the spec or its generated package has."""
    intents = [*_intent_kinds(spec), *names]
    tools = [*(spec.tools if spec is not None else ()), *names]
    return SchemaMapper(spec.types if spec is not None else {}, class_names_of(intents, tools))


def _draft(tool: SourceTool, name: str, *, mapper: SchemaMapper) -> ToolDraft:
    """One tool's table: its description, params and result."""
    params = {
        param.name: mapper.param(name, param.name, param.schema, param.required, tool.refs)
        for param in tool.params
    }
    table: dict[str, Any] = {"description": tool.description}
    if params:
        table["params"] = params
    if tool.returns is not None:
        table["returns"] = mapper.returns(name, tool.returns, tool.refs)
    mapper.notes += [Note(name, None, message, ("tools", name)) for message in tool.notes]
    return ToolDraft(name, tool.comment, table)


def _agent_table(source: Source, agent: str | None) -> dict[str, str]:
    table = {"name": agent or source.agent}
    if source.agent_description:
        table["description"] = source.agent_description
    return table


def _check_renders(spec: Spec, file_name: str) -> None:
    """The spec, as it would be, renders to a package; the import never writes one that fails."""
    try:
        render_agent(AgentWork(spec, file_name, None))
    except Exception as error:  # whatever the generator raises here, `generate` would too
        raise ImportFailed(f"the imported tools would not generate: {error}") from error


def _warnings(notes: list[Note], content: bytes, shown: str) -> tuple[Diagnostic, ...]:
    """Each note as a warning at the key it concerns in the file as written."""
    positions = scan_positions(content.decode("utf-8-sig"))
    found = []
    for note in notes:
        where = positions.key(note.at)
        found.append(
            Diagnostic(shown, where.line, where.column, NOTE_CODE, note.text(), None, "warning")
        )
    return tuple(found)
