"""Budget rules: fund down an order within a budget; participatory-budgeting rules.

:func:`fund_in_order` is the one place the "fund down the order" rule lives; the panel
decision (:mod:`voting.panel`) and :func:`greedy` both use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from voting.errors import VotingError

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
    (2, 0)
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


def greedy(*args: object, **kwargs: object) -> object:  # placeholder
    raise NotImplementedError


def equal_shares(*args: object, **kwargs: object) -> object:  # placeholder
    raise NotImplementedError


def partial_lottery(*args: object, **kwargs: object) -> object:  # placeholder
    raise NotImplementedError
