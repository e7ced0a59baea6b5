"""A panel member at 360 px, without JavaScript, logs time and a cost; staff approve them."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Browser, Page, expect

from grantpanel.extensions import db
from grantpanel.services.accounts import create_user
from tests.browser.conftest import LiveServer, check_accessibility
from tests.builders import make_member, make_round


def _sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Sign in").click()


def test_member_logs_time_and_a_cost_without_javascript_and_staff_approve(
    browser: Browser, live_server: LiveServer
) -> None:
    with live_server.app.app_context():
        create_user(email="staff@example.org", name="Grace", role="staff",
                    password="a long password")
        member = create_user(email="member@example.org", name="Sam", role="panel",
                             password="a long password")
        rnd = make_round(state="open", name="Warm Homes Fund")
        make_member(rnd, member)
        db.session.commit()
        round_id = rnd.id
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()

    phone = browser.new_context(java_script_enabled=False,
                                viewport={"width": 360, "height": 800})
    page = phone.new_page()
    _sign_in(page, live_server.url, "member@example.org")
    page.goto(live_server.url + "/panel/")
    page.get_by_role("link", name="Your time and costs").click()
    expect(page.get_by_role("heading", name="Your time and costs", level=1)).to_be_visible()
    page.get_by_label("Date", exact=True).first.fill(yesterday)
    page.get_by_label("Hours").fill("0")  # a mistake first: the page says so plainly
    page.get_by_label("Minutes").fill("0")
    page.get_by_label("What was it for?", exact=True).fill("Reading applications")
    page.get_by_role("button", name="Log this time").click()
    expect(page.get_by_text("Enter how long you spent").first).to_be_visible()
    expect(page.get_by_label("What was it for?", exact=True)).to_have_value(
        "Reading applications")
    check_accessibility(page, javascript=False)
    page.get_by_label("Hours").fill("2")
    page.get_by_label("Minutes").fill("30")
    page.get_by_role("button", name="Log this time").click()
    expect(page.get_by_text("Your time is logged")).to_be_visible()
    page.get_by_label("Travel").check()
    page.get_by_label("How much, in pounds?").fill("6.40")
    page.locator("#spent_on").fill(yesterday)
    page.get_by_label("What was it for? (optional)").fill("Bus there and back")
    page.get_by_role("button", name="Claim this expense").click()
    expect(page.get_by_text("Your claim is sent")).to_be_visible()
    expect(page.get_by_text("Waiting for the grants team").first).to_be_visible()
    check_accessibility(page, javascript=False)

    staff = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _sign_in(staff, live_server.url, "staff@example.org")
    staff.goto(f"{live_server.url}/staff/rounds/{round_id}/pay")
    staff.get_by_label("A rate for each hour", exact=False).check()
    staff.get_by_label("Rate for each hour, in pounds").fill("15")
    staff.get_by_role("button", name="Save pay settings").click()
    expect(staff.get_by_text("Pay settings saved.")).to_be_visible()
    check_accessibility(staff)
    staff.get_by_role("link", name="Panel member 1").click()
    staff.get_by_role("button", name="Approve").first.click()
    expect(staff.get_by_text("Approved.", exact=True)).to_be_visible()
    staff.get_by_role("button", name="Approve").first.click()
    expect(staff.get_by_text("£43.90").first).to_be_visible()  # 2.5 h at £15 + £6.40
    check_accessibility(staff)

    page.reload()
    expect(page.get_by_text("£43.90").first).to_be_visible()
    phone.close()
