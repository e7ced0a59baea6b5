"""Uncertainty: bootstrap intervals per application and the SNSF Bayesian ranking.

Public API
----------
:func:`bootstrap_intervals`
    Percentile bootstrap interval for each application's aggregate, resampling its
    reviewers.
:func:`bayesian_ranking`
    Expected ranks from the hierarchical model ``score = quality + reviewer effect + noise``
    (Heyard, Ott, Salanti & Egger 2022) and the partial-lottery groups at a funding line.

Both take ``totals``: float array, shape (n_reviewers, n_applications), ``NaN`` where there
is no total, and an explicit :class:`numpy.random.Generator` (for a published-seed round,
``voting.draws.generator(seed, purpose)``).  No global random state is used; the
generator's starting state is recorded in the result.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from voting._arrays import FloatArray, as_totals, readonly
from voting.errors import VotingError
from voting.scores import STATISTICS

__all__ = [
    "BAYES_PRIORS",
    "BayesianRanking",
    "BootstrapResult",
    "bayesian_ranking",
    "bootstrap_intervals",
]




def _check_rng(rng: object) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise VotingError(
            "rng must be a numpy.random.Generator (e.g. voting.draws.generator(seed, purpose)); "
            "the library never uses global random state"
        )
    return rng



def _check_level(level: float) -> None:
    if not (0.0 < level < 1.0):
        raise VotingError(f"level must be strictly between 0 and 1; got {level}")


# ---------------------------------------------------------------------------------------
# Bootstrap
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """Outcome of :func:`bootstrap_intervals`; arrays of shape (n_applications,).

    estimate: the statistic on the observed totals.
    lower, upper: percentile interval bounds (``NaN`` when ``n < 2``).
    n:        totals per application.
    """

    estimate: FloatArray
    lower: FloatArray
    upper: FloatArray
    n: NDArray[np.int64]
    statistic: str
    level: float
    n_resamples: int
    rng_state: Mapping[str, Any]
    explanation: str


def _row_statistic(x: FloatArray, statistic: str, trim: float) -> FloatArray:
    """The statistic along the last axis of ``x`` (shape (..., n))."""
    if statistic == "mean":
        return np.asarray(x.mean(axis=-1), dtype=np.float64)
    if statistic == "median":
        return np.asarray(np.median(x, axis=-1), dtype=np.float64)
    n = x.shape[-1]
    k = int(math.floor(trim * n))
    xs = np.sort(x, axis=-1)[..., k : n - k]
    return np.asarray(xs.mean(axis=-1), dtype=np.float64)


def bootstrap_intervals(
    totals: ArrayLike,
    *,
    statistic: Literal["mean", "median", "trimmed-mean"] = "mean",
    trim: float = 0.1,
    n_resamples: int = 2000,
    level: float = 0.95,
    rng: np.random.Generator,
) -> BootstrapResult:
    """Percentile bootstrap interval for each application's aggregate.

    Rule (Efron & Tibshirani 1993, *An Introduction to the Bootstrap*, ch. 13): for an
    application with ``n >= 2`` totals, draw ``n_resamples`` samples of size ``n`` with
    replacement from its totals (that is, resample its reviewers), compute ``statistic`` on
    each (same definitions as :func:`voting.scores.aggregate`), and report the
    ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of those values (numpy's
    ``"linear"`` quantile method).  Applications are resampled one after another, in index
    order, from ``rng``, so a given generator state always gives the same intervals.

    With fewer than two totals there is nothing to resample: the interval is ``NaN``.
    Small panels give intervals that are too narrow (the percentile bootstrap needs more
    than a handful of values); treat them as a rough guide.
    """
    _check_rng(rng)
    t = as_totals(totals)
    if statistic not in STATISTICS:
        raise VotingError(f"statistic must be one of {STATISTICS}; got {statistic!r}")
    if not (0.0 <= trim < 0.5):
        raise VotingError(f"trim must be at least 0 and less than 0.5; got {trim}")
    if not isinstance(n_resamples, int) or n_resamples < 1:
        raise VotingError("n_resamples must be a positive whole number")
    _check_level(level)
    state = copy.deepcopy(rng.bit_generator.state)
    n_a = t.shape[1]
    est = np.full(n_a, np.nan)
    lower = np.full(n_a, np.nan)
    upper = np.full(n_a, np.nan)
    counts = np.zeros(n_a, dtype=np.int64)
    alpha = (1.0 - level) / 2.0
    for a in range(n_a):
        x = t[:, a][~np.isnan(t[:, a])]
        counts[a] = x.size
        if x.size == 0:
            continue
        est[a] = float(_row_statistic(x[None, :], statistic, trim)[0])
        if x.size < 2:
            continue
        idx = rng.integers(0, x.size, size=(n_resamples, x.size))
        stats = _row_statistic(x[idx], statistic, trim)
        q = np.quantile(stats, [alpha, 1.0 - alpha])
        lower[a], upper[a] = float(q[0]), float(q[1])
    return BootstrapResult(
        estimate=readonly(est),
        lower=readonly(lower),
        upper=readonly(upper),
        n=readonly(counts),
        statistic=statistic,
        level=level,
        n_resamples=n_resamples,
        rng_state=state,
        explanation=(
            f"Each application's {statistic} was recomputed {n_resamples} times on its "
            "reviewers' totals drawn again at random with replacement; the interval holds the "
            f"middle {level:.0%} of those results. Applications with fewer than two totals "
            "have no interval."
        ),
    )


# ---------------------------------------------------------------------------------------
# Bayesian ranking (SNSF)
# ---------------------------------------------------------------------------------------
BAYES_PRIORS: Mapping[str, float] = {
    "mu_sd": 10.0,
    "variance_shape": 2.0,
    "variance_scale": 0.5,
}
"""Priors of :func:`bayesian_ranking`, on the standardised scale (totals centred on their
mean and divided by their sample sd): overall mean ``mu ~ Normal(0, 10^2)``; each of the
noise variance, the application-quality variance and the reviewer-effect variance
``~ InverseGamma(shape=2, scale=0.5)`` (prior mean 0.5, i.e. each source could explain
about half of the spread of scores)."""


@dataclass(frozen=True, eq=False)
class BayesianRanking:
    """Outcome of :func:`bayesian_ranking`; arrays of shape (n_applications,).

    expected_rank: posterior mean of each application's rank (1 = best).
    rank_lower, rank_upper: central credible interval of the rank at ``level``.
    quality:      posterior mean of ``mu + theta`` on the original scale of the totals.
    order:        applications by expected rank, best first (index order on exact ties).
    funding_line: the provisional funding line, the expected rank of the ``k``-th
                  application in ``order`` (``None`` without ``funding_line=k``).
    funded:       applications whose whole rank interval lies above the line
                  (``rank_upper < funding_line``).
    lottery:      applications whose rank interval contains the line.
    not_funded:   applications whose whole rank interval lies below the line.
    lottery_places: ``k - len(funded)``, places to be drawn among ``lottery``.
    """

    expected_rank: FloatArray
    rank_lower: FloatArray
    rank_upper: FloatArray
    quality: FloatArray
    order: tuple[int, ...]
    level: float
    k: int | None
    funding_line: float | None
    funded: tuple[int, ...]
    lottery: tuple[int, ...]
    not_funded: tuple[int, ...]
    lottery_places: int
    n_draws: int
    burn_in: int
    priors: Mapping[str, float]
    rng_state: Mapping[str, Any]
    explanation: str
    rank_draws: NDArray[np.int64] = field(
        repr=False, default_factory=lambda: np.zeros((0, 0), dtype=np.int64)
    )


def _inv_gamma(rng: np.random.Generator, shape: float, scale: float) -> float:
    """One draw from InverseGamma(shape, scale): 1 / Gamma(shape, rate=scale)."""
    return float(scale / rng.gamma(shape))


def bayesian_ranking(
    totals: ArrayLike,
    *,
    rng: np.random.Generator,
    n_draws: int = 2000,
    burn_in: int = 500,
    funding_line: int | None = None,
    level: float = 0.5,
) -> BayesianRanking:
    """Expected ranks and the partial-lottery groups of the SNSF Bayesian ranking.

    Source: Heyard R, Ott M, Salanti G, Egger M. Rethinking the funding line at the Swiss
    National Science Foundation: Bayesian ranking and lottery. *Statistics and Public
    Policy* 2022;9(1):110-121.  Their reference implementation is the R package
    ``ERforResearch`` (JAGS); this is a Gibbs sampler for the same mean structure.

    Model (totals standardised to mean 0 and sd 1 first; ranks do not depend on this)::

        y[r, a] = mu + theta[a] + lambda[r] + e[r, a],   e ~ Normal(0, sigma^2)
        theta[a] ~ Normal(0, tau_theta^2),   lambda[r] ~ Normal(0, tau_lambda^2)

    with the priors in :data:`BAYES_PRIORS`.  Every full conditional is conjugate (normal
    for ``mu``, ``theta``, ``lambda``; inverse-gamma for the three variances), updated in
    that order; the first ``burn_in`` sweeps are discarded and the next ``n_draws`` kept.

    Ranking: in each kept draw the applications are ranked by ``theta`` (1 = highest); an
    application's *expected rank* (ER) is the mean of its ranks and its credible interval
    the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of its ranks (numpy's
    ``"inverted_cdf"`` method, so the bounds are whole ranks).  ``level`` defaults to 0.5,
    the width the paper draws; a round may declare another.

    Partial lottery (``funding_line=k``, the number of applications the budget allows):
    order the applications by ER; the provisional funding line is the ER of the ``k``-th.
    Applications whose interval lies wholly above the line (``rank_upper < line``) are
    funded; those whose interval contains the line (``rank_lower <= line <= rank_upper``)
    form the lottery group, which shares the remaining ``k - len(funded)`` places; the rest
    are not funded.  If the group has no more members than places, all of them are funded
    and there is no lottery (``lottery_places = 0``).  This function only forms the groups:
    the draw is made with the round's published seed (e.g.
    :func:`voting.budget.partial_lottery`).

    Deviations from ERforResearch: no panel/section effect; reviewer effects are one
    random intercept per reviewer (not per reviewer-application pair); priors are
    conjugate inverse-gamma instead of uniform on the standard deviations.

    Parameters
    ----------
    totals : array_like, shape (n_reviewers, n_applications)
        ``NaN`` where missing.  Every application needs at least one total.
    rng : numpy.random.Generator
    n_draws, burn_in : int
        Kept and discarded Gibbs sweeps.
    funding_line : int, optional
        ``k``, with ``1 <= k < n_applications``.
    level : float
        Credible level of the rank intervals.
    """
    _check_rng(rng)
    t = as_totals(totals)
    _check_level(level)
    if not isinstance(n_draws, int) or n_draws < 10:
        raise VotingError("n_draws must be a whole number of at least 10")
    if not isinstance(burn_in, int) or burn_in < 0:
        raise VotingError("burn_in must be a whole number, 0 or more")
    n_r, n_a = t.shape
    observed = ~np.isnan(t)
    if n_a < 2:
        raise VotingError("ranking needs at least two applications")
    unscored = np.flatnonzero(~observed.any(axis=0))
    if unscored.size:
        raise VotingError(
            "every application needs at least one total to be ranked; none for application(s) "
            + ", ".join(str(int(a)) for a in unscored)
        )
    if funding_line is not None and not (isinstance(funding_line, int) and 1 <= funding_line < n_a):
        raise VotingError(
            f"funding_line must be a whole number from 1 to {n_a - 1} (applications fundable)"
        )
    state = copy.deepcopy(rng.bit_generator.state)

    rr, aa = np.nonzero(observed)
    y_raw = t[rr, aa]
    centre = float(y_raw.mean())
    scale = float(y_raw.std(ddof=1)) if y_raw.size > 1 else 0.0
    if not scale > 0:
        scale = 1.0
    y = (y_raw - centre) / scale
    n_obs = y.size
    n_per_app = np.bincount(aa, minlength=n_a).astype(np.float64)
    n_per_rev = np.bincount(rr, minlength=n_r).astype(np.float64)
    a0 = BAYES_PRIORS["variance_shape"]
    b0 = BAYES_PRIORS["variance_scale"]
    mu_prec0 = 1.0 / BAYES_PRIORS["mu_sd"] ** 2

    mu = 0.0
    theta = np.zeros(n_a)
    lam = np.zeros(n_r)
    sigma2 = tau_t2 = tau_l2 = 0.5
    kept_theta = np.empty((n_draws, n_a))
    for sweep in range(burn_in + n_draws):
        prec = n_obs / sigma2 + mu_prec0
        mean = (y - theta[aa] - lam[rr]).sum() / sigma2 / prec
        mu = mean + rng.standard_normal() / math.sqrt(prec)
        prec_a = n_per_app / sigma2 + 1.0 / tau_t2
        sum_a = np.bincount(aa, weights=y - mu - lam[rr], minlength=n_a)
        theta = sum_a / sigma2 / prec_a + rng.standard_normal(n_a) / np.sqrt(prec_a)
        prec_r = n_per_rev / sigma2 + 1.0 / tau_l2
        sum_r = np.bincount(rr, weights=y - mu - theta[aa], minlength=n_r)
        lam = sum_r / sigma2 / prec_r + rng.standard_normal(n_r) / np.sqrt(prec_r)
        resid = y - mu - theta[aa] - lam[rr]
        sigma2 = _inv_gamma(rng, a0 + n_obs / 2.0, b0 + float(resid @ resid) / 2.0)
        tau_t2 = _inv_gamma(rng, a0 + n_a / 2.0, b0 + float(theta @ theta) / 2.0)
        tau_l2 = _inv_gamma(rng, a0 + n_r / 2.0, b0 + float(lam @ lam) / 2.0)
        if sweep >= burn_in:
            kept_theta[sweep - burn_in] = mu + theta

    # rank 1 = highest theta; continuous draws, so ties have probability zero
    ranks = np.argsort(np.argsort(-kept_theta, axis=1, kind="stable"), axis=1) + 1
    er = ranks.mean(axis=0)
    alpha = (1.0 - level) / 2.0
    bounds = np.quantile(ranks, [alpha, 1.0 - alpha], axis=0, method="inverted_cdf")
    lo = np.asarray(bounds[0], dtype=np.float64)
    hi = np.asarray(bounds[1], dtype=np.float64)
    quality = kept_theta.mean(axis=0) * scale + centre
    order = tuple(int(i) for i in np.lexsort((np.arange(n_a), er)))

    funded: tuple[int, ...] = ()
    lottery: tuple[int, ...] = ()
    not_funded: tuple[int, ...] = ()
    line: float | None = None
    places = 0
    if funding_line is not None:
        line = float(er[order[funding_line - 1]])
        funded = tuple(i for i in order if hi[i] < line)
        lottery = tuple(i for i in order if lo[i] <= line <= hi[i])
        not_funded = tuple(i for i in order if lo[i] > line)
        places = funding_line - len(funded)
        if len(lottery) <= places:
            # nothing to draw: every member of the group fits within the places
            funded = tuple(i for i in order if i in funded or i in lottery)
            lottery = ()
            places = 0

    explanation = (
        "Scores were modelled as application quality plus a reviewer effect (how generous each "
        "reviewer is) plus noise (Heyard et al. 2022). From "
        f"{n_draws} simulated draws of that model each application's expected rank (1 is best) "
        f"and a {level:.0%} credible interval for its rank were computed."
    )
    if funding_line is not None:
        explanation += (
            f" With {funding_line} fundable, the provisional funding line sits at expected rank "
            f"{line:.2f}: {len(funded)} application(s) are clearly above it and funded"
        )
        if lottery:
            explanation += (
                f", {len(lottery)} have rank intervals that cross it and enter a lottery for "
                f"the remaining {places} place(s)"
            )
        else:
            explanation += ", no lottery is needed"
        explanation += f", and {len(not_funded)} are clearly below it."
    return BayesianRanking(
        expected_rank=readonly(er),
        rank_lower=readonly(lo),
        rank_upper=readonly(hi),
        quality=readonly(quality),
        order=order,
        level=level,
        k=funding_line,
        funding_line=line,
        funded=funded,
        lottery=lottery,
        not_funded=not_funded,
        lottery_places=places,
        n_draws=n_draws,
        burn_in=burn_in,
        priors=dict(BAYES_PRIORS),
        rng_state=state,
        explanation=explanation,
        rank_draws=readonly(ranks.astype(np.int64)),
    )
