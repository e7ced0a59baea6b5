"""Consensus checks: discussion flags, consent with reasoned blocks, exact supermajorities."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from voting.agreement import ipras, spread
from voting.consensus import Position, consent, flag_for_discussion, supermajority
from voting.errors import VotingError

NaN = float("nan")

# reviewers x applications: 0 agrees, 1 is split, 2 has a single score
TOTALS = np.array([[7.0, 1.0, 5.0], [7.0, 9.0, NaN], [8.0, 1.0, NaN], [7.0, 9.0, NaN]])


# --- flag_for_discussion ----------------------------------------------------------------
def test_applications_whose_spread_passes_the_threshold_are_flagged() -> None:
    result = flag_for_discussion(TOTALS, threshold=2.0, measure="sd")
    assert result.flagged == (1,)
    assert "standard deviation is above 2" in result.reasons[1][0]
    assert result.insufficient == (2,)
    assert result.values[2] is None
    assert "Too few scores" in result.explanation


def test_a_spread_exactly_at_the_threshold_is_not_flagged() -> None:
    totals = np.array([[1.0], [3.0]])  # range exactly 2
    assert flag_for_discussion(totals, threshold=2.0, measure="range").flagged == ()
    assert flag_for_discussion(totals, threshold=1.999, measure="range").flagged == (0,)


def test_a_strong_objection_flags_an_application_whatever_the_spread() -> None:
    result = flag_for_discussion(
        spread(TOTALS), threshold=100.0, measure="iqr", objections=[0, 0, 2]
    )
    assert result.flagged == (0, 2)
    assert result.reasons[0] == ("2 strong objections recorded",)
    assert result.reasons[2] == ("1 strong objection recorded",)


def test_ipras_measure_uses_the_rand_ucla_rule() -> None:
    from_totals = flag_for_discussion(TOTALS, measure="ipras")
    from_result = flag_for_discussion(ipras(TOTALS), measure="ipras")
    assert from_totals.flagged == from_result.flagged == (1,)
    assert from_totals.threshold is None
    assert "IPRAS" in from_totals.reasons[1][0]


def test_flag_for_discussion_validates_its_arguments() -> None:
    with pytest.raises(VotingError, match="threshold"):
        flag_for_discussion(TOTALS, measure="sd")
    with pytest.raises(VotingError, match="own threshold"):
        flag_for_discussion(TOTALS, threshold=1.0, measure="ipras")
    with pytest.raises(VotingError, match="measure"):
        flag_for_discussion(TOTALS, threshold=1.0, measure="variance")  # type: ignore[arg-type]
    with pytest.raises(VotingError, match="application indices"):
        flag_for_discussion(TOTALS, threshold=1.0, objections=[3])
    with pytest.raises(VotingError, match="SpreadResult"):
        flag_for_discussion(spread(TOTALS), measure="ipras")


# --- consent ----------------------------------------------------------------------------
def test_consent_passes_unless_someone_blocks() -> None:
    result = consent(
        [
            ("Panel member 1", "consent"),
            Position("Panel member 2", "stand-aside", "not sure it reaches young carers"),
            ("Panel member 3", "consent"),
        ]
    )
    assert result.passed
    assert result.consents == ("Panel member 1", "Panel member 3")
    assert result.stand_asides == (("Panel member 2", "not sure it reaches young carers"),)
    assert "nobody blocked" in result.explanation


def test_a_reasoned_block_stops_the_proposal_and_is_explained() -> None:
    result = consent(
        [("Panel member 1", "consent"), ("Panel member 4", "block", "duplicates council funding")]
    )
    assert not result.passed
    assert result.blocks == (("Panel member 4", "duplicates council funding"),)
    assert "duplicates council funding" in result.explanation


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_block_without_a_reason_is_refused(reason: str) -> None:
    with pytest.raises(VotingError, match="must give a reason"):
        consent([("Panel member 1", "block", reason)])


def test_consent_validates_positions() -> None:
    with pytest.raises(VotingError, match="at least one"):
        consent([])
    with pytest.raises(VotingError, match="stance"):
        consent([("Panel member 1", "maybe")])
    with pytest.raises(VotingError, match="more than one position"):
        consent([("Panel member 1", "consent"), ("Panel member 1", "block", "changed mind")])


# --- supermajority ----------------------------------------------------------------------
def test_exactly_two_thirds_passes_at_least_but_not_more_than() -> None:
    votes = ["yes", "yes", "no"]
    inclusive = supermajority(votes)
    assert inclusive.passed and inclusive.share == Fraction(2, 3)
    assert "at least 2/3" in inclusive.explanation
    exclusive = supermajority(votes, inclusive=False)
    assert not exclusive.passed
    assert "more than 2/3" in exclusive.explanation


def test_abstentions_are_left_out_of_the_base() -> None:
    result = supermajority([True, True, False, None, "abstain"])
    assert (result.yes, result.no, result.abstain) == (2, 1, 2)
    assert result.passed


def test_arithmetic_is_exact() -> None:
    # 667 of 1000 is more than 2/3; 666 of 1000 is not (floats would be fragile here)
    assert supermajority(["yes"] * 667 + ["no"] * 333).passed
    assert not supermajority(["yes"] * 666 + ["no"] * 334).passed
    # a float threshold is read as the decimal written: 0.6 is exactly 3/5
    result = supermajority(["yes"] * 3 + ["no"] * 2, 0.6)
    assert result.threshold == Fraction(3, 5) and result.passed
    assert supermajority(["yes"] * 3 + ["no"] * 1, "3/4").passed


def test_no_yes_or_no_votes_does_not_pass() -> None:
    result = supermajority([None, "abstain"])
    assert not result.passed and result.share is None
    assert "nobody voted" in result.explanation


def test_supermajority_validates_votes_and_threshold() -> None:
    with pytest.raises(VotingError, match="yes, no or abstain"):
        supermajority(["perhaps"])
    with pytest.raises(VotingError, match="at most 1"):
        supermajority(["yes"], Fraction(3, 2))
    with pytest.raises(VotingError, match="greater than 0"):
        supermajority(["yes"], 0)
    with pytest.raises(VotingError, match="Fraction"):
        supermajority(["yes"], "two thirds")
