"""AnthropicModel through the real `anthropic` SDK over real HTTP to a scripted server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agentgen.runtime import (
    AnthropicModel,
    ModelNotConfigured,
    ModelOutput,
    ModelRequest,
    ModelUnavailable,
    parse_step,
)
from tests.fake_llm import FakeLLM, delay, malformed, status, text, tool_call
from tests.model_steps import ADD_PARAMS, DONE_PARAMS, REQUEST, STEP, Add, Done

pytestmark = pytest.mark.usefixtures("clean_model_env")


def _model(llm: FakeLLM, **options: Any) -> AnthropicModel:
    return AnthropicModel("claude-test", base_url=llm.anthropic_url, api_key="test-key", **options)


def _ask(model: AnthropicModel, request: ModelRequest = REQUEST) -> ModelOutput:
    return asyncio.run(model.next_step(request))


def test_a_tool_use_block_round_trips_into_a_step(llm: FakeLLM) -> None:
    llm.script(tool_call("add", {"a": 1, "b": 2}))
    output = _ask(_model(llm))
    assert output == {"name": "add", "arguments": {"a": 1, "b": 2}}
    assert parse_step(output, STEP) == Add(intent="add", a=1, b=2)


def test_the_request_offers_every_intent_as_a_tool_and_requires_one(llm: FakeLLM) -> None:
    llm.script(tool_call("done", {"message": "3"}))
    _ask(_model(llm))
    [sent] = llm.requests
    assert sent.path == "/v1/messages"
    assert sent.body == {
        "model": "claude-test",
        "max_tokens": 1024,
        "system": [
            {"type": "text", "text": "You do arithmetic.", "cache_control": {"type": "ephemeral"}}
        ],
        "messages": [{"role": "user", "content": "What is 1 + 2?"}],
        "tools": [
            {"name": "add", "description": "Add two numbers.", "input_schema": ADD_PARAMS},
            {
                "name": "done",
                "description": "Tell the user the work is done.",
                "input_schema": DONE_PARAMS,
            },
        ],
        "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
    }


def test_the_key_is_sent_and_max_tokens_is_adjustable(llm: FakeLLM) -> None:
    llm.script(tool_call("done", {"message": "3"}))
    _ask(_model(llm, max_tokens=256))
    sent = llm.requests[0]
    # SDK 2.x sends the key as a bearer token, no longer as x-api-key
    assert sent.headers["authorization"] == "Bearer test-key"
    assert sent.body["max_tokens"] == 256


def test_an_empty_system_prompt_is_left_out(llm: FakeLLM) -> None:
    llm.script(tool_call("done", {"message": "3"}))
    _ask(_model(llm), ModelRequest(system="", prompt="Go.", intents=REQUEST.intents))
    assert "system" not in llm.requests[0].body


def test_a_text_answer_comes_back_as_text_for_the_lenient_parser(llm: FakeLLM) -> None:
    answer = 'I will finish: {"intent": "done", "message": "3"} as asked.'
    llm.script(text(answer))
    output = _ask(_model(llm))
    assert output == answer
    assert parse_step(output, STEP) == Done(intent="done", message="3")


def test_one_model_serves_one_event_loop_after_another(llm: FakeLLM) -> None:
    model = _model(llm)  # e.g. asyncio.run(launch(...)) then asyncio.run(resume(...))
    for _ in range(2):
        llm.script(tool_call("add", {"a": 1, "b": 2}))
        assert parse_step(_ask(model), STEP) == Add(intent="add", a=1, b=2)
    assert len(llm.requests) == 2


@pytest.mark.parametrize("code", [429, 500])
def test_a_rate_limit_or_server_error_is_retried_then_succeeds(llm: FakeLLM, code: int) -> None:
    llm.script(status(code), tool_call("add", {"a": 1, "b": 2}))
    output = _ask(_model(llm, max_retries=1))
    assert parse_step(output, STEP) == Add(intent="add", a=1, b=2)
    assert len(llm.requests) == 2


def test_errors_beyond_the_retries_raise_model_unavailable(llm: FakeLLM) -> None:
    llm.script(status(429, "slow down"), status(429, "slow down"))
    with pytest.raises(ModelUnavailable) as raised:
        _ask(_model(llm, max_retries=1))
    assert str(raised.value) == "anthropic:claude-test: HTTP 429: slow down"
    assert len(llm.requests) == 2


def test_a_timeout_raises_after_the_retries(llm: FakeLLM) -> None:
    llm.script(delay(3), delay(3))
    with pytest.raises(ModelUnavailable) as raised:
        _ask(_model(llm, timeout_s=0.1, max_retries=1))
    # the SDK words it as the timeout struck: "Request timed out or interrupted", or "Request
    # to 127.0.0.1:PORT timed out after 0.1s" when the read timed out
    assert str(raised.value).startswith("anthropic:claude-test: APITimeoutError: Request ")
    assert "timed out" in str(raised.value)
    assert len(llm.requests) == 2


def test_a_malformed_body_raises_model_unavailable(llm: FakeLLM) -> None:
    llm.script(malformed(b'{"id": "msg_1", "content": ['))
    with pytest.raises(ModelUnavailable) as raised:
        _ask(_model(llm))
    assert str(raised.value) == (
        "anthropic:claude-test: the response is not JSON (Expecting value, char 28)"
    )


def test_a_missing_key_names_the_variables_to_set() -> None:
    with pytest.raises(ModelNotConfigured) as raised:
        AnthropicModel("claude-sonnet-4-5")
    assert str(raised.value) == (
        "no API key for anthropic:claude-sonnet-4-5: set the ANTHROPIC_API_KEY or "
        "ANTHROPIC_AUTH_TOKEN environment variable (or point the base URL at a local server)"
    )


def test_the_sdk_reads_its_own_key_variable(llm: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "from-the-environment")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", llm.anthropic_url)
    llm.script(tool_call("done", {"message": "ok"}))
    _ask(AnthropicModel("claude-test"))
    assert llm.requests[0].headers["authorization"] == "Bearer from-the-environment"


@pytest.mark.parametrize(
    ("stable_prefix", "content"),
    [
        (0, "thread so far; next?"),
        (
            14,
            [
                {"type": "text", "text": "thread so far;", "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": " next?"},
            ],
        ),
        (
            20,
            [
                {
                    "type": "text",
                    "text": "thread so far; next?",
                    "cache_control": {"type": "ephemeral"},
                }
            ],
        ),
        (21, "thread so far; next?"),  # past the end: not a prefix of this prompt
    ],
)
def test_the_stable_prefix_of_the_prompt_is_a_cache_breakpoint(
    llm: FakeLLM, stable_prefix: int, content: Any
) -> None:
    llm.script(tool_call("done", {"message": "3"}))
    request = ModelRequest(
        REQUEST.system, "thread so far; next?", REQUEST.intents, stable_prefix=stable_prefix
    )
    _ask(_model(llm), request)
    [sent] = llm.requests
    assert sent.body["messages"] == [{"role": "user", "content": content}]
