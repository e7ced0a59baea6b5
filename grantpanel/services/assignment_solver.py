"""Who reads which application: an optimal assignment by minimum-cost flow (OR-Tools).

Pure: numpy arrays in, numpy arrays out. No database, Flask, clock or randomness; the
service :mod:`grantpanel.services.assignment` gathers the arrays and stores the result.
(This lives in ``grantpanel`` rather than ``voting`` because ``voting`` stays numpy-only.)

The problem
-----------
``A`` applications (indices ``0 .. A-1``, the caller passes them in reference order) and
``M`` panel members (``0 .. M-1``, in panel-number order); ``k`` readers per application.

- A pair ``(a, m)`` is *allowed* unless member ``m`` has a conflict with application ``a``.
- ``capacity[m]`` is the most applications member ``m`` reads in all (``-1``: no limit;
  ``0``: reads nothing more, e.g. a member who has left).
- *Fixed* pairs are kept whatever happens (made by hand, or the member has started scoring
  the application). They count towards the application's ``k`` and the member's load.
- *Current* pairs are the assignment as it stands (made automatically earlier). Keeping one
  is cheaper than making a new one, so a re-run changes as little as it can.
- ``bids[i] = (a, m, b)``: member ``m`` would like to read ``a`` (``b = +1``) or would rather
  not (``b = -1``).
- ``only``: the applications to (re)assign. Every other application keeps its current and
  fixed pairs as they are, and they count in the members' loads. (A late conflict or a member
  leaving re-assigns only the applications it touched.)

The rule
--------
In this order of priority (each one decides only among the answers the ones before leave):

1. **Never** a pair that is not allowed; never more than a member's capacity (their fixed
   pairs count; a member already over their capacity by fixed pairs gets nothing more); fixed
   pairs are always kept; readers are added to an application only up to ``k`` (fixed pairs
   above ``k`` are kept, nothing is added).
2. **Most readers.** The number of pairs is as large as it can be. An application left with
   fewer than ``k`` readers is *short* (:attr:`Solution.short`): the conflicts and capacities
   allow no more.
3. **Balanced loads.** Among those, the members' loads (fixed pairs included) minimise the
   sum of their squares, which makes them as even as the conflicts and capacities allow: the
   largest load is as small as possible, the smallest as large as possible, and
   ``max - min <= 1`` among members held back by none of them.
4. **Fewest changes.** Among those, the fewest pairs that are not in the current assignment.
5. **Preferences.** Among those, the least total preference cost: 0 for a pair the member
   would like to read, 1 for no preference, 2 for "rather not".

Ties (several assignments equally good by rules 1 to 5) are settled by the solver, which is
deterministic: the same applications, members, conflicts, capacities, bids, current and fixed
pairs always give the same assignment (arcs are added in application order, then member
order). No further rule, such as "lower numbers first", is promised.

How it is solved
----------------
A flow network: source -> application (capacity: readers still needed) -> member (one arc
per allowed pair, capacity 1) -> sink. Costs are integers. Rules 4 and 5 are one arc cost,
``D * new + preference`` with ``D = min(2 * pairs to place, number of bids) + 1``, so one
change always costs more than any possible saving in preferences (a pair without a bid costs
1, so two assignments differ in preference cost by at most one per bid).

*Even* (the usual case): the even share of the load is computed without looking at conflicts
(water-filling: every member up to the same level ``t``, within their fixed load and
capacity); each member's load is then held between the levels ``t`` and ``t + 1``, and one
minimum-cost flow (OR-Tools ``SimpleMinCostFlow.solve``) places every reader still needed.
Such loads are the most even possible, so when this flow exists it meets rules 2 and 3 and
is optimal for 4 and 5.

*Most even* (when the conflicts or capacities make the even share impossible): first a
maximum flow of minimum cost in which the ``j``-th application a member reads costs ``j``
(a convex cost, one unit arc per load step), which gives the most readers (rule 2) with loads
of least sum of squares (rule 3); then, holding each member's load at exactly that value,
the minimum-cost flow of rules 4 and 5. (When several members could take the last reader of
a level, the first flow chooses which, without regard to rules 4 and 5.)

Public API: :class:`Problem`, :class:`Solution`, :func:`solve`, :class:`SolverError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow

__all__ = ["NO_LIMIT", "Problem", "Solution", "SolverError", "solve"]

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: ``capacity[m]`` for a member with no limit.
NO_LIMIT = -1
#: Preference cost of a pair (rule 5), by bid: would like, none, rather not.
PREFERENCE_COST = {1: 0, 0: 1, -1: 2}


class SolverError(ValueError):
    """The arrays describe no valid problem, or the solver failed (names which)."""


def _pairs(value: Any, name: str, n_apps: int, n_members: int, width: int = 2) -> IntArray:
    arr = np.asarray(value if value is not None else np.empty((0, width)), dtype=np.int64)
    if arr.size == 0:
        return np.empty((0, width), dtype=np.int64)
    if arr.ndim != 2 or arr.shape[1] != width:
        raise SolverError(f"{name} must be an array of shape (n, {width})")
    if arr[:, 0].min() < 0 or arr[:, 0].max() >= n_apps:
        raise SolverError(f"{name} names an application outside 0..{n_apps - 1}")
    if arr[:, 1].min() < 0 or arr[:, 1].max() >= n_members:
        raise SolverError(f"{name} names a member outside 0..{n_members - 1}")
    return arr


def _matrix(pairs: IntArray, shape: tuple[int, int]) -> BoolArray:
    out = np.zeros(shape, dtype=bool)
    if len(pairs):
        out[pairs[:, 0], pairs[:, 1]] = True
    return out


@dataclass(frozen=True)
class Problem:
    """One assignment problem (see the module docstring). Arrays are copied and checked.

    n_applications, n_members: ``A`` and ``M``.
    readers: ``k`` (at least 1).
    capacity: int array, shape (M,): the most applications each member reads, ``-1`` for no
        limit (default: no limit for anyone).
    conflicts, current, fixed: int arrays of shape (n, 2) of ``(application, member)``.
    bids: int array of shape (n, 3) of ``(application, member, +1 or -1)``.
    only: int array of application indices to (re)assign, or ``None`` for all.
    """

    n_applications: int
    n_members: int
    readers: int
    capacity: Any = None
    conflicts: Any = None
    current: Any = None
    fixed: Any = None
    bids: Any = None
    only: Any = None

    def __post_init__(self) -> None:
        a, m = self.n_applications, self.n_members
        if not isinstance(a, int) or not isinstance(m, int) or a < 0 or m < 0:
            raise SolverError("n_applications and n_members must be whole numbers >= 0")
        if not isinstance(self.readers, int) or isinstance(self.readers, bool) \
                or self.readers < 1:
            raise SolverError("readers must be a whole number >= 1")
        cap = np.full(m, NO_LIMIT, dtype=np.int64) if self.capacity is None \
            else np.asarray(self.capacity, dtype=np.int64)
        if cap.shape != (m,) or (cap < NO_LIMIT).any():
            raise SolverError("capacity must have one entry >= -1 per member")
        object.__setattr__(self, "capacity", cap)
        for name in ("conflicts", "current", "fixed"):
            object.__setattr__(self, name, _pairs(getattr(self, name), name, a, m))
        bids = _pairs(self.bids, "bids", a, m, width=3)
        if len(bids) and not np.isin(bids[:, 2], (-1, 1)).all():
            raise SolverError("a bid must be +1 (would like) or -1 (rather not)")
        object.__setattr__(self, "bids", bids)
        if self.only is None:
            only = np.arange(a, dtype=np.int64)
        else:
            only = np.unique(np.asarray(self.only, dtype=np.int64))
            if len(only) and (only.min() < 0 or only.max() >= a):
                raise SolverError(f"only names an application outside 0..{a - 1}")
        object.__setattr__(self, "only", only)


@dataclass(frozen=True)
class Solution:
    """The assignment after :func:`solve`.

    pairs: int array (n, 2) of every ``(application, member)`` pair now assigned (fixed,
        kept and new, and the untouched pairs of applications outside ``only``), sorted.
    readers: readers per application, shape (A,).
    loads: applications per member, shape (M,).
    short: indices of the applications (of ``only``) with fewer than ``k`` readers.
    added: pairs new since ``current`` and ``fixed``; removed: pairs of ``current`` dropped.
    even: True when the even share was possible (see "How it is solved").
    """

    pairs: IntArray
    readers: IntArray
    loads: IntArray
    short: IntArray
    added: IntArray
    removed: IntArray
    even: bool
    stats: dict[str, Any] = field(default_factory=dict, compare=False)


def _water_level(floor: IntArray, ceiling: IntArray, total: int) -> tuple[IntArray, IntArray]:
    """The even share: loads ``clip(t, floor, ceiling)`` for the largest whole level ``t``
    whose loads sum to at most ``total``, and the same at ``t + 1`` (the upper bounds).

    Raises :class:`_Uneven` when even the ceilings cannot hold ``total``."""
    if int(ceiling.sum()) < total:
        raise _Uneven
    lo, hi = 0, int(ceiling.max(initial=0)) + 1
    while lo < hi:  # largest t with S(t) <= total; S(0) = sum(floor) <= total
        mid = (lo + hi + 1) // 2
        if int(np.clip(mid, floor, ceiling).sum()) <= total:
            lo = mid
        else:
            hi = mid - 1
    low = np.clip(lo, floor, ceiling)
    high = low if int(low.sum()) == total else np.clip(lo + 1, floor, ceiling)
    return low.astype(np.int64), high.astype(np.int64)


class _Uneven(Exception):
    """The even share is impossible (the caller falls back to the most even loads)."""


def _status_name(status: Any) -> str:
    return str(getattr(status, "name", status))


def solve(problem: Problem) -> Solution:
    """The optimal assignment for ``problem`` by the rule in the module docstring.

    >>> p = Problem(n_applications=3, n_members=3, readers=2, conflicts=[[0, 0]])
    >>> s = solve(p)
    >>> s.readers.tolist(), s.loads.tolist(), s.short.tolist()
    ([2, 2, 2], [2, 2, 2], [])
    >>> bool(((s.pairs[:, 0] == 0) & (s.pairs[:, 1] == 0)).any())  # the conflict is kept out
    False
    """
    p = problem
    n_a, n_m, k = p.n_applications, p.n_members, p.readers
    shape = (n_a, n_m)
    in_only = np.zeros(n_a, dtype=bool)
    in_only[p.only] = True

    conflicted = _matrix(p.conflicts, shape)
    fixed = _matrix(p.fixed, shape) & ~conflicted
    current = _matrix(p.current, shape) & ~fixed
    # Pairs outside ``only`` stay as they are: fixed for this solve (conflicted ones too:
    # they are not ours to change here).
    outside = (_matrix(p.current, shape) | _matrix(p.fixed, shape)) & ~in_only[:, None]
    fixed |= outside
    current &= in_only[:, None]
    current &= ~conflicted

    cap = p.capacity.copy()
    cap[cap == NO_LIMIT] = n_a
    fixed_load = fixed.sum(axis=0).astype(np.int64)
    room = np.maximum(cap - fixed_load, 0)
    need = np.where(in_only, np.maximum(k - fixed.sum(axis=1), 0), 0).astype(np.int64)

    allowed = ~conflicted & ~fixed & in_only[:, None] & (need > 0)[:, None] & (room > 0)[None, :]
    avail_app = allowed.sum(axis=1)
    need = np.minimum(need, avail_app).astype(np.int64)
    allowed &= (need > 0)[:, None]
    avail_member = allowed.sum(axis=0).astype(np.int64)
    ceiling = fixed_load + np.minimum(room, avail_member)
    to_place = int(need.sum())

    bid = np.zeros(shape, dtype=np.int8)
    if len(p.bids):
        bid[p.bids[:, 0], p.bids[:, 1]] = p.bids[:, 2]

    # Row-major: application order, then member order (int64, as OR-Tools takes them).
    aa, mm = (np.asarray(i, dtype=np.int64) for i in np.nonzero(allowed))
    # Two assignments placing the same number of readers differ in preference cost by at
    # most one per bid (a pair's cost is 1 without a bid), so a change must cost more than
    # that. Every assignment places the same number of readers, so a constant added to
    # every pair changes nothing: the cheapest pair is made to cost 0 (a smaller range of
    # costs, a faster solve).
    change = min(2 * to_place, len(p.bids)) + 1
    pair_cost: IntArray = (np.where(current[aa, mm], 0, change).astype(np.int64)
                           - bid[aa, mm].astype(np.int64))
    if len(pair_cost):
        pair_cost -= pair_cost.min()
    stats: dict[str, Any] = {"arcs": int(len(aa)), "to_place": to_place}

    chosen: BoolArray = np.zeros(len(aa), dtype=bool)
    even = True
    if to_place:
        try:
            low, high = _water_level(fixed_load, ceiling, int(fixed_load.sum()) + to_place)
            chosen = _place(n_a, n_m, need, aa, mm, pair_cost, low - fixed_load,
                            high - fixed_load, to_place)
        except _Uneven:
            even = False
            loads, placed = _most_even_loads(n_a, n_m, need, aa, mm, fixed_load, ceiling)
            stats["placed"] = placed
            try:
                chosen = _place(n_a, n_m, need, aa, mm, pair_cost, loads - fixed_load,
                                loads - fixed_load, placed)
            except _Uneven:  # pragma: no cover - the first flow found such loads
                raise SolverError("the assignment solver found no flow for the loads it "
                                  "chose") from None

    final = fixed.copy()
    final[aa[chosen], mm[chosen]] = True
    before = _matrix(p.current, shape) | _matrix(p.fixed, shape)
    readers = final.sum(axis=1).astype(np.int64)
    short = np.flatnonzero(in_only & (readers < k)).astype(np.int64)
    return Solution(
        pairs=np.argwhere(final).astype(np.int64),
        readers=readers,
        loads=final.sum(axis=0).astype(np.int64),
        short=short,
        added=np.argwhere(final & ~before).astype(np.int64),
        removed=np.argwhere(_matrix(p.current, shape) & ~final).astype(np.int64),
        even=even,
        stats=stats,
    )


def _place(n_a: int, n_m: int, need: IntArray, aa: IntArray, mm: IntArray, pair_cost: IntArray,
           low: IntArray, high: IntArray, total: int) -> BoolArray:
    """Place ``total`` readers with each member taking between ``low`` and ``high`` more,
    at least pair cost (rules 4 and 5). Returns a boolean mask over the pair arcs.

    Node numbers: applications ``0..A-1``, members ``A..A+M-1``, source, sink. A member's
    lower bound is a demand on its node; the room between the bounds is its arc to the sink.
    Raises :class:`_Uneven` when no such flow exists."""
    source, sink = n_a + n_m, n_a + n_m + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    apps = np.flatnonzero(need > 0)
    flow.add_arcs_with_capacity_and_unit_cost(
        np.full(len(apps), source), apps, need[apps], np.zeros(len(apps), dtype=np.int64))
    first_pair = len(apps)
    flow.add_arcs_with_capacity_and_unit_cost(
        aa, n_a + mm, np.ones(len(aa), dtype=np.int64), pair_cost)
    members = np.flatnonzero(high > low)
    flow.add_arcs_with_capacity_and_unit_cost(
        n_a + members, np.full(len(members), sink), (high - low)[members],
        np.zeros(len(members), dtype=np.int64))
    supplies = np.zeros(n_a + n_m + 2, dtype=np.int64)
    supplies[source] = total
    supplies[n_a:n_a + n_m] = -low
    supplies[sink] = -(total - int(low.sum()))
    if supplies[sink] > 0:
        raise _Uneven
    flow.set_nodes_supplies(np.arange(len(supplies)), supplies)
    status = flow.solve()
    if status in (flow.INFEASIBLE, flow.UNBALANCED):
        raise _Uneven
    if status != flow.OPTIMAL:
        raise SolverError(f"the assignment solver stopped: {_status_name(status)}")
    arcs = np.arange(first_pair, first_pair + len(aa))
    return np.asarray(flow.flows(arcs) > 0, dtype=bool)


def _most_even_loads(n_a: int, n_m: int, need: IntArray, aa: IntArray, mm: IntArray,
                     fixed_load: IntArray, ceiling: IntArray) -> tuple[IntArray, int]:
    """Rules 2 and 3 alone: the most readers, with loads of least sum of squares.

    A maximum flow of minimum cost in which a member's ``j``-th application (fixed ones
    counted) costs ``j``: one unit arc per load step from ``fixed + 1`` to the ceiling.
    Returns every member's load and the number of readers placed."""
    source, sink = n_a + n_m, n_a + n_m + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    apps = np.flatnonzero(need > 0)
    flow.add_arcs_with_capacity_and_unit_cost(
        np.full(len(apps), source), apps, need[apps], np.zeros(len(apps), dtype=np.int64))
    flow.add_arcs_with_capacity_and_unit_cost(
        aa, n_a + mm, np.ones(len(aa), dtype=np.int64), np.zeros(len(aa), dtype=np.int64))
    steps = ceiling - fixed_load
    member = np.repeat(np.arange(n_m, dtype=np.int64), steps)
    offsets = np.arange(len(member), dtype=np.int64) - np.repeat(np.cumsum(steps) - steps, steps)
    level = fixed_load[member] + 1 + offsets
    first_unit = len(apps) + len(aa)
    flow.add_arcs_with_capacity_and_unit_cost(
        n_a + member, np.full(len(member), sink), np.ones(len(member), dtype=np.int64), level)
    total = int(need.sum())
    flow.set_nodes_supplies(np.array([source, sink]), np.array([total, -total]))
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise SolverError(f"the assignment solver stopped: {_status_name(status)}")
    used = flow.flows(np.arange(first_unit, first_unit + len(member)))
    loads = fixed_load + np.bincount(member, weights=used, minlength=n_m).astype(np.int64)
    return loads, int(flow.maximum_flow())
