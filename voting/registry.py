"""The method registry: one table from a method key to its function and its words.

A round stores a method key (``"irv"``, ``"equal-shares"``, ...).  :data:`METHODS` maps each key
to a :class:`MethodInfo`: a human name, a one-line summary (for lists), a short plain-English
explanation (for public outcome pages; written for readers who find long words hard), the
ballot types it accepts, and the counting function (imported when first used, so the registry
can be read without loading every counting module).

Ballot types: ``"ranked"`` (each person puts options in order), ``"approval"`` (each person
ticks the options they support), ``"scores"`` (panel members score each application against
the rubric).

>>> METHODS["irv"].name
'Instant-runoff voting'
>>> sorted(k for k, m in METHODS.items() if "approval" in m.ballots)
['approval', 'equal-shares', 'greedy']
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["BALLOT_TYPES", "METHODS", "MethodInfo", "method"]

BALLOT_TYPES = ("ranked", "approval", "scores")


def N_(message: str) -> str:  # noqa: N802 (gettext's conventional name)
    """Mark ``message`` for the translation catalogue; it is returned unchanged.

    ``voting`` imports nothing from Flask, so it cannot translate. Names, summaries and
    explanations are marked with this no-op so ``make translations`` (``pybabel extract
    -k N_``, see babel.cfg) puts them in the app's catalogue; the app translates them when it
    shows them (``gettext(METHODS[key].explanation)``).
    """
    return message


@dataclass(frozen=True)
class MethodInfo:
    """One counting method.

    key:          the registry key stored with a round (``"irv"``).
    name:         human name ("Instant-runoff voting").
    summary:      one plain-English line.
    explanation:  a short plain-English paragraph for public pages.
    ballots:      ballot types accepted (from :data:`BALLOT_TYPES`).
    target:       ``"module:function"`` of the counting function.
    multi_winner: True if the method elects several (seats) or funds within a budget.
    budget:       True if the method needs costs and a budget.
    """

    key: str
    name: str
    summary: str
    explanation: str
    ballots: tuple[str, ...]
    target: str
    multi_winner: bool = False
    budget: bool = False

    @property
    def function(self) -> Callable[..., Any]:
        """The counting function (imported on first use)."""
        module, _, attr = self.target.partition(":")
        fn: Callable[..., Any] = getattr(importlib.import_module(module), attr)
        return fn


_ENTRIES = (
    MethodInfo(
        key="scores",
        name=N_("Panel scores"),
        summary=N_("Panel members score each application; the highest average is funded first."),
        explanation=N_(
            "Each panel member read the applications and gave each one a score for each "
            "question in the scoring guide. We added up each member's scores, then took the "
            "average (or the middle score, if the round said so) for each application. "
            "Scores from a member with a link to an application did not count. We put the "
            "applications in order, highest score first, and gave money down the list until "
            "the money ran out."
        ),
        ballots=("scores",),
        target="voting.panel:decide_round",
        multi_winner=True,
        budget=True,
    ),
    MethodInfo(
        key="irv",
        name=N_("Instant-runoff voting"),
        summary=N_("Ranked ballots; the option with fewest first choices drops out until one has "
                   "more than half."),
        explanation=N_(
            "Each panel member put the applications in order, first choice first. We counted "
            "first choices. If no application had more than half, the one with the fewest was "
            "taken out, and those votes went to each person's next choice. We did this again "
            "until one application had more than half of the votes."
        ),
        ballots=("ranked",),
        target="voting.ranked:irv",
    ),
    MethodInfo(
        key="stv",
        name=N_("Single transferable vote"),
        summary=N_("Ranked ballots; several winners, each needing a quota, with spare votes passed on."),
        explanation=N_(
            "Each panel member put the applications in order, first choice first. An "
            "application that reached a set number of votes (the quota) was chosen. Votes it "
            "did not need were passed on to people's next choices. If none reached the quota, "
            "the application with the fewest votes was taken out and its votes passed on. "
            "This went on until all places were filled."
        ),
        ballots=("ranked",),
        target="voting.ranked:stv",
        multi_winner=True,
    ),
    MethodInfo(
        key="borda",
        name=N_("Borda count"),
        summary=N_("Ranked ballots; points for each place, most points wins."),
        explanation=N_(
            "Each panel member put the applications in order. An application got more points "
            "the higher it was placed. The last place got no points. The next one up got one "
            "point, and so on. We added up the points. The application with the most points "
            "came first."
        ),
        ballots=("ranked",),
        target="voting.ranked:borda",
    ),
    MethodInfo(
        key="schulze",
        name=N_("Schulze method"),
        summary=N_("Ranked ballots; compares every pair of options and finds the strongest chains "
                   "of wins."),
        explanation=N_(
            "Each panel member put the applications in order. For every pair of applications "
            "we counted how many members put one above the other. An application wins if it "
            "beats every other one, either directly or through a chain of stronger wins."
        ),
        ballots=("ranked",),
        target="voting.ranked:schulze",
    ),
    MethodInfo(
        key="ranked-pairs",
        name=N_("Ranked pairs"),
        summary=N_("Ranked ballots; locks in head-to-head wins from biggest to smallest."),
        explanation=N_(
            "Each panel member put the applications in order. For every pair of applications "
            "we counted how many members put one above the other. We took the biggest wins "
            "first and fixed them in place, skipping any that would go round in a circle. "
            "The application that no fixed win beats comes first."
        ),
        ballots=("ranked",),
        target="voting.ranked:ranked_pairs",
    ),
    MethodInfo(
        key="approval",
        name=N_("Approval voting"),
        summary=N_("Tick every option you support; the most ticks wins."),
        explanation=N_(
            "Each panel member ticked every application they supported. We counted the ticks. "
            "The application with the most ticks was chosen (or the top few, if there were "
            "several places)."
        ),
        ballots=("approval",),
        target="voting.ranked:approval",
        multi_winner=True,
    ),
    MethodInfo(
        key="greedy",
        name=N_("Most votes first"),
        summary=N_("Approval ballots and a budget; fund the most-supported projects first until "
                   "the money runs out."),
        explanation=N_(
            "Each person ticked the projects they supported. We put the projects in order, "
            "most ticks first. We gave money down the list. Sometimes a project cost more "
            "than the money left. Then we skipped it and went on to the next one that fitted "
            "(or we stopped, if the round said so)."
        ),
        ballots=("approval",),
        target="voting.budget:greedy",
        multi_winner=True,
        budget=True,
    ),
    MethodInfo(
        key="equal-shares",
        name=N_("Method of Equal Shares"),
        summary=N_("Approval or score ballots and a budget; each voter gets an equal share of the "
                   "money to spend on projects they support."),
        explanation=N_(
            "We split the money into equal shares, one for each person who voted. A project "
            "could only be paid for from the shares of the people who supported it. Again and "
            "again, we chose the project that its supporters could pay for with the smallest "
            "amount each, and took the cost from their shares. This way, every group of "
            "voters gets a fair part of the money, not only the biggest group. If money is left "
            "over and the round's rules ask for it, we make every share a little bigger, step "
            "by step, and count again. We keep the last choice that still fits the budget, as "
            "towns in Poland did in 2023; without that rule, the rest stays unspent."
        ),
        ballots=("approval", "scores"),
        target="voting.budget:equal_shares",
        multi_winner=True,
        budget=True,
    ),
)

#: Method key -> :class:`MethodInfo`, in the order methods are listed to people.
METHODS: dict[str, MethodInfo] = {m.key: m for m in _ENTRIES}


def method(key: str) -> MethodInfo:
    """The :class:`MethodInfo` for ``key``; a VotingError listing the known keys otherwise."""
    from voting.errors import VotingError

    try:
        return METHODS[key]
    except KeyError:
        raise VotingError(
            f"unknown method {key!r}; known methods: {', '.join(METHODS)}"
        ) from None
