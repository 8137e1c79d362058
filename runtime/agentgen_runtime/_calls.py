"""Running the user's handler of one tool call, with or without its ToolContext."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


async def run_handler(handler: Callable[..., Any], call: BaseModel, context: object) -> object:
    """Run `handler` on `call` (and `context` if it takes two): a sync one in a worker thread."""
    arguments = (call, context) if takes_context(handler) else (call,)
    if is_async(handler):
        result = handler(*arguments)
    else:  # in a worker thread, so that a slow sync handler never holds up the event loop
        result = await asyncio.to_thread(handler, *arguments)
    if inspect.isawaitable(result):  # an async handler, or a sync one that returns an awaitable
        result = await result
    return result


def is_async(handler: Callable[..., Any]) -> bool:
    """Whether calling `handler` only makes a coroutine: an `async def`, or an object with one."""
    # a class's own __call__: a function's is a slot wrapper, an object's may be `async def`
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
        type(handler).__call__
    )


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
