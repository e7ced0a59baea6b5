"""Reviewer calibration: per-reviewer z-scores and the additive (quality + leniency) model.

Public API
----------
:func:`zscore_normalise`
    Each reviewer's totals rescaled to mean 0 and sample standard deviation 1.
:func:`additive_model`
    Least-squares fit ``score = application quality + reviewer leniency + noise`` on the
    observed cells, with the connected components of the reviewer-application graph.
:func:`connected_components`
    The components of the bipartite graph "reviewer r scored application a".

Both take ``totals``: float array, shape (n_reviewers, n_applications), ``NaN`` where a
reviewer gave no total (not assigned, conflicted, or no scored criterion).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from voting._arrays import FloatArray, as_totals, readonly
from voting.errors import VotingError

__all__ = [
    "AdditiveFit",
    "Component",
    "NormalisedScores",
    "additive_model",
    "connected_components",
    "zscore_normalise",
]





# ---------------------------------------------------------------------------------------
# z-scores
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class NormalisedScores:
    """Outcome of :func:`zscore_normalise`.

    values:  shape (n_reviewers, n_applications), normalised totals (``NaN`` where missing).
    means:   shape (n_reviewers,), each reviewer's mean total (``NaN`` with no totals).
    sds:     shape (n_reviewers,), each reviewer's sample sd (``NaN`` with fewer than 2).
    counts:  shape (n_reviewers,), totals per reviewer.
    status:  per reviewer ``"normalised"``, ``"no-scores"``, ``"too-few-scores"``
             (one total) or ``"zero-spread"`` (every total equal).
    degenerate: the declared handling of the last two (``"centre"`` or ``"exclude"``).
    explanation: plain-English account.
    """

    values: FloatArray
    means: FloatArray
    sds: FloatArray
    counts: NDArray[np.int64]
    status: tuple[str, ...]
    degenerate: str
    explanation: str


def zscore_normalise(
    totals: ArrayLike, *, degenerate: Literal["centre", "exclude"] = "centre"
) -> NormalisedScores:
    """Normalise each reviewer's totals to mean 0 and sample standard deviation 1.

    Rule: for reviewer ``r`` with totals ``x`` (the non-``NaN`` entries of row ``r``),
    ``z = (x - mean(x)) / sd(x)`` where ``sd`` is the sample standard deviation
    (divisor ``n - 1``), so each normalised reviewer has mean 0 and sample sd 1.

    A reviewer whose totals cannot be put on that scale is handled by ``degenerate``:

    * one total only (``"too-few-scores"``) or every total equal (``"zero-spread"``):
      with ``"centre"`` (default) their totals become 0, the reviewer's own mean, so they
      still count but say "this is typical for me"; with ``"exclude"`` they become
      ``NaN`` and no longer count.  Either way the status is reported.
    * no totals (``"no-scores"``): nothing to normalise.

    Normalising puts every reviewer on the same footing; it assumes each reviewer saw a
    comparable mix of applications (see :func:`additive_model` when they did not).

    >>> zscore_normalise([[1.0, 2.0, 3.0]]).values.tolist()
    [[-1.0, 0.0, 1.0]]
    """
    if degenerate not in ("centre", "exclude"):
        raise VotingError(f"degenerate must be 'centre' or 'exclude'; got {degenerate!r}")
    t = as_totals(totals)
    n_r = t.shape[0]
    values = np.full(t.shape, np.nan)
    means = np.full(n_r, np.nan)
    sds = np.full(n_r, np.nan)
    counts = np.zeros(n_r, dtype=np.int64)
    status: list[str] = []
    for r in range(n_r):
        row = t[r]
        seen = ~np.isnan(row)
        n = int(seen.sum())
        counts[r] = n
        if n == 0:
            status.append("no-scores")
            continue
        x = row[seen]
        means[r] = x.mean()
        if n >= 2:
            sds[r] = x.std(ddof=1)
        if n < 2 or sds[r] == 0:
            status.append("too-few-scores" if n < 2 else "zero-spread")
            values[r, seen] = 0.0 if degenerate == "centre" else np.nan
            continue
        status.append("normalised")
        values[r, seen] = (x - means[r]) / sds[r]
    odd = [f"{r} ({s})" for r, s in enumerate(status) if s in ("too-few-scores", "zero-spread")]
    explanation = (
        "Each reviewer's totals were rescaled so that reviewer's mean is 0 and their sample "
        "standard deviation is 1, so generous and strict reviewers count alike."
    )
    if odd:
        fate = "set to 0 (their own average)" if degenerate == "centre" else "left out"
        explanation += (
            f" Reviewers with one total or identical totals cannot be rescaled; their totals "
            f"were {fate}: " + ", ".join(odd) + "."
        )
    return NormalisedScores(
        values=readonly(values),
        means=readonly(means),
        sds=readonly(sds),
        counts=readonly(counts),
        status=tuple(status),
        degenerate=degenerate,
        explanation=explanation,
    )


# ---------------------------------------------------------------------------------------
# Connected components of the design
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Component:
    """One connected part of the reviewer-application graph (indices, ascending)."""

    reviewers: tuple[int, ...]
    applications: tuple[int, ...]


def connected_components(observed: ArrayLike) -> tuple[Component, ...]:
    """Connected components of the bipartite graph with an edge where ``observed[r, a]``.

    ``observed``: bool array, shape (n_reviewers, n_applications).  Reviewers and
    applications without any edge are left out.  Components are ordered by their smallest
    application index.
    """
    obs = np.asarray(observed, dtype=bool)
    if obs.ndim != 2:
        raise VotingError("observed must be a 2-D mask (reviewers x applications)")
    n_r, n_a = obs.shape
    parent = list(range(n_r + n_a))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r, a in np.argwhere(obs):
        pr, pa = find(int(r)), find(n_r + int(a))
        if pr != pa:
            parent[max(pr, pa)] = min(pr, pa)
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for r in range(n_r):
        if obs[r].any():
            groups.setdefault(find(r), ([], []))[0].append(r)
    for a in range(n_a):
        if obs[:, a].any():
            groups.setdefault(find(n_r + a), ([], []))[1].append(a)
    comps = [Component(tuple(rs), tuple(as_)) for rs, as_ in groups.values()]
    comps.sort(key=lambda c: c.applications[0])
    return tuple(comps)


# ---------------------------------------------------------------------------------------
# Additive model
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class AdditiveFit:
    """Outcome of :func:`additive_model`.

    qualities:   shape (n_applications,), fitted quality (``NaN`` where never scored).
    leniencies:  shape (n_reviewers,), fitted leniency, summing to 0 within each component
                 (``NaN`` for a reviewer with no totals).
    fitted:      shape (n_reviewers, n_applications), ``quality + leniency`` on observed cells.
    residuals:   shape (n_reviewers, n_applications), ``total - fitted`` (``NaN`` elsewhere).
    residual_sd: ``sqrt(RSS / dof)``, ``dof = n_observed - sum over components of
                 (n_applications + n_reviewers - 1)``; ``NaN`` when ``dof < 1``.
    dof:         residual degrees of freedom.
    connected:   True when every scored application and scoring reviewer lie in one component.
    components:  the components (see :func:`connected_components`).
    component_of_application: shape (n_applications,), component index (-1 if unscored).
    warning:     ``None``, or why qualities are not comparable across the whole round.
    explanation: plain-English account.
    """

    qualities: FloatArray
    leniencies: FloatArray
    fitted: FloatArray
    residuals: FloatArray
    residual_sd: float
    dof: int
    connected: bool
    components: tuple[Component, ...]
    component_of_application: NDArray[np.int64]
    warning: str | None
    explanation: str


def additive_model(totals: ArrayLike, *, strict: bool = False) -> AdditiveFit:
    """Fit ``total[r, a] = quality[a] + leniency[r] + noise`` by least squares.

    Parameters
    ----------
    totals : array_like, shape (n_reviewers, n_applications)
        ``NaN`` where reviewer ``r`` gave application ``a`` no total.
    strict : bool
        When the design is not connected: ``False`` (default) fits each component
        separately and reports it (``connected=False`` and a ``warning``); ``True`` raises
        :class:`~voting.errors.VotingError` instead.

    Method
    ------
    Only observed cells enter the fit.  Within one connected component the model is
    identified only up to adding a constant to every quality and subtracting it from every
    leniency, so we impose ``sum of leniencies = 0`` over the component's reviewers: a
    quality is then the score an application would get from an "average" reviewer of its
    component.  The constraint is appended to the design matrix as one extra row (all
    leniency coefficients 1, target 0) and the system is solved with
    :func:`numpy.linalg.lstsq`; because the model fit is unchanged along the unidentified
    direction, the solution meets the constraint exactly.

    Disconnected designs: qualities in different components were never compared by a
    common reviewer, so their difference is not estimable; each component gets its own
    sum-to-zero constraint.  Compare qualities only within a component.

    This is the two-way additive (fixed-effects) model without interaction; the same mean
    structure underlies the Bayesian model in :func:`voting.uncertainty.bayesian_ranking`.
    """
    t = as_totals(totals)
    n_r, n_a = t.shape
    observed = ~np.isnan(t)
    comps = connected_components(observed)
    if not comps:
        raise VotingError("the additive model needs at least one observed total")
    connected = len(comps) == 1
    if not connected and strict:
        raise VotingError(
            f"the reviewer-application design is not connected ({len(comps)} separate groups); "
            "qualities in different groups cannot be compared"
        )
    qualities = np.full(n_a, np.nan)
    leniencies = np.full(n_r, np.nan)
    comp_of_app = np.full(n_a, -1, dtype=np.int64)
    n_params = 0
    for k, comp in enumerate(comps):
        rs, as_ = list(comp.reviewers), list(comp.applications)
        sub = t[np.ix_(rs, as_)]
        cells = np.argwhere(~np.isnan(sub))
        n_obs, n_ca, n_cr = len(cells), len(as_), len(rs)
        x = np.zeros((n_obs + 1, n_ca + n_cr))
        x[np.arange(n_obs), cells[:, 1]] = 1.0
        x[np.arange(n_obs), n_ca + cells[:, 0]] = 1.0
        x[n_obs, n_ca:] = 1.0
        y = np.append(sub[cells[:, 0], cells[:, 1]], 0.0)
        beta = np.linalg.lstsq(x, y, rcond=None)[0]
        qualities[as_] = beta[:n_ca]
        leniencies[rs] = beta[n_ca:]
        comp_of_app[as_] = k
        n_params += n_ca + n_cr - 1
    fitted = np.where(observed, qualities[None, :] + leniencies[:, None], np.nan)
    residuals = t - fitted
    n_obs_total = int(observed.sum())
    dof = n_obs_total - n_params
    rss = float(np.nansum(residuals**2))
    residual_sd = float(np.sqrt(rss / dof)) if dof >= 1 else float("nan")
    warning = None
    if not connected:
        warning = (
            f"The panel split into {len(comps)} groups that share no reviewer, so scores "
            "can only be adjusted for reviewer leniency within each group; qualities in "
            "different groups are not comparable."
        )
    explanation = (
        "Each total was modelled as the application's quality plus the reviewer's leniency "
        "(how generous that reviewer is, with leniencies averaging zero) plus noise, and "
        f"fitted by least squares to the {n_obs_total} totals given."
    )
    if dof < 1:
        explanation += " There are too few totals to estimate the noise."
    else:
        explanation += f" Typical noise (residual standard deviation): {residual_sd:.3g}."
    if warning:
        explanation += " " + warning
    return AdditiveFit(
        qualities=qualities,
        leniencies=leniencies,
        fitted=fitted,
        residuals=residuals,
        residual_sd=residual_sd,
        dof=dof,
        connected=connected,
        components=comps,
        component_of_application=comp_of_app,
        warning=warning,
        explanation=explanation,
    )
