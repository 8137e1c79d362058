"""The deploy_bot app with its /ui inbox, served for real on 127.0.0.1, and a person's client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

from agentgen.runtime import ScriptedModel, SqliteStore
from generated.deploy_bot import handlers
from generated.deploy_bot.http import create_app
from tests.asgi_server import serving

TOKEN = "inbox-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
VARS = {"service": "shop", "environments": ["staging", "production"]}
TAGS = ["v1.4.2", "v1.4.1"]
DEPLOY = {"intent": "deploy_backend", "tag": "v1.4.2", "environment": "production"}
HEALTH = {"intent": "check_health", "environment": "production"}
ASK = {"intent": "request_more_information", "message": "Which tag: v1.4.2 or v1.4.1?"}
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


class Inbox:
    """A running deploy_bot app: its URL, its scripted model and what git's tags are."""

    def __init__(self, base: str, model: ScriptedModel, tags: list[str]) -> None:
        self.base, self.model, self.tags = base, model, tags
        self.api = httpx.Client(base_url=base, headers=AUTH, timeout=30)

    def launch(self, *steps: dict[str, Any], message: str = "ship it") -> dict[str, Any]:
        """A thread started over the JSON API, the model answering with `steps`."""
        self.model.add(*steps)
        response = self.api.post("/threads", json={"message": message, "vars": VARS})
        assert response.status_code == 201, response.text
        thread: dict[str, Any] = response.json()
        return thread

    def thread(self, thread_id: str) -> dict[str, Any]:
        """The thread as GET /threads/{id} gives it."""
        response = self.api.get(f"/threads/{thread_id}")
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found


@contextmanager
def inbox_app(folder: Path) -> Iterator[Inbox]:
    """deploy_bot with /ui on, a SQLite store in `folder`, and its own handlers (git's tags
    faked); AGENTGEN_API_TOKEN must be TOKEN."""
    model, tags = ScriptedModel([]), list(TAGS)
    own = {name: getattr(handlers, name) for name in _TOOLS}
    fakes = SimpleNamespace(**own, list_git_tags=lambda call: tags[: call.limit])
    app = create_app(model=model, store=SqliteStore(folder / "threads.db"), handlers=fakes, ui=True)
    with serving(app) as base:
        yield Inbox(base, model, tags)


_TOOLS = ("list_recent_commits", "deploy_backend", "deploy_frontend", "check_health", "rollback")


def signed_in(base: str) -> tuple[httpx.Client, str]:
    """A client signed in to the inbox the way a browser is (cookies), and its CSRF token."""
    client = httpx.Client(base_url=base, timeout=30)
    form = client.get("/ui/login")
    sign_in = {"csrf": csrf_of(form.text), "token": TOKEN, "next": ""}
    answer = client.post("/ui/login", data=sign_in)
    assert answer.status_code == 303, answer.text
    return client, csrf_of(client.get("/ui").text)


def csrf_of(page: str) -> str:
    """The CSRF token a page's forms carry."""
    found = _CSRF.search(page)
    assert found is not None, page
    return found.group(1)
