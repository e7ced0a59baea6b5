"""Staff add a panel member who has no email address and print them an invitation letter, in a
real browser 360 px wide with JavaScript off (email is off, as on a site with no mail server).
Every page passes axe (WCAG 2.2 A/AA) at 360 and 1280 px; the letter fits the phone, and on
paper only the letter is printed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from grantpanel.extensions import db
from tests.browser.conftest import LiveServer, check_accessibility
from tests.builders import make_round, make_user

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


def test_staff_add_a_member_without_email_and_print_their_letter(
    phone: Page, live_server: LiveServer
) -> None:
    page = phone
    with live_server.app.app_context():
        rnd = make_round(state="open", applications=2)
        make_user(role="staff", email="grants@example.org", name="Grace Grants",
                  password=PASSWORD)
        db.session.commit()
        round_id = rnd.id
        db.session.remove()

    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email address").fill("grants@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/staff/rounds/{round_id}/panel/new")
    page.get_by_label("Full name").fill("Pat Nomail")
    page.get_by_label("Language for their emails and letters").select_option("cy")
    page.get_by_role("button", name="Add to the panel").click()

    expect(page.get_by_role("heading", name="Invitation link for Pat Nomail")).to_be_visible()
    expect(page.get_by_text("Email is off on this site")).to_be_visible()
    check_accessibility(page, javascript=False)

    page.get_by_role("link", name="Print an invitation letter").click()
    check_accessibility(page, javascript=False)
    page.get_by_role("button", name="Make the letter").click()
    letter = page.locator("article.letter")
    expect(letter).to_have_attribute("lang", "cy")
    expect(letter.get_by_text("/invitation/")).to_be_visible()
    qr = page.get_by_role("img", name="Cod QR y ddolen mewngofnodi")  # the letter is in Welsh
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None and 100 <= box["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll
    check_accessibility(page, javascript=False)

    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("heading", name="Invitation letter for Pat Nomail")).to_be_hidden()
    expect(letter).to_be_visible()
    expect(qr).to_be_visible()
