"""Bootstrap intervals and the SNSF Bayesian ranking: reproducible, honest, quick."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voting.draws import generator
from voting.errors import VotingError
from voting.uncertainty import BAYES_PRIORS, bayesian_ranking, bootstrap_intervals

NaN = float("nan")
SEED = "ab" * 32


def planted_totals(seed: int, qualities: list[float], n_reviewers: int, noise: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    q = np.asarray(qualities)
    return q[None, :] + rng.normal(0, noise, (n_reviewers, q.size))


# --- bootstrap --------------------------------------------------------------------------
def test_bootstrap_is_reproducible_from_the_generator() -> None:
    totals = planted_totals(1, [3.0, 5.0, 7.0], 8, 1.0)
    first = bootstrap_intervals(totals, rng=generator(SEED, "bootstrap"), n_resamples=500)
    again = bootstrap_intervals(totals, rng=generator(SEED, "bootstrap"), n_resamples=500)
    other = bootstrap_intervals(totals, rng=np.random.default_rng(99), n_resamples=500)
    assert np.array_equal(first.lower, again.lower) and np.array_equal(first.upper, again.upper)
    assert not np.array_equal(first.lower, other.lower)
    # the recorded starting state re-creates the same draws
    replay = np.random.Generator(np.random.PCG64())
    replay.bit_generator.state = dict(first.rng_state)
    assert np.array_equal(
        bootstrap_intervals(totals, rng=replay, n_resamples=500).upper, first.upper
    )


def test_bootstrap_interval_contains_the_planted_mean_in_most_panels() -> None:
    # 200 panels of 25 reviewers scoring one application of true mean 5: a 90% percentile
    # interval should contain 5 in roughly 90% of them (a little less for small samples).
    data_rng = np.random.default_rng(7)
    rng = np.random.default_rng(3)
    hits = 0
    for _ in range(200):
        totals = 5.0 + data_rng.normal(0, 1.0, (25, 1))
        result = bootstrap_intervals(totals, rng=rng, level=0.9, n_resamples=400)
        hits += bool(result.lower[0] < 5.0 < result.upper[0])
        assert result.estimate[0] == pytest.approx(totals.mean())
    assert 0.8 <= hits / 200 <= 0.97


def test_bootstrap_median_and_trimmed_mean_bracket_their_estimates() -> None:
    totals = planted_totals(5, [4.0, 6.0], 12, 1.0)
    for statistic in ("median", "trimmed-mean"):
        result = bootstrap_intervals(
            totals,
            statistic=statistic,
            rng=np.random.default_rng(0),
            n_resamples=400,  # type: ignore[arg-type]
        )
        assert (result.lower <= result.estimate).all() and (result.estimate <= result.upper).all()


def test_bootstrap_leaves_an_application_with_one_total_without_interval() -> None:
    totals = np.array([[1.0, 4.0, NaN], [2.0, NaN, NaN], [3.0, NaN, NaN]])
    result = bootstrap_intervals(totals, rng=np.random.default_rng(0), n_resamples=200)
    assert not math.isnan(result.lower[0])
    assert math.isnan(result.lower[1]) and result.estimate[1] == 4.0
    assert math.isnan(result.estimate[2]) and result.n[2] == 0


def test_bootstrap_needs_an_explicit_generator_and_sane_arguments() -> None:
    totals = np.ones((3, 2))
    with pytest.raises(VotingError, match="Generator"):
        bootstrap_intervals(totals, rng=42)  # type: ignore[arg-type]
    with pytest.raises(VotingError, match="level"):
        bootstrap_intervals(totals, rng=np.random.default_rng(0), level=1.0)
    with pytest.raises(VotingError, match="n_resamples"):
        bootstrap_intervals(totals, rng=np.random.default_rng(0), n_resamples=0)


# --- Bayesian ranking -------------------------------------------------------------------
def test_bayesian_ranking_is_reproducible_from_the_seed() -> None:
    totals = planted_totals(2, [3.0, 4.0, 5.0, 6.0], 5, 1.0)
    a = bayesian_ranking(totals, rng=generator(SEED, "ranking"), n_draws=400, burn_in=100)
    b = bayesian_ranking(totals, rng=generator(SEED, "ranking"), n_draws=400, burn_in=100)
    assert np.array_equal(a.expected_rank, b.expected_rank)
    assert np.array_equal(a.rank_draws, b.rank_draws)
    assert a.priors == dict(BAYES_PRIORS)


def test_expected_ranks_recover_a_well_separated_order() -> None:
    truth = [1.0, 9.0, 5.0, 3.0, 7.0]
    totals = planted_totals(4, truth, 6, 0.5)
    result = bayesian_ranking(
        totals, rng=np.random.default_rng(1), n_draws=600, burn_in=200, level=0.95
    )
    assert result.order == (1, 4, 2, 3, 0)
    true_rank = np.array([5, 1, 3, 4, 2])
    assert ((result.rank_lower <= true_rank) & (true_rank <= result.rank_upper)).all()
    assert result.expected_rank.sum() == pytest.approx(15.0)  # ranks 1..5 in every draw
    assert np.allclose(result.quality, truth, atol=1.0)


def test_reviewer_effects_are_taken_out_of_the_ranking() -> None:
    # Application 0 is truly best (quality 6) but only seen by a harsh reviewer (-3);
    # application 1 (quality 5) only by a generous one (+3).  Both harsh and generous
    # reviewers also score applications 2 and 3, which reveals their leniency.
    quality = np.array([6.0, 5.0, 2.0, 1.0])
    leniency = np.array([-3.0, 3.0, 0.0, 0.0])
    totals = quality[None, :] + leniency[:, None]
    totals[0, 1] = totals[1, 0] = NaN
    totals += np.random.default_rng(0).normal(0, 0.1, totals.shape)
    result = bayesian_ranking(totals, rng=np.random.default_rng(2), n_draws=800, burn_in=300)
    assert result.expected_rank[0] < result.expected_rank[1]


def test_partial_lottery_groups_around_the_funding_line() -> None:
    # Three clearly strong, three indistinguishable in the middle (identical scores from
    # every reviewer), three clearly weak; four places.  The three strong are funded; the
    # middle three share the one remaining place by lot.
    truth = [10.0, 9.0, 8.0, 5.0, 5.0, 5.0, 2.0, 1.0, 0.0]
    totals = planted_totals(11, truth, 8, 0.3)
    totals[:, 4] = totals[:, 3]
    totals[:, 5] = totals[:, 3]
    result = bayesian_ranking(
        totals, rng=generator(SEED, "ranking"), n_draws=1000, burn_in=300, funding_line=4
    )
    assert set(result.funded) == {0, 1, 2}
    assert set(result.lottery) == {3, 4, 5}
    assert set(result.not_funded) == {6, 7, 8}
    assert result.lottery_places == 1
    assert result.k == 4
    assert result.funding_line is not None
    assert 4.0 < result.funding_line < 6.0
    for i in result.lottery:
        assert result.rank_lower[i] <= result.funding_line <= result.rank_upper[i]
    assert "lottery for the remaining 1 place" in result.explanation


def test_clear_cut_panels_need_no_lottery() -> None:
    totals = planted_totals(12, [9.0, 6.0, 3.0, 0.0], 6, 0.2)
    result = bayesian_ranking(
        totals, rng=np.random.default_rng(5), n_draws=500, burn_in=100, funding_line=2
    )
    assert result.funded == (0, 1)
    assert result.lottery == () and result.lottery_places == 0
    assert result.not_funded == (2, 3)
    assert "no lottery is needed" in result.explanation


def test_bayesian_ranking_rejects_what_it_cannot_rank() -> None:
    totals = planted_totals(0, [1.0, 2.0, 3.0], 3, 1.0)
    rng = np.random.default_rng(0)
    with pytest.raises(VotingError, match="Generator"):
        bayesian_ranking(totals, rng=None)  # type: ignore[arg-type]
    with pytest.raises(VotingError, match="funding_line"):
        bayesian_ranking(totals, rng=rng, funding_line=3)
    with_gap = totals.copy()
    with_gap[:, 1] = NaN
    with pytest.raises(VotingError, match="at least one total"):
        bayesian_ranking(with_gap, rng=rng)
