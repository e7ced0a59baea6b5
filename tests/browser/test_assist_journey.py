"""A panel member on a phone (360 px, JavaScript off) sees a content warning before the text,
chooses not to score that application, and their list moves on. Every page passes axe
(WCAG 2.2 A/AA) at 360 and 1280 px and fits the phone without sideways scrolling.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from grantpanel.extensions import db
from grantpanel.models import utcnow
from tests.browser.conftest import LiveServer, check_accessibility
from tests.builders import make_member, make_round, make_user

PASSWORD = "correct horse battery"


@pytest.fixture()
def phone(browser: Browser, browser_context_args: dict[str, Any]) -> Iterator[Page]:
    context = browser.new_context(**{**browser_context_args, "java_script_enabled": False,
                                     "viewport": {"width": 360, "height": 800}})
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_member_sees_a_warning_first_and_skips_the_application(
    phone: Page, live_server: LiveServer
) -> None:
    page = phone
    with live_server.app.app_context():
        rnd = make_round(state="open", applications=2, seed="ab" * 32,
                         seed_commitment="sha256:" + "0" * 64)
        first = rnd.applications[0]
        first.content_warning = "Mentions suicide"
        first.answers = "Details that may be upsetting to read."
        make_member(rnd, make_user(email="reader@example.org", name="Reader One",
                                   password=PASSWORD), conflicts_checked_at=utcnow())
        db.session.commit()
        round_id, first_id = rnd.id, first.id
        db.session.remove()

    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email address").fill("reader@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"{live_server.url}/panel/rounds/{round_id}/")
    expect(page.get_by_text("Content warning: Mentions suicide")).to_be_visible()
    _fits(page)
    check_accessibility(page, javascript=False)

    page.goto(f"{live_server.url}/panel/rounds/{round_id}/applications/{first_id}")
    expect(page.get_by_text("Mentions suicide")).to_be_visible()
    expect(page.get_by_text("Details that may be upsetting to read.")).to_be_hidden()
    _fits(page)
    check_accessibility(page, javascript=False)

    page.get_by_role("link", name="I'd rather not score this one").first.click()
    expect(page.get_by_role("heading", name="I'd rather not score this one")).to_be_visible()
    _fits(page)
    check_accessibility(page, javascript=False)
    page.get_by_label("Anything you want to tell the grants team (optional)").fill(
        "Too close to home")
    page.get_by_role("button", name="I'd rather not score this one").click()

    expect(page.get_by_text("It is no longer in your list")).to_be_visible()
    expect(page.get_by_text("0 of 1 submitted")).to_be_visible()
    expect(page.get_by_text("Content warning: Mentions suicide")).to_have_count(0)
    _fits(page)
    check_accessibility(page, javascript=False)
