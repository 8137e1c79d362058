"""The /ui inbox without a browser: when it is served, sign-in and cookies, each kind of ask, the
edit form read from JSON Schemas, and how events are shown (tests/test_ui_browser.py clicks)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from agentgen.runtime import ConfigurationError, MemoryStore, ScriptedModel
from agentgen_runtime._ui_forms import edit_fields, read_fields
from agentgen_runtime._ui_view import InboxAgent, ask_of, entries, waited
from generated.airline_triage.http import create_app as triage_app
from generated.calculator.http import create_app as calculator_app
from generated.deploy_bot.http import INBOX
from generated.deploy_bot.http import create_app as deploy_bot_app
from generated.support_triage.http import create_app as support_app
from generated.support_triage.tools import INTENTS as SUPPORT_INTENTS
from tests.inbox_app import ASK, AUTH, DEPLOY, TOKEN, VARS, csrf_of

ROOT = Path(__file__).resolve().parent.parent
CHOOSE = {"intent": "choose_resolution", "question": "What should we do?", "order_id": "ord_1"}


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTGEN_API_TOKEN", TOKEN)
    for name in ("AGENTGEN_AUTH", "AGENTGEN_UI", "AGENTGEN_CALLBACK_URL"):
        monkeypatch.delenv(name, raising=False)


def client_of(app: Any) -> TestClient:
    return TestClient(app, follow_redirects=False)


def sign_in(client: TestClient, next_page: str = "") -> httpx.Response:
    form = client.get("/ui/login")
    data = {"csrf": csrf_of(form.text), "token": TOKEN, "next": next_page}
    return client.post("/ui/login", data=data)


def launched(
    client: TestClient, model: ScriptedModel, *steps: dict[str, Any], **body: Any
) -> dict[str, Any]:
    model.add(*steps)
    response = client.post("/threads", json={"message": "hi", "vars": VARS, **body}, headers=AUTH)
    assert response.status_code == 201, response.text
    thread: dict[str, Any] = response.json()
    return thread


@pytest.fixture
def deploy() -> Iterator[tuple[TestClient, ScriptedModel]]:
    model = ScriptedModel([])
    with client_of(deploy_bot_app(model=model, store=MemoryStore(), ui=True)) as client:
        yield client, model


def test_the_inbox_is_served_only_when_switched_on(monkeypatch: pytest.MonkeyPatch) -> None:
    assert client_of(deploy_bot_app(store=MemoryStore())).get("/ui").status_code == 404
    monkeypatch.setenv("AGENTGEN_UI", "1")
    assert client_of(deploy_bot_app(store=MemoryStore())).get("/ui").status_code == 303
    assert client_of(deploy_bot_app(store=MemoryStore(), ui=False)).get("/ui").status_code == 404
    monkeypatch.setenv("AGENTGEN_UI", "maybe")
    with pytest.raises(ConfigurationError, match="AGENTGEN_UI must be 1 or 0, not 'maybe'"):
        deploy_bot_app(store=MemoryStore())


@pytest.mark.parametrize("auth", [None, "none"])
def test_without_a_token_the_inbox_refuses_to_serve(
    auth: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AGENTGEN_API_TOKEN")
    if auth is not None:  # the JSON API is open then; the inbox still is not
        monkeypatch.setenv("AGENTGEN_AUTH", auth)
    client = client_of(deploy_bot_app(store=MemoryStore(), ui=True))
    for path in ("/ui", "/ui/login", "/ui/threads/thread_1"):
        refused = client.get(path)
        assert refused.status_code == 503
        assert "no AGENTGEN_API_TOKEN" in refused.text
    assert client.post("/ui/login", data={"token": ""}).status_code == 503


def test_signing_in_gives_a_strict_http_only_cookie(
    deploy: tuple[TestClient, ScriptedModel],
) -> None:
    client, _ = deploy
    assert client.get("/ui").headers["location"] == "/ui/login"
    answer = sign_in(client)
    assert (answer.status_code, answer.headers["location"]) == (303, "/ui")
    cookie = answer.headers["set-cookie"].split(", agentgen_ui_login")[0]
    assert cookie.startswith("agentgen_ui_session=")
    assert {"HttpOnly", "Path=/ui", "SameSite=strict", "Max-Age=43200"} <= set(
        part.strip() for part in cookie.split(";")
    )
    page = client.get("/ui")
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert page.headers["x-frame-options"] == "DENY"
    assert "<script" not in page.text and "style=" not in page.text


def test_a_wrong_token_a_forged_cookie_and_a_changed_token_do_not_sign_in(
    deploy: tuple[TestClient, ScriptedModel], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = deploy
    form = client.get("/ui/login")
    wrong = client.post("/ui/login", data={"csrf": csrf_of(form.text), "token": "guess"})
    assert wrong.status_code == 401
    assert "That is not the API token." in wrong.text
    client.cookies.set("agentgen_ui_session", "a" * 32 + ".9999999999." + "0" * 64, path="/ui")
    assert client.get("/ui").status_code == 303
    client.cookies.clear()
    sign_in(client)
    assert client.get("/ui").status_code == 200
    monkeypatch.setenv("AGENTGEN_API_TOKEN", "a-new-token")  # rotating it signs everyone out
    assert client.get("/ui").headers["location"] == "/ui/login"


def test_signing_in_leads_back_to_the_thread_and_never_off_the_site(
    deploy: tuple[TestClient, ScriptedModel],
) -> None:
    client, _ = deploy
    asked = client.get("/ui/threads/thread_1")
    assert asked.headers["location"] == "/ui/login?next=%2Fthreads%2Fthread_1"
    assert sign_in(client, "/threads/thread_1").headers["location"] == "/ui/threads/thread_1"
    for elsewhere in ("//evil.example", "https://evil.example/", "/threads//evil.example"):
        client.cookies.clear()
        assert sign_in(client, elsewhere).headers["location"] == "/ui"


def test_a_form_that_is_not_url_encoded_is_refused(
    deploy: tuple[TestClient, ScriptedModel],
) -> None:
    client, model = deploy
    thread = launched(client, model, DEPLOY)
    sign_in(client)
    csrf = csrf_of(client.get("/ui").text)
    body = json.dumps({"csrf": csrf, "call_id": thread["pending"]["call_id"]})
    sent = client.post(
        f"/ui/threads/{thread['id']}/approve",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert sent.status_code == 415


def test_a_multiple_choice_question_offers_its_choices_as_buttons_and_refuses_others() -> None:
    model = ScriptedModel([])
    client = client_of(support_app(model=model, store=MemoryStore(), ui=True))
    thread = launched(client, model, CHOOSE, vars={})
    sign_in(client)
    page = client.get(f"/ui/threads/{thread['id']}")
    for choice in ("full refund", "partial refund", "replacement", "no action"):
        assert f'<button type="submit" name="text" value="{choice}" class="choice">' in page.text
    form = {"csrf": csrf_of(page.text), "call_id": thread["pending"]["call_id"], "text": "cash"}
    refused = client.post(f"/ui/threads/{thread['id']}/answer", data=form)
    assert refused.status_code == 409
    assert "answer &#39;cash&#39; is not one of: full refund" in refused.text
    after = client.get(f"/threads/{thread['id']}", headers=AUTH).json()
    assert after["events"] == thread["events"]


def test_a_denial_needs_a_comment(deploy: tuple[TestClient, ScriptedModel]) -> None:
    client, model = deploy
    thread = launched(client, model, DEPLOY)
    sign_in(client)
    form = {"csrf": csrf_of(client.get("/ui").text), "call_id": thread["pending"]["call_id"]}
    refused = client.post(f"/ui/threads/{thread['id']}/deny", data={**form, "comment": " "})
    assert refused.status_code == 422
    assert "Say why it is denied" in refused.text
    model.add({"intent": "done_for_now", "message": "not deployed"})
    denied = client.post(f"/ui/threads/{thread['id']}/deny", data={**form, "comment": "Friday"})
    assert denied.headers["location"] == f"/ui/threads/{thread['id']}?done=deny"
    events = client.get(f"/threads/{thread['id']}", headers=AUTH).json()["events"]
    assert [(e["approved"], e["comment"]) for e in events if e["type"] == "approval"] == [
        (False, "Friday")
    ]


def test_an_escalation_is_answered_like_a_question() -> None:
    model = ScriptedModel([])
    client = client_of(calculator_app(model=model, store=MemoryStore(), ui=True))
    model.add("not json", "still not", "nope")
    response = client.post("/threads", json={"message": "add"}, headers=AUTH)
    thread = response.json()
    assert thread["pending"]["intent"] == "escalation"
    sign_in(client)
    inbox = client.get("/ui").text
    assert "Step in" in inbox and "3 errors in a row; please advise" in inbox
    page = client.get(f"/ui/threads/{thread['id']}").text
    assert "The agent asks a person to step in" in page
    assert "At every step" in page and "this thread is here" not in page  # no states
    model.add({"intent": "done_for_now", "message": "ok"})
    form = {"csrf": csrf_of(page), "call_id": thread["pending"]["call_id"], "text": "use JSON"}
    assert client.post(f"/ui/threads/{thread['id']}/answer", data=form).status_code == 303
    assert client.get(f"/threads/{thread['id']}", headers=AUTH).json()["status"] == "done"


def test_the_inbox_lists_only_its_own_agents_threads() -> None:
    store, model = MemoryStore(), ScriptedModel([])
    started = {"type": "thread_started", "version": "1", "vars": {}, "agent": "release_bot"}
    alike = [json.dumps(started), json.dumps({"type": "user_message", "text": "hi"})]
    asyncio.run(store.append_many("thread_alike", 0, alike))  # readable, but not deploy_bot's
    calculator = client_of(calculator_app(model=model, store=store, ui=True))
    model.add({"intent": "divide", "a": 1, "b": 2})
    other = calculator.post("/threads", json={"message": "divide"}, headers=AUTH).json()
    deploy = client_of(deploy_bot_app(model=model, store=store, ui=True))
    own = launched(deploy, model, ASK)
    sign_in(deploy)
    inbox = deploy.get("/ui").text
    assert own["id"] in inbox and other["id"] not in inbox and "thread_alike" not in inbox
    assert deploy.get("/ui/threads/thread_alike").status_code == 404
    # another agent's thread: refused as its version says (a thread of the same version: 404)
    assert deploy.get(f"/ui/threads/{other['id']}").status_code == 409


def test_serve_ui_switches_the_inbox_on(tmp_path: Path) -> None:
    env = {**os.environ, "AGENTGEN_STORE": f"sqlite:///{tmp_path / 'threads.db'}"}
    env.pop("AGENTGEN_UI", None)
    assert _served_login(env, "--ui") == 200
    assert _served_login(env) == 404


def _served_login(env: dict[str, str], *flags: str) -> int:
    """The status of GET /ui/login on `python -m generated.deploy_bot serve FLAGS`."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "generated.deploy_bot", "serve", "--port", str(port), *flags]
    env = {**env, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/ui/login", timeout=5).status_code
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_edit_form_follows_the_tools_json_schema() -> None:
    schema = SUPPORT_INTENTS["issue_refund"].parameters
    args = {"order_id": "ord_1", "amount": {"amount": 12.5, "currency": "EUR"}, "reason": "late"}
    fields = {field.label: field for field in edit_fields(schema, args)}
    assert (fields["order_id"].kind, fields["order_id"].text) == ("text", "ord_1")
    money = {child.label: child for child in fields["amount"].children}
    assert fields["amount"].kind == "group"
    assert (money["amount"].kind, money["amount"].text) == ("number", "12.5")
    assert (money["currency"].kind, money["currency"].options) == ("select", ("EUR", "USD", "GBP"))
    assert money["currency"].text == "0"
    form = {"arg.order_id": "ord_1", "arg.amount.amount": "ten", "arg.amount.currency": "2"}
    values, shown = read_fields(tuple(fields.values()), {**form, "arg.reason": "late again"})
    [problem] = [child for child in shown[1].children if child.error]
    assert (problem.label, problem.error) == ("amount", "a number is needed")
    form["arg.amount.amount"] = "10"
    values, shown = read_fields(tuple(fields.values()), {**form, "arg.reason": "late again"})
    assert values["amount"] == {"amount": 10.0, "currency": "GBP"}


def test_booleans_nullables_and_arrays_get_their_own_inputs() -> None:
    schema = {
        "properties": {
            "confirmed": {"type": "boolean"},
            "limit": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["confirmed", "tags"],
    }
    fields = edit_fields(schema, {"confirmed": True, "limit": None, "tags": ["a"]})
    assert [(f.kind, f.checked, f.nullable, f.text) for f in fields] == [
        ("checkbox", True, False, ""),
        ("integer", False, True, ""),
        ("json", False, False, '[\n  "a"\n]'),
    ]
    values, shown = read_fields(fields, {"arg.limit": "", "arg.tags": "[oops"})
    assert values == {"confirmed": False, "limit": None}
    assert shown[2].error == "not JSON: Expecting value (line 1)"


def test_model_offered_choices_come_from_the_call() -> None:
    agent = InboxAgent("bot", {}, {None: ()}, {}, offered_choices=("choose",))
    pending = {"intent": "choose", "call_id": "c", "args": {"q": "Which?", "choices": ["a", "b"]}}
    ask = ask_of(agent, {"status": "awaiting_human", "pending": pending})
    assert ask is not None
    assert (ask.kind, ask.text, ask.choices) == ("question", "Which?", ("a", "b"))


def test_events_read_as_sentences_for_a_person() -> None:
    events = [
        {"type": "thread_started", "version": "1", "vars": {}},
        {"type": "user_message", "text": "ship it"},
        {"type": "tool_call", "call_id": "c1", "call": DEPLOY, "awaiting": "approval"},
        {"type": "approval", "call_id": "c1", "approved": True, "comment": None, "edited": DEPLOY},
        {"type": "error", "source": "tool", "message": "boom", "intent": "deploy_backend"},
        {"type": "timeout", "call_id": "c2", "intent": "ask", "after": "4h"},
        {"type": "model_call", "provider": "openai", "model": "m", "latency_ms": 5},
    ]
    assert [entry.title for entry in entries(events)] == [
        "Thread started",
        "Message",
        "Asked for approval: deploy_backend",
        "Approved, with edited args",
        "Error from the tool (deploy_backend)",
        "No answer to ask within 4h",
        "Model call to openai:m: 5 ms, 0 in, 0 out tokens",
    ]


def test_waiting_times_read_as_a_person_says_them() -> None:
    now = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
    ago = [timedelta(seconds=30), timedelta(minutes=4), timedelta(hours=2, minutes=5)]
    ago += [timedelta(days=3, hours=1), timedelta(days=2)]
    assert [waited(now - delta, now) for delta in ago] == [
        "under a minute",
        "4 min",
        "2 h 5 min",
        "3 d 1 h",
        "2 d",
    ]
    assert waited(None, now) == "unknown"


def test_the_package_passes_what_the_picture_needs() -> None:
    assert INBOX.initial == "planning"
    assert INBOX.transitions[("planning", "deploy_backend")] == "verifying"
    assert INBOX.approvals["deploy_backend"] == "if environment == 'production'"


def test_a_question_in_a_sub_agents_thread_is_answered_from_the_parents_page() -> None:
    model, seats = ScriptedModel([]), SimpleNamespace(assign_flight_number=lambda call: "FLT-123")
    children = {"seat_booking": seats}
    app = triage_app(model=model, store=MemoryStore(), sub_agent_handlers=children, ui=True)
    client = client_of(app)
    handoff = {"intent": "ask_seat_booking_agent", "message": "move me to a window seat"}
    ask = {"intent": "ask_passenger", "message": "Which window seat: 12A or 14F?"}
    flight = {"intent": "assign_flight_number"}  # the child's first state does only this
    parent = launched(client, model, handoff, flight, ask, vars={})
    child_id = parent["pending"]["thread_id"]
    sign_in(client)
    inbox = client.get("/ui").text
    assert parent["id"] in inbox and child_id not in inbox  # the child is seat_booking's
    page = client.get(f"/ui/threads/{parent['id']}").text
    assert "Which window seat: 12A or 14F?" in page
    assert f"The call waits in the sub-agent thread <code>{child_id}</code>" in page
    seat = {"confirmation_number": "C1", "seat_number": "12A", "flight_number": "F9"}
    model.add({"intent": "seat_updated", **seat, "message": "done"})
    model.add({"intent": "reply_to_customer", "message": "You sit in 12A."})
    form = {"csrf": csrf_of(page), "call_id": parent["pending"]["call_id"], "text": "12A"}
    assert client.post(f"/ui/threads/{parent['id']}/answer", data=form).status_code == 303
    assert client.get(f"/threads/{parent['id']}", headers=AUTH).json()["status"] == "done"
