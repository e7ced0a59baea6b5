"""Agreement measures, each checked against a published worked example."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voting.agreement import (
    IPRAS_CORRECTION_FACTOR,
    IPRAS_SYMMETRIC_IPR,
    ipras,
    kendalls_w,
    krippendorff_alpha,
    spread,
)
from voting.errors import VotingError

NaN = float("nan")

# Krippendorff K. (2011) "Computing Krippendorff's Alpha-Reliability", section C: four
# observers, twelve units, missing data.  Unit 12 has a single value and is unpairable.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NaN, NaN, NaN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NaN, 3],
    [NaN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NaN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NaN],
]


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_alpha_matches_the_papers_worked_example(level: str, published: float) -> None:
    result = krippendorff_alpha(KRIPPENDORFF_2011, level)  # type: ignore[arg-type]
    assert result.alpha == pytest.approx(published, abs=5e-4)
    assert result.n_pairable == 40  # the paper's n: unit 12 is not pairable
    assert result.level == level


def test_krippendorff_alpha_matches_the_wikipedia_computational_example() -> None:
    # Wikipedia, "Krippendorff's alpha", section "A computational example": 3 coders,
    # 15 units, nominal alpha = 0.691.
    a = [NaN, NaN, NaN, NaN, NaN, 3, 4, 1, 2, 1, 1, 3, 3, NaN, 3]
    b = [1, NaN, 2, 1, 3, 3, 4, 3, NaN, NaN, NaN, NaN, NaN, NaN, NaN]
    c = [NaN, NaN, 2, 1, 3, 4, 4, NaN, 2, 1, 1, 3, 3, NaN, 4]
    assert krippendorff_alpha([a, b, c], "nominal").alpha == pytest.approx(0.691, abs=5e-4)


def test_krippendorff_coincidence_matrix_counts_each_pairable_value_once() -> None:
    result = krippendorff_alpha(KRIPPENDORFF_2011, "nominal")
    assert result.coincidences.sum() == pytest.approx(40)
    assert np.allclose(result.coincidences, result.coincidences.T)
    assert result.values.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_perfect_agreement_gives_alpha_one_and_a_single_value_leaves_it_undefined() -> None:
    assert krippendorff_alpha([[1, 2, 3], [1, 2, 3]], "interval").alpha == pytest.approx(1.0)
    result = krippendorff_alpha([[2, 2], [2, 2]], "nominal")
    assert math.isnan(result.alpha)
    assert "undefined" in result.explanation


def test_krippendorff_alpha_rejects_unusable_input() -> None:
    with pytest.raises(VotingError, match="at least one unit"):
        krippendorff_alpha([[1, NaN], [NaN, 2]], "nominal")
    with pytest.raises(VotingError, match="level"):
        krippendorff_alpha(KRIPPENDORFF_2011, "cardinal")  # type: ignore[arg-type]
    with pytest.raises(VotingError, match="ratio"):
        krippendorff_alpha([[-1, 2], [1, 2]], "ratio")


# --- IPRAS -----------------------------------------------------------------------------
def test_ipras_constants_are_the_rand_ucla_manuals() -> None:
    # Fitch et al. (2001) The RAND/UCLA Appropriateness Method User's Manual, ch. 8.
    assert IPRAS_SYMMETRIC_IPR == 2.35
    assert IPRAS_CORRECTION_FACTOR == 1.5


def test_ipras_reproduces_the_published_worked_example() -> None:
    # BMJ Open 2012;2(5):e001431 (doi:10.1136/bmjopen-2012-001431), Table 1: fifteen
    # panellists on a 1-9 scale, one rating each below 7, five at 7, five at 8, two at 9.
    # Published: P30 = 7.0, P70 = 8.0, IPR = 1.0, IPRCP = 7.5, AI = 2.5, IPRAS = 6.1,
    # no disagreement.
    ratings = [4, 5, 6, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 9, 9]
    result = ipras(ratings)
    assert result.p30[0] == 7.0
    assert result.p70[0] == 8.0
    assert result.ipr[0] == 1.0
    assert result.iprcp[0] == 7.5
    assert result.ai[0] == 2.5
    assert result.ipras[0] == pytest.approx(6.1)
    assert not result.disagreement[0]


def test_ipras_flags_a_panel_split_between_the_ends_of_the_scale() -> None:
    result = ipras([[1], [1], [1], [1], [9], [9], [9], [9]])
    assert result.ipr[0] == 8.0
    assert result.ai[0] == 0.0
    assert result.ipras[0] == pytest.approx(2.35)
    assert result.disagreement[0]


def test_ipras_maps_other_scales_linearly_onto_one_to_nine() -> None:
    on_five = ipras([[1, 3], [1, 3], [5, 3], [5, 3]], scale=(1, 5))
    on_nine = ipras([[1, 5], [1, 5], [9, 5], [9, 5]])
    for field in ("p30", "p70", "ipr", "ipras", "disagreement"):
        assert np.array_equal(getattr(on_five, field), getattr(on_nine, field))
    assert "mapped linearly" in on_five.explanation
    with pytest.raises(VotingError, match="within the scale"):
        ipras([[0], [3]], scale=(1, 5))


def test_ipras_needs_two_ratings_to_judge() -> None:
    result = ipras([[7, 1], [NaN, 9]])
    assert math.isnan(result.ipr[0])
    assert not result.disagreement[0]
    assert result.n.tolist() == [1, 2]


# --- spread ----------------------------------------------------------------------------
def test_spread_reports_sample_sd_iqr_range_and_count() -> None:
    result = spread([[1.0, 4.0], [2.0, NaN], [3.0, NaN], [10.0, 6.0]])
    # column 0: 1, 2, 3, 10 -> sample sd, type-7 quartiles 1.75 and 4.75
    assert result.sd[0] == pytest.approx(np.std([1, 2, 3, 10], ddof=1))
    assert result.iqr[0] == pytest.approx(3.0)
    assert result.range[0] == 9.0
    assert result.n.tolist() == [4, 2]
    assert result.sd[1] == pytest.approx(math.sqrt(2))


def test_one_score_shows_no_spread_rather_than_perfect_agreement() -> None:
    result = spread([[5.0], [NaN]])
    assert math.isnan(result.sd[0]) and math.isnan(result.iqr[0]) and math.isnan(result.range[0])
    assert result.n[0] == 1


def test_spread_results_are_read_only() -> None:
    result = spread([[1.0], [2.0]])
    with pytest.raises(ValueError):
        result.sd[0] = 0.0


# --- Kendall's W -----------------------------------------------------------------------
def test_kendalls_w_hand_computed_example() -> None:
    # Four judges rank five projects (judges are rows).  Rank sums 9, 7, 8, 18, 18,
    # mean 12, S = 122, W = 12 * 122 / (4^2 * (5^3 - 5)) = 0.7625 (Kendall & Babington
    # Smith 1939 definition; no ties).
    ranks = [
        [1, 3, 2, 5, 4],
        [2, 1, 3, 4, 5],
        [3, 1, 2, 5, 4],
        [3, 2, 1, 4, 5],
    ]
    result = kendalls_w(ranks)
    assert result.s == 122
    assert result.w == pytest.approx(0.7625)
    assert result.chi_square == pytest.approx(4 * 4 * 0.7625)
    assert result.tie_correction == 0


def test_kendalls_w_corrects_for_ties_like_the_friedman_statistic() -> None:
    stats = pytest.importorskip("scipy.stats")
    scores = np.array(
        [[1, 2, 3, 4, 5], [2, 1, 3, 5, 4], [1, 1, 3, 4, 5], [2, 2, 2, 4, 5]], dtype=float
    )
    result = kendalls_w(scores)
    # tie groups: rater 3 has one pair (2^3 - 2 = 6), rater 4 one triple (3^3 - 3 = 24)
    assert result.tie_correction == 30
    friedman = stats.friedmanchisquare(*scores.T).statistic
    assert result.chi_square == pytest.approx(friedman)


def test_kendalls_w_is_one_for_identical_rankings_and_rejects_gaps() -> None:
    assert kendalls_w([[3, 1, 2], [3, 1, 2], [3, 1, 2]]).w == pytest.approx(1.0)
    with pytest.raises(VotingError, match="complete ranking"):
        kendalls_w([[1, 2, NaN], [1, 2, 3]])
    with pytest.raises(VotingError, match="two raters"):
        kendalls_w([[1, 2, 3]])


def test_alpha_and_w_results_are_usable_as_plain_numbers() -> None:
    import voting

    data = np.array([[1, 2, 3, 3], [1, 2, 3, 4], [2, 2, 3, 4]], dtype=float)
    alpha = voting.krippendorff_alpha(data, level="interval")
    assert isinstance(alpha, float)
    assert float(alpha) == alpha.alpha
    w = voting.kendalls_w(np.array([[1, 2, 3], [1, 2, 3]]))
    assert float(w) == w.w == 1.0
