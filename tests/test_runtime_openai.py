"""OpenAIModel through the real `openai` SDK over real HTTP to a scripted server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from agentgen.runtime import (
    IntentSpec,
    ModelNotConfigured,
    ModelOutput,
    ModelRequest,
    ModelUnavailable,
    OpenAIModel,
    parse_step,
)
from tests.fake_llm import FakeLLM, delay, malformed, status, text, tool_call
from tests.model_steps import ADD_PARAMS, DONE_PARAMS, REQUEST, STEP, Add, Done

pytestmark = pytest.mark.usefixtures("clean_model_env")


def _model(llm: FakeLLM, **options: Any) -> OpenAIModel:
    return OpenAIModel("gpt-test", base_url=llm.openai_url, api_key="test-key", **options)


def _ask(model: OpenAIModel, request: ModelRequest = REQUEST) -> ModelOutput:
    return asyncio.run(model.next_step(request))


def test_a_tool_call_round_trips_into_a_step(llm: FakeLLM) -> None:
    llm.script(tool_call("add", {"a": 1, "b": 2}))
    output = _ask(_model(llm))
    assert output == {"name": "add", "arguments": '{"a": 1, "b": 2}'}
    assert parse_step(output, STEP) == Add(intent="add", a=1, b=2)


def test_the_request_offers_every_intent_as_a_required_tool_with_both_prompts(
    llm: FakeLLM,
) -> None:
    llm.script(tool_call("done", {"message": "3"}))
    _ask(_model(llm, temperature=0.25))
    [sent] = llm.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer test-key"
    assert sent.body == {
        "model": "gpt-test",
        "messages": [
            {"role": "system", "content": "You do arithmetic."},
            {"role": "user", "content": "What is 1 + 2?"},
        ],
        "temperature": 0.25,
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "add",
                    "description": "Add two numbers.",
                    "parameters": ADD_PARAMS,
                },
            },
            {
                "type": "function",
                "function": {
                    "name": "done",
                    "description": "Tell the user the work is done.",
                    "parameters": DONE_PARAMS,
                },
            },
        ],
        "tool_choice": "required",
        "parallel_tool_calls": False,
    }


def test_an_empty_system_prompt_sends_only_the_user_message(llm: FakeLLM) -> None:
    llm.script(tool_call("done", {"message": "3"}))
    _ask(_model(llm), ModelRequest(system="", prompt="Go.", intents=REQUEST.intents))
    assert llm.requests[0].body["messages"] == [{"role": "user", "content": "Go."}]


def test_a_request_without_a_thread_sends_no_cache_key(llm: FakeLLM) -> None:
    llm.script(tool_call("done", {"message": "3"}), tool_call("done", {"message": "3"}))
    _ask(_model(llm))
    _ask(_model(llm, mode="json_schema"), ModelRequest("", "Go.", REQUEST.intents, "thread_7"))
    assert "prompt_cache_key" not in llm.requests[0].body
    assert llm.requests[1].body["prompt_cache_key"] == "thread_7"


def test_sloppy_arguments_in_the_tool_call_are_repaired_by_the_parser(llm: FakeLLM) -> None:
    llm.script(tool_call("add", "{'a': 1, 'b': 2,}"))
    output = _ask(_model(llm))
    assert output == {"name": "add", "arguments": "{'a': 1, 'b': 2,}"}
    assert parse_step(output, STEP) == Add(intent="add", a=1, b=2)


def test_a_text_answer_comes_back_as_text_for_the_lenient_parser(llm: FakeLLM) -> None:
    answer = 'Sure!\n```json\n{"intent": "done", "message": "3"}\n```'
    llm.script(text(answer))
    output = _ask(_model(llm))
    assert output == answer
    assert parse_step(output, STEP) == Done(intent="done", message="3")


def test_json_schema_mode_asks_for_one_object_matching_any_intent(llm: FakeLLM) -> None:
    llm.script(text('{"intent": "add", "a": 4, "b": 5}'))
    output = _ask(_model(llm, mode="json_schema"))
    assert parse_step(output, STEP) == Add(intent="add", a=4, b=5)
    body = llm.requests[0].body
    assert "tools" not in body
    assert "tool_choice" not in body
    add, done = body["response_format"]["json_schema"]["schema"]["anyOf"]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "next_step"
    assert add == {
        "type": "object",
        "description": "Add two numbers.",
        "properties": {
            "intent": {"const": "add"},
            "a": {"type": "number"},
            "b": {"type": "number"},
        },
        "required": ["intent", "a", "b"],
        "additionalProperties": False,
    }
    assert done["properties"]["intent"] == {"const": "done"}
    assert done["required"] == ["intent", "message"]


def test_json_schema_mode_gathers_named_types_at_the_root(llm: FakeLLM) -> None:
    money = {"type": "object", "properties": {"amount": {"type": "number"}}}
    refund = IntentSpec(
        "refund",
        "Refund an order.",
        {
            "type": "object",
            "properties": {"amount": {"$ref": "#/$defs/Money"}},
            "required": ["amount"],
            "$defs": {"Money": money},
        },
    )
    llm.script(text('{"intent": "refund", "amount": {"amount": 1}}'))
    _ask(_model(llm, mode="json_schema"), ModelRequest("", "Refund.", (refund,)))
    schema = llm.requests[0].body["response_format"]["json_schema"]["schema"]
    assert schema["$defs"] == {"Money": money}
    assert "$defs" not in schema["anyOf"][0]
    assert schema["anyOf"][0]["properties"]["amount"] == {"$ref": "#/$defs/Money"}


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
    llm.script(status(500), status(500), tool_call("add", {"a": 1, "b": 2}))
    with pytest.raises(ModelUnavailable) as raised:
        _ask(_model(llm, max_retries=1))
    assert str(raised.value) == "openai:gpt-test: HTTP 500: scripted failure"
    assert (len(llm.requests), llm.remaining) == (2, 1)


def test_a_client_error_is_not_retried(llm: FakeLLM) -> None:
    llm.script(status(400, "bad tools"), tool_call("add", {"a": 1, "b": 2}))
    with pytest.raises(ModelUnavailable) as raised:
        _ask(_model(llm, max_retries=2))
    assert str(raised.value) == "openai:gpt-test: HTTP 400: bad tools"
    assert len(llm.requests) == 1


def test_a_timeout_raises_after_the_retries(llm: FakeLLM) -> None:
    llm.script(delay(3), delay(3))
    with pytest.raises(ModelUnavailable) as raised:
        _ask(_model(llm, timeout_s=0.1, max_retries=1))
    # the SDK's wording depends on which of its timeouts struck first (as in the Anthropic test)
    assert str(raised.value).startswith("openai:gpt-test: APITimeoutError: Request ")
    assert "timed out" in str(raised.value)
    assert len(llm.requests) == 2


def test_a_malformed_body_raises_model_unavailable(llm: FakeLLM) -> None:
    llm.script(malformed())
    with pytest.raises(ModelUnavailable) as raised:
        _ask(_model(llm))
    assert str(raised.value) == (
        "openai:gpt-test: the response is not JSON (Expecting value, char 0)"
    )


def test_an_unreachable_endpoint_raises_model_unavailable() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago and is closed now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    model = OpenAIModel("gpt-test", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    with pytest.raises(ModelUnavailable) as raised:
        _ask(model)
    assert str(raised.value) == "openai:gpt-test: APIConnectionError: Connection error"


def test_an_exhausted_script_fails_the_call_at_once(llm: FakeLLM) -> None:
    with pytest.raises(ModelUnavailable) as raised:
        _ask(_model(llm, max_retries=2))
    assert str(raised.value) == "openai:gpt-test: HTTP 418: fake_llm: no scripted reply left"
    assert len(llm.requests) == 1


def test_a_missing_key_names_the_variable_to_set() -> None:
    with pytest.raises(ModelNotConfigured) as raised:
        OpenAIModel("gpt-4o-mini")
    assert str(raised.value) == (
        "no API key for openai:gpt-4o-mini: set the OPENAI_API_KEY environment variable "
        "(or point the base URL at a local server)"
    )


def test_a_missing_key_names_the_spec_variable_when_there_is_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "set, but not the one the spec names")
    with pytest.raises(ModelNotConfigured) as raised:
        OpenAIModel("gpt-4o-mini", api_key_env="TEAM_LLM_KEY")
    assert "set the TEAM_LLM_KEY environment variable" in str(raised.value)


def test_a_loopback_server_needs_no_key(llm: FakeLLM) -> None:
    llm.script(tool_call("done", {"message": "ok"}))
    _ask(OpenAIModel("local", base_url=llm.openai_url))
    assert llm.requests[0].headers["authorization"] == "Bearer no-key-needed-on-loopback"


def test_the_key_comes_from_the_named_variable(
    llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAM_LLM_KEY", "team-secret")
    llm.script(tool_call("done", {"message": "ok"}))
    _ask(OpenAIModel("gpt-test", base_url=llm.openai_url, api_key_env="TEAM_LLM_KEY"))
    assert llm.requests[0].headers["authorization"] == "Bearer team-secret"


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError) as raised:
        OpenAIModel("gpt-test", api_key="k", mode="xml")  # type: ignore[arg-type]
    assert str(raised.value) == "mode must be one of: tools, json_schema; got 'xml'"
