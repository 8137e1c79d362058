"""Optional dependencies: a missing one is one line naming the install, not a traceback."""

from __future__ import annotations

from ._base import AgentgenError

# The top-level module each extra of agentgen-runtime brings.
EXTRAS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "psycopg": "postgres",
    "psycopg_pool": "postgres",
    "starlette": "http",
    "uvicorn": "http",
    "httpx": "http",
    "procrastinate": "worker",
    "mcp": "mcp",
}


class MissingExtra(AgentgenError, ImportError):
    """An optional dependency is not installed; the message says which extra brings it."""

    http_status = 503


def missing_extra(error: ModuleNotFoundError) -> MissingExtra | ModuleNotFoundError:
    """The one-line error for a missing optional module; any other import error as it was."""
    module = (error.name or "").partition(".")[0]
    extra = EXTRAS.get(module)
    if extra is None:
        return error
    return MissingExtra(f"{module} is not installed: pip install 'agentgen-runtime[{extra}]'")
