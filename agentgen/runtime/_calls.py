"""Running the user's handler of one tool call, with or without its ToolContext."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


async def run_handler(handler: Callable[..., Any], call: BaseModel, context: object) -> object:
    """Run `handler` on `call` (and `context` when it takes two arguments), awaiting if async."""
    result = handler(call, context) if takes_context(handler) else handler(call)
    if inspect.isawaitable(result):
        result = await result
    return result


def takes_context(handler: Callable[..., Any]) -> bool:
    """Whether a handler is `def tool(call, ctx)` rather than `def tool(call)`."""
    function = getattr(handler, "__func__", None)
    if function is not None:  # a bound method: its first parameter is `self`
        return _positional_count(function) >= 3
    try:
        return _positional_count(handler) >= 2
    except TypeError:  # an unhashable callable object: nothing to cache it by
        return _positional_count.__wrapped__(handler) >= 2


@functools.lru_cache(maxsize=4096)
def _positional_count(function: Callable[..., Any]) -> int:
    """How many positional arguments `function` accepts (many, for `*args`)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: give it the call only
        return 1
    if any(p.kind == inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return 1 << 16
    return sum(1 for p in parameters if p.kind in _POSITIONAL)
