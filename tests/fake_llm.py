"""A scripted model server on 127.0.0.1 speaking the OpenAI and Anthropic wire formats, for tests.

Each request takes the next reply from one queue shared by both formats, so a fallback chain
(OpenAI first, Anthropic second) can be scripted in order. `tool_call` and `text` replies are
rendered in the format of the endpoint that was hit; `status`, `delay` and `malformed` are raw.

    with serving() as llm:
        llm.script(status(429), tool_call("add", {"a": 1, "b": 2}))
        model = OpenAIModel("gpt-test", base_url=llm.openai_url, api_key="test")
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Api = Literal["openai", "anthropic"]
ROUTES: dict[str, Api] = {"/v1/chat/completions": "openai", "/v1/messages": "anthropic"}


@dataclass(frozen=True)
class Raw:
    """What the server sends back, byte for byte."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Reply:
    """One scripted reply: a tool call, a text, or a raw response; optionally after a delay."""

    kind: Literal["tool_call", "text", "raw"]
    name: str = ""
    arguments: dict[str, Any] | str | None = None
    text: str = ""
    raw: Raw | None = None
    delay_s: float = 0.0
    usage: tuple[int, int, int] = (1, 1, 0)
    """The tokens the reply says it counted: input (cached ones included), output, cached."""

    def render(self, api: Api, model: str) -> Raw:
        """This reply in the wire format of `api`."""
        if self.raw is not None:
            return self.raw
        if api == "openai":
            return _json(200, _openai_body(self, model))
        return _json(200, _anthropic_body(self, model))


@dataclass(frozen=True)
class Recorded:
    """One request the server received."""

    path: str
    headers: dict[str, str]
    body: Any


Rule = Callable[[Recorded], Reply]
"""An answer made from the request, like a model that follows fixed rules."""


def tool_call(name: str, arguments: dict[str, Any] | str) -> Reply:
    """A call of the tool `name`; string arguments are sent as they are (OpenAI format only)."""
    return Reply("tool_call", name=name, arguments=arguments)


def text(content: str) -> Reply:
    """A plain assistant message."""
    return Reply("text", text=content)


def status(code: int, message: str = "scripted failure", retry_after_ms: int = 1) -> Reply:
    """An HTTP error in both formats' error shape; a tiny retry-after-ms keeps retries fast."""
    # not `retry-after: 0`: both SDKs read 0 as "no hint" and back off for about half a second
    body = {"type": "error", "error": {"type": "scripted_error", "message": message}}
    headers = (("retry-after-ms", str(retry_after_ms)),)
    return Reply("raw", raw=Raw(code, json.dumps(body).encode(), headers))


def malformed(body: bytes = b"<html>not json") -> Reply:
    """A 200 response whose body claims to be JSON but is not."""
    return Reply("raw", raw=Raw(200, body))


def with_usage(reply: Reply, input_tokens: int, output_tokens: int, cached: int = 0) -> Reply:
    """`reply`, reporting these token counts in each format's own usage fields."""
    return replace(reply, usage=(input_tokens, output_tokens, cached))


def delay(seconds: float, then: Reply | None = None) -> Reply:
    """`then` (a plain text by default) after `seconds`; longer than the client's timeout."""
    return replace(then if then is not None else text("too late"), delay_s=seconds)


class FakeLLM:
    """The server's script and what it received; use `serving()` to run one."""

    def __init__(self, base_url: str, stopping: threading.Event) -> None:
        self.base_url = base_url
        self.requests: list[Recorded] = []
        self._replies: list[Reply] = []
        self._rule: Rule | None = None
        self._lock = threading.Lock()
        self._stopping = stopping

    @property
    def openai_url(self) -> str:
        """The base_url for the OpenAI SDK (it appends /chat/completions)."""
        return self.base_url + "/v1"

    @property
    def anthropic_url(self) -> str:
        """The base_url for the Anthropic SDK (it appends /v1/messages)."""
        return self.base_url

    @property
    def remaining(self) -> int:
        """Replies not yet sent."""
        with self._lock:
            return len(self._replies)

    def script(self, *replies: Reply) -> None:
        """Queue replies, served one per request in order."""
        with self._lock:
            self._replies.extend(replies)

    def answer_by(self, rule: Rule | None) -> None:
        """Once the script is used up, answer each request with what `rule` makes of it."""
        with self._lock:
            self._rule = rule

    def take(self, recorded: Recorded) -> Reply | None:
        """Record a request and take the next reply (None when the script is exhausted)."""
        with self._lock:
            self.requests.append(recorded)
            if self._replies:
                return self._replies.pop(0)
            return self._rule(recorded) if self._rule is not None else None

    def wait(self, seconds: float) -> None:
        """Sleep, but wake up when the server stops."""
        self._stopping.wait(seconds)


@contextmanager
def serving() -> Iterator[FakeLLM]:
    """Run a FakeLLM on an ephemeral loopback port for the duration of the block."""
    stopping = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    fake = FakeLLM(f"http://127.0.0.1:{server.server_address[1]}", stopping)
    server.fake = fake  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield fake
    finally:
        stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        fake: FakeLLM = self.server.fake  # type: ignore[attr-defined]
        raw_body = self.rfile.read(int(self.headers.get("content-length", "0")))
        body = json.loads(raw_body) if raw_body else None
        headers = {key.lower(): value for key, value in self.headers.items()}
        reply = fake.take(Recorded(self.path, headers, body))
        api = ROUTES.get(self.path)
        if api is None:
            self._send(_json(404, {"error": {"message": f"fake_llm: no route {self.path}"}}))
        elif reply is None:
            # 418 is not retried by either SDK, so an exhausted script fails the test at once
            self._send(_json(418, {"error": {"message": "fake_llm: no scripted reply left"}}))
        else:
            fake.wait(reply.delay_s)
            try:
                raw = reply.render(api, str((body or {}).get("model", "")))
            except TypeError as error:
                raw = _json(418, {"error": {"message": f"fake_llm: {error}"}})
            self._send(raw)

    def _send(self, raw: Raw) -> None:
        try:
            self.send_response(raw.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw.body)))
            for key, value in raw.headers:
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nobody is listening

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


def _json(code: int, body: object) -> Raw:
    return Raw(code, json.dumps(body).encode())


def _openai_body(reply: Reply, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    finish = "stop"
    if reply.kind == "tool_call":
        arguments = reply.arguments
        encoded = arguments if isinstance(arguments, str) else json.dumps(arguments)
        function = {"name": reply.name, "arguments": encoded}
        message["tool_calls"] = [{"id": "call_fake_1", "type": "function", "function": function}]
        finish = "tool_calls"
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": reply.usage[0],
            "completion_tokens": reply.usage[1],
            "total_tokens": reply.usage[0] + reply.usage[1],
            "prompt_tokens_details": {"cached_tokens": reply.usage[2]},
        },
    }


def _anthropic_body(reply: Reply, model: str) -> dict[str, Any]:
    if reply.kind == "tool_call":
        if not isinstance(reply.arguments, dict):
            raise TypeError("Anthropic tool_use input is an object: pass a dict")
        block = {"type": "tool_use", "id": "toolu_fake_1", "name": reply.name}
        content = [{**block, "input": reply.arguments}]
        stop = "tool_use"
    else:
        content, stop = [{"type": "text", "text": reply.text}], "end_turn"
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {  # Anthropic counts the tokens read from the cache apart
            "input_tokens": reply.usage[0] - reply.usage[2],
            "output_tokens": reply.usage[1],
            "cache_read_input_tokens": reply.usage[2],
        },
    }
