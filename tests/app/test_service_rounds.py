"""Round set-up rules: money, settings declared in advance, the rubric, lifecycle steps."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import select, update

import voting
from grantpanel.extensions import db
from grantpanel.lifecycle import AlreadyDoneError, TransitionError
from grantpanel.models import AuditEvent, PublishedRecord, RecordChainHead, Round, ScoreSheet
from grantpanel.services import rounds
from grantpanel.services.rounds import MoneyError, RoundError, parse_money
from tests.builders import make_application, make_member, make_round, make_user


@pytest.mark.parametrize(
    ("typed", "minor"),
    [
        ("5000", 500_000),
        ("5,000", 500_000),
        ("5000.50", 500_050),
        ("5000.5", 500_050),
        (" £1,234,567.89 ", 123_456_789),
        ("0.01", 1),
        ("12.", 1200),
    ],
)
def test_money_typed_in_pounds_is_stored_in_pence(typed: str, minor: int) -> None:
    assert parse_money(typed) == minor


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "is empty"),
        ("lots", "'lots' is not a number of pounds, like 1500 or 1500.00"),
        ("5.123", "more than two figures after the decimal point"),
        ("50,00", "commas in the wrong place"),
        ("-5", "less than zero"),
        ("0", "is zero"),
        ("0.00", "is zero"),
        ("1.2.3", "more than one decimal point"),
        ("99999999999", "too large"),
    ],
)
def test_money_that_cannot_be_read_gets_a_plain_reason(typed: str, says: str) -> None:
    with pytest.raises(MoneyError, match=says.replace(".", r"\.").replace("(", r"\(")):
        parse_money(typed)


def test_money_messages_name_the_currency_unit() -> None:
    with pytest.raises(MoneyError, match="number of euros"):
        parse_money("lots", unit="euros")


def _settings(**over: object) -> dict[str, object]:
    values: dict[str, object] = {
        "name": "Warm Homes",
        "purpose": "Grants for warm spaces.",
        "budget": 500_000,
        "currency": "GBP",
        "involvement": "co-production",
        "aggregation": "mean",
        "quorum": 2,
        "fit_rule": "skip",
        "tie_break": ["smaller_amount"],
        "opens_on": dt.date(2026, 3, 1),
        "closes_on": dt.date(2026, 3, 31),
        "decision_on": dt.date(2026, 4, 10),
        "reveal_scores_after_close": True,
    }
    values.update(over)
    return values


def test_creating_a_round_makes_a_draft_and_logs_it(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = rounds.create_round(staff, **_settings())
    assert rnd.state == "draft" and rnd.budget == 500_000
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.round_id == rnd.id)).all()
    assert [e.action for e in events] == ["round.created"]


def test_a_closing_date_before_the_opening_date_is_refused(app: Flask) -> None:
    staff = make_user(role="staff")
    with pytest.raises(RoundError, match="closing date must be after the opening date"):
        rounds.create_round(
            staff, **_settings(opens_on=dt.date(2026, 3, 1), closes_on=dt.date(2026, 3, 1))
        )


def test_a_tie_break_used_twice_is_refused(app: Flask) -> None:
    staff = make_user(role="staff")
    with pytest.raises(RoundError, match="only once"):
        rounds.create_round(staff, **_settings(tie_break=["more_scores", "more_scores"]))


def test_the_draw_is_always_the_last_tie_break(app: Flask) -> None:
    rnd = make_round(tie_break=["more_scores"])
    assert rounds.tie_break_chain(rnd) == ["more_scores", "draw"]


def test_rules_cannot_change_after_scoring_opens(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round(state="open")
    with pytest.raises(RoundError, match="declared in advance"):
        rounds.update_round(rnd, staff, quorum=1)
    with pytest.raises(RoundError, match="declared in advance"):
        rounds.add_criterion(
            rnd, staff, name="X", guidance="", weight=1, scale_min=1, scale_max=2,
            descriptors=["a", "b"],
        )


def test_updating_a_draft_round_lists_and_logs_what_changed(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round()
    changed = rounds.update_round(rnd, staff, quorum=1, budget=250_000)
    assert sorted(changed) == ["budget", "quorum"]
    assert rnd.quorum == 1
    last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last is not None and last.action == "round.updated"


def test_a_criterion_needs_a_descriptor_for_every_point(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round(criteria=[{"name": "Only"}])
    with pytest.raises(RoundError, match="one line for each point from 0 to 4"):
        rounds.add_criterion(
            rnd, staff, name="Reach", guidance="g", weight=3, scale_min=0, scale_max=4,
            descriptors=["none", "some", "good"],
        )


@pytest.mark.parametrize(
    ("weight", "lo", "hi", "says"),
    [
        (0, 1, 5, "from 1 to 10"),
        (11, 1, 5, "from 1 to 10"),
        (1, 5, 5, "highest point must be more than the lowest"),
        (1, 0, 11, "at most 11 points"),
    ],
)
def test_weights_and_scales_outside_the_rules_are_refused(
    app: Flask, weight: int, lo: int, hi: int, says: str
) -> None:
    staff = make_user(role="staff")
    rnd = make_round()
    with pytest.raises(RoundError, match=says):
        rounds.add_criterion(
            rnd, staff, name="Reach", guidance="g", weight=weight, scale_min=lo, scale_max=hi,
            descriptors=[str(i) for i in range(lo, hi + 1)],
        )


def test_criteria_can_be_added_moved_and_removed_while_draft(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round()  # c1 "Who benefits", c2 "How the money will be used"
    new = rounds.add_criterion(
        rnd, staff, name="Value", guidance="g", weight=2, scale_min=0, scale_max=2,
        descriptors=["poor", "fair", "good"],
    )
    assert new.key == "c3" and new.position == 3
    assert rounds.move_criterion(new, staff, direction="up") is True
    assert [c.name for c in rnd.criteria] == ["Who benefits", "Value", "How the money will be used"]
    rounds.remove_criterion(rnd.criteria[0], staff)
    db.session.flush()
    assert [(c.position, c.name) for c in rnd.criteria] == [
        (1, "Value"), (2, "How the money will be used")
    ]
    assert rounds.move_criterion(rnd.criteria[0], staff, direction="up") is False
    # A new criterion never reuses a key that is still in the rubric.
    again = rounds.add_criterion(
        rnd, staff, name="Again", guidance="", weight=1, scale_min=1, scale_max=2,
        descriptors=["a", "b"],
    )
    assert again.key not in {"c2", "c3"}


def test_descriptor_lines_may_start_with_their_point_number() -> None:
    assert rounds.split_descriptors("1: none\n\n2. some\n3) lots\n", 1) == [
        "none", "some", "lots"
    ]
    assert rounds.split_descriptors("0: none\n5 people\n", 0) == ["none", "5 people"]


def test_opening_needs_a_criterion_an_eligible_application_and_a_member(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round()
    with pytest.raises(RoundError) as info:
        rounds.apply_transition(rnd, "open", staff)
    assert "eligible application" in str(info.value)
    assert "panel member" in str(info.value)
    assert rnd.state == "draft" and rnd.seed is None


def test_an_ineligible_application_alone_does_not_let_scoring_open(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round()
    make_application(rnd, eligible=False, eligibility_reason="Outside the area")
    make_member(rnd)
    db.session.refresh(rnd)
    with pytest.raises(RoundError, match="eligible application"):
        rounds.apply_transition(rnd, "open", staff)


def test_opening_draws_a_seed_and_publishes_its_commitment(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round(applications=2)
    make_member(rnd)
    rounds.apply_transition(rnd, "open", staff)
    assert rnd.state == "open"
    assert rnd.seed is not None and len(rnd.seed) == 64
    assert rnd.seed_commitment == voting.seed_commitment(rnd.seed)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "round.open")
    ).one()
    assert event.actor_id == staff.id
    assert event.detail["seed_commitment"] == rnd.seed_commitment
    assert rnd.seed not in str(event.detail)


def test_every_plain_step_is_audited(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round(state="open", seed="0" * 64, seed_commitment=voting.seed_commitment("0" * 64))
    rounds.apply_transition(rnd, "close", staff)
    rounds.apply_transition(rnd, "reopen", staff)
    rounds.apply_transition(rnd, "close", staff)
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.round_id == rnd.id).order_by(AuditEvent.id)
    ).all()
    assert actions == ["round.close", "round.reopen", "round.close"]
    assert rnd.state == "closed"


def test_a_step_not_allowed_from_the_current_state_is_refused(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round()
    with pytest.raises(TransitionError, match="cannot publish the decision"):
        rounds.apply_transition(rnd, "publish", staff)
    with pytest.raises(TransitionError, match="no step called"):
        rounds.apply_transition(rnd, "explode", staff)


def test_a_step_taken_twice_happens_once_and_the_second_is_told_it_is_done(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round(state="open", seed="0" * 64, seed_commitment=voting.seed_commitment("0" * 64))
    rounds.apply_transition(rnd, "close", staff)
    with pytest.raises(AlreadyDoneError) as e:
        rounds.apply_transition(rnd, "close", staff)
    assert str(e.value) == "Scoring was already closed, so nothing was changed."
    closes = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "round.close")
    ).all()
    assert len(closes) == 1


def test_a_step_checks_the_state_as_committed_not_a_stale_copy(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round(state="open", seed="0" * 64, seed_commitment=voting.seed_commitment("0" * 64))
    db.session.commit()
    # A colleague closed scoring a moment ago; this session still holds the round as open.
    db.session.execute(
        update(Round).where(Round.id == rnd.id).values(state="closed")
        .execution_options(synchronize_session=False)
    )
    assert rnd.state == "open"
    with pytest.raises(AlreadyDoneError):
        rounds.apply_transition(rnd, "close", staff)
    assert rnd.state == "closed"


def test_publishing_chains_each_record_to_the_one_before_through_the_chain_head(
    app: Flask,
) -> None:
    staff = make_user(role="staff")
    published = []
    for name in ("First", "Second"):
        rnd = make_round(name=name, state="closed", applications=1, quorum=1,
                         seed="0" * 64, seed_commitment=voting.seed_commitment("0" * 64))
        member = make_member(rnd)
        db.session.add(ScoreSheet(membership_id=member.id,
                                  application_id=rnd.applications[0].id,
                                  status="submitted", scores={"c1": 4, "c2": 3}))
        rounds.apply_transition(rnd, "decide", staff)
        rounds.apply_transition(rnd, "publish", staff)
        published.append(db.session.scalars(
            select(PublishedRecord).where(PublishedRecord.round_id == rnd.id)
        ).one())
    first, second = published
    assert first.previous_digest is None
    assert second.previous_digest == first.digest
    assert db.session.get(RecordChainHead, 1).digest == second.digest
    with pytest.raises(AlreadyDoneError, match="already published"):
        rounds.apply_transition(rnd, "publish", staff)


def test_publishing_goes_through_the_counting_service(app: Flask, monkeypatch) -> None:
    staff = make_user(role="staff")
    rnd = make_round(state="decided")
    called: list[str] = []
    monkeypatch.setattr(rounds.counting, "publish", lambda r, a: called.append("publish"))
    rounds.apply_transition(rnd, "publish", staff)
    assert called == ["publish"]
