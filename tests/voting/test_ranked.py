"""Ranked and approval counting: published worked examples, rounds, tie-breaks, validation."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from voting.errors import VotingError
from voting.ranked import (
    approval,
    borda,
    irv,
    pairwise_matrix,
    ranked_pairs,
    schulze,
    skip_candidates,
    stv,
)

# --------------------------------------------------------------------------------------------
# Tennessee capital: Wikipedia, "Instant-runoff voting", "Borda count", "Schulze method" and
# "Ranked pairs" articles (100 voters: 42 Memphis, 26 Nashville, 15 Chattanooga, 17 Knoxville).
# --------------------------------------------------------------------------------------------
MEMPHIS, NASHVILLE, CHATTANOOGA, KNOXVILLE = 0, 1, 2, 3
TENNESSEE = np.array(
    [[0, 1, 2, 3]] * 42 + [[1, 2, 3, 0]] * 26 + [[2, 3, 1, 0]] * 15 + [[3, 2, 1, 0]] * 17
)
TENNESSEE_GROUPED = np.array([[0, 1, 2, 3], [1, 2, 3, 0], [2, 3, 1, 0], [3, 2, 1, 0]])
TENNESSEE_WEIGHTS = np.array([42, 26, 15, 17])


def test_tennessee_irv_elects_knoxville_after_two_exclusions() -> None:
    result = irv(TENNESSEE)
    assert result.winners == (KNOXVILLE,)
    r1, r2, r3 = result.rounds
    assert r1.tallies == {0: 42, 1: 26, 2: 15, 3: 17}
    assert r1.eliminated == (CHATTANOOGA,) and r1.transfers == {2: -15, 3: 15}
    assert r2.tallies == {0: 42, 1: 26, 3: 32}
    assert r2.eliminated == (NASHVILLE,)
    assert r3.tallies == {0: 42, 3: 58}
    assert r3.elected == (KNOXVILLE,) and r3.threshold == 51


def test_tennessee_with_weights_matches_repeated_ballots() -> None:
    grouped = irv(TENNESSEE_GROUPED, weights=TENNESSEE_WEIGHTS)
    assert grouped.rounds == irv(TENNESSEE).rounds


def test_tennessee_borda_elects_nashville_with_published_scores() -> None:
    result = borda(TENNESSEE)
    assert result.winners == (NASHVILLE,)
    assert result.rounds[0].tallies == {0: 126, 1: 194, 2: 173, 3: 107}


def test_tennessee_condorcet_methods_elect_nashville() -> None:
    assert schulze(TENNESSEE).winners == (NASHVILLE,)
    rp = ranked_pairs(TENNESSEE)
    assert rp.winners == (NASHVILLE,)
    # Wikipedia "Ranked pairs": the locked order is Nashville > Chattanooga > Knoxville > Memphis
    assert rp.details["ranking"] == [NASHVILLE, CHATTANOOGA, KNOXVILLE, MEMPHIS]
    assert rp.details["skipped"] == []


# --------------------------------------------------------------------------------------------
# Schulze's example (M. Schulze, Social Choice and Welfare 36 (2011), reproduced in Wikipedia's
# "Schulze method" article): 45 voters, candidates A-E, winner E, order E > A > C > B > D.
# --------------------------------------------------------------------------------------------
A, B, C, D, E = range(5)
SCHULZE_BALLOTS = [
    (5, [A, C, B, E, D]),
    (5, [A, D, E, C, B]),
    (8, [B, E, D, A, C]),
    (3, [C, A, B, E, D]),
    (7, [C, A, E, B, D]),
    (2, [C, B, A, D, E]),
    (7, [D, C, E, B, A]),
    (8, [E, B, A, D, C]),
]


def schulze_profile() -> tuple[np.ndarray, np.ndarray]:
    return np.array([b for _, b in SCHULZE_BALLOTS]), np.array([w for w, _ in SCHULZE_BALLOTS])


def test_schulze_paper_example_pairwise_paths_and_winner() -> None:
    ranks, weights = schulze_profile()
    result = schulze(ranks, weights=weights, seats=5)
    assert result.winners[0] == E
    assert result.details["ranking"] == [E, A, C, B, D]
    assert result.details["pairwise"] == [
        [0, 20, 26, 30, 22],
        [25, 0, 16, 33, 18],
        [19, 29, 0, 17, 24],
        [15, 12, 28, 0, 14],
        [23, 27, 21, 31, 0],
    ]
    assert result.details["strongest_paths"] == [
        [0, 28, 28, 30, 24],
        [25, 0, 28, 33, 24],
        [25, 29, 0, 29, 24],
        [25, 28, 28, 0, 24],
        [25, 28, 28, 31, 0],
    ]


def test_schulze_paper_example_ranked_pairs_elects_a_instead() -> None:
    # Hand count (margins, strongest first): B>D 21, E>D 17, A>D 15, C>B 13 locked; D>C 11
    # skipped (cycle C>B>D>C); E>B 9, A>C 7 locked; B>A 5 skipped (A>C>B>A); C>E 3 locked;
    # E>A 1 skipped (A>C>E>A).  Nothing locked beats A, so ranked pairs elects A where
    # Schulze elects E -- the two methods differ on this profile.
    ranks, weights = schulze_profile()
    result = ranked_pairs(ranks, weights=weights)
    assert result.winners == (A,)
    assert result.details["locked"] == [[B, D], [E, D], [A, D], [C, B], [E, B], [A, C], [C, E]]
    assert result.details["skipped"] == [[D, C], [B, A], [E, A]]


# --------------------------------------------------------------------------------------------
# STV: the "food election" of Wikipedia's "Single transferable vote" article (20 voters,
# 3 seats, Droop quota 6): Chocolate, then Oranges, then Strawberries.
# --------------------------------------------------------------------------------------------
ORANGES, PEARS, CHOCOLATE, STRAWBERRIES, HAMBURGERS = range(5)
FOOD = np.array([[0, -1], [1, 0], [2, 3], [2, 4], [3, -1], [4, -1]])
FOOD_WEIGHTS = np.array([4, 2, 8, 4, 1, 1])


def test_food_election_scottish_stv_stage_by_stage() -> None:
    result = stv(FOOD, 3, weights=FOOD_WEIGHTS)
    assert result.winners == (CHOCOLATE, ORANGES, STRAWBERRIES)
    assert result.details["quota"] == 6
    r = result.rounds
    dec = Decimal
    assert r[0].tallies == {0: dec(4), 1: dec(2), 2: dec(12), 3: dec(1), 4: dec(1)}
    assert r[0].elected == (CHOCOLATE,)
    # surplus 6 over 12 papers: transfer value 0.5 exactly
    assert r[0].transfers == {2: dec(-6), 3: dec(4), 4: dec(2)}
    assert r[1].tallies == {0: dec(4), 1: dec(2), 2: dec(6), 3: dec(5), 4: dec(3)}
    assert r[1].eliminated == (PEARS,)
    assert r[2].elected == (ORANGES,) and r[2].eliminated == (HAMBURGERS,)
    assert r[3].elected == (STRAWBERRIES,)
    assert r[3].exhausted == dec(3)  # Hamburgers' own paper and the two half-value ones
    assert r[0].threshold == dec(6)


def test_food_election_meek_elects_the_same_three() -> None:
    result = stv(FOOD, 3, weights=FOOD_WEIGHTS, method="meek")
    assert set(result.winners) == {CHOCOLATE, ORANGES, STRAWBERRIES}
    assert result.winners[0] == CHOCOLATE


def test_scottish_transfer_values_are_truncated_to_five_places() -> None:
    # quota floor(5/3)+1 = 2; candidate 0 has 3 papers, surplus 1: value 1/3 -> 0.33333
    ballots = np.array([[0, 1], [0, 1], [0, 2], [1, 2], [2, 1]])
    result = stv(ballots, 2)
    first = result.rounds[0]
    assert first.transfers == {0: Decimal("-1"), 1: Decimal("0.66666"), 2: Decimal("0.33333")}
    assert result.details["lost_to_truncation"] == Decimal("0.00001")
    assert result.winners == (0, 1)
    # with 2 decimals the loss is 0.01
    assert stv(ballots, 2, decimals=2).details["lost_to_truncation"] == Decimal("0.01")


def test_stv_rounds_add_up_stage_to_stage() -> None:
    rng = np.random.default_rng(7)
    ballots = np.argsort(rng.random((300, 6)), axis=1)
    ballots[rng.random(300) < 0.3, 3:] = -1
    result = stv(ballots, 3)
    for a, b in zip(result.rounds, result.rounds[1:], strict=False):
        for c, v in b.tallies.items():
            assert v == a.tallies[c] + a.transfers.get(c, 0), (a.number, c)
    assert len(result.winners) == 3


def test_stv_fills_last_seats_when_candidates_run_out() -> None:
    result = stv(np.array([[0], [1], [2]]), 2)
    assert len(result.winners) == 2
    assert "rule 52" in result.rounds[-1].note


def test_stv_rejects_bad_arguments() -> None:
    with pytest.raises(VotingError, match="seats"):
        stv(FOOD, 0)
    with pytest.raises(VotingError, match="method"):
        stv(FOOD, 1, method="wigm")
    with pytest.raises(VotingError, match="whole-number weights"):
        stv(FOOD, 1, weights=np.full(6, 0.5))


# --------------------------------------------------------------------------------------------
# IRV details: rounds, tie-breaks, exclusions (conflicts), validation
# --------------------------------------------------------------------------------------------


def test_irv_rounds_conserve_votes() -> None:
    rng = np.random.default_rng(3)
    ballots = np.argsort(rng.random((500, 7)), axis=1)
    ballots[rng.random(500) < 0.5, 2:] = -1
    result = irv(ballots)
    for a, b in zip(result.rounds, result.rounds[1:], strict=False):
        assert sum(b.tallies.values()) + a.exhausted == 500  # exhausted: after a's transfers
        for c, v in b.tallies.items():
            assert v == a.tallies[c] + a.transfers.get(c, 0)


def test_irv_order_tie_break_excludes_the_highest_index_first() -> None:
    result = irv(np.array([[0], [1], [2], [2]]))
    assert result.rounds[0].eliminated == (1,)
    assert "candidate order" in result.rounds[0].note


def test_irv_previous_rounds_tie_break_looks_back() -> None:
    # round 1: 0 has 6, 1 has 2, 2 has 3, 3 has 1; 3 goes and its vote moves to 1: then 1 and
    # 2 tie on 3, but 1 had fewer in round 1, so 1 is excluded (not 2, which "order" picks).
    ballots = [[0]] * 6 + [[1]] * 2 + [[2]] * 3 + [[3, 1]]
    by_order = irv(ballots, tie_break="order")
    by_history = irv(ballots, tie_break="previous-rounds")
    assert by_order.rounds[1].eliminated == (2,)
    assert by_history.rounds[1].eliminated == (1,)


def test_irv_random_tie_break_needs_and_uses_a_generator() -> None:
    ballots = np.array([[0], [1], [2], [2]])
    with pytest.raises(VotingError, match="rng"):
        irv(ballots, tie_break="random")
    a = irv(ballots, tie_break="random", rng=np.random.default_rng(5))
    b = irv(ballots, tie_break="random", rng=np.random.default_rng(5))
    assert a == b
    assert "by lot" in a.rounds[0].note


def test_irv_rejects_unknown_tie_break() -> None:
    with pytest.raises(VotingError, match="tie_break"):
        irv(TENNESSEE, tie_break="coin")


def test_conflicted_ballot_skips_the_candidate_it_may_not_rank() -> None:
    ballots = np.array([[0, 1, 2], [1, 0, 2], [2, 0, 1]])
    mask = np.zeros((3, 3), dtype=bool)
    mask[0, 0] = True  # voter 0 is conflicted on candidate 0
    assert skip_candidates(ballots, mask).tolist() == [[1, 2, -1], [1, 0, 2], [2, 0, 1]]
    result = irv(ballots, exclude=mask)
    assert result.rounds[0].tallies == {0: 0, 1: 2, 2: 1}
    assert result.winners == (1,)


def test_exclude_mask_must_match_the_ballots() -> None:
    with pytest.raises(VotingError, match="exclude"):
        irv(np.array([[0, 1]]), exclude=np.zeros((2, 2), dtype=bool))


@pytest.mark.parametrize(
    ("ballots", "message"),
    [
        (np.array([[0, -1, 1]]), "no gaps"),
        (np.array([[0, 1, 0]]), "only once"),
        (np.array([[0, -2]]), ">= 0"),
        (np.array([[0.0, 1.0]]), "integer"),
        (np.array([0, 1]), "2-D"),
    ],
)
def test_invalid_ballots_are_refused_with_the_rule_named(ballots: np.ndarray, message: str) -> None:
    with pytest.raises(VotingError, match=message):
        irv(ballots)


def test_candidate_index_must_be_below_n_candidates() -> None:
    with pytest.raises(VotingError, match="out of range"):
        irv(np.array([[0, 3]]), n_candidates=3)


def test_duplicates_are_found_for_many_candidates_too() -> None:
    with pytest.raises(VotingError, match="only once"):
        irv(np.array([[100, 5, 100]]))
    with pytest.raises(VotingError, match="only once"):
        irv(np.array([[40, 5, 40]]))


def test_weights_are_validated() -> None:
    with pytest.raises(VotingError, match="non-negative"):
        irv(np.array([[0], [1]]), weights=[1, -1])
    with pytest.raises(VotingError, match="shape"):
        irv(np.array([[0], [1]]), weights=[1])


def test_truncated_and_ragged_list_ballots_are_accepted() -> None:
    assert (
        irv([[0, 1], [1], [2, 1, 0]]).winners
        == irv(np.array([[0, 1, -1], [1, -1, -1], [2, 1, 0]])).winners
    )


def test_float_weights_give_float_tallies() -> None:
    result = irv(np.array([[0], [1]]), weights=np.array([0.5, 0.25]))
    assert result.winners == (0,)
    assert result.rounds[0].tallies == {0: 0.5, 1: 0.25}


# --------------------------------------------------------------------------------------------
# Equal rankings
# --------------------------------------------------------------------------------------------


def test_tied_ballot_splits_its_irv_vote_equally() -> None:
    result = irv([[{0, 1}], [0], [1], [2], [2]])
    assert result.rounds[0].tallies == {0: Fraction(3, 2), 1: Fraction(3, 2), 2: 2}


def test_borda_gives_equal_candidates_the_average_points() -> None:
    # 3 candidates: points 2, 1, 0.  Ballot 1: 0 first, 1 and 2 equal -> 2, 0.5, 0.5.
    # Ballot 2 ranks only 2: 0 and 1 are tied last -> 0.5, 0.5, 2.
    result = borda([[0, {1, 2}], [2]])
    assert result.rounds[0].tallies == {0: Fraction(5, 2), 1: 1, 2: Fraction(5, 2)}
    assert result.winners == (0,)  # tie on 2.5 broken by candidate order


def test_pairwise_matrix_treats_unranked_as_tied_last() -> None:
    assert pairwise_matrix([[1], [0, {1, 2}]], n_candidates=3).tolist() == [
        [0, 1, 1],
        [1, 0, 1],
        [0, 0, 0],
    ]


def test_schulze_and_ranked_pairs_accept_equal_rankings() -> None:
    ballots = [[0, {1, 2}], [1, 0], [{0, 1}, 2]]
    assert schulze(ballots).winners == (0,)
    assert ranked_pairs(ballots).winners == (0,)


def test_too_many_tied_orders_are_refused() -> None:
    with pytest.raises(VotingError, match="at most"):
        irv([[set(range(7))]])


# --------------------------------------------------------------------------------------------
# Approval
# --------------------------------------------------------------------------------------------


def test_approval_elects_most_approved_with_weights_and_seats() -> None:
    approvals = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]], dtype=bool)
    result = approval(approvals, seats=2)
    assert result.rounds[0].tallies == {0: 1, 1: 2, 2: 2, 3: 1}
    assert result.winners == (1, 2)
    assert approval(approvals, weights=[5, 1, 1]).winners == (1,)


def test_approval_rejects_non_boolean_marks() -> None:
    with pytest.raises(VotingError, match="0/1"):
        approval(np.array([[2, 0]]))
    with pytest.raises(VotingError, match="seats"):
        approval(np.array([[True, False]]), seats=0)
    # more seats than candidates elects every candidate (tests/voting/test_counting_fixes.py)
    assert approval(np.array([[True, False]]), seats=3).winners == (0, 1)


def test_result_serialises_to_json_ready_dict() -> None:
    data = stv(FOOD, 3, weights=FOOD_WEIGHTS).as_dict(["O", "P", "C", "S", "H"])
    assert data["winners"] == ["C", "O", "S"]
    assert data["rounds"][0]["tallies"]["C"] == "12.00000"


def test_many_candidates_use_wider_integer_storage() -> None:
    ballots = np.array([[300, 5, 0], [126, 127, -1], [3, -1, -1], [300, -1, -1]])
    result = irv(ballots)
    assert result.rounds[0].tallies[300] == 2
    assert result.winners == (300,)
    assert stv(ballots, 2).winners[0] == 300
