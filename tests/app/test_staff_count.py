"""The count page: ranked list with the funding line, confirm or override, then publish."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import voting
from grantpanel.extensions import db
from grantpanel.models import AuditEvent, Decision, PublishedRecord, Round, ScoreSheet, User
from tests.builders import make_member, make_round, make_user
from tests.helpers import post_form, text

Login = Callable[[User], FlaskClient]
SEED = "ab" * 32


@pytest.fixture()
def staff(app: Flask) -> User:
    user = make_user(role="staff", name="Grace Grants")
    db.session.commit()
    return user


def _scored_round(state: str = "closed") -> Round:
    """Three applications of £1,000 and a £2,000 budget; A-002 scores highest, A-003 lowest."""
    rnd = make_round(
        state=state, budget=200_000, applications=3, amount=100_000, quorum=2, fit_rule="stop",
        seed=SEED, seed_commitment=voting.seed_commitment(SEED),
    )
    members = [make_member(rnd) for _ in range(2)]
    scores = {"A-001": 4, "A-002": 5, "A-003": 2}
    for a in rnd.applications:
        for m in members:
            db.session.add(ScoreSheet(
                membership_id=m.id, application_id=a.id, status="submitted",
                scores={"c1": scores[a.reference], "c2": scores[a.reference]},
            ))
    db.session.commit()
    return rnd


def test_the_count_waits_until_scoring_closes(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round(state="open")
    db.session.commit()
    page = text(login_as(staff).get(f"/staff/rounds/{rnd.id}/count"))
    assert "once scoring has closed" in page
    assert "Confirm the decision" not in page


def test_the_count_shows_the_ranked_list_and_the_funding_line(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _scored_round()
    page = text(login_as(staff).get(f"/staff/rounds/{rnd.id}/count"))
    assert page.index("A-002: ") < page.index("A-001: ") < page.index("A-003: ")
    assert 'class="funding-line"' in page and "Funding line:" in page
    assert page.index("Funding line:") < page.index("A-003: ")
    assert "Below the funding line" in page
    assert "Confirm the decision" in page


def test_staff_confirm_the_decision_as_counted_then_publish(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _scored_round()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/count"
    resp = post_form(client, url, {})
    assert resp.status_code == 302
    db.session.refresh(rnd)
    assert rnd.state == "decided"
    decision = db.session.scalars(select(Decision)).one()
    assert decision.outcome == "confirmed" and decision.overrides == []
    page = text(client.get(url))
    assert "Confirmed as counted" in page and "Publish the decision" in page
    resp = post_form(client, f"/staff/rounds/{rnd.id}/steps/publish", page=url)
    assert resp.status_code == 302
    db.session.refresh(rnd)
    assert rnd.state == "published"
    assert db.session.scalars(select(PublishedRecord)).one().round_id == rnd.id
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.round_id == rnd.id)
    ).all()
    assert "round.decide" in actions and "round.publish" in actions
    published_page = text(client.get(url))
    assert f'href="/rounds/{rnd.id}"' in published_page
    assert f'href="/rounds/{rnd.id}/record.json"' in published_page


def test_an_override_needs_a_written_reason(app: Flask, staff: User, login_as: Login) -> None:
    rnd = _scored_round()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/count"
    # Rows in ranked order: A-002 (0), A-001 (1), A-003 (2).
    resp = post_form(client, url, {"action_2": "fund", "reason_2": ""})
    assert resp.status_code == 400
    assert "Write the reason for changing the decision on A-003" in text(resp)
    db.session.refresh(rnd)
    assert rnd.state == "closed"


def test_a_reason_typed_while_the_decision_is_kept_is_not_dropped(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _scored_round()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/count"
    resp = post_form(client, url, {"action_2": "keep", "reason_2": "Strong local support."})
    assert resp.status_code == 400
    page = text(resp)
    assert "You wrote a reason for A-003 but left its decision as it was counted" in page
    assert 'value="Strong local support."' in page  # the typing is kept
    db.session.refresh(rnd)
    assert rnd.state == "closed"
    assert db.session.scalars(select(Decision)).first() is None


def test_staff_override_with_a_reason_and_the_reason_is_shown(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _scored_round()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/count"
    resp = post_form(client, url, {
        "action_1": "unfund", "reason_1": "The group has closed.",
        "action_2": "fund", "reason_2": "Only project in the north of the area.",
    })
    assert resp.status_code == 302
    decision = db.session.scalars(select(Decision)).one()
    assert decision.outcome == "overridden"
    assert [(o["application"], o["action"]) for o in decision.overrides] == [
        ("A-001", "unfund"), ("A-003", "fund")
    ]
    page = text(client.get(url))
    assert "Only project in the north of the area." in page
    assert "Changed by staff, with reasons" in page


def test_an_override_over_budget_is_refused_plainly(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _scored_round()
    resp = post_form(login_as(staff), f"/staff/rounds/{rnd.id}/count",
                     {"action_2": "fund", "reason_2": "Needed."})
    assert resp.status_code == 400
    assert "more than the budget" in text(resp)
    db.session.refresh(rnd)
    assert rnd.state == "closed"


def test_staff_can_withdraw_a_decision_before_publishing(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _scored_round()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/count"
    post_form(client, url, {})
    resp = post_form(client, f"/staff/rounds/{rnd.id}/steps/undo-decision", page=url)
    assert resp.status_code == 302
    db.session.refresh(rnd)
    assert rnd.state == "closed"
    assert db.session.scalars(select(Decision)).first() is None


def test_the_round_page_sends_staff_to_the_count_to_decide(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _scored_round()
    page = text(login_as(staff).get(f"/staff/rounds/{rnd.id}"))
    assert "Check the count and confirm the decision" in page
    assert f"/staff/rounds/{rnd.id}/steps/decide" not in page
