"""The deploy bot end to end: HTTP launch against a loopback OpenAI-compatible server, a pause
for the production approval, the approval from a second process through the CLI, and done."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from generated.deploy_bot.http import create_app
from tests.agent_cli import run_agent_cli
from tests.asgi_server import serving
from tests.fake_llm import FakeLLM, tool_call
from tests.fake_llm import serving as serving_llm

TOKEN = "deploy-token"


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLM]:
    """The variables an operator would set: model endpoint, store, API token."""
    with serving_llm() as llm:
        variables = {
            "AGENTGEN_BASE_URL": llm.openai_url,
            "ANTHROPIC_BASE_URL": llm.anthropic_url,
            "OPENAI_API_KEY": "loopback",
            "ANTHROPIC_API_KEY": "loopback",
            "AGENTGEN_STORE": f"sqlite:///{tmp_path / 'threads.db'}",
            "AGENTGEN_API_TOKEN": TOKEN,
        }
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AGENTGEN_MODEL", raising=False)
        monkeypatch.delenv("AGENTGEN_AUTH", raising=False)
        yield llm


def cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    """`python -m generated.deploy_bot ...` in another process, with the same environment."""
    return run_agent_cli("deploy_bot", *arguments, env=os.environ)


def test_deploy_to_production_is_approved_from_another_process(environment: FakeLLM) -> None:
    llm = environment
    llm.script(
        tool_call("list_git_tags", {"limit": 2}),
        tool_call("deploy_backend", {"tag": "v1.4.2", "environment": "production"}),
    )
    headers = {"Authorization": f"Bearer {TOKEN}"}
    launch = {
        "message": "ship the latest backend to production",
        "vars": {"service": "shop", "environments": ["staging", "production"]},
    }
    with serving(create_app()) as base:
        created = httpx.post(f"{base}/threads", json=launch, headers=headers, timeout=30)
        assert created.status_code == 201, created.text
        thread = created.json()
        assert thread["status"] == "awaiting_approval"
        assert thread["pending"]["intent"] == "deploy_backend"
        assert thread["pending"]["args"] == {"tag": "v1.4.2", "environment": "production"}
        assert llm.remaining == 0

        llm.script(
            tool_call("check_health", {"environment": "production"}),
            tool_call("done_for_now", {"message": "v1.4.2 is live in production"}),
        )
        approved = cli("resume", thread["id"], "--approve")
        assert approved.returncode == 0, approved.stderr
        assert approved.stdout.splitlines()[0] == f"thread {thread['id']}: done (done_for_now)"

        final = httpx.get(f"{base}/threads/{thread['id']}", headers=headers, timeout=30).json()
    assert final["status"] == "done"
    results = {e["intent"]: e["result"] for e in final["events"] if e["type"] == "tool_result"}
    assert results["deploy_backend"]["url"] == "https://production.example.com"
    assert results["check_health"] == {"healthy": True, "error_rate": 0.0}
    assert final["events"][-1]["call"]["message"] == "v1.4.2 is live in production"
    # every step, from either process, keys OpenAI's prompt cache by the thread
    assert [sent.body["prompt_cache_key"] for sent in llm.requests] == [thread["id"]] * 4
    first_request = llm.requests[0].body
    assert first_request["messages"][0]["content"].startswith(
        "You are the deploy bot of the shop service."
    )
    assert {tool["function"]["name"] for tool in first_request["tools"]} == {
        "list_git_tags",
        "list_recent_commits",
        "deploy_backend",
        "deploy_frontend",
        "request_more_information",
        "done_for_now",
    }
