"""Counting fixes found by checking against published elections (issue 7, section 4).

1. When the last seats go to the continuing candidates because they are no more than the seats
   left, that round reports the votes the winners hold, not the quota.
2. More seats than candidates (or as many) elects every candidate, without crashing.
3. Scottish STV breaks ties between equal surpluses or equal lowest candidates by the statute
   (SSI 2007/42, Schedule 1, rules 49(2)-(3), 51(2)): the most recent earlier stage at which
   the candidates differed, then a lot; with no generator, candidate order stands in for the
   lot and the note says so.  The command line offers ``--tie-break`` and ``--seed``.
4. The RCTab profile elects nobody while the undeclared write-ins still hold votes.
5. Method of Equal Shares: the "add1" completion the real votes used (Pabulib
   ``equalshares/add1``), checked against the official results and against pabutools.

Published data from /work/shared/data is used where present (those tests skip without it).
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voting.budget import equal_shares, equal_shares_scores
from voting.errors import VotingError
from voting.formats import read_pabulib
from voting.ranked import approval, borda, irv, ranked_pairs, schulze, stv
from voting.rctab import UNDECLARED_WRITE_IN, RctabRules, rctab_count, rctab_tabulate
from voting.registry import METHODS

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
SHARED = Path("/work/shared/data")
RCTAB_MORE = SHARED / "elections" / "rctab-more"
PABULIB = SHARED / "pabulib"
SEED = "ab" * 32


def random_ballots(rng: np.random.Generator, n_cands: int, n_ballots: int) -> np.ndarray:
    """Random truncated strict ballots (-1 after the last preference)."""
    out = np.full((n_ballots, n_cands), -1, dtype=np.int64)
    for b in range(n_ballots):
        k = int(rng.integers(1, n_cands + 1))
        out[b, :k] = rng.permutation(n_cands)[:k]
    return out


# --- 1. the last seats, filled because the continuing candidates are no more than them ------

# 10 papers, 2 seats, quota 4.  Candidate 0 has 5 and is elected; its surplus of 1 moves
# (3/5 to 1, 1/5 to 2, 1/5 non-transferable); 1 and then 3 are excluded; 2 is the last
# continuing candidate with 3.2 votes, below the quota, and fills the last seat (rule 52).
RULE52 = [[0, 1], [0, 1], [0, 1], [0, 2], [0], [1], [2], [2], [3], [3, 2]]


def test_scottish_last_seat_by_rule_52_shows_the_votes_the_winner_holds() -> None:
    result = stv(RULE52, 2)
    assert result.winners == (0, 2)
    last = result.rounds[-1]
    assert last.elected == (2,)
    assert "rule 52" in last.note
    assert last.threshold == Decimal("4.00000")
    # 2 holds 3.2 votes (2 first preferences, 0.2 from 0's surplus, 1 from 3): not the quota
    assert last.tallies == {0: Decimal("4.00000"), 2: Decimal("3.20000")}


@pytest.mark.parametrize("seed", range(30))
def test_scottish_last_round_accounts_for_every_vote(seed: int) -> None:
    """In the last round, tallies + non-transferable + lost to truncation = valid papers: so
    winners by rule 52 show their own votes and earlier winners the quota they keep (showing
    the quota for a rule-52 winner would break the sum)."""
    rng = np.random.default_rng(seed)
    ballots = random_ballots(rng, 6, int(rng.integers(8, 60)))
    seats = int(rng.integers(2, 5))
    result = stv(ballots, seats)
    total = Decimal(int(np.count_nonzero(ballots[:, 0] >= 0)))
    lost = result.details["lost_to_truncation"]
    last = result.rounds[-1]
    assert sum(last.tallies.values(), Decimal(0)) + last.exhausted + lost == total


def test_meek_last_seats_show_the_votes_the_winners_hold() -> None:
    """Meek: 13 ballots, 3 seats, quota 13/4.  0 (8) and 1 (4) reach it; 2 (1 vote) is the
    only hopeful left for the last seat and is elected with the 1 vote it holds."""
    result = stv([[0]] * 8 + [[1]] * 4 + [[2]], 3, method="meek")
    last = result.rounds[-1]
    assert result.winners == (0, 1, 2)
    assert "hopefuls no more than the vacancies left" in last.note
    assert last.threshold == Decimal("3.25000")
    assert last.tallies[2] == Decimal("1.00000")
    assert last.tallies[0] == Decimal("8.00000")  # nothing moved yet: its own votes


# --- 2. more seats than candidates ----------------------------------------------------------


@pytest.mark.parametrize("method", ["scottish", "meek"])
@pytest.mark.parametrize("seats", [3, 4, 7])
def test_stv_with_more_seats_than_candidates_elects_everyone(method: str, seats: int) -> None:
    ballots = [[0, 1], [1], [2, 0], [1, 2]]
    result = stv(ballots, seats, method=method)
    assert sorted(result.winners) == [0, 1, 2]
    assert len(result.rounds) == 1
    if seats > 3:
        assert f"{seats - 3} of the {seats} seats" in result.rounds[-1].note


@pytest.mark.parametrize("method", ["scottish", "meek"])
def test_stv_elects_candidates_nobody_ranked_when_seats_allow(method: str) -> None:
    result = stv([[0], [0, 1]], 3, n_candidates=3, method=method)
    assert sorted(result.winners) == [0, 1, 2]


def test_ranking_methods_with_more_seats_than_candidates_elect_everyone() -> None:
    ranks = [[0, 1, 2], [2, 1, 0], [1, 0, 2]]
    for fn in (borda, schulze, ranked_pairs):
        assert sorted(fn(ranks, seats=5).winners) == [0, 1, 2]
        assert sorted(fn(ranks, seats=3).winners) == [0, 1, 2]
    approvals = np.array([[1, 0, 1], [0, 1, 0]], dtype=bool)
    assert approval(approvals, seats=4).winners == (0, 1, 2)
    with pytest.raises(VotingError, match="seats"):
        approval(approvals, seats=0)


def test_rctab_more_winners_than_candidates_elects_everyone() -> None:
    rules = RctabRules(winner_election_mode="multiWinnerAllowMultipleWinnersPerRound",
                       number_of_winners=5)
    ballots = [([["A"]], 4), ([["B"]], 3), ([["C"], ["B"]], 1), ([["D"]], 1)]
    result = rctab_count(["A", "B", "C", "D"], ballots, rules)
    assert sorted(result.winners) == [0, 1, 2, 3]
    assert len(result.rounds) == 1


# --- 3. Scottish statutory tie-break ---------------------------------------------------------

# 10 papers, 2 seats, quota floor(10/3) + 1 = 4.  Stage 1: 0 has 4 (elected, no surplus),
# 1 has 2, 2 has 3, 3 has 1.  3 is excluded and its paper goes to 1: 1 and 2 are then equal
# (3 each) and lowest.  At stage 1 they differed (1 had 2, 2 had 3): 1 is excluded.
# Candidate order alone would exclude 2 (the later of the two).
TIE_HISTORY = [[0], [0], [0], [0], [1], [1], [2], [2], [2], [3, 1]]


def test_scottish_default_excludes_by_an_earlier_stage_where_they_differed() -> None:
    result = stv(TIE_HISTORY, 2)
    assert [c for r in result.rounds for c in r.eliminated] == [3, 1]
    assert result.winners == (0, 2)
    assert "earlier rounds" in result.rounds[1].note
    assert result.details["tie_break"] == "previous-rounds"
    by_order = stv(TIE_HISTORY, 2, tie_break="order")
    assert [c for r in by_order.rounds for c in r.eliminated] == [3, 2]


def test_scottish_exclusion_looks_at_the_most_recent_stage_where_they_differed() -> None:
    """Rule 51(2)(a): "the most recently preceding stage of the count at which they had an
    unequal number of votes".  B led C at stage 1 (5 to 4), C led B after D's exclusion
    (6 to 5), then E's exclusion made them equal (6 and 6): B, behind at the most recent
    unequal stage, is excluded (looking at the first stage would exclude C)."""
    a, b, c, d, e = 0, 1, 2, 3, 4
    ballots = (
        [[a]] * 10  # quota floor(26/3) + 1 = 9: A is elected at stage 1, surplus 1 unused
        + [[b]] * 5
        + [[c]] * 4
        + [[d, c]] * 2 + [[d]]  # D 3: excluded first, 2 votes to C
        + [[e, b]] + [[e]] * 3  # E 4: excluded next, 1 vote to B
    )
    result = stv(ballots, 2)
    tallies = [r.tallies for r in result.rounds]
    assert (tallies[0][b], tallies[0][c]) == (Decimal(5), Decimal(4))
    assert (tallies[2][b], tallies[2][c]) == (Decimal(5), Decimal(6))
    assert (tallies[3][b], tallies[3][c]) == (Decimal(6), Decimal(6))
    assert [x for r in result.rounds for x in r.eliminated] == [d, e, b]
    assert result.winners == (a, c)


# Equal surpluses (rule 49(2)): at stage 2 candidates 0 and 1 both hold 4 votes with the quota
# at 3, a surplus of 1 each.  At stage 1 candidate 1 had 4 and candidate 0 had 2, so 1's surplus
# is transferred first (candidate order alone would take 0's first).
EQUAL_SURPLUSES = [
    [4, 0, 2, 3, 5], [2, 3], [4, 0, 3, 5, 2, 1], [0, 1, 2, 5, 3], [5, 4, 2, 1, 0, 3], [4, 2],
    [0, 2, 1, 4], [1, 5, 3], [1, 2, 5, 0, 4], [1, 2, 3, 4, 0, 5], [3, 5, 1, 4, 2, 0],
    [4, 2, 0, 5, 1, 3], [1, 0, 2, 3, 4, 5], [2, 1, 0, 3, 5], [4, 0, 2], [2, 1, 4, 5, 3, 0],
    [4, 2, 5, 3],
]


def test_scottish_equal_surpluses_go_by_the_earlier_stage() -> None:
    result = stv(EQUAL_SURPLUSES, 5)
    first, second = result.rounds[0], result.rounds[1]
    assert (first.tallies[0], first.tallies[1]) == (Decimal(2), Decimal(4))
    assert second.tallies[0] == second.tallies[1] == Decimal(4)
    assert second.threshold == Decimal(3)
    assert second.transfers[1] == Decimal(-1)  # 1's surplus moves first
    assert "earlier rounds" in second.note
    by_order = stv(EQUAL_SURPLUSES, 5, tie_break="order")
    assert by_order.rounds[1].transfers[0] == Decimal(-1)


def test_scottish_lot_needed_without_rng_says_a_lot_would_be_drawn() -> None:
    # B and C are equal at every stage: the statute draws a lot
    ballots = [[0]] * 4 + [[1]] * 2 + [[2]] * 2 + [[3]] * 3
    result = stv(ballots, 2)
    note = next(r.note for r in result.rounds if "tie between" in r.note)
    assert "would draw a lot" in note
    assert "candidate order decides instead" in note
    # with a generator the lot is drawn and recorded
    rng = np.random.default_rng(7)
    drawn = stv(ballots, 2, tie_break="previous-rounds-random", rng=rng)
    assert any("broken by lot" in r.note for r in drawn.rounds)


def test_meek_and_irv_keep_their_order_default() -> None:
    assert stv(TIE_HISTORY, 2, method="meek").details["tie_break"] == "order"
    assert irv([[0], [1]]).details["tie_break"] == "order"


def test_scottish_default_matches_pref_voting_on_the_history_ties() -> None:
    pref_voting = pytest.importorskip("pref_voting")
    from pref_voting.profiles_with_ties import ProfileWithTies
    from pref_voting.proportional_methods import stv_scottish

    del pref_voting
    checked = 0
    for seed in range(300):
        rng = np.random.default_rng(10_000 + seed)
        ballots = random_ballots(rng, 5, int(rng.integers(6, 25)))
        ours = stv(ballots, 2)
        notes = " ".join(r.note for r in ours.rounds)
        if "earlier rounds" not in notes or "lot" in notes:
            continue
        rankings = [{int(c): i + 1 for i, c in enumerate(row) if c >= 0} for row in ballots]
        theirs = stv_scottish(ProfileWithTies(rankings, candidates=list(range(5))),
                              num_seats=2)
        assert sorted(ours.winners) == sorted(theirs), seed
        checked += 1
    assert checked >= 3


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voting", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_cli_count_offers_the_tie_breaks(tmp_path: Path) -> None:
    soc = DATA / "election.soc"
    default = json.loads(run_cli("count", "--method", "stv", "--seats", "2", str(soc)).stdout)
    ordered = run_cli("tabulate", "--method", "stv", "--seats", "2", "--tie-break",
                      "previous-rounds", str(soc))
    assert ordered.returncode == 0, ordered.stderr
    assert json.loads(ordered.stdout)["winners"] == default["winners"]
    drawn = run_cli("count", "--method", "irv", "--tie-break", "random", "--seed", SEED,
                    str(soc))
    assert drawn.returncode == 0, drawn.stderr
    again = run_cli("count", "--method", "irv", "--tie-break", "random", "--seed", SEED,
                    str(soc))
    assert drawn.stdout == again.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--method", "irv", "--tie-break", "random"], "needs --seed"),
        (["--method", "irv", "--seed", SEED], "--seed is used only"),
        (["--method", "borda", "--tie-break", "previous-rounds"], "'order' or 'random'"),
        (["--method", "irv", "--tie-break", "random", "--seed", "xyz"], "64"),
    ],
)
def test_cli_tie_break_mistakes_are_named(args: list[str], message: str) -> None:
    proc = run_cli("count", *args, str(DATA / "election.soc"))
    assert proc.returncode == 2
    assert message in proc.stderr


# --- 4. RCTab: no winner while undeclared write-ins are continuing ---------------------------


def test_rctab_single_winner_waits_for_the_write_ins_to_be_excluded() -> None:
    # A has 6 of 11 (a majority), but the undeclared write-ins still hold 2 votes in round 1
    ballots = [([["A"]], 6), ([[UNDECLARED_WRITE_IN], ["B"]], 2), ([["B"]], 3)]
    result = rctab_count(["A", "B"], ballots, RctabRules())
    names = result.details["candidates"]
    first = result.rounds[0]
    assert first.elected == ()
    assert [names[c] for c in first.eliminated] == [UNDECLARED_WRITE_IN]
    assert [names[c] for c in result.rounds[1].elected] == ["A"]
    assert [names[w] for w in result.winners] == ["A"]


def test_rctab_multi_seat_waits_for_the_write_ins() -> None:
    rules = RctabRules(winner_election_mode="multiWinnerAllowMultipleWinnersPerRound",
                       number_of_winners=2)
    ballots = [([["A"]], 6), ([[UNDECLARED_WRITE_IN]], 4), ([["B"]], 3), ([["C"]], 2)]
    result = rctab_count(["A", "B", "C"], ballots, rules)
    names = result.details["candidates"]
    assert result.rounds[0].elected == ()
    assert [names[c] for c in result.rounds[0].eliminated] == [UNDECLARED_WRITE_IN]
    assert [names[c] for c in result.rounds[1].elected] == ["A"]
    assert [names[w] for w in result.winners] == ["A", "B"]
    # the last winner (B, elected below the threshold as the only continuing candidate)
    # keeps its own votes in the final round; A shows the threshold
    final = result.rounds[-1]
    assert final.tallies[0] == final.threshold == Decimal(6)
    assert final.tallies[1] == Decimal(3)


def test_rctab_write_ins_with_no_votes_do_not_block() -> None:
    # the write-ins appear only as a later choice: no votes in round 1, A wins at once
    ballots = [([["A"], [UNDECLARED_WRITE_IN]], 6), ([["B"]], 3)]
    result = rctab_count(["A", "B"], ballots, RctabRules())
    assert result.rounds[0].elected == (0,)


RCTAB_CASES = [
    "2013_minneapolis_park",
    "2013_minneapolis_park_hare",
    "more_winners_than_candidates",
    "multi_seat_uwi_test",
    "uwi_cannot_win_test",
]


@pytest.mark.parametrize("name", RCTAB_CASES)
def test_rctab_regression_cases_match_rctab_round_by_round(name: str) -> None:
    path = RCTAB_MORE / f"{name}.json.gz"
    if not path.exists():
        pytest.skip(f"{path} not present")
    case: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))
    result = rctab_tabulate({k: v for k, v in case.items() if k != "ballots"})
    names = result.details["candidates"]
    expected = case["expected"]
    assert [names[w] for w in result.winners] == expected["winners"]
    assert len(result.rounds) == len(expected["rounds"])
    for got, want in zip(result.rounds, expected["rounds"], strict=True):
        assert {names[c]: v for c, v in got.tallies.items()} == {
            k: Decimal(v) for k, v in want["tallies"].items()
        }, want["round"]
        assert got.threshold == Decimal(want["threshold"]), want["round"]
        assert [names[c] for c in got.elected] == want["elected"], want["round"]
        assert sorted(names[c] for c in got.eliminated) == sorted(want["eliminated"])


# --- 5. Method of Equal Shares: the add1 completion the real votes used ----------------------


def official(path: Path) -> tuple[Any, set[str]]:
    pb = read_pabulib(path)
    chosen = {pb.projects[j] for j, m in enumerate(pb.project_meta) if m.get("selected") == "1"}
    return pb, chosen


@pytest.mark.parametrize(
    "name",
    ["Poland_Wieliczka_2023_Green_Budget", "Poland_Swiecie_2023", "Netherlands_Assen_2024"],
)
def test_add1_reproduces_the_official_equal_shares_results(name: str) -> None:
    path = PABULIB / f"{name}.pb"
    if not path.exists():
        pytest.skip(f"{path} not present")
    pb, chosen = official(path)
    result = equal_shares(pb.approval_matrix(), pb.costs, pb.budget, completion="add1")
    assert {pb.projects[j] for j in result.winners} == chosen
    assert result.details["spent"] <= pb.budget


def test_wieliczka_shows_why_add1_does_not_stop_at_the_first_exhaustive_outcome() -> None:
    path = PABULIB / "Poland_Wieliczka_2023_Green_Budget.pb"
    if not path.exists():
        pytest.skip(f"{path} not present")
    pb, chosen = official(path)
    A = pb.approval_matrix()
    early = equal_shares(A, pb.costs, pb.budget, completion="add1-exhaustive")
    late = equal_shares(A, pb.costs, pb.budget, completion="add1")
    assert early.details["add1_steps"] < late.details["add1_steps"]
    assert {pb.projects[j] for j in early.winners} != chosen
    assert late.details["spent"] > early.details["spent"]


def test_add1_red_blue_example_and_per_voter_share() -> None:
    A = np.zeros((100, 20), dtype=bool)
    A[:51, :10] = True
    A[51:, 10:] = True
    result = equal_shares(A, [100] * 20, 1000, completion="add1")
    assert sorted(result.winners) == [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]
    assert result.details["add1_steps"] == 1  # share 11 fits, share 12 would spend 1 100
    assert result.details["per_voter"] == 11


def test_add1_keeps_raising_past_an_exhaustive_outcome_while_it_fits() -> None:
    """Budget 6, two voters; voter 0 approves project 0 (cost 6) and project 1 (cost 4),
    voter 1 approves nothing.  Shares of 3: nothing is affordable.  Shares of 4: project 1
    is bought, and project 0 no longer fits the 2 left: exhaustive, where "add1-exhaustive"
    (pabutools) stops.  "add1" goes on: with shares of 6 to 9, project 0 wins the tie on price
    (lower index) and uses the whole budget; shares of 10 would buy both (10 > 6), so the
    outcome at 9 (6 steps) is kept."""
    A = np.array([[1, 1], [0, 0]], dtype=bool)
    ex = equal_shares(A, [6, 4], 6, completion="add1-exhaustive")
    assert ex.winners == (1,)
    assert (ex.details["add1_steps"], ex.details["spent"]) == (1, 4)
    add1 = equal_shares(A, [6, 4], 6, completion="add1")
    assert add1.winners == (0,)
    assert (add1.details["add1_steps"], add1.details["spent"], add1.details["per_voter"]) == (
        6, 6, 9)


def test_add1_stops_when_every_supported_project_is_funded() -> None:
    result = equal_shares([[1, 0], [0, 1]], [10, 10], 1_000_000, completion="add1")
    assert result.winners == (0, 1)
    assert result.details["add1_steps"] == 0


def test_add1_with_scores_and_the_scores_wrapper_agree() -> None:
    S = np.array([[3, 0, 1], [0, 2, 2], [1, 1, 0]])
    a = equal_shares(S, [40, 30, 30], 90, utility="scores", completion="add1")
    b = equal_shares_scores(S, [40, 30, 30], 90, completion="add1")
    assert a.winners == b.winners
    assert a.details["spent"] <= 90


def test_equal_shares_default_completion_is_none_and_the_explanation_says_so() -> None:
    assert equal_shares([[1, 0], [0, 1]], [10, 10], 20).details["completion"] is None
    text = METHODS["equal-shares"].explanation
    assert "bigger" in text and "unspent" in text


def _pabutools_add1(A: np.ndarray, costs: np.ndarray, budget: int) -> list[int]:
    """The add1 completion written out over pabutools' own MES (exact arithmetic): raise the
    total by n each step while the outcome fits ``budget``; keep the last that fits."""
    from pabutools.election import (
        ApprovalBallot,
        ApprovalProfile,
        Cost_Sat,
        Instance,
        Project,
    )
    from pabutools.rules import method_of_equal_shares

    projects = [Project(f"p{j:03d}", int(c)) for j, c in enumerate(costs)]
    profile = ApprovalProfile(
        [ApprovalBallot(projects[j] for j in np.flatnonzero(row)) for row in A]
    )
    n = A.shape[0]
    supported = {j for j in range(len(costs)) if A[:, j].any()}

    def run(total: int) -> list[int]:
        inst = Instance(projects, budget_limit=total)
        return sorted(int(p.name[1:]) for p in
                      method_of_equal_shares(inst, profile, sat_class=Cost_Sat))

    best = run(budget)
    k = 1
    while set(best) != supported:
        nxt = run(budget + k * n)
        if sum(int(costs[j]) for j in nxt) > budget:
            break
        best, k = nxt, k + 1
    return best


@pytest.mark.parametrize("seed", range(30))
def test_add1_matches_the_add1_loop_over_pabutools(seed: int) -> None:
    pytest.importorskip("pabutools")
    rng = np.random.default_rng(5000 + seed)
    n, m = int(rng.integers(1, 12)), int(rng.integers(1, 7))
    A = rng.random((n, m)) < rng.uniform(0.2, 0.7)
    costs = rng.choice(np.array([10, 20, 30, 40, 60]), size=m)
    budget = int(rng.integers(20, int(costs.sum()) + 20))
    ours = equal_shares(A, costs, budget, completion="add1")
    assert sorted(ours.winners) == _pabutools_add1(A, costs, budget)


def test_add1_exact_share_arithmetic_in_details() -> None:
    result = equal_shares([[1, 1], [1, 0], [0, 1]], [30, 30], 60, completion="add1")
    steps = result.details["add1_steps"]
    assert Fraction(result.details["per_voter"]).limit_denominator(1000) == Fraction(
        60 + steps * 3, 3
    )
