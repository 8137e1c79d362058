"""Port of HumanLayer's deploybot, the Slack bot that deploys a monorepo with approvals.

Original: got-agents/agents, deploybot-ts/ (read at b58aa48f819247bad02a9a477dd8a24e6501c345):
baml_src/agent.baml (DetermineNextStep and its BAML tests InboundGitCommits and
TestUndeployedCommits), src/agent.ts (the loop, approvals, human contacts), src/server.ts (the
`agent_slack.received` webhook), readme.md (the Slack conversations the data follows). Ported as
specs/vercel_deploybot.toml, generated as generated.vercel_deploybot; the scenarios are
/tmp/ports/deploybot/scenarios.md.

A thread starts with the typed `[input]` (the Slack webhook payload); the production steps
(promote_vercel_deployment, tag_push_prod) need an approval whose summary the person reads; the
port's choose_option is a multiple-choice contact whose choices the model gives per call; and
nothing_to_do is a terminal intent besides done_for_now.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agentgen.runtime import MemoryStore, ResponseRefused, ScriptedModel, SqliteStore
from generated.vercel_deploybot import (
    AgentInput,
    Approval,
    HumanResponse,
    Thread,
    launch,
    load_thread,
    resume,
)
from generated.vercel_deploybot.events import (
    ApprovalEvent,
    ErrorEvent,
    HumanResponseEvent,
    InputEvent,
    ToolCallEvent,
    ToolResultEvent,
)
from generated.vercel_deploybot.events import Response as PersonResponse
from generated.vercel_deploybot.http import create_app
from tests.agent_cli import run_agent_cli
from tests.asgi_server import serving as serving_app
from tests.fake_llm import FakeLLM, tool_call
from tests.fake_llm import serving as serving_llm

CHANNEL, TEAM, USER = "C07HR5LJ0KT", "T07HR5DNQBA", "U07HR5DNQBB"


def slack(content: str, ts: str, **extra: Any) -> dict[str, Any]:
    """HumanLayer's `agent_slack.received` webhook body for one Slack message."""
    message = {"from_user_id": USER, "channel_id": CHANNEL, "content": content, "message_ts": ts}
    event = {"thread_ts": ts, "channel_id": CHANNEL, "team_id": TEAM, "events": [message]}
    return {"type": "agent_slack.received", **extra, "event": event}


def commit(sha: str, author: str, date: str, message: str, tags: list[str]) -> dict[str, Any]:
    url = f"https://github.com/metalytics-dev/metalytics/commit/{sha}"
    return {
        "author": author,
        "date": date,
        "message": message,
        "sha": sha,
        "url": url,
        "tags": tags,
    }


COMMITS = [
    commit("1eea39d", "sundeep", "2025-03-07T18:02:00Z", 'merge PR #124 "refactor org routes"', []),
    commit(
        "a39d1ee",
        "sundeep",
        "2025-03-07T15:40:00Z",
        'merge PR #123 "fix bug in projects dropdown"',
        [],
    ),
    commit("39d1ea3", "dexter", "2025-03-06T11:12:00Z", "revamp spline reticulator", []),
]
TAGS = [
    {
        "name": "v0.3.80",
        "commit_sha": "39d1ea3",
        "commit_url": "https://api.github.com/repos/metalytics-dev/metalytics/commits/39d1ea3",
    }
]
NEW_COMMIT = {
    **COMMITS[0],
    "markdown": "[1eea39d](https://github.com/metalytics-dev/metalytics/commit/1eea39d) refactor "
    "org routes, by sundeep",
}
PREVIOUS_COMMIT = {
    **COMMITS[2],
    "tags": ["v0.3.80"],
    "markdown": "[39d1ea3](https://github.com/metalytics-dev/metalytics/commit/39d1ea3) revamp "
    "spline reticulator (v0.3.80)",
}
CHOICES = [
    "1eea39d refactor org routes (sundeep)",
    "a39d1ee fix bug in projects dropdown (sundeep)",
]
CHOOSE = {
    "intent": "choose_option",
    "question": "Which commit should I tag and push to production?",
    "choices": CHOICES,
}
TAG_PUSH = {"intent": "tag_push_prod", "new_commit": NEW_COMMIT, "previous_commit": PREVIOUS_COMMIT}
TAG_RUNS = {
    "recent_runs": [
        {
            "id": 13750001,
            "name": "tag-and-push-prod",
            "status": "queued",
            "html_url": "https://github.com/metalytics-dev/metalytics/actions/runs/13750001",
            "head_sha": "1eea39d",
        }
    ]
}


def deployment(
    ident: str, sha: str, status: str, created_at: str, author: str, message: str, markdown: str
) -> dict[str, Any]:
    return {
        "deployment_id": f"dpl_{ident}",
        "git_commit_sha": sha,
        "url": f"https://vercel.com/humanlayer/humanlayer-app-production/{ident}",
        "status": status,
        "created_at": created_at,
        "author": author,
        "commit_message": message,
        "markdown": markdown,
    }


DPL_A39 = deployment(
    "a39",
    "a39d1ee",
    "STAGED",
    "2025-03-07T15:45:00Z",
    "sundeep",
    'merge PR #123 "fix bug in projects dropdown"',
    "a39d1ee fix bug in projects dropdown (sundeep), Staged",
)
DPL_1EE = deployment(
    "1ee",
    "1eea39d",
    "STAGED",
    "2025-03-07T18:05:00Z",
    "sundeep",
    'merge PR #124 "refactor org routes"',
    "1eea39d refactor org routes (sundeep), Staged",
)
DPL_OLD = deployment(
    "old39d",
    "39d1ea3",
    "PROMOTED",
    "2025-03-06T11:20:00Z",
    "dexter",
    "revamp spline reticulator",
    "39d1ea3 revamp spline reticulator (dexter), Current",
)
VERCEL = {
    "currentDeployment": {"uid": "dpl_old39d", "commitSha": "39d1ea3", "readySubstate": "PROMOTED"},
    "recentDeployments": [
        {
            "uid": "dpl_a39",
            "commitSha": "a39d1ee",
            "commitMessage": 'merge PR #123 "fix bug in projects dropdown"',
            "readyState": "READY",
            "readySubstate": "STAGED",
        },
        {
            "uid": "dpl_1ee",
            "commitSha": "1eea39d",
            "commitMessage": 'merge PR #124 "refactor org routes"',
            "readyState": "READY",
            "readySubstate": "STAGED",
        },
        {
            "uid": "dpl_old39d",
            "commitSha": "39d1ea3",
            "readyState": "READY",
            "readySubstate": "PROMOTED",
        },
    ],
}
PROMOTE_RUNS = {
    "recent_runs": [
        {
            "id": 13750002,
            "name": "vercel-promote-to-prod",
            "status": "queued",
            "html_url": "https://github.com/metalytics-dev/metalytics/actions/runs/13750002",
            "head_sha": "1eea39d",
        }
    ]
}
BUILDING = {
    "currentDeployment": {"uid": "dpl_1ee", "commitSha": "1eea39d", "readySubstate": "PROMOTED"},
    "recentDeployments": [{"uid": "dpl_77f", "commitSha": "77f0c2a", "readyState": "BUILDING"}],
}
LIST_DEPLOYMENTS = {"intent": "list_vercel_deployments"}


def promote(new: dict[str, Any]) -> dict[str, Any]:
    return {
        "intent": "promote_vercel_deployment",
        "vercel_deployment": new,
        "previous_deployment": DPL_OLD,
    }


def wait(seconds: int) -> dict[str, Any]:
    return {"intent": "wait", "seconds": seconds, "reasoning": "dpl_77f is BUILDING"}


def done(message: str) -> dict[str, Any]:
    return {"intent": "done_for_now", "message": message}


class FakeHandlers:
    """One handler per tool in `results`, returning its result; records the args of each call."""

    def __init__(self, results: dict[str, Any]) -> None:
        self.results = results
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        if name not in self.results:  # a tool the scenario does not expect to run
            raise AttributeError(name)

        def handler(call: Any) -> Any:
            self.calls.append((name, call.model_dump(mode="json", exclude={"intent"})))
            return self.results[name]

        return handler


class Session:
    """One thread of a scenario: a scripted model, a store and fake handlers."""

    def __init__(self, model: ScriptedModel, handlers: FakeHandlers) -> None:
        self.model, self.handlers, self.store = model, handlers, MemoryStore()

    def launch(self, first: dict[str, Any] | AgentInput) -> Thread:
        return asyncio.run(
            launch(first, model=self.model, store=self.store, handlers=self.handlers)
        )

    def resume(self, thread: Thread, response: PersonResponse) -> Thread:
        return asyncio.run(
            resume(thread.id, response, model=self.model, store=self.store, handlers=self.handlers)
        )

    def approve(self, thread: Thread, **edits: Any) -> Thread:
        assert thread.pending is not None
        approval = Approval(call_id=thread.pending.call_id, approved=True, args=edits or None)
        return self.resume(thread, approval)

    def deny(self, thread: Thread, comment: str) -> Thread:
        assert thread.pending is not None
        denial = Approval(call_id=thread.pending.call_id, approved=False, comment=comment)
        return self.resume(thread, denial)

    def answer(self, thread: Thread, text: str) -> Thread:
        assert thread.pending is not None
        return self.resume(thread, HumanResponse(call_id=thread.pending.call_id, text=text))

    def reload(self, thread: Thread) -> Thread:
        return asyncio.run(load_thread(thread.id, self.store))

    def refused(self, thread: Thread, response: PersonResponse) -> str:
        """The refusal of `response`; the stored thread, and the script, stay as they were."""
        before, remaining = self.reload(thread), self.model.remaining
        with pytest.raises(ResponseRefused) as caught:
            self.resume(thread, response)
        after = self.reload(thread)
        assert after.events == before.events == thread.events
        assert after.state == before.state == thread.state
        assert self.model.remaining == remaining  # the model was not asked
        return str(caught.value)


def intents(thread: Thread) -> list[str]:
    """The intents the model chose that were recorded as calls, in order."""
    return [event.call.intent for event in thread.events if isinstance(event, ToolCallEvent)]


def results(thread: Thread) -> list[tuple[str, Any]]:
    return [(e.intent, e.result) for e in thread.events if isinstance(e, ToolResultEvent)]


def approvals(thread: Thread) -> list[ApprovalEvent]:
    return [event for event in thread.events if isinstance(event, ApprovalEvent)]


def call_event(thread: Thread, call_id: str) -> ToolCallEvent:
    (event,) = [e for e in thread.events if isinstance(e, ToolCallEvent) and e.call_id == call_id]
    return event


# --- 1. inbound_git_commits (BAML test InboundGitCommits) ----------------------------------------


def test_inbound_git_commits_starts_from_the_slack_payload() -> None:
    payload = slack("what are my last 3 git commits?", "1741484452358769")
    answer = (
        "Your last 3 commits: 1eea39d refactor org routes, a39d1ee fix bug in projects dropdown, "
        "39d1ea3 revamp spline reticulator (https://github.com/metalytics-dev/metalytics/commit/"
        "1eea39d ...)."
    )
    model = ScriptedModel([{"intent": "list_git_commits", "limit": 3}, done(answer)])
    handlers = FakeHandlers({"list_git_commits": COMMITS})
    thread = Session(model, handlers).launch(payload)

    assert thread.status == "done"
    assert thread.state.ended_by == "done_for_now"
    assert intents(thread) == ["list_git_commits", "done_for_now"]
    assert handlers.calls == [("list_git_commits", {"limit": 3})]
    assert results(thread) == [("list_git_commits", COMMITS)]
    first = thread.events[1]
    assert isinstance(first, InputEvent)
    assert isinstance(first.payload, AgentInput)
    assert first.payload.model_dump(mode="json") == {**payload, "is_test": False}
    assert first.payload.event.events[0].content == "what are my last 3 git commits?"
    # server.ts puts the whole payload in the thread as <slack_message_received>
    assert model.requests[0].prompt == (
        "You are working on the following thread:\n\n"
        '<slack_message_received type="agent_slack.received" is_test=false>\n'
        "event:\n"
        "  thread_ts: '1741484452358769'\n"
        "  channel_id: C07HR5LJ0KT\n"
        "  team_id: T07HR5DNQBA\n"
        "  events:\n"
        "  - from_user_id: U07HR5DNQBB\n"
        "    channel_id: C07HR5LJ0KT\n"
        "    content: what are my last 3 git commits?\n"
        "    message_ts: '1741484452358769'\n"
        "</slack_message_received>\n\n\n"
        "What should the next step be?"
    )
    assert (thread.state.promoted_deployment, thread.state.tagged_commit) == (None, None)


# --- 3. undeployed_commits (BAML test TestUndeployedCommits) --------------------------------------


def test_undeployed_commits_from_a_typed_input() -> None:
    payload = AgentInput.model_validate(
        slack(
            "do we have any git commits that need to be deployed?",
            "1741484452358769",
            is_test=False,
        )
    )
    answer = (
        "2 commits on main are newer than v0.3.80 (39d1ea3): 1eea39d refactor org routes and "
        "a39d1ee fix bug in projects dropdown. Shall I deploy the latest?"
    )
    model = ScriptedModel(
        [
            {"intent": "list_git_commits", "limit": 20},
            {"intent": "list_git_tags", "limit": 5},
            done(answer),
        ]
    )
    handlers = FakeHandlers({"list_git_commits": COMMITS, "list_git_tags": TAGS})
    thread = Session(model, handlers).launch(payload)

    assert thread.status == "done"
    assert intents(thread) == ["list_git_commits", "list_git_tags", "done_for_now"]
    assert handlers.calls == [("list_git_commits", {"limit": 20}), ("list_git_tags", {"limit": 5})]
    assert results(thread) == [("list_git_commits", COMMITS), ("list_git_tags", TAGS)]
    first = thread.events[1]
    assert isinstance(first, InputEvent)
    assert first.payload == payload
    assert approvals(thread) == []


# --- 4. deploy_backend_choose_then_approve (readme.md "Push a git tag to the production repo") ---

TAG_SUMMARY = (
    "Tag and push 1eea39d to production\n"
    "new commit: [1eea39d](https://github.com/metalytics-dev/metalytics/commit/1eea39d) refactor "
    "org routes, by sundeep\n"
    "previous commit: [39d1ea3](https://github.com/metalytics-dev/metalytics/commit/39d1ea3) "
    "revamp spline reticulator (v0.3.80)"
)


def test_deploy_backend_the_person_chooses_among_the_commits_then_approves() -> None:
    commits = [COMMITS[0], COMMITS[1], {**COMMITS[2], "tags": ["v0.3.80"]}]
    model = ScriptedModel(
        [
            {"intent": "list_git_tags", "limit": 5},
            {"intent": "list_git_commits", "limit": 5},
            CHOOSE,
        ]
    )
    handlers = FakeHandlers(
        {"list_git_tags": TAGS, "list_git_commits": commits, "tag_push_prod": TAG_RUNS}
    )
    session = Session(model, handlers)
    thread = session.launch(slack("@deploybot deploy backend", "1741500000000001"))
    assert thread.status == "awaiting_human"
    assert thread.pending is not None
    assert thread.pending.intent == "choose_option"
    assert thread.pending.args == {
        "question": "Which commit should I tag and push to production?",
        "choices": CHOICES,
    }
    assert thread.pending.summary is None
    choose_id = thread.pending.call_id

    # an answer outside this call's choices is refused, and changes nothing
    assert session.refused(thread, HumanResponse(call_id=choose_id, text="v9.9.9")) == (
        "answer 'v9.9.9' is not one of: 1eea39d refactor org routes (sundeep), "
        "a39d1ee fix bug in projects dropdown (sundeep)"
    )
    assert session.refused(thread, HumanResponse(call_id=choose_id, text="1eea39d")) == (
        "answer '1eea39d' is not one of: 1eea39d refactor org routes (sundeep), "
        "a39d1ee fix bug in projects dropdown (sundeep)"
    )

    model.add(TAG_PUSH)
    thread = session.answer(thread, CHOICES[0])
    assert [(e.call_id, e.text) for e in thread.events if isinstance(e, HumanResponseEvent)] == [
        (choose_id, CHOICES[0])
    ]
    assert thread.status == "awaiting_approval"
    assert thread.pending is not None
    assert thread.pending.intent == "tag_push_prod"
    assert thread.pending.args == {"new_commit": NEW_COMMIT, "previous_commit": PREVIOUS_COMMIT}
    assert thread.pending.summary == TAG_SUMMARY
    assert "tag_push_prod" not in [name for name, _ in handlers.calls]  # not before the approval

    message = (
        "Started tag-and-push-prod for 1eea39d: "
        "https://github.com/metalytics-dev/metalytics/actions/runs/13750001"
    )
    model.add(done(message))
    thread = session.approve(thread)
    assert thread.status == "done"
    assert thread.state.ended_by == "done_for_now"
    assert intents(thread) == [
        "list_git_tags",
        "list_git_commits",
        "choose_option",
        "tag_push_prod",
        "done_for_now",
    ]
    assert handlers.calls == [
        ("list_git_tags", {"limit": 5}),
        ("list_git_commits", {"limit": 5}),
        ("tag_push_prod", {"new_commit": NEW_COMMIT, "previous_commit": PREVIOUS_COMMIT}),
    ]
    assert results(thread)[-1] == ("tag_push_prod", TAG_RUNS)
    assert thread.state.tagged_commit is not None
    assert thread.state.tagged_commit.model_dump(mode="json") == NEW_COMMIT
    assert thread.state.promoted_deployment is None
    assert [(e.approved, e.comment, e.edited) for e in approvals(thread)] == [(True, None, None)]
    assert session.reload(thread).state == thread.state


def test_the_choices_are_those_of_the_pending_call_not_of_an_earlier_one() -> None:
    tags = ["v0.3.80", "v0.3.79"]
    model = ScriptedModel(
        [
            CHOOSE,
            {
                "intent": "choose_option",
                "question": "Which tag should I roll back to?",
                "choices": tags,
            },
        ]
    )
    session = Session(model, FakeHandlers({}))
    thread = session.launch(slack("@deploybot deploy backend", "1741500000000001"))
    thread = session.answer(thread, CHOICES[1])
    assert thread.status == "awaiting_human"
    assert thread.pending is not None
    assert thread.pending.args["choices"] == tags
    # the first call's choice does not answer the second
    refusal = session.refused(
        thread, HumanResponse(call_id=thread.pending.call_id, text=CHOICES[1])
    )
    assert refusal == (
        "answer 'a39d1ee fix bug in projects dropdown (sundeep)' is not one of: v0.3.80, v0.3.79"
    )
    model.add(done("Rolling back to v0.3.79."))
    thread = session.answer(thread, "v0.3.79")
    assert thread.status == "done"
    assert [e.text for e in thread.events if isinstance(e, HumanResponseEvent)] == [
        CHOICES[1],
        "v0.3.79",
    ]


# --- 5. promote_rejected_then_other_deployment (readme.md "Promote a vercel deployment") ---------


def promote_summary(new: dict[str, Any]) -> str:
    return (
        f"Promote Vercel deployment {new['git_commit_sha']} to production\n"
        f"new deployment: {new['markdown']}\n"
        "previous deployment: 39d1ea3 revamp spline reticulator (dexter), Current"
    )


def test_promote_rejected_then_the_other_deployment_approved() -> None:
    model = ScriptedModel([LIST_DEPLOYMENTS, promote(DPL_A39)])
    handlers = FakeHandlers(
        {"list_vercel_deployments": VERCEL, "promote_vercel_deployment": PROMOTE_RUNS}
    )
    session = Session(model, handlers)
    thread = session.launch(
        slack("@deploybot promote the last web commit to production", "1741500000000002")
    )
    assert thread.status == "awaiting_approval"
    assert thread.pending is not None
    assert thread.pending.intent == "promote_vercel_deployment"
    assert thread.pending.summary == (
        "Promote Vercel deployment a39d1ee to production\n"
        "new deployment: a39d1ee fix bug in projects dropdown (sundeep), Staged\n"
        "previous deployment: 39d1ea3 revamp spline reticulator (dexter), Current"
    )

    model.add(promote(DPL_1EE))
    comment = "not that one, the one with the org route changes"
    thread = session.deny(thread, comment)
    assert thread.status == "awaiting_approval"
    assert thread.pending is not None
    assert thread.pending.args == {"vercel_deployment": DPL_1EE, "previous_deployment": DPL_OLD}
    assert thread.pending.summary == promote_summary(DPL_1EE)
    assert model.requests[-1].prompt.endswith(
        f'<denied comment="{comment}"/>\n\n\nWhat should the next step be?'
    )
    assert thread.state.promoted_deployment is None  # the denied call never ran

    message = (
        "Promoting 1eea39d (https://github.com/metalytics-dev/metalytics/commit/1eea39d): "
        "https://github.com/metalytics-dev/metalytics/actions/runs/13750002"
    )
    model.add(done(message))
    thread = session.approve(thread)
    assert thread.status == "done"
    assert intents(thread) == [
        "list_vercel_deployments",
        "promote_vercel_deployment",
        "promote_vercel_deployment",
        "done_for_now",
    ]
    assert [(e.approved, e.comment) for e in approvals(thread)] == [(False, comment), (True, None)]
    assert handlers.calls == [
        ("list_vercel_deployments", {}),
        (
            "promote_vercel_deployment",
            {"vercel_deployment": DPL_1EE, "previous_deployment": DPL_OLD},
        ),
    ]
    assert results(thread) == [
        ("list_vercel_deployments", VERCEL),
        ("promote_vercel_deployment", PROMOTE_RUNS),
    ]
    assert thread.state.promoted_deployment is not None
    assert thread.state.promoted_deployment.model_dump(mode="json") == DPL_1EE
    assert thread.state.tagged_commit is None


# --- approve with edits --------------------------------------------------------------------------


def test_approve_with_edits_runs_the_edited_call_and_keeps_the_original() -> None:
    model = ScriptedModel([LIST_DEPLOYMENTS, promote(DPL_A39)])
    handlers = FakeHandlers(
        {"list_vercel_deployments": VERCEL, "promote_vercel_deployment": PROMOTE_RUNS}
    )
    session = Session(model, handlers)
    thread = session.launch(
        slack("@deploybot promote the last web commit to production", "1741500000000002")
    )
    assert thread.pending is not None
    call_id = thread.pending.call_id

    model.add(
        done(
            "Promoting 1eea39d: https://github.com/metalytics-dev/metalytics/actions/runs/13750002"
        )
    )
    thread = session.approve(thread, vercel_deployment=DPL_1EE)  # the person picks the other one
    assert thread.status == "done"
    # the handler received the edited call
    assert handlers.calls[-1] == (
        "promote_vercel_deployment",
        {"vercel_deployment": DPL_1EE, "previous_deployment": DPL_OLD},
    )
    (approval,) = approvals(thread)
    assert (approval.call_id, approval.approved, approval.comment) == (call_id, True, None)
    assert approval.edited is not None
    assert approval.edited.model_dump(mode="json") == promote(DPL_1EE)
    # the call event is still what the model asked for, and its summary too
    original = call_event(thread, call_id)
    assert original.call.model_dump(mode="json") == promote(DPL_A39)
    assert original.summary == promote_summary(DPL_A39)
    # the result is the call's; state is set from the edited args
    assert [(e.call_id, e.intent) for e in thread.events if isinstance(e, ToolResultEvent)][-1] == (
        call_id,
        "promote_vercel_deployment",
    )
    assert thread.state.promoted_deployment is not None
    assert thread.state.promoted_deployment.model_dump(mode="json") == DPL_1EE
    # the model is told that what ran is not what it asked for
    assert "<approved>\nedited_args:\n  vercel_deployment:\n    deployment_id: dpl_1ee\n" in (
        model.requests[-1].prompt
    )
    reloaded = session.reload(thread)
    assert reloaded.events == thread.events
    assert reloaded.state == thread.state


def test_an_invalid_edit_is_refused_and_changes_nothing() -> None:
    model = ScriptedModel([LIST_DEPLOYMENTS, wait(120)])
    handlers = FakeHandlers({"list_vercel_deployments": BUILDING, "wait": {"status": "ok"}})
    session = Session(model, handlers)
    thread = session.launch(
        slack("promote the newest frontend build once it's ready", "1741500000000003")
    )
    assert thread.pending is not None
    call_id = thread.pending.call_id

    negative = session.refused(
        thread, Approval(call_id=call_id, approved=True, args={"seconds": -5})
    )
    assert negative.startswith("the edited args do not fit 'wait': ")
    assert negative.endswith("seconds: Input should be greater than or equal to 0")
    unknown = session.refused(thread, Approval(call_id=call_id, approved=True, args={"minutes": 1}))
    assert unknown.startswith("the edited args do not fit 'wait': ")
    assert unknown.endswith("minutes: Extra inputs are not permitted")
    wrong_type = session.refused(
        thread, Approval(call_id=call_id, approved=True, args={"seconds": "thirty"})
    )
    assert wrong_type.startswith("the edited args do not fit 'wait': ")
    assert wrong_type.endswith(
        "seconds: Input should be a valid integer, unable to parse string as an integer"
    )
    denied_edit = Approval(call_id=call_id, approved=False, args={"seconds": 30}, comment="no")
    assert session.refused(thread, denied_edit) == (
        "args can only be given with an approval: a denied call never runs"
    )
    assert [name for name, _ in handlers.calls] == ["list_vercel_deployments"]

    # a valid edit then runs, as edited
    model.add(LIST_DEPLOYMENTS, done("77f0c2a is still BUILDING; ask me again when it is ready."))
    thread = session.approve(thread, seconds=30)
    assert thread.status == "done"
    assert handlers.calls[1] == ("wait", {"seconds": 30, "reasoning": "dpl_77f is BUILDING"})
    (approval,) = approvals(thread)
    assert approval.edited is not None
    assert approval.edited.model_dump(mode="json") == wait(30)
    assert call_event(thread, call_id).call.model_dump(mode="json") == wait(120)


# --- 6. long_wait_needs_approval (the port's approval `when` on wait) ----------------------------


def test_a_long_wait_needs_approval_a_short_one_runs_at_once() -> None:
    model = ScriptedModel([LIST_DEPLOYMENTS, wait(120)])
    handlers = FakeHandlers(
        {"list_vercel_deployments": BUILDING, "wait": {"status": "successfully waited 30 seconds"}}
    )
    session = Session(model, handlers)
    thread = session.launch(
        slack("promote the newest frontend build once it's ready", "1741500000000003")
    )
    assert thread.status == "awaiting_approval"
    assert thread.pending is not None
    assert (thread.pending.intent, thread.pending.args) == (
        "wait",
        {"seconds": 120, "reasoning": "dpl_77f is BUILDING"},
    )
    assert thread.pending.summary == "Wait 120 seconds: dpl_77f is BUILDING"

    model.add(
        wait(30),
        LIST_DEPLOYMENTS,
        done("77f0c2a is still BUILDING after 30 seconds; ask me again when it is ready."),
    )
    thread = session.deny(thread, "don't block that long, 30 seconds max")
    assert thread.status == "done"
    assert intents(thread) == [
        "list_vercel_deployments",
        "wait",
        "wait",
        "list_vercel_deployments",
        "done_for_now",
    ]
    waits = [e for e in thread.events if isinstance(e, ToolCallEvent) and e.call.intent == "wait"]
    assert [(e.awaiting, e.summary) for e in waits] == [
        ("approval", "Wait 120 seconds: dpl_77f is BUILDING"),
        (None, None),
    ]
    assert [(e.approved, e.comment) for e in approvals(thread)] == [
        (False, "don't block that long, 30 seconds max")
    ]
    assert handlers.calls == [
        ("list_vercel_deployments", {}),
        ("wait", {"seconds": 30, "reasoning": "dpl_77f is BUILDING"}),
        ("list_vercel_deployments", {}),
    ]
    assert results(thread)[1] == ("wait", {"status": "successfully waited 30 seconds"})


# --- 7. nothing_to_do (a terminal intent) --------------------------------------------------------


def test_nothing_to_do_ends_the_thread_done_by_that_intent() -> None:
    model = ScriptedModel(
        [{"intent": "nothing_to_do", "message": "Thanks message; no deployment asked for."}]
    )
    handlers = FakeHandlers({})
    session = Session(model, handlers)
    thread = session.launch(slack("lgtm, thanks!", "1741500000000004"))

    assert thread.status == "done"
    assert thread.state.ended_by == "nothing_to_do"
    assert thread.pending is None
    assert intents(thread) == ["nothing_to_do"]
    assert [event.type for event in thread.events] == ["thread_started", "input", "tool_call"]
    assert results(thread) == []
    assert handlers.calls == []
    assert len(model.requests) == 1
    reloaded = session.reload(thread)
    assert (reloaded.status, reloaded.state.ended_by) == ("done", "nothing_to_do")


# --- the triggers: the command line and HTTP -----------------------------------------------------


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    with serving_llm() as fake:
        yield fake


def test_cli_approve_with_set_runs_the_edited_call(llm: FakeLLM, tmp_path: Path) -> None:
    db = tmp_path / "threads.db"
    env = {
        "PATH": os.environ["PATH"],
        "AGENTGEN_BASE_URL": llm.openai_url,
        "OPENAI_API_KEY": "loopback",
        "AGENTGEN_STORE": f"sqlite:///{db}",
    }
    payload = slack("promote the newest frontend build once it's ready", "1741500000000003")
    llm.script(tool_call("wait", {"seconds": 120, "reasoning": "dpl_77f is BUILDING"}))
    launched = run_agent_cli("vercel_deploybot", "launch", "--input", json.dumps(payload), env=env)
    assert launched.returncode == 0, launched.stderr
    ident = launched.stdout.split()[1].rstrip(":")
    store = SqliteStore(str(db))
    thread = asyncio.run(load_thread(ident, store))
    assert thread.pending is not None
    call_id = thread.pending.call_id
    command = f"{sys.executable} -m generated.vercel_deploybot"
    *status, usage = launched.stdout.splitlines()
    assert usage.startswith("  usage: 1 model call, 1 input tokens")
    assert status == [
        f"thread {ident}: awaiting_approval",
        f"  wait wants approval (call {call_id}):",
        "    Wait 120 seconds: dpl_77f is BUILDING",
        "    seconds: 120",
        "    reasoning: dpl_77f is BUILDING",
        f"  approve: {command} resume {ident} --approve",
        f'  deny:    {command} resume {ident} --deny "why"',
    ]

    llm.script(tool_call("done_for_now", {"message": "waited 30 seconds"}))
    resumed = run_agent_cli(
        "vercel_deploybot", "resume", ident, "--approve", "--set", "seconds=30", env=env
    )
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.splitlines()[:-1] == [
        f"thread {ident}: done (done_for_now)",
        "  message: waited 30 seconds",
    ]
    thread = asyncio.run(load_thread(ident, store))
    store.close()
    # handlers.py's wait is a stub: it ran on the edited call, and raised
    assert [event.type for event in thread.events[2:]] == [
        "model_call",
        "tool_call",
        "approval",
        "error",
        "model_call",
        "tool_call",
    ]
    (approval,) = approvals(thread)
    assert (approval.call_id, approval.approved) == (call_id, True)
    assert approval.edited is not None
    assert approval.edited.model_dump(mode="json") == wait(30)
    assert call_event(thread, call_id).call.model_dump(mode="json") == wait(120)
    error = thread.events[5]
    assert isinstance(error, ErrorEvent)
    assert (error.source, error.call_id, error.intent, error.message) == (
        "tool",
        call_id,
        "wait",
        "NotImplementedError: handler 'wait' is not written yet: see handlers.py",
    )
    # the model read the edited args
    prompt = llm.requests[-1].body["messages"][1]["content"]
    assert "<approved>\nedited_args:\n  seconds: 30\n  reasoning: dpl_77f is BUILDING\n" in prompt


def test_http_approval_with_args_runs_the_edited_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTGEN_AUTH", "none")
    store = SqliteStore(str(tmp_path / "threads.db"))
    model = ScriptedModel([LIST_DEPLOYMENTS, promote(DPL_A39)])
    handlers = FakeHandlers(
        {"list_vercel_deployments": VERCEL, "promote_vercel_deployment": PROMOTE_RUNS}
    )
    app = create_app(model=model, store=store, handlers=handlers)
    payload = slack("@deploybot promote the last web commit to production", "1741500000000002")
    with serving_app(app) as base:
        created = httpx.post(f"{base}/threads", json={"input": payload}, timeout=10)
        assert created.status_code == 201
        body = created.json()
        assert body["status"] == "awaiting_approval"
        pending = body["pending"]
        assert pending["intent"] == "promote_vercel_deployment"
        assert pending["summary"] == promote_summary(DPL_A39)
        ident, call_id = body["id"], pending["call_id"]
        responses = f"{base}/threads/{ident}/responses"

        bad = {
            "type": "approval",
            "call_id": call_id,
            "approved": True,
            "args": {"vercel_deployment": {"deployment_id": "dpl_1ee"}},
        }
        refused = httpx.post(responses, json=bad, timeout=10)
        assert refused.status_code == 409
        assert refused.json()["error"].startswith(
            "the edited args do not fit 'promote_vercel_deployment': "
        )
        assert httpx.get(f"{base}/threads/{ident}", timeout=10).json() == body

        model.add(done("Promoting 1eea39d"))
        edit = {
            "type": "approval",
            "call_id": call_id,
            "approved": True,
            "args": {"vercel_deployment": DPL_1EE},
        }
        answered = httpx.post(responses, json=edit, timeout=10)
    store.close()
    assert answered.status_code == 200
    body = answered.json()
    assert (body["status"], body["ended_by"], body["pending"]) == ("done", "done_for_now", None)
    assert handlers.calls[-1] == (
        "promote_vercel_deployment",
        {"vercel_deployment": DPL_1EE, "previous_deployment": DPL_OLD},
    )
    events = body["events"]
    assert [event["type"] for event in events[2:]] == [
        "tool_call",
        "tool_result",
        "tool_call",
        "approval",
        "tool_result",
        "tool_call",
    ]
    assert events[5] == {
        "type": "approval",
        "call_id": call_id,
        "approved": True,
        "comment": None,
        "edited": promote(DPL_1EE),
    }
    assert events[4]["call"] == promote(DPL_A39)
    assert events[6] == {
        "type": "tool_result",
        "call_id": call_id,
        "intent": "promote_vercel_deployment",
        "result": PROMOTE_RUNS,
    }
