"""The lifecycle table: every state's properties, and the transitions between states."""

from __future__ import annotations

import pytest
from flask import Flask

from grantpanel import lifecycle
from grantpanel.lifecycle import STATES, TRANSITIONS, AlreadyDoneError, TransitionError
from grantpanel.services import stages
from grantpanel.vocabulary import RoundState

S = RoundState

# What each state allows, written out once more by hand: a change to the table must be a
# change made on purpose, here too.
EXPECTED = {
    #              edit   panel  unopen scores ballot consent rescore confl  before public count  decid  publ
    S.DRAFT:      (True,  True,  True,  False, False, False,  False,  True,  True,  False, False, False, False),
    S.OPEN:       (False, True,  False, True,  False, False,  False,  True,  True,  True,  False, False, False),
    S.CLOSED:     (False, False, False, False, False, False,  False,  True,  False, True,  True,  False, False),
    S.RESCORING:  (False, False, False, False, False, False,  True,   True,  False, True,  True,  False, False),
    S.VOTING:     (False, False, False, False, True,  False,  False,  True,  False, True,  True,  False, False),
    S.CONSENTING: (False, False, False, False, False, True,   False,  False, False, True,  True,  False, False),
    S.DECIDED:    (False, False, False, False, False, False,  False,  False, False, True,  True,  True,  False),
    S.PUBLISHED:  (False, False, False, False, False, False,  False,  False, False, True,  False, True,  True),
}
FLAGS = ("editable", "panel_editable", "before_open", "accepts_scores", "accepts_ballots",
         "accepts_consents", "rescoring", "accepts_conflicts", "before_close", "public",
         "counted", "decided", "published")


def test_every_round_state_has_a_row_in_the_table() -> None:
    # The table is in lifecycle order (the decision stages sit between closed and decided).
    assert sorted(STATES) == sorted(RoundState) and len(STATES) == len(RoundState)


@pytest.mark.parametrize("state", list(RoundState))
def test_each_state_allows_exactly_what_the_table_says(state: RoundState) -> None:
    row = STATES[state]
    assert tuple(getattr(row, f) for f in FLAGS) == EXPECTED[state]
    assert row.seed_public == row.public


def test_each_kind_of_panel_input_has_exactly_one_state() -> None:
    assert lifecycle.states_where(accepts_scores=True) == (S.OPEN,)
    assert lifecycle.states_where(rescoring=True) == (S.RESCORING,)
    assert lifecycle.states_where(accepts_ballots=True) == (S.VOTING,)
    assert lifecycle.states_where(accepts_consents=True) == (S.CONSENTING,)


def test_states_where_combines_properties_in_lifecycle_order() -> None:
    assert lifecycle.states_where(public=True, published=False) == (
        S.OPEN, S.CLOSED, S.RESCORING, S.VOTING, S.CONSENTING, S.DECIDED)


def test_each_state_has_a_staff_label_and_a_public_label(app: Flask) -> None:
    with app.test_request_context():
        assert STATES[S.DRAFT].staff_label == "Draft: being set up"
        assert STATES[S.OPEN].public_label == "Panel is scoring"
        assert all(s.staff_label and s.public_label for s in STATES.values())


def test_every_transition_joins_two_states_of_the_table() -> None:
    for t in TRANSITIONS.values():
        assert t.source in STATES and t.target in STATES and t.source != t.target


def test_only_opening_scoring_draws_the_seed() -> None:
    assert [t.name for t in TRANSITIONS.values() if t.draws_seed] == ["open"]


def test_a_step_is_allowed_only_from_its_source(app: Flask) -> None:
    with app.test_request_context():
        assert lifecycle.check(S.DRAFT, "open").target == S.OPEN
        with pytest.raises(TransitionError, match="You cannot publish the decision while"):
            lifecycle.check(S.OPEN, "publish")
        with pytest.raises(TransitionError, match="no step called"):
            lifecycle.check(S.OPEN, "archive")


def test_a_step_already_taken_says_so_in_plain_words(app: Flask) -> None:
    with app.test_request_context():
        with pytest.raises(AlreadyDoneError, match="already published, so nothing"):
            lifecycle.check(S.PUBLISHED, "publish")
        # reopen leads to open; pressing it again on an open round is "already done".
        with pytest.raises(AlreadyDoneError, match="already open again"):
            lifecycle.check(S.OPEN, "reopen")


def test_the_steps_offered_from_closed_are_in_the_order_of_the_stages() -> None:
    assert [t.name for t in lifecycle.allowed(S.CLOSED)] == [
        "reopen", "open-rescore", "open-vote", "open-consent", "decide"]


def test_each_panel_stage_opens_from_closed_and_finishes_back_to_it() -> None:
    stage_steps = [t for t in TRANSITIONS.values() if t.stage]
    assert {t.stage for t in stage_steps} == set(stages.INTERACTIVE)
    for kind in stages.INTERACTIVE:
        (opens,) = [t for t in stage_steps if t.stage == kind and t.opens]
        (finishes,) = [t for t in stage_steps if t.stage == kind and t.finishes]
        assert opens.source == finishes.target == S.CLOSED
        assert opens.target == finishes.source != S.CLOSED
        assert not (opens.finishes or finishes.opens or opens.counts or opens.draws_seed)


def test_every_stage_step_has_a_one_line_explanation(app: Flask) -> None:
    with app.test_request_context():
        assert all(str(stages.STEP_EXPLANATIONS[name]) for name in TRANSITIONS)
