"""Usage, cost and traces: a calculator thread with an error and an approval, through a loopback
OpenAI-compatible server that reports token counts, over real HTTP and the command line."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentgen_runtime import (
    AnthropicModel,
    FallbackModel,
    MemoryStore,
    OpenAIModel,
    SqliteStore,
)
from generated.calculator.http import create_app
from tests.agent_cli import run_agent_cli
from tests.asgi_server import serving
from tests.fake_llm import FakeLLM, status, tool_call, with_usage

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXPORTER = InMemorySpanExporter()
# (input tokens, cached ones among them, output tokens) the fake reports for each step
ADD = with_usage(tool_call("add", {"a": 1, "b": 2}), 500, 20)
BAD = with_usage(tool_call("add", {"a": "three", "b": 2}), 700, 18, cached=256)
DIVIDE = with_usage(tool_call("divide", {"a": 10, "b": 4}), 800, 25, cached=512)
DONE = with_usage(tool_call("done_for_now", {"message": "10 / 4 = 2.5"}), 900, 15, cached=768)


@pytest.fixture(scope="module", autouse=True)
def tracer_provider() -> None:
    """An SDK provider exporting to memory; OpenTelemetry lets a process set one only once."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
        trace.set_tracer_provider(provider)


@pytest.fixture
def base(tmp_path: Path, llm: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The calculator's HTTP app on 127.0.0.1, its model the loopback fake, its store a file."""
    monkeypatch.setenv("AGENTGEN_API_TOKEN", TOKEN)
    monkeypatch.delenv("AGENTGEN_AUTH", raising=False)
    monkeypatch.delenv("AGENTGEN_CALLBACK_URL", raising=False)
    monkeypatch.delenv("AGENTGEN_PRICES", raising=False)
    model = OpenAIModel("gpt-4o-mini", base_url=llm.openai_url, api_key="test")
    EXPORTER.clear()
    with serving(create_app(model=model, store=SqliteStore(tmp_path / "threads.db"))) as url:
        yield url


def _drive(base: str, llm: FakeLLM) -> dict[str, Any]:
    """Launch (add, a malformed add, divide awaiting approval), approve, and finish."""
    client = httpx.Client(base_url=base, headers=AUTH, timeout=30)
    llm.script(ADD, BAD, DIVIDE)
    launched = client.post("/threads", json={"message": "1 + 2, then 10 / 4"}).json()
    assert launched["status"] == "awaiting_approval", launched
    llm.script(DONE)
    approval = {"type": "approval", "call_id": launched["pending"]["call_id"], "approved": True}
    done = client.post(f"/threads/{launched['id']}/responses", json=approval).json()
    assert done["status"] == "done", done
    fetched: dict[str, Any] = client.get(f"/threads/{launched['id']}").json()
    return fetched


def test_each_model_call_is_an_event_before_what_came_of_it(base: str, llm: FakeLLM) -> None:
    thread = _drive(base, llm)
    kinds = [event["type"] for event in thread["events"]]
    assert kinds == [
        "thread_started",
        "user_message",
        "model_call",
        "tool_call",
        "tool_result",
        "model_call",
        "error",
        "model_call",
        "tool_call",
        "approval",
        "tool_result",
        "model_call",
        "tool_call",
    ]
    calls = [event for event in thread["events"] if event["type"] == "model_call"]
    assert [(c["input_tokens"], c["cached_tokens"], c["output_tokens"]) for c in calls] == [
        (500, 0, 20),
        (700, 256, 18),
        (800, 512, 25),
        (900, 768, 15),
    ]
    assert {(c["provider"], c["model"], c["finish_reason"], c["error"]) for c in calls} == {
        ("openai", "gpt-4o-mini", "tool_calls", None)
    }
    assert all(isinstance(c["latency_ms"], int) and c["latency_ms"] >= 0 for c in calls)
    # never shown to the model: no request holds the words of a model_call event
    assert not any("model_call" in json.dumps(r.body) for r in llm.requests)
    assert not any("latency" in json.dumps(r.body) for r in llm.requests)


def test_totals_and_cost_over_http_and_in_show(base: str, llm: FakeLLM, tmp_path: Path) -> None:
    thread = _drive(base, llm)
    usage = thread["usage"]
    # [model.prices] of the calculator: 0.15 input, 0.075 cached input, 0.60 output per million
    fresh, cached, output = 500 + 444 + 288 + 132, 256 + 512 + 768, 20 + 18 + 25 + 15
    cost = (fresh * 0.15 + cached * 0.075 + output * 0.60) / 1_000_000
    assert usage["model_calls"] == 4
    assert (usage["input_tokens"], usage["cached_tokens"], usage["output_tokens"]) == (
        2900,
        1536,
        78,
    )
    assert usage["cost_usd"] == round(cost, 6)
    assert usage["unpriced"] == []
    env = {**os.environ, "AGENTGEN_STORE": f"sqlite:///{tmp_path / 'threads.db'}"}
    shown = run_agent_cli("calculator", "show", thread["id"], env=env)
    assert shown.returncode == 0, shown.stderr
    seconds = usage["latency_ms"] / 1000
    assert shown.stdout.splitlines()[-1] == (
        f"  usage: 4 model calls, 2,900 input tokens (1,536 cached), 78 output, {seconds:.2f} s,"
        f" ${round(cost, 6):.6f}"
    )
    priced = {"openai:gpt-4o-mini": {"input": 1, "output": 2}}
    overridden = run_agent_cli(
        "calculator", "show", thread["id"], env={**env, "AGENTGEN_PRICES": json.dumps(priced)}
    )
    assert overridden.stdout.rstrip().endswith(f"${(2900 * 1 + 78 * 2) / 1_000_000:.6f}")
    unpriced = {"openai:gpt-4o": {"input": 1, "output": 2}}
    elsewhere = run_agent_cli(
        "calculator", "show", thread["id"], env={**env, "AGENTGEN_PRICES": json.dumps(unpriced)}
    )
    assert elsewhere.stdout.rstrip().endswith(f", ${round(cost, 6):.6f}")


def test_a_malformed_price_variable_is_one_line(base: str, llm: FakeLLM, tmp_path: Path) -> None:
    thread = _drive(base, llm)
    env = {
        **os.environ,
        "AGENTGEN_STORE": f"sqlite:///{tmp_path / 'threads.db'}",
        "AGENTGEN_PRICES": '{"openai:gpt-4o-mini": {"input": -1, "output": 2}}',
    }
    shown = run_agent_cli("calculator", "show", thread["id"], env=env)
    assert shown.returncode == 1
    assert shown.stderr == (
        "error: AGENTGEN_PRICES must be JSON like "
        '{"openai:gpt-4o-mini": {"input": 0.15, "output": 0.6}} (USD per million tokens): '
        "prices are numbers of at least 0, got {'input': -1, 'output': 2}\n"
    )


def _tree(spans: tuple[ReadableSpan, ...]) -> list[tuple[str, list[str]]]:
    """Each root span's name and its children's names, in the order they started."""
    ordered = sorted(spans, key=lambda span: span.start_time or 0)
    roots = [span for span in ordered if span.parent is None]
    return [
        (
            root.name,
            [
                span.name
                for span in ordered
                if span.parent is not None and span.parent.span_id == root.context.span_id
            ],
        )
        for root in roots
    ]


def test_spans_follow_the_genai_conventions(base: str, llm: FakeLLM) -> None:
    thread = _drive(base, llm)
    spans = EXPORTER.get_finished_spans()
    assert _tree(spans) == [
        (
            "invoke_agent calculator",
            ["chat gpt-4o-mini", "execute_tool add", "chat gpt-4o-mini", "chat gpt-4o-mini"],
        ),
        ("invoke_agent calculator", ["execute_tool divide", "chat gpt-4o-mini"]),
    ]
    launch, resume = (s for s in spans if s.name == "invoke_agent calculator")
    assert dict(launch.attributes or {}) == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "calculator",
        "gen_ai.conversation.id": thread["id"],
        "agentgen.run": "launch",
        "agentgen.thread.status": "awaiting_approval",
    }
    assert (resume.attributes or {})["agentgen.run"] == "resume"
    assert (resume.attributes or {})["agentgen.thread.status"] == "done"
    # the steps are spans of their own; the error and the pause are events of the run's span
    events = [(event.name, (event.attributes or {})["agentgen.text"]) for event in launch.events]
    assert [name for name, _ in events] == ["agentgen.error", "agentgen.pause"]
    assert events[0][1].startswith("model error: invalid args for 'add'")
    assert events[1][1] == "divide(a=10.0, b=4.0), awaiting approval"
    chat = next(s for s in spans if s.name == "chat gpt-4o-mini")
    assert chat.kind == trace.SpanKind.CLIENT
    assert dict(chat.attributes or {}) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.temperature": 0.0,
        "gen_ai.usage.input_tokens": 500,
        "gen_ai.usage.output_tokens": 20,
        "gen_ai.usage.cache_read.input_tokens": 0,
        "gen_ai.response.finish_reasons": ("tool_calls",),
    }
    tool = next(s for s in spans if s.name == "execute_tool divide")
    call_id = next(e for e in thread["events"] if e["type"] == "approval")["call_id"]
    assert dict(tool.attributes or {}) == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "divide",
        "gen_ai.tool.call.id": call_id,
    }


def test_prompt_text_is_in_spans_only_when_asked_for(
    base: str, llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    _drive(base, llm)
    assert not any(
        "gen_ai.input.messages" in (span.attributes or {}) for span in EXPORTER.get_finished_spans()
    )
    EXPORTER.clear()
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    _drive(base, llm)
    chat = next(s for s in EXPORTER.get_finished_spans() if s.name == "chat gpt-4o-mini")
    messages = json.loads(str((chat.attributes or {})["gen_ai.input.messages"]))
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "1 + 2, then 10 / 4" in messages[1]["parts"][0]["content"]
    output = json.loads(str((chat.attributes or {})["gen_ai.output.messages"]))
    assert output[0]["parts"][0]["name"] == "add"


def test_a_log_line_per_step(base: str, llm: FakeLLM, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="calculator"):
        thread = _drive(base, llm)
    lines = [r.getMessage() for r in caplog.records if r.name == "calculator"]
    prefix = f"{thread['id']}: "
    assert all(line.startswith(prefix) for line in lines)
    texts = [line.removeprefix(prefix) for line in lines]
    assert texts[0].startswith("add(a=1.0, b=2.0) [openai:gpt-4o-mini ")
    assert texts[0].endswith(" ms, 500 in / 20 out]")
    assert texts[1].startswith("model error: invalid args for 'add'")
    assert texts[2:] == [
        "divide(a=10.0, b=4.0), awaiting approval",
        texts[3],
    ]
    assert texts[3].startswith('done_for_now(message="10 / 4 = 2.5") [openai:gpt-4o-mini ')
    levels = [r.levelname for r in caplog.records if r.name == "calculator"]
    assert levels == ["INFO", "WARNING", "INFO", "INFO"]


def test_a_fallback_chain_records_each_model_it_asked(llm: FakeLLM) -> None:
    from generated.calculator.agent import launch

    first = OpenAIModel("gpt-test", base_url=llm.openai_url, api_key="test", max_retries=0)
    second = AnthropicModel("claude-test", base_url=llm.anthropic_url, api_key="test")
    done = tool_call("done_for_now", {"message": "hello"})
    llm.script(status(500), with_usage(done, 300, 10, cached=100))
    model = FallbackModel([first, second])
    thread = asyncio.run(launch("hi", model=model, store=MemoryStore()))
    calls = [event for event in thread.events if event.type == "model_call"]
    assert [(c.provider, c.model, c.error) for c in calls] == [
        ("openai", "gpt-test", "openai:gpt-test: HTTP 500: scripted failure"),
        ("anthropic", "claude-test", None),
    ]
    answered = calls[1]
    assert (answered.input_tokens, answered.cached_tokens, answered.output_tokens) == (300, 100, 10)
    assert answered.finish_reason == "tool_use"
    assert (calls[0].input_tokens, calls[0].output_tokens) == (None, None)
    usage = thread.usage
    assert (usage.model_calls, usage.input_tokens, usage.output_tokens) == (2, 300, 10)
    assert usage.cost_usd is None
    assert usage.unpriced == ("openai:gpt-test", "anthropic:claude-test")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_logs_json_lines_for_requests_and_steps(llm: FakeLLM, tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "AGENTGEN_STORE": f"sqlite:///{tmp_path / 'threads.db'}",
        "AGENTGEN_BASE_URL": llm.openai_url,
        "OPENAI_API_KEY": "loopback",
        "AGENTGEN_API_TOKEN": TOKEN,
    }
    env.pop("AGENTGEN_MODEL", None)
    command = [sys.executable, "-m", "generated.calculator", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--log-format", "json"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base)
        llm.script(ADD, with_usage(tool_call("done_for_now", {"message": "3"}), 600, 9))
        launched = httpx.post(f"{base}/threads", json={"message": "1 + 2"}, headers=AUTH)
        assert launched.status_code == 201
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    entries = [json.loads(line) for line in (out + err).splitlines() if line.strip()]
    access = [e for e in entries if e["logger"] == "uvicorn.access" and e["method"] == "POST"]
    assert [(e["path"], e["status"], e["level"]) for e in access] == [("/threads", 201, "INFO")]
    steps = [e["message"] for e in entries if e["logger"] == "calculator"]
    thread_id = launched.json()["id"]
    assert [step.split(" [")[0] for step in steps] == [
        f"{thread_id}: add(a=1.0, b=2.0)",
        f'{thread_id}: done_for_now(message="3")',
    ]
    assert all(set(e) >= {"time", "level", "logger", "message"} for e in entries)


def _wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/threads/thread_none", headers=AUTH, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the server did not start")
