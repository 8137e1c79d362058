"""From a model's output to a validated next step, or one short error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from ._errors import one_line, problem_text
from ._lenient import decode_object, preview
from ._limits import ValueRefused, check_json_value
from ._models import ModelOutput

T = TypeVar("T")

LIMIT = 300
_ARG_KEYS = ("arguments", "args", "parameters", "input")
_PROBE = {"intent": "\x00"}  # a tag no intent has: its error lists the known intents


@dataclass(frozen=True)
class StepError:
    """Why a model output is not a valid next step: one line, for the thread's error event."""

    message: str


def parse_step(output: ModelOutput, adapter: TypeAdapter[T]) -> T | StepError:
    """The step `output` describes, read leniently, or a StepError saying what is wrong."""
    if isinstance(output, str):
        decoded = decode_object(output)
        if isinstance(decoded, str):
            return StepError(one_line(decoded, LIMIT))
    elif isinstance(output, dict):
        decoded = output
    else:
        return StepError(f"model output is neither text nor an object: {type(output).__name__}")
    try:
        check_json_value(decoded, "the model's output")
    except ValueRefused as refused:
        return StepError(str(refused))
    several = decoded.get("tool_calls")
    if isinstance(several, list) and len(several) > 1:
        return StepError(one_line(_several_calls(several), LIMIT))
    return _validate(decoded, adapter)


def _several_calls(calls: list[Any]) -> str:
    """Why a response with several tool calls is no step: the loop takes one at a time."""
    names = [call.get("name", "?") if isinstance(call, dict) else "?" for call in calls]
    return (
        f"{len(calls)} tool calls in one answer ({', '.join(map(str, names))}); "
        "this agent takes one step at a time: choose the one to do first"
    )


def _validate(obj: dict[str, Any], adapter: TypeAdapter[T]) -> T | StepError:
    """Validate `obj`; when that fails, try it again unwrapped from a tool-call shape."""
    try:
        return adapter.validate_python(obj)
    except ValidationError as error:
        failure, failed = error, obj
    unwrapped = _unwrap(obj)
    if unwrapped is not None:
        try:
            return adapter.validate_python(unwrapped)
        except ValidationError as error:
            failure, failed = error, unwrapped
    return StepError(one_line(_describe(failure, failed, adapter), LIMIT))


def _unwrap(obj: dict[str, Any]) -> dict[str, Any] | None:
    """`{"intent": name, **args}` from a tool-call shape, or None when `obj` is not one."""
    call = obj
    if "intent" not in obj and isinstance(obj.get("function"), dict):
        call = obj["function"]  # an OpenAI tool call: {"type": "function", "function": {...}}
    name = call.get("intent", call.get("name"))
    if not isinstance(name, str):
        return None
    key = next((key for key in _ARG_KEYS if key in call), None)
    if key is None:
        if "intent" in call:
            return None
        return {"intent": name, **{k: v for k, v in call.items() if k != "name"}}
    args = call[key]
    if isinstance(args, str):
        args = decode_object(args) if args.strip() else {}
    if not isinstance(args, dict):
        return None
    return {"intent": name, **{k: v for k, v in args.items() if k != "intent"}}


def _describe(error: ValidationError, obj: dict[str, Any], adapter: TypeAdapter[Any]) -> str:
    """A compact text for a validation failure."""
    details = error.errors(include_url=False)
    first = details[0]
    if first["loc"] == () and first["type"] == "union_tag_invalid":
        tag = first.get("ctx", {}).get("tag", "")
        return f"unknown intent '{preview(str(tag), 40)}'; {_expected(first)}"
    if first["loc"] == () and first["type"] == "union_tag_not_found":
        known = _known_intents(adapter)
        return "model output has no 'intent'" + (f"; {known}" if known else "")
    if first["loc"] == ():
        return f"invalid model output: {first['msg']}"
    intent = obj.get("intent")
    problems = "; ".join(_problem(detail, intent) for detail in details)
    if not isinstance(intent, str):
        return f"invalid model output: {problems}"
    return f"invalid args for '{preview(intent, 40)}': {problems}"


def _problem(detail: ErrorDetails, intent: object) -> str:
    loc = detail["loc"]
    if loc and loc[0] == intent:  # a discriminated union puts the tag first
        loc = loc[1:]
    return problem_text(loc, detail["msg"])


def _expected(detail: ErrorDetails) -> str:
    tags = str(detail.get("ctx", {}).get("expected_tags", ""))
    names = ", ".join(tag.strip().strip("'") for tag in tags.split(","))
    return f"expected one of: {names}"


def _known_intents(adapter: TypeAdapter[Any]) -> str | None:
    """The "expected one of: ..." text for a union discriminated on intent, else None."""
    try:
        adapter.validate_python(_PROBE)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        if first["loc"] == () and first["type"] == "union_tag_invalid":
            return _expected(first)
    return None
