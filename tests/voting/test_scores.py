"""Score data under partial assignment, weighted totals, aggregates and majority judgment."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from voting.errors import VotingError
from voting.scores import ScoreData, aggregate, majority_judgment, weighted_totals

NaN = float("nan")


def make_data(**overrides: object) -> ScoreData:
    """Two reviewers, three applications, two criteria on a 1-5 scale."""
    scores = np.full((2, 3, 2), NaN)
    scores[0, 0] = [4, 2]
    scores[0, 1] = [5, NaN]  # don't know on criterion 2
    scores[1, 0] = [3, 3]
    scores[1, 2] = [1, 5]
    kwargs: dict[str, object] = {
        "scores": scores,
        "conflicted": np.array([[False, False, True], [False, False, False]]),
        "assigned": np.array([[True, True, False], [True, False, True]]),
        "scale": (1, 5),
    }
    kwargs.update(overrides)
    return ScoreData(**kwargs)  # type: ignore[arg-type]


# --- ScoreData ------------------------------------------------------------------------
def test_masks_separate_conflicts_dont_knows_and_counted_scores() -> None:
    data = make_data()
    assert data.shape == (2, 3, 2)
    assert data.dont_know[0, 1].tolist() == [False, True]
    assert data.counted[0, 1].tolist() == [True, False]
    assert not data.eligible[0, 2]  # conflicted (and not assigned)
    assert data.counted.sum() == 7


def test_a_conflict_declared_after_scoring_excludes_the_score() -> None:
    scores = np.array([[[4.0], [2.0]]])
    data = ScoreData(scores=scores, conflicted=[[False, True]], assigned=[[True, True]])
    assert np.isnan(data.masked_scores()[0, 1, 0])
    assert np.isnan(weighted_totals(data, [1])[0, 1])
    assert data.scores[0, 1, 0] == 2.0  # kept in the data, never counted


def test_a_score_without_an_assignment_is_an_error() -> None:
    scores = np.full((1, 2, 1), NaN)
    scores[0, 1, 0] = 3
    with pytest.raises(VotingError, match="assigned"):
        ScoreData(scores=scores, conflicted=[[False, False]], assigned=[[True, False]])


def test_constructor_checks_shapes_and_scales() -> None:
    with pytest.raises(VotingError, match="3-D"):
        ScoreData(scores=np.zeros((2, 2)), conflicted=np.zeros((2, 2), bool))
    with pytest.raises(VotingError, match="conflicted must have shape"):
        ScoreData(scores=np.zeros((2, 2, 1)), conflicted=np.zeros((2, 3), bool))
    with pytest.raises(VotingError, match=r"\[1, 4\]"):
        make_data(scale=(1, 4))
    with pytest.raises(VotingError, match="one \\(low, high\\) per criterion"):
        make_data(scale=[(1, 5)])
    with pytest.raises(VotingError, match="finite"):
        ScoreData(scores=np.full((1, 1, 1), np.inf), conflicted=[[False]])


def test_per_criterion_scales() -> None:
    data = make_data(scale=[(1, 5), (0, 5)])
    assert data.scales == ((1.0, 5.0), (0.0, 5.0))
    with pytest.raises(VotingError, match="criterion 1"):
        make_data(scale=[(1, 5), (3, 5)])


def test_score_data_is_immutable() -> None:
    data = make_data()
    with pytest.raises(ValueError):
        data.scores[0, 0, 0] = 1.0
    with pytest.raises(AttributeError):
        data.scores = np.zeros((2, 3, 2))  # type: ignore[misc]


def test_from_records_builds_labels_masks_and_dont_knows() -> None:
    data = ScoreData.from_records(
        [
            ("Panel member 1", "A-001", "c1", 4),
            ("Panel member 1", "A-001", "c2", None),
            ("Panel member 2", "A-002", "c1", 2),
            ("Panel member 2", "A-002", "c2", 3),
        ],
        conflicts=[("Panel member 2", "A-001")],
        scale=(1, 5),
    )
    assert data.reviewers == ("Panel member 1", "Panel member 2")
    assert data.applications == ("A-001", "A-002")
    assert data.criteria == ("c1", "c2")
    assert data.conflicted.tolist() == [[False, False], [True, False]]
    assert data.assigned.tolist() == [[True, False], [False, True]]  # type: ignore[union-attr]
    assert data.dont_know[0, 0].tolist() == [False, True]


def test_from_records_rejects_duplicates_and_unknown_labels() -> None:
    with pytest.raises(VotingError, match="two records"):
        ScoreData.from_records([("m", "a", "c", 1), ("m", "a", "c", 2)])
    with pytest.raises(VotingError, match="unknown criterion"):
        ScoreData.from_records([("m", "a", "c9", 1)], criteria=["c1"])


# --- weighted totals ------------------------------------------------------------------
def test_rescaled_total_puts_a_partial_sheet_back_on_the_full_weight_scale() -> None:
    data = make_data()
    totals = weighted_totals(data, [2, 1])
    assert totals[0, 0] == 2 * 4 + 1 * 2
    # only criterion 1 scored (5, weight 2): 10 * (3 / 2) = 15, never 10 + 0
    assert totals[0, 1] == 15.0
    assert totals[1, 2] == 2 * 1 + 5
    assert np.isnan(totals[0, 2]) and np.isnan(totals[1, 1])


def test_require_all_gives_no_total_for_a_partial_sheet() -> None:
    totals = weighted_totals(make_data(), [2, 1], missing="require-all")
    assert totals[0, 0] == 10.0
    assert np.isnan(totals[0, 1])


def test_a_sheet_of_only_dont_knows_has_no_total() -> None:
    scores = np.full((1, 1, 2), NaN)
    data = ScoreData(scores=scores, conflicted=[[False]], assigned=[[True]])
    assert np.isnan(weighted_totals(data, [1, 1])[0, 0])


def test_weighted_totals_accepts_a_plain_array_and_checks_weights() -> None:
    arr = np.array([[[1.0, NaN]]])
    assert weighted_totals(arr, [1, 3])[0, 0] == 4.0
    with pytest.raises(VotingError, match="greater than 0"):
        weighted_totals(arr, [1, 0])
    with pytest.raises(VotingError, match="one entry per criterion"):
        weighted_totals(arr, [1])
    with pytest.raises(VotingError, match="missing must be"):
        weighted_totals(arr, [1, 1], missing="zero")  # type: ignore[arg-type]


# --- aggregate ------------------------------------------------------------------------
def test_aggregate_statistics_ignore_missing_totals() -> None:
    totals = np.array([[1.0, 2.0, NaN], [2.0, NaN, NaN], [3.0, 4.0, NaN], [10.0, NaN, NaN]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "mean of empty slice" for the empty column
        mean = aggregate(totals, "mean")
    assert mean.values[0] == 4.0 and mean.values[1] == 3.0
    assert math.isnan(mean.values[2])
    assert mean.counts.tolist() == [4, 2, 0]
    assert aggregate(totals, "median").values[0] == 2.5


def test_trimmed_mean_drops_whole_totals_from_each_end() -> None:
    column = np.array([[x] for x in [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 100]])
    # trim 0.1 of 10 totals: floor(1.0) = 1 from each end -> mean of 2..9
    assert aggregate(column, "trimmed-mean", trim=0.1).values[0] == 5.5
    # trim 0.15 of 10: floor(1.5) = 1 from each end, same result
    assert aggregate(column, "trimmed-mean", trim=0.15).values[0] == 5.5
    assert aggregate(column, "trimmed-mean", trim=0.2).values[0] == 5.5  # 3..8
    with pytest.raises(VotingError, match="trim"):
        aggregate(column, "trimmed-mean", trim=0.5)
    with pytest.raises(VotingError, match="statistic"):
        aggregate(column, "mode")  # type: ignore[arg-type]


# --- majority judgment ----------------------------------------------------------------
def test_majority_grade_is_the_lower_median() -> None:
    result = majority_judgment([[1, 4], [2, 4], [3, 1], [4, 1]])
    # grades 1,2,3,4 -> lower median 2; grades 1,1,4,4 -> lower median 1
    assert result.majority_grades == (2.0, 1.0)
    assert result.order == (0, 1)


def test_tie_on_majority_grade_is_broken_by_removing_medians() -> None:
    # Balinski & Laraki (2011): both candidates have majority grade 2; removing one median
    # grade at a time, A's sequence is (2, 2, 3, 1, 4) and B's (2, 2, 2, 2, 2): A wins at
    # the third grade.
    a = [1, 2, 2, 3, 4]
    b = [2, 2, 2, 2, 2]
    result = majority_judgment(np.array([b, a]).T)
    assert result.majority_values == ((2.0, 2.0, 2.0, 2.0, 2.0), (2.0, 2.0, 3.0, 1.0, 4.0))
    assert result.order == (1, 0)
    # the majority gauge: A has 2/5 above its grade and 1/5 below, B none either way
    assert result.gauges[1] == (0.4, 2.0, 0.2)
    assert result.gauges[0] == (0.0, 2.0, 0.0)
    assert result.ties == ()


def test_identical_grade_profiles_are_reported_as_ties_not_guessed() -> None:
    result = majority_judgment([[3, 1, 3], [2, 2, 2], [1, 2, 1]])
    assert result.ties == ((0, 2),)
    assert result.order == (0, 2, 1)
    assert "Not separated" in result.explanation
    assert result.winners == result.order


def test_majority_judgment_skips_missing_grades_and_orders_ungraded_last() -> None:
    result = majority_judgment([[NaN, 2, NaN], [3, 2, NaN], [3, 1, NaN]])
    assert result.order == (0, 1, 2)
    assert result.majority_grades == (3.0, 2.0, None)
    assert "no grades" in result.explanation
