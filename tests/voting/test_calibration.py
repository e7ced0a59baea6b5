"""Reviewer calibration: z-scores and the additive quality + leniency model."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.calibration import additive_model, connected_components, zscore_normalise
from voting.errors import VotingError

NaN = float("nan")


# --- z-scores ---------------------------------------------------------------------------
def test_each_reviewer_gets_mean_zero_and_sample_sd_one() -> None:
    totals = np.array([[10.0, 20.0, 30.0, NaN], [1.0, NaN, 2.0, 6.0]])
    result = zscore_normalise(totals)
    for r in range(2):
        row = result.values[r][~np.isnan(result.values[r])]
        assert row.mean() == pytest.approx(0.0, abs=1e-12)
        assert row.std(ddof=1) == pytest.approx(1.0)
    assert result.values[0].tolist()[:3] == [-1.0, 0.0, 1.0]
    assert np.isnan(result.values[0, 3])  # missing stays missing
    assert result.status == ("normalised", "normalised")
    assert result.sds[0] == pytest.approx(10.0)


def test_reviewers_who_cannot_be_rescaled_are_centred_by_default_and_reported() -> None:
    totals = np.array([[5.0, NaN, NaN], [4.0, 4.0, 4.0], [NaN, NaN, NaN], [1.0, 2.0, 3.0]])
    result = zscore_normalise(totals)
    assert result.status == ("too-few-scores", "zero-spread", "no-scores", "normalised")
    assert result.values[0, 0] == 0.0
    assert result.values[1].tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(result.values[2]).all()
    assert "set to 0" in result.explanation


def test_reviewers_who_cannot_be_rescaled_can_be_excluded_instead() -> None:
    totals = np.array([[5.0, NaN], [4.0, 4.0], [1.0, 2.0]])
    result = zscore_normalise(totals, degenerate="exclude")
    assert np.isnan(result.values[:2]).all()
    assert "left out" in result.explanation
    with pytest.raises(VotingError, match="degenerate"):
        zscore_normalise(totals, degenerate="drop")  # type: ignore[arg-type]


# --- additive model ---------------------------------------------------------------------
def test_noiseless_connected_design_is_recovered_exactly() -> None:
    quality = np.array([5.0, 3.0, 8.0, 6.0])
    leniency = np.array([1.0, -0.5, -0.5])
    totals = quality[None, :] + leniency[:, None]
    totals[0, 3] = totals[1, 0] = totals[2, 2] = NaN
    fit = additive_model(totals)
    assert fit.connected
    assert fit.warning is None
    assert np.allclose(fit.leniencies, leniency)
    assert np.allclose(fit.qualities, quality)
    assert fit.leniencies.sum() == pytest.approx(0.0, abs=1e-12)
    assert fit.residual_sd == pytest.approx(0.0, abs=1e-9)
    assert fit.dof == 9 - (4 + 3 - 1)


def test_a_lenient_reviewer_no_longer_decides_the_order() -> None:
    # Reviewer 0 scored only application 0, and generously (9 where reviewer 1 gave 6);
    # raw means put application 0 first (7.5 vs 7.0), the model puts application 1 first.
    totals = np.array([[9.0, NaN, NaN], [6.0, 7.0, 5.0], [NaN, 7.0, 5.0]])
    fit = additive_model(totals)
    assert fit.qualities[1] > fit.qualities[0]


@settings(max_examples=30, deadline=None)
@given(
    n_reviewers=st.integers(min_value=3, max_value=6),
    n_applications=st.integers(min_value=4, max_value=8),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_fitted_leniencies_recover_planted_ones(
    n_reviewers: int, n_applications: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    quality = rng.uniform(1, 9, n_applications)
    leniency = rng.normal(0, 1.5, n_reviewers)
    totals = (
        quality[None, :] + leniency[:, None] + rng.normal(0, 0.01, (n_reviewers, n_applications))
    )
    # drop about a third of the cells, keeping a connected design: every reviewer scores
    # application 0, and every application keeps at least one reviewer
    drop = rng.random((n_reviewers, n_applications)) < 0.35
    drop[:, 0] = False
    for a in range(n_applications):
        drop[a % n_reviewers, a] = False
    totals[drop] = NaN
    fit = additive_model(totals)
    assert fit.connected
    planted = leniency - leniency.mean()  # identifiable only up to the sum-to-zero constraint
    assert np.allclose(fit.leniencies, planted, atol=0.1)
    assert np.allclose(fit.qualities, quality + leniency.mean(), atol=0.1)


def test_disconnected_design_is_reported_and_fitted_per_group() -> None:
    totals = np.full((4, 4), NaN)
    totals[0, :2] = [5, 6]
    totals[1, :2] = [6, 7]
    totals[2:, 2:] = [[2, 3], [4, 5]]
    fit = additive_model(totals)
    assert not fit.connected
    assert len(fit.components) == 2
    assert fit.components[0].reviewers == (0, 1)
    assert fit.components[1].applications == (2, 3)
    assert fit.component_of_application.tolist() == [0, 0, 1, 1]
    assert fit.warning is not None and "not comparable" in fit.warning
    assert "not comparable" in fit.explanation
    # each group has its own sum-to-zero constraint
    assert fit.leniencies[:2].sum() == pytest.approx(0.0, abs=1e-12)
    assert fit.leniencies[2:].sum() == pytest.approx(0.0, abs=1e-12)


def test_strict_mode_refuses_a_disconnected_design() -> None:
    totals = np.array([[1.0, NaN], [NaN, 2.0]])
    with pytest.raises(VotingError, match="not connected"):
        additive_model(totals, strict=True)


def test_unscored_applications_and_idle_reviewers_are_left_blank() -> None:
    totals = np.array([[5.0, 6.0, NaN], [6.0, 8.0, NaN], [NaN, NaN, NaN]])
    fit = additive_model(totals)
    assert fit.connected
    assert math.isnan(fit.qualities[2]) and math.isnan(fit.leniencies[2])
    assert fit.component_of_application.tolist() == [0, 0, -1]


def test_connected_components_of_the_bipartite_graph() -> None:
    observed = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]], dtype=bool)
    comps = connected_components(observed)
    assert [(c.reviewers, c.applications) for c in comps] == [((0, 1), (0, 1)), ((2,), (3,))]


def test_additive_model_needs_data() -> None:
    with pytest.raises(VotingError, match="at least one observed"):
        additive_model(np.full((2, 2), NaN))
    with pytest.raises(VotingError, match="2-D"):
        additive_model([1.0, 2.0])
