from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from grantpanel.extensions import db
from grantpanel.models import AuditEvent, Membership, Round, ScoreSheet, utcnow
from grantpanel.services import conflicts, scoring
from tests.builders import make_member, make_round


def _checked_member(rnd: Round, **fields: object) -> Membership:
    return make_member(rnd, conflicts_checked_at=utcnow(), **fields)


def _save(member: Membership, app_index: int = 0, *, submit: bool = True,
          scores: dict[str, int | None] | None = None) -> ScoreSheet:
    return scoring.save_sheet(
        member,
        member.round.applications[app_index],
        scores={"c1": 4, "c2": 3} if scores is None else scores,
        panel_note="Strong local links.",
        feedback="",
        submit=submit,
        actor=member.user,
    )


def _count_sheets() -> int:
    return db.session.scalar(select(func.count()).select_from(ScoreSheet)) or 0


def test_queue_leaves_out_conflicted_and_ineligible_applications(app: Flask) -> None:
    rnd = make_round(applications=4, state="open")
    rnd.applications[3].eligible = False
    member = _checked_member(rnd)
    conflicts.declare_conflict(
        member, rnd.applications[0], category="family", declared_by=member.user
    )
    _save(member, 1, submit=False, scores={"c1": 2})
    _save(member, 2)

    items = scoring.queue(member)

    assert [i.application.reference for i in items] == ["A-002", "A-003"]
    assert [i.status for i in items] == [scoring.DRAFT_SAVED, scoring.SUBMITTED]
    assert scoring.progress(items) == (1, 2)


def test_a_draft_may_be_partial(app: Flask) -> None:
    rnd = make_round(applications=1, state="open")
    member = _checked_member(rnd)
    sheet = _save(member, submit=False, scores={"c1": 2})
    assert sheet.status == "draft"
    assert sheet.scores == {"c1": 2}


def test_submitting_needs_every_question_answered(app: Flask) -> None:
    rnd = make_round(applications=1, state="open")
    member = _checked_member(rnd)
    with pytest.raises(scoring.ScoreValidationError) as e:
        _save(member, scores={"c1": 2})
    assert set(e.value.errors) == {"c2"}
    assert "How the money will be used" in e.value.errors["c2"]


def test_submitting_needs_at_least_one_real_score(app: Flask) -> None:
    rnd = make_round(applications=1, state="open")
    member = _checked_member(rnd)
    with pytest.raises(scoring.ScoreValidationError, match="at least one"):
        _save(member, scores={"c1": None, "c2": None})


def test_dont_know_counts_as_an_answer_and_is_stored_as_none(app: Flask) -> None:
    rnd = make_round(applications=1, state="open")
    member = _checked_member(rnd)
    sheet = _save(member, scores={"c1": 5, "c2": None})
    db.session.commit()
    assert sheet.status == "submitted"
    assert sheet.scores == {"c1": 5, "c2": None}


@pytest.mark.parametrize("bad", [0, 6, -1, True])
def test_a_score_outside_the_scale_is_refused_even_in_a_draft(app: Flask, bad: int) -> None:
    rnd = make_round(applications=1, state="open")
    member = _checked_member(rnd)
    with pytest.raises(scoring.ScoreValidationError) as e:
        _save(member, submit=False, scores={"c1": bad})
    assert "from 1 to 5" in e.value.errors["c1"]
    assert _count_sheets() == 0


def test_a_sheet_can_be_saved_only_while_scoring_is_open(app: Flask) -> None:
    rnd = make_round(applications=1, state="closed")
    member = _checked_member(rnd)
    with pytest.raises(scoring.ScoringClosedError) as e:
        _save(member)
    assert str(e.value) == (
        "Scoring has closed for this round, so you cannot change your scores."
    )
    rnd.state = "draft"
    with pytest.raises(scoring.ScoringClosedError, match="not opened"):
        _save(member)


def test_a_conflicted_member_cannot_save_a_sheet(app: Flask) -> None:
    rnd = make_round(applications=1, state="open")
    member = _checked_member(rnd)
    conflicts.declare_conflict(
        member, rnd.applications[0], category="trustee", declared_by=member.user
    )
    with pytest.raises(scoring.ConflictedError):
        _save(member)


def test_a_member_who_has_not_checked_conflicts_cannot_open_or_save(app: Flask) -> None:
    rnd = make_round(applications=1, state="open")
    member = make_member(rnd)
    with pytest.raises(scoring.ConflictsNotCheckedError):
        scoring.check_can_open(member, rnd.applications[0])
    with pytest.raises(scoring.ConflictsNotCheckedError):
        _save(member)


def test_saving_again_updates_the_one_sheet(app: Flask) -> None:
    rnd = make_round(applications=1, state="open")
    member = _checked_member(rnd)
    first = _save(member, submit=False, scores={"c1": 1})
    second = _save(member, scores={"c1": 4, "c2": 4})
    db.session.commit()
    assert first.id == second.id
    assert _count_sheets() == 1
    assert second.status == "submitted" and second.submitted_at is not None


def _first_look_up_misses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the save's first look-up miss the sheet, as when another request makes it at the
    same moment: the save's insert then fails on the unique key and it must fall back."""
    real = scoring._locked_sheet
    calls = {"n": 0}

    def racing(*args: object, **kwargs: object) -> ScoreSheet | None:
        calls["n"] += 1
        return None if calls["n"] == 1 else real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(scoring, "_locked_sheet", racing)


def test_a_sheet_made_at_the_same_moment_elsewhere_is_updated_not_duplicated(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    rnd = make_round(applications=1, state="open")
    member = _checked_member(rnd)
    application = rnd.applications[0]
    other = ScoreSheet(
        membership_id=member.id, application_id=application.id, stage=1, status="draft",
        scores={"c1": 1},
    )
    db.session.add(other)
    db.session.commit()
    _first_look_up_misses(monkeypatch)
    sheet = _save(member, scores={"c1": 5, "c2": 5})
    db.session.commit()

    assert sheet.id == other.id
    assert _count_sheets() == 1
    assert sheet.scores == {"c1": 5, "c2": 5}
    assert sheet.status == "submitted"


def test_an_autosave_that_loses_the_insert_to_a_submit_leaves_the_submitted_sheet_alone(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    rnd = make_round(applications=1, state="open")
    member = _checked_member(rnd)
    application = rnd.applications[0]
    submitted = ScoreSheet(
        membership_id=member.id, application_id=application.id, stage=1, status="submitted",
        scores={"c1": 5, "c2": 4}, panel_note="Submitted", submitted_at=utcnow(),
    )
    db.session.add(submitted)
    db.session.commit()
    _first_look_up_misses(monkeypatch)

    with pytest.raises(scoring.AlreadySubmittedError) as e:
        scoring.autosave_draft(member, application, scores={"c1": 1}, panel_note="Autosaved",
                               feedback="", actor=member.user)
    db.session.rollback()

    assert str(e.value) == scoring.ALREADY_SUBMITTED_MESSAGE
    [sheet] = db.session.scalars(
        select(ScoreSheet).execution_options(populate_existing=True)
    ).all()
    assert (sheet.status, sheet.scores, sheet.panel_note) == (
        "submitted", {"c1": 5, "c2": 4}, "Submitted"
    )


def test_a_save_reads_the_round_fresh_so_a_close_made_elsewhere_refuses_it(app: Flask) -> None:
    rnd = make_round(applications=1, state="open")
    member = _checked_member(rnd)
    db.session.commit()
    assert member.round.state == "open"
    # Scoring closes in another request; this session still holds the round as open.
    db.session.execute(
        update(Round).where(Round.id == rnd.id).values(state="closed")
        .execution_options(synchronize_session=False)
    )
    assert member.round.state == "open"

    with pytest.raises(scoring.ScoringClosedError, match="Scoring has closed"):
        _save(member)
    assert _count_sheets() == 0


def test_audit_log_records_saving_and_submitting_without_score_values(app: Flask) -> None:
    rnd = make_round(applications=1, state="open")
    member = _checked_member(rnd)
    _save(member, submit=False, scores={"c1": 3})
    _save(member, scores={"c1": 4, "c2": 2})
    db.session.commit()
    events = list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("sheet.%")).order_by(AuditEvent.id)
        )
    )
    assert [e.action for e in events] == ["sheet.saved", "sheet.submitted"]
    for e in events:
        assert "scores" not in e.detail
        assert set(e.detail) == {"sheet_id", "membership_id", "application_id", "stage",
                                 "objection"}


def test_nobody_sees_others_scores_before_submitting_their_own(app: Flask) -> None:
    rnd = make_round(applications=1, state="open")
    alice = _checked_member(rnd)
    bob = _checked_member(rnd)
    application = rnd.applications[0]
    _save(alice)

    assert not scoring.can_see_others_scores(bob, application)
    assert scoring.others_scores(bob, application) is None
    # Alice submitted, but by default scores show only after scoring closes.
    assert not scoring.can_see_others_scores(alice, application)

    rnd.state = "closed"
    assert scoring.can_see_others_scores(alice, application)
    assert not scoring.can_see_others_scores(bob, application)  # never submitted


def test_a_round_may_show_scores_to_members_who_have_submitted_while_open(app: Flask) -> None:
    rnd = make_round(applications=1, state="open", reveal_scores_after_close=False)
    alice = _checked_member(rnd)
    bob = _checked_member(rnd)
    _save(alice)
    assert not scoring.can_see_others_scores(bob, rnd.applications[0])
    _save(bob, submit=False)
    assert not scoring.can_see_others_scores(bob, rnd.applications[0])
    _save(bob, scores={"c1": 2, "c2": None})
    assert scoring.can_see_others_scores(bob, rnd.applications[0])


def test_others_scores_are_submitted_sheets_by_pseudonym_only(app: Flask) -> None:
    rnd = make_round(applications=1, state="open")
    alice = _checked_member(rnd)
    bob = _checked_member(rnd)
    carol = _checked_member(rnd)
    dev = _checked_member(rnd)
    application = rnd.applications[0]
    _save(alice)
    _save(bob, scores={"c1": 2, "c2": None})
    _save(carol)
    conflicts.declare_conflict(carol, application, category="other", declared_by=carol.user)
    _save(dev, submit=False, scores={"c1": 1})
    rnd.state = "closed"

    others = scoring.others_scores(alice, application)

    assert others == [scoring.OtherSheet("Panel member 2", {"c1": 2, "c2": None})]
