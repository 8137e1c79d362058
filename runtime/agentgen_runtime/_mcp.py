"""Calling the tools of an MCP server over stdio: what handlers of imported MCP tools use.

`agentgen import mcp` writes a server's tools into a spec; their handlers call the server with
`McpClient` (one server process and session for many calls, e.g. as the run's `deps`) or
`call_mcp_tool` (a process per call). The `mcp` package (the `mcp` extra) loads on first use.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from pydantic import BaseModel

from ._base import AgentgenError
from ._extras import missing_extra

if TYPE_CHECKING:
    from mcp import Client
    from mcp.types import CallToolResult, Tool

# Every intent model carries its discriminator here; the server never declares it.
_INTENT_FIELD = "intent"
# A server that keeps handing out cursors is not listed forever.
_MAX_PAGES = 1000


class McpError(AgentgenError):
    """An MCP server could not be started or reached, or it refused a request."""

    http_status = 502


class McpToolError(McpError):
    """The server ran the tool and reported that it failed (`isError`), with its message."""


class McpClient:
    """An MCP server run over stdio while entered; one session for all its calls."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        timeout_s: float | None = 60.0,
        errlog: TextIO | None = None,
    ) -> None:
        if not command:
            raise ValueError("McpClient needs the command that starts the server")
        self.command = tuple(command)
        self._env = dict(env) if env is not None else None
        self._cwd = cwd
        self._timeout_s = timeout_s
        self._errlog = errlog
        self._client: Client | None = None

    async def __aenter__(self) -> McpClient:
        if self._client is not None:
            raise McpError("the MCP server is started already: enter an McpClient once")
        client = _new_client(self.command, self._env, self._cwd, self._timeout_s, self._errlog)
        try:
            await client.__aenter__()
        except OSError as error:
            shown = error.strerror or str(error)
            raise McpError(f"cannot start {self.command[0]!r}: {shown}") from None
        except Exception as error:
            raise _leaf(error) from None
        self._client = client
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            await client.__aexit__(kind, error, traceback)
        except Exception as raised:
            # The SDK's task groups wrap the error of the `async with` body: let it go on as is.
            if _first(raised) is not error:
                raise _leaf(raised) from None

    @property
    def server_name(self) -> str | None:
        """The name the server gave itself when the session started."""
        info = self._session().server_info
        return info.name if info is not None else None

    async def list_tools(self) -> list[Tool]:
        """Every tool the server offers, following its pages."""
        client, tools, cursor = self._session(), [], None
        for _ in range(_MAX_PAGES):
            page = await _unwrapped(client.list_tools(cursor=cursor))
            tools += page.tools
            cursor = page.next_cursor
            if cursor is None:
                break
        return tools

    async def call(
        self, tool: str, arguments: Mapping[str, Any] | BaseModel | None = None
    ) -> object:
        """Call `tool` (its MCP name) and return its structured result, else its text."""
        result = await _unwrapped(self._session().call_tool(tool, mcp_arguments(arguments)))
        if result.is_error:
            raise McpToolError(f"MCP tool '{tool}' failed: {_text(result) or 'no message'}")
        return mcp_tool_result(result)

    def _session(self) -> Client:
        if self._client is None:
            raise McpError("the MCP server is not started: use `async with McpClient(...)`")
        return self._client


async def call_mcp_tool(
    command: Sequence[str], tool: str, arguments: Mapping[str, Any] | BaseModel | None = None
) -> object:
    """Start the server `command`, call its `tool` once with `arguments`, and stop it."""
    async with McpClient(command) as client:
        return await client.call(tool, arguments)


def mcp_arguments(arguments: Mapping[str, Any] | BaseModel | None) -> dict[str, Any]:
    """A typed call as the server's arguments: by their MCP names, without `intent` or Nones."""
    if arguments is None:
        return {}
    if isinstance(arguments, BaseModel):
        # Optional params the model left out are None here; the server wants them absent.
        return arguments.model_dump(
            mode="json", by_alias=True, exclude={_INTENT_FIELD}, exclude_none=True
        )
    return dict(arguments)


def mcp_tool_result(result: CallToolResult) -> object:
    """What a call returned: its structured content, else its text, else its content blocks."""
    if result.structured_content is not None:
        return result.structured_content
    texts = _texts(result)
    if len(texts) == len(result.content):
        return "\n".join(texts)
    return [
        block.model_dump(mode="json", by_alias=True, exclude_none=True) for block in result.content
    ]


def _text(result: CallToolResult) -> str:
    return "\n".join(_texts(result))


def _texts(result: CallToolResult) -> list[str]:
    from mcp.types import TextContent

    return [block.text for block in result.content if isinstance(block, TextContent)]


def _new_client(
    command: tuple[str, ...],
    env: dict[str, str] | None,
    cwd: str | Path | None,
    timeout_s: float | None,
    errlog: TextIO | None,
) -> Client:
    """The SDK's client of a server run as `command`, its stderr going to `errlog`."""
    try:
        from mcp import Client, StdioServerParameters
        from mcp.client.stdio import stdio_client
    except ModuleNotFoundError as error:
        raise missing_extra(error) from None
    params = StdioServerParameters(command=command[0], args=list(command[1:]), env=env, cwd=cwd)
    transport = stdio_client(params, errlog=errlog or sys.stderr)
    return Client(transport, read_timeout_seconds=timeout_s)


async def _unwrapped(request: Any) -> Any:
    """Await an SDK request, raising the one error inside any task-group wrapping."""
    try:
        return await request
    except Exception as error:
        raise _leaf(error) from None


def _leaf(error: BaseException) -> BaseException:
    """The error inside the SDK's wrapping; the SDK's own as an McpError."""
    error = _first(error)
    if type(error).__module__.startswith("mcp"):
        return McpError(f"MCP server error: {error}")
    return error


def _first(error: BaseException) -> BaseException:
    """The first error a (nested) exception group holds, as the SDK's task groups wrap them."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error
