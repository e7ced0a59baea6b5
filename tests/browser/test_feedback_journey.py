"""Staff edit an applicant's feedback, make their link and release it; the applicant opens
their private page on a phone with JavaScript off. Every page passes axe (WCAG 2.2 A/AA) at
360 and 1280 px, and the applicant's page fits a 360 px screen without sideways scrolling.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from grantpanel.extensions import db
from grantpanel.models import ScoreSheet
from tests.app.record_builders import make_published_round
from tests.browser.conftest import LiveServer, check_accessibility
from tests.builders import make_member, make_user

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


def test_staff_release_feedback_and_the_applicant_reads_it(
    phone: Page, live_server: LiveServer
) -> None:
    page = phone
    with live_server.app.app_context():
        rnd, _pr = make_published_round()
        app = next(a for a in rnd.applications if a.reference == "A-003")
        member = make_member(rnd, make_user(name="Olu Privatename"))
        db.session.add(ScoreSheet(membership_id=member.id, application_id=app.id,
                                  status="submitted", scores={"c1": 4, "c2": 4},
                                  feedback="Good idea. Say more about the budget."))
        make_user(role="staff", email="grants@example.org", name="Grace Grants",
                  password=PASSWORD)
        db.session.commit()
        round_id, app_id = rnd.id, app.id
        db.session.remove()

    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email address").fill("grants@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"{live_server.url}/staff/rounds/{round_id}/applications/{app_id}/feedback")
    check_accessibility(page, javascript=False)
    page.get_by_label("Feedback 1: what the applicant will read").fill(
        "Good idea. Tell us more about the budget.")
    page.get_by_role("button", name="Save the changes").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    check_accessibility(page, javascript=False)
    page.get_by_label("Why are you changing it?").fill("Kinder wording")
    page.get_by_role("button", name="Save the changes").click()
    expect(page.get_by_text("Kinder wording")).to_be_visible()

    page.goto(f"{live_server.url}/staff/rounds/{round_id}/feedback")
    page.get_by_role("row", name=re.compile("A-003")).get_by_role(
        "button", name="Make a link").click()
    link = page.locator("#new-feedback-link").inner_text().strip()
    check_accessibility(page, javascript=False)
    page.get_by_role("link", name="Release feedback to applicants").click()
    expect(page.locator("#release-warning")).to_contain_text("3 applications have no feedback")
    check_accessibility(page, javascript=False)
    page.get_by_role("button", name="Release feedback now").click()
    expect(page.get_by_text("Feedback is released")).to_be_visible()

    page.context.clear_cookies()
    page.goto(link)
    expect(page.get_by_role("heading", name="Feedback on your application")).to_be_visible()
    expect(page.get_by_text("Tell us more about the budget.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    check_accessibility(page, javascript=False)
    page.get_by_role("link", name="How to raise a concern").click()
    expect(page.get_by_role("heading", name="Raise a concern or complaint")).to_be_visible()
    check_accessibility(page, javascript=False)
