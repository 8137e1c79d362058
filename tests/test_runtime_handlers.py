"""call_handler finds and runs the user's handlers; compact_error and new_id."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import types
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from agentgen.runtime import HandlerNotImplemented, call_handler, compact_error, new_id


class Add(BaseModel):
    intent: Literal["add"] = "add"
    a: float
    b: float


class Total(BaseModel):
    total_value: float = Field(alias="totalValue")
    when: tuple[int, int] = (1, 2)


@dataclasses.dataclass
class Point:
    x: int
    totals: list[Total]


CALL = Add(a=1, b=2)


def _add(call: Add) -> float:
    return call.a + call.b


async def _add_later(call: Add) -> float:
    await asyncio.sleep(0)
    return call.a * 10 + call.b


def test_a_module_of_handlers() -> None:
    handlers = types.ModuleType("handlers")
    handlers.add = _add  # type: ignore[attr-defined]
    assert asyncio.run(call_handler(handlers, "add", CALL)) == 3.0


def test_a_mapping_of_handlers() -> None:
    assert asyncio.run(call_handler({"add": _add}, "add", CALL)) == 3.0


def test_an_async_handler_is_awaited() -> None:
    assert asyncio.run(call_handler({"add": _add_later}, "add", CALL)) == 12.0


@pytest.mark.parametrize("handlers", [{}, types.ModuleType("handlers"), {"add": None}])
def test_a_missing_handler_says_where_to_write_it(handlers: object) -> None:
    with pytest.raises(HandlerNotImplemented) as raised:
        asyncio.run(call_handler(handlers, "add", CALL))
    assert str(raised.value) == "handler 'add' is not implemented: write it in handlers.py"
    assert isinstance(raised.value, NotImplementedError)


def test_a_handler_that_is_not_callable() -> None:
    with pytest.raises(TypeError) as raised:
        asyncio.run(call_handler({"add": 3}, "add", CALL))
    assert str(raised.value) == "handler 'add' is not callable: it is a int"


def test_the_handler_gets_the_typed_call() -> None:
    seen: list[Any] = []
    asyncio.run(call_handler({"add": seen.append}, "add", CALL))
    assert seen == [CALL]
    assert seen[0] is CALL


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (Total(totalValue=3), {"totalValue": 3.0, "when": [1, 2]}),
        (
            Point(x=1, totals=[Total(totalValue=2)]),
            {"x": 1, "totals": [{"totalValue": 2.0, "when": [1, 2]}]},
        ),
        ([Total(totalValue=1)], [{"totalValue": 1.0, "when": [1, 2]}]),
        ({"plain": [1, "two", None]}, {"plain": [1, "two", None]}),
        ("text", "text"),
        (None, None),
    ],
    ids=["model by alias", "dataclass", "list of models", "plain dict", "string", "none"],
)
def test_results_are_json_ready(result: object, expected: object) -> None:
    assert asyncio.run(call_handler({"add": lambda call: result}, "add", CALL)) == expected


def test_a_model_result_matches_model_dump() -> None:
    total = Total(totalValue=3)
    got = asyncio.run(call_handler({"add": lambda call: total}, "add", CALL))
    assert got == total.model_dump(mode="json", by_alias=True)


def test_a_result_that_is_not_json_ready_is_an_error() -> None:
    class Opaque:
        pass

    with pytest.raises(TypeError) as raised:
        asyncio.run(call_handler({"add": lambda call: {"x": Opaque()}}, "add", CALL))
    assert re.fullmatch(
        r"handler 'add' returned a value that is not JSON-ready: "
        r"Unable to serialize unknown type: <class '.*Opaque'>",
        str(raised.value),
    )


def test_handler_exceptions_propagate() -> None:
    with pytest.raises(ZeroDivisionError):
        asyncio.run(call_handler({"add": lambda call: 1 / 0}, "add", CALL))


@pytest.mark.parametrize(
    ("error", "limit", "expected"),
    [
        (ZeroDivisionError("division by zero"), 300, "ZeroDivisionError: division by zero"),
        (KeyError("x"), 300, "KeyError: 'x'"),
        (RuntimeError(), 300, "RuntimeError"),
        (ValueError("first line\n  second\tline\n"), 300, "ValueError: first line second line"),
        (ValueError("x" * 50), 20, "ValueError: xxxxxxx…"),
    ],
    ids=["message", "key error", "no message", "multi-line", "truncated"],
)
def test_compact_error(error: BaseException, limit: int, expected: str) -> None:
    assert compact_error(error, limit) == expected


def test_compact_error_defaults_to_300_characters() -> None:
    text = compact_error(ValueError("word " * 200))
    assert len(text) == 300
    assert text.startswith("ValueError: word word")
    assert text.endswith("…")


class Point(BaseModel):
    x: int
    y: int


def test_compact_error_lists_pydantic_problems_without_urls_or_inputs() -> None:
    with pytest.raises(ValidationError) as raised:
        Point.model_validate({"x": "one"})
    assert compact_error(raised.value) == (
        "ValidationError: Point: x: Input should be a valid integer, unable to parse string as "
        "an integer; y: Field required"
    )


def test_new_id_is_the_prefix_and_24_hex_characters() -> None:
    ids = {new_id("call_") for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"call_[0-9a-f]{24}", one) for one in ids)
