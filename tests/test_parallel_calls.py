"""Several tool calls in one answer: the adapters ask for one; extras are never dropped silently."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from agentgen.runtime import AnthropicModel, OpenAIModel, StepError, parse_step
from tests.fake_llm import FakeLLM, Raw, Reply
from tests.model_steps import REQUEST, STEP

pytestmark = pytest.mark.usefixtures("clean_model_env")
TWO_CALLS = StepError(
    "2 tool calls in one answer (add, done); this agent takes one step at a time: "
    "choose the one to do first"
)


def _raw(body: dict[str, Any]) -> Reply:
    return Reply("raw", raw=Raw(200, json.dumps(body).encode()))


def _openai_two_calls() -> Reply:
    calls = [
        {"id": f"call_{n}", "type": "function", "function": {"name": name, "arguments": args}}
        for n, (name, args) in enumerate(
            [("add", '{"a": 1, "b": 2}'), ("done", '{"message": "3"}')]
        )
    ]
    message = {"role": "assistant", "content": None, "tool_calls": calls}
    choice = {"index": 0, "message": message, "finish_reason": "tool_calls"}
    return _raw(
        {"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": [choice]}
    )


def _anthropic_two_calls() -> Reply:
    content = [
        {"type": "tool_use", "id": "toolu_1", "name": "add", "input": {"a": 1, "b": 2}},
        {"type": "tool_use", "id": "toolu_2", "name": "done", "input": {"message": "3"}},
    ]
    body = {"id": "msg", "type": "message", "role": "assistant", "model": "m", "content": content}
    usage = {"input_tokens": 1, "output_tokens": 1}
    return _raw({**body, "stop_reason": "tool_use", "stop_sequence": None, "usage": usage})


def test_openai_asks_for_one_call_and_reports_two_as_an_error(llm: FakeLLM) -> None:
    llm.script(_openai_two_calls())
    model = OpenAIModel("gpt-test", base_url=llm.openai_url, api_key="test-key")
    output = asyncio.run(model.next_step(REQUEST))
    [sent] = llm.requests
    assert (sent.body["parallel_tool_calls"], sent.body["tool_choice"]) == (False, "required")
    assert parse_step(output, STEP) == TWO_CALLS


def test_anthropic_asks_for_one_call_and_reports_two_as_an_error(llm: FakeLLM) -> None:
    llm.script(_anthropic_two_calls())
    model = AnthropicModel("claude-test", base_url=llm.anthropic_url, api_key="test-key")
    output = asyncio.run(model.next_step(REQUEST))
    [sent] = llm.requests
    assert sent.body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert parse_step(output, STEP) == TWO_CALLS


def test_a_text_answer_with_several_calls_is_the_same_error() -> None:
    text = json.dumps({"tool_calls": [{"name": "add"}, {"name": "done"}]})
    assert parse_step(text, STEP) == TWO_CALLS
