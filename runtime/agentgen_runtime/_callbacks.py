"""Callbacks: which URLs a client may name; delivery off the request path, retried and signed."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from ._ids import new_id

CALLBACK_ATTEMPTS = 4
"""Tries per callback: the first, then retries after 0.5 s, 1 s and 2 s (about 3.5 s of waits)."""
CALLBACK_BACKOFF_S = 0.5
CALLBACK_TIMEOUT_S = 5.0
MAX_CALLBACK_URL_CHARS = 2048
SIGNATURE_HEADER = "X-Agentgen-Signature"
DELIVERY_HEADER = "X-Agentgen-Delivery"
_DRAIN_TIMEOUT_S = 10.0
_log = logging.getLogger("agentgen.http")


def check_callback_url(url: str) -> str:
    """A client's `callback_url`, refused unless its host is in AGENTGEN_CALLBACK_HOSTS."""
    try:
        parsed = httpx.URL(url)  # the parser that sends it, so the check and the POST agree
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise PydanticCustomError("callback_url", "callback_url must be an http or https URL")
    allowed = callback_hosts()
    if not allowed:
        raise PydanticCustomError(
            "callback_url",
            "callback_url is refused: the server allows no callback hosts "
            "(AGENTGEN_CALLBACK_HOSTS is not set)",
        )
    host = parsed.host.lower()
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    if host not in allowed and f"{host}:{port}" not in allowed:
        raise PydanticCustomError(
            "callback_url",
            "callback host '{host}' is not in AGENTGEN_CALLBACK_HOSTS",
            {"host": host},
        )
    return url


def callback_hosts() -> frozenset[str]:
    """AGENTGEN_CALLBACK_HOSTS: comma-separated hosts, each `name` (any port) or `name:port`."""
    listed = os.environ.get("AGENTGEN_CALLBACK_HOSTS", "")
    return frozenset(host.strip().lower() for host in listed.split(",") if host.strip())


def signature(body: bytes, secret: str) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the exact body bytes, keyed by the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def callback_request(payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """The body bytes and headers of one callback (signed when AGENTGEN_CALLBACK_SECRET is set)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    # one id for every attempt, so a receiver can drop the duplicate a retry may bring
    headers = {"Content-Type": "application/json", DELIVERY_HEADER: new_id("delivery_")}
    secret = os.environ.get("AGENTGEN_CALLBACK_SECRET")
    if secret:
        headers[SIGNATURE_HEADER] = signature(body, secret)
    return body, headers


async def deliver(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    attempts: int = CALLBACK_ATTEMPTS,
    backoff_s: float = CALLBACK_BACKOFF_S,
) -> bool:
    """POST until a 2xx, retrying errors, 429 and 5xx with doubling waits; whether it arrived."""
    # no redirects: a 3xx must not lead the server to a host nobody allowed
    async with httpx.AsyncClient(timeout=CALLBACK_TIMEOUT_S, follow_redirects=False) as client:
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(backoff_s * 2 ** (attempt - 1))
            try:
                response = await client.post(url, content=body, headers=headers)
            except (httpx.HTTPError, httpx.InvalidURL) as error:
                _log.warning("callback to %s failed (try %d): %s", _shown(url), attempt + 1, error)
                continue
            if response.is_success:
                return True
            status = response.status_code
            _log.warning("callback to %s answered %d (try %d)", _shown(url), status, attempt + 1)
            if status != 429 and status < 500:
                return False  # the receiver refused it: sending it again will not help
    return False


def _shown(url: str) -> str:
    """The URL without its query, which may hold the receiver's own token, for the log."""
    return url.partition("?")[0]


CallbackUrl = Annotated[
    str, Field(max_length=MAX_CALLBACK_URL_CHARS), AfterValidator(check_callback_url)
]
"""A client's `callback_url`: at most 2048 characters, http(s), to a host the operator allows."""


class CallbackSender:
    """Sends callbacks in tasks it keeps, so that a request never waits for the receiver."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[bool]] = set()

    def send(self, url: str | None, payload: dict[str, Any]) -> asyncio.Task[bool] | None:
        """Start delivering `payload` to `url` (else AGENTGEN_CALLBACK_URL); None when neither."""
        target = url or os.environ.get("AGENTGEN_CALLBACK_URL")
        if not target:
            return None
        body, headers = callback_request(payload)
        task = asyncio.get_running_loop().create_task(deliver(target, body, headers))
        self.tasks.add(task)  # a task nobody references may be garbage-collected mid-flight
        task.add_done_callback(self.tasks.discard)
        return task

    async def drain(self, timeout_s: float = _DRAIN_TIMEOUT_S) -> None:
        """Wait (at most `timeout_s`) for the callbacks under way, then cancel what is left."""
        if not self.tasks:
            return
        _, late = await asyncio.wait(set(self.tasks), timeout=timeout_s)
        for task in late:
            task.cancel()

    @asynccontextmanager
    async def lifespan(self, app: object) -> AsyncIterator[None]:
        """A Starlette lifespan: on shutdown, let the callbacks under way finish."""
        del app
        yield
        await self.drain()


async def post_callback(url: str | None, payload: dict[str, Any]) -> None:
    """POST the thread to `url` (else AGENTGEN_CALLBACK_URL) and wait: retried, signed, logged."""
    target = url or os.environ.get("AGENTGEN_CALLBACK_URL")
    if target:
        await deliver(target, *callback_request(payload))
