"""OpenTelemetry spans in the GenAI semantic conventions, and a log line per step.

Only `opentelemetry-api` is needed: its tracer does nothing until the application configures
an SDK (an OTLP exporter, Logfire, ...). It is imported on the first span, so that commands
that trace nothing (`show`) do not pay for it. Prompt and completion text go into spans only
when OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT is true: they can hold personal data.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._models import ModelOutput, ModelRequest
from ._usage import ModelCall, report_call

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer

CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
"""The GenAI instrumentations' own switch for recording message content."""

_tracers: list[Tracer] = []


def tracer() -> Tracer:
    """agentgen's tracer: the no-op one until an SDK's provider is set (then that one's)."""
    if not _tracers:
        from opentelemetry import trace

        # a ProxyTracer: it follows a provider that the application sets later
        _tracers.append(trace.get_tracer("agentgen_runtime"))
    return _tracers[0]


def capture_content() -> bool:
    """Whether spans may carry prompts and completions (off unless the user opts in)."""
    return os.environ.get(CONTENT_ENV, "").strip().lower() in ("1", "true", "yes")


@asynccontextmanager
async def agent_span(agent: str, thread_id: str, run: str) -> AsyncIterator[None]:
    """`invoke_agent <agent>`: one launch or resume of a thread, the parent of its calls."""
    attributes = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": agent,
        "gen_ai.conversation.id": thread_id,
        "agentgen.run": run,
    }
    with tracer().start_as_current_span(f"invoke_agent {agent}", attributes=attributes):
        yield


@contextmanager
def tool_span(tool: str, call_id: str) -> Iterator[None]:
    """`execute_tool <tool>`: one handler run."""
    from opentelemetry.trace import SpanKind

    attributes = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": tool,
        "gen_ai.tool.call.id": call_id,
    }
    with tracer().start_as_current_span(
        f"execute_tool {tool}", kind=SpanKind.INTERNAL, attributes=attributes
    ):
        yield


@dataclass
class CallRecord:
    """What an adapter learns of one provider call; see `model_call_span`."""

    provider: str
    model: str
    usage: dict[str, Any] = field(default_factory=dict)
    output: ModelOutput | None = None

    def answered(
        self,
        output: ModelOutput,
        *,
        input_tokens: int | None,
        output_tokens: int | None,
        cached_tokens: int | None,
        finish_reason: str | None,
    ) -> None:
        """The provider's answer and the usage it reported."""
        self.output = output
        self.usage = {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cached_tokens": cached_tokens,
            "finish_reason": finish_reason,
        }


@contextmanager
def model_call_span(
    provider: str, model: str, request: ModelRequest, temperature: float | None
) -> Iterator[CallRecord]:
    """`chat <model>`: one provider call, timed, reported to the loop's collector and traced."""
    from opentelemetry.trace import SpanKind

    record = CallRecord(provider, model)
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider,
        "gen_ai.system": provider,  # the older name, which many backends still read
        "gen_ai.request.model": model,
    }
    if temperature is not None:
        attributes["gen_ai.request.temperature"] = temperature
    if capture_content():
        attributes["gen_ai.input.messages"] = _input_messages(request)
    started = time.perf_counter()
    with tracer().start_as_current_span(
        f"chat {model}", kind=SpanKind.CLIENT, attributes=attributes
    ) as span:
        error: str | None = None
        try:
            yield record
        except Exception as failure:
            error = str(failure)
            raise
        finally:
            latency_ms = round((time.perf_counter() - started) * 1000)
            report_call(ModelCall(provider, model, latency_ms, **record.usage, error=error))
            _set_usage(span, record)


def _set_usage(span: Span, record: CallRecord) -> None:
    usage = record.usage
    if usage.get("input_tokens") is not None:
        span.set_attribute("gen_ai.usage.input_tokens", usage["input_tokens"])
    if usage.get("output_tokens") is not None:
        span.set_attribute("gen_ai.usage.output_tokens", usage["output_tokens"])
    if usage.get("cached_tokens") is not None:
        span.set_attribute("gen_ai.usage.cache_read.input_tokens", usage["cached_tokens"])
    if usage.get("finish_reason") is not None:
        span.set_attribute("gen_ai.response.finish_reasons", [usage["finish_reason"]])
    if record.output is not None and capture_content():
        span.set_attribute("gen_ai.output.messages", _output_messages(record.output))


def _input_messages(request: ModelRequest) -> str:
    roles = [("system", request.system), ("user", request.prompt)]
    messages = [
        {"role": role, "parts": [{"type": "text", "content": text}]} for role, text in roles if text
    ]
    return json.dumps(messages, ensure_ascii=False)


def _output_messages(output: ModelOutput) -> str:
    if isinstance(output, str):
        parts: list[dict[str, Any]] = [{"type": "text", "content": output}]
    else:
        calls = output.get("tool_calls", [output])
        parts = [{"type": "tool_call", **call} for call in calls]
    return json.dumps([{"role": "assistant", "parts": parts}], ensure_ascii=False, default=str)


def observe(log: logging.Logger, thread_id: str, events: Sequence[Any], status: str) -> None:
    """A log line per step, error and stop; errors and stops are events of the current span too
    (the steps have spans of their own)."""
    span = _recording_span()
    if span is not None and status != "running":  # where the run stopped; set once per run
        span.set_attribute("agentgen.thread.status", status)
    logging_steps = log.isEnabledFor(logging.INFO)
    if span is None and not logging_steps:
        return
    calls = [event for event in events if event.type == "model_call"]
    for event in events:
        plain_step = event.type == "tool_call" and event.awaiting is None
        line = _event_line(event, calls) if logging_steps or not plain_step else None
        if line is None:
            continue
        level, name, text = line
        log.log(level, "%s: %s", thread_id, text)
        if span is not None and name != "agentgen.step":
            span.add_event(name, {"agentgen.text": text})


def _recording_span() -> Span | None:
    """The current span if an SDK records it (never before the first agent span is made)."""
    if not _tracers:
        return None
    from opentelemetry import trace

    span = trace.get_current_span()
    return span if span.is_recording() else None


def _event_line(event: Any, calls: Sequence[Any]) -> tuple[int, str, str] | None:
    """(log level, span event name, text) for the events a person follows; None for others."""
    if event.type == "tool_call":
        text = call_text(event.call.model_dump(mode="json"))
        if event.awaiting is not None:
            return logging.INFO, "agentgen.pause", f"{text}, awaiting {event.awaiting}"
        return logging.INFO, "agentgen.step", text + "".join(f" [{_call_note(c)}]" for c in calls)
    if event.type == "error":
        return logging.WARNING, "agentgen.error", f"{event.source} error: {event.message}"
    if event.type == "escalation":
        return logging.WARNING, "agentgen.pause", f"escalated: {event.reason}"
    if event.type == "thread_paused":
        return logging.INFO, "agentgen.pause", f"paused: {event.reason}"
    return None


def _call_note(call: Any) -> str:
    tokens = f", {call.input_tokens} in / {call.output_tokens} out" if call.input_tokens else ""
    return f"{call.provider}:{call.model} {call.latency_ms} ms{tokens}"


def call_text(call: dict[str, Any] | None) -> str:
    """`add(a=3, b=4)`: a call as one short line."""
    if call is None:
        return "no valid step"
    args = ", ".join(
        f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in call.items() if k != "intent"
    )
    return f"{call['intent']}({args})"
