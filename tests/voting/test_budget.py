"""Budget rules: worked examples (sources cited), properties, and input checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.budget import (
    equal_shares,
    equal_shares_scores,
    fund_in_order,
    greedy,
    partial_lottery,
)
from voting.draws import draw_order
from voting.errors import VotingError
from voting.results import CountResult

SEED = "ab" * 32

# --- greedy -----------------------------------------------------------------------------------


def hand_example() -> tuple[np.ndarray, list[int], int]:
    """Four projects, five voters, budget 100 (computed by hand below)."""
    A = np.array(
        [
            [1, 1, 0, 1],
            [1, 0, 1, 1],
            [1, 1, 0, 0],
            [0, 1, 0, 1],
            [1, 0, 0, 0],
        ],
        dtype=bool,
    )
    # approvals: p0 = 4, p1 = 3, p3 = 3, p2 = 1; p1 and p3 tie on 3 -> lower cost first (p3)
    costs = [50, 40, 10, 30]
    return A, costs, 100


def test_greedy_skip_by_hand() -> None:
    A, costs, budget = hand_example()
    # order p0 (4), p3 (3, cost 30), p1 (3, cost 40), p2 (1)
    # fund p0 (50 left), p3 (20 left), skip p1 (40 > 20), fund p2 (10 left)
    result = greedy(A, costs, budget)
    assert isinstance(result, CountResult)
    assert result.method == "greedy"
    assert result.winners == (0, 3, 2)
    assert result.details["order"] == [0, 3, 1, 2]
    assert result.details["skipped"] == [1]
    assert result.details["spent"] == 90
    assert [r.elected for r in result.rounds] == [(0,), (3,), (), (2,)]
    assert result.rounds[2].eliminated == (1,)
    assert "skipped" in result.rounds[2].note


def test_greedy_stop_by_hand() -> None:
    A, costs, budget = hand_example()
    # same order; p1 does not fit the 20 left, so funding stops there and p2 is not funded
    result = greedy(A, costs, budget, rule="stop")
    assert result.winners == (0, 3)
    assert result.details["stopped_at"] == 1
    assert len(result.rounds) == 3
    assert "stops" in result.rounds[-1].note


def test_greedy_weights_count_ballots() -> None:
    A = np.array([[1, 0], [0, 1]], dtype=bool)
    assert greedy(A, [10, 10], 10).winners == (0,)  # tie 1-1: equal cost, lower index
    assert greedy(A, [10, 10], 10, weights=[1, 3]).winners == (1,)
    assert greedy(A, [10, 10], 10, weights=[1.5, 0.5]).details["approvals"] == [1.5, 0.5]


def test_greedy_uses_fund_in_order() -> None:
    A, costs, budget = hand_example()
    result = greedy(A, costs, budget)
    assert result.winners == fund_in_order(result.details["order"], costs, budget).selected


# --- Method of Equal Shares -------------------------------------------------------------------


def test_equal_shares_equalshares_net_example_file() -> None:
    """The example .pb file on equalshares.net ("How to compute the results?"): budget
    100 000; costs 5 000, 10 000, 85 000; votes {1,2}, {1}, {3}, {1,2,3}.

    Each of the 4 voters gets 25 000.  Project 1: 3 supporters pay 1 666.67 each; project 2:
    2 supporters pay 5 000 each; project 3 needs 85 000 but its 2 supporters hold 50 000, so
    it is not affordable.  MES funds projects 1 then 2 (15 000 spent).
    """
    A = [[1, 1, 0], [1, 0, 0], [0, 0, 1], [1, 1, 1]]
    costs = [5000, 10000, 85000]
    for utility in ("cost", "approval"):
        result = equal_shares(A, costs, 100_000, utility=utility)
        assert result.winners == (0, 1)
        assert result.details["spent"] == 15_000
        assert result.details["per_voter"] == 25_000
    prices = equal_shares(A, costs, 100_000, utility="approval").details["prices"]
    assert prices[0] == pytest.approx(5000 / 3)
    assert prices[1] == pytest.approx(5000)


def test_equal_shares_red_blue_example() -> None:
    """The motivating example of equalshares.net and Peters & Skowron: 51 voters approve ten
    "red" projects, 49 approve ten "blue" ones, each costs 100, budget 1 000 (10 each).

    Greedy (most votes first) funds the ten red projects only.  MES funds red ones while the
    51 red voters can pay (5 projects: 5 x 100/51 = 9.80 of their 10 each), and 4 blue ones
    (49 x 10 = 490 pays for 4); with "add1" each share rises to 11, giving 5 and 5.
    """
    A = np.zeros((100, 20), dtype=bool)
    A[:51, :10] = True
    A[51:, 10:] = True
    costs = [100] * 20
    assert greedy(A, costs, 1000).winners == tuple(range(10))
    mes = equal_shares(A, costs, 1000)
    assert mes.winners == (0, 1, 2, 3, 4, 10, 11, 12, 13)
    # the equal price ties among the red projects go to the lower index, as the notes say
    assert "tied" in mes.rounds[0].note
    add1 = equal_shares(A, costs, 1000, completion="add1")
    assert sorted(add1.winners) == [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]
    assert add1.details["add1_steps"] == 1
    assert add1.details["per_voter"] == 11
    util = equal_shares(A, costs, 1000, completion="utilitarian")
    assert util.winners == (0, 1, 2, 3, 4, 10, 11, 12, 13, 5)
    assert util.details["completed"] == [5]


def test_equal_shares_cost_versus_approval_utility() -> None:
    """Cost utility measures a project by what it costs; approval utility only counts heads.

    Three voters, budget 90 (30 each).  Voters 1 and 2 approve a (cost 60) and b (cost 20);
    voter 3 approves c (cost 30).
    """
    A = [[1, 1, 0], [1, 1, 0], [0, 0, 1]]
    costs = [60, 20, 30]
    by_approval = equal_shares(A, costs, 90, utility="approval")
    by_cost = equal_shares(A, costs, 90, utility="cost")
    # shares of 30 each.  approval: b (10 each) first, then c (30 from voter 3), then a
    # needs 60 from 40 -> no.  cost: prices per unit of cost are a 0.5, b 0.5, c 1.0 ->
    # a (tie with b, lower index) first, leaving 0 each; c second.
    assert by_approval.winners == (1, 2)
    assert by_cost.winners == (0, 2)


def test_equal_shares_scores_split_cost_by_score() -> None:
    # voter 0 values project 0 at 3 points, voter 1 at 1 point: they pay 3:1 of its cost
    S = np.array([[3, 0], [1, 2]])
    result = equal_shares_scores(S, [40, 30], 100)
    assert result.winners == (0, 1)
    assert result.details["prices"][0] == pytest.approx(40 / 4)
    assert equal_shares(None, [40, 30], 100, scores=S).winners == (0, 1)


def test_equal_shares_funds_free_supported_projects_first() -> None:
    A = [[1, 1, 0], [0, 1, 1]]
    result = equal_shares(A, [0, 10, 0], 10)
    assert result.winners[:2] == (0, 2)


def test_equal_shares_round_notes_explain() -> None:
    result = equal_shares([[1, 0], [0, 1]], [10, 10], 20)
    assert all(r.note for r in result.rounds)
    assert result.rounds[0].elected == (0,)
    d = result.as_dict(labels=["a", "b"])
    assert d["winners"] == ["a", "b"]


# --- properties -------------------------------------------------------------------------------


@st.composite
def instances(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int]:
    n = draw(st.integers(1, 12))
    m = draw(st.integers(1, 6))
    cells = draw(st.lists(st.booleans(), min_size=n * m, max_size=n * m))
    costs = draw(st.lists(st.integers(0, 50), min_size=m, max_size=m))
    budget = draw(st.integers(0, 200))
    return np.array(cells, dtype=bool).reshape(n, m), np.array(costs), budget


RULES = [
    lambda A, c, b: greedy(A, c, b),
    lambda A, c, b: greedy(A, c, b, rule="stop"),
    lambda A, c, b: equal_shares(A, c, b),
    lambda A, c, b: equal_shares(A, c, b, utility="approval"),
    lambda A, c, b: equal_shares(A, c, b, completion="add1", increment=5),
    lambda A, c, b: equal_shares(A, c, b, completion="add1-utilitarian", increment=5),
    lambda A, c, b: equal_shares(A, c, b, completion="utilitarian"),
]


@settings(max_examples=60, deadline=None)
@given(instances())
def test_no_rule_exceeds_the_budget(inst: tuple[np.ndarray, np.ndarray, int]) -> None:
    A, costs, budget = inst
    for rule in RULES:
        result = rule(A, costs, budget)
        assert len(set(result.winners)) == len(result.winners)
        assert int(costs[list(result.winners)].sum()) <= budget


@settings(max_examples=60, deadline=None)
@given(instances(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_voter_order(
    inst: tuple[np.ndarray, np.ndarray, int], rnd: object
) -> None:
    A, costs, budget = inst
    perm = list(range(A.shape[0]))
    rnd.shuffle(perm)  # type: ignore[attr-defined]
    for rule in RULES:
        assert rule(A, costs, budget).winners == rule(A[perm], costs, budget).winners


@settings(max_examples=40, deadline=None)
@given(instances())
def test_equal_shares_is_exhaustive_after_utilitarian_completion(
    inst: tuple[np.ndarray, np.ndarray, int],
) -> None:
    A, costs, budget = inst
    result = equal_shares(A, costs, budget, completion="utilitarian")
    left = budget - int(costs[list(result.winners)].sum())
    supported = A.any(axis=0)
    for j in range(A.shape[1]):
        if supported[j] and j not in result.winners:
            assert costs[j] > left


# --- partial lottery --------------------------------------------------------------------------


def test_partial_lottery_with_explicit_group() -> None:
    labels = ["A-1", "A-2", "A-3", "A-4", "A-5"]
    costs = [30, 30, 30, 30, 30]
    result = partial_lottery([0, 1, 2, 3, 4], costs, 100, seed=SEED, labels=labels,
                             lottery_group=[2, 3, 4])
    drawn = draw_order(SEED, "lottery", ["A-3", "A-4", "A-5"])
    assert result.details["draw"] == {"purpose": "lottery", "group": ["A-3", "A-4", "A-5"],
                                      "order": drawn}
    # 0 and 1 are sure (60 spent); 40 left buys the first drawn entry only
    assert result.winners == (0, 1, labels.index(drawn[0]))
    assert result.method == "partial-lottery"
    assert len(result.rounds) == 2
    # the same seed gives the same draw; another seed may not
    again = partial_lottery([0, 1, 2, 3, 4], costs, 100, seed=SEED, labels=labels,
                            lottery_group=[2, 3, 4])
    assert again.winners == result.winners


def test_partial_lottery_from_rank_intervals() -> None:
    labels = ["a", "b", "c", "d", "e"]
    costs = [10, 10, 10, 10, 10]
    # budget 30: three fit, so the line lies after rank 3 (at 3.5)
    intervals = [[1, 2], [1, 3], [2, 5], [3, 5], [4, 5]]
    result = partial_lottery([0, 1, 2, 3, 4], costs, 30, seed=SEED, labels=labels,
                             intervals=intervals)
    assert result.details["line_after"] == 3
    assert result.details["sure"] == [0, 1]
    assert result.details["draw"]["group"] == ["c", "d"]
    drawn = result.details["draw"]["order"]
    assert result.winners == (0, 1, labels.index(drawn[0]))
    assert 4 not in result.winners


def test_partial_lottery_rejects_bad_input() -> None:
    with pytest.raises(VotingError, match="exactly one"):
        partial_lottery([0], [1], 1, seed=SEED, labels=["a"])
    with pytest.raises(VotingError, match="seed"):
        partial_lottery([0], [1], 1, seed="x", labels=["a"], lottery_group=[0])
    with pytest.raises(VotingError, match="appear in order"):
        partial_lottery([0], [1, 1], 1, seed=SEED, labels=["a", "b"], lottery_group=[1])


# --- input checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: greedy([1, 0], [1, 1], 1), "two-dimensional"),
        (lambda: greedy([[2, 0]], [1, 1], 1), "only 0 and 1"),
        (lambda: greedy([[1, 0]], [1], 1), "one entry per project"),
        (lambda: greedy([[1, 0]], [1, -1], 1), "must not be negative"),
        (lambda: greedy([[1, 0]], [1.5, 1], 1), "whole numbers"),
        (lambda: greedy([[1, 0]], [1, 1], -1), "budget must not be negative"),
        (lambda: greedy([[1, 0]], [1, 1], 1.5), "whole number"),
        (lambda: greedy([[1, 0]], [1, 1], 1, rule="maybe"), "rule must be one of"),
        (lambda: greedy([[1, 0]], [1, 1], 1, weights=[1, 1]), "weights must have shape"),
        (lambda: greedy([[1, 0]], [1, 1], 1, weights=[-1]), "not negative"),
        (lambda: equal_shares([[1]], [1], 1, utility="joy"), "utility must be one of"),
        (lambda: equal_shares([[1]], [1], 1, completion="add2"), "completion must be one of"),
        (lambda: equal_shares([[1]], [1], 1, increment=0), "increment"),
        (lambda: equal_shares_scores([[np.nan]], [1], 1), "finite"),
        (lambda: equal_shares_scores([[-1]], [1], 1), "negative"),
    ],
)
def test_bad_input_raises_voting_error(call: object, message: str) -> None:
    with pytest.raises(VotingError, match=message):
        call()  # type: ignore[operator]


def test_empty_inputs() -> None:
    assert greedy(np.zeros((0, 2), dtype=bool), [1, 1], 5).winners == (0, 1)
    assert equal_shares(np.zeros((0, 2), dtype=bool), [1, 1], 5).winners == ()
    assert equal_shares(np.zeros((3, 0), dtype=bool), np.zeros(0, dtype=int), 5).winners == ()


def test_docstring_examples() -> None:
    import doctest

    import voting.budget

    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for func in (voting.budget.greedy, voting.budget.equal_shares):
        for test in finder.find(func, globs=vars(voting.budget)):
            runner.run(test)
    assert runner.failures == 0
    assert runner.tries >= 3
