"""Calling the user's tool handlers."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError, to_jsonable_python

from ._base import AgentgenError


class HandlerNotImplemented(AgentgenError, NotImplementedError):
    """The handlers given have no function for a tool."""

    def __init__(self, name: str) -> None:
        super().__init__(f"handler '{name}' is not implemented: write it in handlers.py")
        self.name = name


async def call_handler(handlers: object, name: str, call: BaseModel) -> Any:
    """Run the handler `name` on `call` (awaiting it if async) and return a JSON-ready result."""
    handler = _find(handlers, name)
    result = handler(call)
    if inspect.isawaitable(result):
        result = await result
    return json_ready(name, result)


def _find(handlers: object, name: str) -> Any:
    """The handler from a mapping of functions, or from a module's (or object's) attributes."""
    handler = handlers.get(name) if isinstance(handlers, Mapping) else getattr(handlers, name, None)
    if handler is None:
        raise HandlerNotImplemented(name)
    if not callable(handler):
        raise TypeError(f"handler '{name}' is not callable: it is a {type(handler).__name__}")
    return handler


def json_ready(name: str, result: object) -> Any:
    """`result` as JSON values: pydantic models dumped by alias, dataclasses as dicts, nested."""
    try:
        return to_jsonable_python(result, by_alias=True)
    except PydanticSerializationError as error:
        raise TypeError(
            f"handler '{name}' returned a value that is not JSON-ready: {error}"
        ) from None
