"""Staff search and filter a round's applications in a real browser, at 360 and 1280 px:
the query is kept in the form and across pages, and every state passes axe (WCAG 2.2 A/AA)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect
from sqlalchemy import insert

from grantpanel.extensions import db
from grantpanel.models import Application, Tag
from tests.browser.conftest import LiveServer, check_accessibility
from tests.builders import make_round, make_user

PASSWORD = "correct horse battery"


def test_staff_search_filter_and_page_through_applications_at_two_widths(
    browser: Browser, live_server: LiveServer
) -> None:
    with live_server.app.app_context():
        rnd = make_round(name="Big round")
        db.session.execute(insert(Application), [
            {"round_id": rnd.id, "reference": f"A-{i:03d}", "title": f"Project {i:03d}",
             "applicant_name": "Hillside Tenants" if i % 2 else f"Group {i}", "summary": "",
             "amount": i * 100, "eligible": i % 7 != 0}
            for i in range(1, 121)
        ])
        db.session.add(Tag(round_id=rnd.id, name="North"))
        make_user(role="staff", email="grants@example.org", name="Grace Grants",
                  password=PASSWORD)
        db.session.commit()
        round_id = rnd.id
        db.session.remove()

    for width in (360, 1280):
        context = browser.new_context(viewport={"width": width, "height": 900})
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            page.goto(live_server.url + "/sign-in")
            page.get_by_label("Email address").fill("grants@example.org")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.goto(f"{live_server.url}/staff/rounds/{round_id}/applications")
            expect(page.get_by_text("120 applications.")).to_be_visible()
            check_accessibility(page)

            page.get_by_label("Reference, title or applicant's name").fill("hillside")
            page.get_by_label("Eligible", exact=True).select_option("yes")
            page.get_by_label("Sort by").select_option("amount-high")
            page.get_by_role("button", name="Show").click()
            expect(page.get_by_text("51 applications match, of 120.")).to_be_visible()
            expect(page.get_by_role("link", name="A-117")).to_be_visible()
            expect(page.get_by_label("Reference, title or applicant's name")).to_have_value(
                "hillside")
            check_accessibility(page)

            page.get_by_role("link", name="Next page").click()
            expect(page.get_by_text("Page 2 of 2", exact=True)).to_be_visible()
            expect(page.get_by_label("Sort by")).to_have_value("amount-high")
            page_width = page.evaluate("document.documentElement.scrollWidth")
            assert page_width <= width, f"the page scrolls sideways at {width} px"
            check_accessibility(page)
        finally:
            context.close()
