"""The stage pages pass axe (WCAG 2.2 A/AA) at 360 and 1280 px: the meeting view (normal and
big text), the staff count page with a consensus stage, and a schema-3 outcome page with the
round-by-round count table and chart."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, check_accessibility


def _sign_in(page: Page, live_server: LiveServer, email: str) -> None:
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()


def test_meeting_view_and_count_page_are_accessible(page: Page,
                                                     live_server: LiveServer) -> None:
    from tests.app.test_meeting import _world

    with live_server.app.app_context():
        w = _world()
        round_id, staff_email = w["rnd"].id, w["staff"].email
    _sign_in(page, live_server, staff_email)
    page.goto(f"{live_server.url}/meeting/rounds/{round_id}")
    expect(page.get_by_role("heading", name="Applications to discuss")).to_be_visible()
    expect(page.get_by_role("img", name="Score sheet totals for A-001")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("link", name="Big text for a projector").click()
    expect(page.get_by_role("link", name="Normal size text")).to_be_visible()
    check_accessibility(page)
    page.goto(f"{live_server.url}/staff/rounds/{round_id}/count")
    check_accessibility(page)  # before the count is run: a button to run it
    page.get_by_role("button", name="Run the count").click()
    expect(page.get_by_role("heading", name="What each stage found")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("link", name=re.compile("Change the result")).first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_accessibility(page)


def test_schema_3_outcome_page_is_accessible(page: Page, live_server: LiveServer) -> None:
    from tests.app.record_builders import make_published_round
    from tests.app.test_stage_display import _publish, _schema_3_record

    with live_server.app.app_context():
        _, pr = make_published_round()
        round_id = _publish(_schema_3_record(json.loads(pr.body))).id
    page.goto(f"{live_server.url}/rounds/{round_id}")
    expect(page.get_by_role("heading", name="The decision, stage by stage")).to_be_visible()
    expect(page.get_by_role("img", name="The count, round by round")).to_be_visible()
    check_accessibility(page)
