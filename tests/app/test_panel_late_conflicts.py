"""Applications added after a member checked for conflicts are put in front of them first.

Staff may add applications while a round is open. A member who went through the conflicts
screen before that has never been asked about the new applicants, so they cannot open (or
score) a new application until the conflicts screen has asked them about it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from grantpanel.extensions import db
from grantpanel.models import (
    Application,
    Conflict,
    Membership,
    Round,
    User,
    as_utc,
    utcnow,
)
from grantpanel.services import conflicts, scoring
from tests.app.panel_helpers import conflicts_url, score_form, sheets
from tests.builders import make_application, make_member, make_round
from tests.helpers import csrf_token

Login = Callable[[User], FlaskClient]
SHOWN = re.compile(r'name="shown" type="hidden" value="([^"]*)"')










def checked_member_then_new_application(
    **application: object,
) -> tuple[Round, Membership, Application]:
    """An open round of three applications, a member who checked them an hour ago, and an
    application staff added since."""
    rnd = make_round(applications=3, state="open")
    member = make_member(rnd, conflicts_checked_at=utcnow() - dt.timedelta(hours=1))
    for a in rnd.applications:
        a.created_at = utcnow() - dt.timedelta(hours=2)
    fields: dict[str, object] = {"applicant_name": "Late Arrivals Trust",
                                 "title": "Late night warm space"}
    fields.update(application)
    new = make_application(rnd, reference="A-900", **fields)
    db.session.commit()
    db.session.expire_all()  # read the times back as the database returns them
    return rnd, member, new


# --- Service ----------------------------------------------------------------------------


def test_an_application_added_after_the_check_is_unchecked(app: Flask) -> None:
    rnd, member, new = checked_member_then_new_application()

    assert conflicts.conflicts_checked(member)
    assert conflicts.is_unchecked(member, new)
    assert not conflicts.is_unchecked(member, rnd.applications[0])
    assert [a.id for a in conflicts.unchecked_applications(member)] == [new.id]
    assert conflicts.needs_conflict_check(member)


def test_the_rule_compares_naive_and_aware_times_alike(app: Flask) -> None:
    rnd, member, new = checked_member_then_new_application()
    # One side fresh from Python (aware), the other as the database gave it back.
    member.conflicts_checked_at = utcnow()
    assert not conflicts.is_unchecked(member, new)
    db.session.commit()
    db.session.expire_all()
    assert not conflicts.is_unchecked(member, new)
    assert as_utc(dt.datetime(2026, 1, 1, 12, 0)) == dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)


def test_every_application_is_unchecked_before_the_first_check(app: Flask) -> None:
    rnd = make_round(applications=2, state="open")
    member = make_member(rnd)

    assert len(conflicts.unchecked_applications(member)) == 2
    assert conflicts.needs_conflict_check(member)


def test_member_cannot_open_or_score_an_unchecked_application(app: Flask) -> None:
    rnd, member, new = checked_member_then_new_application()

    with pytest.raises(scoring.ConflictsNotCheckedError, match="New applications"):
        scoring.check_can_open(member, new)
    with pytest.raises(scoring.ConflictsNotCheckedError):
        scoring.save_sheet(member, new, scores={"c1": 3}, panel_note="", feedback="",
                           submit=False, actor=member.user)
    with pytest.raises(scoring.ConflictsNotCheckedError):
        scoring.autosave_draft(member, new, scores={"c1": 3}, panel_note="", feedback="",
                               actor=member.user)
    scoring.check_can_open(member, rnd.applications[0])  # the older ones still open


def test_checking_again_marks_the_new_application_checked(app: Flask) -> None:
    rnd, member, new = checked_member_then_new_application()

    conflicts.mark_conflicts_checked(member)
    db.session.commit()
    db.session.expire_all()

    assert not conflicts.is_unchecked(member, new)
    assert not conflicts.needs_conflict_check(member)
    scoring.check_can_open(member, new)


def test_a_new_application_with_a_declared_conflict_is_not_asked_about(
    app: Flask,
) -> None:
    rnd, member, new = checked_member_then_new_application()
    staff_user = member.user
    conflicts.declare_conflict(member, new, category="trustee", declared_by=staff_user)
    db.session.commit()

    assert conflicts.unchecked_applications(member) == []
    assert not conflicts.needs_conflict_check(member)
    with pytest.raises(scoring.ConflictedError):
        scoring.check_can_open(member, new)


def test_a_new_ineligible_application_is_still_asked_about_so_it_is_safe_if_made_eligible(
    app: Flask,
) -> None:
    rnd, member, new = checked_member_then_new_application()
    later = make_application(rnd, reference="A-901", eligible=False)
    db.session.commit()
    assert [a.id for a in conflicts.unchecked_applications(member)] == [new.id, later.id]

    conflicts.mark_conflicts_checked(member)
    later.eligible = True
    db.session.commit()
    assert not conflicts.needs_conflict_check(member)
    scoring.check_can_open(member, later)


# --- Pages ------------------------------------------------------------------------------


def test_new_application_sends_the_member_to_the_conflicts_screen_listing_just_it(
    app: Flask, login_as: Login
) -> None:
    rnd, member, new = checked_member_then_new_application()
    client = login_as(member.user)
    new_url = f"/panel/rounds/{rnd.id}/applications/{new.id}"

    resp = client.get(new_url)
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(conflicts_url(rnd))
    # The queue and the home page send them there too.
    assert client.get(f"/panel/rounds/{rnd.id}/").headers["Location"].endswith(
        conflicts_url(rnd)
    )
    home = client.get("/panel/").get_data(as_text=True)
    assert "New applications have been added." in home
    assert f'href="{conflicts_url(rnd)}"' in home

    page = client.get(conflicts_url(rnd)).get_data(as_text=True)
    assert "These applications were added since you last checked." in page
    assert "New applicants (1)" in page
    assert "Late Arrivals Trust" in page
    for old in rnd.applications:
        if old.id != new.id:
            assert old.applicant_name not in page

    # Posting scores straight to the new application is refused too.
    token = csrf_token(client, conflicts_url(rnd))
    resp = client.post(new_url, data=score_form(rnd, ["3", "3"], csrf_token=token))
    assert resp.status_code == 302
    assert sheets() == []

    # Confirming "no ties" marks it checked; then it opens.
    page = client.get(conflicts_url(rnd)).get_data(as_text=True)
    shown = SHOWN.search(page)
    assert shown and shown.group(1) == str(new.id)
    token = csrf_token(client, conflicts_url(rnd))
    resp = client.post(
        conflicts_url(rnd),
        data={"no_ties": "y", "shown": shown.group(1), "csrf_token": token},
        follow_redirects=True,
    )
    assert "no ties to the new applicants" in resp.get_data(as_text=True)
    resp = client.get(new_url)
    assert resp.status_code == 200
    assert "Late night warm space" in resp.get_data(as_text=True)
    assert client.get(f"/panel/rounds/{rnd.id}/").status_code == 200


def test_older_applications_still_open_while_a_new_one_waits(
    app: Flask, login_as: Login
) -> None:
    rnd, member, new = checked_member_then_new_application()
    client = login_as(member.user)

    old = next(a for a in rnd.applications if a.id != new.id)
    assert client.get(f"/panel/rounds/{rnd.id}/applications/{old.id}").status_code == 200


def test_declaring_a_tie_to_the_new_applicant_keeps_it_closed(
    app: Flask, login_as: Login
) -> None:
    rnd, member, new = checked_member_then_new_application()
    client = login_as(member.user)

    token = csrf_token(client, conflicts_url(rnd))
    resp = client.post(
        conflicts_url(rnd),
        data={f"tie_{new.id}": "y", f"category_{new.id}": "works-for", "shown": str(new.id),
              "csrf_token": token},
        follow_redirects=True,
    )

    assert "you have a connection to" in resp.get_data(as_text=True)
    assert "Late night warm space" not in resp.get_data(as_text=True)  # not in the queue
    assert db.session.scalar(select(func.count()).select_from(Conflict)) == 1
    assert client.get(f"/panel/rounds/{rnd.id}/applications/{new.id}").status_code == 403
    assert not conflicts.needs_conflict_check(db.session.get(Membership, member.id))


def test_an_application_added_while_the_member_is_checking_is_not_confirmed_unseen(
    app: Flask, login_as: Login
) -> None:
    rnd, member, new = checked_member_then_new_application()
    client = login_as(member.user)
    page = client.get(conflicts_url(rnd)).get_data(as_text=True)
    shown = SHOWN.search(page)
    assert shown
    token = csrf_token(client, conflicts_url(rnd))

    newer = make_application(rnd, reference="A-901", applicant_name="Even Later CIC")
    db.session.commit()
    resp = client.post(
        conflicts_url(rnd),
        data={"no_ties": "y", "shown": shown.group(1), "csrf_token": token},
    )

    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "The list of applicants changed while you were checking it." in page
    assert "Even Later CIC" in page and "Late Arrivals Trust" in page
    db.session.expire_all()
    assert conflicts.is_unchecked(db.session.get(Membership, member.id), newer)
