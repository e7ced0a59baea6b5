"""The facilitator's meeting view: the applications the consensus stage flagged, anonymised.

For each flagged application (in the consensus stage's order: most disagreement first, see
:func:`grantpanel.services.stages.flagged`) the view holds its public title and summary, the
stage-1 sheet totals that count (sorted, with no names or pseudonyms), each criterion's scores
(sorted), how many members marked a strong objection, their objection reasons and the panel
notes (sorted alphabetically, so their order says nothing about who wrote them).

Who may see it: staff, and panel members of the round (:func:`may_view`). A member never sees
an application they have a conflict with: it is listed as hidden, with nothing about it.
Nothing here writes to the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from sqlalchemy import select

from grantpanel.extensions import db
from grantpanel.models import (
    Application,
    Conflict,
    Criterion,
    Membership,
    Round,
    ScoreSheet,
    Translations,
    User,
)
from grantpanel.services import stages
from grantpanel.vocabulary import SheetStatus, StageKind

__all__ = ["CriterionSpread", "MeetingItem", "may_view", "meeting_items", "membership_of",
           "sheet_total"]


@dataclass(frozen=True)
class CriterionSpread:
    """One criterion's counted stage-1 scores for one application, lowest first.

    ``translations`` are the criterion's, so a page can show its name in the page's language
    (``localised(spread, "name")``, :mod:`grantpanel.services.content`)."""

    name: str
    scale_min: int
    scale_max: int
    scores: list[int]
    translations: Translations | None = field(default=None, compare=False, repr=False)

    @property
    def low(self) -> int | None:
        return self.scores[0] if self.scores else None

    @property
    def high(self) -> int | None:
        return self.scores[-1] if self.scores else None


@dataclass(frozen=True)
class MeetingItem:
    """One flagged application as the meeting sees it (``hidden``: the viewer has a conflict
    with it, so only its place in the list is shown). ``translations`` are the application's,
    for its title and summary in the page's language (``localised(item, "title")``)."""

    position: int
    reference: str
    hidden: bool = False
    title: str = ""
    summary: str = ""
    amount: int = 0
    totals: list[str] = field(default_factory=list)  # lowest first, as figures ("12.50")
    criteria: list[CriterionSpread] = field(default_factory=list)
    objections: int = 0
    objection_reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # From the count's consensus outputs, when it could be run: the declared measure's
    # figure ("4.58") and why the application is flagged ("disagreement", "objection").
    disagreement: str | None = None
    reasons: list[str] = field(default_factory=list)
    translations: Translations | None = field(default=None, compare=False, repr=False)

    @property
    def low(self) -> str | None:
        return self.totals[0] if self.totals else None

    @property
    def high(self) -> str | None:
        return self.totals[-1] if self.totals else None


def declared(rnd: Round) -> bool:
    """The round declares a consensus stage, so it has a meeting view."""
    return stages.stage(rnd, StageKind.CONSENSUS) is not None


def under_way(rnd: Round) -> bool:
    """The panel may be meeting now: a consensus stage is declared, scoring has closed and the
    decision is not yet confirmed (with or without a stage-2 re-score)."""
    lc = rnd.lifecycle
    return declared(rnd) and lc.counted and not lc.decided


def membership_of(user: Any, rnd: Round) -> Membership | None:
    """``user``'s membership of ``rnd``, or ``None``."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(Membership).where(Membership.round_id == rnd.id, Membership.user_id == user.id)
    )


def may_view(user: User | Any, rnd: Round) -> bool:
    """Staff, and panel members with a place on ``rnd``."""
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_staff", False):
        return True
    return bool(getattr(user, "is_panel", False)) and membership_of(user, rnd) is not None


def sheet_total(scores: dict[str, Any], criteria: list[Criterion]) -> Fraction | None:
    """A sheet's weighted total, by the record's rule (docs/record-format.md, sheet total):
    the weighted sum of the scored criteria, scaled up to the full weight when some are left
    "don't know" (``None``); ``None`` if nothing is scored."""
    scored: list[tuple[int, int]] = [(int(c.weight), int(scores[c.key])) for c in criteria
                                     if scores.get(c.key) is not None]
    if not scored:
        return None
    full = sum(int(c.weight) for c in criteria)
    part = sum(w for w, _ in scored)
    return Fraction(sum(w * s for w, s in scored) * full, part)


def figure(value: Fraction) -> str:
    """A total as shown: ``12`` when whole, else two decimals rounded half to even
    (``12.50``), as the record publishes statistics."""
    if value.denominator == 1:
        return str(value.numerator)
    whole = round(value * 100)  # a Fraction rounds half to even
    sign = "-" if whole < 0 else ""
    units, cents = divmod(abs(whole), 100)
    return f"{sign}{units}.{cents:02d}"


def consensus_outputs(rnd: Round) -> dict[str, Any] | None:
    """The count's ``outputs.consensus`` (per-application figures and reasons), or ``None``
    when the count cannot be run yet (for example while a later stage is still open)."""
    from grantpanel.services import counting
    from voting.errors import VotingError

    try:
        consensus = counting.preview(rnd).outputs.get("consensus")
    except (counting.CountError, VotingError):
        return None
    return consensus if isinstance(consensus, dict) else None


def meeting_items(rnd: Round, viewer: Membership | None = None,
                  consensus: dict[str, Any] | None = None) -> list[MeetingItem]:
    """The flagged applications, most disagreement first; those ``viewer`` has a conflict
    with are hidden. Empty before scoring closes or without a consensus stage.

    ``consensus`` (the count's ``outputs.consensus``, see :func:`consensus_outputs`) adds each
    application's disagreement figure, by the declared measure, and the reasons it is
    flagged."""
    refs = stages.flagged(rnd)
    declared = stages.stage(rnd, "consensus") or {}
    measure = str(declared.get("measure", "sd"))
    figures = {str(a.get("id")): a for a in (consensus or {}).get("applications", [])
               if isinstance(a, dict)}
    if not refs:
        return []
    apps = {a.reference: a for a in db.session.scalars(
        select(Application).where(Application.round_id == rnd.id,
                                  Application.reference.in_(refs)))}
    ids = [a.id for a in apps.values()]
    conflicts = {(c.membership_id, c.application_id) for c in db.session.scalars(
        select(Conflict).where(Conflict.application_id.in_(ids)))}
    sheets: dict[int, list[ScoreSheet]] = {}
    for s in db.session.scalars(
        select(ScoreSheet).where(ScoreSheet.application_id.in_(ids),
                                 ScoreSheet.status == SheetStatus.SUBMITTED,
                                 ScoreSheet.stage == 1).order_by(ScoreSheet.id)
    ):
        if (s.membership_id, s.application_id) not in conflicts:
            sheets.setdefault(s.application_id, []).append(s)
    criteria = sorted(rnd.criteria, key=lambda c: c.position)
    items: list[MeetingItem] = []
    for position, ref in enumerate(refs, start=1):
        app = apps.get(ref)
        if app is None:
            continue
        if viewer is not None and (viewer.id, app.id) in conflicts:
            items.append(MeetingItem(position=position, reference=ref, hidden=True))
            continue
        mine = sheets.get(app.id, [])
        totals = [figure(t) for t in sorted(
            t for t in (sheet_total(s.scores, criteria) for s in mine) if t is not None)]
        spreads = [
            CriterionSpread(
                name=c.name, scale_min=c.scale_min, scale_max=c.scale_max,
                scores=sorted(int(s.scores[c.key]) for s in mine
                              if s.scores.get(c.key) is not None),
                translations=c.translations,
            )
            for c in criteria
        ]
        items.append(MeetingItem(
            position=position,
            reference=ref,
            title=app.title,
            summary=app.summary,
            amount=int(app.amount),
            totals=totals,
            criteria=spreads,
            objections=sum(1 for s in mine if s.objection),
            objection_reasons=sorted(s.objection_reason.strip() for s in mine
                                     if s.objection and s.objection_reason.strip()),
            notes=sorted(s.panel_note.strip() for s in mine if s.panel_note.strip()),
            disagreement=figures.get(ref, {}).get(measure),
            reasons=[str(r) for r in figures.get(ref, {}).get("reasons", [])],
            translations=app.translations,
        ))
    return items


def scale(rnd: Round) -> tuple[int, int]:
    """The lowest and highest possible sheet totals of the round's rubric."""
    criteria = list(rnd.criteria)
    return (sum(c.weight * c.scale_min for c in criteria),
            sum(c.weight * c.scale_max for c in criteria))
