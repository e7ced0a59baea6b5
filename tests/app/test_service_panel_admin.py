"""Panel administration: adding members, one-time invitation links, progress counts."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import insert, select

from grantpanel.extensions import db
from grantpanel.models import AuditEvent, Conflict, Membership, ScoreSheet
from grantpanel.services import accounts, panel_admin
from tests.builders import make_member, make_round, make_user


def test_adding_a_new_person_creates_a_panel_account_without_a_password(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round()
    membership, token = panel_admin.add_member(
        rnd, staff, name="Ada Lovel", email="Ada@Example.org", phone="07700 900123",
        access_needs="Large print, please",
    )
    user = membership.user
    assert user.role == "panel" and user.password_hash is None
    assert user.email == "ada@example.org"
    assert user.phone == "07700 900123" and user.access_needs == "Large print, please"
    assert membership.number == 1 and membership.pseudonym == "Panel member 1"
    assert token
    logged = db.session.scalars(select(AuditEvent)).all()
    assert token not in str([e.detail for e in logged])


def test_an_existing_panel_member_is_reused_with_the_next_number(app: Flask) -> None:
    staff = make_user(role="staff")
    person = make_user(role="panel", email="sam@example.org")
    first = make_round(name="Earlier round")
    make_member(first, person)
    rnd = make_round()
    make_member(rnd)
    membership, _ = panel_admin.add_member(rnd, staff, name="Sam", email="SAM@example.org")
    assert membership.user_id == person.id
    assert membership.number == 2


def test_a_new_member_is_numbered_from_the_panel_as_committed_not_a_stale_copy(
    app: Flask,
) -> None:
    staff = make_user(role="staff")
    rnd = make_round()
    make_member(rnd, number=1)
    db.session.commit()
    assert [m.number for m in rnd.memberships] == [1]
    # A colleague added "Panel member 5" a moment ago; this session has not seen it.
    db.session.execute(
        insert(Membership).values(round_id=rnd.id, user_id=make_user().id, number=5)
    )
    membership, _ = panel_admin.add_member(rnd, staff, name="Sam", email="sam@example.org")
    assert membership.number == 6


def test_the_same_person_cannot_join_a_round_twice(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round()
    panel_admin.add_member(rnd, staff, name="Sam", email="sam@example.org")
    with pytest.raises(panel_admin.PanelError, match="already on this round's panel"):
        panel_admin.add_member(rnd, staff, name="Sam", email="sam@example.org")


def test_a_staff_email_cannot_be_added_to_the_panel(app: Flask) -> None:
    staff = make_user(role="staff", email="boss@example.org")
    rnd = make_round()
    with pytest.raises(panel_admin.PanelError, match="staff account"):
        panel_admin.add_member(rnd, staff, name="Boss", email="boss@example.org")


def test_the_invitation_link_works_once(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round()
    membership, token = panel_admin.add_member(rnd, staff, name="Ada", email="ada@example.org")
    db.session.commit()
    assert accounts.redeem_invitation(token).id == membership.user_id
    db.session.commit()
    with pytest.raises(accounts.AccountError, match="already been used"):
        accounts.redeem_invitation(token)


def test_a_new_link_cancels_the_earlier_unused_one(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round()
    membership, old = panel_admin.add_member(rnd, staff, name="Ada", email="ada@example.org")
    new = panel_admin.new_invitation(membership, staff)
    db.session.commit()
    assert new != old
    with pytest.raises(accounts.AccountError, match="expired"):
        accounts.redeem_invitation(old)
    assert accounts.redeem_invitation(new).id == membership.user_id


def test_members_cannot_be_added_after_scoring_closes(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round(state="closed")
    with pytest.raises(panel_admin.PanelError, match="scoring has closed"):
        panel_admin.add_member(rnd, staff, name="Ada", email="ada@example.org")


def test_progress_counts_submitted_drafts_to_do_and_conflicts(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round(applications=4)
    a1, a2, a3, a4 = rnd.applications
    a4.eligible = False
    m = make_member(rnd)
    other = make_member(rnd)
    db.session.add_all(
        [
            ScoreSheet(membership_id=m.id, application_id=a1.id, status="submitted",
                       scores={"c1": 3, "c2": 4}),
            ScoreSheet(membership_id=m.id, application_id=a2.id, status="draft", scores={}),
            Conflict(membership_id=m.id, application_id=a3.id, category="family",
                     declared_by_id=staff.id),
        ]
    )
    db.session.flush()
    by_number = {p.membership.number: p for p in panel_admin.progress(rnd)}
    mine = by_number[m.number]
    assert (mine.submitted, mine.drafts, mine.to_do, mine.conflicts) == (1, 1, 1, 1)
    assert mine.not_started == 0  # the draft is not "not started"
    theirs = by_number[other.number]
    assert (theirs.submitted, theirs.drafts, theirs.to_do, theirs.conflicts) == (0, 0, 3, 0)
    assert theirs.not_started == 3
    rows = {r.reference: r for r in panel_admin.application_progress(rnd)}
    assert rows["A-001"].submitted == 1 and not rows["A-001"].quorum_met
    assert rows["A-003"].conflicts == 1


def test_progress_pages_agree_with_the_whole_list(app: Flask) -> None:
    """Paged progress counts equal the unpaged ones; a late conflict's withdrawn sheet, an
    ineligible application's sheet and a stage-2 sheet change nothing they should not."""
    staff = make_user(role="staff")
    rnd = make_round(applications=7)
    apps = rnd.applications
    apps[6].eligible = False
    members = [make_member(rnd) for _ in range(5)]
    for i, m in enumerate(members):
        for j, a in enumerate(apps):
            if (i + j) % 3 == 0:
                db.session.add(ScoreSheet(membership_id=m.id, application_id=a.id,
                                          status="submitted", scores={"c1": 3}))
            elif (i + j) % 3 == 1:
                db.session.add(ScoreSheet(membership_id=m.id, application_id=a.id,
                                          status="draft", scores={}))
        db.session.add(Conflict(membership_id=m.id, application_id=apps[i].id,
                                category="family", declared_by_id=staff.id))
    db.session.add(ScoreSheet(membership_id=members[0].id, application_id=apps[3].id, stage=2,
                              status="submitted", scores={"c1": 5}))
    db.session.flush()
    whole = panel_admin.progress(rnd)
    paged = [*panel_admin.progress(rnd, offset=0, limit=2),
             *panel_admin.progress(rnd, offset=2, limit=2),
             *panel_admin.progress(rnd, offset=4, limit=2)]
    assert [(p.membership.number, p.submitted, p.drafts, p.to_do, p.conflicts) for p in paged] \
        == [(p.membership.number, p.submitted, p.drafts, p.to_do, p.conflicts) for p in whole]
    assert [p.membership.number for p in whole] == [1, 2, 3, 4, 5]
    rows = panel_admin.application_progress(rnd)
    paged_rows = [*panel_admin.application_progress(rnd, offset=0, limit=4),
                  *panel_admin.application_progress(rnd, offset=4, limit=4)]
    assert rows == paged_rows
    # Worked by hand for member 1 (i = 0): submitted on A-001 (conflicted, still counted as
    # submitted), A-004; drafts on; A-007 is ineligible; conflict on A-001.
    first = whole[0]
    assert (first.submitted, first.drafts, first.conflicts) == (2, 2, 1)
    assert first.to_do == 6 - 1 - 1  # eligible - conflicted - submitted without a conflict
    # submitted by members 1 (conflicted: not counted) and 4; drafts by 2 and 5.
    by_ref = {r.reference: r for r in rows}
    assert (by_ref["A-001"].submitted, by_ref["A-001"].drafts,
            by_ref["A-001"].conflicts) == (1, 2, 1)
