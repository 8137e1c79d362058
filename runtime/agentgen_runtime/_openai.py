"""Any OpenAI-compatible chat-completions endpoint, through the official `openai` SDK."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from ._extras import missing_extra
from ._models import IntentSpec, ModelOutput, ModelRequest
from ._provider import PerLoop, resolve_key, unavailable
from ._tracing import model_call_span

if TYPE_CHECKING:
    from openai import AsyncOpenAI
    from openai.types.chat import (
        ChatCompletion,
        ChatCompletionFunctionToolParam,
        ChatCompletionMessageParam,
    )
    from openai.types.shared_params import ResponseFormatJSONSchema

Mode = Literal["tools", "json_schema"]
MODES: tuple[Mode, ...] = ("tools", "json_schema")


class OpenAIModel:
    """A chat-completions model; the SDK retries 429/5xx and times out per its settings.

    mode "tools" (the default) offers one function per intent and requires a call;
    mode "json_schema" asks for a JSON object matching any intent (structured output).
    """

    def __init__(
        self,
        name: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str | None = None,
        temperature: float = 0.0,
        timeout_s: float = 60.0,
        max_retries: int = 2,
        mode: Mode = "tools",
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of: {', '.join(MODES)}; got {mode!r}")
        try:
            import openai  # here, not at the top: the SDK takes most of a second to import
        except ModuleNotFoundError as error:
            raise missing_extra(error) from None

        self.name, self.mode, self.temperature = name, mode, temperature
        self.label = f"openai:{name}"
        key = resolve_key("openai", self.label, api_key, api_key_env, base_url)
        self.clients = PerLoop(
            lambda: openai.AsyncOpenAI(
                api_key=key, base_url=base_url, timeout=timeout_s, max_retries=max_retries
            )
        )

    @property
    def client(self) -> AsyncOpenAI:
        """The SDK client (of the event loop that used this model last)."""
        return self.clients.client

    async def next_step(self, request: ModelRequest) -> ModelOutput:
        """The tool call as `{"name", "arguments"}`, several as `{"tool_calls": [...]}`, or text."""
        try:
            import openai
        except ModuleNotFoundError as error:
            raise missing_extra(error) from None

        with model_call_span("openai", self.name, request, self.temperature) as call:
            try:
                completion = await self._create(request)
            except (openai.APIError, json.JSONDecodeError) as error:  # a bad body gets through
                raise unavailable(self.label, error) from error
            if not completion.choices:
                raise unavailable(self.label, ValueError("the response has no choices"))
            output = _output(completion)
            call.answered(output, **_usage(completion))
        return output

    async def _create(self, request: ModelRequest) -> ChatCompletion:
        client, messages = await self.clients.get(), _messages(request)
        extra = _cache_key(request)
        if self.mode == "tools":
            return await client.chat.completions.create(
                model=self.name,
                messages=messages,
                temperature=self.temperature,
                tools=[_tool(intent) for intent in request.intents],
                tool_choice="required",
                parallel_tool_calls=False,  # one step at a time: the loop records each call
                extra_body=extra,
            )
        return await client.chat.completions.create(
            model=self.name,
            messages=messages,
            temperature=self.temperature,
            response_format=_response_format(request.intents),
            extra_body=extra,
        )


def _output(completion: ChatCompletion) -> ModelOutput:
    """The tool call as `{"name", "arguments"}`, several as `{"tool_calls": [...]}`, or text."""
    message = completion.choices[0].message
    calls = [
        {"name": call.function.name, "arguments": call.function.arguments}
        for call in message.tool_calls or ()
        if call.type == "function"
    ]
    if len(calls) > 1:  # asked for one; never drop the others silently: parse_step says so
        return {"tool_calls": calls}
    return calls[0] if calls else message.content or ""


def _usage(completion: ChatCompletion) -> dict[str, Any]:
    """The tokens the response counts (prompt tokens include the cached ones)."""
    usage = completion.usage
    details = usage.prompt_tokens_details if usage is not None else None
    return {
        "input_tokens": usage.prompt_tokens if usage is not None else None,
        "output_tokens": usage.completion_tokens if usage is not None else None,
        "cached_tokens": details.cached_tokens if details is not None else None,
        "finish_reason": completion.choices[0].finish_reason,
    }


def _cache_key(request: ModelRequest) -> dict[str, str] | None:
    """`prompt_cache_key`: OpenAI routes requests with one key to the same prompt cache, and a
    thread's steps share their prefix. In the body, not as an argument: SDKs before 1.99 lack it."""
    return {"prompt_cache_key": request.thread_id} if request.thread_id else None


def _messages(request: ModelRequest) -> list[ChatCompletionMessageParam]:
    messages: list[ChatCompletionMessageParam] = []
    if request.system:
        messages.append({"role": "system", "content": request.system})
    messages.append({"role": "user", "content": request.prompt})
    return messages


def _tool(intent: IntentSpec) -> ChatCompletionFunctionToolParam:
    return {
        "type": "function",
        "function": {
            "name": intent.name,
            "description": intent.description,
            "parameters": intent.parameters,
        },
    }


def _response_format(intents: tuple[IntentSpec, ...]) -> ResponseFormatJSONSchema:
    """A JSON Schema accepting any one intent: its args plus `"intent": <its name>`."""
    definitions: dict[str, Any] = {}
    for intent in intents:
        definitions.update(intent.parameters.get("$defs", {}))  # spec types: same name, same type
    schema: dict[str, Any] = {"anyOf": [_step_schema(intent) for intent in intents]}
    if definitions:
        schema["$defs"] = definitions
    return {"type": "json_schema", "json_schema": {"name": "next_step", "schema": schema}}


def _step_schema(intent: IntentSpec) -> dict[str, Any]:
    parameters = {key: value for key, value in intent.parameters.items() if key != "$defs"}
    properties = {"intent": {"const": intent.name}, **parameters.get("properties", {})}
    return {
        **parameters,
        "description": intent.description,
        "properties": properties,
        "required": ["intent", *parameters.get("required", [])],
    }
