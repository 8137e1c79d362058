"""[context]: a budget for what the model reads of a thread, and how it is kept.

The research_log spec (tests/specs) allows 700 tokens a request, shows at most 120 characters
of a result and, past the budget, folds all but the last 6 events into a summary that the
model writes. `Researcher` plays the model: it reads page after page, then reports, and writes
a summary whenever one is asked for. Its handler returns long pages, so the thread crosses the
budget again and again.
"""

from __future__ import annotations

import asyncio
import importlib
import itertools
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from agentgen.runtime import (
    AnthropicModel,
    MemoryStore,
    ModelRequest,
    OpenAIModel,
    SqliteStore,
    Store,
    event_json,
)
from tests.fake_llm import FakeLLM, tool_call
from tests.packages import generate_package, import_package

SPEC = Path(__file__).resolve().parent / "specs" / "research_log.toml"
THREAD_START = "You are working on the following thread:\n\n"
THREAD_END = "\n\nWhat should the next step be?"
VARS = {"topic": "tides"}


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return import_package(generate_package(SPEC, tmp_path_factory.mktemp("budget")), "research_log")


@pytest.fixture(scope="module")
def unsummarized(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The same agent with `summarize = false`, under another name (one process imports both)."""
    text = SPEC.read_text().replace('name = "research_log"', 'name = "research_log_plain"')
    text = text.replace("summarize = true", "summarize = false")
    text = text[: text.index("summary_prompt")] + text[text.index("[tools.read_page]") :]
    spec = tmp_path_factory.mktemp("plain_spec") / "research_log_plain.toml"
    spec.write_text(text)
    return import_package(
        generate_package(spec, tmp_path_factory.mktemp("plain")), "research_log_plain"
    )


class Researcher:
    """The model: `pages` read_page calls, then a report; each summary it writes is numbered."""

    def __init__(self, pages: int, *, summary: Any = None) -> None:
        self.pages = pages
        self.summary = summary  # what it answers a summary request with; None: a good summary
        self.steps: list[ModelRequest] = []
        self.summaries: list[ModelRequest] = []
        self.answers: list[dict[str, Any]] = []  # what it answered, in order

    async def next_step(self, request: ModelRequest) -> Any:
        answer = self._answer(request)
        if isinstance(answer, dict):
            self.answers.append(answer)
        return answer

    def _answer(self, request: ModelRequest) -> Any:
        if request.intents[0].name == "thread_summary":
            self.summaries.append(request)
            if self.summary is not None:
                return self.summary
            return {"intent": "thread_summary", "summary": f"summary {len(self.summaries)}"}
        self.steps.append(request)
        if len(self.steps) > self.pages:
            return {"intent": "report", "text": "tides follow the moon"}
        return {"intent": "read_page", "url": f"https://example.com/{len(self.steps)}"}


class Pages:
    """The handler: each page is `size` characters."""

    def __init__(self, size: int = 60) -> None:
        self.size = size

    def read_page(self, call: Any) -> str:
        return f"{call.url} " + "x" * (self.size - len(call.url) - 1)


def _thread(request: ModelRequest) -> str:
    """The thread's text in a next-step request."""
    assert request.prompt.startswith(THREAD_START) and request.prompt.endswith(THREAD_END)
    return request.prompt[len(THREAD_START) : -len(THREAD_END)]


def _launch(agent: ModuleType, model: Any, store: Store, pages: Pages | None = None) -> Any:
    return asyncio.run(
        agent.launch(
            "what causes tides?", model=model, store=store, handlers=pages or Pages(), vars=VARS
        )
    )


def test_every_request_of_a_20000_event_thread_stays_under_max_tokens(agent: ModuleType) -> None:
    model, context = Researcher(10_000), importlib.import_module("research_log.context")
    thread = _launch(agent, model, MemoryStore())
    assert thread.status == "done"
    assert len(thread.events) > 20_000
    summaries = [event for event in thread.events if event.type == "summary"]
    assert len(summaries) == len(model.summaries) > 100
    requests = model.steps + model.summaries
    assert max(context.request_tokens(request) for request in requests) <= context.MAX_TOKENS
    last = _thread(model.steps[-1])
    assert last.startswith(f"<summary>summary {len(summaries)}</summary>\n\n")


def test_between_compactions_each_prompt_extends_the_one_before(agent: ModuleType) -> None:
    model = Researcher(200)
    _launch(agent, model, MemoryStore())
    threads = [_thread(request) for request in model.steps]
    assert 10 < len(model.summaries) <= len(threads) // 8  # not one per step: the prefix holds
    for earlier, later in itertools.pairwise(threads):
        # the same text and more, or one that starts anew from a newer summary
        assert later.startswith(earlier) or _summary_number(later) > _summary_number(earlier)


def _summary_number(thread: str) -> int:
    """N of the `<summary>summary N</summary>` a thread starts with; 0 for none."""
    if not thread.startswith("<summary>summary "):
        return 0
    return int(thread[len("<summary>summary ") : thread.index("</summary>")])


def test_the_summary_is_an_event_that_survives_a_reload(agent: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "threads.db"
    model = Researcher(30)
    thread = _launch(agent, model, SqliteStore(path))
    reloaded = asyncio.run(agent.load_thread(thread.id, SqliteStore(path)))
    summaries = [event for event in reloaded.events if event.type == "summary"]
    assert [event.text for event in summaries] == [
        f"summary {n}" for n in range(1, len(model.summaries) + 1)
    ]
    assert reloaded.events == thread.events
    # the model read the first summary request's thread before it was folded: nothing was lost
    first = model.summaries[0].prompt
    assert "https://example.com/1 " in first and first.endswith(
        "Summarize what it found about tides."
    )
    later = Researcher(0)
    resumed = asyncio.run(
        agent.resume(
            thread.id, agent.UserMessage(text="and in lakes?"), model=later, store=SqliteStore(path)
        )
    )
    assert resumed.status == "done"
    text = _thread(later.steps[0])
    assert text.startswith(f"<summary>summary {len(summaries)}</summary>\n\n")
    assert text.endswith("<user_message>and in lakes?</user_message>")
    assert len(later.summaries) == 0  # the reloaded thread was under the budget as it stood


@pytest.mark.usefixtures("clean_model_env")
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_summaries_are_asked_through_the_provider_adapters(
    agent: ModuleType, llm: FakeLLM, provider: str
) -> None:
    rehearsal = Researcher(25)  # the same run in process: where the summaries fall
    expected = _launch(agent, rehearsal, MemoryStore())
    assert rehearsal.summaries
    for answer in rehearsal.answers:
        name, args = answer["intent"], {k: v for k, v in answer.items() if k != "intent"}
        llm.script(tool_call(name, args))
    if provider == "openai":
        model: Any = OpenAIModel("gpt-test", base_url=llm.openai_url, api_key="test-key")
    else:
        model = AnthropicModel("claude-test", base_url=llm.anthropic_url, api_key="test-key")
    thread = _launch(agent, model, MemoryStore())
    assert [e.text for e in thread.events if e.type == "summary"] == [
        e.text for e in expected.events if e.type == "summary"
    ]
    offered = [_tool_names(request.body, provider) for request in llm.requests]
    assert offered.count(["thread_summary"]) == len(rehearsal.summaries)
    assert offered.count(["read_page", "report"]) == len(rehearsal.steps)


def _tool_names(body: dict[str, Any], provider: str) -> list[str]:
    if provider == "openai":
        return [tool["function"]["name"] for tool in body["tools"]]
    return [tool["name"] for tool in body["tools"]]


def test_a_long_result_is_cut_for_the_model_and_kept_whole(agent: ModuleType) -> None:
    model, store = Researcher(1), MemoryStore()
    thread = _launch(agent, model, store, Pages(size=1000))
    text = _thread(model.steps[1])
    page = Pages(size=1000).read_page(
        agent.ReadPage(intent="read_page", url="https://example.com/1")
    )
    shown = f'<read_page url="https://example.com/1"/><result>\n{page[:120]}\n'
    assert shown + "[cut: 880 of 1000 characters not shown]\n</result>" in text
    stored = asyncio.run(agent.load_thread(thread.id, store))
    assert [event.result for event in stored.events if event.type == "tool_result"] == [page]


def test_a_thread_over_budget_from_before_is_summarized_in_requests_that_fit(
    agent: ModuleType,
) -> None:
    """A thread written before the budget was set: its backlog is folded in several summaries."""
    store, thread_id = MemoryStore(), "thread_backlog"
    events: list[Any] = [agent.events.ThreadStarted(version="1", vars=VARS)]
    events.append(agent.events.UserMessageEvent(text="what causes tides?"))
    for n in range(150):
        call = agent.ReadPage(intent="read_page", url=f"https://example.com/{n}")
        events.append(agent.events.ToolCallEvent(call_id=f"call_{n}", call=call))
        events.append(agent.events.ReadPageResult(call_id=f"call_{n}", result=f"page {n}"))
    events.append(agent.events.ThreadPaused(reason="reached max_turns (150)"))
    asyncio.run(store.append_many(thread_id, 0, [event_json(event) for event in events]))
    model, context = Researcher(0), importlib.import_module("research_log.context")
    thread = asyncio.run(agent.resume(thread_id, None, model=model, store=store))
    assert thread.status == "done"
    assert len(model.summaries) > 2
    requests = model.steps + model.summaries
    assert max(context.request_tokens(request) for request in requests) <= context.MAX_TOKENS
    assert thread.events[: len(events)] == events  # the backlog itself is untouched


def test_an_unusable_summary_is_an_error_event_and_loses_nothing(agent: ModuleType) -> None:
    model, store = Researcher(100, summary="I would rather not"), MemoryStore()
    thread = _launch(agent, model, store)
    errors = [event for event in thread.events if event.type == "error"]
    assert [error.message for error in errors] == [
        "no summary: model output is not JSON: I would rather not"
    ] * 2
    assert thread.status == "awaiting_human"  # max_consecutive_errors = 2: a person looks
    assert not any(event.type == "summary" for event in thread.events)
    stored = asyncio.run(agent.load_thread(thread.id, store))
    assert stored.events == thread.events


def test_without_summarize_the_oldest_events_are_left_out_and_counted(
    unsummarized: ModuleType,
) -> None:
    model = Researcher(300)
    context = importlib.import_module("research_log_plain.context")
    thread = asyncio.run(
        unsummarized.launch(
            "what causes tides?", model=model, store=MemoryStore(), handlers=Pages(), vars=VARS
        )
    )
    assert thread.status == "done" and model.summaries == []
    omitted = [event for event in thread.events if event.type == "summary"]
    assert omitted and all(event.text is None for event in omitted)
    assert max(context.request_tokens(request) for request in model.steps) <= context.MAX_TOKENS
    text = _thread(model.steps[-1])
    shown = text.count("<read_page ")
    assert text.startswith(f"<omitted_events count={2 * (300 - shown) + 1}/>\n\n<read_page ")


def test_a_summary_replaces_what_comes_before_its_cut_and_hidden_errors_stay_hidden(
    agent: ModuleType,
) -> None:
    events, context = agent.events, importlib.import_module("research_log.context")

    def read(n: int) -> list[Any]:
        call = agent.ReadPage(intent="read_page", url=f"u{n}")
        return [
            events.ToolCallEvent(call_id=f"c{n}", call=call),
            events.ReadPageResult(call_id=f"c{n}", result=f"p{n}"),
        ]

    thread = [events.ThreadStarted(version="1"), events.UserMessageEvent(text="go"), *read(1)]
    thread += [events.ErrorEvent(source="model", message="bad step"), *read(2), *read(3)]
    cut = len(thread) - 2  # the third call: its line is kept whole
    thread += [events.SummaryEvent(through=cut, text="read u1 and u2"), *read(4)]
    shown = context.Context(hide_resolved_errors=True)
    texts = []
    for event in thread:
        shown.add(event)
        texts.append(shown.text())
    assert texts[6] == (  # the error is hidden once a result follows it
        '<user_message>go</user_message>\n\n<read_page url="u1"/><result>p1</result>\n\n'
        '<read_page url="u2"/><result>p2</result>'
    )
    assert texts[-1] == (
        '<summary>read u1 and u2</summary>\n\n<read_page url="u3"/><result>p3</result>\n\n'
        '<read_page url="u4"/><result>p4</result>'
    )
    last_line = len(thread) - 2  # the fourth call: a cut keeping 1 or 2 blocks keeps its line
    assert shown.text_before(last_line) == texts[-1].rsplit("\n\n", 1)[0]
    assert shown.cut(1) == shown.cut(2) == last_line
    assert shown.cut(3) is None  # the third call's line starts the first block shown
