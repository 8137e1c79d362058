"""Launch vars are the spec's: an unknown one (a typo) is refused on every trigger, not dropped."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import pytest

from agentgen.runtime import MemoryStore, ScriptedModel, SqliteStore, ValueRefused
from generated.calculator.agent import launch as calculator_launch
from generated.deploy_bot.agent import launch
from generated.deploy_bot.http import create_app
from generated.deploy_bot.prompts import PromptVars
from tests.agent_cli import run_agent_cli
from tests.asgi_server import serving

TYPO = "unknown var 'servce' (did you mean 'service'?); its vars are: environments, service"
DONE = {"intent": "done_for_now", "message": "ok"}


def test_the_python_api_refuses_an_unknown_var_and_stores_nothing() -> None:
    store = MemoryStore()
    vars = {"service": "shop", "environments": [], "servce": "shop"}
    with pytest.raises(ValueRefused) as caught:
        asyncio.run(launch("ship", model=ScriptedModel([DONE]), store=store, vars=vars))
    assert (str(caught.value), caught.value.http_status) == (TYPO, 422)
    assert asyncio.run(store.thread_ids()) == []


def test_an_agent_without_vars_says_so() -> None:
    with pytest.raises(ValueRefused) as caught:
        asyncio.run(calculator_launch("hi", store=MemoryStore(), vars={"team": 1, "repo": "a/b"}))
    assert str(caught.value) == "unknown var 'repo', 'team'; it takes no vars"


def test_the_vars_model_itself_forbids_extras() -> None:
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        PromptVars.model_validate({"service": "shop", "environments": [], "servce": "x"})


def test_the_cli_refuses_an_unknown_var_in_one_line(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "AGENTGEN_STORE": f"sqlite:///{tmp_path / 't.db'}"}
    arguments = ("launch", "ship", "--var", "service=shop", "--var", "servce=shop")
    result = run_agent_cli("deploy_bot", *arguments, "--var", "environments=[]", env=env)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", f"error: {TYPO}\n")


def test_http_refuses_an_unknown_var_with_422(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTGEN_AUTH", "none")
    store = SqliteStore(tmp_path / "threads.db")
    app = create_app(model=ScriptedModel([DONE]), store=store)
    body = {"message": "ship", "vars": {"service": "shop", "environments": [], "servce": "x"}}
    with serving(app) as base:
        answer = httpx.post(f"{base}/threads", json=body, timeout=10)
    assert (answer.status_code, answer.json()) == (422, {"error": TYPO})
    assert asyncio.run(store.thread_ids()) == []
