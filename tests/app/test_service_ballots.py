"""The ranked-vote and consent services: their rules, without pages."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from grantpanel.extensions import db
from grantpanel.models import Application, Ballot, ConsentAnswer, Membership, Round, utcnow
from grantpanel.services import ballots, consent, scoring, stages
from grantpanel.vocabulary import RoundState
from tests.app.test_panel_stages import (
    CONSENSUS,
    CONSENT,
    FUNDING,
    SCORES,
    declare,
    fix_funded,
    ranked,
    stage_round,
)

# --- Typed numbers to a ranking -------------------------------------------------------------


def test_numbers_give_the_ranking_first_choice_first_and_blanks_are_no_preference() -> None:
    assert ballots.ranking_from_numbers({7: "2", 8: "", 9: " 1 ", 10: "3"}) == [9, 7, 10]
    assert ballots.ranking_from_numbers({7: "", 8: ""}) == []


@pytest.mark.parametrize(
    ("numbers", "bad"),
    [
        ({1: "1", 2: "1"}, {1, 2}),  # used twice
        ({1: "1", 2: "3"}, {2}),  # a gap: 3 with only two filled
        ({1: "0"}, {1}),
        ({1: "-1"}, {1}),
        ({1: "1.5"}, {1}),
        ({1: "one", 2: "1"}, {1}),
        ({1: "\u0661"}, {1}),  # an Arabic-Indic digit is not taken as 1
        ({1: "99999"}, {1}),
    ],
)
def test_duplicate_gapped_or_unreadable_numbers_name_each_box(
    app: Flask, numbers: dict[int, str], bad: set[int]
) -> None:
    with pytest.raises(ballots.BallotValidationError) as e:
        ballots.ranking_from_numbers(numbers)
    assert set(e.value.errors) == bad


def test_move_swaps_neighbours_adds_at_the_end_and_drops_the_last() -> None:
    assert ballots.move([1, 2, 3], 3, "up") == [1, 3, 2]
    assert ballots.move([1, 2, 3], 1, "up") == [1, 2, 3]
    assert ballots.move([1, 2, 3], 1, "down") == [2, 1, 3]
    assert ballots.move([1, 2, 3], 3, "down") == [1, 2]
    assert ballots.move([1, 2], 9, "up") == [1, 2, 9]
    assert ballots.move([1, 2], 9, "down") == [1, 2]
    assert ballots.move([1, 2], 1, "sideways") == [1, 2]


# --- Saving a ballot ------------------------------------------------------------------------


@pytest.fixture()
def world(app: Flask, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    rnd = stage_round("voting", [SCORES, ranked(), FUNDING], applications=4)
    m = _member(rnd)
    apps = sorted(rnd.applications, key=lambda a: a.reference)
    declare(m, apps[1])
    monkeypatch.setattr(stages, "shortlist", lambda r: [a.reference for a in apps[:3]])
    db.session.commit()
    return {"rnd": rnd, "m": m, "apps": apps}


def _member(rnd: Round) -> Membership:
    from tests.builders import make_member

    return make_member(rnd, conflicts_checked_at=utcnow())


def _count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_ballot_lists_the_shortlist_in_order_without_conflicts(world: dict[str, Any]) -> None:
    apps = world["apps"]
    assert ballots.ballot_applications(world["m"]) == [apps[0], apps[2]]


def test_submit_stores_one_ballot_and_a_second_submit_replaces_it(
    world: dict[str, Any]
) -> None:
    m, apps = world["m"], world["apps"]
    ballots.save_ballot(m, ranking=[apps[2].id, apps[0].id], submit=True, actor=m.user)
    ballots.save_ballot(m, ranking=[apps[0].id], submit=True, actor=m.user)
    db.session.commit()
    (b,) = db.session.scalars(select(Ballot))
    assert (b.status, b.ranking, b.approved) == ("submitted", [apps[0].id], [])
    assert b.submitted_at is not None


@pytest.mark.parametrize("which", [1, 3])  # conflicted, not shortlisted
def test_a_conflicted_or_unlisted_application_cannot_be_ranked(
    world: dict[str, Any], which: int
) -> None:
    m, apps = world["m"], world["apps"]
    with pytest.raises(ballots.BallotError, match="not on your list"):
        ballots.save_ballot(m, ranking=[apps[0].id, apps[which].id], submit=True,
                            actor=m.user)
    assert _count(Ballot) == 0


def test_the_same_application_twice_is_refused(world: dict[str, Any]) -> None:
    m, apps = world["m"], world["apps"]
    with pytest.raises(ballots.BallotError):
        ballots.save_ballot(m, ranking=[apps[0].id, apps[0].id], submit=False, actor=m.user)


def test_a_draft_never_replaces_a_submitted_ballot(world: dict[str, Any]) -> None:
    m, apps = world["m"], world["apps"]
    ballots.save_ballot(m, ranking=[apps[0].id], submit=True, actor=m.user)
    with pytest.raises(ballots.AlreadySubmittedError):
        ballots.save_ballot(m, ranking=[apps[2].id], submit=False, actor=m.user)


@pytest.mark.parametrize("state", ["closed", "open", "consenting", "decided"])
def test_ballots_change_only_while_the_vote_is_open(world: dict[str, Any], state: str) -> None:
    m, apps, rnd = world["m"], world["apps"], world["rnd"]
    rnd.state = RoundState(state)
    db.session.commit()
    with pytest.raises(ballots.BallotClosedError):
        ballots.save_ballot(m, ranking=[apps[0].id], submit=True, actor=m.user)


def test_an_empty_ranking_cannot_be_submitted_but_an_empty_approval_can(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    rnd = stage_round("voting", [SCORES, ranked("approval"), FUNDING], applications=3)
    m = _member(rnd)
    monkeypatch.setattr(stages, "shortlist", lambda r: [a.reference for a in rnd.applications])
    db.session.commit()
    b = ballots.save_ballot(m, approved=[], submit=True, actor=m.user)
    assert (b.status, b.approved) == ("submitted", [])
    b = ballots.save_ballot(m, approved=[rnd.applications[2].id, rnd.applications[0].id],
                            submit=True, actor=m.user)
    assert b.approved == sorted([rnd.applications[0].id, rnd.applications[2].id])


def test_empty_ranked_submit_is_refused(world: dict[str, Any]) -> None:
    m = world["m"]
    with pytest.raises(ballots.BallotValidationError):
        ballots.save_ballot(m, ranking=[], submit=True, actor=m.user)


# --- Consent --------------------------------------------------------------------------------


@pytest.fixture()
def consenting(app: Flask, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    rnd = stage_round("consenting", [SCORES, FUNDING, CONSENT], applications=3)
    m = _member(rnd)
    apps: list[Application] = sorted(rnd.applications, key=lambda a: a.reference)
    declare(m, apps[1])
    fix_funded(monkeypatch, rnd, [apps[0].reference, apps[1].reference])
    db.session.commit()
    return {"rnd": rnd, "m": m, "apps": apps}


def test_funded_list_marks_conflicted_applications(consenting: dict[str, Any]) -> None:
    items = consent.funded_list(consenting["m"])
    assert [(i.application, i.conflicted) for i in items] == [
        (consenting["apps"][0], False), (consenting["apps"][1], True)]


def test_one_answer_per_member_replaced_by_a_later_one(consenting: dict[str, Any]) -> None:
    m, apps = consenting["m"], consenting["apps"]
    consent.save_answer(m, position="object", application_id=apps[0].id, reason="Too costly",
                        actor=m.user)
    consent.save_answer(m, position="consent", application_id=apps[0].id, reason="ignored",
                        actor=m.user)
    db.session.commit()
    (a,) = db.session.scalars(select(ConsentAnswer))
    assert (a.position, a.application_id, a.reason) == ("consent", None, "")


@pytest.mark.parametrize(
    ("position", "which", "reason", "field"),
    [
        ("maybe", 0, "", "position"),
        ("object", None, "Why", "application"),
        ("object", 1, "Why", "application"),  # conflicted
        ("object", 2, "Why", "application"),  # not funded
        ("object", 0, "   ", "reason"),
    ],
)
def test_a_bad_answer_names_the_field(
    consenting: dict[str, Any], position: str, which: int | None, reason: str, field: str
) -> None:
    m, apps = consenting["m"], consenting["apps"]
    with pytest.raises(consent.ConsentValidationError) as e:
        consent.save_answer(m, position=position,
                            application_id=None if which is None else apps[which].id,
                            reason=reason, actor=m.user)
    assert field in e.value.errors
    assert _count(ConsentAnswer) == 0


def test_consent_answers_only_while_the_step_is_open(consenting: dict[str, Any]) -> None:
    consenting["rnd"].state = RoundState.CLOSED
    db.session.commit()
    with pytest.raises(consent.ConsentClosedError):
        consent.save_answer(consenting["m"], position="consent", application_id=None,
                            reason="", actor=consenting["m"].user)


# --- Stage 2 and objections in the scoring service -----------------------------------------


def test_stage_two_needs_rescoring_a_flagged_application_and_a_declared_rescore(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    rnd = stage_round("closed", [SCORES, CONSENSUS, FUNDING], applications=2)
    m = _member(rnd)
    a1, a2 = sorted(rnd.applications, key=lambda a: a.reference)
    monkeypatch.setattr(stages, "flagged", lambda r: [a1.reference])
    db.session.commit()

    def save(a: Application, stage: int) -> Any:
        return scoring.save_sheet(m, a, scores={"c1": 3, "c2": 3}, panel_note="",
                                  feedback="", submit=True, actor=m.user, stage=stage)

    with pytest.raises(scoring.ScoringClosedError):
        save(a1, 2)  # not re-scoring yet
    rnd.state = RoundState.RESCORING
    db.session.commit()
    with pytest.raises(scoring.ScoringError, match="not picked out"):
        save(a2, 2)
    with pytest.raises(scoring.ScoringClosedError):
        save(a1, 1)  # stage 1 is closed while re-scoring
    assert save(a1, 2).stage == 2
    rnd.stages = [SCORES, {**CONSENSUS, "rescore": False}, FUNDING]
    db.session.commit()
    with pytest.raises(scoring.ScoringClosedError):
        save(a1, 2)


def test_objections_only_on_stage_one_of_a_round_with_a_consensus_stage(app: Flask) -> None:
    rnd = stage_round("open", [SCORES, FUNDING], applications=1)
    m = _member(rnd)
    db.session.commit()
    with pytest.raises(scoring.ScoringError, match="does not take strong objections"):
        scoring.save_sheet(m, rnd.applications[0], scores={"c1": 3}, panel_note="",
                           feedback="", submit=False, actor=m.user, objection=True,
                           objection_reason="x")
    assert scoring.objections_allowed(rnd) is False
    rnd.stages = [SCORES, CONSENSUS, FUNDING]
    assert scoring.objections_allowed(rnd) is True
    assert scoring.objections_allowed(rnd, 2) is False
