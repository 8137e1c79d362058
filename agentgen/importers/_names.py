"""Names from elsewhere (MCP tool names, operationIds, schema names) as the spec's names."""

from __future__ import annotations

import keyword
import re
from collections.abc import Collection, Iterable

from agentgen.ir import RESERVED_CLASS_NAMES, RESERVED_TOOL_NAMES, handler_type_name
from agentgen.ir import result_event_name as result_name
from agentgen.spec.names import PASCAL_CASE, SNAKE_CASE, to_pascal

# Word boundaries inside camelCase and acronyms: `getHTTPStatus` -> get, HTTP, Status.
_ACRONYM_END = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL_HUMP = re.compile(r"([a-z0-9])([A-Z])")
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def spec_identifier(name: str, fallback: str) -> str:
    """`get-forecast`, `findPetsByStatus`, `2fa.check` as snake_case: `find_pets_by_status`."""
    spaced = _CAMEL_HUMP.sub(r"\1_\2", _ACRONYM_END.sub(r"\1_\2", name))
    snake = "_".join(part for part in _NOT_ALNUM.split(spaced.lower()) if part)
    if not snake:
        return fallback
    if not snake[0].isalpha():
        snake = f"{fallback}_{snake}"
    return snake if SNAKE_CASE.fullmatch(snake) else fallback


def tool_identifier(name: str) -> str:
    """A tool's spec name: snake_case, never a keyword or a name the generated package binds."""
    snake = spec_identifier(name, "tool")
    clashes = keyword.iskeyword(snake) or snake in RESERVED_TOOL_NAMES
    return f"{snake}_tool" if clashes or to_pascal(snake) in RESERVED_CLASS_NAMES else snake


def type_name(name: str) -> str:
    """A schema's name as a PascalCase type name: `pet-status` -> `PetStatus`."""
    parts = [part for part in _NOT_ALNUM.split(name) if part]
    pascal = "".join(part[:1].upper() + part[1:] for part in parts)
    if not pascal or not pascal[0].isalpha():
        pascal = f"Type{pascal}"
    return pascal if PASCAL_CASE.fullmatch(pascal) else "Type"


def free_name(base: str, taken: Collection[str]) -> str:
    """`base`, else `base2`, `base3`, ...: the first that is not taken and not a keyword."""
    candidate, number = base, 1
    while candidate in taken or keyword.iskeyword(candidate):
        number += 1
        candidate = f"{base}{number}"
    return candidate


def class_names_of(intents: Iterable[str], tools: Iterable[str]) -> set[str]:
    """The classes a package defines for these intents and tools, which no type may take."""
    taken = set(RESERVED_CLASS_NAMES) | {to_pascal(name) for name in intents}
    for tool in tools:
        taken |= {handler_type_name(tool), result_name(tool)}
    return taken


def agent_identifier(name: str, fallback: str) -> str:
    """An agent's name from a server's or an API's: `Swagger Petstore` -> `swagger_petstore`."""
    snake = spec_identifier(name, fallback)
    return f"{snake}_agent" if keyword.iskeyword(snake) else snake
