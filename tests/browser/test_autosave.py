"""The score sheet saves a draft by itself in a real browser, keeps a copy of unsaved answers
on the device, puts it back after a failed save, and leaves a submitted sheet alone."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import Page, Route, expect
from sqlalchemy import select

from grantpanel.extensions import db
from grantpanel.models import ScoreSheet, utcnow
from tests.browser.conftest import LiveServer, check_accessibility
from tests.builders import make_member, make_round, make_user

EMAIL = "autosave-member@example.org"
PASSWORD = "correct horse battery"
SAVED = re.compile(r"^Draft saved at \d\d:\d\d$")


def _world(live_server: LiveServer) -> dict[str, Any]:
    with live_server.app.app_context():
        rnd = make_round(name="Warm Homes Fund 2026", state="open", applications=2)
        user = make_user(role="panel", email=EMAIL, name="Asha Member", password=PASSWORD)
        member = make_member(rnd, user, conflicts_checked_at=utcnow())
        db.session.commit()
        return {
            "round_id": rnd.id,
            "membership_id": member.id,
            "application_ids": [a.id for a in rnd.applications],
            "user_id": user.id,
        }


def _sheet(live_server: LiveServer, world: dict[str, Any], index: int) -> ScoreSheet | None:
    with live_server.app.app_context():
        sheet = db.session.scalar(
            select(ScoreSheet).where(
                ScoreSheet.membership_id == world["membership_id"],
                ScoreSheet.application_id == world["application_ids"][index],
            )
        )
        if sheet is not None:
            db.session.expunge(sheet)
        db.session.remove()
        return sheet


def _sign_in(page: Page, base: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your panel work")).to_be_visible()


def _url(live_server: LiveServer, world: dict[str, Any], index: int) -> str:
    return (f"{live_server.url}/panel/rounds/{world['round_id']}/applications/"
            f"{world['application_ids'][index]}")


def _choose(page: Page, criterion: str, point: int) -> None:
    page.get_by_role("group", name=criterion).get_by_role(
        "radio", name=re.compile(rf"^{point} ")
    ).check()


def _stored(page: Page, world: dict[str, Any], index: int) -> Any:
    key = (f"grantpanel-unsaved:{world['user_id']}:{world['round_id']}:"
           f"{world['application_ids'][index]}")
    return page.evaluate("k => JSON.parse(window.localStorage.getItem(k))", key)


def test_changing_an_answer_saves_a_draft_and_says_so(
    page: Page, live_server: LiveServer
) -> None:
    world = _world(live_server)
    _sign_in(page, live_server.url)
    page.goto(_url(live_server, world, 0))
    status = page.locator(".autosave-status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_text("")

    _choose(page, "Who benefits", 4)
    expect(status).to_have_text(SAVED, timeout=10_000)

    sheet = _sheet(live_server, world, 0)
    assert sheet is not None
    assert sheet.status == "draft"
    assert sheet.scores == {"c1": 4}
    assert _stored(page, world, 0) is None  # the server has it: no copy left on the device
    check_accessibility(page)

    # Typing in a text box saves too, once the member pauses.
    page.get_by_label("Note to the panel (optional)").fill("Good reach into rural areas")
    _wait_for_note(live_server, world, "Good reach into rural areas")


def _wait_for_note(live_server: LiveServer, world: dict[str, Any], note: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        sheet = _sheet(live_server, world, 0)
        if sheet is not None and sheet.panel_note == note:
            return
        time.sleep(0.2)
    raise AssertionError(f"the note {note!r} was never saved")


def test_a_failed_save_keeps_a_copy_that_is_put_back_after_a_reload(
    page: Page, live_server: LiveServer
) -> None:
    world = _world(live_server)
    _sign_in(page, live_server.url)
    url = _url(live_server, world, 1)

    def refuse_posts(route: Route) -> None:
        if route.request.method == "POST":
            route.abort()
        else:
            route.continue_()

    page.route(url, refuse_posts)
    page.goto(url)
    _choose(page, "How the money will be used", 2)
    page.get_by_label("Feedback for the applicant (optional)").fill("Say more about costs")
    expect(page.locator(".autosave-status")).to_have_text(
        "Could not save just now. Your answers are still on this page.", timeout=10_000
    )
    assert _sheet(live_server, world, 1) is None
    stored = _stored(page, world, 1)
    assert stored["answers"]["feedback"] == "Say more about costs"

    # The connection comes back; the member opens the page again: the form is empty, so the
    # copy is put back, they are told, and it is saved.
    page.unroute(url, refuse_posts)
    page.goto(url)
    expect(page.get_by_text("We put back answers you had not saved.").first).to_be_visible()
    expect(page.get_by_label("Feedback for the applicant (optional)")).to_have_value(
        "Say more about costs"
    )
    expect(page.get_by_role("group", name="How the money will be used").get_by_role(
        "radio", name=re.compile(r"^2 "))).to_be_checked()
    expect(page.locator(".autosave-status")).to_have_text(SAVED, timeout=10_000)
    check_accessibility(page)
    sheet = _sheet(live_server, world, 1)
    assert sheet is not None and sheet.status == "draft"
    assert sheet.feedback == "Say more about costs"
    assert _stored(page, world, 1) is None

    # Submitting with the button works as before, and leaves no copy behind.
    _choose(page, "Who benefits", 3)
    page.get_by_role("button", name="Submit my scores").click()
    expect(page.get_by_role("heading", name=re.compile("submitted", re.I)).first).to_be_visible()
    assert _stored(page, world, 1) is None
    sheet = _sheet(live_server, world, 1)
    assert sheet is not None and sheet.status == "submitted"


def test_a_submitted_sheet_is_never_saved_automatically(
    page: Page, live_server: LiveServer
) -> None:
    world = _world(live_server)
    _sign_in(page, live_server.url)
    url = _url(live_server, world, 0)
    page.goto(url)
    _choose(page, "Who benefits", 5)
    _choose(page, "How the money will be used", 5)
    page.get_by_role("button", name="Submit my scores").click()
    expect(page.get_by_role("heading", name=re.compile("submitted", re.I)).first).to_be_visible()

    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(url)
    _choose(page, "Who benefits", 1)
    page.wait_for_timeout(3_000)

    assert posts == []
    assert _stored(page, world, 0) is None
    sheet = _sheet(live_server, world, 0)
    assert sheet is not None and sheet.status == "submitted"
    assert sheet.scores == {"c1": 5, "c2": 5}
