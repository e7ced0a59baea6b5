"""The decision stages as a service: the chain is declared at set-up and fixed when scoring
opens; the panel's steps (stage 2 re-score, ranked vote, consent) run in the declared order;
the decision waits for every step and, with a consent stage, for the panel's consent."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

import voting
from grantpanel import lifecycle
from grantpanel.extensions import db
from grantpanel.models import AuditEvent, Ballot, ConsentAnswer, Round, ScoreSheet, User
from grantpanel.services import counting, rounds, stages
from tests.builders import make_member, make_round, make_user
from voting.panel import InputError

SEED = "ef" * 32

SCORES = {"kind": "scores", "aggregation": "mean", "trim": "0.00", "calibration": "none"}
CONSENSUS = {"kind": "consensus", "measure": "range", "threshold": "2.00", "rescore": True}
RANKED = {"kind": "ranked", "method": "irv", "shortlist": "top", "size": 2, "above": None,
          "seats": None}
FUNDING = {"kind": "funding", "rule": "in-order", "fit_rule": "skip", "utilities": None,
           "completion": None, "lottery": False}
CONSENT = {"kind": "consent", "rule": "no-objection", "threshold": None}


def chain(*optional: dict[str, Any], **changes: Any) -> list[dict[str, Any]]:
    """A valid chain: scores, the ``optional`` stages in their places, funding.

    ``changes`` alter one key of a stage: ``chain(RANKED, ranked__method="borda")``."""
    kinds = {s["kind"]: dict(s) for s in (SCORES, *optional, FUNDING)}
    for name, value in changes.items():
        kind, key = name.split("__")
        kinds[kind][key] = value
    order = ("scores", "consensus", "ranked", "funding", "consent")
    return [kinds[k] for k in order if k in kinds]


def scored_round(*optional: dict[str, Any], state: str = "closed", split: bool = True,
                 members: int = 2) -> Round:
    """Three applications, ``members`` members who scored them all; with ``split`` the
    members disagree strongly about A-001 (5 against 1), so a consensus stage flags it."""
    rnd = make_round(
        state=state, budget=200_000, applications=3, amount=100_000, quorum=2,
        seed=SEED, seed_commitment=voting.seed_commitment(SEED),
        stages=chain(*optional) if optional else [],
    )
    people = [make_member(rnd) for _ in range(members)]
    scores = {"A-001": 4, "A-002": 5, "A-003": 2}
    for a in rnd.applications:
        for i, m in enumerate(people):
            s = scores[a.reference]
            if split and a.reference == "A-001":
                s = 5 if i % 2 == 0 else 1
            db.session.add(ScoreSheet(
                membership_id=m.id, application_id=a.id, status="submitted",
                scores={"c1": s, "c2": s}, submitted_at=rnd.created_at,
            ))
    db.session.commit()
    return rnd


def step(rnd: Round, name: str, actor: User) -> lifecycle.Transition:
    t = rounds.apply_transition(rnd, name, actor)
    db.session.commit()
    return t


def events(rnd: Round, action: str) -> list[dict[str, Any]]:
    return [e.detail for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.round_id == rnd.id, AuditEvent.action == action)
        .order_by(AuditEvent.id))]


@pytest.fixture()
def staff(app: Flask) -> User:
    user = make_user(role="staff", name="Grace Grants")
    db.session.commit()
    return user


@pytest.fixture()
def ctx(app: Flask) -> Any:
    with app.test_request_context():
        yield


# --- declaring and fixing the chain ----------------------------------------------------------


def test_a_round_without_a_chain_uses_the_default_from_its_settings(app: Flask) -> None:
    rnd = make_round(aggregation="median", fit_rule="stop")
    kinds = [s["kind"] for s in stages.declared_stages(rnd)]
    assert kinds == ["scores", "funding"]
    assert stages.stage(rnd, "scores")["aggregation"] == "median"  # type: ignore[index]
    assert stages.stage(rnd, "funding")["fit_rule"] == "stop"  # type: ignore[index]
    assert stages.stage(rnd, "ranked") is None


def test_staff_declare_a_chain_and_the_settings_follow_it(
    app: Flask, staff: User, ctx: None
) -> None:
    rnd = make_round()
    wanted = chain(RANKED, scores__aggregation="median", funding__fit_rule="stop")
    assert stages.save_stages(rnd, staff, wanted) is True
    db.session.commit()
    assert [s["kind"] for s in rnd.stages] == ["scores", "ranked", "funding"]
    assert rnd.aggregation == "median" and rnd.fit_rule == "stop"
    assert events(rnd, "round.stages_changed") == [
        {"stages": ["scores", "ranked", "funding"]}]
    assert stages.save_stages(rnd, staff, wanted) is False  # the same again: no event


def test_an_invalid_combination_is_refused_with_voting_s_reason(
    app: Flask, staff: User, ctx: None
) -> None:
    rnd = make_round()
    bad = chain(funding__rule="equal-shares", funding__utilities="approvals",
                funding__completion="add1")
    with pytest.raises(InputError) as caught:
        stages.save_stages(rnd, staff, bad)
    assert caught.value.requirement
    db.session.rollback()
    assert rnd.stages == []


def test_opening_scoring_fixes_the_chain(app: Flask, staff: User, ctx: None) -> None:
    rnd = make_round(applications=1)
    make_member(rnd)
    db.session.commit()
    step(rnd, "open", staff)
    assert [s["kind"] for s in rnd.stages] == ["scores", "funding"]
    assert events(rnd, "round.open")[0]["stages"] == ["scores", "funding"]
    with pytest.raises(stages.StageError, match="cannot change the decision stages now"):
        stages.save_stages(rnd, staff, chain(RANKED))
    db.session.rollback()
    assert stages.stage(rnd, "ranked") is None


def test_a_declared_chain_is_kept_as_declared_when_scoring_opens(
    app: Flask, staff: User, ctx: None
) -> None:
    rnd = make_round(applications=1, stages=chain(CONSENSUS, RANKED, CONSENT))
    make_member(rnd)
    db.session.commit()
    step(rnd, "open", staff)
    assert [s["kind"] for s in rnd.stages] == [
        "scores", "consensus", "ranked", "funding", "consent"]


def test_changing_the_aggregation_in_the_settings_changes_a_declared_chain(
    app: Flask, staff: User, ctx: None
) -> None:
    rnd = make_round(stages=chain(RANKED))
    rounds.update_round(rnd, staff, aggregation="median")
    assert stages.stage(rnd, "scores")["aggregation"] == "median"  # type: ignore[index]
    assert stages.stage(rnd, "ranked") is not None


# --- which steps a round has, and their order ------------------------------------------------


def test_a_step_the_chain_does_not_declare_is_refused(
    app: Flask, staff: User, ctx: None
) -> None:
    rnd = scored_round()
    with pytest.raises(stages.StageError, match="no ranked vote"):
        rounds.apply_transition(rnd, "open-vote", staff)
    db.session.rollback()
    with pytest.raises(stages.StageError, match="no consensus check"):
        rounds.apply_transition(rnd, "open-rescore", staff)
    db.session.rollback()
    with pytest.raises(stages.StageError, match="does not ask the panel to consent"):
        rounds.apply_transition(rnd, "open-consent", staff)
    db.session.rollback()
    assert rnd.state == "closed"


def test_a_consensus_check_without_a_re_score_has_no_stage_2(
    app: Flask, staff: User, ctx: None
) -> None:
    rnd = scored_round({**CONSENSUS, "rescore": False}, RANKED)
    assert stages.declared_steps(rnd) == ["ranked"]
    with pytest.raises(stages.StageError, match="does not include a stage 2 re-score"):
        rounds.apply_transition(rnd, "open-rescore", staff)
    db.session.rollback()
    step(rnd, "open-vote", staff)  # nothing to re-score first
    assert rnd.state == "voting"


def test_stage_2_needs_a_flagged_application(app: Flask, staff: User, ctx: None) -> None:
    rnd = scored_round(CONSENSUS, RANKED, split=False)
    assert stages.flagged(rnd) == []
    with pytest.raises(stages.StageError, match="nothing to re-score"):
        rounds.apply_transition(rnd, "open-rescore", staff)
    db.session.rollback()
    assert stages.needed(rnd) == ["ranked"]
    step(rnd, "open-vote", staff)  # the re-score is not needed, so the vote may open
    assert rnd.state == "voting"


def test_the_panel_steps_run_in_the_declared_order(app: Flask, staff: User, ctx: None) -> None:
    rnd = scored_round(CONSENSUS, RANKED, CONSENT)
    assert stages.flagged(rnd) == ["A-001"]
    assert stages.needed(rnd) == ["consensus", "ranked", "consent"]
    with pytest.raises(stages.StageError, match="First open stage 2 re-scoring"):
        rounds.apply_transition(rnd, "open-vote", staff)
    db.session.rollback()
    with pytest.raises(stages.StageError, match="First open stage 2 re-scoring"):
        rounds.apply_transition(rnd, "open-consent", staff)
    db.session.rollback()

    step(rnd, "open-rescore", staff)
    assert rnd.state == "rescoring" and rnd.stages_done == []
    step(rnd, "close-rescore", staff)
    assert rnd.state == "closed" and rnd.stages_done == ["consensus"]
    with pytest.raises(stages.StageError, match="First open the ranked vote"):
        rounds.apply_transition(rnd, "open-consent", staff)
    db.session.rollback()
    step(rnd, "open-vote", staff)
    cast_ballots(rnd)
    step(rnd, "close-vote", staff)
    assert rnd.stages_done == ["consensus", "ranked"]
    step(rnd, "open-consent", staff)
    assert rnd.state == "consenting"
    step(rnd, "close-consent", staff)
    assert rnd.stages_done == ["consensus", "ranked", "consent"]
    assert stages.pending(rnd) == []
    assert [e["stage"] for e in events(rnd, "round.open-vote")] == ["ranked"]


def test_a_second_press_of_a_stage_step_is_already_done(
    app: Flask, staff: User, ctx: None
) -> None:
    rnd = scored_round(RANKED)
    step(rnd, "open-vote", staff)
    with pytest.raises(lifecycle.AlreadyDoneError, match="already open"):
        rounds.apply_transition(rnd, "open-vote", staff)
    db.session.rollback()
    assert len(events(rnd, "round.open-vote")) == 1


def cast_ballots(rnd: Round) -> None:
    """Every member ranks the shortlist (A-002, then A-001)."""
    ids = {a.reference: a.id for a in rnd.applications}
    for m in rnd.memberships:
        db.session.add(Ballot(round_id=rnd.id, membership_id=m.id, status="submitted",
                              ranking=[ids["A-002"], ids["A-001"]]))
    db.session.commit()


def test_the_panel_is_asked_to_consent_only_to_a_list_the_count_can_work_out(
    app: Flask, staff: User, ctx: None
) -> None:
    rnd = scored_round(RANKED, CONSENT)
    step(rnd, "open-vote", staff)
    step(rnd, "close-vote", staff)  # nobody voted
    with pytest.raises(stages.StageError, match="cannot be asked to consent yet"):
        rounds.apply_transition(rnd, "open-consent", staff)
    db.session.rollback()
    step(rnd, "open-vote", staff)
    cast_ballots(rnd)
    step(rnd, "close-vote", staff)
    step(rnd, "open-consent", staff)
    assert rnd.state == "consenting"


def _answer(rnd: Round, position: str = "consent", application: str | None = None) -> None:
    m = rnd.memberships[0]
    app_id = next(a.id for a in rnd.applications if a.reference == application) \
        if application else None
    db.session.add(ConsentAnswer(round_id=rnd.id, membership_id=m.id, position=position,
                                 application_id=app_id, reason="Not this one"))
    db.session.commit()


def test_reopening_a_stage_runs_it_and_every_later_stage_again(
    app: Flask, staff: User, ctx: None
) -> None:
    rnd = scored_round(RANKED, CONSENT)
    step(rnd, "open-vote", staff)
    cast_ballots(rnd)
    for name in ("close-vote", "open-consent"):
        step(rnd, name, staff)
    _answer(rnd)
    step(rnd, "close-consent", staff)
    assert rnd.stages_done == ["ranked", "consent"]
    step(rnd, "open-vote", staff)  # reopen the vote
    assert rnd.stages_done == []
    assert db.session.scalars(select(ConsentAnswer)).all() == []
    assert events(rnd, "round.open-vote")[-1] == {
        "source": "closed", "target": "voting", "stage": "ranked",
        "reopened": ["ranked", "consent"], "consents_cleared": 1}


def test_asking_for_consent_again_clears_the_answers(
    app: Flask, staff: User, ctx: None
) -> None:
    rnd = scored_round(CONSENT)
    step(rnd, "open-consent", staff)
    _answer(rnd, "object", "A-002")
    step(rnd, "close-consent", staff)
    step(rnd, "open-consent", staff)
    assert rnd.stages_done == []
    assert db.session.scalars(select(ConsentAnswer)).all() == []


def test_reopening_scoring_means_every_stage_is_run_again(
    app: Flask, staff: User, ctx: None
) -> None:
    rnd = scored_round(RANKED)
    for name in ("open-vote", "close-vote"):
        step(rnd, name, staff)
    step(rnd, "reopen", staff)
    assert rnd.state == "open" and rnd.stages_done == []
    assert events(rnd, "round.reopen")[-1]["reopened"] == ["ranked"]


# --- the decision waits for the stages -------------------------------------------------------


def test_the_decision_waits_for_every_step_the_round_needs(
    app: Flask, staff: User, ctx: None
) -> None:
    rnd = scored_round(RANKED, CONSENT)
    with pytest.raises(counting.CountError) as caught:
        rounds.apply_transition(rnd, "decide", staff)
    db.session.rollback()
    message = str(caught.value)
    assert "cannot be confirmed yet" in message
    assert "open the ranked vote, then close the ranked vote" in message
    assert "ask the panel to consent, then close the consent step" in message
    assert rnd.state == "closed"


def test_the_decision_waits_for_the_panel_s_consent(
    app: Flask, staff: User, ctx: None
) -> None:
    rnd = scored_round(CONSENT)
    step(rnd, "open-consent", staff)
    _answer(rnd, "object", "A-002")
    step(rnd, "close-consent", staff)
    with pytest.raises(counting.CountError, match="has not consented"):
        rounds.apply_transition(rnd, "decide", staff)
    db.session.rollback()
    step(rnd, "open-consent", staff)  # ask again: the objection is cleared
    step(rnd, "close-consent", staff)
    step(rnd, "decide", staff)
    assert rnd.state == "decided"


def test_a_round_with_only_scores_and_funding_decides_as_before(
    app: Flask, staff: User, ctx: None
) -> None:
    rnd = scored_round()
    assert stages.needed(rnd) == [] and stages.decide_problems(rnd) == []
    step(rnd, "decide", staff)
    assert rnd.state == "decided"


# --- what the staff round page offers ---------------------------------------------------------


def test_the_plan_offers_only_the_steps_the_chain_has_in_order(
    app: Flask, staff: User, ctx: None
) -> None:
    rnd = scored_round(RANKED)
    plan = stages.plan(rnd)
    assert [s.name for s in plan.steps] == ["reopen", "open-vote", "decide"]
    by = {s.name: s for s in plan.steps}
    assert by["open-vote"].available and by["open-vote"].explanation
    assert not by["decide"].available
    assert "open the ranked vote" in by["decide"].note
    assert plan.pending == ["ranked"]


def test_while_the_vote_is_open_the_page_says_who_has_voted(
    app: Flask, staff: User, ctx: None
) -> None:
    rnd = scored_round(RANKED, members=3)
    step(rnd, "open-vote", staff)
    first, second = rnd.memberships[:2]
    db.session.add(Ballot(round_id=rnd.id, membership_id=first.id, ranking=[],
                          status="submitted"))
    db.session.add(Ballot(round_id=rnd.id, membership_id=second.id, ranking=[],
                          status="draft"))
    db.session.commit()
    plan = stages.plan(rnd)
    assert plan.outstanding == ["1 of 3 members has cast a ballot.",
                                "1 more has a draft ballot, not yet cast."]
    assert [s.name for s in plan.steps] == ["close-vote"]


def test_while_consent_is_asked_the_page_counts_answers_and_objections(
    app: Flask, staff: User, ctx: None
) -> None:
    rnd = scored_round(CONSENT)
    step(rnd, "open-consent", staff)
    _answer(rnd, "object", "A-002")
    assert stages.plan(rnd).outstanding == ["1 of 2 members has answered.",
                                            "1 objection so far."]


def test_while_re_scoring_the_page_counts_the_flagged_applications_re_scored(
    app: Flask, staff: User, ctx: None
) -> None:
    rnd = scored_round(CONSENSUS)
    step(rnd, "open-rescore", staff)
    assert stages.plan(rnd).outstanding == [
        "0 of 1 flagged applications have a stage 2 score so far."]


def test_each_stage_is_described_in_a_sentence(app: Flask, ctx: None) -> None:
    sentences = stages.describe(chain(CONSENSUS, RANKED, CONSENT))
    assert len(sentences) == 5 and all(s.strip() for s in sentences)
