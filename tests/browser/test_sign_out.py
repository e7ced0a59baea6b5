"""Signing out on a shared device forgets the unsaved score-sheet copies kept in the browser."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from grantpanel.extensions import db
from grantpanel.services.accounts import create_user
from tests.browser.conftest import LiveServer, check_accessibility


def test_signing_out_forgets_unsaved_copies(page: Page, live_server: LiveServer) -> None:
    with live_server.app.app_context():
        create_user(email="member@example.org", name="Sam", role="panel",
                    password="a long password")
        db.session.commit()
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email address").fill("member@example.org")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Sign in").click()
    page.evaluate("""() => {
        localStorage.setItem('grantpanel-unsaved:1:1:1', '{"answers": {}}');
        localStorage.setItem('something-else', 'kept');
    }""")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.wait_for_function("() => localStorage.getItem('grantpanel-unsaved:1:1:1') === null")
    assert page.evaluate("() => localStorage.getItem('something-else')") == "kept"
    check_accessibility(page)
