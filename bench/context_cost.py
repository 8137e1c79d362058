"""Context cost: tokens of what each side sends, and how much of each prompt extends the last."""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from agentgen.runtime import ModelRequest
from agentgen_runtime._openai import _messages, _tool

USER = "add 1, n times"  # the user's message in ours.run_chain, sent by the peers too


# OpenAI's chat format wraps each message in about 3 tokens (role and separators) and primes the
# reply with 3 more: the cookbook "How to count tokens with tiktoken" counts exactly that. The
# tool definitions are left out on both sides: each sends its tools' schemas, which a provider
# renders in its own way, the same on every step.
PER_MESSAGE, REPLY_PRIMING = 3, 3


def our_body(request: ModelRequest) -> str:
    """The chat-completions body our OpenAI adapter sends for `request` (messages and tools)."""
    tools = [_tool(intent) for intent in request.intents]
    return json.dumps({"messages": _messages(request), "tools": tools})


def our_prompts(requests: Iterable[ModelRequest]) -> Iterator[str]:
    """Each step's request as the provider lays it out: the intents' schemas (the tools), then
    the system prompt and the prompt (as chat_prompts lays out the peers' requests)."""
    for request in requests:
        tools = json.dumps([_tool(intent) for intent in request.intents])
        yield f"{tools}{request.system}\n\n{request.prompt}"


def our_read_tokens(request: ModelRequest, count: Callable[[str], int]) -> int:
    """The tokens the model reads of our request: the system and user messages' text."""
    return count(request.system) + count(request.prompt) + 2 * PER_MESSAGE + REPLY_PRIMING


def chat_read_tokens(messages: list[dict[str, Any]], count: Callable[[str], int]) -> int:
    """The tokens the model reads of chat messages: each content, each call's name and
    arguments, and the per-message overhead; call ids are not shown to OpenAI's models."""
    total = REPLY_PRIMING
    for message in messages:
        total += PER_MESSAGE + count(message.get("content") or "")
        for call in message.get("tool_calls", ()):
            total += count(call["function"]["name"]) + count(call["function"]["arguments"])
    return total


def call_ids(n: int) -> list[str]:
    """Tool call ids shaped like OpenAI's ("call_" and 24 random letters and digits), fixed seed."""
    chars, rng = string.ascii_letters + string.digits, random.Random(0)
    return ["call_" + "".join(rng.choices(chars, k=24)) for _ in range(n)]


def chat_messages(n: int, system: str) -> list[dict[str, Any]]:
    """The chat messages a peer sends after `n` add calls: system, user, then call/result pairs."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system},
        {"role": "user", "content": USER},
    ]
    for i, call_id in enumerate(call_ids(n)):
        function = {"name": "add", "arguments": json.dumps({"a": i, "b": 1})}
        call = {"id": call_id, "type": "function", "function": function}
        messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        messages.append({"role": "tool", "tool_call_id": call_id, "content": str(float(i + 1))})
    return messages


def chat_tools(request: ModelRequest) -> list[dict[str, Any]]:
    """The peers' tool definitions: the same add tool as ours; their final answer is plain text."""
    return [dict(_tool(intent)) for intent in request.intents if intent.name == "add"]


def chat_prompts(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Iterator[str]:
    """Each step's request as the provider lays it out: tools, then every message so far."""
    text = json.dumps(tools) + "".join(json.dumps(message) for message in messages[:2])
    yield text
    for index in range(2, len(messages), 2):
        text += json.dumps(messages[index]) + json.dumps(messages[index + 1])
        yield text


def common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix of `a` and `b` (binary search on startswith)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if b.startswith(a[:middle]):
            low = middle
        else:
            high = middle - 1
    return low


@dataclass(frozen=True)
class Stability:
    """How prompts grow: the share that extend the previous one exactly, and the shared share."""

    exact: float
    cached: float


def stability(prompts: Iterable[str]) -> Stability:
    """Over consecutive prompts: exact extensions, and the mean share already sent before."""
    exact, cached, steps, previous = 0, 0.0, 0, None
    for prompt in prompts:
        if previous is not None:
            steps += 1
            exact += prompt.startswith(previous)
            cached += common_prefix(previous, prompt) / len(prompt)
        previous = prompt
    return Stability(exact / steps, cached / steps) if steps else Stability(0.0, 0.0)
