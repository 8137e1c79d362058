"""What the OpenAI and Anthropic adapters share: API keys, loopback endpoints, compact failures."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import weakref
from collections.abc import Callable
from typing import Generic, Literal, Protocol, TypeVar
from urllib.parse import urlsplit

from ._base import AgentgenError
from ._errors import one_line
from ._models import ModelNotConfigured


class _Closable(Protocol):
    async def close(self) -> None: ...


C = TypeVar("C", bound=_Closable)
Provider = Literal["openai", "anthropic"]
PROVIDERS: tuple[Provider, ...] = ("openai", "anthropic")

KEY_ENVS: dict[Provider, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"),
}
"""The variables each SDK reads its credentials from by itself."""

BASE_URL_ENVS: dict[Provider, str] = {
    "openai": "OPENAI_BASE_URL",
    "anthropic": "ANTHROPIC_BASE_URL",
}
"""The variables each SDK reads its endpoint from by itself."""

LOOPBACK_KEY = "no-key-needed-on-loopback"
"""Sent to a local server (127.0.0.1, localhost) when no key is set: local servers ignore it."""


class ModelUnavailable(AgentgenError, RuntimeError):
    """No model answered: every endpoint failed, timed out or sent something unreadable."""

    http_status = 503


class PerLoop(Generic[C]):
    """An SDK client per event loop: its connection pool cannot outlive the loop that opened it.

    So one model can serve `asyncio.run(launch(...))` and a later `asyncio.run(resume(...))`.
    """

    def __init__(self, make: Callable[[], C]) -> None:
        self._make = make
        self.client = make()  # built now, so that bad settings fail at construction
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None

    async def get(self) -> C:
        """The client for the running loop."""
        loop = asyncio.get_running_loop()
        if self._loop is not None and self._loop() is not loop:
            stale, self.client = self.client, self._make()
            with contextlib.suppress(RuntimeError):  # its connections died with their loop
                await stale.close()
        self._loop = weakref.ref(loop)
        return self.client


def resolve_key(
    provider: Provider, label: str, key: str | None, key_env: str | None, base_url: str | None
) -> str | None:
    """The key to give the SDK; None lets the SDK read its own variable, which is set."""
    if key:
        return key
    if key_env is not None:
        names: tuple[str, ...] = (key_env,)
        if os.environ.get(key_env):
            return os.environ[key_env]
    else:
        names = KEY_ENVS[provider]
        if any(os.environ.get(name) for name in names):
            return None
    if is_loopback(base_url or os.environ.get(BASE_URL_ENVS[provider])):
        return LOOPBACK_KEY
    wanted = " or ".join(names)
    raise ModelNotConfigured(
        f"no API key for {label}: set the {wanted} environment variable "
        "(or point the base URL at a local server)"
    )


def is_loopback(url: str | None) -> bool:
    """Whether `url` names this machine (127.0.0.0/8, ::1 or localhost)."""
    host = urlsplit(url).hostname if url else None
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def unavailable(label: str, error: BaseException) -> ModelUnavailable:
    """A ModelUnavailable naming the model and, compactly, what went wrong."""
    return ModelUnavailable(f"{label}: {_detail(error)}")


def _detail(error: BaseException) -> str:
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        return f"HTTP {status}: {one_line(_server_message(error), 160)}"
    if isinstance(error, json.JSONDecodeError):  # the SDKs let a non-JSON body through as is
        return f"the response is not JSON ({error.msg}, char {error.pos})"
    first_sentence = str(error).split(". ")[0].rstrip(".")  # the SDKs' texts run on with advice
    return f"{type(error).__name__}: {one_line(first_sentence, 160)}"


def _server_message(error: BaseException) -> str:
    """The message in the error body both APIs send (`{"error": {"message": ...}}`), else str."""
    body = getattr(error, "body", None)
    inner = body.get("error", body) if isinstance(body, dict) else None
    message = inner.get("message") if isinstance(inner, dict) else None
    return message if isinstance(message, str) else str(error)
