"""`agentgen import`: tools from where they already are (MCP servers, OpenAPI documents).

A source's tools become `[tools.<name>]` tables (and the `[types]` their schemas need) in a
new spec or appended to an existing one, checked as a whole before anything is written.
"""

from agentgen.importers._drafts import ImportRefused, Note, Source, ToolDraft
from agentgen.importers._mcp import read_server
from agentgen.importers._openapi import read_openapi
from agentgen.importers._plan import (
    NOTE_CODE,
    ImportFailed,
    ImportPlan,
    check_agent_name,
    plan_import,
)
from agentgen.importers._write import write

__all__ = [
    "NOTE_CODE",
    "ImportFailed",
    "ImportPlan",
    "ImportRefused",
    "Note",
    "Source",
    "ToolDraft",
    "check_agent_name",
    "plan_import",
    "read_openapi",
    "read_server",
    "write",
]
