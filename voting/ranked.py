"""Ranked and approval counting: IRV, STV (Scottish or Meek), Borda, Schulze, ranked pairs, approval.

Public API
----------
irv(ranks, ...)              instant-runoff voting (alternative vote), one winner
stv(ranks, seats, ...)       single transferable vote: Scottish rules (default) or Meek's method
borda(ranks, ...)            Borda count (equal rankings share the average of their points)
schulze(ranks, ...)          Schulze beat-path method (winning votes by default)
ranked_pairs(ranks, ...)     Tideman's ranked pairs (margins by default)
approval(approvals, ...)     approval voting, ``seats`` most-approved
pairwise_matrix(ranks, ...)  N[a, b] = weight of ballots ranking a strictly above b
skip_candidates(ranks, mask) remove, per ballot, the candidates a voter may not rank (conflicts)
TIE_BREAKS                   the accepted ``tie_break`` values

Ballots
-------
*Strict ranked ballots* are an integer array of shape ``(n_ballots, max_ranks)``: entry
``[b, r]`` is the candidate index at preference ``r + 1`` of ballot ``b`` and ``-1`` fills the
ranks after the last preference (a truncated ballot).  A candidate may appear once per ballot;
``-1`` may not be followed by a candidate.  A (ragged) list of lists of ints is accepted too.

*Ballots with equal rankings* are given as a list of ballots, each a sequence whose items are
either a candidate index or a set (``set``/``frozenset``/``tuple``/``list``) of candidate
indices ranked equal, best first: ``[0, {1, 2}, 3]`` ranks 0 first, then 1 and 2 equal, then 3.
Candidates a ballot leaves out are unranked.  How each method treats them:

* Borda, Schulze, ranked pairs: equal candidates are tied; unranked candidates are tied last
  (below every ranked candidate).  For Borda a tied group shares the average of the points of
  the positions it occupies, so unranked candidates share the points of the last positions.
* IRV and STV: a ballot with a group of k equal candidates counts as k! strict ballots, one per
  order of the group, each with weight 1/k!.  While every member of the group is continuing the
  vote is split equally among them; when some are excluded the share moves to the others
  equally, as if the voter's tie were broken at random and averaged.  Unranked candidates are
  not preferences: a ballot whose ranked candidates are all excluded is exhausted.  (At most
  720 orderings per ballot.)

``weights`` (shape ``(n_ballots,)``) gives each ballot row a non-negative weight, e.g. the
number of identical ballots.  Integer weights keep every tally exact.

Rounds
------
IRV and STV return one :class:`~voting.results.CountRound` per stage.  ``tallies`` are the
votes of every candidate not yet excluded at the *start* of the stage; ``elected`` are those
who reach the threshold on those tallies; the stage's action (an exclusion in ``eliminated``, or
a surplus transfer described in ``note``) produces ``transfers``, so the next stage's tallies
are this stage's tallies plus its transfers; ``exhausted`` is the cumulative weight of ballots
with no continuing preference after the stage.

Tie-breaks (``tie_break``)
--------------------------
``"order"``
    Candidate order decides: when excluding, the tied candidate with the *highest index* (latest
    in the list) goes first; when ordering winners or surpluses, the lowest index comes first.
``"previous-rounds"``
    Look back to the most recent earlier round in which the tied candidates' tallies differed:
    exclude the one with fewest votes there (or favour the one with most), narrowing a group
    step by step; if they were equal in every round, use ``"order"``.  The default of
    ``stv(method="scottish")``: there the statute would draw a lot at that point, and the
    round's note says so (candidate order stands in for the lot, so no ``rng`` is needed).
``"previous-rounds-random"``
    As ``"previous-rounds"``, then by lot with ``rng`` (the Scottish statutory rule 49/51).
``"random"``
    By lot with ``rng`` (a :class:`numpy.random.Generator`, e.g. from
    :func:`voting.draws.generator`); each draw is recorded in the round's ``note``.

Sources: Scottish Local Government Elections Order 2007 (SSI 2007/42), Schedule 1 rules 45-52;
I. D. Hill, B. A. Wichmann, D. R. Woodall, "Algorithm 123: Single transferable vote by Meek's
method", Computer Journal 1987; M. Schulze, "A new monotonic, clone-independent, reversal
symmetric, and Condorcet-consistent single-winner election method", Social Choice and Welfare
36 (2011); T. N. Tideman, "Independence of clones as a criterion for voting rules", Social Choice
and Welfare 4 (1987).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import permutations
from typing import Any

import numpy as np
import numpy.typing as npt

from voting.errors import VotingError
from voting.results import CountResult, CountRound

__all__ = [
    "TIE_BREAKS",
    "approval",
    "borda",
    "irv",
    "pairwise_matrix",
    "ranked_pairs",
    "schulze",
    "skip_candidates",
    "stv",
]

Arr = npt.NDArray[Any]

TIE_BREAKS = ("order", "previous-rounds", "previous-rounds-random", "random")
_MAX_TIE_ORDERINGS = 720
_EXACT_LIMIT = 2**53  # float64 sums of integers are exact below this


# --------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------


@dataclass
class _Strict:
    """Validated strict ballots, stored column-major for fast pointer walking.

    cols:     (max_ranks + 1, n_ballots) compact ints; the extra last row is all -1.
    n:        number of candidates.
    weights:  (n_ballots,) int64 or float64 weights, or None for one vote per ballot.
    scale:    ballots are counted in units of 1/scale of a vote (ties expanded into orders).
    """

    cols: Arr
    n: int
    weights: Arr | None
    scale: int = 1

    @property
    def n_ballots(self) -> int:
        return int(self.cols.shape[1])

    @property
    def exact(self) -> bool:
        return self.weights is None or self.weights.dtype.kind in "iu"


def _compact_dtype(n: int) -> type[np.signedinteger[Any]]:
    if n <= 127:
        return np.int8
    if n <= 32767:
        return np.int16
    return np.int32


def _check_weights(weights: Any, n_ballots: int) -> Arr | None:
    if weights is None:
        return None
    w = np.asarray(weights)
    if w.ndim != 1 or w.shape[0] != n_ballots:
        raise VotingError(f"weights must have shape (n_ballots,) = ({n_ballots},), got {w.shape}")
    if w.dtype.kind == "b" or w.dtype.kind not in "iuf":
        raise VotingError("weights must be numbers (integers keep tallies exact)")
    if w.dtype.kind == "f":
        if not np.all(np.isfinite(w)):
            raise VotingError("weights must be finite (no NaN or infinity)")
        if np.all(w == np.floor(w)) and (w.size == 0 or float(np.abs(w).max()) < _EXACT_LIMIT):
            w = w.astype(np.int64)
    else:
        w = w.astype(np.int64)
    if w.size and w.min() < 0:
        raise VotingError("weights must be non-negative")
    return w


def _is_tied_form(ranks: Any) -> bool:
    if isinstance(ranks, np.ndarray):
        return False
    for ballot in ranks:
        if isinstance(ballot, np.ndarray):
            continue
        for item in ballot:
            if isinstance(item, (set, frozenset, tuple, list)):
                return True
    return False


def _parse_tied(
    ranks: Sequence[Sequence[Any]], n_candidates: int | None
) -> tuple[list[list[list[int]]], int]:
    """Ballots as lists of groups (lists of ints), and the number of candidates."""
    ballots: list[list[list[int]]] = []
    top = -1
    for b, ballot in enumerate(ranks):
        groups: list[list[int]] = []
        seen: set[int] = set()
        for item in ballot:
            group = sorted(item) if isinstance(item, (set, frozenset, tuple, list)) else [item]
            clean: list[int] = []
            for c in group:
                if isinstance(c, bool) or not isinstance(c, (int, np.integer)):
                    raise VotingError(f"ballot {b}: candidate indices must be integers, got {c!r}")
                ci = int(c)
                if ci < 0:
                    raise VotingError(
                        f"ballot {b}: candidate indices must be >= 0 in the tied form"
                    )
                if ci in seen:
                    raise VotingError(f"ballot {b}: candidate {ci} is ranked more than once")
                seen.add(ci)
                clean.append(ci)
                top = max(top, ci)
            if clean:
                groups.append(clean)
        ballots.append(groups)
    n = top + 1 if n_candidates is None else int(n_candidates)
    if n_candidates is not None and top >= n:
        raise VotingError(f"candidate index {top} is out of range for n_candidates={n}")
    if n < 1:
        raise VotingError("there must be at least one candidate")
    return ballots, n


def _ragged_to_array(ranks: Any) -> Arr:
    if isinstance(ranks, np.ndarray):
        return ranks
    rows = [list(r) for r in ranks]
    width = max((len(r) for r in rows), default=0)
    out = np.full((len(rows), width), -1, dtype=np.int64)
    for i, r in enumerate(rows):
        if r:
            for x in r:
                if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
                    raise VotingError(f"ballot {i}: candidate indices must be integers, got {x!r}")
            out[i, : len(r)] = r
    return out


def _validate_array(arr: Any, n_candidates: int | None) -> tuple[Arr, int]:
    """Check a strict ranks array; return it column-major in a compact dtype (+ a -1 row).

    Vectorised and cache-friendly: blocks of ballots are range-checked (min/max), copied
    transposed into the compact array, and checked column by column while still in cache
    (-1 only trails; no candidate repeats, via a bit set per ballot).
    """
    a = np.asarray(arr)
    if a.ndim != 2:
        raise VotingError(f"ranks must be a 2-D array (n_ballots, max_ranks), got {a.ndim}-D")
    if a.dtype.kind not in "iu":
        raise VotingError(f"ranks must hold integer candidate indices, got dtype {a.dtype}")
    if n_candidates is not None and int(n_candidates) < 1:
        raise VotingError("there must be at least one candidate")
    nb, m = a.shape
    limit = int(n_candidates) - 1 if n_candidates is not None else None
    dt = _compact_dtype(int(n_candidates)) if n_candidates is not None else np.int8
    step = max(1, (1 << 17) // max(1, m))  # about 1 MB of int64 per block
    while True:
        cols = np.empty((m + 1, nb), dtype=dt)
        cols[m] = -1
        top = int(np.iinfo(dt).max)
        hi = -1
        widened = False
        for i in range(0, nb, step):
            block = a[i : i + step]
            if block.size == 0:
                continue
            b_lo, b_hi = int(block.min()), int(block.max())
            if b_lo < -1:
                raise VotingError(
                    "ranks may only hold candidate indices >= 0 and -1 after the last preference"
                )
            if limit is not None and b_hi > limit:
                raise VotingError(
                    f"candidate index {b_hi} is out of range for n_candidates={limit + 1}"
                )
            if b_hi > top:
                widened = True
                break
            hi = max(hi, b_hi)
            cols[:m, i : i + step] = block.T
            _check_columns(cols[:m, i : i + step], b_hi + 1, i)
        if not widened:
            break
        if dt is np.int32:
            raise VotingError("candidate indices must be below 2**31")
        dt = np.int16 if dt is np.int8 else np.int32
    n = hi + 1 if n_candidates is None else int(n_candidates)
    if n < 1:
        raise VotingError("there must be at least one candidate")
    return cols, n


def _check_columns(cols: Arr, n: int, offset: int = 0) -> None:
    """Gaps and repeats in a block of columns; ``n`` bounds the candidate indices present."""
    m, nb = cols.shape
    if m == 0 or nb == 0:
        return
    if n <= 63:
        bt = np.int32 if n <= 31 else np.int64
        one = bt(1)
        bits: Arr = np.zeros(nb, dtype=bt)
        # acc = sum over valid entries of (1 + k * j): count = acc % k, position sum = acc // k.
        # The valid entries sit in the first `count` places (no gap) exactly when their
        # positions add up to 0 + 1 + ... + (count - 1).
        k = 1 << max(1, int(m).bit_length())
        at = np.int32 if (m * m * k) < 2**31 else np.int64
        acc: Arr = np.zeros(nb, dtype=at)
        for j in range(m):
            col = cols[j]
            acc += (col >= 0) * at(1 + k * j)
            # numpy defines a shift by a negative or too-large amount as 0, so -1 adds no bit.
            bits |= np.left_shift(one, col, dtype=bt)
        count = acc % k
        bad = acc // k != count * (count - 1) // 2
        if bad.any():
            b = offset + int(np.flatnonzero(bad)[0])
            raise VotingError(f"ballot {b}: -1 may only follow the last preference (no gaps)")
        dup = np.bitwise_count(bits) != count
    else:
        valid = cols >= 0
        gap = valid[1:] & ~valid[:-1]
        if gap.any():
            b = offset + int(np.flatnonzero(gap.any(axis=0))[0])
            raise VotingError(f"ballot {b}: -1 may only follow the last preference (no gaps)")
        s = np.sort(cols, axis=0)
        dup = ((s[1:] == s[:-1]) & (s[1:] >= 0)).any(axis=0)
    if dup.any():
        b = offset + int(np.flatnonzero(dup)[0])
        raise VotingError(f"ballot {b}: a candidate may appear only once per ballot")


def _expand_ties(ballots: list[list[list[int]]], weights: Arr | None) -> tuple[Arr, Arr, int]:
    """Strict rows (padded), integer weights in units of 1/scale, and scale (lcm of k!)."""
    fact_per: list[int] = []
    for b, groups in enumerate(ballots):
        f = 1
        for g in groups:
            f *= math.factorial(len(g))
        if f > _MAX_TIE_ORDERINGS:
            raise VotingError(
                f"ballot {b}: equal rankings allow {f} orders; at most {_MAX_TIE_ORDERINGS} are supported"
            )
        fact_per.append(f)
    scale = math.lcm(*fact_per) if fact_per else 1
    if weights is not None and weights.dtype.kind == "f":
        raise VotingError("ballots with equal rankings need integer weights")
    rows: list[list[int]] = []
    wts: list[int] = []
    for b, groups in enumerate(ballots):
        wb = 1 if weights is None else int(weights[b])
        share = scale // fact_per[b] * wb
        orders: list[list[int]] = [[]]
        for g in groups:
            orders = [o + list(p) for o in orders for p in permutations(g)]
        for o in orders:
            rows.append(o)
            wts.append(share)
    width = max((len(r) for r in rows), default=0)
    arr = np.full((len(rows), width), -1, dtype=np.int64)
    for i, r in enumerate(rows):
        arr[i, : len(r)] = r
    return arr, np.asarray(wts, dtype=np.int64), scale


def _strict_ballots(
    ranks: Any, weights: Any, n_candidates: int | None, exclude: Any = None
) -> _Strict:
    """Validate any accepted ballot form into strict column-major ballots."""
    if _is_tied_form(ranks):
        ballots, n = _parse_tied(ranks, n_candidates)
        w = _check_weights(weights, len(ballots))
        if exclude is not None:
            mask = _check_mask(exclude, len(ballots), n)
            ballots = [
                [[c for c in g if not mask[b, c]] for g in groups]
                for b, groups in enumerate(ballots)
            ]
            ballots = [[g for g in groups if g] for groups in ballots]
        arr, w2, scale = _expand_ties(ballots, w)
        cols, _ = _validate_array(arr, n)
        return _Strict(cols, n, w2, scale)
    a = _ragged_to_array(ranks)
    w = _check_weights(weights, a.shape[0] if a.ndim >= 1 else 0)
    if exclude is not None:
        cols0, n = _validate_array(a, n_candidates)
        a = skip_candidates(cols0[:-1].T, _check_mask(exclude, cols0.shape[1], n))
        cols, _ = _validate_array(a, n)
        return _Strict(cols, n, w)
    cols, n = _validate_array(a, n_candidates)
    return _Strict(cols, n, w)


def _check_mask(mask: Any, n_ballots: int, n: int) -> Arr:
    mk = np.asarray(mask)
    if mk.dtype.kind != "b":
        raise VotingError("exclude must be a boolean mask of shape (n_ballots, n_candidates)")
    if mk.shape != (n_ballots, n):
        raise VotingError(
            f"exclude must have shape (n_ballots, n_candidates) = ({n_ballots}, {n}), got {mk.shape}"
        )
    return mk


def skip_candidates(ranks: Any, mask: Any) -> Arr:
    """Remove from each ballot the candidates its voter may not rank, closing up the gaps.

    ``ranks``: int array (n_ballots, max_ranks), -1 after the last preference.
    ``mask``:  bool array (n_ballots, n_candidates); ``mask[b, c]`` True means ballot b skips c
    (e.g. the member declared a conflict of interest with application c).

    Returns a new array of the same shape: the kept preferences in their original order,
    then -1.

    >>> skip_candidates(np.array([[2, 0, 1]]), np.array([[True, False, False]])).tolist()
    [[2, 1, -1]]
    """
    a = np.asarray(ranks)
    if a.ndim != 2 or a.dtype.kind not in "iu":
        raise VotingError("ranks must be a 2-D integer array (n_ballots, max_ranks)")
    mk = np.asarray(mask)
    if mk.dtype.kind != "b" or mk.ndim != 2 or mk.shape[0] != a.shape[0]:
        raise VotingError("mask must be a boolean array of shape (n_ballots, n_candidates)")
    if a.size and int(a.max()) >= mk.shape[1]:
        raise VotingError("mask has fewer columns than there are candidates in the ballots")
    if a.size and int(a.min()) < -1:
        raise VotingError(
            "ranks may only hold candidate indices >= 0 and -1 after the last preference"
        )
    valid = a >= 0
    rows = np.arange(a.shape[0])[:, None]
    keep = valid & ~mk[rows, np.where(valid, a, 0)]
    order = np.argsort(~keep, axis=1, kind="stable")
    out = np.take_along_axis(a, order, axis=1).copy()
    out[~np.take_along_axis(keep, order, axis=1)] = -1
    return out


# --------------------------------------------------------------------------------------------
# Shared counting helpers
# --------------------------------------------------------------------------------------------


def _check_tie_break(tie_break: str, rng: Any) -> None:
    if tie_break not in TIE_BREAKS:
        raise VotingError(f"tie_break must be one of {', '.join(TIE_BREAKS)}; got {tie_break!r}")
    if "random" in tie_break and not isinstance(rng, np.random.Generator):
        raise VotingError(f'tie_break="{tie_break}" needs rng, a numpy.random.Generator')


def _break_tie(
    tied: Sequence[int],
    *,
    loser: bool,
    history: Sequence[Any],
    tie_break: str,
    rng: np.random.Generator | None,
    statutory_lot: bool = False,
) -> tuple[int, str]:
    """Pick one of ``tied``: the one to exclude (``loser``) or the one to favour.

    ``history`` holds earlier rounds' tallies (indexable by candidate), oldest first.
    ``statutory_lot``: the rule being followed would draw a lot where earlier rounds do not
    separate the group (Scottish STV rules 49(3), 51(2)(b)); with ``"previous-rounds"`` (no
    ``rng``) the note then says that a lot would be drawn and that candidate order stood in.
    Returns the choice and a sentence for the round note.
    """
    group = sorted(tied)
    if tie_break.startswith("previous-rounds"):
        for past in reversed(history):
            vals = [past[c] for c in group]
            target = min(vals) if loser else max(vals)
            narrowed = [c for c, v in zip(group, vals, strict=True) if v == target]
            if len(narrowed) < len(group):
                group = narrowed
                if len(group) == 1:
                    return group[0], f"tie between {_names(tied)} broken by earlier rounds' tallies"
    if "random" in tie_break:
        assert rng is not None  # checked by _check_tie_break
        pick = group[int(rng.integers(len(group)))]
        return pick, f"tie between {_names(group)} broken by lot (numpy Generator): {pick}"
    pick = max(group) if loser else min(group)
    how = "the latest in candidate order" if loser else "the earliest in candidate order"
    if statutory_lot and tie_break == "previous-rounds":
        return pick, (
            f"tie between {_names(group)}, equal at every earlier stage: the rules would draw "
            f"a lot here; no random generator was given, so candidate order decides instead "
            f"({how}: {pick})"
        )
    return pick, f"tie between {_names(group)} broken by candidate order ({how}: {pick})"


def _names(cands: Sequence[int]) -> str:
    return ", ".join(str(c) for c in sorted(cands))


def _empty_seats_note(seats: int, filled: int) -> str:
    empty = seats - filled
    verb = "stays" if empty == 1 else "stay"
    return (
        f"every candidate is elected; {empty} of the {seats} seats {verb} empty "
        "(more seats than candidates)"
    )


def _elected_note(new: Sequence[int]) -> str:
    if len(new) == 1:
        return f"{new[0]} reaches the quota and is elected"
    return f"{_names(new)} reach the quota and are elected"


def _advance(cols: Arr, fp: Arr, rows: Arr, stop: Arr) -> Arr:
    """Move ballots ``rows`` on to their next preference that ``stop`` accepts.

    ``cols`` is the column-major ballot array, ``fp`` each ballot's flat position in it (its
    current preference), updated in place.  ``stop`` is a bool lookup of length n + 1 indexed by
    candidate (index -1, its last entry, must be True so exhausted ballots stop).  Returns the
    candidates the rows now sit with (-1 = exhausted).  Loops only over rows still moving.
    """
    flat = cols.reshape(-1)
    stride = cols.shape[1]
    # ndarray.take gathers faster than fancy indexing; the arithmetic is done in place
    g = fp.take(rows)
    g += stride
    c = flat.take(g)
    moving = np.flatnonzero(~stop.take(c))
    while moving.size:
        gm = g.take(moving)
        gm += stride
        g[moving] = gm
        cm = flat.take(gm)
        c[moving] = cm
        moving = moving[~stop.take(cm)]
    fp[rows] = g
    return c


_CHUNK = 1 << 14  # ballots per block when summing: bounds the index/weight temporaries


def _sum_by(cands: Arr, weights: Arr | None, n: int, exact: bool) -> Arr:
    """Weight per candidate for ballots at ``cands`` (-1 entries go to index n).

    Exact sums (no or integer weights) are taken block by block, so the temporaries stay small
    whatever the number of ballots; float weights are summed in one pass, in ballot order.
    """
    if weights is not None and not exact:
        idx = cands.astype(np.intp)
        idx[idx < 0] = n
        return np.bincount(idx, weights=weights, minlength=n + 1)
    out = np.zeros(n + 1, dtype=np.int64)
    for i in range(0, cands.shape[0], _CHUNK):
        w = None if weights is None else weights[i : i + _CHUNK]
        _add_block(out, cands[i : i + _CHUNK], w)
    return out


def _add_block(out: Arr, cands: Arr, weights: Arr | None) -> None:
    """``out[c] +=`` the (integer) weight of the ballots at ``c``; -1 adds to ``out[-1]``."""
    idx = cands.astype(np.intp)
    idx += 1  # -1 (exhausted) -> 0; candidate indices stay below the dtype's maximum
    if weights is None:
        s = np.bincount(idx, minlength=out.shape[0])
    else:
        # float64 sums of integers are exact below 2**53, which callers guarantee
        s = np.rint(np.bincount(idx, weights=weights, minlength=out.shape[0])).astype(np.int64)
    out[:-1] += s[1:]
    out[-1] += s[0]


def _paper_sum(cands: Arr, n: int, counts: Arr | None, value: Arr, rows: Arr | None) -> Arr:
    """Exact weight ``counts * value`` per candidate of the ballots ``rows`` (all if None).

    ``cands`` are those ballots' candidates (-1 exhausted, summed at index n).  Block-wise, so
    no ballot-sized temporaries are made.
    """
    out = np.zeros(n + 1, dtype=np.int64)
    for i in range(0, cands.shape[0], _CHUNK):
        sel: Any = slice(i, i + _CHUNK) if rows is None else rows[i : i + _CHUNK]
        w = value[sel]
        if counts is not None:
            w = counts[sel] * w.astype(np.int64)
        _add_block(out, cands[i : i + _CHUNK], w)
    return out


def _num(x: Any, scale: int = 1) -> Any:
    """A tally as a plain Python number (exact where the arithmetic is)."""
    if isinstance(x, (np.integer, int)):
        v = int(x)
        return v if scale == 1 else Fraction(v, scale)
    return float(x)


# --------------------------------------------------------------------------------------------
# IRV
# --------------------------------------------------------------------------------------------


def irv(
    ranks: Any,
    *,
    weights: Any = None,
    n_candidates: int | None = None,
    tie_break: str = "order",
    rng: np.random.Generator | None = None,
    exclude: Any = None,
) -> CountResult:
    """Instant-runoff voting (alternative vote): one winner.

    Rule: each ballot counts for its highest-ranked continuing candidate.  A candidate with
    *more than half* of the votes held by continuing candidates wins (exhausted ballots do not
    count towards the total, so the threshold is ``total // 2 + 1`` for whole-number tallies).
    Otherwise the candidate with the fewest votes is excluded (ties: ``tie_break``) and each of
    its ballots moves to its next continuing preference; a ballot with none is exhausted.  When
    one candidate remains it wins.  Candidates are excluded one at a time (no batch exclusion).

    Parameters
    ----------
    ranks : int array (n_ballots, max_ranks), -1 after the last preference; or the tied form
        (see the module docstring: a tied group splits the vote equally).
    weights : (n_ballots,) non-negative numbers; integers keep tallies exact (Python ints),
        floats give float tallies.
    n_candidates : default ``max(ranks) + 1``.
    tie_break : ``"order"`` (exclude the tied candidate with the highest index), ``"previous-
        rounds"``, ``"previous-rounds-random"`` or ``"random"`` (needs ``rng``).
    exclude : bool (n_ballots, n_candidates); ballot b skips candidate c where True (a member's
        conflicts of interest).  See :func:`skip_candidates`.

    Differences from ``pref_voting.iterative_methods.instant_runoff``: that function removes
    *all* candidates tied for fewest votes at once unless given a ``tie_breaker``; this one
    excludes one (``tie_break="order"`` equals its ``tie_breaker=list(reversed(range(n)))``).

    >>> irv(np.array([[0, 1], [1, 0], [2, 1]])).winners
    (1,)
    """
    _check_tie_break(tie_break, rng)
    sb = _strict_ballots(ranks, weights, n_candidates, exclude)
    n, cols, w = sb.n, sb.cols, sb.weights
    exact = sb.exact
    nb = sb.n_ballots
    cur = cols[0].copy()
    fp = np.arange(nb, dtype=np.int32 if cols.size < 2**31 else np.int64)
    sums = _sum_by(cur, w, n, exact)
    tallies = sums[:n].copy()
    exhausted = sums[n]
    continuing = np.ones(n, dtype=bool)
    stop = np.ones(n + 1, dtype=bool)  # stop[c]: a ballot may rest at c (or -1: exhausted)
    history: list[Arr] = []
    rounds: list[CountRound] = []
    winner: int | None = None
    while winner is None:
        cont = np.flatnonzero(continuing)
        total = tallies[cont].sum()
        tally_map = {int(c): _num(tallies[c], sb.scale) for c in cont}
        if exact:
            threshold: Any = (
                _num(total // 2 + 1, sb.scale)
                if sb.scale == 1
                else Fraction(int(total), 2 * sb.scale)
            )
        else:
            threshold = float(total) / 2
        top = int(cont[np.argmax(tallies[cont])])
        majority = tallies[top] * 2 > total
        if majority or cont.size == 1:
            winner = top
            note = (
                f"{top} has more than half of the continuing votes and is elected"
                if majority
                else f"{top} is the only continuing candidate and is elected"
            )
            rounds.append(
                CountRound(
                    len(rounds) + 1,
                    tally_map,
                    threshold,
                    (top,),
                    (),
                    {},
                    _num(exhausted, sb.scale),
                    note,
                )
            )
            break
        low = tallies[cont].min()
        tied = [int(c) for c in cont if tallies[c] == low]
        note = ""
        if len(tied) > 1:
            loser, note = _break_tie(
                tied, loser=True, history=history, tie_break=tie_break, rng=rng
            )
            note += "; "
        else:
            loser = tied[0]
        continuing[loser] = False
        stop[loser] = False
        rows = np.flatnonzero(cur == loser)
        moved_to = _advance(cols, fp, rows, stop)
        cur[rows] = moved_to
        wr = None if w is None else w[rows]
        got = _sum_by(moved_to, wr, n, exact)
        transfers: dict[int, Any] = {loser: -_num(tallies[loser], sb.scale)}
        for c in np.flatnonzero(got[:n]):
            transfers[int(c)] = _num(got[c], sb.scale)
        history.append(tallies.copy())
        tallies[:n] += got[:n]
        tallies[loser] = 0
        exhausted = exhausted + got[n]
        note += f"{loser} has the fewest votes and is excluded"
        rounds.append(
            CountRound(
                len(rounds) + 1,
                tally_map,
                threshold,
                (),
                (loser,),
                transfers,
                _num(exhausted, sb.scale),
                note,
            )
        )
    return CountResult("irv", (winner,), tuple(rounds), {"n_candidates": n, "tie_break": tie_break})


# --------------------------------------------------------------------------------------------
# STV
# --------------------------------------------------------------------------------------------


def stv(
    ranks: Any,
    seats: int,
    *,
    weights: Any = None,
    n_candidates: int | None = None,
    method: str = "scottish",
    decimals: int = 5,
    tie_break: str | None = None,
    rng: np.random.Generator | None = None,
    exclude: Any = None,
    meek_tolerance: float = 1e-9,
) -> CountResult:
    """Single transferable vote for ``seats`` places.

    ``method="scottish"`` (default) follows The Scottish Local Government Elections Order 2007
    (SSI 2007/42), Schedule 1, rules 45-52:

    * Quota (rule 46): ``floor(valid_papers / (seats + 1)) + 1``, fixed for the count; a valid
      paper is a ballot with at least one preference.
    * Election (rules 47, 52): a continuing candidate whose votes reach the quota is elected;
      when the continuing candidates are no more than the vacancies left, all are elected.
      In that last stage every winner's tally is the votes it actually holds (a candidate
      elected earlier, whose surplus moved, holds the quota); the quota is only the
      ``threshold``.  With more seats than candidates every candidate is elected and the
      other seats stay empty (the note says so); the quota still uses ``seats``.
    * Surplus (rule 48, weighted inclusive Gregory): *all* the elected candidate's papers are
      transferred to their next continuing preference, each at the transfer value
      ``truncate_d(surplus * value_of_the_paper / candidate_total)`` (``decimals`` places, 5 in
      the Order); the share of papers with no next preference is non-transferable (counted as
      exhausted); what truncation removes is lost (``details["lost_to_truncation"]``).  The
      elected candidate then keeps exactly the quota.
    * Order (rule 49): one surplus per stage, the largest first; all surpluses before any
      exclusion.  Counting stops when every seat is filled (remaining surpluses are not moved).
    * Exclusion (rules 50, 51): the continuing candidate with fewest votes is excluded and all its
      papers move, at their current values, in one stage.
    * Ties (rules 49(2)-(3), 51(2)): between equal surpluses, the surplus of the candidate who
      had the most votes at the end of the *most recent preceding stage* at which the tied
      candidates had unequal votes is transferred first; between candidates equal and lowest,
      the one with fewest votes at the most recent preceding stage at which they were unequal
      is excluded; a group of three or more is narrowed stage by stage, going back.  If they
      were equal at every stage the Order draws a lot.  The default ``tie_break=None`` means
      ``"previous-rounds"``: the statutory look-back, with candidate order (the earliest
      favoured, the latest excluded) standing in for the lot, and the round's ``note`` says
      that a lot would be drawn.  ``"previous-rounds-random"`` with ``rng`` draws that lot;
      ``"order"`` (candidate order only) and ``"random"`` are also accepted.  Candidates who
      reach the quota at the same stage are elected most votes first, ties the same way.

    Arithmetic is exact: votes are integers in units of ``10**-decimals`` (Python ints, reported
    as :class:`decimal.Decimal`).  Weights must be whole numbers (counts of identical papers).

    ``method="meek"`` is Meek's method (Hill, Wichmann & Woodall 1987): every candidate has a
    keep value (1 hopeful, 0 excluded); each ballot gives each candidate in turn ``keep`` of what
    is left of it; quota = (votes - excess) / (seats + 1); keep values of elected candidates are
    scaled by quota / votes until every elected candidate is within ``meek_tolerance`` of the
    quota; then candidates at the quota are elected or the lowest hopeful is excluded.  Float64
    arithmetic; tallies are reported rounded to ``decimals`` places.  Ties by ``tie_break``
    (default ``None`` means ``"order"`` for Meek); elections and "hopefuls no more than the
    vacancies left" as above.

    Differences from ``pref_voting.proportional_methods.stv_scottish``: that function uses
    floats, breaks ties by history then lot with Python's ``random``, and returns winners sorted
    rather than in order of election; the rules followed are otherwise the same.

    >>> stv(np.array([[0, 1], [0, 1], [0, 2], [1, 2], [2, 1]]), 2).winners
    (0, 1)
    """
    if tie_break is None:
        tie_break = "previous-rounds" if method == "scottish" else "order"
    _check_tie_break(tie_break, rng)
    if isinstance(seats, bool) or not isinstance(seats, (int, np.integer)) or seats < 1:
        raise VotingError("seats must be a whole number >= 1")
    if not isinstance(decimals, (int, np.integer)) or not 0 <= decimals <= 12:
        raise VotingError("decimals must be a whole number from 0 to 12")
    if method not in ("scottish", "meek"):
        raise VotingError(f'method must be "scottish" or "meek"; got {method!r}')
    sb = _strict_ballots(ranks, weights, n_candidates, exclude)
    if not sb.exact:
        raise VotingError("stv needs whole-number weights (counts of identical ballot papers)")
    if method == "meek":
        return _meek(sb, int(seats), int(decimals), tie_break, rng, meek_tolerance)
    return _scottish(sb, int(seats), int(decimals), tie_break, rng)


def _scottish(
    sb: _Strict, seats: int, decimals: int, tie_break: str, rng: np.random.Generator | None
) -> CountResult:
    n, cols = sb.n, sb.cols
    nb = sb.n_ballots
    unit = 10**decimals
    fill = min(seats, n)  # more seats than candidates: every candidate is elected
    counts = sb.weights  # None: one paper per ballot
    if counts is None:
        papers = int(np.count_nonzero(cols[0] >= 0))
    else:
        papers = int(counts[cols[0] >= 0].sum())  # in units of 1/scale
    valid_papers = papers // sb.scale
    quota_votes = valid_papers // (seats + 1) + 1
    quota = quota_votes * unit * sb.scale  # internal units
    if papers * unit >= _EXACT_LIMIT:
        raise VotingError("too many ballots for exact arithmetic at this many decimals")
    # each paper's value in units of 10**-decimals; it never exceeds ``unit``
    value = np.full(nb, unit, dtype=np.int32 if unit < 2**31 else np.int64)
    cur = cols[0].copy()
    fp = np.arange(nb, dtype=np.int32 if cols.size < 2**31 else np.int64)
    stop = np.ones(n + 1, dtype=bool)
    status = np.zeros(
        n, dtype=np.int8
    )  # 0 continuing, 1 elected (surplus pending), 2 done, 3 excluded
    fixed = np.zeros(n, dtype=np.int64)  # tallies of elected candidates whose surplus moved
    elected: list[int] = []
    history: list[Arr] = []
    rounds: list[CountRound] = []
    lost = 0
    denom = unit * sb.scale

    def fmt(v: int) -> Any:
        if sb.scale == 1:
            return Decimal(int(v)).scaleb(-decimals)
        return Fraction(int(v), denom)

    # Votes held by each candidate's papers (index n: exhausted), kept up to date as papers
    # move: exact integers, so equal to a fresh count of every paper at every stage.
    held = _paper_sum(cur, n, counts, value, None)

    def tally() -> tuple[Arr, int]:
        t = held[:n].copy()
        t[status == 2] = fixed[status == 2]
        return t, int(held[n])

    while True:
        t, exhausted = tally()
        shown = {int(c): fmt(t[c]) for c in range(n) if status[c] != 3}
        cont = np.flatnonzero(status == 0)
        new = [int(c) for c in cont if t[c] >= quota]
        note_parts: list[str] = []
        # order candidates reaching the quota together: most votes first
        new.sort(key=lambda c: (-int(t[c]), c))
        for i in range(len(new) - 1):
            if t[new[i]] == t[new[i + 1]]:
                same = [c for c in new if t[c] == t[new[i]]]
                first, why = _break_tie(
                    same, loser=False, history=history, tie_break=tie_break, rng=rng,
                    statutory_lot=True,
                )
                note_parts.append(why)
                rest = [c for c in same if c != first]
                k = new.index(same[0])
                new[k : k + len(same)] = [first, *rest]
        new = new[: fill - len(elected)]
        for c in new:
            status[c] = 1
            stop[c] = False  # an elected candidate receives no further papers
            elected.append(c)
        if new:
            note_parts.append(_elected_note(new))
        cont = np.flatnonzero(status == 0)
        if len(elected) < fill and 0 < cont.size <= fill - len(elected):
            rest_order = sorted(cont.tolist(), key=lambda c: (-int(t[c]), c))
            for c in rest_order:
                status[c] = 2
                fixed[c] = t[c]
                elected.append(c)
            new = new + rest_order
            note_parts.append(
                f"{_names(rest_order)} elected: continuing candidates no more than the vacancies left (rule 52)"
            )
        if len(elected) >= fill:
            if fill < seats:
                note_parts.append(_empty_seats_note(seats, fill))
            rounds.append(
                CountRound(
                    len(rounds) + 1,
                    shown,
                    fmt(quota),
                    tuple(new),
                    (),
                    {},
                    fmt(exhausted),
                    "; ".join(note_parts),
                )
            )
            break
        pending = [int(c) for c in np.flatnonzero(status == 1)]
        surplus_of = {c: int(t[c]) - quota for c in pending}
        with_surplus = [c for c in pending if surplus_of[c] > 0]
        for c in pending:
            if surplus_of[c] <= 0:
                status[c] = 2
                fixed[c] = t[c]
        transfers: dict[int, Any] = {}
        eliminated: tuple[int, ...] = ()
        if with_surplus:
            big = max(surplus_of[c] for c in with_surplus)
            tied = [c for c in with_surplus if surplus_of[c] == big]
            if len(tied) > 1:
                src, why = _break_tie(
                    tied, loser=False, history=history, tie_break=tie_break, rng=rng,
                    statutory_lot=True,
                )
                note_parts.append(why)
            else:
                src = tied[0]
            total = int(t[src])
            surplus = total - quota
            rows = np.flatnonzero(cur == src)
            _transfer_values(value, rows, surplus, total)
            status[src] = 2
            fixed[src] = quota
            stop[src] = False
            moved_to = _advance(cols, fp, rows, stop)
            cur[rows] = moved_to
            got = _paper_sum(moved_to, n, counts, value, rows)
            held[src] = 0
            held += got
            moved = int(got.sum())
            lost += surplus - moved
            transfers[src] = fmt(-surplus)
            for c in np.flatnonzero(got[:n]):
                transfers[int(c)] = fmt(got[c])
            note_parts.append(
                f"surplus of {src} ({fmt(surplus)}) transferred"
                + (f", {fmt(surplus - moved)} lost to truncation" if surplus != moved else "")
            )
        elif cont.size:
            low = t[cont].min()
            tied = [int(c) for c in cont if t[c] == low]
            if len(tied) > 1:
                loser, why = _break_tie(
                    tied, loser=True, history=history, tie_break=tie_break, rng=rng,
                    statutory_lot=True,
                )
                note_parts.append(why)
            else:
                loser = tied[0]
            status[loser] = 3
            stop[loser] = False
            rows = np.flatnonzero(cur == loser)
            moved_to = _advance(cols, fp, rows, stop)
            cur[rows] = moved_to
            got = _paper_sum(moved_to, n, counts, value, rows)
            held[loser] = 0
            held += got
            transfers[loser] = fmt(-int(t[loser]))
            for c in np.flatnonzero(got[:n]):
                transfers[int(c)] = fmt(got[c])
            eliminated = (loser,)
            note_parts.append(f"{loser} has the fewest votes and is excluded")
        else:  # no continuing candidates and seats left: cannot fill them
            rounds.append(
                CountRound(
                    len(rounds) + 1,
                    shown,
                    fmt(quota),
                    tuple(new),
                    (),
                    {},
                    fmt(exhausted),
                    "; ".join(
                        [*note_parts, "no continuing candidates left; seats remain unfilled"]
                    ),
                )
            )
            break
        history.append(t.copy())
        _, exhausted_after = tally()
        rounds.append(
            CountRound(
                len(rounds) + 1,
                shown,
                fmt(quota),
                tuple(new),
                eliminated,
                transfers,
                fmt(exhausted_after),
                "; ".join(note_parts),
            )
        )
    details = {
        "method": "scottish",
        "quota": quota_votes,
        "valid_papers": valid_papers,
        "decimals": decimals,
        "lost_to_truncation": fmt(lost),
        "tie_break": tie_break,
    }
    return CountResult("stv", tuple(elected), tuple(rounds), details)


def _transfer_values(value: Arr, rows: Arr, surplus: int, total: int) -> None:
    """``value[rows] = floor(surplus * value[rows] / total)`` exactly (truncation to the unit).

    Block-wise in int64 while ``surplus * value`` fits; otherwise per distinct value with
    Python integers (papers share few distinct values).
    """
    if rows.size == 0:
        return
    if surplus * int(value.max()) < 2**63:
        for i in range(0, rows.shape[0], _CHUNK):
            r = rows[i : i + _CHUNK]
            value[r] = (surplus * value[r].astype(np.int64)) // total
        return
    vals, inv = np.unique(value[rows], return_inverse=True)
    new = np.array([surplus * int(v) // total for v in vals.tolist()], dtype=value.dtype)
    value[rows] = new[inv.ravel()]


def _meek(
    sb: _Strict,
    seats: int,
    decimals: int,
    tie_break: str,
    rng: np.random.Generator | None,
    tol: float,
) -> CountResult:
    n, cols = sb.n, sb.cols
    fill = min(seats, n)  # more seats than candidates: every candidate is elected
    m = cols.shape[0] - 1
    counts = (
        np.ones(sb.n_ballots) if sb.weights is None else sb.weights.astype(np.float64)
    ) / sb.scale
    idx = [np.where(cols[j] < 0, n, cols[j].astype(np.intp)) for j in range(m)]
    keep = np.ones(n + 1)
    keep[n] = 0.0
    status = np.zeros(n, dtype=np.int8)  # 0 hopeful, 1 elected, 3 excluded
    elected: list[int] = []
    rounds: list[CountRound] = []
    history: list[Arr] = []

    def fmt(v: float) -> Decimal:
        return Decimal(repr(round(float(v), decimals))).quantize(Decimal(1).scaleb(-decimals))

    def distribute() -> tuple[Arr, float]:
        votes = np.zeros(n + 1)
        rem = counts.copy()
        for j in range(m):
            k = keep[idx[j]]
            votes += np.bincount(idx[j], weights=rem * k, minlength=n + 1)
            rem = rem * (1.0 - k)
        return votes[:n], float(rem.sum())

    while True:
        for _ in range(10_000):
            votes, excess = distribute()
            total = float(votes.sum())
            quota = total / (seats + 1)
            el = np.flatnonzero(status == 1)
            if el.size == 0 or np.all(np.abs(votes[el] - quota) <= tol):
                break
            keep[el] = np.minimum(1.0, keep[el] * quota / np.maximum(votes[el], 1e-300))
        shown = {int(c): fmt(votes[c]) for c in range(n) if status[c] != 3}
        hopeful = np.flatnonzero(status == 0)
        new = sorted(
            (int(c) for c in hopeful if votes[c] >= quota - tol), key=lambda c: (-votes[c], c)
        )
        new = new[: fill - len(elected)]
        notes: list[str] = []
        for c in new:
            status[c] = 1
            elected.append(c)
        if new:
            notes.append(_elected_note(new))
        hopeful = np.flatnonzero(status == 0)
        if len(elected) < fill and 0 < hopeful.size <= fill - len(elected):
            rest = sorted(hopeful.tolist(), key=lambda c: (-votes[c], c))
            for c in rest:
                status[c] = 1
            elected.extend(rest)
            new = new + rest
            notes.append(f"{_names(rest)} elected: hopefuls no more than the vacancies left")
            hopeful = np.flatnonzero(status == 0)
        if len(elected) >= fill or hopeful.size == 0:
            if len(elected) < seats:
                notes.append(_empty_seats_note(seats, len(elected)))
            rounds.append(
                CountRound(
                    len(rounds) + 1,
                    shown,
                    fmt(quota),
                    tuple(new),
                    (),
                    {},
                    fmt(excess),
                    "; ".join(notes),
                )
            )
            break
        eliminated: tuple[int, ...] = ()
        if not new:
            low = votes[hopeful].min()
            tied = [int(c) for c in hopeful if votes[c] <= low + tol]
            if len(tied) > 1:
                loser, why = _break_tie(
                    tied, loser=True, history=history, tie_break=tie_break, rng=rng
                )
                notes.append(why)
            else:
                loser = tied[0]
            status[loser] = 3
            keep[loser] = 0.0
            eliminated = (loser,)
            notes.append(f"{loser} has the fewest votes and is excluded")
        history.append(votes.copy())
        rounds.append(
            CountRound(
                len(rounds) + 1,
                shown,
                fmt(quota),
                tuple(new),
                eliminated,
                {},
                fmt(excess),
                "; ".join(notes),
            )
        )
    details = {
        "method": "meek",
        "tolerance": tol,
        "decimals": decimals,
        "tie_break": tie_break,
        "keep_values": {int(c): fmt(keep[c]) for c in elected},
    }
    return CountResult("stv", tuple(elected), tuple(rounds), details)


# --------------------------------------------------------------------------------------------
# Pairwise methods and Borda
# --------------------------------------------------------------------------------------------


def _levels(ranks: Any, weights: Any, n_candidates: int | None) -> tuple[Arr, Arr, int, bool]:
    """Per-ballot preference level of each candidate (0 best; unranked = n, tied last).

    Returns (levels (n_rows, n), weights (n_rows,), n, exact); identical rows are merged.
    """
    if _is_tied_form(ranks):
        ballots, n = _parse_tied(ranks, n_candidates)
        w = _check_weights(weights, len(ballots))
        lev = np.full((len(ballots), n), n, dtype=np.int64)
        for b, groups in enumerate(ballots):
            for g_i, g in enumerate(groups):
                lev[b, g] = g_i
    else:
        a = _ragged_to_array(ranks)
        w = _check_weights(weights, a.shape[0] if a.ndim >= 1 else 0)
        cols, n = _validate_array(a, n_candidates)
        nb = cols.shape[1]
        lev = np.full((nb, n), n, dtype=np.int64)
        for j in range(cols.shape[0] - 1):
            c = cols[j]
            ok = c >= 0
            lev[np.flatnonzero(ok), c[ok].astype(np.intp)] = j
    exact = w is None or w.dtype.kind in "iu"
    if w is None:
        w = np.ones(lev.shape[0], dtype=np.int64)
    if lev.shape[0] > 4 * n * n:
        lev, inv = np.unique(lev, axis=0, return_inverse=True)
        w = np.bincount(inv.ravel(), weights=w, minlength=lev.shape[0])
        w = np.rint(w).astype(np.int64) if exact else w
    return lev, w, n, exact


def _pairwise(lev: Arr, w: Arr, n: int) -> Arr:
    out = np.zeros((n, n), dtype=w.dtype)
    for a in range(n):
        above = lev[:, a : a + 1] < lev  # (rows, n): a strictly above each candidate
        out[a] = w @ above
    return out


def pairwise_matrix(ranks: Any, *, weights: Any = None, n_candidates: int | None = None) -> Arr:
    """``N[a, b]``: total weight of ballots ranking ``a`` strictly above ``b``.

    Equal rankings count for neither; unranked candidates are tied below every ranked one.

    >>> pairwise_matrix(np.array([[0, 1, 2], [1, -1, -1]])).tolist()
    [[0, 1, 1], [1, 0, 2], [0, 0, 0]]
    """
    lev, w, n, _ = _levels(ranks, weights, n_candidates)
    return _pairwise(lev, w, n)


def _order_by_score(
    scores: Sequence[Any], tie_break: str, rng: np.random.Generator | None
) -> tuple[list[int], list[str]]:
    """Candidates from highest score to lowest, ties broken by ``tie_break``."""
    left = list(range(len(scores)))
    out: list[int] = []
    notes: list[str] = []
    while left:
        best = max(scores[c] for c in left)
        tied = [c for c in left if scores[c] == best]
        while tied:
            if len(tied) > 1:
                pick, why = _break_tie(tied, loser=False, history=[], tie_break=tie_break, rng=rng)
                notes.append(why)
            else:
                pick = tied[0]
            out.append(pick)
            tied.remove(pick)
            left.remove(pick)
    return out, notes


def _check_seats(seats: Any, n: int) -> int:
    """``seats`` as an int >= 1.  More seats than candidates is allowed: every candidate wins."""
    del n  # more seats than candidates elects them all (the ranking is cut at ``seats``)
    if isinstance(seats, bool) or not isinstance(seats, (int, np.integer)) or seats < 1:
        raise VotingError("seats must be a whole number >= 1")
    return int(seats)


def _ranking_tie_break(tie_break: str, rng: Any) -> None:
    if tie_break not in ("order", "random"):
        raise VotingError(
            f'tie_break must be "order" or "random" for this method; got {tie_break!r}'
        )
    _check_tie_break(tie_break, rng)



def _single_round(
    method: str, tallies: dict[int, Any], winners: tuple[int, ...], notes: list[str],
    summary: str, details: dict[str, Any],
) -> CountResult:
    """The result of a one-round method: its tallies, winners and how ties were broken."""
    rnd = CountRound(1, tallies, None, winners, (), {}, 0, "; ".join([*notes, summary]))
    return CountResult(method, winners, (rnd,), details)

def borda(
    ranks: Any,
    *,
    weights: Any = None,
    n_candidates: int | None = None,
    seats: int = 1,
    tie_break: str = "order",
    rng: np.random.Generator | None = None,
) -> CountResult:
    """Borda count: the ``seats`` candidates with the highest Borda scores.

    Rule: with n candidates a ballot gives n-1 points to its first preference, n-2 to the second
    and so on down to 0.  Candidates ranked equal share the average of the points of the places
    they occupy; unranked candidates are tied last and share the points of the last places.
    Equivalently ``score(a) = sum over b != a of (N[a,b] + T[a,b] / 2)`` where N is the pairwise
    matrix and T the weight ranking a and b equal; scores are exact (``Fraction`` when halves
    occur).  Ties in score: ``"order"`` (lower index first) or ``"random"`` (``rng``).

    One round: ``tallies`` are the scores, ``elected`` the winners in order;
    ``details["pairwise"]`` is the pairwise matrix.

    >>> borda(np.array([[0, 1, 2], [1, 0, 2], [1, 2, 0]])).winners
    (1,)
    """
    _ranking_tie_break(tie_break, rng)
    lev, w, n, exact = _levels(ranks, weights, n_candidates)
    seats = _check_seats(seats, n)
    pw = _pairwise(lev, w, n)
    total = w.sum()
    twice = (n - 1) * total + (pw.sum(axis=1) - pw.sum(axis=0))
    scores: list[Any] = [Fraction(int(x), 2) if exact else float(x) / 2 for x in twice]
    scores = [int(s) if isinstance(s, Fraction) and s.denominator == 1 else s for s in scores]
    order, notes = _order_by_score(scores, tie_break, rng)
    winners = tuple(order[:seats])
    return _single_round(
        "borda", dict(enumerate(scores)), winners, notes,
        f"highest Borda score: {_names(winners)}",
        {"pairwise": pw.tolist(), "ranking": order},
    )


def schulze(
    ranks: Any,
    *,
    weights: Any = None,
    n_candidates: int | None = None,
    seats: int = 1,
    strength: str = "winning",
    tie_break: str = "order",
    rng: np.random.Generator | None = None,
) -> CountResult:
    """Schulze beat-path method (Schulze 2011).

    Link strength ``d[a,b]`` is ``N[a,b]`` when ``N[a,b] > N[b,a]`` (``strength="winning"``,
    winning votes, Schulze's recommendation) or the margin ``N[a,b] - N[b,a]`` when positive
    (``strength="margin"``), else 0.  ``p[a,b]`` is the strongest path (widest path, computed
    Floyd-Warshall style).  ``a`` beats ``b`` when ``p[a,b] > p[b,a]``; this relation is
    transitive, so candidates are ranked by how many they beat; equal counts (ties in the
    Schulze order) are broken by ``tie_break``.  The winners are the first ``seats``.

    With complete strict ballots both strengths give the same result; pref_voting's
    ``schulze`` uses margins.  ``details`` holds the pairwise matrix and path strengths.

    >>> schulze(np.array([[0, 1, 2], [1, 0, 2], [0, 2, 1]])).winners
    (0,)
    """
    _ranking_tie_break(tie_break, rng)
    if strength not in ("winning", "margin"):
        raise VotingError(f'strength must be "winning" or "margin"; got {strength!r}')
    lev, w, n, _ = _levels(ranks, weights, n_candidates)
    seats = _check_seats(seats, n)
    pw = _pairwise(lev, w, n)
    margin = pw - pw.T
    d = np.where(margin > 0, pw if strength == "winning" else margin, 0)
    p = d.copy()
    for k in range(n):
        p = np.maximum(p, np.minimum(p[:, k : k + 1], p[k : k + 1, :]))
    np.fill_diagonal(p, 0)
    beats = p > p.T
    wins = beats.sum(axis=1)
    order, notes = _order_by_score([int(x) for x in wins], tie_break, rng)
    winners = tuple(order[:seats])
    details = {
        "pairwise": pw.tolist(),
        "strongest_paths": p.tolist(),
        "strength": strength,
        "ranking": order,
    }
    return _single_round(
        "schulze", {c: int(wins[c]) for c in range(n)}, winners, notes,
        "tallies: candidates each one beats by strongest paths",
        details,
    )


def ranked_pairs(
    ranks: Any,
    *,
    weights: Any = None,
    n_candidates: int | None = None,
    seats: int = 1,
    strength: str = "margin",
    tie_break: str = "order",
    rng: np.random.Generator | None = None,
) -> CountResult:
    """Tideman's ranked pairs (Tideman 1987).

    Every pair with ``N[a,b] > N[b,a]`` is a majority a over b, with strength the margin
    ``N[a,b] - N[b,a]`` (default) or the winning votes ``N[a,b]``.  Majorities are taken
    strongest first and *locked in* unless they would create a cycle with those already locked.
    Equal strengths are ordered by ``tie_break``: ``"order"`` takes the pair whose winner has the
    lower index first, then the lower loser index (a fixed tie-breaking order in the spirit of
    Zavist & Tideman 1989); ``"random"`` shuffles them with ``rng``.  The result ranks candidates
    by the locked graph (topological order; candidates it leaves unordered, i.e. tied pairs, by
    ``tie_break``); the winners are the first ``seats``.

    pref_voting's ``ranked_pairs`` returns every candidate that wins under *some* order of
    equal-strength pairs; with distinct strengths the two agree.

    >>> ranked_pairs(np.array([[0, 1, 2], [1, 2, 0], [2, 0, 1], [0, 1, 2]])).winners
    (0,)
    """
    _ranking_tie_break(tie_break, rng)
    if strength not in ("winning", "margin"):
        raise VotingError(f'strength must be "winning" or "margin"; got {strength!r}')
    lev, w, n, _ = _levels(ranks, weights, n_candidates)
    seats = _check_seats(seats, n)
    pw = _pairwise(lev, w, n)
    margin = pw - pw.T
    pairs = [(a, b) for a in range(n) for b in range(n) if margin[a, b] > 0]
    strength_of = {(a, b): (margin[a, b] if strength == "margin" else pw[a, b]) for a, b in pairs}
    if tie_break == "random":
        assert rng is not None
        perm = rng.permutation(len(pairs))
        pairs = [pairs[i] for i in perm]
        pairs.sort(key=lambda ab: -strength_of[ab])
    else:
        pairs.sort(key=lambda ab: (-strength_of[ab], ab[0], ab[1]))
    locked = np.zeros((n, n), dtype=bool)
    reach = np.eye(n, dtype=bool)  # reach[x, y]: path x -> y in the locked graph
    locked_list: list[list[int]] = []
    skipped: list[list[int]] = []
    for a, b in pairs:
        if reach[b, a]:
            skipped.append([a, b])
            continue
        locked[a, b] = True
        locked_list.append([a, b])
        reach |= np.outer(reach[:, a], reach[b, :])
    order: list[int] = []
    left = set(range(n))
    notes: list[str] = []
    while left:
        sources = [c for c in left if not any(locked[x, c] for x in left)]
        if len(sources) > 1:
            pick, why = _break_tie(sources, loser=False, history=[], tie_break=tie_break, rng=rng)
            notes.append(why)
        else:
            pick = sources[0]
        order.append(pick)
        left.remove(pick)
    winners = tuple(order[:seats])
    details = {
        "pairwise": pw.tolist(),
        "locked": locked_list,
        "skipped": skipped,
        "strength": strength,
        "ranking": order,
    }
    return _single_round(
        "ranked-pairs", {c: int(locked[c].sum()) for c in range(n)}, winners, notes,
        "tallies: locked majorities each candidate holds",
        details,
    )


def approval(
    approvals: Any,
    *,
    weights: Any = None,
    seats: int = 1,
    tie_break: str = "order",
    rng: np.random.Generator | None = None,
) -> CountResult:
    """Approval voting: the ``seats`` candidates approved by the most (weighted) voters.

    ``approvals``: bool (or 0/1) array (n_voters, n_candidates).  Ties in approvals:
    ``"order"`` (lower index first) or ``"random"`` (``rng``).  One round with the counts.

    >>> approval(np.array([[1, 1, 0], [0, 1, 1]], dtype=bool)).winners
    (1,)
    """
    _ranking_tie_break(tie_break, rng)
    a = np.asarray(approvals)
    if a.ndim != 2:
        raise VotingError("approvals must be a 2-D array (n_voters, n_candidates)")
    if a.dtype.kind != "b":
        if a.dtype.kind not in "iuf" or not np.all((a == 0) | (a == 1)):
            raise VotingError("approvals must be booleans or 0/1")
        a = a.astype(bool)
    n = a.shape[1]
    if n < 1:
        raise VotingError("there must be at least one candidate")
    seats = _check_seats(seats, n)
    w = _check_weights(weights, a.shape[0])
    if w is None:
        counts: list[Any] = [int(x) for x in a.sum(axis=0)]
    elif w.dtype.kind in "iu":
        counts = [int(x) for x in w @ a]
    else:
        counts = [float(x) for x in w @ a]
    order, notes = _order_by_score(counts, tie_break, rng)
    winners = tuple(order[:seats])
    return _single_round(
        "approval", dict(enumerate(counts)), winners, notes,
        f"most approved: {_names(winners)}",
        {"ranking": order},
    )
