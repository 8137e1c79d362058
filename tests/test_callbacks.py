"""Callbacks over real HTTP on 127.0.0.1: listed hosts only, after the response, retried, signed."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agentgen.runtime import (
    CallbackSender,
    ScriptedModel,
    SqliteStore,
    check_callback_url,
    deliver,
)
from generated.calculator.http import create_app
from tests.asgi_server import serving

TOKEN = "s3cret-token"
SECRET = "callback-secret"
DIVIDE = {"intent": "divide", "a": 3, "b": 4}
DONE = {"intent": "done_for_now", "message": "done"}


@dataclass(frozen=True)
class Received:
    """One request the receiver got: the exact body bytes and the headers."""

    body: bytes
    headers: dict[str, str]


@dataclass
class Receiver:
    """A callback receiver: answers `statuses` in order (then 204), after `gate` opens."""

    statuses: list[int] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)
    arrivals: queue.Queue[Received] = field(default_factory=queue.Queue)
    url: str = ""

    def __post_init__(self) -> None:
        self.gate.set()

    async def hook(self, request: Request) -> Response:
        self.arrivals.put(Received(await request.body(), dict(request.headers)))
        await asyncio.to_thread(self.gate.wait, 10)
        status = self.statuses.pop(0) if self.statuses else 204
        headers = {"Location": "http://169.254.169.254/"} if 300 <= status < 400 else None
        return Response(status_code=status, headers=headers)

    def next(self) -> Received:
        """The next request that arrives (within 10 s)."""
        return self.arrivals.get(timeout=10)

    def received_so_far(self) -> list[Received]:
        return list(self.arrivals.queue)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hooks = Receiver()
    with serving(Starlette(routes=[Route("/hook", hooks.hook, methods=["POST"])])) as base:
        hooks.url = f"{base}/hook"
        yield hooks


class Api:
    """A running calculator app, its scripted model and its store."""

    def __init__(self, base: str, model: ScriptedModel, store: SqliteStore) -> None:
        self.model = model
        self.store = store
        auth = {"Authorization": f"Bearer {TOKEN}"}
        self.client = httpx.Client(base_url=base, headers=auth, timeout=10)

    def launch(self, message: str = "divide 3 by 4", **body: Any) -> httpx.Response:
        return self.client.post("/threads", json={"message": message, **body})

    def respond(self, thread_id: str, **body: Any) -> httpx.Response:
        return self.client.post(f"/threads/{thread_id}/responses", json=body)


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("AGENTGEN_API_TOKEN", TOKEN)
    for name in ("AGENTGEN_AUTH", "AGENTGEN_CALLBACK_URL", "AGENTGEN_CALLBACK_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AGENTGEN_CALLBACK_SECRET", raising=False)
    model, store = ScriptedModel([]), SqliteStore(tmp_path / "threads.db")
    with serving(create_app(model=model, store=store)) as base:
        yield Api(base, model, store)


def refusal(message: str, *loc: str) -> dict[str, Any]:
    """The 422 body of a refused callback_url."""
    return {
        "error": "invalid request",
        "problems": [{"loc": [*loc, "callback_url"], "message": message}],
    }


def test_a_callback_url_is_refused_when_no_hosts_are_allowed(api: Api, receiver: Receiver) -> None:
    response = api.launch(callback_url=receiver.url)
    assert response.status_code == 422
    assert response.json() == refusal(
        "callback_url is refused: the server allows no callback hosts "
        "(AGENTGEN_CALLBACK_HOSTS is not set)"
    )
    assert api.model.requests == []
    assert asyncio.run(api.store.thread_ids()) == []


@pytest.mark.parametrize(
    ("url", "hosts", "message"),
    [
        (
            "http://169.254.169.254/latest/meta-data/",
            "127.0.0.1, hooks.example.com",
            "callback host '169.254.169.254' is not in AGENTGEN_CALLBACK_HOSTS",
        ),
        (
            "http://hooks.example.com@169.254.169.254/",
            "hooks.example.com",
            "callback host '169.254.169.254' is not in AGENTGEN_CALLBACK_HOSTS",
        ),
        (
            "http://LOCALHOST:22/",
            "localhost:8080",
            "callback host 'localhost' is not in AGENTGEN_CALLBACK_HOSTS",
        ),
        ("file:///etc/passwd", "127.0.0.1", "callback_url must be an http or https URL"),
        ("/hook", "127.0.0.1", "callback_url must be an http or https URL"),
    ],
)
def test_a_host_that_is_not_listed_is_refused(
    api: Api, monkeypatch: pytest.MonkeyPatch, url: str, hosts: str, message: str
) -> None:
    monkeypatch.setenv("AGENTGEN_CALLBACK_HOSTS", hosts)
    response = api.launch(callback_url=url)
    assert response.status_code == 422
    assert response.json() == refusal(message)
    assert asyncio.run(api.store.thread_ids()) == []


@pytest.mark.parametrize(
    ("url", "hosts"),
    [
        ("http://hooks.example.com:8443/x?token=1", "hooks.example.com:8443"),
        ("https://Hooks.Example.COM/x", " other.example.com ,hooks.example.com:443"),
        ("http://[::1]:8000/hook", "::1"),
        ("http://127.0.0.1:5000/hook", "127.0.0.1"),
    ],
)
def test_a_listed_host_or_host_and_port_is_accepted(
    monkeypatch: pytest.MonkeyPatch, url: str, hosts: str
) -> None:
    monkeypatch.setenv("AGENTGEN_CALLBACK_HOSTS", hosts)
    assert check_callback_url(url) == url


def test_a_response_with_a_refused_callback_changes_nothing(api: Api) -> None:
    api.model.add(DIVIDE)
    launched = api.launch().json()
    approval = {"type": "approval", "call_id": launched["pending"]["call_id"], "approved": True}
    response = api.respond(launched["id"], **approval, callback_url="http://10.0.0.1/")
    assert response.status_code == 422
    assert response.json() == refusal(
        "callback_url is refused: the server allows no callback hosts "
        "(AGENTGEN_CALLBACK_HOSTS is not set)",
        "approval",
    )
    assert api.client.get(f"/threads/{launched['id']}").json() == launched


def test_a_listed_host_gets_the_thread_signed_and_retried_after_a_500(
    api: Api, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTGEN_CALLBACK_HOSTS", "127.0.0.1")
    monkeypatch.setenv("AGENTGEN_CALLBACK_SECRET", SECRET)
    receiver.statuses = [500]
    api.model.add(DIVIDE)
    launched = api.launch(message="divide 3 by 4 \N{CHECK MARK}", callback_url=receiver.url)
    assert launched.status_code == 201
    first, second = receiver.next(), receiver.next()
    assert json.loads(second.body) == launched.json()
    assert first.body == second.body, "a retry sends the same bytes"
    expected = "sha256=" + hmac.new(SECRET.encode(), second.body, hashlib.sha256).hexdigest()
    assert second.headers["x-agentgen-signature"] == expected
    assert first.headers["x-agentgen-delivery"] == second.headers["x-agentgen-delivery"]
    assert second.headers["content-type"] == "application/json"


def test_the_response_does_not_wait_for_the_receiver(
    api: Api, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTGEN_CALLBACK_HOSTS", "127.0.0.1")
    receiver.gate.clear()  # the receiver holds every request until the test lets it answer
    api.model.add(DIVIDE)
    # a server that waited for the receiver would answer only when its callback timed out (5 s)
    body = {"message": "divide 3 by 4", "callback_url": receiver.url}
    launched = api.client.post("/threads", json=body, timeout=4)
    assert launched.status_code == 201, "answered while the receiver still holds the callback"
    assert json.loads(receiver.next().body) == launched.json()
    receiver.gate.set()


def test_the_operators_callback_url_is_trusted_and_unsigned_without_a_secret(
    api: Api, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTGEN_CALLBACK_URL", receiver.url)
    api.model.add(DIVIDE)
    launched = api.launch().json()
    got = receiver.next()
    assert json.loads(got.body) == launched
    assert "x-agentgen-signature" not in got.headers


def test_only_a_thread_waiting_for_a_person_is_sent(
    api: Api, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTGEN_CALLBACK_HOSTS", "127.0.0.1")
    api.model.add(DIVIDE)
    first = api.launch(callback_url=receiver.url).json()
    assert json.loads(receiver.next().body)["id"] == first["id"]
    api.model.add(DONE, DIVIDE)
    approval = {"type": "approval", "call_id": first["pending"]["call_id"], "approved": True}
    done = api.respond(first["id"], **approval, callback_url=receiver.url).json()
    assert done["status"] == "done"
    second = api.launch(callback_url=receiver.url).json()
    assert json.loads(receiver.next().body)["id"] == second["id"], "a finished thread needs no one"
    assert receiver.received_so_far() == []


def test_a_receiver_that_refuses_or_redirects_is_not_retried(receiver: Receiver) -> None:
    receiver.statuses = [400, 307]
    for _ in range(2):
        assert asyncio.run(deliver(receiver.url, b"{}", {}, backoff_s=0.01)) is False
    assert len(receiver.received_so_far()) == 2


def test_retries_are_bounded(receiver: Receiver) -> None:
    receiver.statuses = [500, 503, 429, 500]
    assert asyncio.run(deliver(receiver.url, b"{}", {}, attempts=3, backoff_s=0.01)) is False
    assert len(receiver.received_so_far()) == 3
    assert receiver.statuses == [500], "the fourth answer was never asked for"


def test_an_unreachable_receiver_is_given_up() -> None:
    assert asyncio.run(deliver("http://127.0.0.1:9/hook", b"{}", {}, backoff_s=0.01)) is False


def test_shutdown_waits_for_the_callbacks_under_way(receiver: Receiver) -> None:
    receiver.gate.clear()

    async def serve_and_stop() -> bool:
        sender = CallbackSender()
        async with sender.lifespan(None):
            task = sender.send(receiver.url, {"id": "thread_1"})
            assert task is not None
            await asyncio.to_thread(receiver.next)
            receiver.gate.set()  # the receiver answers while the app is shutting down
        assert task.done(), "the lifespan ended only once the callback was delivered"
        return task.result()

    assert asyncio.run(serve_and_stop()) is True
