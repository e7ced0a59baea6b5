"""The sign-in page works in a real browser, by keyboard, and passes axe at both widths."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, check_accessibility


def test_sign_in_page_is_accessible_and_shows_errors(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/sign-in")
    check_accessibility(page)
    page.keyboard.press("Tab")  # the skip link comes first
    expect(page.locator(".skip-link")).to_be_focused()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    check_accessibility(page)
