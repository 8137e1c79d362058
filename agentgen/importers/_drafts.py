"""What an import reads (a source's tools) and what it writes (tool tables, notes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentgen.importers._schema_refs import Refs


class ImportRefused(Exception):
    """The import cannot go ahead as asked (exit 2); nothing is written. One line."""


@dataclass(frozen=True)
class Note:
    """Something of a source the spec cannot express, left out: a warning for the user."""

    tool: str
    param: str | None
    message: str
    at: tuple[str, ...]
    """Where in the spec it concerns: ("tools", tool, "params", param) or ("types", name)."""
    type: str | None = None

    def text(self) -> str:
        where = f"tool '{self.tool}'"
        if self.param is not None:
            where += f", param '{self.param}'"
        if self.type is not None:
            where += f", type '{self.type}'"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class SourceParam:
    """One param of a source's tool: its name, JSON Schema, and whether a call must give it."""

    name: str
    schema: Any
    required: bool


@dataclass(frozen=True)
class SourceTool:
    """A tool as its source describes it, before it has a spec name."""

    source_name: str
    description: str
    comment: tuple[str, ...]
    """Lines written above its table: where it came from, its original name."""
    params: tuple[SourceParam, ...]
    refs: Refs
    returns: Any = None
    notes: tuple[str, ...] = ()
    """What the source has that the tool leaves out, as messages."""


@dataclass(frozen=True)
class Source:
    """Everything one import reads: the tools, and the agent a new spec would be."""

    agent: str
    agent_description: str
    header: str
    """The comment a new spec starts with."""
    tools: tuple[SourceTool, ...]


@dataclass(frozen=True)
class ToolDraft:
    """One `[tools.<name>]` table to write, with the comment above it."""

    name: str
    comment: tuple[str, ...]
    table: dict[str, Any] = field(default_factory=dict)
