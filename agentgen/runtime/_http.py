"""HTTP plumbing every agent's `http.py` shares: auth, JSON bodies and errors, callbacks."""

from __future__ import annotations

import hmac
import json
import logging
import os
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse

from ._base import AgentgenError

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
_log = logging.getLogger("agentgen.http")


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
    if scheme.lower() != "bearer" or not hmac.compare_digest(credentials.encode(), token.encode()):
        raise HttpError(401, "missing or wrong bearer token")


async def read_json_object(request: Request) -> dict[str, Any]:
    """The request's JSON object body, within the size limit (AGENTGEN_MAX_BODY_BYTES)."""
    limit = int(os.environ.get("AGENTGEN_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HttpError(413, f"request body larger than {limit} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HttpError(413, f"request body larger than {limit} bytes")
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise HttpError(400, f"request body is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise HttpError(400, "request body must be a JSON object")
    return data


async def post_callback(url: str | None, payload: dict[str, Any]) -> None:
    """POST the thread to a callback URL; a failing callback is logged, never fatal."""
    target = url or os.environ.get("AGENTGEN_CALLBACK_URL")
    if not target:
        return
    try:
        async with httpx.AsyncClient(timeout=5.0) as client:
            response = await client.post(target, json=payload)
            response.raise_for_status()
    except httpx.HTTPError as error:
        _log.warning("callback to %s failed: %s", target, error)
