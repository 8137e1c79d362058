"""`agentgen import mcp`: the tools an MCP server lists over stdio, as an import's source.

The server is started with the runtime's `McpClient` (the official `mcp` SDK), the same
client that handlers of the imported tools call it with.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO, cast
from urllib.parse import quote

from agentgen.importers._drafts import ImportRefused, Source, SourceParam, SourceTool
from agentgen.importers._names import agent_identifier, tool_identifier
from agentgen.importers._schema_refs import Refs
from agentgen.spec.hints import did_you_mean
from agentgen_runtime import AgentgenError, McpClient

if TYPE_CHECKING:
    from mcp.types import Tool

# What an inputSchema's root may hold besides its properties without losing anything.
_ROOT_KEYS = {"type", "properties", "required", "$defs", "definitions", "title", "description"}
_ROOT_KEYS |= {"$schema", "$id", "additionalProperties"}


def read_server(command: Sequence[str], only: Sequence[str], timeout_s: float) -> Source:
    """The tools of the MCP server run as `command` (those named in `only`, if any)."""
    shown = shlex.join(command)
    name, tools = _list_tools(command, shown, timeout_s)
    if not tools:
        raise ImportRefused(f"`{shown}` lists no tools")
    chosen = select(tools, only)
    agent = agent_identifier(name or Path(command[-1]).stem, "mcp_tools")
    header = f"Tools of the MCP server `{shown}`, imported by `agentgen import mcp`."
    return Source(agent, "", header, tuple(_tool(tool, shown) for tool in chosen))


def _list_tools(
    command: Sequence[str], shown: str, timeout_s: float
) -> tuple[str | None, list[Tool]]:
    """The server's name and tools; a server that fails says why, with its last stderr line."""
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errlog:
        try:
            with _quiet_sdk_logs():
                return asyncio.run(_listing(command, timeout_s, cast(TextIO, errlog)))
        except TimeoutError:
            reason = f"no answer within {timeout_s:g} s"
        except (AgentgenError, OSError) as error:  # McpError, or MissingExtra without `mcp`
            reason = str(error)
        message = f"cannot list the tools of `{shown}`: {reason}{_stderr(errlog)}"
    raise ImportRefused(message)


async def _listing(
    command: Sequence[str], timeout_s: float, errlog: TextIO
) -> tuple[str | None, list[Tool]]:
    async with asyncio.timeout(timeout_s):
        async with McpClient(command, timeout_s=timeout_s, errlog=errlog) as client:
            return client.server_name, await client.list_tools()


@contextmanager
def _quiet_sdk_logs() -> Iterator[None]:
    """The SDK logs a server's garbage with a traceback; the one-line error says it instead."""
    logger = logging.getLogger("mcp")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


def _stderr(errlog: IO[str]) -> str:
    """The server's last line on stderr, which often says why it failed."""
    errlog.seek(0)
    lines = [line.strip() for line in errlog.read().splitlines() if line.strip()]
    return f" (its stderr ends: {lines[-1][:200]})" if lines else ""


def select(tools: list[Tool], only: Sequence[str]) -> list[Tool]:
    """The tools named in `only`, by their MCP or spec names; all of them when it is empty."""
    if not only:
        return tools
    by_name = {tool.name: tool for tool in tools}
    for tool in tools:
        by_name.setdefault(tool_identifier(tool.name), tool)
    for name in only:
        if name not in by_name:
            hint = did_you_mean(name, by_name)
            known = ", ".join(tool.name for tool in tools) or "none"
            shown = f" ({hint})" if hint else ""
            raise ImportRefused(f"the server has no tool '{name}'{shown}; its tools are: {known}")
    wanted = {by_name[name].name for name in only}
    return [tool for tool in tools if tool.name in wanted]


def _tool(tool: Tool, shown: str) -> SourceTool:
    """One MCP tool: its description, and its inputSchema's properties as params."""
    refs = Refs(tool.input_schema, f"urn:agentgen:mcp:{quote(tool.name, safe='')}")
    root, notes = _root(tool.name, tool.input_schema, refs)
    properties = root.get("properties")
    required = root.get("required")
    required_names = set(required) if isinstance(required, list) else set()
    params = tuple(
        SourceParam(name, schema, name in required_names)
        for name, schema in (properties.items() if isinstance(properties, dict) else ())
    )
    description = tool.description or tool.title or f"The MCP tool '{tool.name}'."
    comment = (f"MCP tool {tool.name!r} of `{shown}`",)
    return SourceTool(tool.name, description, comment, params, refs, None, tuple(notes))


def _root(name: str, schema: dict[str, Any], refs: Refs) -> tuple[dict[str, Any], list[str]]:
    """The object whose properties are the params (behind a root `$ref` too), and what is lost."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and "properties" not in schema:
        found = refs.lookup(ref, refs.uri)
        if isinstance(found, str):
            raise ImportRefused(f"MCP tool '{name}': its inputSchema: {found}")
        if isinstance(found[1], dict):
            schema = {**schema, **found[1]}
    notes = [
        f"left out '{key}' of its arguments: the params are its properties only"
        for key in schema
        if key not in _ROOT_KEYS and key != "$ref" and not key.startswith("x-")
    ]
    if schema.get("additionalProperties") not in (None, False):
        notes.append("it takes arguments besides its properties; the spec's params are only those")
    return schema, notes
