"""Budget rules: fund down an order within a budget; participatory-budgeting rules.

:func:`fund_in_order` is the one place the "fund down the order" rule lives; the panel
decision (:mod:`voting.panel`) and :func:`greedy` both use it.

Public API
----------
fund_in_order    fund an ordered list top down within a budget (``"skip"`` or ``"stop"``)
greedy           order projects by approvals (most first), then fund down that order
equal_shares     the Method of Equal Shares (approval, cost or score utilities; completions)
partial_lottery  fund the sure entries, then draw among a "lottery group" at the funding line

Shapes: ``approvals`` is a bool (or 0/1) array of shape (n_voters, n_projects); ``costs`` is
an integer array of shape (n_projects,) in minor units (e.g. pence); ``budget`` is an integer
in the same units; ``weights`` (shape (n_voters,)) counts each ballot row (default 1 each).
Every rule returns a :class:`~voting.results.CountResult` whose ``winners`` are the funded
project indices in the order they were funded and whose ``rounds`` explain each step.
"""

from __future__ import annotations

import heapq
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from voting.draws import draw_order
from voting.errors import VotingError
from voting.results import CountResult, CountRound

FIT_RULES = ("skip", "stop")


@dataclass(frozen=True)
class FundingResult:
    """Outcome of funding down an order.

    selected:  indices funded, in the order they were funded.
    skipped:   indices passed over because they did not fit the remaining budget
               (rule ``"skip"``); with ``"stop"`` the first that does not fit ends funding.
    stopped_at: with ``"stop"``, the index at which funding stopped (else ``None``).
    spent:     total cost of ``selected``.
    remaining: ``budget - spent``.
    line_after: number of entries of ``order`` examined before funding ended: everything
               funded lies at or above this line.
    """

    selected: tuple[int, ...]
    skipped: tuple[int, ...]
    stopped_at: int | None
    spent: int
    remaining: int
    line_after: int


def fund_in_order(
    order: Sequence[int], costs: Sequence[int], budget: int, *, rule: str = "skip"
) -> FundingResult:
    """Fund ``order`` top down while money remains.

    Rule: walk ``order`` from the top.  An entry whose cost is at most the remaining budget is
    funded and its cost is subtracted.  An entry that costs more than remains is, with
    ``rule="skip"``, passed over (the walk continues, so a cheaper entry lower down can still be
    funded); with ``rule="stop"``, funding ends there.  All arithmetic is on integers (minor
    units), so there is no rounding.

    >>> fund_in_order([2, 0, 1], [50, 30, 40], 80).selected
    (2, 1)
    >>> fund_in_order([2, 0, 1], [50, 30, 40], 80, rule="stop").selected
    (2,)
    """
    if rule not in FIT_RULES:
        raise VotingError(f"rule must be one of {FIT_RULES}, not {rule!r}")
    if budget < 0:
        raise VotingError("budget must not be negative")
    remaining = int(budget)
    selected: list[int] = []
    skipped: list[int] = []
    stopped_at: int | None = None
    examined = 0
    for i in order:
        cost = int(costs[i])
        if cost < 0:
            raise VotingError(f"cost of entry {i} must not be negative")
        examined += 1
        if cost <= remaining:
            selected.append(i)
            remaining -= cost
        elif rule == "stop":
            stopped_at = i
            examined -= 1
            break
        else:
            skipped.append(i)
    return FundingResult(
        selected=tuple(selected),
        skipped=tuple(skipped),
        stopped_at=stopped_at,
        spent=int(budget) - remaining,
        remaining=remaining,
        line_after=examined,
    )



# --- input checks ---------------------------------------------------------------------------

#: Relative tolerance for comparing floating-point quantities in :func:`equal_shares`.
#: Two prices within one part in a billion are a tie; a supporters' purse within one part in a
#: billion of a project's cost can pay for it.  See :func:`equal_shares`, "Arithmetic".
MES_TOLERANCE = 1e-9

UTILITIES = ("cost", "approval", "scores")
COMPLETIONS = (None, "add1", "add1-exhaustive", "utilitarian", "add1-utilitarian")


def _check_budget(budget: object) -> int:
    if isinstance(budget, bool) or not isinstance(budget, numbers.Integral):
        if isinstance(budget, float) and budget.is_integer():
            budget = int(budget)
        else:
            raise VotingError(
                f"budget must be a whole number of minor units (e.g. pence), not {budget!r}"
            )
    if int(budget) < 0:
        raise VotingError("budget must not be negative")
    return int(budget)


def _check_costs(costs: object, n_projects: int | None) -> npt.NDArray[np.int64]:
    arr = np.asarray(costs)
    if arr.ndim != 1:
        raise VotingError(f"costs must be a one-dimensional array, not shape {arr.shape}")
    if n_projects is not None and arr.shape[0] != n_projects:
        raise VotingError(
            f"costs must have one entry per project ({n_projects}), not {arr.shape[0]}"
        )
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.floor(arr)):
            raise VotingError("costs must be whole numbers of minor units (e.g. pence)")
    elif arr.dtype.kind not in "iub":
        raise VotingError(f"costs must be integers (minor units), not {arr.dtype}")
    out = arr.astype(np.int64)
    if out.size and out.min() < 0:
        raise VotingError(f"cost of project {int(np.argmin(out))} must not be negative")
    return out


def _check_approvals(approvals: object) -> npt.NDArray[np.bool_]:
    arr = np.asarray(approvals)
    if arr.ndim != 2:
        raise VotingError(
            f"approvals must be a two-dimensional array (voters x projects), not shape {arr.shape}"
        )
    if arr.dtype == np.bool_:
        return arr
    if arr.dtype.kind not in "iuf":
        raise VotingError(f"approvals must be bool or 0/1 numbers, not {arr.dtype}")
    if not np.all((arr == 0) | (arr == 1)):
        raise VotingError("approvals must contain only 0 and 1 (or True and False)")
    return arr != 0


def _check_scores(scores: object) -> npt.NDArray[np.float64]:
    arr = np.asarray(scores)
    if arr.ndim != 2:
        raise VotingError(
            f"scores must be a two-dimensional array (voters x projects), not shape {arr.shape}"
        )
    if arr.dtype.kind not in "iufb":
        raise VotingError(f"scores must be numbers, not {arr.dtype}")
    out = arr.astype(np.float64)
    if not np.all(np.isfinite(out)):
        raise VotingError("scores must be finite numbers (use 0 for 'no support', not NaN)")
    if out.size and out.min() < 0:
        raise VotingError("scores must not be negative")
    return out


def _check_weights(weights: object, n_voters: int) -> npt.NDArray[np.float64] | None:
    """``None`` means every ballot counts once."""
    if weights is None:
        return None
    w = np.asarray(weights)
    if w.ndim != 1 or w.shape[0] != n_voters:
        raise VotingError(f"weights must have shape ({n_voters},), not {w.shape}")
    if w.dtype.kind not in "iufb":
        raise VotingError(f"weights must be numbers, not {w.dtype}")
    wf = w.astype(np.float64)
    if not np.all(np.isfinite(wf)) or (wf.size and wf.min() < 0):
        raise VotingError("weights must be finite and not negative")
    return wf


def _approval_counts(
    approvals: npt.NDArray[np.bool_], weights: npt.NDArray[np.float64] | None
) -> npt.NDArray[Any]:
    """Per-project (weighted) approval counts, without a float copy of the whole matrix."""
    if weights is None:
        return np.count_nonzero(approvals, axis=0).astype(np.int64)
    out = np.zeros(approvals.shape[1], dtype=np.float64)
    step = 8192
    for start in range(0, approvals.shape[0], step):
        out += weights[start : start + step] @ approvals[start : start + step]
    if np.all(weights == np.floor(weights)):
        return np.rint(out).astype(np.int64)
    return out


def _num(x: Any) -> int | float:
    """A plain Python number for a result (ints stay ints)."""
    if isinstance(x, (np.integer, int)):
        return int(x)
    f = float(x)
    return int(f) if f.is_integer() and abs(f) < 2**53 else f


# --- greedy ---------------------------------------------------------------------------------


def greedy(
    approvals: npt.ArrayLike,
    costs: npt.ArrayLike,
    budget: int,
    *,
    rule: str = "skip",
    weights: npt.ArrayLike | None = None,
) -> CountResult:
    """Greedy approval budgeting: most-approved first, fund down that order.

    Rule (the "greedy" or "utilitarian greedy" rule used by most participatory budgets; Aziz
    & Shah 2021, "Participatory budgeting: models and approaches", section 4; pabutools'
    ``greedy_utilitarian_welfare`` with cost satisfaction):

    1. Each project's score is the number of ballots approving it (with ``weights``, the sum of
       the approving ballots' weights).
    2. Projects are ordered by score, highest first; equal scores go to the lower cost, then to
       the lower project index.
    3. The order is funded by :func:`fund_in_order` with ``rule``: ``"skip"`` passes over a
       project that does not fit the money left and carries on down the list; ``"stop"`` ends
       funding at the first project that does not fit.

    Parameters
    ----------
    approvals : array of bool, shape (n_voters, n_projects)
    costs : array of int, shape (n_projects,)
    budget : int
    rule : {"skip", "stop"}
    weights : array of float, shape (n_voters,), optional

    Returns a CountResult (``method="greedy"``): ``winners`` are the funded projects in order;
    one round per project examined (its approvals as the tally, the money left before it as
    the threshold); ``details`` holds ``order``, ``approvals``, ``spent``, ``remaining``,
    ``skipped`` and ``stopped_at``.

    Projects 0 and 1 both have 3 approvals (1 is cheaper, so it goes first), project 2 has 1:

    >>> A = [[1, 1, 0], [1, 1, 0], [1, 0, 1], [0, 1, 0]]
    >>> greedy(A, [60, 40, 20], 80).winners
    (1, 2)
    >>> greedy(A, [60, 40, 20], 80, rule="stop").winners
    (1,)
    """
    A = _check_approvals(approvals)
    c = _check_costs(costs, A.shape[1])
    b = _check_budget(budget)
    if rule not in FIT_RULES:
        raise VotingError(f"rule must be one of {FIT_RULES}, not {rule!r}")
    w = _check_weights(weights, A.shape[0])
    counts = _approval_counts(A, w)
    order = np.lexsort((np.arange(A.shape[1]), c, -counts))
    order_list = [int(i) for i in order]
    funding = fund_in_order(order_list, c.tolist(), b, rule=rule)
    selected = set(funding.selected)
    rounds: list[CountRound] = []
    remaining = b
    for number, j in enumerate(order_list[: funding.line_after + (funding.stopped_at is not None)], 1):
        cost = int(c[j])
        approvals_j = _num(counts[j])
        if j in selected:
            note = (f"Project {j} ({approvals_j} approvals) costs {cost}; {remaining} was left, "
                    f"so it is funded and {remaining - cost} remains.")
            elected: tuple[int, ...] = (j,)
            eliminated: tuple[int, ...] = ()
        elif rule == "stop":
            note = (f"Project {j} ({approvals_j} approvals) costs {cost} but only {remaining} "
                    "is left, so funding stops here.")
            elected, eliminated = (), (j,)
        else:
            note = (f"Project {j} ({approvals_j} approvals) costs {cost} but only {remaining} "
                    "is left, so it is skipped.")
            elected, eliminated = (), (j,)
        rounds.append(CountRound(number=number, tallies={j: approvals_j}, threshold=remaining,
                                 elected=elected, eliminated=eliminated, note=note))
        if j in selected:
            remaining -= cost
    return CountResult(
        method="greedy",
        winners=funding.selected,
        rounds=tuple(rounds),
        details={
            "rule": rule,
            "order": order_list,
            "approvals": [_num(x) for x in counts],
            "spent": funding.spent,
            "remaining": funding.remaining,
            "skipped": list(funding.skipped),
            "stopped_at": funding.stopped_at,
            "tie_break": "fewer approvals last; equal approvals: lower cost first, then lower index",
        },
    )


# --- the Method of Equal Shares -------------------------------------------------------------


@dataclass
class _MESInput:
    """Projects' supporters prepared once; shared by every run (add1 reruns MES)."""

    n_projects: int
    total_weight: float
    costs: npt.NDArray[np.float64]
    support: list[npt.NDArray[np.intp]]  # supporters' (voter) indices per project
    weight: list[npt.NDArray[np.float64] | None]  # supporters' weights (None: all 1)
    util: list[npt.NDArray[np.float64] | float]  # per-supporter utility, or one constant
    total_util: npt.NDArray[np.float64]  # sum of weight * utility over supporters
    total_weight_j: npt.NDArray[np.float64]  # sum of supporters' weights
    n_voters: int


@dataclass
class _MESRun:
    selected: list[int]
    rho: dict[int, float]
    rounds: list[CountRound]
    spent: int
    budgets: npt.NDArray[np.float64]


def _mes_prepare(
    matrix: npt.NDArray[Any], costs: npt.NDArray[np.int64], utility: str,
    weights: npt.NDArray[np.float64] | None,
) -> _MESInput:
    n, m = matrix.shape
    mt = np.ascontiguousarray(matrix.T)
    support: list[npt.NDArray[np.intp]] = []
    wlist: list[npt.NDArray[np.float64] | None] = []
    util: list[npt.NDArray[np.float64] | float] = []
    tot_u = np.zeros(m)
    tot_w = np.zeros(m)
    for j in range(m):
        row = mt[j]
        idx = np.flatnonzero(row)
        wj = None if weights is None else weights[idx]
        if wj is not None:
            keep = wj > 0
            if not keep.all():
                idx, wj = idx[keep], wj[keep]
        support.append(idx)
        wlist.append(wj)
        tot_w[j] = idx.size if wj is None else float(wj.sum())
        if utility == "scores":
            uj = row[idx].astype(np.float64)
            util.append(uj)
            tot_u[j] = float(uj.sum()) if wj is None else float(wj @ uj)
        else:
            u = float(costs[j]) if utility == "cost" else 1.0
            util.append(u)
            tot_u[j] = u * tot_w[j]
    total = float(n) if weights is None else float(weights.sum())
    return _MESInput(m, total, costs.astype(np.float64), support, wlist, util, tot_u, tot_w, n)


def _mes_price(data: _MESInput, j: int, budgets: npt.NDArray[np.float64]) -> float | None:
    """The least price per unit of utility at which project ``j``'s supporters can buy it.

    Solves ``sum_i w_i * min(b_i, rho * u_ij) = cost_j`` for the smallest ``rho`` (the
    "poor/rich" iteration: supporters whose budget is below their share pay everything, the
    rest share the remainder in proportion to utility).  ``None`` if the supporters' budgets
    together fall short of the cost.
    """
    cost = data.costs[j]
    idx = data.support[j]
    b = budgets[idx]
    w = data.weight[j]
    u = data.util[j]
    money = float(b.sum()) if w is None else float(w @ b)
    if money < cost * (1.0 - MES_TOLERANCE):
        return None
    rho = cost / data.total_util[j]
    if isinstance(u, float):
        # one utility for every supporter: compare budgets with the share q = rho * u
        q = rho * u
        if b.min(initial=math.inf) >= q:
            return rho
        poor = b < q
        for _ in range(12):
            if w is None:
                n_rich = float(b.size - np.count_nonzero(poor))
                paid = float(b[poor].sum())
            else:
                n_rich = float(w[~poor].sum())
                paid = float(w[poor] @ b[poor])
            if n_rich <= 0:
                return float(b.max()) / u
            q = (cost - paid) / n_rich
            new_poor = poor | (b < q)
            if np.count_nonzero(new_poor) == np.count_nonzero(poor):
                return q / u
            poor = new_poor
        ratio = b / u
        wu = (np.ones_like(b) if w is None else w) * u
    else:
        ratio = b / u
        if ratio.min(initial=math.inf) >= rho:
            return rho
        wu = u if w is None else w * u
    # general case: sort supporters by budget per unit of utility (as pabutools does)
    order = np.argsort(ratio, kind="stable")
    r = ratio[order]
    wb = (b if w is None else w * b)[order]
    wus = wu[order]
    paid_before = np.concatenate(([0.0], np.cumsum(wb)[:-1]))
    util_after = data.total_util[j] - np.concatenate(([0.0], np.cumsum(wus)[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        cand = (cost - paid_before) / util_after
    ok = (util_after > 0) & (cand <= r * (1.0 + MES_TOLERANCE))
    if not ok.any():
        return float(r.max())
    return float(cand[int(np.argmax(ok))])


def _mes_run(data: _MESInput, per_voter: float, budget: int) -> _MESRun:
    """One run of MES with ``per_voter`` money per unit of ballot weight."""
    budgets = np.full(data.n_voters, per_voter)
    costs = data.costs
    selected: list[int] = []
    rho_of: dict[int, float] = {}
    rounds: list[CountRound] = []
    spent = 0
    alive: list[int] = []
    for j in range(data.n_projects):
        if data.total_weight_j[j] > 0:
            if costs[j] == 0:
                selected.append(j)
                rho_of[j] = 0.0
                rounds.append(CountRound(
                    number=len(rounds) + 1, tallies={j: 0.0}, elected=(j,),
                    note=f"Project {j} costs nothing and has supporters, so it is funded."))
            else:
                alive.append(j)
    # Lazy evaluation: a project's last price is a lower bound on its next one (budgets only
    # fall), so projects are taken in order of (last price, index) from a heap and evaluated
    # until the next bound exceeds the best price found this round.
    heap = [(float(costs[j] / data.total_util[j]), j) for j in alive]
    heapq.heapify(heap)
    snap = per_voter * 1e-12
    while heap:
        best = math.inf
        evaluated: dict[int, float] = {}
        removed: list[int] = []
        while heap and heap[0][0] <= best * (1.0 + MES_TOLERANCE):
            _, j = heapq.heappop(heap)
            price = _mes_price(data, j, budgets)
            if price is None:
                removed.append(j)
                continue
            evaluated[j] = float(price)
            best = min(best, price)
        if not evaluated:
            if removed:
                rounds.append(CountRound(
                    number=len(rounds) + 1, tallies={}, eliminated=tuple(sorted(removed)),
                    note="No remaining project's supporters have enough money left; "
                         "the count ends."))
            break
        tied = sorted(j for j, p in evaluated.items() if p <= best * (1.0 + MES_TOLERANCE))
        pick = tied[0]
        rho = evaluated[pick]
        idx = data.support[pick]
        u = data.util[pick]
        b = budgets[idx]
        new = b - rho * u
        new[new < snap] = 0.0
        budgets[idx] = new
        for j, price in evaluated.items():
            if j != pick:
                heapq.heappush(heap, (price, j))
        selected.append(pick)
        rho_of[pick] = rho
        spent += int(costs[pick])
        share = rho * u if isinstance(u, float) else None
        if share is not None:
            pays = f"each supporter paid up to {share:.6g} (a price of {rho:.6g} per unit of benefit)"
        else:
            pays = f"supporters paid {rho:.6g} per point of their score, or all they had left"
        note = (f"Project {pick} is funded: its supporters can pay its cost of {int(costs[pick])} "
                f"most evenly; {pays}.")
        if len(tied) > 1:
            note += (f" Projects {', '.join(str(t) for t in tied)} were tied on price; "
                     "the lowest index goes first.")
        rounds.append(CountRound(
            number=len(rounds) + 1, tallies={k: evaluated[k] for k in sorted(evaluated)},
            threshold=rho, elected=(pick,), eliminated=tuple(sorted(removed)), note=note))
    del budget
    return _MESRun(selected, rho_of, rounds, spent, budgets)


def _n_free(data: _MESInput, costs: npt.NDArray[np.int64]) -> int:
    """How many supported projects cost nothing (MES funds them all before anything else)."""
    return sum(1 for j in range(data.n_projects) if data.total_weight_j[j] > 0 and costs[j] == 0)


def _exhaustive(selected: Sequence[int], candidates: Sequence[int],
                costs: npt.NDArray[np.int64], budget: int) -> bool:
    """True if no candidate outside ``selected`` fits the money left."""
    chosen = set(selected)
    left = budget - int(sum(int(costs[j]) for j in chosen))
    return all(j in chosen or int(costs[j]) > left for j in candidates)


def equal_shares(
    approvals: npt.ArrayLike,
    costs: npt.ArrayLike,
    budget: int,
    *,
    utility: str = "cost",
    completion: str | None = None,
    weights: npt.ArrayLike | None = None,
    increment: float = 1,
    scores: npt.ArrayLike | None = None,
) -> CountResult:
    """The Method of Equal Shares (MES) for participatory budgeting.

    Sources: Peters & Skowron, "Proportionality and the limits of welfarism" (EC 2020);
    Peters, Pierczyński & Skowron, "Proportional participatory budgeting with additive
    utilities" (NeurIPS 2021); https://equalshares.net (rule, completion and implementation
    notes); pabutools ``method_of_equal_shares`` (the reference implementation we match).

    Rule
    ----
    1. The budget is split equally: each ballot gets ``budget / n`` (with ``weights``, a
       ballot of weight w gets w shares; n is the total weight, blank ballots included).
    2. A voter's *utility* from a project: ``utility="cost"`` (default) the project's cost if
       they approve it, else 0; ``utility="approval"`` 1 if they approve it; ``"scores"`` the
       voter's score for it (pass the score matrix as ``approvals`` or as ``scores=``).
    3. A project costing c is *affordable* if its supporters (utility > 0) have at least c
       left between them.  Its price ``rho`` is the least number such that, when every
       supporter pays ``min(money left, rho * utility)``, the payments add up to c.
    4. Repeatedly fund the affordable project with the smallest ``rho``; its supporters pay
       as in 3.  Stop when no project is affordable.  Projects that cost nothing and have
       at least one supporter are funded first (deviation: with cost utility pabutools gives
       such a project zero utility and never funds it).
    5. Ties (prices equal within :data:`MES_TOLERANCE`) go to the lower project index, which is
       pabutools' default (lexicographic by name) when names sort like indices.

    Completion (MES alone may leave money unspent):

    - ``None`` (the default): plain MES, the rule exactly as published (Peters & Skowron)
      and as pabutools computes it without options.  It is the default so that a count
      never depends on a setting nobody chose: a round that wants the money spent declares
      ``"add1"`` (decision stages: ``completion: "add1"``).
    - ``"add1"``: the completion the real votes used, Pabulib's ``equalshares/add1``
      (Wieliczka "Green Million" 2023, Świecie 2023, Assen 2024: it reproduces the official
      selection of all three files in /work/shared/data/pabulib).  Step k = 1, 2, ... reruns
      MES from scratch with the total money raised to ``budget + k * increment * n`` (each
      ballot's share raised by ``increment``; n = total ballot weight), as long as the
      outcome's cost still fits the real ``budget``; the first step that overspends ends the
      search and the outcome of the step before it (step 0 is plain MES) is kept.  It does
      *not* stop at the first exhaustive outcome (a later step may fit and differ: in
      Wieliczka the first exhaustive outcome, step 150, is not the official one; step 164,
      the last that fits, is).  The search also ends when the outcome funds every
      supported project (nothing more could change).  ``increment`` is in the units of
      ``costs``: 1 (the default) is one unit of currency when costs are whole units, as in
      Pabulib; pass 100 for one pound per voter when costs are in pence.  Each step is one
      MES run, so the run time grows with ``(money needed) / (increment * n)``.
    - ``"add1-exhaustive"``: as ``"add1"`` but also stopping at the first exhaustive outcome
      (no supported project outside it fits the money left), as pabutools'
      ``voter_budget_increment`` and the equalshares.net sample code do.
    - ``"utilitarian"``: after MES, fund the remaining supported projects greedily by total
      utility per unit of cost (highest first, ties to the lower index), skipping any that
      do not fit.  With cost utility this is "most approvals first".  (Deviation:
      pabutools' rule combination would also fund projects nobody supports.)
    - ``"add1-utilitarian"``: ``"add1"`` then ``"utilitarian"``.

    Arithmetic
    ----------
    Float64 with a stated tolerance (:data:`MES_TOLERANCE`, relative 1e-9): prices within it
    are ties, a purse within it of the cost can pay; leftovers below 1e-12 of a share are 0.
    The selection equals exact rational arithmetic (pabutools) unless two different exact
    quantities lie within one part in a billion of each other.

    Parameters
    ----------
    approvals : array of bool, shape (n_voters, n_projects), or scores with ``utility="scores"``
    costs : array of int, shape (n_projects,)
    budget : int
    utility : {"cost", "approval", "scores"}
    completion : {None, "add1", "add1-exhaustive", "utilitarian", "add1-utilitarian"}
    weights : array of float, shape (n_voters,), optional
    increment : float, per-ballot step of ``"add1"``
    scores : array of float, shape (n_voters, n_projects), optional (implies ``"scores"``)

    Returns a CountResult (``method="equal-shares"``): ``winners`` in the order funded; one
    round per funded project (tallies: prices of the projects evaluated that round; threshold:
    the price paid); ``details`` with ``per_voter`` (share used), ``prices``, ``spent``,
    ``remaining``, ``add1_steps`` and ``completed`` (projects added by utilitarian completion).

    Example (the sample file on equalshares.net, "How to compute the results?"): budget
    100 000, costs 5 000 / 10 000 / 85 000, four voters approving {1, 2}, {1}, {3}, {1, 2, 3}.
    Each voter holds 25 000; project 3's two supporters hold only 50 000, so it is never
    affordable:

    >>> equal_shares([[1, 1, 0], [1, 0, 0], [0, 0, 1], [1, 1, 1]], [5000, 10000, 85000],
    ...              100000).winners
    (0, 1)
    """
    if scores is not None:
        if utility not in ("cost", "scores"):
            raise VotingError("pass either scores= or utility=..., not both")
        utility = "scores"
        matrix: npt.NDArray[Any] = _check_scores(scores)
    elif utility == "scores":
        matrix = _check_scores(approvals)
    elif utility in ("cost", "approval"):
        matrix = _check_approvals(approvals)
    else:
        raise VotingError(f"utility must be one of {UTILITIES}, not {utility!r}")
    if completion not in COMPLETIONS:
        raise VotingError(f"completion must be one of {COMPLETIONS}, not {completion!r}")
    c = _check_costs(costs, matrix.shape[1])
    b = _check_budget(budget)
    w = _check_weights(weights, matrix.shape[0])
    if not (isinstance(increment, numbers.Real) and math.isfinite(increment) and increment > 0):
        raise VotingError("increment must be a positive number")

    data = _mes_prepare(matrix, c, utility, w)
    candidates = [j for j in range(data.n_projects) if data.total_weight_j[j] > 0 and c[j] > 0]
    total = data.total_weight
    if total <= 0:
        run = _MESRun([], {}, [], 0, np.zeros(0))
        per_voter = 0.0
        steps = 0
    else:
        per_voter = b / total
        run = _mes_run(data, per_voter, b)
        steps = 0
        if completion in ("add1", "add1-utilitarian", "add1-exhaustive"):
            stop_exhaustive = completion == "add1-exhaustive"
            while len(run.selected) < len(candidates) + _n_free(data, c) and not (
                stop_exhaustive and _exhaustive(run.selected, candidates, c, b)
            ):
                nxt_share = (b + (steps + 1) * increment * total) / total
                nxt = _mes_run(data, nxt_share, b)
                if nxt.spent > b:
                    break
                run, per_voter, steps = nxt, nxt_share, steps + 1
    selected = list(run.selected)
    rounds = list(run.rounds)
    completed: list[int] = []
    if completion in ("utilitarian", "add1-utilitarian"):
        left = b - run.spent
        chosen = set(selected)
        density = [
            (-(math.inf if c[j] == 0 else data.total_util[j] / float(c[j])), j)
            for j in range(data.n_projects) if j not in chosen and data.total_weight_j[j] > 0
        ]
        for _, j in sorted(density):
            if int(c[j]) <= left:
                left -= int(c[j])
                selected.append(j)
                completed.append(j)
                rounds.append(CountRound(
                    number=len(rounds) + 1, tallies={j: _num(data.total_util[j])},
                    threshold=left + int(c[j]), elected=(j,),
                    note=(f"Completion: project {j} has the most benefit per unit of cost among "
                          f"those left and fits the {left + int(c[j])} remaining, so it is "
                          "funded.")))
    spent = int(sum(int(c[j]) for j in selected))
    return CountResult(
        method="equal-shares",
        winners=tuple(selected),
        rounds=tuple(rounds),
        details={
            "utility": utility,
            "completion": completion,
            "per_voter": per_voter,
            "add1_steps": steps,
            "increment": increment,
            "prices": {j: run.rho[j] for j in run.selected},
            "completed": completed,
            "spent": spent,
            "remaining": b - spent,
            "tolerance": MES_TOLERANCE,
        },
    )


def equal_shares_scores(
    scores: npt.ArrayLike,
    costs: npt.ArrayLike,
    budget: int,
    *,
    completion: str | None = None,
    weights: npt.ArrayLike | None = None,
    increment: float = 1,
) -> CountResult:
    """:func:`equal_shares` with score ballots (utility = the voter's score; 0 = no support)."""
    return equal_shares(scores, costs, budget, utility="scores", completion=completion,
                        weights=weights, increment=increment)


# --- partial lottery ------------------------------------------------------------------------


def partial_lottery(
    order: Sequence[int],
    costs: npt.ArrayLike,
    budget: int,
    *,
    seed: str,
    labels: Sequence[str],
    lottery_group: Sequence[int] | None = None,
    intervals: npt.ArrayLike | None = None,
    rule: str = "skip",
) -> CountResult:
    """Partial lottery at the funding line (the SNSF "random selection" procedure).

    Sources: Swiss National Science Foundation, "Drawing of lots as a tie-breaker" (2021);
    Heyard, Ott, Salanti & Egger, "Rethinking the funding line at the Swiss National Science
    Foundation: Bayesian ranking and lottery", Statistics and Public Policy 9 (2022).

    Procedure
    ---------
    1. *The group.*  Either ``lottery_group`` (indices the panel cannot tell apart), or
       ``intervals`` (shape (n_entries, 2): each entry's interval for its rank, 1 = best):
       the funding line lies after position k, where k is how many entries at the top of
       ``order`` are funded before the first that is not (funding down ``order`` with
       ``rule``); an entry whose interval contains ``k + 0.5`` is in the group.
    2. *Sure entries*: entries of ``order`` outside the group and ranked above every group
       member (with intervals: whose interval lies wholly above the line) are funded first,
       down ``order`` with ``rule``.
    3. *The draw*: the group is put in the order
       ``voting.draws.draw_order(seed, "lottery", labels of the group)`` and funded down that
       order with the money left (same ``rule``).
    4. Entries below the group are not funded.

    Returns a CountResult (``method="partial-lottery"``): ``winners`` in funding order;
    round 1 funds the sure entries, round 2 the drawn ones; ``details["draw"]`` records the
    purpose, the group and the drawn order (as labels), so anyone with the seed can redo it.
    """
    if rule not in FIT_RULES:
        raise VotingError(f"rule must be one of {FIT_RULES}, not {rule!r}")
    b = _check_budget(budget)
    c = _check_costs(costs, None)
    n = c.shape[0]
    ordered = [int(i) for i in order]
    if len(set(ordered)) != len(ordered) or any(i < 0 or i >= n for i in ordered):
        raise VotingError(f"order must list distinct indices between 0 and {n - 1}")
    labs = [str(x) for x in labels]
    if len(labs) != n:
        raise VotingError(f"labels must have one entry per cost ({n}), not {len(labs)}")
    if (lottery_group is None) == (intervals is None):
        raise VotingError("give exactly one of lottery_group and intervals")
    line: int | None = None
    if lottery_group is not None:
        group = [int(i) for i in lottery_group]
        if len(set(group)) != len(group) or any(i not in ordered for i in group):
            raise VotingError("lottery_group must list distinct indices that appear in order")
        gset = set(group)
        first = min(ordered.index(i) for i in group) if group else len(ordered)
        sure = [i for i in ordered[:first] if i not in gset]
    else:
        iv = np.asarray(intervals, dtype=np.float64)
        if iv.shape != (n, 2) or not np.all(np.isfinite(iv)) or np.any(iv[:, 0] > iv[:, 1]):
            raise VotingError(
                f"intervals must have shape ({n}, 2) with finite low <= high rank per entry")
        plain = fund_in_order(ordered, c.tolist(), b, rule=rule)
        funded_set = set(plain.selected)
        line = 0
        for i in ordered:
            if i not in funded_set:
                break
            line += 1
        mark = line + 0.5
        group = [i for i in ordered if iv[i, 0] <= mark <= iv[i, 1]]
        gset = set(group)
        sure = [i for i in ordered if iv[i, 1] < mark]
    first_pass = fund_in_order(sure, c.tolist(), b, rule=rule)
    drawn_labels = draw_order(seed, "lottery", [labs[i] for i in group])
    by_label = {labs[i]: i for i in group}
    drawn = [by_label[lab] for lab in drawn_labels]
    if rule == "stop" and first_pass.stopped_at is not None:
        second = fund_in_order([], c.tolist(), first_pass.remaining, rule=rule)
    else:
        second = fund_in_order(drawn, c.tolist(), first_pass.remaining, rule=rule)
    rounds = (
        CountRound(
            number=1, tallies={i: int(c[i]) for i in sure}, threshold=b,
            elected=first_pass.selected,
            eliminated=first_pass.skipped + ((first_pass.stopped_at,)
                                             if first_pass.stopped_at is not None else ()),
            note=(f"{len(first_pass.selected)} of the {len(sure)} entries clearly above the "
                  f"funding line are funded; {first_pass.remaining} is left for the lottery.")),
        CountRound(
            number=2, tallies={i: int(c[i]) for i in drawn}, threshold=first_pass.remaining,
            elected=second.selected,
            eliminated=tuple(i for i in drawn if i not in second.selected),
            note=(f"The {len(group)} entries at the funding line were put in a random order "
                  f"drawn from the published seed; {len(second.selected)} are funded in that "
                  "order with the money left.")),
    )
    winners = first_pass.selected + second.selected
    return CountResult(
        method="partial-lottery",
        winners=winners,
        rounds=rounds,
        details={
            "rule": rule,
            "sure": sure,
            "line_after": line,
            "draw": {"purpose": "lottery", "group": [labs[i] for i in group],
                     "order": drawn_labels},
            "spent": first_pass.spent + second.spent,
            "remaining": second.remaining,
        },
    )
