"""[[prefetch]] and [prompts.step_vars]: what the model's requests hold before and at each step.

The release_notes spec (tests/specs) prefetches two tools, one with an arg from a launch var;
the agent runs against the loopback fake OpenAI server, whose first request must already hold
both results. Its system prompt shows `today`, a step var: the test writes `step_vars` in the
generated prompts.py, as a user would, so that it counts its calls.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from agentgen.runtime import MemoryStore, OpenAIModel, ScriptedModel
from tests.fake_llm import FakeLLM, tool_call
from tests.packages import generate_package, import_package

SPEC = Path(__file__).resolve().parent / "specs" / "release_notes.toml"
pytestmark = pytest.mark.usefixtures("clean_model_env")
VARS = {"repository": "acme/web"}


STUB = '    raise NotImplementedError("step_vars in prompts.py is not written yet")\n'
WRITTEN = '''def step_vars(state: AgentState) -> StepVars:
    """Today, as the model sees it at this step (a count stands in for the clock)."""
    CALLS.append(state.turns)
    return {"today": f"day {len(CALLS)}"}


CALLS: list[int] = []
'''


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    folder = generate_package(SPEC, tmp_path_factory.mktemp("prefetch"))
    prompts = folder / "release_notes" / "prompts.py"
    text = prompts.read_text()
    start, end = text.index("def step_vars("), text.index(STUB) + len(STUB)
    prompts.write_text(text[:start] + WRITTEN + text[end:])
    return import_package(folder, "release_notes")


class Repository:
    """The handlers: a repository's tags and commits; each call is noted."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def list_git_tags(self, call: Any) -> list[str]:
        self.calls.append(("list_git_tags", call.model_dump(exclude={"intent"})))
        return ["v1.3.0", "v1.2.0"][: call.limit]

    def list_commits(self, call: Any) -> list[str]:
        self.calls.append(("list_commits", call.model_dump(exclude={"intent"})))
        return [f"fix the login page of {call.repository}", "add dark mode"]


def test_the_first_request_already_holds_the_prefetched_results(
    agent: ModuleType, llm: FakeLLM
) -> None:
    llm.script(tool_call("publish_notes", {"notes": "- dark mode"}))
    model = OpenAIModel("gpt-test", base_url=llm.openai_url, api_key="test-key")
    handlers = Repository()
    thread = asyncio.run(
        agent.launch(
            "notes for the next release",
            model=model,
            store=MemoryStore(),
            handlers=handlers,
            vars={"repository": "acme/web"},
        )
    )
    assert thread.status == "done"
    assert handlers.calls == [
        ("list_git_tags", {"limit": 2}),
        ("list_commits", {"repository": "acme/web", "since": "v1.2.0"}),
    ]
    [first] = llm.requests
    prompt = first.body["messages"][-1]["content"]
    assert (
        "<list_git_tags limit=2/><result>\n- v1.3.0\n- v1.2.0\n</result>\n\n"
        '<list_commits repository="acme/web" since="v1.2.0"/><result>\n'
        "- fix the login page of acme/web\n- add dark mode\n</result>"
    ) in prompt
    kinds = [event.type for event in thread.events]
    assert kinds == [
        "thread_started",
        "user_message",
        "tool_call",
        "tool_result",
        "tool_call",
        "tool_result",
        "model_call",  # the model's one request: what it cost
        "tool_call",
    ]


def test_a_launch_var_that_does_not_fit_is_an_error_the_model_sees(agent: ModuleType) -> None:
    model = ScriptedModel([{"intent": "publish_notes", "notes": "none"}])
    handlers = Repository()
    store = MemoryStore()
    asyncio.run(
        agent.launch("notes", model=model, store=store, handlers=handlers, vars={"repository": ""})
    )
    assert handlers.calls == [("list_git_tags", {"limit": 2})]  # the second call never ran
    error = (
        "<error intent=\"list_commits\">prefetch: invalid args for 'list_commits': repository: "
        "String should have at least 1 character</error>"
    )
    assert error in model.requests[0].prompt


def test_a_resumed_or_finished_thread_does_not_prefetch_again(agent: ModuleType) -> None:
    store, handlers = MemoryStore(), Repository()
    model = ScriptedModel(
        [{"intent": "publish_notes", "notes": "1"}, {"intent": "publish_notes", "notes": "2"}]
    )
    options = {"model": model, "store": store, "handlers": handlers}
    thread = asyncio.run(agent.launch("notes", vars={"repository": "r"}, **options))
    more = agent.UserMessage(text="again, shorter")
    asyncio.run(agent.resume(thread.id, more, **options))
    assert [name for name, _ in handlers.calls] == ["list_git_tags", "list_commits"]


def test_a_queued_launch_prefetches_when_a_worker_takes_it_up(agent: ModuleType) -> None:
    store, handlers = MemoryStore(), Repository()
    model = ScriptedModel([{"intent": "publish_notes", "notes": "1"}])
    thread = asyncio.run(
        agent.launch(
            "notes", vars={"repository": "r"}, store=store, handlers=handlers, advance=False
        )
    )
    assert handlers.calls == []
    done = asyncio.run(agent.resume(thread.id, None, model=model, store=store, handlers=handlers))
    assert done.status == "done"
    assert [name for name, _ in handlers.calls] == ["list_git_tags", "list_commits"]


def test_step_vars_are_computed_before_each_model_call(agent: ModuleType) -> None:
    calls = agent.prompts.CALLS
    calls.clear()
    steps = [{"intent": "list_git_tags", "limit": 1}, {"intent": "publish_notes", "notes": "-"}]
    model = ScriptedModel(steps)
    handlers = Repository()
    asyncio.run(
        agent.launch("notes", model=model, store=MemoryStore(), handlers=handlers, vars=VARS)
    )
    assert calls == [2, 3]  # the turns each call saw: the two prefetched calls count, as calls do
    assert [request.system for request in model.requests] == [
        "You write release notes for acme/web. Today is day 1.",
        "You write release notes for acme/web. Today is day 2.",
    ]


def test_an_unwritten_step_vars_says_where_to_write_it(tmp_path: Path) -> None:
    # imported under another name: the module fixture's package keeps "release_notes"
    folder = generate_package(SPEC, tmp_path)
    (folder / "release_notes").rename(folder / "release_notes_unwritten")
    unwritten = import_package(folder, "release_notes_unwritten")
    model = ScriptedModel([{"intent": "publish_notes", "notes": "-"}])
    with pytest.raises(NotImplementedError, match=r"^step_vars in prompts\.py is not written yet$"):
        asyncio.run(
            unwritten.launch(
                "notes", model=model, store=MemoryStore(), handlers=Repository(), vars=VARS
            )
        )
