"""A panel member on a phone (360 px, JavaScript off) answers the optional questions about
themselves and, once the decision is published, the survey on how it went. Every page
passes axe (WCAG 2.2 A/AA) at 360 and 1280 px and fits the phone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from grantpanel.extensions import db
from grantpanel.models import utcnow
from grantpanel.services import monitoring
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


def test_member_answers_about_themselves_and_the_survey_on_a_phone(
    phone: Page, live_server: LiveServer
) -> None:
    page = phone
    with live_server.app.app_context():
        rnd = make_round(state="published")
        monitoring.save_setup(rnd, ["disability", "lived-experience", "region"], {})
        make_member(rnd, make_user(email="member@example.org", password=PASSWORD),
                    conflicts_checked_at=utcnow())
        db.session.commit()
        db.session.remove()

    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email address").fill("member@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Answer the questions about you").click()
    expect(page.get_by_role("heading", name="About you")).to_be_visible()
    _fits(page)
    check_accessibility(page, javascript=False)
    page.get_by_role("group", name="Are you a disabled person?").get_by_label("Yes").check()
    page.get_by_label("Claiming benefits").check()
    page.get_by_label("Prefer not to say").last.check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("Your answers are saved without your name.")).to_be_visible()

    page.get_by_role("link", name="Back to your panel work").click()
    expect(page.get_by_text("You have answered the questions about you.")).to_be_visible()
    page.get_by_role("link", name="Tell us how it went").click()
    _fits(page)
    check_accessibility(page, javascript=False)
    page.get_by_role("group", name="I felt listened to.").get_by_label(
        "Strongly agree").check()
    page.get_by_label("What should we change?").fill("x" * 2001)
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    _fits(page)
    check_accessibility(page, javascript=False)
    page.get_by_label("What should we change?").fill("Meet closer to the bus station.")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("You have answered the survey for this round.")).to_be_visible()
