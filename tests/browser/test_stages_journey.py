"""A panel member's decision-stage pages in a real browser, with JavaScript off: ranking by
typed numbers (Enter sorts), by move buttons, an approval vote, consent on the funded list,
a strong objection and the stage-2 sheet. Every page state passes axe (WCAG 2.2 A/AA) at
360 and 1280 px.

The shortlist, the flagged applications and the funded list are fixed for each test
(``services.stages`` and ``services.counting`` are patched in this process, which also runs
the live server's thread), so each journey reads as one page state after another.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import select

from grantpanel.extensions import db
from grantpanel.models import Ballot, ConsentAnswer, ScoreSheet, utcnow
from grantpanel.services import stages
from tests.app.test_panel_stages import (
    CONSENSUS,
    CONSENT,
    FUNDING,
    SCORES,
    fix_funded,
    ranked,
    stage_round,
)
from tests.browser.conftest import LiveServer, check_accessibility
from tests.builders import make_member, make_user

PASSWORD = "correct horse battery"


@pytest.fixture()
def no_js(browser: Browser, browser_context_args: dict[str, Any]) -> Iterator[Page]:
    """A page in its own context with JavaScript switched off, 360 px wide."""
    context = browser.new_context(**{**browser_context_args, "java_script_enabled": False,
                                     "viewport": {"width": 360, "height": 800}})
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _world(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch, state: str,
           chain: list[dict[str, Any]], email: str) -> dict[str, Any]:
    with live_server.app.app_context():
        rnd = stage_round(state, chain, applications=4)
        user = make_user(role="panel", email=email, name="Asha Member", password=PASSWORD)
        m = make_member(rnd, user, conflicts_checked_at=utcnow())
        apps = sorted(rnd.applications, key=lambda a: a.reference)
        monkeypatch.setattr(stages, "shortlist", lambda r: [a.reference for a in apps[:3]])
        monkeypatch.setattr(stages, "flagged", lambda r: [apps[0].reference])
        fix_funded(monkeypatch, rnd, [apps[0].reference, apps[2].reference])
        db.session.add(ScoreSheet(membership_id=m.id, application_id=apps[0].id, stage=1,
                                  status="submitted", scores={"c1": 2, "c2": 5},
                                  submitted_at=utcnow()))
        db.session.commit()
        out = {"round_id": rnd.id, "membership_id": m.id, "ids": [a.id for a in apps],
               "titles": [a.title for a in apps]}
        db.session.remove()
        return out


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your panel work")).to_be_visible()


def _ballot(live_server: LiveServer, membership_id: int) -> tuple[str, list[int], list[int]]:
    with live_server.app.app_context():
        b = db.session.scalar(select(Ballot).where(Ballot.membership_id == membership_id))
        out = (str(b.status), list(b.ranking), list(b.approved)) if b else ("", [], [])
        db.session.remove()
        return out


def _move(page: Page, action: str, title: str) -> Locator:
    """A move button: its visible words, then the application's title for screen readers
    (in a visually hidden span, which Chromium's accessible name sets off with a space)."""
    return page.get_by_role("button", name=re.compile(rf"^{re.escape(action)}\s*: {re.escape(title)}$"))


def _order(page: Page) -> list[str]:
    return page.locator(".ballot-item h2").all_inner_texts()


def test_member_ranks_by_numbers_and_by_move_buttons_without_javascript(
    no_js: Page, live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = no_js
    w = _world(live_server, monkeypatch, "voting", [SCORES, ranked(), FUNDING],
               "ranker@example.org")
    t = w["titles"]
    _sign_in(page, live_server.url, "ranker@example.org")
    expect(page.get_by_text("The ranked vote is open. You have not voted yet.")).to_be_visible()
    check_accessibility(page, javascript=False)
    page.get_by_role("link", name="Vote on the shortlist").click()
    expect(page.get_by_role("heading", name="Rank the shortlist")).to_be_visible()
    check_accessibility(page, javascript=False)

    # Numbers, then Enter in a box: saved as a draft and sorted.
    page.get_by_label(f"Choice number for {t[2]}").fill("1")
    page.get_by_label(f"Choice number for {t[0]}").fill("2")
    page.get_by_label(f"Choice number for {t[0]}").press("Enter")
    expect(page.get_by_text("Your draft is saved.")).to_be_visible()
    assert _order(page) == [t[2], t[0], t[1]]
    assert _ballot(live_server, w["membership_id"]) == ("draft", [w["ids"][2], w["ids"][0]], [])

    # A duplicate number is refused, and what was typed stays.
    page.get_by_label(f"Choice number for {t[1]}").fill("2")
    page.get_by_role("button", name="Submit my vote").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_label(f"Choice number for {t[1]}")).to_have_value("2")
    check_accessibility(page, javascript=False)

    # Move buttons (each a plain submit button).
    page.get_by_label(f"Choice number for {t[1]}").fill("")
    page.get_by_label(f"Choice number for {t[1]}").press("Enter")
    expect(page.get_by_text("Your draft is saved.")).to_be_visible()
    _move(page, "Add as my next choice", t[1]).click()
    expect(page.get_by_text(f"{t[1]} is now your choice number 3.")).to_be_visible()
    _move(page, "Move up", t[1]).click()
    expect(page.get_by_text(f"{t[1]} is now your choice number 2.")).to_be_visible()
    assert _order(page) == [t[2], t[1], t[0]]
    check_accessibility(page, javascript=False)

    page.get_by_role("button", name="Submit my vote").click()
    expect(page.get_by_text("Your vote is submitted and will count.")).to_be_visible()
    assert _ballot(live_server, w["membership_id"]) == (
        "submitted", [w["ids"][2], w["ids"][1], w["ids"][0]], [])
    check_accessibility(page, javascript=False)

    # After submitting, a move is shown but not saved until Submit.
    _move(page, "Move down", t[2]).click()
    expect(page.get_by_text("Your changes are not saved yet.")).to_be_visible()
    assert _ballot(live_server, w["membership_id"])[0] == "submitted"
    check_accessibility(page, javascript=False)


def test_member_approves_without_javascript(
    no_js: Page, live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = no_js
    w = _world(live_server, monkeypatch, "voting", [SCORES, ranked("approval"), FUNDING],
               "approver@example.org")
    t = w["titles"]
    _sign_in(page, live_server.url, "approver@example.org")
    page.get_by_role("link", name="Vote on the shortlist").click()
    expect(page.get_by_role("heading", name="Which applications do you support?")).to_be_visible()
    check_accessibility(page, javascript=False)
    page.get_by_label(f"I support {t[0]}").check()
    page.get_by_label(f"I support {t[2]}").check()
    page.get_by_role("button", name="Submit my vote").click()
    expect(page.get_by_text("Your vote is submitted and will count.")).to_be_visible()
    assert _ballot(live_server, w["membership_id"]) == (
        "submitted", [], sorted([w["ids"][0], w["ids"][2]]))
    check_accessibility(page, javascript=False)


def test_member_objects_then_consents_without_javascript(
    no_js: Page, live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = no_js
    w = _world(live_server, monkeypatch, "consenting", [SCORES, FUNDING, CONSENT],
               "consenter@example.org")
    t = w["titles"]
    _sign_in(page, live_server.url, "consenter@example.org")
    page.get_by_role("link", name="Look at the funded list and answer").click()
    expect(page.get_by_role("heading", name="Do you agree with the funded list?")).to_be_visible()
    expect(page.get_by_role("cell", name="£2,000.00")).to_be_visible()
    check_accessibility(page, javascript=False)

    page.get_by_label("I object to one application on it").check()
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    check_accessibility(page, javascript=False)
    page.get_by_label("Which application do you object to?").select_option(label=t[2])
    page.get_by_label("Why do you object to it?").fill("It repeats a council service.")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_text(f"You objected to {t[2]}")).to_be_visible()
    check_accessibility(page, javascript=False)

    page.get_by_label("I agree with this list").check()
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_text("You agreed with the list")).to_be_visible()
    with live_server.app.app_context():
        (answer,) = db.session.scalars(select(ConsentAnswer))
        assert (answer.position, answer.application_id) == ("consent", None)
        db.session.remove()


def test_objection_box_and_stage_two_sheet_are_accessible(
    page: Page, live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = _world(live_server, monkeypatch, "open", [SCORES, CONSENSUS, FUNDING],
               "objector@example.org")
    _sign_in(page, live_server.url, "objector@example.org")
    base = f"{live_server.url}/panel/rounds/{w['round_id']}/applications/{w['ids'][1]}"
    page.goto(base)
    page.get_by_label("I strongly object to this application").check()
    page.get_by_role("button", name="Submit my scores").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_label("I strongly object to this application")).to_be_checked()
    check_accessibility(page, javascript=False)

    with live_server.app.app_context():
        from grantpanel.models import Round
        from grantpanel.vocabulary import RoundState

        rnd = db.session.get(Round, w["round_id"])
        assert rnd is not None
        rnd.state = RoundState.RESCORING
        db.session.commit()
        db.session.remove()
    page.goto(f"{live_server.url}/panel/")
    page.get_by_role("link", name="Score again after the discussion").click()
    page.get_by_role("table", name=re.compile("^Applications to score again")).get_by_role(
        "link", name=w["titles"][0]).click()
    expect(page.get_by_role("heading", name="Your first scores (for reference)")).to_be_visible()
    check_accessibility(page, javascript=False)
    page.get_by_role("button", name="Submit my scores").click()
    expect(page.get_by_text("0 of 1 scored again")).to_be_hidden()
    expect(page.get_by_text("1 of 1 scored again")).to_be_visible()
