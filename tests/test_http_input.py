"""What people send over HTTP is strict and bounded; no body is a 500 or a half-written thread."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from agentgen.runtime import (
    MAX_ID_CHARS,
    MAX_JSON_DEPTH,
    MAX_TEXT_CHARS,
    PostgresStore,
    ScriptedModel,
    SqliteStore,
    Store,
)
from generated.calculator import Approval, HumanResponse, UserMessage
from generated.calculator.http import create_app
from tests.asgi_server import serving
from tests.postgres_db import fresh_schema

TOKEN = "s3cret-token"
DIVIDE = {"intent": "divide", "a": 3, "b": 4}
ASK = {"intent": "request_more_information", "message": "which numbers?"}
DONE = {"intent": "done_for_now", "message": "done"}


class Api:
    """A running calculator app, its scripted model and its store."""

    def __init__(self, base: str, model: ScriptedModel, store: SqliteStore) -> None:
        self.model = model
        self.store = store
        self.client = client(base)

    def waiting(self, step: dict[str, Any]) -> dict[str, Any]:
        """A thread launched to wait for a person at `step`."""
        self.model.add(step)
        thread: dict[str, Any] = self.client.post("/threads", json={"message": "divide"}).json()
        return thread

    def respond(self, thread: dict[str, Any], body: dict[str, Any]) -> httpx.Response:
        return self.client.post(f"/threads/{thread['id']}/responses", json=body)

    def thread_ids(self) -> list[str]:
        return asyncio.run(self.store.thread_ids())


def client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("AGENTGEN_API_TOKEN", TOKEN)
    monkeypatch.delenv("AGENTGEN_AUTH", raising=False)
    model, store = ScriptedModel([]), SqliteStore(tmp_path / "threads.db")
    with serving(create_app(model=model, store=store)) as base:
        yield Api(base, model, store)


def invalid(loc: list[str], message: str) -> dict[str, Any]:
    """The 422 body of one invalid field."""
    return {"error": "invalid request", "problems": [{"loc": loc, "message": message}]}


@pytest.mark.parametrize("approved", ["yes", "true", 1, 0, None, [True]])
def test_approved_must_be_a_json_boolean(api: Api, approved: object) -> None:
    thread = api.waiting(DIVIDE)
    body = {"type": "approval", "call_id": thread["pending"]["call_id"], "approved": approved}
    response = api.respond(thread, body)
    assert response.status_code == 422
    assert response.json() == invalid(["approval", "approved"], "Input should be a valid boolean")
    assert api.client.get(f"/threads/{thread['id']}").json() == thread


@pytest.mark.parametrize(
    ("call_id", "message"),
    [
        (12345, "Input should be a valid string"),
        ("", "String should have at least 1 character"),
        ("c" * (MAX_ID_CHARS + 1), "String should have at most 128 characters"),
    ],
)
def test_call_ids_are_short_strings(api: Api, call_id: object, message: str) -> None:
    thread = api.waiting(ASK)
    body = {"type": "human_response", "call_id": call_id, "text": "1 and 2"}
    response = api.respond(thread, body)
    assert response.status_code == 422
    assert response.json() == invalid(["human_response", "call_id"], message)


TOO_LONG = "String should have at most 100000 characters"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (
            {"type": "approval", "approved": False, "comment": "x" * 100_001},
            ["approval", "comment"],
        ),
        ({"type": "human_response", "text": "x" * 100_001}, ["human_response", "text"]),
        ({"type": "user_message", "text": "x" * 100_001}, ["user_message", "text"]),
    ],
)
def test_texts_have_a_limit(api: Api, body: dict[str, Any], loc: list[str]) -> None:
    thread = api.waiting(DIVIDE)
    if body["type"] != "user_message":
        body = {**body, "call_id": thread["pending"]["call_id"]}
    response = api.respond(thread, body)
    assert response.status_code == 422
    assert response.json() == invalid(loc, TOO_LONG)
    assert api.client.get(f"/threads/{thread['id']}").json() == thread


def test_a_launch_message_has_the_same_limit(api: Api) -> None:
    too_long = api.client.post("/threads", json={"message": "m" * (MAX_TEXT_CHARS + 1)})
    assert too_long.status_code == 422
    assert too_long.json() == invalid(["message"], TOO_LONG)
    not_text = api.client.post("/threads", json={"message": 42})
    assert not_text.json() == invalid(["message"], "Input should be a valid string")
    assert api.thread_ids() == []
    api.model.add(DONE)
    at_the_limit = api.client.post("/threads", json={"message": "m" * MAX_TEXT_CHARS})
    assert at_the_limit.status_code == 201


def test_a_comment_at_the_limit_is_accepted(api: Api) -> None:
    thread = api.waiting(DIVIDE)
    api.model.add(DONE)
    body = {"type": "approval", "call_id": thread["pending"]["call_id"], "approved": False}
    response = api.respond(thread, {**body, "comment": "c" * MAX_TEXT_CHARS})
    assert response.status_code == 200
    assert response.json()["status"] == "done"


def test_the_python_classes_are_strict_too() -> None:
    assert Approval(call_id="call_1", approved=True).approved is True
    with pytest.raises(ValidationError, match="Input should be a valid boolean"):
        Approval(call_id="call_1", approved="yes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="Input should be a valid string"):
        HumanResponse(call_id=1, text="x")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="at most 128 characters"):
        HumanResponse(call_id="c" * 129, text="x")
    with pytest.raises(ValidationError, match=TOO_LONG):
        UserMessage(text="x" * 100_001)


def nested(depth: int) -> bytes:
    """A body whose `message` is `depth` arrays deep: the body itself is one level more."""
    return b'{"message": ' + b"[" * depth + b"]" * depth + b"}"


SURROGATE = "request body holds a lone surrogate: it is not UTF-8 text"
BIG_INTEGER = "request body holds an integer beyond 64 bits"
DEEP = "request body is nested deeper than 64 levels"
BIG_FLOAT = "request body holds a number beyond the range of a float"
NOT_JSON = "request body is not JSON: "
BAD_UTF8 = "'utf-8' codec can't decode byte 0xff in position 13: invalid start byte"
HOSTILE = [
    (b'{"message": "\\ud800"}', 422, SURROGATE),
    (b'{"message": "x", "vars": {"\\udfff": 1}}', 422, SURROGATE),
    (b'{"message": "x", "vars": {"n": ' + b"7" * 5000 + b"}}", 422, BIG_INTEGER),
    (b'{"message": "x", "vars": {"n": 9223372036854775808}}', 422, BIG_INTEGER),
    (b'{"message": "x", "vars": {"n": 1e400}}', 422, BIG_FLOAT),
    (b'{"message": "x", "vars": {"n": NaN}}', 400, f"{NOT_JSON}NaN is not a JSON value"),
    (
        b'{"message": "x", "vars": {"n": -Infinity}}',
        400,
        f"{NOT_JSON}-Infinity is not a JSON value",
    ),
    (nested(100_000), 422, DEEP),
    (nested(MAX_JSON_DEPTH), 422, DEEP),
    (b'{"message": "\xff"}', 400, f"{NOT_JSON}{BAD_UTF8}"),
]


@pytest.mark.parametrize(("body", "status", "error"), HOSTILE)
def test_hostile_launch_bodies_are_refused_and_store_nothing(
    api: Api, body: bytes, status: int, error: str
) -> None:
    response = api.client.post("/threads", content=body)
    assert (response.status_code, response.json()) == (status, {"error": error})
    assert api.thread_ids() == []
    assert api.model.requests == []


def test_a_body_just_within_the_depth_limit_reaches_validation(api: Api) -> None:
    response = api.client.post("/threads", content=nested(MAX_JSON_DEPTH - 1))
    assert response.json() == invalid(["message"], "Input should be a valid string")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (b'"\\ud800"', SURROGATE),
        (b"[" * 100_000 + b"]" * 100_000, DEEP),
    ],
)
def test_hostile_response_bodies_leave_the_thread_as_it_was(
    api: Api, text: bytes, error: str
) -> None:
    thread = api.waiting(ASK)
    call_id = thread["pending"]["call_id"].encode()
    body = b'{"type": "human_response", "call_id": "' + call_id + b'", "text": ' + text + b"}"
    response = api.client.post(f"/threads/{thread['id']}/responses", content=body)
    assert (response.status_code, response.json()) == (422, {"error": error})
    assert api.client.get(f"/threads/{thread['id']}").json() == thread


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each store; PostgreSQL is skipped when no test server is configured."""
    if request.param == "sqlite":
        yield SqliteStore(tmp_path / "threads.db")
        return
    with fresh_schema() as url:
        yield PostgresStore(url)


@pytest.mark.parametrize(
    ("path", "shown"), [("%00x", "\x00x"), ("a%0Ab", "a\nb"), ("t" * 129, "t" * 128)]
)
def test_a_path_id_no_thread_can_have_is_not_found(
    any_store: Store, monkeypatch: pytest.MonkeyPatch, path: str, shown: str
) -> None:
    monkeypatch.setenv("AGENTGEN_API_TOKEN", TOKEN)
    not_found = (404, {"error": f"no thread '{shown}'"})
    with serving(create_app(model=ScriptedModel([]), store=any_store)) as url, client(url) as api:
        got = api.get(f"/threads/{path}")
        assert (got.status_code, got.json()) == not_found
        resumed = api.post(f"/threads/{path}/responses", json={"type": "resume"})
        assert (resumed.status_code, resumed.json()) == not_found
