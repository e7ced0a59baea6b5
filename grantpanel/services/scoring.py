"""Independent scoring: a member's queue, saving and submitting score sheets, and who may see
whose scores.

Rules (each lives here and nowhere else):

- A member opens an application only after the conflicts screen has asked them about it (an
  application added after their last check sends them back there), and never one they have
  a conflict with.
- One sheet per member, application and stage. Saving again updates it (a double submit
  stores one sheet).
- A draft may be partial. Submitting needs every criterion answered -- a point on its scale,
  or "don't know" (``None``) -- and at least one real score. A score outside the scale is
  refused, draft or not.
- Sheets change only while the round is open. Every save is atomic (the round row shared,
  the sheet row locked, both read fresh; see :func:`save_sheet`), so a save racing the close
  of scoring either lands before it or is refused, and saves of one sheet never mix.
- Saving automatically (the page's autosave) only ever writes a draft, and never touches a
  submitted sheet: that stays submitted, and counts, until the member submits changes.
- When the round shares reading out (``Round.readers_per_application``), a member's queue
  holds only the applications assigned to them (:mod:`grantpanel.services.assignment`), and
  they cannot open any other.
- Nobody sees others' scores before submitting their own; by default
  (``Round.reveal_scores_after_close``) not until scoring has closed either.
- A strong objection (stage 1 only, and only when the round declares a consensus stage)
  is saved with the sheet; submitting it needs a reason (private to the panel and staff).
  A sheet submitted without the objection ticked keeps no objection reason.
- Stage 2 (re-scoring after the discussion) is saved only while the round is re-scoring
  (``rnd.lifecycle.rescoring``), only for the applications the consensus stage flagged
  (:func:`grantpanel.services.stages.flagged`), and only when the consensus stage declares
  ``rescore``; stage-1 sheets are closed then.

Public API: :func:`queue`, :func:`rescore_queue`, :func:`progress`, :func:`check_can_open`,
:func:`sheet_for`, :func:`save_sheet`, :func:`autosave_draft`, :func:`can_save`,
:func:`objections_allowed`, :func:`can_see_others_scores`, :func:`others_scores`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from grantpanel.extensions import db
from grantpanel.i18n import _, _l, ngettext
from grantpanel.models import (
    Application,
    Conflict,
    Criterion,
    Membership,
    Round,
    ScoreSheet,
    Skip,
    User,
    utcnow,
)
from grantpanel.services import assignment, audit, locks, stages
from grantpanel.services.conflicts import (
    is_conflicted,
    is_unchecked,
)
from grantpanel.vocabulary import QueueStatus, SheetStatus, StageKind

TO_DO = QueueStatus.TO_DO
DRAFT_SAVED = QueueStatus.DRAFT_SAVED
SUBMITTED = QueueStatus.SUBMITTED

NOTE_MAX_LENGTH = 5000
#: The key of a strong objection's problem in :class:`ScoreValidationError` ``errors``.
OBJECTION_KEY = "objection_reason"
CLOSED_MESSAGE = _l("Scoring has closed for this round, so you cannot change your scores.")
NOT_OPEN_MESSAGE = _l("Scoring has not opened yet for this round.")
RESCORE_CLOSED_MESSAGE = _l(
    "Re-scoring after the discussion is not open, so you cannot change these scores."
)
NOT_FLAGGED_MESSAGE = _l(
    "This application was not picked out for discussion, so it is not scored again."
)
OBJECTION_REASON_MESSAGE = _l(
    "Tell us why you strongly object to this application, or untick the box."
)
ALREADY_SUBMITTED_MESSAGE = _l(
    "You have already submitted your scores for this application, so changes are not "
    "saved automatically. To change your scores, use the Submit button."
)


class ScoringError(ValueError):
    """A plain-English reason a score sheet could not be opened or saved."""


class ScoringClosedError(ScoringError):
    """The round is not open for scoring."""


class ConflictsNotCheckedError(ScoringError):
    """The member has not been through the conflicts screen yet."""


class ConflictedError(ScoringError):
    """The member has a conflict with the application."""


class NotAssignedError(ScoringError):
    """The round shares reading out and this application was not given to the member."""


class SkippedError(ScoringError):
    """The member chose not to score this application (services/panel_care.py)."""


class AlreadySubmittedError(ScoringError):
    """An automatic save would have turned a submitted sheet back into a draft."""


class ScoreValidationError(ScoringError):
    """Some answers are not acceptable; ``errors`` maps criterion key to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class QueueItem:
    """One application in a member's queue, with how far they have got with it."""

    application: Application
    status: str  # TO_DO | DRAFT_SAVED | SUBMITTED
    sheet: ScoreSheet | None = field(default=None, compare=False)


@dataclass(frozen=True)
class OtherSheet:
    """Another member's submitted scores, named only by pseudonym."""

    pseudonym: str
    scores: dict[str, int | None]


def _status(sheet: ScoreSheet | None) -> str:
    if sheet is None or sheet.status == SheetStatus.WITHDRAWN:
        return TO_DO
    return SUBMITTED if sheet.status == SheetStatus.SUBMITTED else DRAFT_SAVED


def queue(membership: Membership, *, stage: int = 1) -> list[QueueItem]:
    """The member's applications (eligible, not conflicted), each with its status."""
    return _with_status(membership, list(db.session.scalars(_queue_query(membership))), stage)


def _with_status(membership: Membership, apps: list[Application], stage: int
                 ) -> list[QueueItem]:
    """``apps`` as queue items, with the member's sheet at ``stage`` for each (one query)."""
    if not apps:
        return []
    sheets = {
        s.application_id: s
        for s in db.session.scalars(
            select(ScoreSheet).where(
                ScoreSheet.membership_id == membership.id, ScoreSheet.stage == stage,
                ScoreSheet.application_id.in_([a.id for a in apps]),
            )
        )
    }
    return [QueueItem(application=a, status=_status(sheets.get(a.id)), sheet=sheets.get(a.id))
            for a in apps]


#: Applications per page of a member's queue.
QUEUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class QueuePage:
    """One page of a member's queue, with the counts for the whole queue (``page`` from 1)."""

    items: list[QueueItem]
    page: int
    pages: int
    total: int
    submitted: int


def _queue_query(membership: Membership) -> Any:
    """The member's applications (eligible, not conflicted, and assigned to them when the
    round shares reading out), in reference order."""
    query = (
        select(Application)
        .where(
            Application.round_id == membership.round_id,
            Application.eligible.is_(True),
            ~exists().where(
                Conflict.membership_id == membership.id,
                Conflict.application_id == Application.id,
            ),
            # A skipped application leaves the queue (and its counts): no penalty.
            ~exists().where(
                Skip.membership_id == membership.id, Skip.application_id == Application.id,
            ),
        )
        .order_by(Application.reference, Application.id)
    )
    if assignment.uses_assignment(membership.round):
        query = query.where(assignment.assigned_clause(membership))
    return query


def queue_progress(membership: Membership, *, stage: int = 1) -> tuple[int, int]:
    """``(submitted, total)`` for the member's whole queue, counted in SQL (two counts)."""
    apps = _queue_query(membership).order_by(None).subquery()
    total = db.session.scalar(select(func.count()).select_from(apps)) or 0
    submitted = db.session.scalar(
        select(func.count(ScoreSheet.id))
        .join(apps, apps.c.id == ScoreSheet.application_id)
        .where(and_(ScoreSheet.membership_id == membership.id, ScoreSheet.stage == stage,
                    ScoreSheet.status == SheetStatus.SUBMITTED))
    ) or 0
    return submitted, total


def queue_page(membership: Membership, page: int = 1, *, stage: int = 1,
               per_page: int | None = None) -> QueuePage:
    """Page ``page`` of :func:`queue` (clamped to the pages there are; ``per_page`` defaults
    to :data:`QUEUE_PAGE_SIZE`), counted in SQL: the work per page view is one page of rows
    and two counts, however long the queue is."""
    per_page = per_page or QUEUE_PAGE_SIZE
    base = _queue_query(membership)
    submitted, total = queue_progress(membership, stage=stage)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = list(db.session.scalars(base.offset((page - 1) * per_page).limit(per_page)))
    items = _with_status(membership, rows, stage)
    return QueuePage(items=items, page=page, pages=pages, total=total, submitted=submitted)


def rescore_queue(membership: Membership) -> list[QueueItem]:
    """The flagged applications the member may score again in stage 2 (eligible, not
    conflicted), in order of disagreement, each with the status of their stage-2 sheet.
    Empty unless the round is re-scoring."""
    rnd = membership.round
    if not rnd.lifecycle.rescoring or not rescore_declared(rnd):
        return []
    order = {ref: i for i, ref in enumerate(stages.flagged(rnd))}
    if not order:
        return []
    flagged = db.session.scalars(
        _queue_query(membership).where(Application.reference.in_(list(order))))
    items = _with_status(membership, list(flagged), 2)
    return sorted(items, key=lambda i: order[i.application.reference])


def progress(items: list[QueueItem]) -> tuple[int, int]:
    """``(submitted, total)`` for a queue."""
    return sum(1 for i in items if i.status == SUBMITTED), len(items)


def next_to_score(membership: Membership, after: Application) -> Application | None:
    """The next application in the member's queue after ``after`` (in reference order,
    going round to the start) that they have not yet submitted: one or two small queries,
    however long the queue."""
    base = _queue_query(membership).where(
        Application.id != after.id,
        ~exists().where(
            ScoreSheet.membership_id == membership.id,
            ScoreSheet.application_id == Application.id,
            ScoreSheet.stage == 1,
            ScoreSheet.status == SheetStatus.SUBMITTED,
        ),
    )
    later = or_(Application.reference > after.reference,
                and_(Application.reference == after.reference, Application.id > after.id))
    found = db.session.scalars(base.where(later).limit(1)).first()
    return found if found is not None else db.session.scalars(base.limit(1)).first()


def check_can_open(membership: Membership, application: Application) -> None:
    """Raise unless the member may open ``application``.

    Raises :class:`ScoringError` if it is not an eligible application in their round,
    :class:`ConflictsNotCheckedError` before the conflicts screen (or when the application
    was added after the member last checked), :class:`ConflictedError` if they have a
    conflict with it, and :class:`NotAssignedError` when the round shares reading out and
    it is not assigned to them.
    """
    if application.round_id != membership.round_id or not application.eligible:
        raise ScoringError(_("That application is not one for you to score."))
    if membership.conflicts_checked_at is None:
        raise ConflictsNotCheckedError(
            _(
                "Before you open an application, tell us if you have a connection to any of "
                "the applicants."
            )
        )
    if is_conflicted(membership, application):
        raise ConflictedError(
            _("You have told us you have a connection to this applicant, so you do not score it.")
        )
    if db.session.scalar(select(Skip.id).where(
            Skip.membership_id == membership.id, Skip.application_id == application.id)):
        raise SkippedError(
            _("You chose not to score this application, so it is no longer in your list.")
        )
    if not assignment.is_assigned(membership, application):
        raise NotAssignedError(
            _(
                "This application was not given to you to read. The applications for you "
                "to score are in your list."
            )
        )
    if is_unchecked(membership, application):
        raise ConflictsNotCheckedError(
            _(
                "New applications have been added since you last checked the list of "
                "applicants. Before you open them, tell us if you have a connection to any of "
                "these applicants."
            )
        )


def sheet_for(
    membership: Membership, application: Application, *, stage: int = 1
) -> ScoreSheet | None:
    return db.session.scalar(
        select(ScoreSheet).where(
            ScoreSheet.membership_id == membership.id,
            ScoreSheet.application_id == application.id,
            ScoreSheet.stage == stage,
        )
    )


def check_scores(
    criteria: list[Criterion], scores: dict[str, int | None], *, submit: bool
) -> dict[str, str]:
    """Problems with ``scores`` as ``{criterion key: message}`` (empty when all is well).

    A key that is absent means "not answered"; ``None`` means "don't know".
    """
    errors: dict[str, str] = {}
    known = {c.key for c in criteria}
    for key in scores:
        if key not in known:
            errors[key] = _("That question is not part of this round's score sheet.")
    for c in criteria:
        if c.key not in scores:
            if submit:
                errors[c.key] = _(
                    "Choose a score for %(criterion)s, or choose \u201cDon't know\u201d.",
                    criterion=c.name,
                )
            continue
        value = scores[c.key]
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not (
            c.scale_min <= value <= c.scale_max
        ):
            errors[c.key] = _(
                "Choose a score from %(low)s to %(high)s for %(criterion)s, or choose "
                "\u201cDon't know\u201d.",
                low=c.scale_min,
                high=c.scale_max,
                criterion=c.name,
            )
    if submit and not errors and all(scores.get(c.key) is None for c in criteria):
        first = criteria[0].key if criteria else "_sheet"
        errors[first] = _(
            "Give a score for at least one question. You chose \u201cDon't know\u201d for all "
            "of them."
        )
    return errors


def is_open_for_scoring(rnd: Round) -> bool:
    """Members can save and change score sheets only while the round is open."""
    return rnd.lifecycle.accepts_scores


def objections_allowed(rnd: Round, stage: int = 1) -> bool:
    """A strong objection can be marked on stage-1 sheets of a round with a consensus stage."""
    return stage == 1 and stages.stage(rnd, StageKind.CONSENSUS) is not None


def rescore_declared(rnd: Round) -> bool:
    """The round's consensus stage asks for a stage-2 re-score of the flagged applications."""
    consensus = stages.stage(rnd, StageKind.CONSENSUS)
    return bool(consensus and consensus.get("rescore"))


def can_save(rnd: Round, stage: int = 1) -> bool:
    """Sheets of ``stage`` may be saved now: stage 1 while the round is open for scoring,
    stage 2 while it is re-scoring (and the round declares a re-score)."""
    if stage == 2:
        return rnd.lifecycle.rescoring and rescore_declared(rnd)
    return is_open_for_scoring(rnd)


def _check_open_for_scoring(rnd: Round, stage: int = 1) -> None:
    """Raise :class:`ScoringClosedError` unless sheets of ``stage`` may be saved in ``rnd``."""
    if rnd.lifecycle.before_open:
        raise ScoringClosedError(str(NOT_OPEN_MESSAGE))
    if stage == 2:
        if not can_save(rnd, 2):
            raise ScoringClosedError(str(RESCORE_CLOSED_MESSAGE))
        return
    if stage != 1:
        raise ScoringError(_("That is not a scoring stage of this round."))
    if not is_open_for_scoring(rnd):
        raise ScoringClosedError(str(CLOSED_MESSAGE))


def check_flagged(application: Application) -> None:
    """Raise :class:`ScoringError` unless ``application`` is flagged for discussion (the
    only applications scored again in stage 2)."""
    if application.reference not in stages.flagged(application.round):
        raise ScoringError(str(NOT_FLAGGED_MESSAGE))


def _lock_round_for_saving(membership: Membership, stage: int = 1) -> Round:
    """Take the round ``FOR SHARE`` (PostgreSQL; the write lock on SQLite) and check, on its
    state as committed now, that sheets may change.

    Closing scoring takes the same row ``FOR UPDATE`` (:func:`transitions.lock`), so a save
    either commits before the close or waits for it and then finds the round closed: no sheet
    is stored after scoring closed.
    """
    rnd = locks.lock_one(Round, Round.id == membership.round_id, shared=True)
    if rnd is None:  # pragma: no cover  (a membership's round exists)
        raise ScoringClosedError(str(CLOSED_MESSAGE))
    _check_open_for_scoring(rnd, stage)
    return rnd


def _locked_sheet(
    membership: Membership, application: Application, stage: int
) -> ScoreSheet | None:
    """The member's sheet, read fresh and locked ``FOR UPDATE`` until the transaction ends."""
    return locks.lock_one(
        ScoreSheet,
        ScoreSheet.membership_id == membership.id,
        ScoreSheet.application_id == application.id,
        ScoreSheet.stage == stage,
    )


def _store(
    membership: Membership,
    application: Application,
    *,
    scores: dict[str, int | None],
    panel_note: str,
    feedback: str,
    submit: bool,
    automatic: bool,
    actor: User,
    stage: int,
    objection: bool = False,
    objection_reason: str = "",
) -> ScoreSheet:
    """The one save path for score sheets (see :func:`save_sheet` for the rules)."""
    rnd = _lock_round_for_saving(membership, stage)
    check_can_open(membership, application)
    if stage == 2:
        check_flagged(application)
    panel_note = (panel_note or "").strip()
    feedback = (feedback or "").strip()
    objection_reason = (objection_reason or "").strip()
    if objection and not objections_allowed(rnd, stage):
        raise ScoringError(_("This round does not take strong objections on score sheets."))
    if not objections_allowed(rnd, stage):
        objection, objection_reason = False, ""
    if (len(panel_note) > NOTE_MAX_LENGTH or len(feedback) > NOTE_MAX_LENGTH
            or len(objection_reason) > NOTE_MAX_LENGTH):
        raise ScoringError(
            ngettext(
                "Keep each note to %(num)d character or fewer.",
                "Keep each note to %(num)d characters or fewer.",
                NOTE_MAX_LENGTH,
            )
        )
    errors = check_scores(list(rnd.criteria), scores, submit=submit)
    if submit and objection and not objection_reason:
        errors[OBJECTION_KEY] = str(OBJECTION_REASON_MESSAGE)
    if errors:
        raise ScoreValidationError(errors)

    sheet = _locked_sheet(membership, application, stage)
    if sheet is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    ScoreSheet(
                        membership_id=membership.id, application_id=application.id, stage=stage
                    )
                )
        except IntegrityError:
            pass  # another request (the autosave, a double click) made the sheet first
        # Lock the one sheet, ours or theirs, and read it as committed (theirs may be submitted).
        sheet = _locked_sheet(membership, application, stage)
        if sheet is None:  # pragma: no cover  (it was made above)
            raise ScoringError(_("Your scores could not be saved. Try again."))
    if automatic and sheet.status == SheetStatus.SUBMITTED:
        raise AlreadySubmittedError(str(ALREADY_SUBMITTED_MESSAGE))

    now = utcnow()
    sheet.scores = {c.key: scores[c.key] for c in rnd.criteria if c.key in scores}
    sheet.panel_note = panel_note
    sheet.feedback = feedback
    sheet.objection = objection
    # A draft keeps a reason typed before the box was unticked; a submitted sheet keeps a
    # reason only with its objection.
    sheet.objection_reason = objection_reason if (objection or not submit) else ""
    sheet.updated_at = now
    sheet.entered_by_id = None  # assisted entry marks its own saves (services/panel_care.py)
    if submit:
        sheet.status = SheetStatus.SUBMITTED
        sheet.submitted_at = now
    else:
        sheet.status = SheetStatus.DRAFT
        sheet.submitted_at = None
    db.session.flush()
    audit.record(
        "sheet.submitted" if submit else "sheet.saved",
        actor=actor,
        round_id=membership.round_id,
        sheet_id=sheet.id,
        membership_id=membership.id,
        application_id=application.id,
        stage=stage,
        objection=objection,
    )
    return sheet


def save_sheet(
    membership: Membership,
    application: Application,
    *,
    scores: dict[str, int | None],
    panel_note: str,
    feedback: str,
    submit: bool,
    actor: User,
    stage: int = 1,
    objection: bool = False,
    objection_reason: str = "",
) -> ScoreSheet:
    """Save the member's sheet as a draft, or submit it. The caller commits.

    Saving again updates the one sheet for this member, application and stage. Saving a draft
    over a submitted sheet makes it a draft again (it stops counting until resubmitted).

    Atomic: the round is taken ``FOR SHARE`` and its state read fresh (a save after scoring
    closed is refused with :data:`CLOSED_MESSAGE`), then the sheet is locked ``FOR UPDATE``
    and read fresh; if two requests make the same new sheet at once, the second's insert fails
    inside a savepoint and it locks and re-reads the first's sheet. So saves of one sheet run
    one after the other, each writing every answer in full: a submitted sheet holds exactly
    the answers of the submit, never a mix with an automatic save's.
    """
    return _store(
        membership, application, scores=scores, panel_note=panel_note, feedback=feedback,
        submit=submit, automatic=False, actor=actor, stage=stage, objection=objection,
        objection_reason=objection_reason,
    )


def autosave_draft(
    membership: Membership,
    application: Application,
    *,
    scores: dict[str, int | None],
    panel_note: str,
    feedback: str,
    actor: User,
    stage: int = 1,
    objection: bool = False,
    objection_reason: str = "",
) -> ScoreSheet:
    """Save the answers so far as a draft, for the score sheet's automatic saving. The caller
    commits.

    The same checks and locks as :func:`save_sheet` with ``submit=False``, except that a
    submitted sheet is never touched: it raises :class:`AlreadySubmittedError`
    (:data:`ALREADY_SUBMITTED_MESSAGE`), so a submitted sheet does not quietly stop counting
    while the member is looking at it. The status is checked on the locked, fresh sheet
    (also after the duplicate-key fallback), so an automatic save racing a Submit either
    lands first (and the submit then replaces it in full) or finds the sheet submitted.
    """
    return _store(
        membership, application, scores=scores, panel_note=panel_note, feedback=feedback,
        submit=False, automatic=True, actor=actor, stage=stage, objection=objection,
        objection_reason=objection_reason,
    )


def can_see_others_scores(
    membership: Membership, application: Application, *, stage: int = 1
) -> bool:
    """Never before the member has submitted their own sheet; by default not until scoring
    has closed either. Never for an application they have a conflict with."""
    own = sheet_for(membership, application, stage=stage)
    if own is None or own.status != SheetStatus.SUBMITTED:
        return False
    if is_conflicted(membership, application):
        return False
    return not (membership.round.reveal_scores_after_close
                and is_open_for_scoring(membership.round))


def others_scores(
    membership: Membership, application: Application, *, stage: int = 1
) -> list[OtherSheet] | None:
    """Other members' submitted scores for ``application`` by pseudonym, or ``None`` when
    the member may not see them yet."""
    if not can_see_others_scores(membership, application, stage=stage):
        return None
    rows = db.session.execute(
        select(ScoreSheet, Membership)
        .join(Membership, ScoreSheet.membership_id == Membership.id)
        .where(
            ScoreSheet.application_id == application.id,
            ScoreSheet.stage == stage,
            ScoreSheet.status == SheetStatus.SUBMITTED,
            ScoreSheet.membership_id != membership.id,
        )
        .order_by(Membership.number)
    ).all()
    return [OtherSheet(pseudonym=m.pseudonym, scores=_clean(s.scores)) for s, m in rows]


def _clean(scores: dict[str, Any]) -> dict[str, int | None]:
    return {k: (int(v) if v is not None else None) for k, v in scores.items()}
