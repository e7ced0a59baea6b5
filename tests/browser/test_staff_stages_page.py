"""Staff choose a round's decision stages in a real browser, with JavaScript on and off: a
combination that cannot work is refused beside its field with the typing kept, the preview
says what will happen, and the saved chain is the one chosen. Every page state passes axe
(WCAG 2.2 A/AA) at 360 and 1280 px.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from grantpanel.extensions import db
from grantpanel.models import Round
from tests.browser.conftest import LiveServer, check_accessibility
from tests.builders import make_member, make_round, make_user

PASSWORD = "correct horse battery"


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def staff_page(request: pytest.FixtureRequest, browser: Browser,
               browser_context_args: dict[str, Any]) -> Iterator[tuple[Page, bool]]:
    """A page in its own context, 360 px wide, with JavaScript on or off."""
    javascript = bool(request.param)
    context = browser.new_context(**{**browser_context_args, "java_script_enabled": javascript,
                                     "viewport": {"width": 360, "height": 800}})
    context.set_default_timeout(10_000)
    try:
        yield context.new_page(), javascript
    finally:
        context.close()


def test_staff_choose_every_stage_fix_a_refused_combination_preview_and_save(
    staff_page: tuple[Page, bool], live_server: LiveServer
) -> None:
    page, javascript = staff_page
    with live_server.app.app_context():
        rnd = make_round(applications=2)
        make_member(rnd)
        make_user(role="staff", email="grants@example.org", name="Grace Grants",
                  password=PASSWORD)
        db.session.commit()
        round_id = rnd.id
        db.session.remove()

    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email address").fill("grants@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/staff/rounds/{round_id}")
    page.get_by_role("link", name="Decision stages").first.click()
    expect(page.get_by_role("heading", name="Decision stages", level=1)).to_be_visible()
    check_accessibility(page, javascript=javascript)

    # Consensus with a re-score, a ranked vote by STV, and equal shares on ticks: refused,
    # because ticks need an approval vote.
    page.get_by_label(re.compile("^Check where the panel disagrees")).check()
    page.get_by_label("Flag an application when its disagreement is more than").fill("2.75")
    page.get_by_label(re.compile("^After the discussion, members score")).check()
    page.get_by_label("Hold a ranked vote on a shortlist after scoring").check()
    page.get_by_role("radio", name=re.compile("^Single transferable vote")).check()
    page.get_by_label("How many winners does the vote choose? (optional)").fill("2")
    page.get_by_role("radio", name=re.compile("^Method of Equal Shares")).check()
    page.get_by_role("radio", name="Members' ticks in an approval vote").check()
    page.get_by_label("Ask the panel to consent to the funded list at the end").check()
    page.get_by_role("button", name="Save the decision stages").click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary).to_contain_text("needs a ranked stage with approval voting")
    expect(page.get_by_label("Flag an application when its disagreement is more than")
           ).to_have_value("2.75")
    expect(page.get_by_role("radio", name=re.compile("^Method of Equal Shares"))).to_be_checked()
    check_accessibility(page, javascript=javascript)

    # Put it right, preview (nothing saved), then save.
    page.get_by_role("radio", name="Members' scores").check()
    page.get_by_role("button", name="Preview without saving").click()
    expect(page.get_by_text("What will happen, as typed (not saved yet)")).to_be_visible()
    with live_server.app.app_context():
        assert db.session.get(Round, round_id).stages == []  # type: ignore[union-attr]
        db.session.remove()
    check_accessibility(page, javascript=javascript)

    page.get_by_role("button", name="Save the decision stages").click()
    expect(page.get_by_text("The decision stages are saved.")).to_be_visible()
    check_accessibility(page, javascript=javascript)
    with live_server.app.app_context():
        saved = db.session.get(Round, round_id)
        assert saved is not None
        assert [s["kind"] for s in saved.stages] == [
            "scores", "consensus", "ranked", "funding", "consent"]
        ranked = saved.stages[2]
        assert (ranked["method"], ranked["seats"]) == ("stv", 2)
        assert (saved.stages[3]["rule"], saved.stages[3]["utilities"]) == (
            "equal-shares", "scores")
        assert saved.stages[1]["threshold"] == "2.75"
        db.session.remove()
