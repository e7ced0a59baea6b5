"""RCTab conformance: every case in tests/conformance/rctab, counted from the raw ballots.

The expected results are RCTab's own round-by-round reports (BrightSpots/rcv test data,
MPL-2.0; see the README there).  Tallies are compared as decimal *values*: RCTab prints "6"
or "6.0000" for the same number depending on whether a fractional transfer touched it.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voting.errors import VotingError
from voting.rctab import RctabRules, clean_ballot, rctab_count, rctab_tabulate

CASES_DIR = Path(__file__).resolve().parents[1] / "conformance" / "rctab"
CASES = sorted(CASES_DIR.glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_all_fifteen_cases_are_present() -> None:
    assert len(CASES) == 15


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_rctab_case_matches_rctab_report_round_by_round(path: Path) -> None:
    case = load(path)
    case = {k: v for k, v in case.items() if k != "ballots"}  # count from raw_ballots only
    result = rctab_tabulate(case)
    names = result.details["candidates"]
    expected = case["expected"]

    assert [names[w] for w in result.winners] == expected["winners"]
    assert len(result.rounds) == len(expected["rounds"])
    for got, want in zip(result.rounds, expected["rounds"], strict=True):
        where = f"{path.stem} round {want['round']}"
        assert got.number == want["round"], where
        assert {names[c]: v for c, v in got.tallies.items()} == {
            k: Decimal(v) for k, v in want["tallies"].items()
        }, where
        assert got.threshold == Decimal(want["threshold"]), where
        assert [names[c] for c in got.elected] == want["elected"], where
        # RCTab lists a batch of exclusions alphabetically; the set is what matters
        assert sorted(names[c] for c in got.eliminated) == sorted(want["eliminated"]), where
        inactive = sum(
            (Decimal(v) for k, v in want["inactive"].items() if k != "finalRoundSurplus"),
            Decimal(0),
        )
        assert got.exhausted == inactive, where


def test_rctab_cleaned_ballots_agree_with_the_converter() -> None:
    """Our per-ballot rules give the same cleaned ballots as the case's ``ballots`` field."""
    for path in CASES:
        case = load(path)
        rules = RctabRules.from_config(case["rules"])
        names = [*case["candidates"], "Undeclared Write-ins"]
        index = {nm: i for i, nm in enumerate(names)}
        ours: Counter[tuple[str, ...]] = Counter()
        for marks, count in case["raw_ballots"]:
            kept, _ = clean_ballot(marks, index, rules)
            ours[tuple(names[c] for c in kept)] += count
        theirs: Counter[tuple[str, ...]] = Counter()
        for ranking, count in case["ballots"]:
            theirs[tuple(ranking)] += count
        assert ours == theirs, path.stem


def test_overvote_exhausts_or_skips_by_rule() -> None:
    index = {"A": 0, "B": 1, "C": 2}
    marks = [["A", "B"], ["C"]]
    assert clean_ballot(marks, index, RctabRules(overvote_rule="exhaustImmediately")) == (
        [],
        "overvote",
    )
    assert clean_ballot(marks, index, RctabRules(overvote_rule="alwaysSkipToNextRank")) == (
        [2],
        None,
    )
    assert clean_ballot(
        ["#overvote", "C"], index, RctabRules(overvote_rule="alwaysSkipToNextRank")
    ) == (
        [2],
        None,
    )


def test_skipped_ranks_count_from_the_previous_mark() -> None:
    index = {"A": 0, "B": 1}
    assert clean_ballot([[], ["A"]], index, RctabRules(max_skipped_ranks_allowed=0)) == (
        [],
        "skipped",
    )
    assert clean_ballot([[], ["A"]], index, RctabRules(max_skipped_ranks_allowed=1)) == ([0], None)
    assert clean_ballot(
        [["A"], [], [], ["B"]], index, RctabRules(max_skipped_ranks_allowed=None)
    ) == (
        [0, 1],
        None,
    )


def test_duplicate_candidate_exhausts_or_is_ignored() -> None:
    index = {"A": 0, "B": 1}
    marks = [["A"], ["A"], ["B"]]
    assert clean_ballot(marks, index, RctabRules(exhaust_on_duplicate_candidate=True)) == (
        [0],
        "duplicate",
    )
    assert clean_ballot(marks, index, RctabRules(exhaust_on_duplicate_candidate=False)) == (
        [0, 1],
        None,
    )


def test_unknown_candidate_and_bad_rules_are_refused() -> None:
    with pytest.raises(VotingError, match="unknown candidate"):
        clean_ballot([["Z"]], {"A": 0}, RctabRules())
    with pytest.raises(VotingError, match="tiebreakMode"):
        RctabRules(tiebreak_mode="coinFlip")
    with pytest.raises(VotingError, match="singleWinnerMajority"):
        RctabRules(number_of_winners=3)
    with pytest.raises(VotingError, match="needs 'raw_ballots'"):
        rctab_tabulate({"candidates": ["A"], "rules": {}})


def test_random_tie_break_needs_a_generator_and_records_the_draw() -> None:
    rules = RctabRules(tiebreak_mode="random", max_skipped_ranks_allowed=None)
    ballots = [([["A"]], 2), ([["B"]], 2), ([["C"]], 1)]
    # C goes first (fewest); then A and B tie 2-2 with two left: a random decision
    with pytest.raises(VotingError, match="rng"):
        rctab_count(["A", "B", "C"], ballots, rules)
    result = rctab_count(["A", "B", "C"], ballots, rules, rng=np.random.default_rng(1))
    assert result.winners[0] in (0, 1)
    assert "lot" in result.rounds[-1].note


def test_stop_counting_and_ask_refuses_to_guess() -> None:
    rules = RctabRules(tiebreak_mode="stopCountingAndAsk")
    with pytest.raises(VotingError, match="stopCountingAndAsk"):
        rctab_count(["A", "B"], [([["A"]], 1), ([["B"]], 1)], rules)
