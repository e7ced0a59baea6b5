"""Consensus checks: flags for discussion, consent decisions, supermajorities.

Public API
----------
:func:`flag_for_discussion`
    Applications whose disagreement passes the round's threshold, or that carry a member's
    strong objection.
:func:`consent`
    A proposal passes unless a member blocks; every block must give a reason.
:func:`supermajority`
    Yes votes against a threshold share, in exact (``Fraction``) arithmetic.

Each returns a small frozen result with a plain-English ``explanation``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from voting.agreement import IprasResult, SpreadResult, ipras, spread
from voting.errors import VotingError

__all__ = [
    "ConsentResult",
    "FlagResult",
    "Position",
    "SupermajorityResult",
    "consent",
    "flag_for_discussion",
    "supermajority",
]

MEASURES = ("sd", "iqr", "range", "ipras")
STANCES = ("consent", "stand-aside", "block")


# ---------------------------------------------------------------------------------------
# Flags for discussion
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FlagResult:
    """Outcome of :func:`flag_for_discussion`.

    flagged:      application indices to discuss, ascending.
    reasons:      application index -> plain-English reasons it was flagged.
    measure:      ``"sd"``, ``"iqr"``, ``"range"`` or ``"ipras"``.
    threshold:    the threshold compared against (``None`` for ``"ipras"``).
    values:       the measure per application (``None`` where it could not be computed;
                  for ``"ipras"`` the IPR).
    insufficient: applications with too few scores to judge agreement (not flagged for
                  that reason alone).
    """

    flagged: tuple[int, ...]
    reasons: Mapping[int, tuple[str, ...]]
    measure: str
    threshold: float | None
    values: tuple[float | None, ...]
    insufficient: tuple[int, ...]
    explanation: str


def flag_for_discussion(
    spread_or_totals: SpreadResult | IprasResult | ArrayLike,
    *,
    threshold: float | None = None,
    measure: Literal["sd", "iqr", "range", "ipras"] = "sd",
    objections: Iterable[int] = (),
    scale: tuple[float, float] = (1.0, 9.0),
) -> FlagResult:
    """Flag applications for panel discussion.

    Parameters
    ----------
    spread_or_totals : SpreadResult, IprasResult or array_like
        A :func:`~voting.agreement.spread` result (for ``"sd"``, ``"iqr"``, ``"range"``), an
        :func:`~voting.agreement.ipras` result (for ``"ipras"``), or totals, shape
        (n_reviewers, n_applications) with ``NaN`` for missing, from which the measure is
        computed.
    threshold : float
        Required for ``"sd"``, ``"iqr"`` and ``"range"``; must be ``None`` for ``"ipras"``
        (whose own rule is the threshold).
    measure : {"sd", "iqr", "range", "ipras"}
    objections : iterable of int
        Application indices on which a member recorded a strong objection (repeats count
        once each in the reasons).
    scale : (low, high)
        The rating scale, used only when ``"ipras"`` is computed from totals.

    Rule
    ----
    An application is flagged when its measure is **strictly greater** than ``threshold``
    (for ``"ipras"``: when IPR > IPRAS, the RAND/UCLA definition of disagreement), or when
    any member recorded a strong objection to it.  A measure that cannot be computed (fewer
    than two scores) does not flag by itself; such applications are listed in
    ``insufficient`` (the round's quorum rule deals with them).
    """
    if measure not in MEASURES:
        raise VotingError(f"measure must be one of {MEASURES}; got {measure!r}")
    if measure == "ipras":
        if threshold is not None:
            raise VotingError("the 'ipras' measure has its own threshold; pass threshold=None")
        if isinstance(spread_or_totals, SpreadResult):
            raise VotingError("measure 'ipras' needs an IprasResult or totals, not a SpreadResult")
        res = (
            spread_or_totals
            if isinstance(spread_or_totals, IprasResult)
            else ipras(spread_or_totals, scale=scale)
        )
        vals: NDArray[np.float64] = np.asarray(res.ipr, dtype=np.float64)
        over = np.asarray(res.disagreement, dtype=bool)
        limit_text = "its IPR is wider than its IPRAS (RAND/UCLA disagreement)"
    else:
        if threshold is None or not np.isfinite(threshold):
            raise VotingError(f"measure {measure!r} needs a finite numeric threshold")
        if isinstance(spread_or_totals, IprasResult):
            raise VotingError(
                f"measure {measure!r} needs a SpreadResult or totals, not an IprasResult"
            )
        sres = (
            spread_or_totals
            if isinstance(spread_or_totals, SpreadResult)
            else spread(spread_or_totals)
        )
        vals = np.asarray(sres.measure(measure), dtype=np.float64)
        with np.errstate(invalid="ignore"):
            over = np.where(np.isnan(vals), False, vals > threshold)
        names = {"sd": "standard deviation", "iqr": "interquartile range", "range": "range"}
        limit_text = f"its {names[measure]} is above {threshold:g}"
    n_a = vals.size
    objected: dict[int, int] = {}
    for a in objections:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)) or not 0 <= int(a) < n_a:
            raise VotingError(
                f"objections must be application indices from 0 to {n_a - 1}; got {a!r}"
            )
        objected[int(a)] = objected.get(int(a), 0) + 1
    reasons: dict[int, tuple[str, ...]] = {}
    for a in range(n_a):
        why: list[str] = []
        if over[a]:
            why.append(f"the panel disagrees: {limit_text}")
        if a in objected:
            k = objected[a]
            why.append(f"{k} strong objection{'s' if k != 1 else ''} recorded")
        if why:
            reasons[a] = tuple(why)
    flagged = tuple(sorted(reasons))
    insufficient = tuple(int(a) for a in np.flatnonzero(np.isnan(vals)))
    values = tuple(None if np.isnan(x) else float(x) for x in vals)
    if flagged:
        explanation = (
            f"{len(flagged)} application(s) flagged for discussion: "
            + "; ".join(f"{a} ({', '.join(reasons[a])})" for a in flagged)
            + "."
        )
    else:
        explanation = (
            "No application passed the disagreement threshold or carries a strong objection."
        )
    if insufficient:
        explanation += (
            " Too few scores to judge agreement on: "
            + ", ".join(str(a) for a in insufficient)
            + "."
        )
    return FlagResult(
        flagged=flagged,
        reasons=reasons,
        measure=measure,
        threshold=None if threshold is None else float(threshold),
        values=values,
        insufficient=insufficient,
        explanation=explanation,
    )


# ---------------------------------------------------------------------------------------
# Consent
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Position:
    """One member's position on a proposal.

    stance: ``"consent"``, ``"stand-aside"`` (does not support it but will not stop it) or
            ``"block"`` (a principled objection that stops the proposal; needs a reason).
    """

    member: str
    stance: str
    reason: str = ""


@dataclass(frozen=True)
class ConsentResult:
    """Outcome of :func:`consent`.

    passed:       True when no member blocked.
    consents, stand_asides: members in each stance, in input order.
    blocks:       ``(member, reason)`` for each block, in input order.
    """

    passed: bool
    consents: tuple[str, ...]
    stand_asides: tuple[tuple[str, str], ...]
    blocks: tuple[tuple[str, str], ...]
    explanation: str


def _position(p: Position | Sequence[str]) -> Position:
    if isinstance(p, Position):
        return p
    if isinstance(p, (tuple, list)) and len(p) in (2, 3) and all(isinstance(x, str) for x in p):
        return Position(*p)
    raise VotingError("each position must be a Position or (member, stance[, reason]) strings")


def consent(positions: Iterable[Position | Sequence[str]]) -> ConsentResult:
    """Decide by consent: the proposal passes unless a member blocks.

    Each position is a :class:`Position` or a ``(member, stance)`` /
    ``(member, stance, reason)`` tuple, ``stance`` one of ``"consent"``, ``"stand-aside"``,
    ``"block"``.  Rules:

    * a block must carry a non-empty reason (VotingError otherwise), so the panel can
      address it;
    * any block stops the proposal; stand-asides are recorded but do not stop it;
    * each member gives one position; at least one position is needed.

    >>> consent([("P1", "consent"), ("P2", "stand-aside", "unsure about cost")]).passed
    True
    """
    items = [_position(p) for p in positions]
    if not items:
        raise VotingError("consent needs at least one member's position")
    seen: set[str] = set()
    for p in items:
        if p.stance not in STANCES:
            raise VotingError(
                f"stance must be one of {STANCES}; got {p.stance!r} from {p.member!r}"
            )
        if p.member in seen:
            raise VotingError(f"member {p.member!r} gave more than one position")
        seen.add(p.member)
        if p.stance == "block" and not p.reason.strip():
            raise VotingError(f"a block must give a reason; {p.member!r} blocked without one")
    consents = tuple(p.member for p in items if p.stance == "consent")
    asides = tuple((p.member, p.reason.strip()) for p in items if p.stance == "stand-aside")
    blocks = tuple((p.member, p.reason.strip()) for p in items if p.stance == "block")
    passed = not blocks
    if passed:
        explanation = (
            f"Passed by consent: {len(consents)} consented and {len(asides)} stood aside; "
            "nobody blocked."
        )
    else:
        explanation = (
            f"Not passed: {len(blocks)} member(s) blocked. Reasons: "
            + "; ".join(f"{m}: {r}" for m, r in blocks)
            + "."
        )
    return ConsentResult(
        passed=passed,
        consents=consents,
        stand_asides=asides,
        blocks=blocks,
        explanation=explanation,
    )


# ---------------------------------------------------------------------------------------
# Supermajority
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SupermajorityResult:
    """Outcome of :func:`supermajority`.

    passed:     whether the yes share met the threshold.
    yes, no, abstain: vote counts.
    share:      ``Fraction(yes, yes + no)``, or ``None`` when nobody voted yes or no.
    threshold:  the threshold as a Fraction.
    inclusive:  True when a share exactly equal to the threshold passes (``>=``).
    """

    passed: bool
    yes: int
    no: int
    abstain: int
    share: Fraction | None
    threshold: Fraction
    inclusive: bool
    explanation: str


def _fraction(x: Fraction | int | float | str) -> Fraction:
    if isinstance(x, bool):
        raise VotingError("threshold must be a number such as Fraction(2, 3)")
    try:
        if isinstance(x, float):
            return Fraction(repr(x))  # the decimal the caller wrote, exactly
        return Fraction(x)
    except (ValueError, TypeError, ZeroDivisionError):
        raise VotingError(f"threshold must be a number such as Fraction(2, 3); got {x!r}") from None


_YES = {"yes", "for", "y"}
_NO = {"no", "against", "n"}
_ABSTAIN = {"abstain", "abstention"}


def supermajority(
    votes: Iterable[bool | str | None],
    threshold: Fraction | int | float | str = Fraction(2, 3),
    *,
    inclusive: bool = True,
) -> SupermajorityResult:
    """Does the yes share reach a supermajority?

    Votes: ``True`` / ``"yes"`` / ``"for"``, ``False`` / ``"no"`` / ``"against"``, and
    ``None`` / ``"abstain"`` (case-insensitive).

    Rule (exact arithmetic with :class:`fractions.Fraction`):

    * ``share = yes / (yes + no)``: abstentions are not part of the base;
    * ``inclusive=True`` (default): passes when ``share >= threshold`` ("at least two
      thirds"); ``inclusive=False``: passes when ``share > threshold`` ("more than two
      thirds").  So 2 yes, 1 no against 2/3 passes inclusively and fails exclusively;
    * with no yes or no votes, it does not pass.

    ``threshold`` is a Fraction, int or string (``"2/3"``) in (0, 1]; a float is read as the
    decimal it prints as (``0.6`` is exactly 3/5).

    >>> supermajority(["yes", "yes", "no"]).passed
    True
    >>> supermajority(["yes", "yes", "no"], inclusive=False).passed
    False
    """
    th = _fraction(threshold)
    if not (0 < th <= 1):
        raise VotingError(f"threshold must be greater than 0 and at most 1; got {th}")
    yes = no = abstain = 0
    for v in votes:
        if v is None:
            abstain += 1
        elif v is True:
            yes += 1
        elif v is False:
            no += 1
        elif isinstance(v, str) and v.strip().lower() in _YES:
            yes += 1
        elif isinstance(v, str) and v.strip().lower() in _NO:
            no += 1
        elif isinstance(v, str) and v.strip().lower() in _ABSTAIN:
            abstain += 1
        else:
            raise VotingError(f"a vote must be yes, no or abstain; got {v!r}")
    cast_ = yes + no
    share = Fraction(yes, cast_) if cast_ else None
    passed = share is not None and (share >= th if inclusive else share > th)
    cmp = "at least" if inclusive else "more than"
    if share is None:
        explanation = f"Not passed: nobody voted yes or no ({abstain} abstained)."
    else:
        explanation = (
            f"{'Passed' if passed else 'Not passed'}: {yes} yes and {no} no "
            f"({abstain} abstained, not counted), a yes share of {share}; "
            f"the rule needs {cmp} {th}."
        )
    return SupermajorityResult(
        passed=passed,
        yes=yes,
        no=no,
        abstain=abstain,
        share=share,
        threshold=th,
        inclusive=inclusive,
        explanation=explanation,
    )
