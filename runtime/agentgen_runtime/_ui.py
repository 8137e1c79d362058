"""The /ui inbox: server-rendered pages where the people in the loop answer waiting threads.

Opt-in (AGENTGEN_UI=1, `serve --ui` or `create_app(ui=True)`), and only with AGENTGEN_API_TOKEN
set: people sign in with that token and get a signed session cookie (see _ui_auth.py). Every
form carries a CSRF token; every page is escaped Jinja2 under a Content-Security-Policy that
allows no script at all. A person's action is sent as the body `POST /threads/{id}/responses`
takes, to the app's own response handler: the same checks, the same refusals.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ._base import AgentgenError, ConfigurationError
from ._errors import problem_text
from ._http import HttpError, path_thread_id, read_body
from ._refusals import IncompatibleThread, ResponseRefused
from ._stores import ThreadNotFound
from ._ui_auth import (
    LOGIN,
    LOGIN_COOKIE,
    LOGIN_S,
    SESSION,
    SESSION_COOKIE,
    SESSION_S,
    cookie_id,
    csrf_matches,
    csrf_token,
    new_cookie,
    token_matches,
    ui_key,
)
from ._ui_forms import FormField, edit_fields, has_problems, read_fields, with_problems
from ._ui_view import Ask, InboxAgent, ask_of, entries, picture, waited

if TYPE_CHECKING:
    from jinja2 import Environment

UI_ENV = "AGENTGEN_UI"
LoadThread = Callable[[str], Awaitable[dict[str, Any]]]
"""A thread as its JSON (`thread_json`) plus its `current_state`."""
Respond = Callable[[str, dict[str, Any]], Awaitable[object]]
"""The app's handler of a `POST /threads/{id}/responses` body, for the thread `id`."""
ThreadIds = Callable[[], Awaitable[list[str]]]
Page = Callable[["_Visit"], Awaitable[Response]]

# No script may run on these pages, inline or not; styles come from the app's own stylesheet.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # the pages show what threads hold
}
MAX_OTHERS = 100
MAX_FORM_FIELDS = 500
_ON, _OFF = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}
_DONE = {
    "approve": "Approved.",
    "deny": "Denied.",
    "edit": "Approved with your edits.",
    "answer": "Answer sent.",
    "message": "Message sent.",
    "continue": "Continued.",
}
_EARLIEST = datetime.min.replace(tzinfo=UTC)


def ui_enabled(ui: bool | None = None) -> bool:
    """Whether the app serves /ui: `ui` when given, else AGENTGEN_UI (1/0, true/false, ...)."""
    if ui is not None:
        return ui
    text = os.environ.get(UI_ENV, "").strip().lower()
    if text in _ON or text in _OFF:
        return text in _ON
    raise ConfigurationError(f"{UI_ENV} must be 1 or 0, not {text!r}")


def inbox_routes(
    agent: InboxAgent, *, threads: ThreadIds, load: LoadThread, respond: Respond
) -> list[Route]:
    """The routes of the inbox under /ui, for the app of `agent`."""
    return _Inbox(agent, threads, load, respond).routes()


@dataclass(frozen=True)
class _Visit:
    """A signed-in request: its CSRF token and, for a POST, its form's fields."""

    request: Request
    csrf: str
    form: Mapping[str, str]


@dataclass(frozen=True)
class _Row:
    """A thread in the inbox's lists."""

    id: str
    status: str
    ended_by: str | None
    ask: Ask | None
    waited: str


class _FormProblem(AgentgenError):
    """A form that cannot be sent as it is: shown again with what is wrong."""

    http_status = 422

    def __init__(self, message: str, fields: tuple[FormField, ...] | None = None) -> None:
        super().__init__(message)
        self.fields = fields


class _Inbox:
    """The inbox's pages for one agent."""

    def __init__(
        self, agent: InboxAgent, threads: ThreadIds, load: LoadThread, respond: Respond
    ) -> None:
        self.agent, self.threads, self.load, self.respond = agent, threads, load, respond

    def routes(self) -> list[Route]:
        return [
            Route("/ui", self.guard(self.inbox), methods=["GET"]),
            Route("/ui/static/inbox.css", stylesheet, methods=["GET"]),
            Route("/ui/login", self.login_form, methods=["GET"]),
            Route("/ui/login", self.login, methods=["POST"]),
            Route("/ui/logout", self.guard(logout, form=True), methods=["POST"]),
            Route("/ui/threads/{thread_id}", self.guard(self.thread_page), methods=["GET"]),
            Route(
                "/ui/threads/{thread_id}/{action}",
                self.guard(self.act, form=True),
                methods=["POST"],
            ),
        ]

    def guard(self, page: Page, *, form: bool = False) -> Callable[[Request], Awaitable[Response]]:
        """`page` for a signed-in person only; a form only with its session's CSRF token."""

        async def endpoint(request: Request) -> Response:
            key = ui_key()
            if key is None:
                return no_token(request)
            session = cookie_id(key, SESSION, request.cookies.get(SESSION_COOKIE))
            if session is None and not form:
                return _redirect(request, "/login" + _next_query(request))
            if session is None:
                return message(request, 401, "Sign in first", "Your session has ended.")
            try:
                fields = await read_form(request) if form else {}
                if form and not csrf_matches(key, session, fields.get("csrf", "")):
                    return message(request, 403, "Form refused", _CSRF_REFUSED, signed_in=True)
                return await page(_Visit(request, csrf_token(key, session), fields))
            except AgentgenError as error:
                return message(request, error.http_status, "Not done", str(error), signed_in=True)

        return endpoint

    async def login_form(self, request: Request) -> Response:
        """The sign-in form; a fresh sign-in cookie carries the id its CSRF token is made from."""
        key = ui_key()
        if key is None:
            return no_token(request)
        cookie = request.cookies.get(LOGIN_COOKIE)
        ident = cookie_id(key, LOGIN, cookie)
        if ident is None:
            cookie = new_cookie(key, LOGIN, LOGIN_S)
            ident = cookie_id(key, LOGIN, cookie)
        assert ident is not None and cookie is not None  # a fresh cookie always reads back
        after = _next_page(request.query_params.get("next"))
        response = render(
            request, "login.html", csrf=csrf_token(key, ident), next=after, problem=None
        )
        _set_cookie(request, response, LOGIN_COOKIE, cookie, LOGIN_S)
        return response

    async def login(self, request: Request) -> Response:
        """Exchange the API token for a session cookie."""
        key = ui_key()
        if key is None:
            return no_token(request)
        try:
            form = await read_form(request)
        except AgentgenError as error:
            return message(request, error.http_status, "Not signed in", str(error))
        ident = cookie_id(key, LOGIN, request.cookies.get(LOGIN_COOKIE))
        if ident is None or not csrf_matches(key, ident, form.get("csrf", "")):
            return message(request, 403, "Form refused", _CSRF_REFUSED)
        after = _next_page(form.get("next"))
        if not token_matches(form.get("token", "")):
            csrf, problem = csrf_token(key, ident), "That is not the API token."
            return render(request, "login.html", 401, csrf=csrf, next=after, problem=problem)
        response = _redirect(request, after)
        _set_cookie(
            request, response, SESSION_COOKIE, new_cookie(key, SESSION, SESSION_S), SESSION_S
        )
        response.delete_cookie(LOGIN_COOKIE, path=_base(request))
        return response

    async def inbox(self, visit: _Visit) -> Response:
        """The threads waiting for a person, newest first, then the others."""
        waiting, others = await self.listing()
        return render(
            visit.request,
            "inbox.html",
            csrf=visit.csrf,
            agent=self.agent,
            waiting=waiting,
            others=others[:MAX_OTHERS],
            more=max(len(others) - MAX_OTHERS, 0),
        )

    async def listing(self) -> tuple[list[_Row], list[_Row]]:
        """This agent's threads: those waiting for a person (newest first), then the others."""
        now = datetime.now(UTC)
        waiting: list[_Row] = []
        others: list[_Row] = []
        for thread_id in await self.threads():
            thread = await self.readable(thread_id)
            if thread is None:
                continue
            ask = ask_of(self.agent, thread)
            since = waited(ask.asked_at, now) if ask is not None else ""
            row = _Row(thread_id, thread["status"], thread.get("ended_by"), ask, since)
            (waiting if ask is not None else others).append(row)
        waiting.sort(key=_asked_at, reverse=True)
        others.sort(key=lambda row: (row.status, row.id))
        return waiting, others

    async def readable(self, thread_id: str) -> dict[str, Any] | None:
        """The thread, or None when it is not this agent's (another agent's, or unreadable)."""
        try:
            return await self.own_thread(thread_id)
        except (ThreadNotFound, IncompatibleThread):
            return None

    async def own_thread(self, thread_id: str) -> dict[str, Any]:
        """The thread as JSON; ThreadNotFound for a thread another agent started."""
        thread = await self.load(thread_id)
        events = thread.get("events") or [{}]
        if events[0].get("agent") not in (None, self.agent.name):  # a store agents share
            raise ThreadNotFound(thread_id)
        return thread

    async def thread_page(self, visit: _Visit) -> Response:
        """One thread: what it waits for, how to answer, the agent's picture and its events."""
        done = _DONE.get(visit.request.query_params.get("done", ""))
        return await self.show(visit, path_thread_id(visit.request), notice=done)

    async def show(
        self,
        visit: _Visit,
        thread_id: str,
        status: int = 200,
        *,
        notice: str | None = None,
        problem: str | None = None,
        fields: tuple[FormField, ...] | None = None,
    ) -> Response:
        """The thread's page as it stands now, with a notice or a problem at the top."""
        thread = await self.own_thread(thread_id)
        ask = ask_of(self.agent, thread)
        return render(
            visit.request,
            "thread.html",
            status,
            csrf=visit.csrf,
            agent=self.agent,
            thread=thread,
            ask=ask,
            waited=waited(ask.asked_at, datetime.now(UTC)) if ask is not None else "",
            fields=fields if fields is not None else self.fields(ask),
            editing=fields is not None,  # shown again with problems: the edit form stays open
            entries=entries(thread.get("events") or []),
            picture=picture(self.agent, thread.get("current_state")),
            notice=notice,
            problem=problem,
        )

    def fields(self, ask: Ask | None) -> tuple[FormField, ...]:
        """The edit form of a call waiting for approval here; () when it cannot be edited here."""
        if ask is None or ask.kind != "approval" or ask.child_thread is not None:
            return ()  # a call in a sub-agent's thread has that agent's schema, not this one's
        spec = self.agent.intents.get(ask.intent)
        return edit_fields(spec.parameters, ask.args) if spec is not None else ()

    async def act(self, visit: _Visit) -> Response:
        """A person's action: sent as a response body to the app's own response handler."""
        thread_id = path_thread_id(visit.request)
        action = visit.request.path_params["action"]
        if action not in _DONE:
            raise HttpError(404, f"no action {action!r}")
        thread = await self.own_thread(thread_id)
        try:
            body = self.body(action, visit.form, ask_of(self.agent, thread))
            await self.respond(thread_id, body)
        except _FormProblem as problem:
            return await self.show(
                visit, thread_id, 422, problem=str(problem), fields=problem.fields
            )
        except ResponseRefused as refusal:
            return await self.refused(visit, thread_id, refusal)
        except ValidationError as error:  # the body's own checks: a text too long, say
            texts = "; ".join(problem_text(e["loc"][1:], e["msg"]) for e in error.errors())
            return await self.show(visit, thread_id, 422, problem=f"Not sent: {texts}")
        path = f"/threads/{quote(thread_id, safe='')}?done={action}"
        return _redirect(visit.request, path)

    def body(self, action: str, form: Mapping[str, str], ask: Ask | None) -> dict[str, Any]:
        """The JSON body of `POST /threads/{id}/responses` for a person's action."""
        call_id, comment = form.get("call_id", ""), form.get("comment", "").strip() or None
        match action:
            case "approve":
                return _approval(call_id, True, comment)
            case "deny":
                if comment is None:
                    raise _FormProblem("Say why it is denied: the agent reads your comment.")
                return _approval(call_id, False, comment)
            case "edit":
                return _approval(call_id, True, comment, self.edits(form, ask))
            case "answer":
                return {"type": "human_response", "call_id": call_id, "text": form.get("text", "")}
            case "message":
                return {"type": "user_message", "text": form.get("text", "")}
            case _:
                return {"type": "resume"}

    def edits(self, form: Mapping[str, str], ask: Ask | None) -> dict[str, Any] | None:
        """The args the person changed, read from the edit form; None when none changed."""
        if ask is None or ask.call_id != form.get("call_id"):
            return None  # no longer the pending call: `resume` refuses it, edited or not
        values, shown = read_fields(self.fields(ask), form)
        if has_problems(shown):
            raise _FormProblem("Some values cannot be used: see beside each field.", shown)
        changed = {name: value for name, value in values.items() if ask.args.get(name) != value}
        return changed or None

    async def refused(self, visit: _Visit, thread_id: str, refusal: ResponseRefused) -> Response:
        """The thread as it stands, saying why nothing changed."""
        thread = await self.own_thread(thread_id)
        ask = ask_of(self.agent, thread)
        call_id = visit.form.get("call_id")
        if call_id and (ask is None or ask.call_id != call_id):
            return await self.show(visit, thread_id, 409, problem=_STALE)
        shown = None
        if refusal.problems and visit.request.path_params["action"] == "edit":
            _, submitted = read_fields(self.fields(ask), visit.form)
            shown = with_problems(submitted, refusal.problems)
        return await self.show(visit, thread_id, 409, problem=f"Refused: {refusal}", fields=shown)


_STALE = "This call was already decided (by someone else, or in another tab): nothing changed."
_CSRF_REFUSED = (
    "This form did not come from this inbox, or it has expired: reload the page and try again."
)


def _approval(
    call_id: str, approved: bool, comment: str | None, args: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "approval", "call_id": call_id, "approved": approved}
    body["comment"] = comment
    if args is not None:
        body["args"] = args
    return body


async def logout(visit: _Visit) -> Response:
    """Forget the session: the cookie goes (it is signed, so nothing else is kept)."""
    response = _redirect(visit.request, "/login")
    response.delete_cookie(SESSION_COOKIE, path=_base(visit.request))
    return response


async def stylesheet(request: Request) -> Response:
    """The inbox's one stylesheet, served by the app itself (the CSP allows nothing else)."""
    response = Response(_stylesheet(), media_type="text/css")
    response.headers.update({**SECURITY_HEADERS, "Cache-Control": "max-age=300"})
    return response


@functools.cache
def _stylesheet() -> str:
    return (resources.files(__package__) / "ui_templates" / "inbox.css").read_text("utf-8")


async def read_form(request: Request) -> dict[str, str]:
    """A POSTed form's fields (the first of repeated names), within the body size limit."""
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HttpError(415, "send the form as application/x-www-form-urlencoded")
    try:
        text = (await read_body(request)).decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except UnicodeDecodeError:
        raise HttpError(400, "the form is not UTF-8") from None
    except ValueError:  # more fields than any of these forms has
        raise HttpError(413, f"the form has more than {MAX_FORM_FIELDS} fields") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


def no_token(request: Request) -> Response:
    """The inbox refuses to serve without a token to sign in with (AGENTGEN_AUTH=none or not)."""
    text = (
        "This server has no AGENTGEN_API_TOKEN: the inbox is off. Set the variable, restart "
        "the server, and sign in with its value."
    )
    return message(request, 503, "The inbox needs a token", text)


def message(
    request: Request, status: int, title: str, text: str, *, signed_in: bool = False
) -> Response:
    """A page that only says something: a refusal, an error."""
    return render(request, "message.html", status, title=title, text=text, signed_in=signed_in)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page from ui_templates/, escaped, with the inbox's security headers."""
    context.setdefault("signed_in", "csrf" in context and template != "login.html")
    page = _templates().get_template(template).render(ui=_base(request), **context)
    return HTMLResponse(page, status_code=status, headers=SECURITY_HEADERS)


@functools.cache
def _templates() -> Environment:
    # here: an app that serves no page never loads Jinja2
    from jinja2 import Environment, PackageLoader, StrictUndefined

    # autoescape everywhere: every value a page shows comes from a thread, a person or a model
    environment = Environment(
        loader=PackageLoader(__package__ or "agentgen_runtime", "ui_templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["path"] = lambda text: quote(str(text), safe="")
    return environment


def _base(request: Request) -> str:
    """Where the inbox is: /ui under the app's root path."""
    return f"{request.scope.get('root_path', '')}/ui"


def _redirect(request: Request, path: str) -> Response:
    """303 (a GET) to a page of the inbox; `path` is relative to /ui."""
    return RedirectResponse(_base(request) + path, status_code=303, headers=SECURITY_HEADERS)


def _next_query(request: Request) -> str:
    """`?next=` the page asked for, relative to /ui: where signing in leads back to."""
    thread_id = request.path_params.get("thread_id")
    if not isinstance(thread_id, str):
        return ""  # the inbox itself, where signing in leads anyway
    return "?next=" + quote(f"/threads/{quote(thread_id, safe='')}", safe="")


def _next_page(text: str | None) -> str:
    """Where to go after signing in, relative to /ui: a page of the inbox, never another site."""
    if not text or not text.startswith("/threads/"):
        return ""
    unsafe = "//" in text or "\\" in text or not text.isprintable()
    return "" if unsafe else text


def _asked_at(row: _Row) -> datetime:
    return (row.ask.asked_at or _EARLIEST) if row.ask is not None else _EARLIEST


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    """An HttpOnly, SameSite=Strict cookie for the inbox's pages only (Secure over HTTPS)."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=_base(request),
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
