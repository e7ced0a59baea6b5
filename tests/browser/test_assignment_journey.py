"""Staff share a round's reading out on a phone (360 px, JavaScript off), and a member sees
only the applications given to them. Every page passes axe (WCAG 2.2 A/AA) at 360 and
1280 px and fits the phone without sideways scrolling.
"""

from __future__ import annotations

import re
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


def _sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_staff_share_the_reading_out_and_a_member_sees_only_theirs(
    phone: Page, live_server: LiveServer
) -> None:
    page = phone
    with live_server.app.app_context():
        rnd = make_round(state="open", applications=6, quorum=2, seed="ab" * 32,
                         seed_commitment="sha256:" + "0" * 64)
        make_user(role="staff", email="grants@example.org", name="Grace Grants",
                  password=PASSWORD)
        members = [make_member(rnd, make_user(email=f"reader{i}@example.org",
                                              name=f"Reader {i}", password=PASSWORD),
                               conflicts_checked_at=utcnow()) for i in range(1, 4)]
        db.session.commit()
        round_id, first_id = rnd.id, members[0].id
        db.session.remove()

    base = f"{live_server.url}/staff/rounds/{round_id}/assignment"
    _sign_in(page, live_server.url, "grants@example.org")
    page.goto(base)
    expect(page.get_by_role("heading", name="Who reads what")).to_be_visible()
    _fits(page)
    check_accessibility(page, javascript=False)

    # Fewer readers than the quorum: refused beside the field, the typing kept.
    page.get_by_label("How many members read each application?").fill("1")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("needs at least 2 readers")
    expect(page.get_by_label("How many members read each application?")).to_have_value("1")
    check_accessibility(page, javascript=False)

    page.get_by_label("How many members read each application?").fill("2")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("button", name="Assign readers").click()
    expect(page.get_by_text("The readers are assigned: 12 added")).to_be_visible()
    expect(page.get_by_text("Each member reads 4.")).to_be_visible()
    _fits(page)
    check_accessibility(page, javascript=False)

    page.get_by_label("Application reference").fill("A-002")
    page.get_by_role("button", name="Show its readers").click()
    expect(page.get_by_role("heading", name="Readers of Community project 2")).to_be_visible()
    _fits(page)
    check_accessibility(page, javascript=False)

    page.goto(f"{base}/members/{first_id}/left")
    expect(page.get_by_role("heading", name="Has Reader 1 left the panel?")).to_be_visible()
    check_accessibility(page, javascript=False)

    # A member signs in and sees their four applications only.
    page.context.clear_cookies()
    _sign_in(page, live_server.url, "reader1@example.org")
    page.goto(f"{live_server.url}/panel/rounds/{round_id}/")
    # First: ties to the applicants they will read (only those four), then the queue.
    expect(page.get_by_role("heading", name=re.compile(r"applicants.*\(4\)$"))).to_be_visible()
    page.get_by_label("I have no ties to any of these applicants").check()
    page.get_by_role("button", name="Confirm and continue", exact=True).click()
    expect(page.get_by_text("These are the applications for you to read and score")
           ).to_be_visible()
    expect(page.locator("#applications tbody tr")).to_have_count(4)
    _fits(page)
    check_accessibility(page, javascript=False)
