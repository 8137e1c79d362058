"""ScriptedModel replays its steps in order and records what it was asked; resolve_model."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from agentgen.runtime import (
    IntentSpec,
    ModelConfig,
    ModelNotConfigured,
    ModelRequest,
    ScriptedModel,
    ScriptExhausted,
    resolve_model,
)

ADD = IntentSpec(name="add", description="Add two numbers.", parameters={"type": "object"})


def _request(prompt: str) -> ModelRequest:
    return ModelRequest(system="You add numbers.", prompt=prompt, intents=(ADD,))


def test_steps_come_back_in_order() -> None:
    model = ScriptedModel([{"intent": "add", "a": 1, "b": 2}, "not json", {"intent": "done"}])
    assert model.remaining == 3
    assert asyncio.run(model.next_step(_request("1"))) == {"intent": "add", "a": 1, "b": 2}
    assert asyncio.run(model.next_step(_request("2"))) == "not json"
    assert model.remaining == 1
    assert asyncio.run(model.next_step(_request("3"))) == {"intent": "done"}
    assert model.remaining == 0


def test_steps_are_copies() -> None:
    step = {"intent": "tag", "tags": ["a"]}
    model = ScriptedModel(step for step in [step])
    answer = asyncio.run(model.next_step(_request("1")))
    assert answer == step
    assert isinstance(answer, dict)
    answer["tags"].append("changed")
    assert step == {"intent": "tag", "tags": ["a"]}


def test_every_request_is_recorded_in_order() -> None:
    model = ScriptedModel([{"intent": "done"}])
    first, second = _request("first"), _request("second")
    asyncio.run(model.next_step(first))
    with pytest.raises(ScriptExhausted):
        asyncio.run(model.next_step(second))
    assert model.requests == [first, second]


def test_record_false_keeps_no_requests_but_still_replays() -> None:
    model = ScriptedModel([{"intent": "done"}, "text"], record=False)
    assert asyncio.run(model.next_step(_request("first"))) == {"intent": "done"}
    assert asyncio.run(model.next_step(_request("second"))) == "text"
    assert model.requests == []
    assert model.remaining == 0


@pytest.mark.parametrize("given", [0, 2])
def test_running_out_of_steps_says_how_many_there_were(given: int) -> None:
    model = ScriptedModel([{"intent": "done"}] * given)
    for _ in range(given):
        asyncio.run(model.next_step(_request("ok")))
    with pytest.raises(ScriptExhausted) as raised:
        asyncio.run(model.next_step(_request("one too many")))
    assert str(raised.value) == f"ScriptedModel has no steps left (it was given {given})"


def test_steps_must_be_dicts_or_strings() -> None:
    with pytest.raises(TypeError) as raised:
        ScriptedModel([{"intent": "done"}, 42])  # type: ignore[list-item]
    assert str(raised.value) == "ScriptedModel steps are dicts or strings; step 1 is int"


def test_resolve_model_returns_the_given_model() -> None:
    model = ScriptedModel([])
    assert resolve_model(model, ModelConfig(provider="openai", name="gpt-4o")) is model


def test_resolve_model_without_a_key_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AGENTGEN_MODEL", raising=False)
    monkeypatch.delenv("AGENTGEN_BASE_URL", raising=False)
    with pytest.raises(ModelNotConfigured) as raised:
        resolve_model(None, ModelConfig(provider="anthropic", name="claude"))
    assert str(raised.value) == (
        "no API key for anthropic:claude: set the ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN "
        "environment variable (or point the base URL at a local server)"
    )


def test_model_config_defaults_and_immutability() -> None:
    config = ModelConfig(provider="openai", name="gpt-4o")
    assert (config.base_url, config.api_key_env, config.temperature) == (None, None, 0.0)
    assert (config.timeout_s, config.max_retries, config.fallback) == (60.0, 2, ())
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.name = "other"  # type: ignore[misc]
