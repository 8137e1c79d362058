"""agentgen_error_response: every runtime error becomes `{"error": message}` with its status."""

from __future__ import annotations

import logging

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from agentgen.runtime import (
    AgentgenError,
    HandlerNotImplemented,
    HttpError,
    IncompatibleThread,
    ModelNotConfigured,
    ModelUnavailable,
    ResponseRefused,
    ScriptExhausted,
    ThreadConflict,
    ThreadNotFound,
    agentgen_error_response,
)

CASES = [
    (ThreadNotFound("t-1"), 404),
    (ThreadConflict("thread 't-1' was changed by another writer"), 409),
    (ResponseRefused("no call is pending"), 409),
    (IncompatibleThread("written by version 2"), 409),
    (ModelUnavailable("openai:gpt-4o: HTTP 502: bad gateway"), 503),
    (ModelNotConfigured("no API key for openai:gpt-4o"), 503),
    (ScriptExhausted("ScriptedModel has no steps left (it was given 0)"), 500),
    (HandlerNotImplemented("add"), 500),
    (AgentgenError("something the runtime did not expect"), 500),
    (HttpError(413, "request body larger than 10 bytes"), 413),
    (HttpError(400, "request body is not JSON"), 400),
]


def client_raising(error: Exception) -> TestClient:
    """A client of an app whose one route raises `error`, handled by agentgen_error_response."""

    async def fail(request: Request) -> Response:
        raise error

    app = Starlette(
        routes=[Route("/fail", fail)],
        exception_handlers={AgentgenError: agentgen_error_response},  # type: ignore[dict-item]
    )
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(("error", "status"), CASES, ids=lambda case: type(case).__name__)
def test_each_error_gets_its_status_and_its_message(error: AgentgenError, status: int) -> None:
    response = client_raising(error).get("/fail")
    assert response.status_code == status == error.http_status
    assert response.json() == {"error": str(error)}
    assert "www-authenticate" not in response.headers


def test_an_http_error_keeps_its_message_and_401_says_how_to_authenticate() -> None:
    error = HttpError(401, "missing or wrong bearer token")
    response = client_raising(error).get("/fail")
    assert (error.status, error.message) == (401, "missing or wrong bearer token")
    assert response.status_code == 401
    assert response.json() == {"error": "missing or wrong bearer token"}
    assert response.headers["www-authenticate"] == "Bearer"


def test_an_unexpected_error_is_logged_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="agentgen.http"):
        client_raising(HandlerNotImplemented("add")).get("/fail")
        client_raising(ThreadNotFound("t-1")).get("/fail")
    # only this logger's records: another test's leftover task may log to asyncio meanwhile
    records = [record for record in caplog.records if record.name == "agentgen.http"]
    assert [record.getMessage() for record in records] == ["GET /fail failed"]
    assert isinstance(records[0].exc_info, tuple)
    assert records[0].exc_info[0] is HandlerNotImplemented


def test_an_error_that_is_no_agentgen_error_is_left_to_the_server() -> None:
    response = client_raising(KeyError("x")).get("/fail")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
