"""Anthropic's messages API, through the official `anthropic` SDK, with tool use."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ._extras import missing_extra
from ._models import IntentSpec, ModelOutput, ModelRequest
from ._provider import PerLoop, resolve_key, unavailable
from ._tracing import model_call_span

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic
    from anthropic.types import Message, TextBlockParam, ToolParam

DEFAULT_MAX_TOKENS = 1024
"""Room for one tool call with its arguments; a step is never a long text."""


class AnthropicModel:
    """A Claude model offered one tool per intent and required to call one of them.

    The SDK retries 429/5xx and times out per its settings. There is no temperature: the
    messages API version the SDK speaks (2026-10-21) refuses sampling parameters.
    """

    def __init__(
        self,
        name: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 2,
        max_tokens: int = DEFAULT_MAX_TOKENS,
    ) -> None:
        try:
            import anthropic  # here, not at the top: the SDK takes over a second to import
        except ModuleNotFoundError as error:
            raise missing_extra(error) from None

        self.name, self.max_tokens = name, max_tokens
        self.label = f"anthropic:{name}"
        key = resolve_key("anthropic", self.label, api_key, api_key_env, base_url)
        self.clients = PerLoop(
            lambda: anthropic.AsyncAnthropic(
                api_key=key, base_url=base_url, timeout=timeout_s, max_retries=max_retries
            )
        )

    @property
    def client(self) -> AsyncAnthropic:
        """The SDK client (of the event loop that used this model last)."""
        return self.clients.client

    async def next_step(self, request: ModelRequest) -> ModelOutput:
        """The tool_use as `{"name", "arguments"}`, several as `{"tool_calls": [...]}`, or text."""
        try:
            import anthropic
        except ModuleNotFoundError as error:
            raise missing_extra(error) from None

        with model_call_span("anthropic", self.name, request, None) as call:
            try:
                message = await self._create(request)
            except (anthropic.APIError, json.JSONDecodeError) as error:  # a bad body gets through
                raise unavailable(self.label, error) from error
            output = _output(message)
            call.answered(output, **_usage(message))
        return output

    async def _create(self, request: ModelRequest) -> Message:
        try:
            from anthropic import omit
        except ModuleNotFoundError as error:
            raise missing_extra(error) from None

        client = await self.clients.get()
        return await client.messages.create(
            model=self.name,
            max_tokens=self.max_tokens,
            system=_system(request.system) or omit,
            messages=[{"role": "user", "content": _prompt(request)}],
            tools=[_tool(intent) for intent in request.intents],
            tool_choice={"type": "any", "disable_parallel_tool_use": True},
        )


def _output(message: Message) -> ModelOutput:
    calls = [
        {"name": block.name, "arguments": dict(block.input)}
        for block in message.content
        if block.type == "tool_use"
    ]
    if len(calls) > 1:  # asked for one; never drop the others silently: parse_step says so
        return {"tool_calls": calls}
    if calls:
        return calls[0]
    return "".join(block.text for block in message.content if block.type == "text")


def _usage(message: Message) -> dict[str, Any]:
    """The tokens the response counts; its input_tokens leave out what was read from or written
    to the cache, which OpenTelemetry's conventions count as input too."""
    usage = message.usage
    cached = usage.cache_read_input_tokens or 0
    written = usage.cache_creation_input_tokens or 0
    return {
        "input_tokens": usage.input_tokens + cached + written,
        "output_tokens": usage.output_tokens,
        "cached_tokens": usage.cache_read_input_tokens,
        "finish_reason": message.stop_reason,
    }


def _tool(intent: IntentSpec) -> ToolParam:
    return {
        "name": intent.name,
        "description": intent.description,
        "input_schema": intent.parameters,
    }


def _prompt(request: ModelRequest) -> str | list[TextBlockParam]:
    """The prompt, its stable prefix a block of its own marked as a cache breakpoint."""
    # The thread grows at the end: the next steps' requests find this block cached.
    cut, prompt = request.stable_prefix, request.prompt
    if not 0 < cut <= len(prompt):
        return prompt
    stable: TextBlockParam = {
        "type": "text",
        "text": prompt[:cut],
        "cache_control": {"type": "ephemeral"},
    }
    return [stable, {"type": "text", "text": prompt[cut:]}] if cut < len(prompt) else [stable]


def _system(text: str) -> list[TextBlockParam]:
    """The system prompt as a cache breakpoint: the tools and it, the same on every step of a
    thread, are cached (prompts under the model's minimum, about 1,024 tokens, are not)."""
    if not text:
        return []
    return [{"type": "text", "text": text, "cache_control": {"type": "ephemeral"}}]
