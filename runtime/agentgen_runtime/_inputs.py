"""The typed payload a thread may start with, checked before anything is stored."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError, to_json

from ._errors import one_line, problem_text
from ._limits import ValueRefused, check_json_value

ModelT = TypeVar("ModelT", bound=BaseModel)
MESSAGE_LIMIT = 500
"""Characters of a refusal's message: every problem, on one line."""


def check_input(payload: object, model: type[ModelT]) -> ModelT:
    """`payload` (a `model`, or JSON data) validated strictly as JSON; else ValueRefused."""
    data = payload.model_dump(mode="json", by_alias=True) if isinstance(payload, model) else payload
    try:
        typed = model.model_validate_json(to_json(data), strict=True)
    except PydanticSerializationError as error:
        raise _refused(f"it is not JSON: {error}") from None
    except ValidationError as error:
        raise _refused(_problems(error)) from None
    check_json_value(typed.model_dump(mode="json"), "the input")
    return typed


def _refused(reason: str) -> ValueRefused:
    return ValueRefused(one_line(f"invalid input: {reason}", MESSAGE_LIMIT))


def _problems(error: ValidationError) -> str:
    """pydantic's problems as "field: problem; ...", without its URLs and input echoes."""
    details = error.errors(include_url=False)
    return "; ".join(problem_text(detail["loc"], detail["msg"]) for detail in details)
