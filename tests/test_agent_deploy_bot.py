"""The generated deploy bot: states and transitions, `when` approvals, state fields, bad args."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agentgen.runtime import MemoryStore, ScriptedModel
from generated.deploy_bot import handlers
from generated.deploy_bot.agent import launch, resume
from generated.deploy_bot.events import Approval, ErrorEvent, Response, ToolResultEvent
from generated.deploy_bot.state import Thread

VARS = {"service": "shop", "environments": ["staging", "production"]}


@pytest.fixture(autouse=True)
def fresh_deployments(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example handlers keep deployments in a module global: start each test empty."""
    monkeypatch.setattr(handlers, "DEPLOYED", {"staging": [], "production": []})


def deploy(part: str, tag: str, environment: str) -> dict[str, Any]:
    return {"intent": f"deploy_{part}", "tag": tag, "environment": environment}


def health(environment: str) -> dict[str, Any]:
    return {"intent": "check_health", "environment": environment}


def done(message: str) -> dict[str, Any]:
    return {"intent": "done_for_now", "message": message}


def start(model: ScriptedModel, store: MemoryStore) -> Thread:
    return asyncio.run(launch("ship v1.4.2", model=model, store=store, vars=VARS))


def answer(thread: Thread, response: Response, model: ScriptedModel, store: MemoryStore) -> Thread:
    return asyncio.run(resume(thread.id, response, model=model, store=store))


def results(thread: Thread) -> list[tuple[str, Any]]:
    return [(e.intent, e.result) for e in thread.events if isinstance(e, ToolResultEvent)]


def errors(thread: Thread) -> list[str]:
    return [event.message for event in thread.events if isinstance(event, ErrorEvent)]


def test_staging_deploys_run_without_approval_and_move_through_the_states() -> None:
    store = MemoryStore()
    model = ScriptedModel([{"intent": "list_git_tags", "limit": 1}])
    model.add(deploy("backend", "v1.4.2", "staging"), health("staging"))
    model.add(deploy("frontend", "v1.4.2", "staging"), done("v1.4.2 is on staging"))
    thread = start(model, store)
    assert thread.status == "done"
    assert results(thread) == [
        ("list_git_tags", ["v1.4.2"]),
        (
            "deploy_backend",
            {"deployment_id": "dep_backend_staging_1", "url": "https://staging.example.com"},
        ),
        ("check_health", {"healthy": True, "error_rate": 0.0}),
        (
            "deploy_frontend",
            {"deployment_id": "dep_frontend_staging_2", "url": "https://staging.example.com"},
        ),
    ]
    offered = [[intent.name for intent in request.intents] for request in model.requests]
    planning = [
        "list_git_tags",
        "list_recent_commits",
        "deploy_backend",
        "deploy_frontend",
        "request_more_information",
        "done_for_now",
    ]
    verifying = ["check_health", "rollback", "request_more_information", "done_for_now"]
    assert offered == [planning, planning, verifying, planning, planning]
    assert (thread.state.last_deployed_tag, thread.state.last_environment) == ("v1.4.2", "staging")


def test_production_needs_approval_for_the_same_tool_that_ran_freely_on_staging() -> None:
    store = MemoryStore()
    model = ScriptedModel([deploy("frontend", "v1.4.2", "staging")])
    model.add(deploy("frontend", "v1.4.2", "production"))
    thread = start(model, store)
    assert thread.status == "awaiting_approval"
    assert thread.pending is not None
    assert thread.pending.intent == "deploy_frontend"
    assert thread.pending.args == {"tag": "v1.4.2", "environment": "production"}
    assert [intent for intent, _ in results(thread)] == ["deploy_frontend"]
    assert handlers.DEPLOYED == {"staging": ["frontend@v1.4.2"], "production": []}

    model.add(done("live"))
    thread = answer(thread, Approval(call_id=thread.pending.call_id, approved=True), model, store)
    assert thread.status == "done"
    assert handlers.DEPLOYED["production"] == ["frontend@v1.4.2"]


@pytest.mark.parametrize(
    ("environment", "confirmed", "gated"),
    [("staging", True, False), ("staging", False, True), ("production", True, True)],
)
def test_a_when_condition_with_or_and_not(environment: str, confirmed: bool, gated: bool) -> None:
    # rollback: approval = { when = "environment == 'production' or not confirmed" }
    store = MemoryStore()
    model = ScriptedModel([deploy("backend", "v1.4.1", "staging")])
    rollback = {"intent": "rollback", "environment": environment, "confirmed": confirmed}
    model.add(rollback, done("rolled back"))
    thread = start(model, store)
    if gated:
        assert thread.status == "awaiting_approval"
        assert thread.pending is not None
        assert thread.pending.args == {"environment": environment, "confirmed": confirmed}
    else:
        assert thread.status == "done"
        assert errors(thread) == ["RuntimeError: nothing to roll back to in staging"]


def test_an_intent_outside_the_current_state_is_an_error_the_model_sees() -> None:
    store = MemoryStore()
    model = ScriptedModel([health("staging"), {"intent": "list_git_tags"}, done("nothing")])
    thread = start(model, store)
    assert thread.status == "done"
    assert errors(thread) == [
        "intent 'check_health' is not allowed now; choose one of: list_git_tags, "
        "list_recent_commits, deploy_backend, deploy_frontend, request_more_information, "
        "done_for_now"
    ]
    assert results(thread)[0][0] == "list_git_tags"  # the forbidden call never ran
    assert (
        "<error intent=\"check_health\">intent 'check_health' is not allowed now;"
        in model.requests[1].prompt
    )
    assert model.requests[1].prompt.endswith("Find the release to deploy, then deploy the backend.")


def test_args_that_break_the_schema_are_an_error_not_a_call() -> None:
    store = MemoryStore()
    model = ScriptedModel([deploy("backend", "v1.4.2", "moon"), done("stopped")])
    thread = start(model, store)
    assert thread.status == "done"
    assert errors(thread) == [
        "invalid args for 'deploy_backend': environment: Input should be 'staging' or 'production'"
    ]
    assert handlers.DEPLOYED == {"staging": [], "production": []}


def test_two_errors_in_a_row_escalate_as_the_spec_says() -> None:
    # deploy_bot sets max_consecutive_errors = 2
    store = MemoryStore()
    model = ScriptedModel([{"intent": "list_recent_commits", "branch": "dev"}, "not json"])
    thread = start(model, store)
    assert thread.status == "awaiting_human"
    assert thread.pending is not None
    assert thread.pending.args == {"reason": "2 errors in a row; please advise"}
    assert errors(thread)[0] == "LookupError: unknown branch 'dev'"
