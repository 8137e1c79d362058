"""The /ui inbox in a real browser: Chromium, headless, driven by Playwright.

The Chromium is $AGENTGEN_CHROMIUM, else `chromium` on the PATH (Debian's package); Playwright's
own browser download is never needed. No Chromium, or one that does not start, fails these tests
with the reason: they are never skipped. AGENTGEN_UPDATE_SCREENSHOTS=1 rewrites
docs/ui-inbox.png, the README's picture of the inbox.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.inbox_app import ASK, DEPLOY, HEALTH, TOKEN, Inbox, inbox_app, signed_in

CHROMIUM_ENV = "AGENTGEN_CHROMIUM"
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "ui-inbox.png"
FRONTEND = {"intent": "deploy_frontend", "tag": "v1.4.2", "environment": "production"}
XSS = "<script>window.pwned = true</script>"
XSS_IMG = '<img src="x" onerror="window.pwned = true">'


def chromium_path() -> str:
    """The Chromium to drive: $AGENTGEN_CHROMIUM, else `chromium` on the PATH."""
    path = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium")
    if not path:
        pytest.fail(f"no Chromium: install Debian's chromium, or set {CHROMIUM_ENV} to one")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    path = chromium_path()
    with sync_playwright() as playwright:
        try:
            started = playwright.chromium.launch(executable_path=path, headless=True)
        except PlaywrightError as error:
            pytest.fail(f"Chromium at {path} did not start: {error.message}")
        yield started
        started.close()


@pytest.fixture
def inbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    monkeypatch.setenv("AGENTGEN_API_TOKEN", TOKEN)
    monkeypatch.delenv("AGENTGEN_AUTH", raising=False)
    monkeypatch.delenv("AGENTGEN_CALLBACK_URL", raising=False)
    with inbox_app(tmp_path) as running:
        yield running


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


def sign_in(page: Page, inbox: Inbox, path: str = "/ui") -> None:
    """Open `path`, which asks to sign in first, and sign in with the API token."""
    page.goto(inbox.base + path)
    expect(page.get_by_role("heading", name="Sign in to the inbox")).to_be_visible()
    page.get_by_label("API token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()


def test_the_inbox_lists_what_waits_for_a_person_newest_first(
    inbox: Inbox, page: Page, tmp_path: Path
) -> None:
    staging = {"intent": "deploy_backend", "tag": "v1.4.1", "environment": "staging"}
    ok = {"intent": "done_for_now", "message": "ok"}
    assert inbox.launch(staging, {**HEALTH, "environment": "staging"}, ok)["status"] == "done"
    inbox.launch({"intent": "list_git_tags", "limit": 2}, DEPLOY)
    inbox.launch(FRONTEND, message="ship the frontend")
    question = inbox.launch(ASK, message="ship the release")
    sign_in(page, inbox)
    rows = page.locator("table.inbox tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Which tag: v1.4.2 or v1.4.1?")  # newest first
    expect(rows.nth(0)).to_contain_text(question["id"])
    expect(rows.nth(2)).to_contain_text("Deploy the backend at v1.4.2 to production")
    expect(rows.nth(2)).to_contain_text("deploy_bot")
    expect(rows.nth(2).locator("td.waited")).to_have_text("under a minute")
    expect(page.locator("ul.others")).to_contain_text("done (done_for_now)")
    update = os.environ.get("AGENTGEN_UPDATE_SCREENSHOTS") == "1"
    page.screenshot(path=SCREENSHOT if update else tmp_path / "inbox.png", full_page=True)
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "docs/ui-inbox.png is committed"


def test_a_production_deploy_waits_with_its_summary_and_finishes_once_approved(
    inbox: Inbox, page: Page
) -> None:
    deploy = inbox.launch({"intent": "list_git_tags", "limit": 2}, DEPLOY)
    sign_in(page, inbox)
    row = page.locator("table.inbox tbody tr")
    expect(row).to_contain_text("Deploy the backend at v1.4.2 to production")
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Approve deploy_backend?")).to_be_visible()
    current = page.locator('li.state[aria-current="step"]')
    expect(current).to_contain_text("planning")
    expect(current).to_contain_text("this thread is here")
    expect(page.locator("ol.events")).to_contain_text("list_git_tags returned")
    inbox.model.add(HEALTH, {"intent": "done_for_now", "message": "v1.4.2 is live"})
    page.get_by_label("Comment (optional)").first.fill("go ahead")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Approved. The thread is now done.")
    expect(page.locator("ol.events")).to_contain_text("v1.4.2 is live")
    done = inbox.thread(deploy["id"])
    assert done["status"] == "done"
    [approval] = [event for event in done["events"] if event["type"] == "approval"]
    assert (approval["approved"], approval["comment"]) == (True, "go ahead")


def test_a_question_is_answered_and_a_finished_thread_gets_more_work(
    inbox: Inbox, page: Page
) -> None:
    thread = inbox.launch(ASK)
    sign_in(page, inbox, f"/ui/threads/{thread['id']}")  # back to the thread once signed in
    expect(page.locator("section.ask")).to_contain_text("Which tag: v1.4.2 or v1.4.1?")
    inbox.model.add({"intent": "done_for_now", "message": "Deploying v1.4.1 needs approval."})
    page.get_by_label("Your answer").fill("v1.4.1, to staging")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_role("status")).to_have_text("Answer sent. The thread is now done.")
    answered = inbox.thread(thread["id"])
    assert [e["text"] for e in answered["events"] if e["type"] == "human_response"] == [
        "v1.4.1, to staging"
    ]
    inbox.model.add({"intent": "done_for_now", "message": "Nothing else to deploy."})
    page.get_by_label("Message to the agent").fill("anything else?")
    page.get_by_role("button", name="Send the message").click()
    expect(page.get_by_role("status")).to_have_text("Message sent. The thread is now done.")
    events = inbox.thread(thread["id"])["events"]
    assert [e["text"] for e in events if e["type"] == "user_message"][-1] == "anything else?"


def test_a_script_in_a_tool_result_is_shown_as_text_and_never_runs(
    inbox: Inbox, browser: Browser
) -> None:
    inbox.tags[:] = [XSS, XSS_IMG]
    thread = inbox.launch({"intent": "list_git_tags", "limit": 2}, ASK)
    # without the page's Content-Security-Policy: escaping alone must keep the script inert
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    sign_in(page, inbox, f"/ui/threads/{thread['id']}")
    results = page.locator("li.event.result")
    expect(results).to_contain_text(XSS)
    expect(results).to_contain_text(XSS_IMG)
    assert page.evaluate("window.pwned") is None
    assert page.locator("li.event.result script, li.event.result img").count() == 0
    context.close()
    headers = httpx.get(f"{inbox.base}/ui/login", timeout=10).headers
    assert headers["content-security-policy"].startswith("default-src 'self'; script-src 'none'")


def test_edited_args_are_checked_beside_their_field_then_run(inbox: Inbox, page: Page) -> None:
    thread = inbox.launch(DEPLOY)
    sign_in(page, inbox, f"/ui/threads/{thread['id']}")
    page.get_by_text("Approve with edited args").click()
    page.get_by_label("tag (required)").fill("")
    page.get_by_role("button", name="Approve with these args").click()
    field = page.locator(".field.invalid")
    expect(field).to_contain_text("tag")
    expect(field).to_contain_text("String should have at least 1 character")
    assert inbox.thread(thread["id"])["status"] == "awaiting_approval"
    inbox.model.add(HEALTH, {"intent": "done_for_now", "message": "v1.4.1 is live"})
    page.get_by_label("tag (required)").fill("v1.4.1")
    page.get_by_role("button", name="Approve with these args").click()
    expect(page.get_by_role("status")).to_have_text(
        "Approved with your edits. The thread is now done."
    )
    events = inbox.thread(thread["id"])["events"]
    [approval] = [event for event in events if event["type"] == "approval"]
    assert approval["edited"] == {**DEPLOY, "tag": "v1.4.1"}
    results = [event["result"] for event in events if event["type"] == "tool_result"]
    assert results[0]["url"] == "https://production.example.com"


def test_a_decision_on_a_call_someone_else_decided_says_so_and_changes_nothing(
    inbox: Inbox, page: Page
) -> None:
    thread = inbox.launch(DEPLOY)
    sign_in(page, inbox, f"/ui/threads/{thread['id']}")
    expect(page.get_by_role("button", name="Deny")).to_be_visible()
    inbox.model.add(HEALTH, {"intent": "done_for_now", "message": "live"})
    call_id = thread["pending"]["call_id"]
    approval = {"type": "approval", "call_id": call_id, "approved": True}
    assert inbox.api.post(f"/threads/{thread['id']}/responses", json=approval).status_code == 200
    decided = inbox.thread(thread["id"])
    page.get_by_label("Why not?").fill("not on a Friday")
    page.get_by_role("button", name="Deny").click()
    expect(page.get_by_role("alert")).to_contain_text("This call was already decided")
    assert inbox.thread(thread["id"]) == decided


def test_a_form_without_its_csrf_token_is_refused(inbox: Inbox) -> None:
    thread = inbox.launch(DEPLOY)
    client, csrf = signed_in(inbox.base)
    action = f"/ui/threads/{thread['id']}/approve"
    call = {"call_id": thread["pending"]["call_id"], "intent": "deploy_backend"}
    for form in (call, {**call, "csrf": "0" * 64}, {**call, "csrf": csrf[::-1]}):
        refused = client.post(action, data=form)
        assert refused.status_code == 403
        assert "did not come from this inbox" in refused.text
    # the cookie alone is not enough, and neither is a token without the cookie
    assert httpx.post(inbox.base + action, data={**call, "csrf": csrf}).status_code == 401
    assert inbox.thread(thread["id"])["events"] == thread["events"]  # nothing changed
    inbox.model.add(HEALTH, {"intent": "done_for_now", "message": "live"})
    accepted = client.post(action, data={**call, "csrf": csrf})
    assert accepted.status_code == 303
    assert inbox.thread(thread["id"])["status"] == "done"
