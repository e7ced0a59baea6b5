"""Score sheets under partial assignment: data, weighted totals, aggregates, majority judgment.

Public API
----------
:class:`ScoreData`
    Scores (reviewers x applications x criteria) with explicit ``conflicted`` and
    ``assigned`` masks; ``NaN`` in an assigned, non-conflicted cell is "don't know".
:func:`weighted_totals`
    One weighted total per sheet (reviewers x applications), ``NaN`` where there is none.
:func:`aggregate`
    Per application mean, median or trimmed mean of the totals, ignoring ``NaN``, with counts.
:func:`majority_judgment`
    Balinski & Laraki's majority judgment: highest majority grade first, ties broken by
    removing median grades one at a time.

Rules
-----
* A missing score is missing, never zero.  Conflicted cells never count, whatever the score
  array holds there (a conflict declared after scoring excludes the score).
* A score in a cell that was not assigned is an error (:class:`~voting.errors.VotingError`):
  it means the caller's assignment and sheets disagree.

Examples
--------
>>> data = ScoreData.from_records(
...     [("m1", "A", "c1", 4), ("m1", "A", "c2", None), ("m2", "A", "c1", 2), ("m2", "A", "c2", 3)],
...     criteria=["c1", "c2"], scale=(1, 5))
>>> weighted_totals(data, [1, 1]).tolist()
[[8.0], [5.0]]
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from voting._arrays import FloatArray, readonly
from voting.errors import VotingError

__all__ = [
    "AggregateResult",
    "MajorityJudgmentResult",
    "ScoreData",
    "aggregate",
    "majority_judgment",
    "weighted_totals",
]

BoolArray = NDArray[np.bool_]
ScaleSpec = tuple[float, float] | Sequence[tuple[float, float]] | None

MISSING_RULES = ("rescale", "require-all")
STATISTICS = ("mean", "median", "trimmed-mean")



@dataclass(frozen=True, eq=False)
class ScoreData:
    """Scores from a panel under partial assignment.

    Parameters
    ----------
    scores : array_like of float, shape (n_reviewers, n_applications, n_criteria)
        ``NaN`` where there is no score.  In an assigned, non-conflicted cell ``NaN`` means
        "don't know" for that criterion.
    conflicted : array_like of bool, shape (n_reviewers, n_applications)
        True where the reviewer has a conflict of interest with the application.  Any score
        there is excluded.
    assigned : array_like of bool, shape (n_reviewers, n_applications), optional
        True where the reviewer was asked to score the application.  Defaults to every cell
        that holds at least one score.  Scores outside ``assigned`` raise VotingError.
    scale : (low, high) or sequence of (low, high) per criterion, optional
        Inclusive range of each criterion's scale; scores outside it raise VotingError.
    reviewers, applications, criteria : sequence of labels, optional
        Labels for the three axes (default ``0, 1, ...``).
    """

    scores: FloatArray
    conflicted: BoolArray
    assigned: BoolArray | None = None
    scale: ScaleSpec = None
    reviewers: tuple[Hashable, ...] = ()
    applications: tuple[Hashable, ...] = ()
    criteria: tuple[Hashable, ...] = ()
    _scale: tuple[tuple[float, float], ...] = field(init=False, repr=False, default=())

    def __post_init__(self) -> None:
        scores = np.asarray(self.scores, dtype=np.float64)
        if scores.ndim != 3:
            raise VotingError(
                "scores must be a 3-D array (reviewers x applications x criteria); "
                f"got {scores.ndim} dimension(s)"
            )
        n_r, n_a, n_c = scores.shape
        if n_c == 0:
            raise VotingError("scores need at least one criterion")
        if np.isinf(scores).any():
            raise VotingError("scores must be finite numbers or NaN (missing)")
        conflicted = _bool_mask(self.conflicted, (n_r, n_a), "conflicted")
        if self.assigned is None:
            assigned = np.asarray(~np.isnan(scores).all(axis=2), dtype=bool)
        else:
            assigned = _bool_mask(self.assigned, (n_r, n_a), "assigned")
        stray = ~assigned[:, :, None] & ~np.isnan(scores)
        if stray.any():
            r, a, _ = np.argwhere(stray)[0]
            raise VotingError(
                "scores may only appear where a reviewer was assigned the application; "
                f"reviewer {r} has a score for application {a} without an assignment"
            )
        scale = _normalise_scale(self.scale, n_c)
        for c, (low, high) in enumerate(scale):
            col = scores[:, :, c]
            bad = ~np.isnan(col) & ((col < low) | (col > high))
            if bad.any():
                r, a = np.argwhere(bad)[0]
                raise VotingError(
                    f"criterion {c} scores must lie in [{low:g}, {high:g}]; "
                    f"reviewer {r}, application {a} gave {col[r, a]:g}"
                )
        object.__setattr__(self, "scores", readonly(scores))
        object.__setattr__(self, "conflicted", readonly(conflicted))
        object.__setattr__(self, "assigned", readonly(assigned))
        object.__setattr__(self, "_scale", scale)
        for name, n in (("reviewers", n_r), ("applications", n_a), ("criteria", n_c)):
            labels = tuple(getattr(self, name)) or tuple(range(n))
            if len(labels) != n:
                raise VotingError(f"{name} must have {n} labels; got {len(labels)}")
            if len(set(labels)) != n:
                raise VotingError(f"{name} labels must be unique")
            object.__setattr__(self, name, labels)

    # -- shape and masks -------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int, int]:
        """``(n_reviewers, n_applications, n_criteria)``."""
        r, a, c = self.scores.shape
        return int(r), int(a), int(c)

    @property
    def scales(self) -> tuple[tuple[float, float], ...]:
        """Per-criterion ``(low, high)``; ``(-inf, inf)`` where no scale was given."""
        return self._scale

    @property
    def eligible(self) -> BoolArray:
        """Cells that may carry a score: assigned and not conflicted, shape (R, A)."""
        assigned = cast(BoolArray, self.assigned)  # always an array after __post_init__
        return np.asarray(assigned & ~self.conflicted)

    @property
    def counted(self) -> BoolArray:
        """Scores that count, shape (R, A, C): eligible and not missing."""
        return np.asarray(self.eligible[:, :, None] & ~np.isnan(self.scores))

    @property
    def dont_know(self) -> BoolArray:
        """ "Don't know" answers, shape (R, A, C): eligible cells left ``NaN``."""
        return np.asarray(self.eligible[:, :, None] & np.isnan(self.scores))

    def masked_scores(self) -> FloatArray:
        """A copy of ``scores`` with every cell that does not count set to ``NaN``."""
        return np.where(self.counted, self.scores, np.nan)

    # -- construction ----------------------------------------------------------------
    @classmethod
    def from_records(
        cls,
        records: Iterable[tuple[Hashable, Hashable, Hashable, float | None]],
        *,
        reviewers: Sequence[Hashable] | None = None,
        applications: Sequence[Hashable] | None = None,
        criteria: Sequence[Hashable] | None = None,
        conflicts: Iterable[tuple[Hashable, Hashable]] = (),
        assignments: Iterable[tuple[Hashable, Hashable]] | None = None,
        scale: ScaleSpec = None,
    ) -> ScoreData:
        """Build from ``(reviewer, application, criterion, score)`` records.

        ``score`` ``None`` or ``NaN`` records a "don't know".  Labels not given are taken
        in order of first appearance (in records, then conflicts, then assignments).
        Without ``assignments`` every (reviewer, application) pair with a record is
        assigned.  A repeated (reviewer, application, criterion) raises VotingError.
        """
        recs = list(records)
        confs = list(conflicts)
        assigns = None if assignments is None else list(assignments)

        def labels(given: Sequence[Hashable] | None, seen: Iterable[Hashable]) -> list[Hashable]:
            if given is not None:
                return list(given)
            out: dict[Hashable, None] = {}
            for x in seen:
                out.setdefault(x, None)
            return list(out)

        pairs = confs + (assigns or [])
        rev = labels(reviewers, [r[0] for r in recs] + [p[0] for p in pairs])
        app = labels(applications, [r[1] for r in recs] + [p[1] for p in pairs])
        cri = labels(criteria, [r[2] for r in recs])
        ri = {x: i for i, x in enumerate(rev)}
        ai = {x: i for i, x in enumerate(app)}
        ci = {x: i for i, x in enumerate(cri)}

        def index(table: dict[Hashable, int], key: Hashable, what: str) -> int:
            try:
                return table[key]
            except KeyError:
                raise VotingError(f"unknown {what} {key!r} in records") from None

        scores = np.full((len(rev), len(app), len(cri)), np.nan)
        has_record = np.zeros((len(rev), len(app)), dtype=bool)
        seen: set[tuple[int, int, int]] = set()
        for rec in recs:
            if len(rec) != 4:
                raise VotingError("each record must be (reviewer, application, criterion, score)")
            r = index(ri, rec[0], "reviewer")
            a = index(ai, rec[1], "application")
            c = index(ci, rec[2], "criterion")
            if (r, a, c) in seen:
                raise VotingError(
                    f"reviewer {rec[0]!r} has two records for application {rec[1]!r}, "
                    f"criterion {rec[2]!r}"
                )
            seen.add((r, a, c))
            has_record[r, a] = True
            value = rec[3]
            if value is not None:
                scores[r, a, c] = float(value)
        conflicted = np.zeros_like(has_record)
        for rv, ap in confs:
            conflicted[index(ri, rv, "reviewer"), index(ai, ap, "application")] = True
        if assigns is None:
            assigned = has_record
        else:
            assigned = np.zeros_like(has_record)
            for rv, ap in assigns:
                assigned[index(ri, rv, "reviewer"), index(ai, ap, "application")] = True
        return cls(
            scores=scores,
            conflicted=conflicted,
            assigned=assigned,
            scale=scale,
            reviewers=tuple(rev),
            applications=tuple(app),
            criteria=tuple(cri),
        )


def _bool_mask(mask: ArrayLike, shape: tuple[int, int], name: str) -> BoolArray:
    arr = np.asarray(mask)
    if arr.shape != shape:
        raise VotingError(
            f"{name} must have shape {shape} (reviewers x applications); got {arr.shape}"
        )
    if arr.dtype != np.bool_:
        if not np.isin(arr, (0, 1)).all():
            raise VotingError(f"{name} must be a boolean (or 0/1) mask")
        arr = arr.astype(bool)
    return arr


def _normalise_scale(scale: object, n_c: int) -> tuple[tuple[float, float], ...]:
    if scale is None:
        return tuple((-math.inf, math.inf) for _ in range(n_c))
    if not isinstance(scale, (tuple, list)):
        raise VotingError("scale must be (low, high) or one (low, high) per criterion")
    if len(scale) == 2 and all(isinstance(x, (int, float, np.integer, np.floating)) for x in scale):
        pairs = [(float(scale[0]), float(scale[1]))] * n_c
    else:
        pairs = []
        for item in scale:
            if not isinstance(item, (tuple, list)) or len(item) != 2:
                raise VotingError("scale must be (low, high) or one (low, high) per criterion")
            pairs.append((float(item[0]), float(item[1])))
        if len(pairs) != n_c:
            raise VotingError(
                f"scale needs one (low, high) per criterion ({n_c}); got {len(pairs)}"
            )
    for low, high in pairs:
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise VotingError("each scale must be finite with low < high")
    return tuple(pairs)


# ---------------------------------------------------------------------------------------
# Weighted totals
# ---------------------------------------------------------------------------------------
def weighted_totals(
    data: ScoreData | ArrayLike,
    weights: ArrayLike,
    *,
    missing: Literal["rescale", "require-all"] = "rescale",
) -> FloatArray:
    """Weighted total of each sheet, shape (n_reviewers, n_applications).

    ``data`` is a :class:`ScoreData` (only counted scores are used) or a plain float array
    (reviewers x applications x criteria) with ``NaN`` for missing.

    Rules (``weights``, shape (n_criteria,), every weight finite and > 0):

    ``missing="rescale"`` (the decision-record rule)
        ``total = (sum of w*s over scored criteria) * (sum of all w) / (sum of scored w)``:
        the weighted mean of the scored criteria, put back on the full-weight scale.
        A sheet with no scored criterion has no total (``NaN``).
    ``missing="require-all"``
        ``total = sum of w*s`` when every criterion is scored, otherwise ``NaN``.

    Conflicted and unassigned cells are always ``NaN``.  A missing score is never zero.
    """
    scores = (
        data.masked_scores() if isinstance(data, ScoreData) else np.asarray(data, dtype=np.float64)
    )
    if scores.ndim != 3:
        raise VotingError("scores must be a 3-D array (reviewers x applications x criteria)")
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (scores.shape[2],):
        raise VotingError(
            f"weights must have one entry per criterion ({scores.shape[2]}); got shape {w.shape}"
        )
    if not (np.isfinite(w).all() and (w > 0).all()):
        raise VotingError("every criterion weight must be a finite number greater than 0")
    if missing not in MISSING_RULES:
        raise VotingError(f"missing must be one of {MISSING_RULES}; got {missing!r}")
    present = ~np.isnan(scores)
    weighted = np.where(present, scores, 0.0) @ w
    scored_weight = present.astype(np.float64) @ w
    if missing == "require-all":
        return np.where(present.all(axis=2), weighted, np.nan)
    out = np.full(weighted.shape, np.nan)
    some = scored_weight > 0
    out[some] = weighted[some] * w.sum() / scored_weight[some]
    return out


# ---------------------------------------------------------------------------------------
# Aggregation
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class AggregateResult:
    """Per-application aggregate of sheet totals.

    values:    shape (n_applications,), ``NaN`` where an application has no total.
    counts:    shape (n_applications,), number of totals used.
    statistic: ``"mean"``, ``"median"`` or ``"trimmed-mean"``.
    trim:      proportion cut from each end (trimmed mean only, else 0).
    explanation: the rule in one plain-English sentence.
    """

    values: FloatArray
    counts: NDArray[np.int64]
    statistic: str
    trim: float
    explanation: str


def _trimmed_mean(x: FloatArray, trim: float) -> float:
    k = int(math.floor(trim * x.size))
    xs = np.sort(x)
    kept = xs[k : x.size - k]
    return float(kept.mean())


def _statistic(x: FloatArray, statistic: str, trim: float) -> float:
    if statistic == "mean":
        return float(x.mean())
    if statistic == "median":
        return float(np.median(x))
    return _trimmed_mean(x, trim)


def _check_statistic(statistic: str, trim: float) -> None:
    if statistic not in STATISTICS:
        raise VotingError(f"statistic must be one of {STATISTICS}; got {statistic!r}")
    if not (0.0 <= trim < 0.5):
        raise VotingError(f"trim must be at least 0 and less than 0.5; got {trim}")


def aggregate(
    totals: ArrayLike,
    statistic: Literal["mean", "median", "trimmed-mean"] = "mean",
    trim: float = 0.1,
) -> AggregateResult:
    """Aggregate sheet totals per application, ignoring ``NaN``.

    Parameters
    ----------
    totals : array_like, shape (n_reviewers, n_applications)
        Sheet totals, ``NaN`` where there is none (see :func:`weighted_totals`).
    statistic : {"mean", "median", "trimmed-mean"}
        ``median`` is the mean of the two middle values for an even count.
        ``trimmed-mean`` sorts the n totals, drops ``floor(trim * n)`` from each end and
        takes the mean of the rest (the convention of ``scipy.stats.trim_mean``).
    trim : float in [0, 0.5)
        Proportion cut from each end for ``trimmed-mean``.

    An application with no totals gets ``NaN`` and count 0: it is never ranked as zero.

    >>> aggregate([[1.0, 4.0], [3.0, float("nan")]]).values.tolist()
    [2.0, 4.0]
    """
    t = np.asarray(totals, dtype=np.float64)
    if t.ndim != 2:
        raise VotingError("totals must be a 2-D array (reviewers x applications)")
    _check_statistic(statistic, trim)
    n_a = t.shape[1]
    values = np.full(n_a, np.nan)
    counts = np.zeros(n_a, dtype=np.int64)
    for a in range(n_a):
        col = t[:, a]
        col = col[~np.isnan(col)]
        counts[a] = col.size
        if col.size:
            values[a] = _statistic(col, statistic, trim)
    if statistic == "trimmed-mean":
        rule = (
            f"the mean after dropping the lowest and highest {trim:.0%} of totals "
            "(rounded down to whole totals)"
        )
    elif statistic == "median":
        rule = "the median total (mean of the two middle totals when their number is even)"
    else:
        rule = "the mean total"
    explanation = (
        f"Each application's score is {rule}, over the sheets that count; missing, "
        "conflicted and unassigned sheets are left out, never counted as zero."
    )
    return AggregateResult(
        values=readonly(values),
        counts=readonly(counts),
        statistic=statistic,
        trim=trim if statistic == "trimmed-mean" else 0.0,
        explanation=explanation,
    )


# ---------------------------------------------------------------------------------------
# Majority judgment
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MajorityJudgmentResult:
    """Outcome of :func:`majority_judgment`.

    order:           candidate indices, best first (exact ties keep index order).
    majority_grades: each candidate's majority grade (lower median), ``None`` if ungraded.
    majority_values: each candidate's grades in the order they are removed (its majority
                     value); candidates are compared on these sequences lexicographically.
    gauges:          each candidate's majority gauge ``(p, grade, q)``: share of grades
                     strictly above and strictly below the majority grade.
    ties:            groups of candidates the rule cannot separate (identical majority
                     values), each in index order.
    explanation:     plain-English account of the order.
    """

    order: tuple[int, ...]
    majority_grades: tuple[float | None, ...]
    majority_values: tuple[tuple[float, ...], ...]
    gauges: tuple[tuple[float, float | None, float], ...]
    ties: tuple[tuple[int, ...], ...]
    explanation: str

    @property
    def winners(self) -> tuple[int, ...]:
        """Alias of ``order`` (the library's convention for counts)."""
        return self.order


def _majority_value(grades: list[float]) -> tuple[float, ...]:
    """Lower medians removed one at a time (Balinski & Laraki 2011, the majority value)."""
    g = sorted(grades)
    out: list[float] = []
    while g:
        i = (len(g) - 1) // 2
        out.append(g.pop(i))
    return tuple(out)


def majority_judgment(grades: ArrayLike) -> MajorityJudgmentResult:
    """Order candidates by majority judgment (Balinski & Laraki, *Majority Judgment*, 2011).

    Parameters
    ----------
    grades : array_like, shape (n_judges, n_candidates)
        Numeric grades, higher is better; ``NaN`` where a judge gave no grade (e.g. a
        conflict).  Grades need only be ordered: they are never added.

    Rule
    ----
    1. A candidate's *majority grade* is the lower median of its grades: with ``n`` grades
       sorted ascending, the one at 0-based position ``(n - 1) // 2``.
    2. Its *majority value* is the sequence obtained by repeatedly taking the majority grade
       and removing one copy of it from the grades.
    3. Candidates are ordered by majority value, compared lexicographically, larger first.
       This is Balinski & Laraki's tie-break "remove median grades one at a time"; the
       majority gauge ``(p, grade, q)`` is reported for each candidate as a readable
       summary (it agrees with the majority value in almost all cases).
    4. Candidates with identical majority values are tied; they keep index order and are
       listed in ``ties`` so the caller can apply a declared tie-break (e.g. a draw).

    Known deviation: Balinski & Laraki assume every judge grades every candidate.  With
    missing grades the sequences may have different lengths; when one is a prefix of the
    other the candidates are treated as tied.

    >>> majority_judgment([[3, 2], [2, 2], [1, 3]]).order
    (1, 0)
    """
    g = np.asarray(grades, dtype=np.float64)
    if g.ndim != 2:
        raise VotingError("grades must be a 2-D array (judges x candidates)")
    if np.isinf(g).any():
        raise VotingError("grades must be finite numbers or NaN (missing)")
    n_c = g.shape[1]
    values: list[tuple[float, ...]] = []
    gauges: list[tuple[float, float | None, float]] = []
    for c in range(n_c):
        col = [float(x) for x in g[:, c] if not math.isnan(x)]
        mv = _majority_value(col)
        values.append(mv)
        if col:
            mg = mv[0]
            p = sum(x > mg for x in col) / len(col)
            q = sum(x < mg for x in col) / len(col)
            gauges.append((p, mg, q))
        else:
            gauges.append((0.0, None, 0.0))

    def key(c: int) -> tuple[int, tuple[float, ...], int]:
        # ungraded candidates last; then by majority value (negated for descending order)
        return (0 if values[c] else 1, tuple(-x for x in values[c]), c)

    order = sorted(range(n_c), key=key)

    def same(a: int, b: int) -> bool:
        va, vb = values[a], values[b]
        n = min(len(va), len(vb))
        return va[:n] == vb[:n]

    ties: list[tuple[int, ...]] = []
    group = [order[0]] if order else []
    for c in order[1:]:
        if same(group[-1], c):
            group.append(c)
        else:
            if len(group) > 1:
                ties.append(tuple(sorted(group)))
            group = [c]
    if len(group) > 1:
        ties.append(tuple(sorted(group)))

    parts = []
    for pos, c in enumerate(order, start=1):
        p, grade, q = gauges[c]
        if grade is None:
            parts.append(f"{pos}. candidate {c}: no grades")
        else:
            parts.append(
                f"{pos}. candidate {c}: majority grade {grade:g} "
                f"({p:.0%} of grades above it, {q:.0%} below)"
            )
    explanation = (
        "Candidates are ordered by their majority grade (the lower median grade); ties are "
        "broken by removing the median grade one at a time and comparing again "
        "(Balinski & Laraki 2011). " + "; ".join(parts) + "."
    )
    if ties:
        explanation += (
            " Not separated by the rule: "
            + "; ".join(", ".join(str(c) for c in t) for t in ties)
            + "."
        )
    return MajorityJudgmentResult(
        order=tuple(order),
        majority_grades=tuple(v[0] if v else None for v in values),
        majority_values=tuple(values),
        gauges=tuple(gauges),
        ties=tuple(ties),
        explanation=explanation,
    )
