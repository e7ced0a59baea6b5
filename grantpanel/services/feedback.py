"""Applicant feedback: secret links, staff edits with a trace, release, and what a page shows.

Rules kept here, each in one place:

- A feedback link is a random token; only its SHA-256 is stored (``FeedbackLink``), like an
  invitation link. :func:`new_link` makes one and returns it once; making another replaces
  the stored hash, so the old link stops working at once.
- :func:`application_for_token` is the only way in from a link: an unknown token, or a round
  whose feedback is not released, is ``None`` (the page says "not found" either way, so a
  guess learns nothing).
- Feedback is what panel members wrote for the applicant on their submitted score sheets. The
  sheet's own text is never changed: staff edits (``FeedbackEdit``) are stored beside it with
  who, when and why, and the newest edit is what the applicant reads (empty: left out).
- :func:`release` works only once the decision is published, and only once
  (compare-and-set on ``Round.feedback_released_at``).
- :func:`applicant_view` reads the outcome, the per-criterion scores and the funding line from
  the **published record**, never the live tables; quotes carry no member name or number.

Nothing here commits; the view owns the transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import CursorResult, Select, func, select, update

from grantpanel.extensions import db
from grantpanel.i18n import _
from grantpanel.models import (
    Application,
    FeedbackEdit,
    FeedbackLink,
    Round,
    ScoreSheet,
    User,
    utcnow,
)
from grantpanel.services import audit, content, publication
from grantpanel.textcheck import text_problem
from grantpanel.vocabulary import ResultStatus, SheetStatus

PAGE_SIZE = 50
FEEDBACK_MAX_LENGTH = 5_000
REASON_MAX_LENGTH = 500
QUESTION_ROUTE_MAX_LENGTH = 2_000

__all__ = [
    "CriterionComparison",
    "FeedbackError",
    "LineDistance",
    "Quote",
    "SheetFeedback",
    "application_for_token",
    "applicant_view",
    "edit_feedback",
    "feedback_counts",
    "new_link",
    "quotes_for",
    "release",
    "set_question_route",
    "sheet_feedback",
    "token_hash",
]


class FeedbackError(ValueError):
    """A plain-English reason a feedback action could not be done."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- links -----------------------------------------------------------------------------------


def new_link(application: Application, actor: User) -> str:
    """Make a new secret feedback link token for ``application`` and return it (shown once;
    only its hash is stored). Any earlier link for the application stops working."""
    token = secrets.token_urlsafe(24)
    link = db.session.scalar(
        select(FeedbackLink).where(FeedbackLink.application_id == application.id)
    )
    replaced = link is not None
    if link is None:
        link = FeedbackLink(application_id=application.id)
        db.session.add(link)
    link.token_hash = token_hash(token)
    link.created_by_id = actor.id
    link.created_at = utcnow()
    audit.record("feedback.link_made", actor=actor, round_id=application.round_id,
                 application_id=application.id, replaced=replaced)
    return token


def application_for_token(token: str) -> Application | None:
    """The application a feedback link is for, if the link is current and the round's
    feedback is released; else ``None`` (unknown, replaced and unreleased look the same)."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(
        select(Application)
        .join(FeedbackLink, FeedbackLink.application_id == Application.id)
        .join(Round, Round.id == Application.round_id)
        .where(FeedbackLink.token_hash == token_hash(token),
               Round.feedback_released_at.is_not(None))
    )


def has_link(application_ids: list[int]) -> set[int]:
    """Which of these applications have a feedback link."""
    if not application_ids:
        return set()
    return set(db.session.scalars(
        select(FeedbackLink.application_id)
        .where(FeedbackLink.application_id.in_(application_ids))
    ))


# --- the panel's feedback and staff edits ----------------------------------------------------


def _feedback_sheets(application_ids: list[int]) -> Select[ScoreSheet]:
    """Submitted sheets with feedback written for the applicant, oldest first."""
    return (
        select(ScoreSheet)
        .where(ScoreSheet.application_id.in_(application_ids),
               ScoreSheet.status == SheetStatus.SUBMITTED,
               ScoreSheet.feedback != "")
        .order_by(ScoreSheet.application_id, ScoreSheet.id)
    )


def _latest_edits(sheet_ids: list[int]) -> dict[int, FeedbackEdit]:
    """The newest staff edit of each sheet that has one."""
    if not sheet_ids:
        return {}
    newest = (
        select(func.max(FeedbackEdit.id))
        .where(FeedbackEdit.sheet_id.in_(sheet_ids))
        .group_by(FeedbackEdit.sheet_id)
    )
    return {e.sheet_id: e for e in db.session.scalars(
        select(FeedbackEdit).where(FeedbackEdit.id.in_(newest))
    )}


@dataclass(frozen=True)
class SheetFeedback:
    """One sheet's feedback as staff see it: the original, what the applicant will read, and
    the trace of edits (newest first)."""

    sheet_id: int
    original: str
    shown: str
    edits: list[FeedbackEdit]

    @property
    def edited(self) -> bool:
        return bool(self.edits)


def sheet_feedback(application: Application) -> list[SheetFeedback]:
    """Every piece of panel feedback for ``application``, with staff edits (staff only)."""
    sheets = list(db.session.scalars(_feedback_sheets([application.id])))
    ids = [s.id for s in sheets]
    trace: dict[int, list[FeedbackEdit]] = {}
    if ids:
        for e in db.session.scalars(
            select(FeedbackEdit).where(FeedbackEdit.sheet_id.in_(ids))
            .order_by(FeedbackEdit.id.desc())
        ):
            trace.setdefault(e.sheet_id, []).append(e)
    return [
        SheetFeedback(sheet_id=s.id, original=s.feedback,
                      shown=trace[s.id][0].text if s.id in trace else s.feedback,
                      edits=trace.get(s.id, []))
        for s in sheets
    ]


@dataclass(frozen=True)
class Quote:
    """A piece of feedback as the applicant reads it: text only, nobody named."""

    text: str


def quotes_for(application: Application) -> list[Quote]:
    """What the applicant reads: each sheet's feedback (staff's newest edit where there is
    one), in no member's name; feedback staff emptied is left out."""
    return [Quote(f.shown) for f in sheet_feedback(application) if f.shown.strip()]


def feedback_counts(application_ids: list[int]) -> dict[int, int]:
    """How many submitted sheets with feedback each application has (one ``GROUP BY``)."""
    if not application_ids:
        return {}
    rows = db.session.execute(
        select(ScoreSheet.application_id, func.count())
        .where(ScoreSheet.application_id.in_(application_ids),
               ScoreSheet.status == SheetStatus.SUBMITTED,
               ScoreSheet.feedback != "")
        .group_by(ScoreSheet.application_id)
    )
    return {app_id: int(n) for app_id, n in rows}


def without_feedback(rnd: Round) -> int:
    """How many of the round's applications have no panel feedback at all."""
    with_any = (
        select(ScoreSheet.application_id)
        .join(Application, Application.id == ScoreSheet.application_id)
        .where(Application.round_id == rnd.id,
               ScoreSheet.status == SheetStatus.SUBMITTED,
               ScoreSheet.feedback != "")
        .distinct()
    )
    total = db.session.scalar(
        select(func.count()).select_from(Application).where(Application.round_id == rnd.id)
    ) or 0
    have = db.session.scalar(select(func.count()).select_from(with_any.subquery())) or 0
    return int(total) - int(have)


def edit_feedback(
    application: Application, actor: User, *, texts: dict[int, str], reason: str
) -> list[int]:
    """Store staff's versions of the sheets' feedback (sheet id -> text); only sheets whose
    text differs from what the applicant would read now get an edit. Returns the sheet ids
    changed. Raises FeedbackError with a plain reason (nothing stored then)."""
    reason = reason.strip()
    current = {f.sheet_id: f for f in sheet_feedback(application)}
    problems: list[str] = []
    if not reason:
        problems.append(_("Write a short reason for the change. Other staff will see it."))
    problem = text_problem(reason, max_length=REASON_MAX_LENGTH, label=_("The reason"))
    if problem:
        problems.append(problem)
    changed: dict[int, str] = {}
    for sheet_id, typed in texts.items():
        if sheet_id not in current:
            raise FeedbackError(_("That feedback is not part of this application."))
        typed = typed.strip()
        problem = text_problem(typed, max_length=FEEDBACK_MAX_LENGTH, label=_("The feedback"))
        if problem:
            problems.append(problem)
        if typed != current[sheet_id].shown.strip():
            changed[sheet_id] = typed
    if not changed and not problems:
        raise FeedbackError(_("Nothing was changed. Change the feedback, or go back."))
    if problems:
        raise FeedbackError(" ".join(problems))
    for sheet_id, text in changed.items():
        db.session.add(FeedbackEdit(sheet_id=sheet_id, text=text, reason=reason,
                                    author_id=actor.id))
    audit.record("feedback.edited", actor=actor, round_id=application.round_id,
                 application_id=application.id, count=len(changed), reason=reason)
    return sorted(changed)


# --- release and the round's route to question a decision ------------------------------------


def release(rnd: Round, actor: User) -> None:
    """Let applicants open their feedback links. Only after the decision is published, and
    once (a second press, or two at once, release nothing more). Raises FeedbackError."""
    if not rnd.lifecycle.published:
        raise FeedbackError(_("Publish the decision first. Feedback can be released only "
                              "after that."))
    result = db.session.execute(
        update(Round)
        .where(Round.id == rnd.id, Round.feedback_released_at.is_(None))
        .values(feedback_released_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not isinstance(result, CursorResult) or result.rowcount != 1:
        raise FeedbackError(_("Feedback for this round is already released."))
    db.session.refresh(rnd)
    audit.record("feedback.released", actor=actor, round_id=rnd.id,
                 without_feedback=without_feedback(rnd))


def set_question_route(rnd: Round, actor: User, *, english: str, welsh: str) -> bool:
    """Set how applicants can question the decision (any time). Returns True if it changed.
    Raises FeedbackError with a plain reason."""
    english, welsh = english.strip(), welsh.strip()
    problems = [p for p in (
        text_problem(english, max_length=QUESTION_ROUTE_MAX_LENGTH,
                     label=_("How to question this decision")),
        text_problem(welsh, max_length=QUESTION_ROUTE_MAX_LENGTH,
                     label=_("How to question this decision, in Welsh")),
    ) if p]
    if problems:
        raise FeedbackError(" ".join(problems))
    cy = dict((rnd.translations or {}).get(content.WELSH) or {})
    cy["question_route"] = welsh
    translations = content.with_language(rnd.translations, content.WELSH, cy)
    if english == rnd.question_route and translations == rnd.translations:
        return False
    rnd.question_route = english
    rnd.translations = translations
    audit.record("round.question_route_set", actor=actor, round_id=rnd.id)
    return True


# --- what the applicant's page shows (from the published record) -----------------------------


def _number(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@dataclass(frozen=True)
class CriterionComparison:
    """One criterion: this application's mean score against the round's."""

    name: str
    scale_min: int
    scale_max: int
    mine: Decimal | None
    round_mean: Decimal | None
    round_low: Decimal | None
    round_high: Decimal | None


@dataclass(frozen=True)
class LineDistance:
    """Where the application came against the funding line."""

    rank: int | None  # its place in the final order (None: not ranked)
    ranked: int  # how many were ranked
    last_funded_rank: int | None  # the lowest place that was funded
    places_below: int | None  # how many places below the last funded one
    shortfall: int | None  # more money needed to fund every application down to this one


@dataclass(frozen=True)
class ApplicantView:
    reference: str
    title: str
    currency: str
    asked: int
    funded_amount: int | None
    status: str
    status_label: str
    criteria: list[CriterionComparison]
    line: LineDistance
    budget: int
    n_applications: int


def _criteria(record: dict[str, Any], mine: dict[str, Any]) -> list[CriterionComparison]:
    outputs = record.get("outputs", {}).get("applications", [])
    out: list[CriterionComparison] = []
    for crit in record.get("rubric", []):
        key = crit.get("key")
        values = [v for v in (_number((o.get("criteria") or {}).get(key)) for o in outputs)
                  if v is not None]
        mean = (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01")) \
            if values else None
        out.append(CriterionComparison(
            name=str(crit.get("name", key)),
            scale_min=int(crit.get("scale_min", 1)),
            scale_max=int(crit.get("scale_max", 5)),
            mine=_number((mine.get("criteria") or {}).get(key)),
            round_mean=mean,
            round_low=min(values) if values else None,
            round_high=max(values) if values else None,
        ))
    return out


def _line(record: dict[str, Any], ref: str) -> LineDistance:
    outputs = record.get("outputs", {})
    order = [str(a) for a in outputs.get("order", [])]
    amounts = {a["id"]: int(a.get("amount", 0)) for a in record.get("applications", [])}
    funded = {f["application"] for f in record.get("decision", {}).get("funded", [])}
    budget = int(record.get("round", {}).get("budget", 0))
    funded_ranks = [i + 1 for i, a in enumerate(order) if a in funded]
    last = max(funded_ranks) if funded_ranks else None
    if ref not in order:
        return LineDistance(None, len(order), last, None, None)
    rank = order.index(ref) + 1
    below = rank - last if last is not None and rank > last else None
    needed = sum(amounts.get(a, 0) for a in order[:rank]) - budget
    shortfall = needed if ref not in funded and needed > 0 else None
    return LineDistance(rank, len(order), last, below, shortfall)


def applicant_view(application: Application) -> ApplicantView | None:
    """What an applicant's feedback page shows, read from the round's published record
    (``None`` if the round has none, or the record does not name the application)."""
    pr = publication.published_record(application.round_id)
    if pr is None:
        return None
    record = publication.load_record(pr)
    ref = application.reference
    mine = next((o for o in record.get("outputs", {}).get("applications", [])
                 if o.get("id") == ref), None)
    inputs = next((a for a in record.get("applications", []) if a.get("id") == ref), None)
    if mine is None or inputs is None:
        return None
    funded = {f["application"]: int(f["amount"])
              for f in record.get("decision", {}).get("funded", [])}
    status = str(mine.get("status", ""))
    if ref in funded:
        status = ResultStatus.FUNDED.value
    elif status == ResultStatus.FUNDED.value:  # a staff override took it off the list
        status = ResultStatus.BELOW_LINE.value
    return ApplicantView(
        reference=ref,
        title=str(inputs.get("title", ref)),
        currency=str(record.get("round", {}).get("currency", "GBP")),
        asked=int(inputs.get("amount", 0)),
        funded_amount=funded.get(ref),
        status=status,
        status_label=ResultStatus.label_of(status),
        criteria=_criteria(record, mine),
        line=_line(record, ref),
        budget=int(record.get("round", {}).get("budget", 0)),
        n_applications=len(record.get("applications", [])),
    )
