from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from grantpanel.extensions import db
from grantpanel.models import AuditEvent, Conflict, ScoreSheet, as_utc
from grantpanel.services import conflicts
from tests.builders import make_member, make_round, make_user


def test_categories_are_the_six_plain_choices(app: Flask) -> None:
    assert [key for key, _ in conflicts.CATEGORIES] == [
        "works-for", "trustee", "family", "close-friend", "beneficiary", "other",
    ]
    assert conflicts.CATEGORY_LABELS["works-for"] == "I work or volunteer for them"


def test_declaring_a_conflict_records_it_and_logs_without_the_note(app: Flask) -> None:
    rnd = make_round(applications=2)
    member = make_member(rnd)
    application = rnd.applications[0]

    conflict = conflicts.declare_conflict(
        member, application, category="family", note="My sister runs it",
        declared_by=member.user,
    )
    db.session.commit()

    assert conflict.category == "family"
    assert conflict.note == "My sister runs it"
    assert conflicts.conflicted_application_ids(member) == {application.id}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "conflict.declared"))
    assert event is not None
    assert event.detail["category"] == "family"
    assert event.detail["application_id"] == application.id
    assert "My sister" not in str(event.detail)


def test_declaring_the_same_conflict_twice_keeps_one(app: Flask) -> None:
    rnd = make_round(applications=1)
    member = make_member(rnd)
    first = conflicts.declare_conflict(
        member, rnd.applications[0], category="trustee", declared_by=member.user
    )
    second = conflicts.declare_conflict(
        member, rnd.applications[0], category="other", declared_by=member.user
    )
    db.session.commit()

    assert first.id == second.id
    assert db.session.scalar(select(func.count()).select_from(Conflict)) == 1


def test_declaring_a_conflict_withdraws_the_members_score_sheet(app: Flask) -> None:
    rnd = make_round(applications=1, state="open")
    member = make_member(rnd)
    application = rnd.applications[0]
    sheet = ScoreSheet(
        membership_id=member.id, application_id=application.id, status="submitted",
        scores={"c1": 4, "c2": 3},
    )
    db.session.add(sheet)
    db.session.flush()

    staff = make_user(role="staff")
    conflicts.declare_conflict(member, application, category="works-for", declared_by=staff)
    db.session.commit()

    assert sheet.status == "withdrawn"
    assert sheet.scores == {"c1": 4, "c2": 3}  # kept for the record


def test_a_conflict_must_be_in_the_members_round(app: Flask) -> None:
    rnd = make_round(applications=1)
    other = make_round(name="Another round", applications=1)
    member = make_member(rnd)
    with pytest.raises(conflicts.ConflictError, match="not in this member's round"):
        conflicts.declare_conflict(
            member, other.applications[0], category="family", declared_by=member.user
        )


def test_an_unknown_category_is_refused(app: Flask) -> None:
    rnd = make_round(applications=1)
    member = make_member(rnd)
    with pytest.raises(conflicts.ConflictError, match="Choose how"):
        conflicts.declare_conflict(
            member, rnd.applications[0], category="enemy", declared_by=member.user
        )


def test_marking_conflicts_checked_again_moves_the_time_on_and_logs_each_check(
    app: Flask,
) -> None:
    # Each check covers the applications there were at that moment, so a later check (after
    # staff added applications) must move the time on.
    rnd = make_round(applications=1)
    member = make_member(rnd)
    assert not conflicts.conflicts_checked(member)

    conflicts.mark_conflicts_checked(member)
    db.session.commit()
    first = as_utc(member.conflicts_checked_at)
    conflicts.mark_conflicts_checked(member)
    db.session.commit()

    assert conflicts.conflicts_checked(member)
    assert as_utc(member.conflicts_checked_at) >= first
    count = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "conflicts.checked"
        )
    )
    assert count == 2


@pytest.mark.parametrize("state", ["decided", "published"])
def test_a_conflict_cannot_be_declared_once_the_decision_is_confirmed(
    app: Flask, state: str
) -> None:
    rnd = make_round(applications=1, state=state)
    member = make_member(rnd)
    with pytest.raises(conflicts.ConflictError, match="already confirmed"):
        conflicts.declare_conflict(member, rnd.applications[0], category="family",
                                   declared_by=member.user)
    assert not conflicts.can_declare(rnd)
