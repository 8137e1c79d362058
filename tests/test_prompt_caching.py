"""What the generated loop tells the model adapters about the prompt's cacheable prefix."""

from __future__ import annotations

import asyncio
import itertools
from types import SimpleNamespace

from agentgen.runtime import MemoryStore, ModelRequest, ScriptedModel
from generated.calculator.agent import launch
from generated.calculator.context import STABLE_EVERY

ADDS = 15  # within the calculator's max_turns


def _requests() -> list[ModelRequest]:
    steps = [{"intent": "add", "a": n, "b": 1} for n in range(ADDS)]
    model = ScriptedModel([*steps, {"intent": "done_for_now", "message": "done"}])
    handlers = SimpleNamespace(add=lambda call: call.a + call.b)
    thread = asyncio.run(launch("count", model=model, store=MemoryStore(), handlers=handlers))
    assert thread.status == "done"
    return list(model.requests)


def test_each_request_marks_a_prefix_that_the_next_one_repeats() -> None:
    requests = _requests()
    for before, after in itertools.pairwise(requests):
        assert 0 < before.stable_prefix <= len(before.prompt)
        stable = before.prompt[: before.stable_prefix]
        assert after.prompt.startswith(stable)


def test_the_prefix_moves_only_at_every_16th_block_of_the_thread() -> None:
    requests = _requests()
    prefixes = [request.stable_prefix for request in requests]
    # the thread: the message, then a call and a result per step; request k sees 1 + 2k blocks
    moves = [k for k in range(1, len(prefixes)) if prefixes[k] != prefixes[k - 1]]
    assert STABLE_EVERY == 16
    assert moves == [8]  # request 8 is the first whose thread holds 16 blocks (it holds 17)
    head = requests[0].prompt.index("<user_message>")
    assert prefixes[0] == head  # before 16 blocks: only the template's text before the thread
    moved = requests[moves[0]]
    cut = moved.prompt[moved.stable_prefix :]
    assert cut.startswith(("<result>", "\n\n<add ")), cut[:30]
