"""Approve with edits: the person corrects the call; what runs is checked like the model's own."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from agentgen.runtime import MemoryStore, ResponseRefused, ScriptedModel, ValueRefused
from generated.deploy_bot import handlers
from generated.deploy_bot.agent import launch, resume
from generated.deploy_bot.context import render_thread
from generated.deploy_bot.events import Approval, ApprovalEvent, ToolCallEvent
from generated.deploy_bot.state import Thread

VARS = {"service": "shop", "environments": ["staging", "production"]}
DEPLOY = {"intent": "deploy_backend", "tag": "v1.4.1", "environment": "production"}
DONE = {"intent": "done_for_now", "message": "deployed"}


@pytest.fixture(autouse=True)
def fresh_deployments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handlers, "DEPLOYED", {"staging": [], "production": []})


def _paused(store: MemoryStore, model: ScriptedModel) -> Thread:
    thread = asyncio.run(launch("ship", model=model, store=store, vars=VARS))
    assert thread.status == "awaiting_approval"
    return thread


def _approve(thread: Thread, store: MemoryStore, model: ScriptedModel, **edit: Any) -> Thread:
    assert thread.pending is not None
    approval = Approval(call_id=thread.pending.call_id, **edit)
    return asyncio.run(resume(thread.id, approval, model=model, store=store))


def test_the_edited_call_is_what_runs_and_what_the_model_sees() -> None:
    store, model = MemoryStore(), ScriptedModel([DEPLOY, DONE])
    thread = _approve(_paused(store, model), store, model, approved=True, args={"tag": "v1.4.2"})
    assert thread.status == "done"
    assert handlers.DEPLOYED["production"] == ["backend@v1.4.2"]
    assert thread.state.last_deployed_tag == "v1.4.2"
    call = next(e for e in thread.events if isinstance(e, ToolCallEvent))
    approval = next(e for e in thread.events if isinstance(e, ApprovalEvent))
    assert call.call.model_dump() == {**DEPLOY}  # the model's call, as it asked
    assert approval.edited is not None
    assert approval.edited.model_dump() == {**DEPLOY, "tag": "v1.4.2"}
    assert "<approved>\nedited_args:\n  tag: v1.4.2\n  environment: production\n</approved>" in (
        render_thread(thread.events)
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            {"approved": True, "args": {"environment": "moon"}},
            "the edited args do not fit 'deploy_backend': "
            "environment: Input should be 'staging' or 'production'",
        ),
        (
            {"approved": True, "args": {"tga": "v1.4.2"}},
            "the edited args do not fit 'deploy_backend': tga: Extra inputs are not permitted",
        ),
        (
            {"approved": False, "args": {"tag": "v1.4.2"}},
            "args can only be given with an approval: a denied call never runs",
        ),
    ],
    ids=["bad-value", "unknown-param", "with-a-denial"],
)
def test_an_edit_that_does_not_fit_is_refused_and_changes_nothing(
    edit: dict[str, Any], message: str
) -> None:
    store, model = MemoryStore(), ScriptedModel([DEPLOY, DONE])
    thread = _paused(store, model)
    before = asyncio.run(store.load(thread.id))
    with pytest.raises(ResponseRefused) as refused:
        _approve(thread, store, model, **edit)
    assert str(refused.value) == message
    assert asyncio.run(store.load(thread.id)) == before
    assert handlers.DEPLOYED["production"] == []


def test_an_edit_too_deep_to_store_is_refused() -> None:
    store, model = MemoryStore(), ScriptedModel([DEPLOY, DONE])
    thread = _paused(store, model)
    deep: Any = "x"
    for _ in range(70):
        deep = [deep]
    with pytest.raises(ValueRefused, match="args is nested deeper than 64 levels"):
        _approve(thread, store, model, approved=True, args={"tag": deep})
    assert [json.loads(row)["type"] for row in asyncio.run(store.load(thread.id))][-1] == (
        "tool_call"
    )
