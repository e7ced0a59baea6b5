"""Agreement: per-application spread, the RAND/UCLA disagreement index, panel reliability.

Public API
----------
:func:`spread`
    Per application: sample sd, interquartile range, range and count.
:func:`ipras`
    RAND/UCLA Appropriateness Method disagreement test (IPR versus IPRAS).
:func:`krippendorff_alpha`
    Krippendorff's alpha for raters x units with missing values.
:func:`kendalls_w`
    Kendall's coefficient of concordance with the correction for ties.

Data convention: ``values`` / ``ratings`` are float arrays, shape (n_raters, n_items)
(reviewers x applications), ``NaN`` where a rater gave no value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from voting._arrays import FloatArray, readonly
from voting.errors import VotingError

__all__ = [
    "IPRAS_CORRECTION_FACTOR",
    "IPRAS_SYMMETRIC_IPR",
    "IprasResult",
    "KendallResult",
    "KrippendorffResult",
    "SpreadResult",
    "ipras",
    "kendalls_w",
    "krippendorff_alpha",
    "spread",
]


QUANTILE_METHOD: Final = "linear"
"""Quantiles use numpy's ``"linear"`` method (Hyndman & Fan 1996 type 7, the default of R
and numpy): the p-quantile of n sorted values is interpolated at 0-based position
``p * (n - 1)``."""


def _matrix(values: ArrayLike, name: str = "values") -> FloatArray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 1:
        v = v[:, None]
    if v.ndim != 2:
        raise VotingError(f"{name} must be a 2-D array (raters x items)")
    if np.isinf(v).any():
        raise VotingError(f"{name} must be finite numbers or NaN (missing)")
    return v



# ---------------------------------------------------------------------------------------
# Spread
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SpreadResult:
    """Per-application spread of scores, each of shape (n_applications,).

    sd:    sample standard deviation (divisor n - 1).
    iqr:   interquartile range, 75th minus 25th percentile (``QUANTILE_METHOD``).
    range: largest minus smallest.
    n:     number of values.
    ``sd``, ``iqr`` and ``range`` are ``NaN`` when ``n < 2``: one score shows no spread,
    and must not be read as agreement.
    """

    sd: FloatArray
    iqr: FloatArray
    range: FloatArray
    n: NDArray[np.int64]
    explanation: str

    def measure(self, name: str) -> FloatArray:
        """The array for ``"sd"``, ``"iqr"`` or ``"range"``."""
        if name not in ("sd", "iqr", "range"):
            raise VotingError(f"measure must be 'sd', 'iqr' or 'range'; got {name!r}")
        arr: FloatArray = getattr(self, name)
        return arr


def spread(values: ArrayLike) -> SpreadResult:
    """Per-application spread of ``values`` (shape (n_reviewers, n_applications)).

    Sample sd (divisor ``n - 1``); IQR = Q3 - Q1 with quantiles by numpy's ``"linear"``
    method (Hyndman & Fan type 7); range = max - min.  ``NaN`` entries are ignored; with
    fewer than two values all three are ``NaN``.

    >>> s = spread([[1.0, 5.0], [3.0, float("nan")], [5.0, float("nan")]])
    >>> s.sd.tolist(), s.iqr.tolist(), s.range.tolist(), s.n.tolist()
    ([2.0, nan], [2.0, nan], [4.0, nan], [3, 1])
    """
    v = _matrix(values)
    n_items = v.shape[1]
    sd = np.full(n_items, np.nan)
    iqr = np.full(n_items, np.nan)
    rng = np.full(n_items, np.nan)
    n = np.zeros(n_items, dtype=np.int64)
    for j in range(n_items):
        x = v[:, j][~np.isnan(v[:, j])]
        n[j] = x.size
        if x.size >= 2:
            sd[j] = x.std(ddof=1)
            q = np.quantile(x, [0.25, 0.75], method=QUANTILE_METHOD)
            iqr[j] = float(q[1] - q[0])
            rng[j] = x.max() - x.min()
    return SpreadResult(
        sd=readonly(sd),
        iqr=readonly(iqr),
        range=readonly(rng),
        n=readonly(n),
        explanation=(
            "For each application: the sample standard deviation of its scores, the "
            "interquartile range (the spread of the middle half, quantiles by linear "
            "interpolation) and the range (highest minus lowest). Fewer than two scores "
            "show no spread and are left blank."
        ),
    )


# ---------------------------------------------------------------------------------------
# IPRAS (RAND/UCLA Appropriateness Method)
# ---------------------------------------------------------------------------------------
IPRAS_SYMMETRIC_IPR = 2.35
"""IPRr: the interpercentile range required for disagreement when ratings are perfectly
symmetric about the scale's centre (Fitch et al. 2001, ch. 8)."""

IPRAS_CORRECTION_FACTOR = 1.5
"""CF: the correction factor for asymmetry (Fitch et al. 2001, ch. 8)."""


@dataclass(frozen=True, eq=False)
class IprasResult:
    """Per-application RAND/UCLA disagreement test, arrays of shape (n_applications,).

    All values are on the 1-9 scale (after the linear rescale described in :func:`ipras`).
    p30, p70:     30th and 70th percentiles.
    ipr:          interpercentile range, ``p70 - p30``.
    iprcp:        IPR central point, ``(p30 + p70) / 2``.
    ai:           asymmetry index, ``|5 - iprcp|``.
    ipras:        ``2.35 + 1.5 * ai``.
    disagreement: ``ipr > ipras`` (False where there are fewer than two ratings).
    n:            number of ratings.
    """

    p30: FloatArray
    p70: FloatArray
    ipr: FloatArray
    iprcp: FloatArray
    ai: FloatArray
    ipras: FloatArray
    disagreement: NDArray[np.bool_]
    n: NDArray[np.int64]
    scale: tuple[float, float]
    explanation: str


def ipras(ratings: ArrayLike, *, scale: tuple[float, float] = (1.0, 9.0)) -> IprasResult:
    """RAND/UCLA disagreement: the Interpercentile Range Adjusted for Symmetry.

    Source: Fitch K, Bernstein SJ, Aguilar MD, et al. *The RAND/UCLA Appropriateness Method
    User's Manual*. RAND, 2001 (MR-1269), chapter 8.  On a 1-9 panel, per item:

    * ``IPR = P70 - P30`` (30th and 70th percentiles of the ratings);
    * ``IPRCP = (P30 + P70) / 2``, the IPR central point;
    * ``AI = |5 - IPRCP|``, the asymmetry index;
    * ``IPRAS = IPRr + AI * CF`` with ``IPRr = 2.35`` and ``CF = 1.5``;
    * the panel *disagrees* on the item when ``IPR > IPRAS``.

    Percentiles: numpy's ``"linear"`` method (Hyndman & Fan type 7).  The manual does not fix
    one method; this one reproduces the published worked example in Table 1 of
    BMJ Open 2012;2(5):e001431, doi:10.1136/bmjopen-2012-001431 (P30 = 7, P70 = 8,
    IPRAS = 6.1).

    Other scales: ratings on ``scale = (low, high)`` are first mapped linearly onto 1-9,
    ``x' = 1 + 8 * (x - low) / (high - low)``, so the scale's centre maps to 5, and every
    output is reported on the 1-9 scale.  The constants were calibrated for 1-9 panels;
    on a much coarser scale treat the result as indicative.

    Parameters
    ----------
    ratings : array_like, shape (n_raters, n_items) or (n_raters,)
        ``NaN`` for missing.  Values must lie within ``scale``.
    """
    v = _matrix(ratings, "ratings")
    low, high = float(scale[0]), float(scale[1])
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise VotingError("scale must be (low, high) with low < high")
    seen = ~np.isnan(v)
    if ((v[seen] < low) | (v[seen] > high)).any():
        raise VotingError(f"ratings must lie within the scale [{low:g}, {high:g}]")
    v9 = 1.0 + 8.0 * (v - low) / (high - low)
    n_items = v.shape[1]
    p30 = np.full(n_items, np.nan)
    p70 = np.full(n_items, np.nan)
    n = seen.sum(axis=0).astype(np.int64)
    for j in range(n_items):
        x = v9[:, j][seen[:, j]]
        if x.size >= 2:
            q = np.quantile(x, [0.30, 0.70], method=QUANTILE_METHOD)
            p30[j], p70[j] = float(q[0]), float(q[1])
    ipr = p70 - p30
    iprcp = (p30 + p70) / 2.0
    ai = np.abs(5.0 - iprcp)
    limit = IPRAS_SYMMETRIC_IPR + ai * IPRAS_CORRECTION_FACTOR
    with np.errstate(invalid="ignore"):
        disagree = np.where(np.isnan(ipr), False, ipr > limit)
    rescaled = (
        ""
        if (low, high) == (1.0, 9.0)
        else (f" Ratings on {low:g}-{high:g} were first mapped linearly onto 1-9.")
    )
    return IprasResult(
        p30=readonly(p30),
        p70=readonly(p70),
        ipr=readonly(ipr),
        iprcp=readonly(iprcp),
        ai=readonly(ai),
        ipras=readonly(limit),
        disagreement=readonly(disagree.astype(bool)),
        n=readonly(n),
        scale=(low, high),
        explanation=(
            "RAND/UCLA method: the panel disagrees on an application when the spread of the "
            "middle 40% of ratings (70th minus 30th percentile) is wider than 2.35 plus 1.5 "
            "times how far that middle band's centre sits from the scale's midpoint." + rescaled
        ),
    )


# ---------------------------------------------------------------------------------------
# Krippendorff's alpha
# ---------------------------------------------------------------------------------------
ALPHA_LEVELS = ("nominal", "ordinal", "interval", "ratio")


@dataclass(frozen=True, eq=False)
class KrippendorffResult(float):
    """Outcome of :func:`krippendorff_alpha`.

    alpha:       ``1 - D_o / D_e`` (``NaN`` when ``D_e = 0``: only one value was used).
    level:       the metric used.
    observed_disagreement, expected_disagreement: ``D_o`` and ``D_e``.
    values:      the distinct values, ascending (rows/columns of ``coincidences``).
    coincidences: shape (n_values, n_values), the coincidence matrix ``o_ck``.
    n_pairable:  ``n``, the number of pairable values (in units with at least two values).

    The result *is* the number alpha too (a ``float`` subclass), so
    ``round(krippendorff_alpha(data, level="interval"), 3)`` works like the plain value.
    """

    def __new__(cls, alpha: float, *args: Any, **kwargs: Any) -> KrippendorffResult:
        return super().__new__(cls, alpha)

    alpha: float
    level: str
    observed_disagreement: float
    expected_disagreement: float
    values: FloatArray
    coincidences: FloatArray
    n_pairable: int
    explanation: str


def _delta2(values: FloatArray, n_c: FloatArray, level: str) -> FloatArray:
    c = values[:, None]
    k = values[None, :]
    if level == "nominal":
        return (c != k).astype(np.float64)
    if level == "interval":
        return np.asarray((c - k) ** 2, dtype=np.float64)
    if level == "ratio":
        s = c + k
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.where(s == 0, 0.0, ((c - k) / np.where(s == 0, 1.0, s)) ** 2)
        return np.asarray(d, dtype=np.float64)
    # ordinal: (sum_{g=c}^{k} n_g - (n_c + n_k) / 2)^2, ranks of the values
    cum = np.concatenate(([0.0], np.cumsum(n_c)))
    i = np.arange(values.size)
    lo = np.minimum(i[:, None], i[None, :])
    hi = np.maximum(i[:, None], i[None, :])
    between = cum[hi + 1] - cum[lo]
    return np.asarray((between - (n_c[:, None] + n_c[None, :]) / 2.0) ** 2, dtype=np.float64)


def krippendorff_alpha(
    data: ArrayLike, level: Literal["nominal", "ordinal", "interval", "ratio"] = "interval"
) -> KrippendorffResult:
    """Krippendorff's alpha by the coincidence-matrix method.

    Source: Krippendorff K. *Computing Krippendorff's Alpha-Reliability*. Annenberg School
    for Communication, University of Pennsylvania, 2011 (section C, "nominal data, any
    number of observers, missing data", and its ordinal, interval and ratio metrics).

    Parameters
    ----------
    data : array_like, shape (n_raters, n_units)
        ``NaN`` for missing.  Units with fewer than two values are not pairable and are
        dropped, as in the paper.
    level : {"nominal", "ordinal", "interval", "ratio"}

    Method
    ------
    For unit ``u`` with ``m_u >= 2`` values, each ordered pair of values from different
    raters adds ``1 / (m_u - 1)`` to the coincidence ``o_ck``.  With ``n_c = sum_k o_ck``
    and ``n = sum_c n_c``::

        alpha = 1 - (n - 1) * sum_ck o_ck d2_ck / sum_ck n_c n_k d2_ck

    with the difference functions ``d2``: nominal ``[c != k]``; interval ``(c - k)^2``;
    ratio ``((c - k) / (c + k))^2``; ordinal
    ``(sum_{g=c..k} n_g - (n_c + n_k) / 2)^2`` over the ordered values ``c..k``.

    >>> round(krippendorff_alpha([[1, 2, 3, 3], [1, 2, 3, 4]], "nominal").alpha, 3)
    0.696
    """
    if level not in ALPHA_LEVELS:
        raise VotingError(f"level must be one of {ALPHA_LEVELS}; got {level!r}")
    v = _matrix(data, "data")
    if level == "ratio" and (v[~np.isnan(v)] < 0).any():
        raise VotingError("ratio-level alpha needs values that are zero or positive")
    m_u = (~np.isnan(v)).sum(axis=0)
    v = v[:, m_u >= 2]
    m_u = m_u[m_u >= 2]
    if v.shape[1] == 0:
        raise VotingError("alpha needs at least one unit with two or more values")
    values = np.unique(v[~np.isnan(v)])
    index = {float(x): i for i, x in enumerate(values)}
    n_v = values.size
    o = np.zeros((n_v, n_v))
    for u in range(v.shape[1]):
        col = v[:, u][~np.isnan(v[:, u])]
        counts = np.zeros(n_v)
        for x in col:
            counts[index[float(x)]] += 1
        o += (np.outer(counts, counts) - np.diag(counts)) / (m_u[u] - 1)
    n_c = o.sum(axis=1)
    n = float(n_c.sum())
    d2 = _delta2(values, n_c, level)
    d_o = float((o * d2).sum()) / n
    d_e = float((np.outer(n_c, n_c) * d2).sum()) / (n * (n - 1))
    alpha = float("nan") if d_e == 0 else 1.0 - d_o / d_e
    return KrippendorffResult(
        alpha=alpha,
        level=level,
        observed_disagreement=d_o,
        expected_disagreement=d_e,
        values=readonly(values),
        coincidences=readonly(o),
        n_pairable=int(round(n)),
        explanation=(
            f"Krippendorff's alpha ({level} level) compares how much raters disagreed on the "
            "same application with how much they would disagree by chance: 1 is perfect "
            "agreement, 0 is no better than chance."
            + (" Only one value was used, so alpha is undefined." if d_e == 0 else "")
        ),
    )


# ---------------------------------------------------------------------------------------
# Kendall's W
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class KendallResult(float):
    """Outcome of :func:`kendalls_w`.

    w:              the coefficient of concordance, in [0, 1].
    m, n:           raters and items.
    s:              sum of squared deviations of the items' rank sums from their mean.
    tie_correction: ``sum over raters of sum over tie groups (t^3 - t)``.
    chi_square:     Friedman's statistic ``m (n - 1) W`` (``n - 1`` degrees of freedom).

    The result *is* the number W too (a ``float`` subclass): ``float(kendalls_w(r))``.
    """

    def __new__(cls, w: float, *args: Any, **kwargs: Any) -> KendallResult:
        return super().__new__(cls, w)

    w: float
    m: int
    n: int
    s: float
    tie_correction: float
    chi_square: float
    dof: int
    explanation: str


def _midranks(x: FloatArray) -> tuple[FloatArray, float]:
    order = np.argsort(x, kind="stable")
    xs = x[order]
    ranks = np.empty(x.size)
    ties = 0.0
    i = 0
    while i < xs.size:
        j = i
        while j + 1 < xs.size and xs[j + 1] == xs[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        t = j - i + 1
        ties += t**3 - t
        i = j + 1
    return ranks, ties


def kendalls_w(ranks: ArrayLike) -> KendallResult:
    """Kendall's coefficient of concordance W, corrected for ties.

    Parameters
    ----------
    ranks : array_like, shape (m_raters, n_items)
        Each row is one rater's ranking (1 = first).  Rows may also be scores: each row is
        converted to mid-ranks (tied values share the mean of their ranks), which leaves a
        proper ranking unchanged; W is the same whichever direction is "best", provided all
        raters use the same one.  Missing values are not allowed.

    Rule (Kendall & Babington Smith 1939; with the tie correction of Kendall 1948, as given
    by Siegel & Castellan 1988, *Nonparametric Statistics*, section 9.4)::

        R_i = sum_j r_ij,   S = sum_i (R_i - mean(R))^2
        W = 12 S / (m^2 (n^3 - n) - m * sum_j T_j),   T_j = sum over tie groups (t^3 - t)

    ``chi_square = m (n - 1) W`` is Friedman's statistic, tie-corrected.

    >>> kendalls_w([[1, 2, 3], [1, 2, 3]]).w
    1.0
    """
    r = np.asarray(ranks, dtype=np.float64)
    if r.ndim != 2:
        raise VotingError("ranks must be a 2-D array (raters x items)")
    m, n = r.shape
    if m < 2 or n < 2:
        raise VotingError("Kendall's W needs at least two raters and two items")
    if not np.isfinite(r).all():
        raise VotingError("Kendall's W needs a complete ranking from every rater (no NaN)")
    mid = np.empty_like(r)
    tie_total = 0.0
    for j in range(m):
        mid[j], t = _midranks(r[j])
        tie_total += t
    rank_sums = mid.sum(axis=0)
    s = float(((rank_sums - rank_sums.mean()) ** 2).sum())
    denom = m**2 * (n**3 - n) - m * tie_total
    if denom == 0:
        raise VotingError("Kendall's W is undefined when every rater ties every item")
    w = 12.0 * s / denom
    return KendallResult(
        w=w,
        m=m,
        n=n,
        s=s,
        tie_correction=tie_total,
        chi_square=m * (n - 1) * w,
        dof=n - 1,
        explanation=(
            f"Kendall's W = {w:.3f} for {m} raters ranking {n} items: 1 means every rater gave "
            "the same order, 0 means no common order (ties corrected for)."
        ),
    )
