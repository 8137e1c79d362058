"""A [context] budget on a 20,000-event thread: its largest request, counted with o200k_base.

A research agent with DESIGN.md's budget (max_tokens 8000, truncate_results 2000, keep_last
40, summarize) reads 10,000 pages of about 3,000 characters each, then reports: 20,000 call
and result events, and the summary events its compactions add. The scripted model writes a
summary of 600 characters whenever asked. Measured: the largest request the model reads
(system prompt, prompt and tool schemas), how much of each prompt the one before it sent
between compactions, how many summaries it took, and the whole thread's size had the model
read all of it.
"""

from __future__ import annotations

import asyncio
import importlib
import itertools
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from agentgen.runtime import MemoryStore, ModelRequest

from .ours import agentgen
from .stats import Row, target

AGENT = "bench_research"
SPEC = f'''[agent]
name = "{AGENT}"
description = "Reads pages on a topic and reports what they say, for benchmarks."
max_turns = 1000000

[context]
max_tokens = 8000
truncate_results = 2000
keep_last = 40
summarize = true

[tools.read_page]
description = "The text of a page."
params.url = {{ type = "string" }}
returns = {{ type = "string" }}

[done]
name = "report"
description = "What the pages say."
params.text = {{ type = "string" }}
'''
PAGES = 10_000
LARGEST = "budget: largest request of a 20,000-event thread"
WHOLE = "budget: the same thread read whole (no [context])"
EXTENDED = "budget: steps extending the last prompt, between compactions"
SUMMARIES = "budget: summary calls per 1,000 steps"
ESTIMATE = "budget: count_tokens estimate of the largest request"
WORDS = [
    "tide",
    "moon",
    "ocean",
    "gravity",
    "basin",
    "shore",
    "current",
    "swell",
    "wave",
    "bay",
    "harbour",
    "flood",
    "ebb",
]


class Researcher:
    """Reads PAGES pages, then reports; each summary it writes is 600 characters."""

    def __init__(self) -> None:
        self.steps: list[ModelRequest] = []
        self.summaries = 0

    async def next_step(self, request: ModelRequest) -> dict[str, Any]:
        if request.intents[0].name == "thread_summary":
            self.summaries += 1
            text = f"Summary {self.summaries}: " + " ".join(
                random.Random(self.summaries).choices(WORDS, k=90)
            )
            return {"intent": "thread_summary", "summary": text[:600]}
        self.steps.append(request)
        if len(self.steps) > PAGES:
            return {"intent": "report", "text": "tides follow the moon"}
        return {"intent": "read_page", "url": f"https://example.com/tides/{len(self.steps)}"}


class Pages:
    """The handler: about 3,000 characters of words, different for each page."""

    def read_page(self, call: Any) -> str:
        return " ".join(random.Random(call.url).choices(WORDS, k=500))


def generate(workdir: Path) -> ModuleType:
    spec = workdir / "budget_specs" / f"{AGENT}.toml"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(SPEC)
    agentgen("generate", spec, "--out", workdir / "budget_pkgs", cwd=workdir)
    sys.path.insert(0, str(workdir / "budget_pkgs"))
    return importlib.import_module(AGENT)


def read_tokens(request: ModelRequest, count: Callable[[str], int]) -> int:
    """What the model reads of a request: system prompt, prompt and the tools' schemas."""
    tools = json.dumps([[i.name, i.description, i.parameters] for i in request.intents])
    return count(request.system) + count(request.prompt) + count(tools)


def rows(count: Callable[[str], int] | str, workdir: Path) -> list[Row]:
    agent = generate(workdir)
    context = importlib.import_module(f"{AGENT}.context")
    model = Researcher()
    thread = asyncio.run(
        agent.launch("what causes tides?", model=model, store=MemoryStore(), handlers=Pages())
    )
    size, steps = f"{len(thread.events)} events", len(model.steps)
    extended, between = _extensions(model.steps)
    note = f"{between} pairs with no compaction between"
    found = [
        Row(EXTENDED, "agentgen", size, extended * 100 / between, "%", note),
        Row(
            SUMMARIES,
            "agentgen",
            size,
            model.summaries * 1000 / steps,
            "calls",
            f"{model.summaries} in {steps} steps",
        ),
    ]
    if isinstance(count, str):
        return [Row(LARGEST, "agentgen", size, None, "tokens", count), *found]
    largest = max(model.steps, key=lambda r: len(r.prompt))
    limit = f"max_tokens {context.MAX_TOKENS}, o200k_base"
    whole = context.render_thread(e for e in thread.events if e.type != "summary")
    return [
        Row(
            LARGEST,
            "agentgen",
            size,
            max(read_tokens(r, count) for r in model.steps),
            "tokens",
            limit,
        ),
        Row(
            ESTIMATE,
            "agentgen",
            size,
            context.request_tokens(largest),
            "tokens",
            "3 characters a token",
        ),
        Row(WHOLE, "agentgen", size, count(whole), "tokens", "the thread alone"),
        *found,
    ]


def _extensions(requests: list[ModelRequest]) -> tuple[int, int]:
    """How many prompts extend the one before, of the pairs with no compaction between."""
    extended = between = 0
    for earlier, later in itertools.pairwise(requests):
        first, second = _thread(earlier), _thread(later)
        if _summary_head(first) != _summary_head(second):
            continue  # a compaction came between: the thread starts anew
        between += 1
        extended += second.startswith(first)
    return extended, between


def _thread(request: ModelRequest) -> str:
    return request.prompt.removesuffix("\n\nWhat should the next step be?")


def _summary_head(text: str) -> str:
    start = text.find("<summary>")
    return text[start : text.find("</summary>", start)] if start >= 0 else ""


def targets(found: list[Row]) -> list[str]:
    """Issue 15's budget targets."""
    value = {row.benchmark: row.value for row in found}
    largest, extended = value.get(LARGEST), value.get(EXTENDED)
    return [
        target(
            "20,000-event thread: largest request under max_tokens 8000",
            largest,
            " tokens",
            largest is not None and largest <= 8000,
        ),
        target("between compactions every prompt extends the last", extended, "%", extended == 100),
    ]
