"""HTTP plumbing every agent's `http.py` shares: auth, JSON bodies and errors, input limits."""

from __future__ import annotations

import json
import logging
import math
import os
import re
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse

from ._base import AgentgenError
from ._follow import KEEPALIVE, follow_events, follow_poll_s, keepalive_s, sse_message
from ._limits import (
    MAX_ID_CHARS,
    MAX_INTEGER,
    MAX_JSON_DEPTH,
    ValueRefused,
    check_json_value,
)
from ._stores import Store, ThreadNotFound
from ._ui_auth import token_matches

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
_BODY = "request body"
_log = logging.getLogger("agentgen.http")
_SEQ = re.compile(r"-?[0-9]{1,19}")
# no caching of a live stream, and no buffering by a proxy in front (nginx honours this header)
_STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class HttpError(AgentgenError):
    """A request that gets a JSON error response with this status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.http_status = status
        self.message = message

    @property
    def status(self) -> int:
        """The response's status (the same as `http_status`)."""
        return self.http_status


def json_error(status: int, message: str) -> JSONResponse:
    """`{"error": message}` with the status; 401 also says how to authenticate."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def agentgen_error_response(request: Request, error: AgentgenError) -> JSONResponse:
    """The app's handler for every runtime error: `{"error": str(error)}` with its http_status."""
    if error.http_status == 500:  # a bug (not a refusal or an outage): keep its traceback
        _log.error("%s %s failed", request.method, request.url.path, exc_info=error)
    return json_error(error.http_status, str(error))


def check_auth(request: Request) -> None:
    """Require `Authorization: Bearer $AGENTGEN_API_TOKEN`, unless AGENTGEN_AUTH=none."""
    if os.environ.get("AGENTGEN_AUTH") == "none":
        return
    token = os.environ.get("AGENTGEN_API_TOKEN")
    if not token:
        raise HttpError(401, "the server has no AGENTGEN_API_TOKEN set (or set AGENTGEN_AUTH=none)")
    given = request.headers.get("authorization", "")
    scheme, _, credentials = given.partition(" ")
    if scheme.lower() != "bearer" or not token_matches(credentials):
        raise HttpError(401, "missing or wrong bearer token")


def path_thread_id(request: Request) -> str:
    """The path's `{thread_id}`; one no thread can have (too long, unprintable) is not found."""
    thread_id: str = request.path_params["thread_id"]
    # before any store sees it: PostgreSQL text cannot even hold the NUL of `/threads/%00`
    if len(thread_id) > MAX_ID_CHARS or not thread_id.isprintable():
        raise ThreadNotFound(thread_id[:MAX_ID_CHARS])
    return thread_id


def after_seq(request: Request) -> int:
    """Where an event stream starts: after `?after=`, else the Last-Event-ID header, else -1."""
    text = request.query_params.get("after")
    source = "after"
    if text is None:  # an EventSource that reconnects sends the last `id:` it saw
        text, source = request.headers.get("last-event-id", "").strip(), "Last-Event-ID"
        if not text:
            return -1
    if _SEQ.fullmatch(text) and -1 <= int(text) <= MAX_INTEGER:
        return int(text)
    raise HttpError(
        422, f"{source} must be the seq of an event (a whole number, -1 or more), not {text[:40]!r}"
    )


def event_stream(store: Store, thread_id: str, after: int = -1) -> StreamingResponse:
    """Server-Sent Events: each event of the thread after seq `after`, as any process appends it."""
    # read before the response begins, so that a bad setting is a 503 and not a broken stream
    messages = _sse_messages(store, thread_id, after, follow_poll_s(), keepalive_s())
    return StreamingResponse(messages, media_type="text/event-stream", headers=_STREAM_HEADERS)


async def _sse_messages(
    store: Store, thread_id: str, after: int, poll_s: float, keepalive_every_s: float
) -> AsyncIterator[str]:
    """The stream's text; it ends when the client goes (Starlette cancels it) or the store fails."""
    quiet_since = time.monotonic()
    try:
        async with aclosing(follow_events(store, thread_id, after, poll_s=poll_s)) as polls:
            async for batch in polls:
                if batch or time.monotonic() - quiet_since >= keepalive_every_s:
                    yield "".join(map(sse_message, batch)) or KEEPALIVE
                    quiet_since = time.monotonic()
    except AgentgenError as error:  # the response has begun: no status to give, so end it
        _log.warning("event stream of thread %r stopped: %s", thread_id, error)
        yield f": stopped: {' '.join(str(error).splitlines())}\n\n"  # the client reconnects


async def read_json_object(request: Request) -> dict[str, Any]:
    """The request's JSON object body, within the size limit and the limits of a thread's values."""
    body = await read_body(request)
    try:
        data = json.loads(body, parse_int=_json_int, parse_float=_json_float, parse_constant=_nan)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise HttpError(400, f"request body is not JSON: {error}") from None
    except RecursionError:  # deeper than the parser's stack: far beyond the limit
        raise ValueRefused(f"{_BODY} is nested deeper than {MAX_JSON_DEPTH} levels") from None
    if not isinstance(data, dict):
        raise HttpError(400, "request body must be a JSON object")
    check_json_value(data, _BODY)  # depth, lone surrogates: 422 before anything is stored
    return data


async def read_body(request: Request) -> bytes:
    """The body's bytes, or 413 past AGENTGEN_MAX_BODY_BYTES (checked as they arrive)."""
    limit = int(os.environ.get("AGENTGEN_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HttpError(413, f"request body larger than {limit} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HttpError(413, f"request body larger than {limit} bytes")
    return body


def _json_int(text: str) -> int:
    # the length first: int() of thousands of digits is slow, and past 4300 a bare ValueError
    if len(text.lstrip("-")) > 19 or abs(value := int(text)) > MAX_INTEGER:
        raise ValueRefused(f"{_BODY} holds an integer beyond 64 bits")
    return value


def _json_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e400 would be stored as Infinity, which JSON does not have
        raise ValueRefused(f"{_BODY} holds a number beyond the range of a float")
    return value


def _nan(text: str) -> float:
    raise HttpError(400, f"request body is not JSON: {text} is not a JSON value")
