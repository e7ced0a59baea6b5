"""Named immutable results shared by every counting method.

Every count returns a :class:`CountResult`: ``winners`` (candidate or project indices in the
order they were elected or selected) and ``rounds`` (one :class:`CountRound` per round,
explaining the count). Tallies are plain Python numbers (``int``, ``float`` or
``fractions.Fraction`` / ``decimal.Decimal`` where a rule is exact) so results serialise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CountRound:
    """One round of a count.

    number:      1-based round number.
    tallies:     candidate index -> votes (or score/approvals/budget share) this round.
    threshold:   the quota or threshold in force this round, if the method has one.
    elected:     indices elected (or funded) this round, in order.
    eliminated:  indices excluded this round, in order.
    transfers:   candidate index -> votes moved to it this round (negative for the source).
    exhausted:   weight of ballots with no continuing preference after this round.
    note:        a plain-English sentence saying what happened (tie-breaks included).
    """

    number: int
    tallies: Mapping[int, Any]
    threshold: Any = None
    elected: tuple[int, ...] = ()
    eliminated: tuple[int, ...] = ()
    transfers: Mapping[int, Any] = field(default_factory=dict)
    exhausted: Any = 0
    note: str = ""

    def as_dict(self, labels: list[str] | None = None) -> dict[str, Any]:
        """JSON-ready form; with ``labels`` candidates are named instead of numbered."""

        def name(i: int) -> str | int:
            return labels[i] if labels is not None else i

        def num(v: Any) -> Any:
            if isinstance(v, (int, float, str)) or v is None:
                return v
            return str(v)

        return {
            "round": self.number,
            "tallies": {str(name(k)): num(v) for k, v in self.tallies.items()},
            "threshold": num(self.threshold),
            "elected": [name(i) for i in self.elected],
            "eliminated": [name(i) for i in self.eliminated],
            "transfers": {str(name(k)): num(v) for k, v in self.transfers.items()},
            "exhausted": num(self.exhausted),
            "note": self.note,
        }


@dataclass(frozen=True)
class CountResult:
    """The outcome of a count: winners in order, and every round that led there.

    method:  the registry key of the method that produced it (``"irv"``, ``"stv"``, ...).
    winners: indices of the elected candidates / selected projects, in election order.
    rounds:  the explanation, one entry per round.
    details: method-specific extras (e.g. pairwise matrix, budget spent, lottery draws).
    """

    method: str
    winners: tuple[int, ...]
    rounds: tuple[CountRound, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self, labels: list[str] | None = None) -> dict[str, Any]:
        def name(i: int) -> str | int:
            return labels[i] if labels is not None else i

        return {
            "method": self.method,
            "winners": [name(i) for i in self.winners],
            "rounds": [r.as_dict(labels) for r in self.rounds],
        }
