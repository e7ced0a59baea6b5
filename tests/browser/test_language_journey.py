"""A panel member's whole journey in Urdu and in Welsh, in a real browser.

- Urdu on a 360 px phone: the member lands on the English sign-in page, picks اردو in the
  language switch (the same page comes back, right to left), signs in, tells us of no
  conflicts, opens the queue and a score sheet, answers every question and submits. Every page
  stays in Urdu (``<html lang="ur" dir="rtl">``, no English navigation), none scrolls sideways
  (only a table inside its own scrolling box may), and the sign-in, conflicts, queue and score
  sheet pages pass axe (WCAG 2.2 A/AA) at 360 and 1280 px.
- Welsh with JavaScript switched off: the browser asks for ``cy``, so the first page is already
  Welsh; the same journey, axe on the score sheet; then the switch to English keeps the address.

Expected words come from the catalogues (through the app's own gettext), so a reworded
translation does not break the test, while an untranslated page does: each is checked to
differ from the English.

Set ``GRANTPANEL_SCREENSHOTS`` to a folder (outside the repository, e.g. ``/tmp/shots``) to
save full-page screenshots of each Urdu page at 360 px (sign-in, home, conflicts, queue,
score sheet, confirmation).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as flask_gettext
from flask_babel import ngettext as flask_ngettext
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from grantpanel.extensions import db
from grantpanel.models import ScoreSheet
from grantpanel.vocabulary import SheetStatus
from tests.browser.conftest import LiveServer, check_accessibility
from tests.builders import DEFAULT_DESCRIPTORS, make_member, make_round, make_user

EMAIL = "language-member@example.org"
PASSWORD = "correct horse battery"
ROUND_NAME = "Warm Homes Fund 2026"
CRITERIA = ("Who benefits", "How the money will be used")  # make_round's defaults
ANSWERS = {"Who benefits": 4, "How the money will be used": 2}
PHONE = {"width": 360, "height": 800}

# The site's own navigation, in English: none of it may show on a page in another language.
ENGLISH_CHROME = (
    "Sign out",
    "Sign in",
    "My panel work",
    "Published decisions",
    "Skip to main content",
    "Open data API",
)

# Anything outside the viewport's width, other than what is meant to be: the contents of a
# table's own scrolling box, visually hidden text, and the skip link until it is focused.
OVERFLOW_JS = """() => {
  const width = window.innerWidth;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.parentElement && el.parentElement.closest('.table-wrap')) continue;
    if (el.closest('.visually-hidden, .skip-link')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.left < -1 || r.right > width + 1) {
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (el.className && typeof el.className === 'string'
           ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
      out.push(`${name} [${Math.round(r.left)}, ${Math.round(r.right)}]`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, outside: out.slice(0, 8)};
}"""


class Words:
    """The app's own translations for one language, to find things on the page by."""

    def __init__(self, app: Flask, code: str) -> None:
        self.app = app
        self.code = code

    def __call__(self, message: str, **values: Any) -> str:
        with self.app.test_request_context(), force_locale(self.code):
            return str(flask_gettext(message, **values))

    def n(self, singular: str, plural: str, num: int, **values: Any) -> str:
        with self.app.test_request_context(), force_locale(self.code):
            return str(flask_ngettext(singular, plural, num, **values))

    def translated(self, message: str, **values: Any) -> str:
        """``message`` in this language, checked to be a translation, not the English."""
        text = self(message, **values)
        with self.app.test_request_context(), force_locale("en_GB"):
            english = str(flask_gettext(message, **values))
        assert text != english, f"{self.code}: {message!r} is not translated"
        return text

    def link_text(self, message: str, **values: Any) -> re.Pattern[str]:
        """The accessible name of the first link in a translated sentence with markup: its
        visible words first (a visually hidden ending may follow)."""
        html = self.translated(message, link="#", **values)
        found = re.search(r"<a [^>]*>(.*?)</a>", html)
        assert found, html
        visible = re.sub(r"<span class=\"visually-hidden\">.*?</span>", "", found.group(1))
        return re.compile("^" + re.escape(re.sub(r"<[^>]+>", "", visible).strip()))


# --- data and checks ---------------------------------------------------------------------


@pytest.fixture()
def world(live_server: LiveServer) -> dict[str, Any]:
    """An open round with three applications and a member who has not checked conflicts."""
    with live_server.app.app_context():
        rnd = make_round(name=ROUND_NAME, state="open", applications=3)
        user = make_user(role="panel", email=EMAIL, name="Asha Member", password=PASSWORD)
        member = make_member(rnd, user)
        db.session.commit()
        out = {"round_id": rnd.id, "membership_id": member.id,
               "application_ids": [a.id for a in rnd.applications],
               "titles": [a.title for a in rnd.applications]}
        db.session.remove()
        return out


def _context_page(browser: Browser, context_args: dict[str, Any], **extra: Any) -> Iterator[Page]:
    context = browser.new_context(**{**context_args, "viewport": PHONE, **extra})
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture()
def urdu_phone(browser: Browser, browser_context_args: dict[str, Any]) -> Iterator[Page]:
    """360 px wide, JavaScript on, a browser that asks for British English."""
    yield from _context_page(browser, browser_context_args, locale="en-GB")


@pytest.fixture()
def welsh_no_js(browser: Browser, browser_context_args: dict[str, Any]) -> Iterator[Page]:
    """360 px wide, JavaScript off, a browser that asks for Welsh (Accept-Language: cy-GB)."""
    yield from _context_page(browser, browser_context_args, locale="cy-GB",
                             java_script_enabled=False)


def assert_language(page: Page, tag: str, direction: str, words: Words) -> None:
    """The page is in ``tag`` throughout: ``<html lang dir>``, the switch and navigation."""
    html = page.locator("html")
    expect(html).to_have_attribute("lang", tag)
    expect(html).to_have_attribute("dir", direction)
    switch = page.get_by_role("navigation", name=words("Language"))
    expect(switch.locator("[aria-current=true]")).to_have_attribute("lang", tag)
    expect(page.get_by_role("navigation", name=words("Main"))).to_be_visible()
    if tag == "en-GB":
        return
    text = page.locator("body").inner_text()
    shown = [w for w in ENGLISH_CHROME if w in text]
    assert shown == [], f"{page.url} in {tag} shows English navigation: {shown}"


def assert_no_sideways_scroll(page: Page) -> None:
    """Nothing but a table in its own scrolling box is wider than the phone's screen."""
    found = page.evaluate(OVERFLOW_JS)
    assert found["scroll"] <= found["width"] + 1, f"{page.url} scrolls sideways: {found}"
    assert found["outside"] == [], f"{page.url}: outside the screen: {found}"


def screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("GRANTPANEL_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def starting(text: str) -> re.Pattern[str]:
    """An accessible name that starts with ``text``: English staff typed, shown on a Welsh
    page, is followed by a visually hidden "(in English)" in Welsh."""
    return re.compile("^" + re.escape(text))


def _answer(page: Page, words: Words) -> None:
    for criterion in CRITERIA:
        point = ANSWERS[criterion]
        name = words("%(point)s \u2013 %(descriptor)s", point=point,
                     descriptor=DEFAULT_DESCRIPTORS[point - 1])
        page.get_by_role("group", name=criterion).get_by_role(
            "radio", name=starting(name)).check()


def _submitted_sheet(live_server: LiveServer, world: dict[str, Any]) -> ScoreSheet:
    with live_server.app.app_context():
        sheet = db.session.scalar(select(ScoreSheet).where(
            ScoreSheet.membership_id == world["membership_id"],
            ScoreSheet.application_id == world["application_ids"][0]))
        assert sheet is not None
        db.session.expunge(sheet)
        db.session.remove()
        return sheet


def _journey_after_sign_in(page: Page, live_server: LiveServer, world: dict[str, Any],
                           words: Words, check: Callable[[Page, str], None]) -> None:
    """Home, conflicts, queue, score sheet, confirmation; ``check(page, name)`` on each."""
    expect(page.get_by_role("heading", name=words.translated("Your panel work"),
                            level=1)).to_be_visible()
    check(page, "home")
    page.get_by_role("link", name=words.link_text(
        '<strong>First step:</strong> <a href="%(link)s">check the list of applicants for '
        'anyone you have a connection to<span class="visually-hidden"> in %(name)s</span>'
        '</a>.', name=ROUND_NAME)).click()

    expect(page.get_by_role("heading", name=words.translated(
        "Do you know any of the applicants?"), level=1)).to_be_visible()
    check(page, "conflicts")
    page.get_by_label(words.translated("I have no ties to any of these applicants")).check()
    page.get_by_role("button", name=words.translated("Confirm and continue"), exact=True).click()

    expect(page.get_by_role("heading", name=words.translated("Your applications"),
                            level=1)).to_be_visible()
    expect(page.get_by_role("status").filter(has_text=words.translated(
        "Thank you. You have told us you have no ties to any of the applicants."))).to_be_visible()
    expect(page.get_by_text(words.n("%(submitted)d of %(num)d submitted",
                                    "%(submitted)d of %(num)d submitted", 3, submitted=0),
                            exact=True)).to_be_visible()
    expect(page.get_by_role("columnheader", name=words.translated("Amount asked for"))
           ).to_be_visible()
    check(page, "queue")
    page.get_by_role("link", name=starting(world["titles"][0])).click()

    expect(page.get_by_role("heading", name=starting(world["titles"][0]), level=1)
           ).to_be_visible()
    expect(page.get_by_role("group", name=CRITERIA[0]).get_by_role(
        "radio", name=words.translated("Don't know"))).to_be_visible()
    check(page, "score sheet")
    _answer(page, words)
    page.get_by_label(words.translated("Note to the panel (optional)")).fill(
        "Clear plan; strong local support.")
    page.get_by_role("button", name=words.translated("Submit my scores")).click()

    expect(page.get_by_role("heading", name=words.translated("Your scores are submitted"),
                            level=1)).to_be_visible()
    expect(page.get_by_text(words.n("You have submitted %(submitted)d of %(num)d.",
                                    "You have submitted %(submitted)d of %(num)d.", 3,
                                    submitted=1))).to_be_visible()
    assert page.url.endswith(
        f"/panel/rounds/{world['round_id']}/applications/{world['application_ids'][0]}"
        "/submitted")
    check(page, "confirmation")

    sheet = _submitted_sheet(live_server, world)
    assert sheet.status == SheetStatus.SUBMITTED
    assert sheet.scores == {f"c{i}": ANSWERS[c] for i, c in enumerate(CRITERIA, start=1)}
    assert sheet.panel_note == "Clear plan; strong local support."


# --- the journeys ------------------------------------------------------------------------


def test_urdu_on_a_phone_from_the_switch_to_submitted_scores(
    urdu_phone: Page, live_server: LiveServer, world: dict[str, Any]
) -> None:
    page = urdu_phone
    english = Words(live_server.app, "en_GB")
    urdu = Words(live_server.app, "ur")

    # The sign-in page, in English (the browser asks for en-GB).
    page.goto(live_server.url + "/sign-in")
    assert_language(page, "en-GB", "ltr", english)
    page.get_by_role("navigation", name="Language").get_by_role("link", name="اردو").click()
    assert page.url == live_server.url + "/sign-in"  # the same page, the same address
    assert_language(page, "ur", "rtl", urdu)
    expect(page.get_by_role("heading", name=urdu.translated("Sign in"), level=1)).to_be_visible()
    assert_no_sideways_scroll(page)
    screenshot(page, "urdu-sign-in-360")
    check_accessibility(page)

    page.get_by_label(urdu.translated("Email address")).fill(EMAIL)
    page.get_by_label(urdu.translated("Password")).fill(PASSWORD)
    page.get_by_role("button", name=urdu("Sign in")).click()

    def check(page: Page, name: str) -> None:
        assert_language(page, "ur", "rtl", urdu)
        assert_no_sideways_scroll(page)
        screenshot(page, f"urdu-{name.replace(' ', '-')}-360")
        if name in ("conflicts", "queue", "score sheet"):
            check_accessibility(page)

    _journey_after_sign_in(page, live_server, world, urdu, check)


def test_welsh_from_the_browser_without_javascript_then_english_by_the_switch(
    welsh_no_js: Page, live_server: LiveServer, world: dict[str, Any]
) -> None:
    page = welsh_no_js
    welsh = Words(live_server.app, "cy")
    english = Words(live_server.app, "en_GB")

    # The first visit is already Welsh: nobody touched the switch.
    page.goto(live_server.url + "/")
    assert_language(page, "cy", "ltr", welsh)
    page.get_by_role("navigation", name=welsh("Main")).get_by_role(
        "link", name=welsh.translated("Sign in")).click()
    expect(page.get_by_role("heading", name="Mewngofnodi", level=1)).to_be_visible()
    assert_language(page, "cy", "ltr", welsh)
    assert_no_sideways_scroll(page)
    page.get_by_label(welsh.translated("Email address")).fill(EMAIL)
    page.get_by_label(welsh.translated("Password")).fill(PASSWORD)
    page.get_by_role("button", name=welsh("Sign in")).click()

    def check(page: Page, name: str) -> None:
        assert_language(page, "cy", "ltr", welsh)
        assert_no_sideways_scroll(page)
        if name == "score sheet":
            check_accessibility(page, javascript=False)

    _journey_after_sign_in(page, live_server, world, welsh, check)

    # English by the switch: the same address, now in English, and remembered.
    here = page.url
    page.get_by_role("navigation", name=welsh("Language")).get_by_role(
        "link", name="English").click()
    assert page.url == here
    assert_language(page, "en-GB", "ltr", english)
    expect(page.get_by_role("heading", name="Your scores are submitted", level=1)
           ).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_role("link", name="Back to your applications").click()
    assert_language(page, "en-GB", "ltr", english)  # the choice beats the browser's Welsh
    expect(page.get_by_text("1 of 3 submitted", exact=True)).to_be_visible()
