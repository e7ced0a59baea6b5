"""Panel care: assisted entry, a member's own deadline, and skipping a distressing application.

Rules (each lives here and nowhere else):

- **Assisted entry.** Staff may fill in a member's score sheet for them (the member phoned in
  their scores, or staff sat with them). It is the member's sheet, saved by the one scoring
  path (:func:`grantpanel.services.scoring.save_sheet`), so every rule of the member's own
  sheet holds: the round must be open, the member must have checked their conflicts, and
  staff cannot enter a sheet for an application the member has a conflict with, skipped, or
  (when reading is shared out) was not given. The sheet records who entered it
  (``ScoreSheet.entered_by_id``), the audit log has a ``sheet.assisted`` event, and the
  published record marks the sheet ``"assisted": true``. A later save by the member
  themselves clears the mark.
- **A member's own deadline.** Staff may give one member until a later date
  (``Membership.extended_until``) while the round has not closed scoring. The round's
  "closes on" date does not stop scoring on its own (staff close it), so the extension is
  what the member is told: the panel pages and reminders show their own date, and the close
  confirmation lists the members whose extension has not run out.
- **Skipping.** A member may choose not to score an application ("I'd rather not score this
  one"), with an optional short note to staff, while scoring is open. It leaves their queue
  and their counts (no penalty); a sheet they had started is withdrawn, so it does not count.
  It is not a conflict and is never published as one: the record simply has no sheet from
  them. When the round shares reading out, the application gets another reader at once
  (:func:`grantpanel.services.assignment.on_conflict`'s repair).

Public API: :func:`assisted_save`, :func:`member_deadline`, :func:`extension_problem`,
:func:`set_extension`, :func:`running_extensions`, :func:`skip`, :func:`skips`,
:func:`skip_note_problem`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from grantpanel.extensions import db
from grantpanel.i18n import _, date_text, ngettext
from grantpanel.models import (
    Application,
    Assignment,
    Membership,
    Round,
    ScoreSheet,
    Skip,
    User,
)
from grantpanel.services import assignment, audit, locks, scoring
from grantpanel.textcheck import text_problem
from grantpanel.vocabulary import SheetStatus

#: The most characters of a skip's note to staff.
SKIP_NOTE_MAX = 500


class CareError(ValueError):
    """A plain-English reason a panel-care change could not be made."""


# --- assisted entry --------------------------------------------------------------------------


def assisted_save(
    membership: Membership,
    application: Application,
    *,
    scores: dict[str, int | None],
    panel_note: str,
    feedback: str,
    submit: bool,
    actor: User,
    objection: bool = False,
    objection_reason: str = "",
) -> ScoreSheet:
    """Save (or submit) ``membership``'s stage-1 sheet as entered by staff ``actor`` on their
    behalf. Raises what :func:`scoring.save_sheet` raises. The caller commits."""
    sheet = scoring.save_sheet(
        membership, application, scores=scores, panel_note=panel_note, feedback=feedback,
        submit=submit, actor=actor, objection=objection, objection_reason=objection_reason,
    )
    sheet.entered_by_id = actor.id
    db.session.flush()
    audit.record("sheet.assisted", actor=actor, round_id=membership.round_id,
                 sheet_id=sheet.id, membership_id=membership.id,
                 application_id=application.id, submitted=submit)
    return sheet


# --- a member's own deadline -----------------------------------------------------------------


def member_deadline(membership: Membership) -> dt.date | None:
    """The last day the member is told they can score: their extension when later than the
    round's closing date, else the round's closing date (``None`` when neither is set)."""
    closes = membership.round.closes_on
    until = membership.extended_until
    if until is not None and (closes is None or until > closes):
        return until
    return closes


def can_extend(rnd: Round) -> bool:
    """Extensions are given before scoring closes."""
    return rnd.lifecycle.before_open or rnd.lifecycle.accepts_scores


def extension_problem(rnd: Round, until: Any, today: dt.date) -> str | None:
    """Why ``until`` cannot be a member's extension, in plain words (``None``: it can)."""
    if not isinstance(until, dt.date):
        return _("Enter the date as day, month and year, like 28 2 2027.")
    if until < today:
        return _("Choose a date from today onwards.")
    if rnd.closes_on is not None and until <= rnd.closes_on:
        return _("Choose a date after the round closes (%(date)s), or remove the extension.",
                 date=date_text(rnd.closes_on))
    return None


def set_extension(membership: Membership, until: dt.date | None, actor: User, *,
                  today: dt.date) -> None:
    """Give the member until ``until`` to finish scoring (``None`` removes the extension).
    Refused once scoring has closed. The caller commits."""
    rnd = locks.lock_one(Round, Round.id == membership.round_id, shared=True)
    if rnd is None or not can_extend(rnd):
        raise CareError(_("Scoring has closed, so extensions cannot be changed now."))
    if until is not None:
        problem = extension_problem(rnd, until, today)
        if problem:
            raise CareError(problem)
    if membership.extended_until == until:
        return
    membership.extended_until = until
    audit.record("member.extension_set", actor=actor, round_id=rnd.id,
                 membership_id=membership.id,
                 extended_until=until.isoformat() if until else None)


def running_extensions(rnd: Round, today: dt.date) -> list[Membership]:
    """Members whose extension runs past the round's closing date and has not run out."""
    query = select(Membership).where(Membership.round_id == rnd.id,
                                     Membership.extended_until.is_not(None),
                                     Membership.extended_until >= today)
    if rnd.closes_on is not None:
        query = query.where(Membership.extended_until > rnd.closes_on)
    return list(db.session.scalars(query.order_by(Membership.extended_until,
                                                  Membership.number)))


def extensions_sentence(members: list[Membership]) -> str:
    """"2 panel members have an extension until 3 March 2027." (the latest date)."""
    latest = max(m.extended_until for m in members if m.extended_until is not None)
    return ngettext(
        "%(num)d panel member has an extension until %(date)s and may still be scoring.",
        "%(num)d panel members have an extension until as late as %(date)s and may still be "
        "scoring.",
        len(members), date=date_text(latest),
    )


# --- skipping ---------------------------------------------------------------------------------


def skip_note_problem(note: str) -> str | None:
    """Why the note cannot be kept (too long, or a control character); ``None`` if fine."""
    return text_problem(note, max_length=SKIP_NOTE_MAX, label=_("Your note"))


def skip(membership: Membership, application: Application, *, note: str,
         actor: User) -> Skip:
    """The member chooses not to score ``application`` (see the module rules). Raises
    :class:`scoring.ScoringError` when they may not open it or scoring is closed, and
    :class:`CareError` for a bad note. The caller commits."""
    note = (note or "").strip()
    problem = skip_note_problem(note)
    if problem:
        raise CareError(problem)
    rnd = locks.lock_one(Round, Round.id == membership.round_id, shared=True)
    if rnd is None or not scoring.is_open_for_scoring(rnd):
        raise scoring.ScoringClosedError(
            _("Scoring is not open for this round, so nothing can be changed now."))
    scoring.check_can_open(membership, application)
    row = Skip(membership_id=membership.id, application_id=application.id, note=note)
    db.session.add(row)
    sheet = locks.lock_one(ScoreSheet, ScoreSheet.membership_id == membership.id,
                           ScoreSheet.application_id == application.id,
                           ScoreSheet.stage == 1)
    if sheet is not None:
        sheet.status = SheetStatus.WITHDRAWN
        sheet.submitted_at = None
    db.session.flush()
    _free_slot(membership, application, actor)
    audit.record("sheet.skipped", actor=actor, round_id=rnd.id,
                 membership_id=membership.id, application_id=application.id)
    return row


def _free_slot(membership: Membership, application: Application, actor: User) -> None:
    """Reading shared out: the member stops reading the application and it gets another
    reader (the same repair as after a conflict; the solver never gives it back to them)."""
    if not assignment.uses_assignment(membership.round):
        return
    pair = db.session.scalar(select(Assignment).where(
        Assignment.membership_id == membership.id,
        Assignment.application_id == application.id))
    if pair is not None:
        assignment.on_conflict(membership, application, actor)


def skips(rnd: Round) -> list[Skip]:
    """The round's skips, for staff (in panel-number then reference order)."""
    return list(db.session.scalars(
        select(Skip).join(Membership, Membership.id == Skip.membership_id)
        .join(Application, Application.id == Skip.application_id)
        .where(Membership.round_id == rnd.id)
        .order_by(Membership.number, Application.reference)))
