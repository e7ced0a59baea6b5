"""Public pages pass axe (WCAG 2.2 A/AA) at both widths, with the demo loaded."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, check_accessibility


def test_public_pages_are_accessible(page: Page, live_server: LiveServer) -> None:
    from grantpanel.demo import load_demo

    with live_server.app.app_context():
        list(load_demo(if_empty=False))
    page.goto(live_server.url + "/")
    check_accessibility(page)
    page.get_by_role("link", name="Winter Warmth and Food Fund 2026").click()
    expect(page.get_by_role("heading", name="Staff changed the panel's result")).to_be_visible()
    check_accessibility(page)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Kinship Carers and Families Fund 2027").click()
    expect(page.get_by_role("heading", name="The random draw is fixed in advance")).to_be_visible()
    check_accessibility(page)
    page.goto(live_server.url + "/how-decisions-are-made")
    check_accessibility(page)
    page.get_by_role("link", name="What the words mean").click()
    expect(page.get_by_role("heading", name="What the words mean", level=1)).to_be_visible()
    check_accessibility(page)
