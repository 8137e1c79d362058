"""Rules for the names a spec declares; the names the generated package binds are agentgen.ir's."""

from __future__ import annotations

import keyword
import re

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from agentgen.diagnostics import clip

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
PASCAL_CASE = re.compile(r"^[A-Z][A-Za-z0-9]*$")

# Fields `AgentState` always has, and names pydantic models reserve; business state fields
# must not take them.
STATE_BUILTIN_FIELDS = frozenset(
    {
        "status", "current_state", "pending", "in_progress", "consecutive_errors", "turns",
        "version", "vars", "ended_by", "copy", "dict", "json", "schema", "schema_json",
        "construct", "validate", "parse_obj", "parse_raw", "parse_file", "from_orm",
        "update_forward_refs",
    }
)  # fmt: skip
RESERVED_FIELD_PREFIX = "model_"

# Every intent model carries its discriminator here.
INTENT_FIELD = "intent"


def to_pascal(name: str) -> str:
    """`request_more_information` -> `RequestMoreInformation`."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def to_snake(name: str) -> str:
    """Best-effort snake_case spelling of any name, for hints."""
    spaced = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name.strip())
    snake = re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")
    snake = re.sub(r"^[0-9_]+", "", snake)
    return snake or "name"


def check_identifier(name: str) -> str:
    """Accept a snake_case identifier that is not a Python keyword."""
    # fullmatch: `$` alone would also accept a name ending in a newline.
    if not SNAKE_CASE.fullmatch(name):
        raise PydanticCustomError(
            "AG020",
            "'{name}' is not a snake_case identifier",
            {"name": clip(name), "hint": f"did you mean '{clip(_identifier_like(name))}'?"},
        )
    if keyword.iskeyword(name):
        raise PydanticCustomError(
            "AG021",
            "'{name}' is a Python keyword and cannot name anything here",
            {"name": name, "hint": f"use a longer name, such as '{name}_name'"},
        )
    return name


def _identifier_like(name: str) -> str:
    """A valid identifier close to `name`: never a keyword, which would be refused next."""
    snake = to_snake(name)
    return f"{snake}_name" if keyword.iskeyword(snake) else snake


def check_type_name(name: str) -> str:
    """Accept a PascalCase type name that is not a Python keyword (`None`, `True`, `False`)."""
    if not PASCAL_CASE.fullmatch(name):
        raise PydanticCustomError(
            "AG020",
            "'{name}' is not a PascalCase type name",
            {"name": clip(name), "hint": f"did you mean '{clip(to_pascal(to_snake(name)))}'?"},
        )
    if keyword.iskeyword(name):
        raise PydanticCustomError(
            "AG021",
            "'{name}' is a Python keyword and cannot name anything here",
            {"name": name, "hint": f"use a longer name, such as '{name}Value'"},
        )
    return name


def shaped(pattern: str, shape: str) -> AfterValidator:
    """A string check whose error names the expected shape instead of the regex."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise PydanticCustomError(
                "AG013",
                "'{value}' must have the form {shape}",
                {"value": clip(value), "shape": shape},
            )
        return value

    return AfterValidator(check)
