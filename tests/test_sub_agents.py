"""Sub-agents as tools: a call runs a child thread of another spec's agent, pauses and all."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from agentgen.cli import main
from agentgen.runtime import (
    MemoryStore,
    ResponseRefused,
    ScriptedModel,
    SqliteStore,
    child_thread_id,
    store_from_url,
)
from tests.asgi_server import serving
from tests.fake_llm import serving as serving_llm
from tests.fake_llm import tool_call
from tests.strict_mypy import mypy_errors

ROOT_PACKAGE = "subagent_pkgs"
CONCIERGE = """
[agent]
name = "concierge"

[prompts.vars]
city = "string"

[tools.book_hotel]
description = "Hand hotel bookings to the hotel desk."
agent = "hotel_desk"
params.request = { type = "string" }

[tools.ask_spa]
description = "Hand spa questions to the spa desk."
agent = "spa_desk"
params.question = { type = "string" }
params.day = { type = "string" }

[tools.weather]
description = "The weather in the city."
returns = { type = "string" }
"""
HOTEL_DESK = """
[agent]
name = "hotel_desk"
max_turns = 3

[prompts]
system = "You book hotels in {{ city }}."

[prompts.vars]
city = "string"

[tools.search_hotels]
description = "Search hotels."
returns = { type = "array", items = { type = "string" } }

[tools.book_room]
description = "Book a room."
approval = "always"
summary = "Book {{ call.hotel }} for {{ call.nights }} nights"
params.hotel = { type = "string" }
params.nights = { type = "integer", minimum = 1 }

[humans.ask_guest]
description = "Ask the guest."
params.question = { type = "string" }

[done]
name = "booked"
params.message = { type = "string" }
"""
SPA_DESK = """
[agent]
name = "spa_desk"

[prompts]
system = "You run the {{ spa_name }} spa."

[prompts.vars]
spa_name = "string"
"""
BOOK = {"intent": "book_hotel", "request": "a hotel for two nights"}
SEARCH = {"intent": "search_hotels"}
BOOK_ROOM = {"intent": "book_room", "hotel": "Ritz", "nights": 2}
BOOKED = {"intent": "booked", "message": "Booked the Ritz"}
DONE = {"intent": "done_for_now", "message": "Your room is booked"}


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three agents generated into one output folder, importable as `subagent_pkgs`."""
    root = tmp_path_factory.mktemp("subagents")
    specs = root / "specs"
    specs.mkdir()
    for name, text in (("concierge", CONCIERGE), ("hotel_desk", HOTEL_DESK), ("spa", SPA_DESK)):
        (specs / f"{name}.toml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["generate", str(specs), "--out", str(root / ROOT_PACKAGE)])
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="module")
def concierge(out: Path) -> Iterator[ModuleType]:
    sys.path.insert(0, str(out))
    yield importlib.import_module(f"{ROOT_PACKAGE}.concierge")
    sys.path.remove(str(out))


class Hotels:
    """The hotel desk's handlers: what ran, in order."""

    def __init__(self) -> None:
        self.ran: list[Any] = []

    def search_hotels(self, call: Any) -> list[str]:
        self.ran.append(call)
        return ["Ritz", "Savoy"]

    def book_room(self, call: Any) -> None:
        self.ran.append(call)


class Concierge:
    def weather(self, call: Any) -> str:
        return "sunny"


def _run(hotels: Hotels, model: ScriptedModel, store: Any) -> dict[str, Any]:
    """What every launch and resume of a test runs with."""
    return {
        "model": model,
        "store": store,
        "handlers": Concierge(),
        "sub_agent_handlers": {"hotel_desk": hotels},
    }


def test_the_generated_packages_pass_mypy_strict(out: Path) -> None:
    packages = ("concierge", "hotel_desk", "spa_desk")
    arguments = [arg for name in packages for arg in ("-p", f"{ROOT_PACKAGE}.{name}")]
    assert mypy_errors(out, *arguments) == ""


def test_a_childs_approval_becomes_the_parents_pending_and_resume_reaches_it(
    concierge: ModuleType,
) -> None:
    store, hotels = MemoryStore(), Hotels()
    model = ScriptedModel([BOOK, SEARCH, BOOK_ROOM, BOOKED, DONE])
    options = _run(hotels, model, store)
    thread = asyncio.run(concierge.launch("a room", vars={"city": "Basel"}, **options))
    call_id = thread.events[2].call_id
    child_id = child_thread_id(thread.id, call_id)
    assert thread.status == "awaiting_approval"
    pending = thread.pending.model_dump()
    assert (pending["intent"], pending["args"]) == ("book_room", {"hotel": "Ritz", "nights": 2})
    assert (pending["summary"], pending["thread_id"]) == ("Book Ritz for 2 nights", child_id)
    approval = concierge.Approval(call_id=thread.pending.call_id, approved=True)
    thread = asyncio.run(concierge.resume(thread.id, approval, **options))
    assert (thread.status, thread.state.ended_by) == ("done", "done_for_now")
    assert [type(call).__name__ for call in hotels.ran] == ["SearchHotels", "BookRoom"]
    result = next(e for e in thread.events if e.type == "tool_result")
    assert result.result == BOOKED
    assert [e.status for e in thread.events if e.type == "sub_agent"] == [
        "awaiting_approval",
        "done",
    ]
    hotel_desk = importlib.import_module(f"{ROOT_PACKAGE}.hotel_desk")
    child = asyncio.run(hotel_desk.load_thread(child_id, store))
    assert (child.status, child.state.ended_by) == ("done", "booked")
    assert sorted(asyncio.run(store.thread_ids())) == sorted([thread.id, child_id])


def test_the_child_gets_the_parents_vars_it_declares_and_the_calls_text(
    concierge: ModuleType,
) -> None:
    store = MemoryStore()
    model = ScriptedModel([BOOK, BOOKED, DONE])
    options = _run(Hotels(), model, store)
    thread = asyncio.run(concierge.launch("a room", vars={"city": "Basel"}, **options))
    child_id = child_thread_id(thread.id, thread.events[2].call_id)
    rows = [json.loads(row) for row in asyncio.run(store.load(child_id))]
    assert rows[0]["vars"] == {"city": "Basel"}
    assert rows[1] == {"type": "user_message", "text": "a hotel for two nights"}


def test_a_wrong_answer_to_the_childs_question_is_refused_and_changes_nothing(
    concierge: ModuleType,
) -> None:
    store = MemoryStore()
    ask = {"intent": "ask_guest", "question": "Which hotel?"}
    model = ScriptedModel([BOOK, ask, BOOKED, DONE])
    options = _run(Hotels(), model, store)
    thread = asyncio.run(concierge.launch("a room", vars={"city": "Basel"}, **options))
    assert (thread.status, thread.pending.intent) == ("awaiting_human", "ask_guest")
    before = {i: asyncio.run(store.load(i)) for i in asyncio.run(store.thread_ids())}
    wrong = concierge.HumanResponse(call_id="call_nope", text="Ritz")
    with pytest.raises(ResponseRefused, match="does not match the pending call"):
        asyncio.run(concierge.resume(thread.id, wrong, **options))
    denial = concierge.Approval(call_id=thread.pending.call_id, approved=False)
    with pytest.raises(ResponseRefused) as refused:
        asyncio.run(concierge.resume(thread.id, denial, **options))
    assert str(refused.value) == "Approval cannot be accepted while the thread is awaiting_human"
    assert {i: asyncio.run(store.load(i)) for i in asyncio.run(store.thread_ids())} == before
    answer = concierge.HumanResponse(call_id=thread.pending.call_id, text="the Ritz")
    thread = asyncio.run(concierge.resume(thread.id, answer, **options))
    assert thread.status == "done"


def test_a_child_that_uses_up_its_turns_is_a_compact_error_for_the_parent(
    concierge: ModuleType,
) -> None:
    model = ScriptedModel([BOOK, SEARCH, SEARCH, SEARCH, DONE])
    options = _run(Hotels(), model, MemoryStore())
    thread = asyncio.run(concierge.launch("a room", vars={"city": "Basel"}, **options))
    child_id = child_thread_id(thread.id, thread.events[2].call_id)
    error = next(e for e in thread.events if e.type == "error")
    assert error.message == (
        "SubAgentStopped: the hotel_desk agent stopped before finishing (reached max_turns "
        f"(3)); its thread {child_id} is paused"
    )
    assert thread.status == "done"


def test_a_child_that_refuses_its_input_is_an_error_and_runs_nothing(
    concierge: ModuleType,
) -> None:
    store = MemoryStore()
    spa = {"intent": "ask_spa", "question": "Open?", "day": "Monday"}
    model = ScriptedModel([spa, DONE])
    options = _run(Hotels(), model, store)
    thread = asyncio.run(concierge.launch("spa?", vars={"city": "Basel"}, **options))
    error = next(e for e in thread.events if e.type == "error")
    assert error.message == (
        "ValueRefused: the spa_desk agent refused its input: "
        "ValidationError: PromptVars: spa_name: Field required"
    )
    assert asyncio.run(store.thread_ids()) == [thread.id]


DRIVER = """
import asyncio, json, sys, importlib
from agentgen.runtime import ScriptedModel, store_from_url
job = json.loads(sys.argv[1])
concierge = importlib.import_module("subagent_pkgs.concierge")

class Hotels:
    def search_hotels(self, call):
        return ["Ritz"]
    def book_room(self, call):
        if job.get("crash"):
            import os
            os._exit(9)  # the worker dies in the middle of the child's call

async def run():
    store = store_from_url(job["store"])
    options = {"model": ScriptedModel(job["steps"]), "store": store,
               "sub_agent_handlers": {"hotel_desk": Hotels()}}
    if job["action"] == "launch":
        thread = await concierge.launch("a room", vars={"city": "Basel"}, **options)
    else:
        response = job.get("response")
        if response is not None:
            response = concierge.Approval(**response)
        thread = await concierge.resume(job["thread_id"], response, **options)
    pending = thread.pending.model_dump(mode="json") if thread.pending else None
    print(json.dumps({"id": thread.id, "status": thread.status, "pending": pending}))

asyncio.run(run())
"""


def _process(out: Path, job: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(out), os.getcwd()])}
    env["AGENTGEN_LEASE_TTL_S"] = "1"
    return subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(job)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_resume_in_another_process_reaches_the_child_on_every_store(
    out: Path, store_url: str
) -> None:
    launched = _process(out, {"store": store_url, "action": "launch", "steps": [BOOK, BOOK_ROOM]})
    assert launched.returncode == 0, launched.stderr
    parent = json.loads(launched.stdout)
    assert parent["status"] == "awaiting_approval"
    approval = {"call_id": parent["pending"]["call_id"], "approved": True}
    job = {"store": store_url, "action": "resume", "thread_id": parent["id"]}
    resumed = _process(out, {**job, "response": approval, "steps": [BOOKED, DONE]})
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["status"] == "done"
    store = store_from_url(store_url)
    child = child_thread_id(
        parent["id"], json.loads(asyncio.run(store.load(parent["id"]))[2])["call_id"]
    )
    child_events = [json.loads(row)["type"] for row in asyncio.run(store.load(child))]
    assert child_events[-3:] == ["approval", "tool_result", "tool_call"]


def test_a_parent_whose_worker_died_in_the_child_picks_the_child_up(
    out: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'threads.db'}"
    launched = _process(out, {"store": url, "action": "launch", "steps": [BOOK, BOOK_ROOM]})
    parent = json.loads(launched.stdout)
    approval = {"call_id": parent["pending"]["call_id"], "approved": True}
    job = {"store": url, "action": "resume", "thread_id": parent["id"], "steps": []}
    died = _process(out, {**job, "response": approval, "crash": True})
    assert died.returncode == 9
    time.sleep(1.5)  # the dead worker's leases (AGENTGEN_LEASE_TTL_S=1) expire
    again = _process(out, {**job, "response": approval})  # the person tries again
    assert again.returncode == 0, again.stderr
    state = json.loads(again.stdout)
    assert (state["status"], state["pending"]["intent"]) == ("awaiting_human", "escalation")
    assert "'book_room'" in state["pending"]["args"]["reason"]
    assert state["pending"]["thread_id"] == child_thread_id(
        parent["id"], approval_call(url, parent["id"])
    )


def approval_call(url: str, parent_id: str) -> str:
    """The call id of the parent's sub-agent call, its third event."""
    return str(json.loads(asyncio.run(store_from_url(url).load(parent_id))[2])["call_id"])


def test_the_cli_approves_a_childs_call_through_the_parent(out: Path, tmp_path: Path) -> None:
    with serving_llm() as llm:
        env = {
            "PATH": os.environ["PATH"],
            "PYTHONPATH": os.pathsep.join([str(out), os.getcwd()]),
            "AGENTGEN_BASE_URL": llm.openai_url,
            "OPENAI_API_KEY": "loopback",
            "AGENTGEN_STORE": f"sqlite:///{tmp_path / 'threads.db'}",
        }
        command = [sys.executable, "-m", f"{ROOT_PACKAGE}.concierge"]
        llm.script(tool_call("book_hotel", {"request": "two nights"}))
        llm.script(tool_call("book_room", {"hotel": "Ritz", "nights": 2}))
        launched = subprocess.run(
            [*command, "launch", "a room", "--var", "city=Basel"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        lines = launched.stdout.splitlines()
        assert lines[0].endswith(": awaiting_approval"), launched.stderr
        assert lines[2] == "    Book Ritz for 2 nights"
        ident = lines[0].split()[1].rstrip(":")
        llm.script(tool_call("booked", {"message": "done"}))
        llm.script(tool_call("done_for_now", {"message": "booked"}))
        approved = subprocess.run(
            [*command, "resume", ident, "--approve"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        *status, usage = approved.stdout.splitlines()
        assert status == [f"thread {ident}: done (done_for_now)", "  message: booked"]
        assert usage.startswith("  usage: 2 model calls, 2 input tokens (0 cached), 2 output")


def test_http_approves_a_childs_call_through_the_parent(
    concierge: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTGEN_AUTH", "none")
    http = importlib.import_module(f"{ROOT_PACKAGE}.concierge.http")
    store = SqliteStore(tmp_path / "threads.db")
    model = ScriptedModel([BOOK, BOOK_ROOM, BOOKED, DONE])
    hotels = Hotels()
    app = http.create_app(model=model, store=store, sub_agent_handlers={"hotel_desk": hotels})
    with serving(app) as base:
        body = {"message": "a room", "vars": {"city": "Basel"}}
        created = httpx.post(f"{base}/threads", json=body, timeout=10).json()
        pending = created["pending"]
        assert (pending["intent"], pending["summary"]) == ("book_room", "Book Ritz for 2 nights")
        answer = {"type": "approval", "call_id": pending["call_id"], "approved": True}
        done = httpx.post(f"{base}/threads/{created['id']}/responses", json=answer, timeout=10)
    assert (done.status_code, done.json()["status"]) == (200, "done")
    assert [type(call).__name__ for call in hotels.ran] == ["BookRoom"]


def _validate(tmp_path: Path, specs: dict[str, str]) -> str:
    folder = tmp_path / "specs"
    folder.mkdir()
    for name, text in specs.items():
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 1
    return result.stdout.replace(str(folder), "specs")


def test_validate_refuses_an_unknown_agent_with_its_position(tmp_path: Path) -> None:
    text = CONCIERGE.replace('agent = "hotel_desk"', 'agent = "hotel_dsk"')
    shown = _validate(tmp_path, {"concierge": text, "hotel_desk": HOTEL_DESK, "spa": SPA_DESK})
    assert shown == (
        "specs/concierge.toml:10:9: error[AG030]: "
        "undefined agent 'hotel_dsk' (no spec here has it)\n"
        "    hint: did you mean 'hotel_desk'?\n"
    )


def test_validate_refuses_a_cycle_of_sub_agents(tmp_path: Path) -> None:
    back = '\n[tools.back]\ndescription = "Back to the front desk."\nagent = "concierge"\n'
    shown = _validate(
        tmp_path, {"concierge": CONCIERGE, "hotel_desk": HOTEL_DESK + back, "spa": SPA_DESK}
    )
    assert shown == (
        "specs/concierge.toml:10:9: error[AG037]: sub-agents call each other in a cycle: "
        "concierge -> hotel_desk -> concierge\n"
        "    hint: an agent cannot run itself, directly or not\n"
        "specs/hotel_desk.toml:33:9: error[AG037]: sub-agents call each other in a cycle: "
        "hotel_desk -> concierge -> hotel_desk\n"
        "    hint: an agent cannot run itself, directly or not\n"
    )


def test_an_agent_running_itself_is_a_cycle(tmp_path: Path) -> None:
    own = SPA_DESK + '\n[tools.again]\ndescription = "Again."\nagent = "spa_desk"\n'
    shown = _validate(tmp_path, {"spa": own})
    assert "error[AG037]: sub-agents call each other in a cycle: spa_desk -> spa_desk\n" in shown


def test_a_sub_agent_with_timeouts_is_refused_where_it_is_used(tmp_path: Path) -> None:
    manager = '[humans.ask_manager]\ndescription = "Ask the manager."\ntimeout = "1h"\n'
    timed = f"{HOTEL_DESK}\n{manager}"
    shown = _validate(tmp_path, {"concierge": CONCIERGE, "hotel_desk": timed, "spa": SPA_DESK})
    assert shown == (
        "specs/concierge.toml:10:9: error[AG053]: agent 'hotel_desk' has a timeout on "
        "'ask_manager', which a sub-agent's thread cannot keep yet (its parent would not hear "
        "of the timeout)\n"
        "    hint: remove the timeouts from 'hotel_desk'\n"
    )
