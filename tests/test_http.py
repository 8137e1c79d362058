"""The generated HTTP trigger, over real HTTP on 127.0.0.1 with uvicorn."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agentgen.runtime import ScriptedModel, SqliteStore
from generated.calculator.http import create_app
from tests.asgi_server import serving

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ADD = {"intent": "add", "a": 3, "b": 4}
DIVIDE = {"intent": "divide", "a": 3, "b": 4}
DONE = {"intent": "done_for_now", "message": "done"}


class Api:
    """A running calculator app and the scripted model behind it."""

    def __init__(self, base: str, model: ScriptedModel) -> None:
        self.base = base
        self.model = model
        self.client = httpx.Client(base_url=base, headers=AUTH, timeout=10)

    def launch(self, message: str = "divide 3 by 4", **extra: Any) -> httpx.Response:
        return self.client.post("/threads", json={"message": message, **extra})


@pytest.fixture
def model() -> ScriptedModel:
    return ScriptedModel([])


@pytest.fixture
def api(tmp_path: Path, model: ScriptedModel, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("AGENTGEN_API_TOKEN", TOKEN)
    monkeypatch.delenv("AGENTGEN_AUTH", raising=False)
    monkeypatch.delenv("AGENTGEN_CALLBACK_URL", raising=False)
    app = create_app(model=model, store=SqliteStore(tmp_path / "threads.db"))
    with serving(app) as base:
        yield Api(base, model)


def script(model: ScriptedModel, *steps: dict[str, Any]) -> None:
    """Queue more steps on the model the app shares across requests."""
    model.add(*steps)


def test_launch_returns_the_thread_as_json(api: Api) -> None:
    script(api.model, ADD, DONE)
    response = api.launch("add 3 and 4")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "status", "pending", "ended_by", "events", "usage"}
    # ScriptedModel is no provider: it reports no model calls, so nothing is counted or priced
    assert body["usage"] == {
        "model_calls": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "cached_tokens": 0,
        "latency_ms": 0,
        "cost_usd": None,
        "unpriced": [],
    }
    assert body["status"] == "done"
    assert body["pending"] is None
    assert [event["type"] for event in body["events"]] == [
        "thread_started",
        "user_message",
        "tool_call",
        "tool_result",
        "tool_call",
    ]
    assert body["events"][3]["result"] == 7.0


def test_approval_over_http_finishes_the_thread(api: Api) -> None:
    script(api.model, DIVIDE)
    launched = api.launch().json()
    assert launched["status"] == "awaiting_approval"
    pending = launched["pending"]
    assert pending["intent"] == "divide"
    assert pending["args"] == {"a": 3.0, "b": 4.0}
    script(api.model, DONE)
    approval = {"type": "approval", "call_id": pending["call_id"], "approved": True}
    response = api.client.post(f"/threads/{launched['id']}/responses", json=approval)
    assert response.status_code == 200
    assert response.json()["status"] == "done"
    fetched = api.client.get(f"/threads/{launched['id']}").json()
    assert fetched == response.json()


def test_a_stale_call_id_is_a_conflict_and_changes_nothing(api: Api) -> None:
    script(api.model, DIVIDE)
    launched = api.launch().json()
    wrong = {"type": "approval", "call_id": "call_nope", "approved": True}
    response = api.client.post(f"/threads/{launched['id']}/responses", json=wrong)
    assert response.status_code == 409
    assert response.json() == {
        "error": f"call_id 'call_nope' does not match the pending call "
        f"'{launched['pending']['call_id']}'"
    }
    assert api.client.get(f"/threads/{launched['id']}").json() == launched


def test_unknown_thread_is_404(api: Api) -> None:
    response = api.client.get("/threads/thread_missing")
    assert response.status_code == 404
    assert response.json() == {"error": "no thread 'thread_missing'"}


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "missing or wrong bearer token"),
        ({"Authorization": "Bearer wrong"}, "missing or wrong bearer token"),
        ({"Authorization": f"Basic {TOKEN}"}, "missing or wrong bearer token"),
    ],
)
def test_requests_without_the_token_are_401(
    api: Api, headers: dict[str, str], message: str
) -> None:
    response = httpx.post(f"{api.base}/threads", json={"message": "x"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"error": message}
    assert api.model.requests == []


def test_no_token_configured_refuses_everything(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTGEN_API_TOKEN")
    response = api.client.get("/threads/anything")
    assert response.status_code == 401
    assert "AGENTGEN_API_TOKEN" in response.json()["error"]


def test_auth_none_must_be_said_explicitly(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTGEN_API_TOKEN")
    monkeypatch.setenv("AGENTGEN_AUTH", "none")
    script(api.model, DONE)
    response = httpx.post(f"{api.base}/threads", json={"message": "hi"})
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"{not json", 400, "request body is not JSON"),
        (b"[1, 2]", 400, "request body must be a JSON object"),
        (b'{"text": "no message"}', 422, "invalid request"),
        (b'{"message": "x", "vars": "not a table"}', 422, "invalid request"),
    ],
)
def test_bad_launch_bodies(api: Api, body: bytes, status: int, error: str) -> None:
    response = api.client.post("/threads", content=body)
    assert response.status_code == status
    assert response.json()["error"].startswith(error)
    assert api.model.requests == []


def test_bad_response_bodies_are_422(api: Api) -> None:
    script(api.model, DIVIDE)
    launched = api.launch().json()
    url = f"/threads/{launched['id']}/responses"
    for body in ({"type": "telepathy"}, {"type": "approval", "call_id": "x"}):
        response = api.client.post(url, json=body)
        assert response.status_code == 422, body
        assert response.json()["error"] == "invalid request"


def test_bodies_over_the_limit_are_413(api: Api) -> None:
    huge = json.dumps({"message": "x" * (1024 * 1024 + 1)})
    response = api.client.post("/threads", content=huge)
    assert response.status_code == 413
    assert response.json() == {"error": "request body larger than 1048576 bytes"}


def test_the_limit_can_be_configured(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTGEN_MAX_BODY_BYTES", "64")
    response = api.launch("y" * 100)
    assert response.status_code == 413
