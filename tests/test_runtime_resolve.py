"""Fallback chains, resolve_model with environment overrides, and a generated agent over HTTP."""

from __future__ import annotations

import asyncio

import pytest

from agentgen.runtime import (
    AnthropicModel,
    FallbackModel,
    MemoryStore,
    Model,
    ModelConfig,
    ModelNotConfigured,
    ModelOutput,
    ModelUnavailable,
    OpenAIModel,
    ScriptedModel,
    resolve_model,
)
from generated.calculator import Approval, launch, resume
from tests.fake_llm import FakeLLM, delay, status, tool_call
from tests.model_steps import REQUEST

SPEC = ModelConfig(provider="openai", name="gpt-4o-mini", timeout_s=7.0, max_retries=3)


pytestmark = pytest.mark.usefixtures("clean_model_env")


def _ask(model: Model) -> ModelOutput:
    return asyncio.run(model.next_step(REQUEST))


def _chain(llm: FakeLLM, timeout_s: float = 5.0) -> FallbackModel:
    """OpenAI first, then Anthropic, both at the fake server and without retries."""
    first = OpenAIModel("gpt-test", base_url=llm.openai_url, timeout_s=timeout_s, max_retries=0)
    second = AnthropicModel("claude-test", base_url=llm.anthropic_url, max_retries=0)
    return FallbackModel([first, second])


def test_a_timeout_moves_on_to_the_next_model(llm: FakeLLM) -> None:
    llm.script(delay(3), tool_call("add", {"a": 1, "b": 2}))
    output = _ask(_chain(llm, timeout_s=0.2))
    assert output == {"name": "add", "arguments": {"a": 1, "b": 2}}
    assert [sent.path for sent in llm.requests] == ["/v1/chat/completions", "/v1/messages"]


def test_the_first_model_that_answers_wins(llm: FakeLLM) -> None:
    llm.script(tool_call("add", {"a": 1, "b": 2}))
    assert _ask(_chain(llm)) == {"name": "add", "arguments": '{"a": 1, "b": 2}'}
    assert len(llm.requests) == 1


def test_when_every_model_fails_the_error_lists_each_failure(llm: FakeLLM) -> None:
    llm.script(status(500, "overloaded"), status(503, "down for maintenance"))
    with pytest.raises(ModelUnavailable) as raised:
        _ask(_chain(llm))
    assert str(raised.value) == (
        "no model answered (2 tried): openai:gpt-test: HTTP 500: overloaded; "
        "anthropic:claude-test: HTTP 503: down for maintenance"
    )


def test_a_bug_in_a_model_is_not_swallowed_by_the_chain() -> None:
    empty = ScriptedModel([])
    with pytest.raises(RuntimeError) as raised:
        _ask(FallbackModel([empty, ScriptedModel([{"intent": "done"}])]))
    assert str(raised.value) == "ScriptedModel has no steps left (it was given 0)"


def test_a_chain_needs_a_model() -> None:
    with pytest.raises(ValueError) as raised:
        FallbackModel([])
    assert str(raised.value) == "FallbackModel needs at least one model"


def test_the_spec_alone_builds_its_provider_with_its_timeout_and_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    model = resolve_model(None, SPEC)
    assert isinstance(model, OpenAIModel)
    assert (model.name, model.mode, model.temperature) == ("gpt-4o-mini", "tools", 0.0)
    assert str(model.client.base_url) == "https://api.openai.com/v1/"
    assert (model.client.timeout, model.client.max_retries) == (7.0, 3)


def test_fallbacks_build_a_chain_with_the_same_timeout_and_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    config = ModelConfig(
        provider="openai",
        name="gpt-4o-mini",
        base_url="https://llm.example.com/v1",
        timeout_s=7.0,
        max_retries=3,
        fallback=("anthropic:claude-sonnet-4-5", "openai:llama3.1:8b"),
    )
    model = resolve_model(None, config)
    assert isinstance(model, FallbackModel)
    described = [
        (type(each).__name__, each.label, str(each.client.base_url))
        for each in model.models
        if isinstance(each, OpenAIModel | AnthropicModel)
    ]
    assert described == [
        ("OpenAIModel", "openai:gpt-4o-mini", "https://llm.example.com/v1/"),
        ("AnthropicModel", "anthropic:claude-sonnet-4-5", "https://api.anthropic.com"),
        ("OpenAIModel", "openai:llama3.1:8b", "https://llm.example.com/v1/"),
    ]
    for each in model.models:
        assert isinstance(each, OpenAIModel | AnthropicModel)
        assert (each.client.timeout, each.client.max_retries) == (7.0, 3)


def test_agentgen_model_switches_provider_and_drops_the_other_providers_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AGENTGEN_MODEL", "anthropic:claude-sonnet-4-5")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    config = ModelConfig(
        provider="openai",
        name="gpt-4o-mini",
        base_url="https://llm.example.com/v1",
        api_key_env="TEAM_OPENAI_KEY",
    )
    model = resolve_model(None, config)
    assert isinstance(model, AnthropicModel)
    assert model.name == "claude-sonnet-4-5"
    assert str(model.client.base_url) == "https://api.anthropic.com"


def test_environment_overrides_reach_the_wire(
    llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTGEN_MODEL", "openai:qwen2.5:7b")
    monkeypatch.setenv("AGENTGEN_BASE_URL", llm.openai_url)
    monkeypatch.setenv("TEAM_OPENAI_KEY", "team-secret")
    config = ModelConfig(
        provider="openai",
        name="gpt-4o-mini",
        base_url="https://llm.example.com/v1",
        api_key_env="TEAM_OPENAI_KEY",
        temperature=0.5,
    )
    llm.script(tool_call("done", {"message": "ok"}))
    _ask(resolve_model(None, config))
    [sent] = llm.requests
    assert (sent.body["model"], sent.body["temperature"]) == ("qwen2.5:7b", 0.5)
    assert sent.headers["authorization"] == "Bearer team-secret"


def test_a_resolved_chain_falls_back_over_http(
    llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTGEN_BASE_URL", llm.openai_url)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", llm.anthropic_url)
    config = ModelConfig(
        provider="openai",
        name="gpt-test",
        max_retries=0,
        fallback=("anthropic:claude-test",),
    )
    llm.script(status(500), tool_call("add", {"a": 1, "b": 2}))
    assert _ask(resolve_model(None, config)) == {"name": "add", "arguments": {"a": 1, "b": 2}}
    assert [sent.body["model"] for sent in llm.requests] == ["gpt-test", "claude-test"]


@pytest.mark.parametrize("value", ["gpt-4o", "mistral:large", "openai:"])
def test_a_malformed_agentgen_model_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("AGENTGEN_MODEL", value)
    with pytest.raises(ModelNotConfigured) as raised:
        resolve_model(None, SPEC)
    assert str(raised.value) == (
        f'AGENTGEN_MODEL must be "provider:name" with provider openai or anthropic; got {value!r}'
    )


def test_a_missing_key_for_the_spec_variable_is_reported_when_resolving() -> None:
    config = ModelConfig(provider="openai", name="gpt-4o-mini", api_key_env="TEAM_OPENAI_KEY")
    with pytest.raises(ModelNotConfigured) as raised:
        resolve_model(None, config)
    assert str(raised.value) == (
        "no API key for openai:gpt-4o-mini: set the TEAM_OPENAI_KEY environment variable "
        "(or point the base URL at a local server)"
    )


def test_a_missing_key_for_a_fallback_is_reported_when_resolving(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    config = ModelConfig(provider="openai", name="gpt-4o", fallback=("anthropic:claude",))
    with pytest.raises(ModelNotConfigured) as raised:
        resolve_model(None, config)
    assert str(raised.value) == (
        "no API key for anthropic:claude: set the ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN "
        "environment variable (or point the base URL at a local server)"
    )


def test_the_calculator_runs_against_the_loopback_server(
    llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTGEN_BASE_URL", llm.openai_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    llm.script(
        tool_call("add", {"a": 2, "b": 3}),
        tool_call("divide", {"a": 5, "b": 2}),
        tool_call("done_for_now", {"message": "5 / 2 = 2.5"}),
    )
    store = MemoryStore()
    thread = asyncio.run(launch("what is (2 + 3) / 2?", model=None, store=store))
    assert thread.status == "awaiting_approval"
    assert thread.state.last_result == 5
    assert thread.state.pending is not None
    approval = Approval(call_id=thread.state.pending.call_id, approved=True)
    thread = asyncio.run(resume(thread.id, approval, store=store))
    assert thread.status == "done"
    assert llm.remaining == 0
    bodies = [sent.body for sent in llm.requests]
    assert [body["model"] for body in bodies] == ["gpt-4o-mini"] * 3
    offered = {tool["function"]["name"] for tool in bodies[0]["tools"]}
    assert {"add", "divide", "done_for_now", "request_more_information"} <= offered
    last_prompt = bodies[2]["messages"][-1]["content"]
    assert "2.5" in last_prompt  # the approved division ran and its result reached the model
