"""Opening, closing and publishing ask staff to confirm on a page saying what is outstanding."""

from __future__ import annotations

import html
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

import voting
from grantpanel.extensions import db
from grantpanel.models import Round, ScoreSheet, User, utcnow
from grantpanel.services import counting, step_checks
from tests.builders import make_member, make_round, make_user
from tests.helpers import post_form, text

Login = Callable[[User], FlaskClient]
SEED = "ab" * 32


def page_of(client: FlaskClient, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, url
    return html.unescape(text(resp))


def test_the_round_page_links_to_the_check_and_the_check_opens_scoring(
    app: Flask, login_as: Login
) -> None:
    staff = make_user(role="staff")
    rnd = make_round(applications=2)
    make_member(rnd)
    db.session.commit()
    client = login_as(staff)
    detail = text(client.get(f"/staff/rounds/{rnd.id}"))
    assert f'href="/staff/rounds/{rnd.id}/steps/open"' in detail  # a link, not a POST button
    page = page_of(client, f"/staff/rounds/{rnd.id}/steps/open")
    assert "can no longer be changed" in page
    assert "Nothing is outstanding." in page
    assert f'action="/staff/rounds/{rnd.id}/steps/open"' in page
    post_form(client, f"/staff/rounds/{rnd.id}/steps/open", page=f"/staff/rounds/{rnd.id}/steps/open")
    db.session.refresh(rnd)
    assert rnd.state == "open"
    # once open, the check says so and offers no button
    page = page_of(client, f"/staff/rounds/{rnd.id}/steps/open")
    assert "This step is not open to this round now." in page
    assert f'action="/staff/rounds/{rnd.id}/steps/open"' not in page


def test_opening_without_criteria_is_blocked_on_the_check(app: Flask, login_as: Login) -> None:
    staff = make_user(role="staff")
    rnd = Round(name="Empty", purpose="", budget=100_000, state="draft")
    db.session.add(rnd)
    db.session.commit()
    page = page_of(login_as(staff), f"/staff/rounds/{rnd.id}/steps/open")
    assert "This cannot be done yet" in page and "Add at least one criterion" in page
    assert f'action="/staff/rounds/{rnd.id}/steps/open"' not in page


def test_closing_lists_drafts_and_applications_without_enough_scores(
    app: Flask, login_as: Login
) -> None:
    staff = make_user(role="staff")
    rnd = make_round(state="open", applications=3, quorum=2)
    a, b = make_member(rnd), make_member(rnd)
    first, second, third = rnd.applications
    for m in (a, b):
        db.session.add(ScoreSheet(membership_id=m.id, application_id=first.id,
                                  status="submitted", submitted_at=utcnow(),
                                  scores={"c1": 3, "c2": 3}))
    db.session.add(ScoreSheet(membership_id=a.id, application_id=second.id, status="draft",
                              scores={"c1": 3}))
    db.session.commit()
    check = step_checks.check(rnd, "close")
    assert dict(check.facts) == {"Score sheets submitted": "2", "Drafts not submitted": "1"}
    page = page_of(login_as(staff), f"/staff/rounds/{rnd.id}/steps/close")
    assert "1 score sheet is a draft (from 1 panel members)" in page
    assert "2 eligible applications have fewer scores than the 2 needed" in page
    assert f"{second.reference}: {second.title} (0 of 2 scores)" in page
    assert f"{third.reference}:" in page and f"{first.reference}:" not in page


def test_the_close_check_cuts_a_long_list(app: Flask, login_as: Login) -> None:
    rnd = make_round(state="open", applications=step_checks.LIST_LIMIT + 3, quorum=1)
    db.session.commit()
    check = step_checks.check(rnd, "close")
    assert len(check.items) == step_checks.LIST_LIMIT and check.more == 3
    page = page_of(login_as(make_user(role="staff")), f"/staff/rounds/{rnd.id}/steps/close")
    assert "And 3 more." in page


def test_publishing_shows_the_final_funded_list_and_total(app: Flask, login_as: Login) -> None:
    staff = make_user(role="staff")
    rnd = make_round(state="closed", budget=200_000, applications=3, amount=100_000, quorum=1,
                     fit_rule="stop", seed=SEED, seed_commitment=voting.seed_commitment(SEED))
    member = make_member(rnd, conflicts_checked_at=utcnow())
    for app_, points in zip(rnd.applications, (4, 5, 2), strict=True):
        db.session.add(ScoreSheet(membership_id=member.id, application_id=app_.id,
                                  status="submitted", submitted_at=utcnow(),
                                  scores={"c1": points, "c2": points}))
    db.session.flush()
    third = rnd.applications[2].reference
    first = rnd.applications[0].reference
    counting.decide(rnd, staff, [
        {"application": first, "action": "unfund", "reason": "Already funded elsewhere"},
        {"application": third, "action": "fund", "reason": "Local need"},
    ])
    rnd.state = "decided"
    db.session.commit()
    page = page_of(login_as(staff), f"/staff/rounds/{rnd.id}/steps/publish")
    assert "cannot be changed or taken back" in page
    assert "The funded list" in page
    assert f"{third}:" in page and f"{first}:" not in page
    assert "£2,000.00 of a £2,000.00 budget" in page
    assert f'action="/staff/rounds/{rnd.id}/steps/publish"' in page


def test_other_steps_and_other_people_get_no_check_page(app: Flask, login_as: Login) -> None:
    rnd = make_round(state="open")
    member = make_member(rnd)
    db.session.commit()
    staff = login_as(make_user(role="staff"))
    for name in ("reopen", "decide", "nonsense", "<script>"):
        assert staff.get(f"/staff/rounds/{rnd.id}/steps/{name}").status_code == 404
    assert staff.get("/staff/rounds/999/steps/open").status_code == 404
    assert login_as(member.user).get(f"/staff/rounds/{rnd.id}/steps/close").status_code in (
        302, 403)
