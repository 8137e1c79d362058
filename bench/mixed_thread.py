"""A mixed thread: tool calls, approvals, a denial, errors and a human answer, on the calculator.

The committed generated/calculator runs a fixed script of 47 model outputs (seeded), paused and
resumed as a person would: `divide` waits for approval (approved, or denied with a comment; a
division by zero approved fails in its handler), `request_more_information` for an answer, and
two outputs are invalid. Each request the model received is kept. The chat side is the same
thread as OpenAI chat messages, built as the peers' documented defaults send it:

- a call is an assistant message with one tool call (name and JSON arguments, as the model
  wrote them), its result a tool message (`str()` of the value, as the OpenAI Agents SDK does);
- an invalid output is the model's call and a tool message holding the same error text (as
  pydantic-ai's retry prompt does); a handler's failure is a tool message with the error;
- a denial is a tool message with the person's comment (the call never ran); an approval adds
  nothing (the result follows); a question is the assistant's text, the answer a user message.

Both sides are counted by what the model reads (bench/context_cost.py): the tool schemas are
left out on both, and call ids too, which OpenAI does not show its models.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from typing import Any

from agentgen.runtime import MemoryStore, ModelRequest, ScriptedModel

from . import context_cost
from .stats import Row, quotient, target

STEPS = 47
BENCHMARK_TOKENS = "mixed thread (47 model outputs): tokens per step (what the model reads)"
BENCHMARK_SHARE = "mixed thread: share of each prompt sent in the one before"
OURS, CHAT = "agentgen", "chat messages + tools (peers)"
TOKEN_TARGET, SHARE_TARGET = 0.8, 95.0
QUESTION = {"intent": "request_more_information", "message": "Which numbers should I add next?"}
ANSWER = "add 12 and 30, then stop"
DENIAL = "not that one: divide by 4 instead"


def script(seed: int = 7) -> list[dict[str, Any]]:
    """47 model outputs: mostly arithmetic, with approvals, a denial, errors and a question."""
    rng = random.Random(seed)
    outputs: list[dict[str, Any]] = []
    for index in range(STEPS - 1):
        if index == 20:
            outputs.append(QUESTION)
        elif index in (8, 30):
            outputs.append({"intent": "add", "a": "twelve", "b": 1})  # invalid: an error event
        elif index % 9 == 4:
            divisor = 0 if index == 13 else rng.randint(2, 9)  # 13: approved, fails in the handler
            outputs.append({"intent": "divide", "a": rng.randint(10, 99), "b": divisor})
        else:
            intent = rng.choice(["add", "subtract", "multiply"])
            outputs.append({"intent": intent, "a": rng.randint(1, 999), "b": rng.randint(1, 99)})
    outputs.append({"intent": "done_for_now", "message": "The last result is 42."})
    return outputs


async def run(outputs: list[dict[str, Any]]) -> tuple[list[ModelRequest], list[Any]]:
    """Drive the calculator through the script: every request the model got, and the events."""
    from generated.calculator import Approval, HumanResponse, launch, resume

    model, store = ScriptedModel(outputs), MemoryStore()
    thread = await launch("Work through my list of sums.", model=model, store=store)
    denied = False
    while thread.status != "done":
        pending = thread.pending
        assert pending is not None, f"the script left the thread {thread.status}"
        if pending.intent == "request_more_information":
            response: Any = HumanResponse(call_id=pending.call_id, text=ANSWER)
        elif not denied:  # the first approval asked for is denied, with a reason
            denied = True
            response = Approval(call_id=pending.call_id, approved=False, comment=DENIAL)
        else:
            response = Approval(call_id=pending.call_id, approved=True)
        thread = await resume(thread.id, response, model=model, store=store)
    return model.requests, thread.events


def chat_messages(
    system: str, events: list[Any], outputs: list[dict[str, Any]]
) -> list[list[dict[str, Any]]]:
    """The chat messages each step's request holds, as the peers would send this thread."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    requests: list[list[dict[str, Any]]] = []
    answers = iter(outputs)
    for event in events:
        kind = event.type
        if kind == "user_message" or kind == "human_response":
            messages.append({"role": "user", "content": event.text})
        elif kind == "tool_call" or (kind == "error" and event.source == "model"):
            requests.append(list(messages))  # the model was asked here
            messages += _answer(next(answers), event)
        elif kind == "tool_result":
            messages.append(_tool_message(str(event.result)))
        elif kind == "error":
            messages.append(_tool_message(event.message))
        elif kind == "approval" and not event.approved:
            messages.append(_tool_message(f"The person denied this call: {event.comment}"))
    return requests


def _answer(output: dict[str, Any], event: Any) -> list[dict[str, Any]]:
    """The model's output as chat messages: text for a question or the final answer, else a call."""
    intent = output["intent"]
    if intent in ("request_more_information", "done_for_now"):
        return [{"role": "assistant", "content": output["message"]}]
    arguments = json.dumps({key: value for key, value in output.items() if key != "intent"})
    call = {"type": "function", "function": {"name": intent, "arguments": arguments}}
    messages: list[dict[str, Any]] = [{"role": "assistant", "content": None, "tool_calls": [call]}]
    if event.type == "error":  # the framework answers an invalid call with its error
        messages.append(_tool_message(event.message))
    return messages


def _tool_message(content: str) -> dict[str, Any]:
    return {"role": "tool", "content": content}


def rows(count: Callable[[str], int] | str) -> list[Row]:
    """Tokens per step on both sides, and how much of each of our prompts the previous one sent."""
    outputs = script()
    requests, events = asyncio.run(run(outputs))
    chats = chat_messages(requests[0].system, events, outputs)
    assert len(chats) == len(requests) == len(outputs), (len(chats), len(requests))
    size, steps = f"{len(requests)} requests", len(requests) - 1
    shares = context_cost.stability(context_cost.our_prompts(requests))
    share = Row(BENCHMARK_SHARE, OURS, size, shares.cached * 100, "%", "mean over steps")
    if isinstance(count, str):
        return [Row(BENCHMARK_TOKENS, who, size, None, "tokens", count) for who in (OURS, CHAT)] + [
            share
        ]
    ours = [context_cost.our_read_tokens(request, count) for request in (requests[0], requests[-1])]
    chat = [context_cost.chat_read_tokens(messages, count) for messages in (chats[0], chats[-1])]
    note = f"first request to last, over {steps} steps"
    return [
        Row(BENCHMARK_TOKENS, OURS, size, (ours[1] - ours[0]) / steps, "tokens", note),
        Row(BENCHMARK_TOKENS, CHAT, size, (chat[1] - chat[0]) / steps, "tokens", note),
        share,
    ]


def targets(found: list[Row]) -> list[str]:
    """Issue 15's targets on the mixed thread."""
    tokens = {row.system: row.value for row in found if row.benchmark == BENCHMARK_TOKENS}
    share = next((row.value for row in found if row.benchmark == BENCHMARK_SHARE), None)
    ratio = quotient(tokens.get(OURS), tokens.get(CHAT))
    label = f"mixed thread: tokens per step at most {TOKEN_TARGET}x the chat transcript"
    shared = f"mixed thread: at least {SHARE_TARGET:.0f}% of each prompt sent in the one before"
    return [
        target(label, ratio, "x", ratio is not None and ratio <= TOKEN_TARGET),
        target(shared, share, "%", share is not None and share >= SHARE_TARGET),
    ]
