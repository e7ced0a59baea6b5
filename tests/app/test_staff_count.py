"""The count page: run the count once, change one application at a time with a reason,
confirm what was shown, then publish."""

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
from tests.helpers import confirm_count, count_digest, post_form, run_count, text

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


def test_the_count_is_run_on_request_and_shows_the_ranked_list_and_the_funding_line(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _scored_round()
    client = login_as(staff)
    page = text(client.get(f"/staff/rounds/{rnd.id}/count"))
    assert "Run the count" in page and "A-002: " not in page  # nothing counted on a GET
    assert run_count(client, rnd.id).status_code == 302
    page = text(client.get(f"/staff/rounds/{rnd.id}/count"))
    assert "Counted " in page and "by Grace Grants" in page
    assert page.index("A-002: ") < page.index("A-001: ") < page.index("A-003: ")
    assert 'class="funding-line"' in page and "Funding line:" in page
    assert page.index("Funding line:") < page.index("A-003: ")
    assert "Below the funding line" in page
    assert "Confirm the decision" in page
    assert page.count('name="count_digest"') == 1
    assert "count.run" in db.session.scalars(select(AuditEvent.action)).all()


def test_staff_confirm_the_decision_as_counted_then_publish(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _scored_round()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/count"
    resp = confirm_count(client, rnd.id)
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


def test_confirming_needs_the_count_that_was_shown(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _scored_round()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/count"
    assert post_form(client, url, {"count_digest": "x"}).status_code == 400  # nothing run yet
    run_count(client, rnd.id)
    seen = count_digest(client, rnd.id)
    resp = post_form(client, url, {"count_digest": "sha256:" + "0" * 64})
    assert resp.status_code == 400 and "run again since you loaded this page" in text(resp)
    # a sheet withdrawn after the count was run: confirming what was shown is refused
    sheet = db.session.scalars(select(ScoreSheet)).first()
    assert sheet is not None
    sheet.status = "withdrawn"
    db.session.commit()
    resp = post_form(client, url, {"count_digest": seen})
    assert resp.status_code == 400 and "has changed since it was run" in text(resp)
    db.session.refresh(rnd)
    assert rnd.state == "closed"
    run_count(client, rnd.id)
    assert post_form(client, url, {"count_digest": count_digest(client, rnd.id)}
                     ).status_code == 302


def test_a_change_needs_a_written_reason_and_keeps_what_was_typed(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _scored_round()
    client = login_as(staff)
    run_count(client, rnd.id)
    change = f"/staff/rounds/{rnd.id}/count/applications/A-003"
    page = text(client.get(change))
    assert "Keep it not funded, as counted" in page and "Fund it" in page
    resp = post_form(client, change, {"action": "fund", "reason": ""})
    assert resp.status_code == 400
    assert "Write the reason for the change" in text(resp)
    resp = post_form(client, change, {"action": "keep", "reason": "Strong local support."})
    assert resp.status_code == 400
    page = text(resp)
    assert "You wrote a reason but chose to keep the result as counted" in page
    assert "Strong local support.</textarea>" in page  # the typing is kept
    resp = post_form(client, change, {"action": "unfund", "reason": "x"})
    assert resp.status_code == 400  # not a choice for an application the count did not fund
    assert client.get(f"/staff/rounds/{rnd.id}/count/applications/NOPE").status_code == 404
    db.session.refresh(rnd)
    assert rnd.state == "closed"


def test_staff_change_applications_one_at_a_time_and_the_reasons_are_published(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _scored_round()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/count"
    resp = confirm_count(client, rnd.id, {
        "A-001": ("unfund", "The group has closed."),
        "A-003": ("fund", "Only project in the north of the area."),
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


def test_a_saved_change_is_listed_and_can_be_taken_back(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _scored_round()
    client = login_as(staff)
    run_count(client, rnd.id)
    change = f"/staff/rounds/{rnd.id}/count/applications/A-001"
    assert post_form(client, change, {"action": "unfund", "reason": "Closed."}).status_code == 302
    page = text(client.get(f"/staff/rounds/{rnd.id}/count"))
    assert "A-001: do not fund. Reason: Closed." in page
    assert "Funded after the changes" in page
    assert "Closed.</textarea>" in text(client.get(change))  # shown again to edit
    assert post_form(client, change, {"action": "keep", "reason": ""}).status_code == 302
    page = text(client.get(f"/staff/rounds/{rnd.id}/count"))
    assert "A-001: do not fund" not in page


def test_an_override_over_budget_is_refused_plainly(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _scored_round()
    client = login_as(staff)
    resp = confirm_count(client, rnd.id, {"A-003": ("fund", "Needed.")})
    assert resp.status_code == 400
    assert "more than the budget" in text(resp)
    db.session.refresh(rnd)
    assert rnd.state == "closed"
    page = text(client.get(f"/staff/rounds/{rnd.id}/count"))
    assert "the total is more than the budget" in page  # said before confirming, too


def test_staff_can_withdraw_a_decision_before_publishing(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _scored_round()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/count"
    confirm_count(client, rnd.id)
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
