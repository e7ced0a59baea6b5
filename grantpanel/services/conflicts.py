"""Conflicts of interest: declaring a tie between a panel member and an application.

A conflict means the member cannot open the application, their score on it is withdrawn
(kept, but never counted), and their ranked ballot skips it. Members declare conflicts on the
conflicts screen before they open any application, or later from an application's page;
staff may declare them too. The private note is never written to the audit log.

Public API:

- :data:`CATEGORIES` -- ``(key, plain label)`` pairs, in the order shown on screens
- :func:`declare_conflict` -- record a conflict (idempotent) and withdraw any score sheet
- :func:`conflicted_application_ids` -- the applications a member has a conflict with
- :func:`conflicts_for` -- statement for a member's conflicts, oldest first
- :func:`eligible_applications` -- the round's eligible applications, in reference order
- :func:`applications_to_check` -- the applications the conflicts screen asks about: every
  one in the round, eligible or not (so one made eligible later was already asked about), or
  the member's assigned ones when reading is shared out; :func:`search_applicants` finds others
- :func:`mark_conflicts_checked` -- the member has been through the conflicts screen (again)
- :func:`conflicts_checked` -- whether they have, at least once
- :func:`is_unchecked` / :func:`unchecked_applications` -- applications the member has not yet
  been asked about: all of them before the first check, then those added since their last one
- :func:`needs_conflict_check` -- whether the member must see the conflicts screen before
  going on

**After scoring closes** (the round is no longer draft or open, or it was closed once and has
been reopened) a new conflict still withdraws
the member's sheet, and so can change the count that staff may already have seen. It then needs
a written reason (plain text, at most :data:`REASON_MAX_LENGTH` characters, no control
characters), which is published in the decision record with who declared it (``"member"`` or
``"staff"``) and when (``"after-close"``). Once the decision is confirmed or published no
conflict can be recorded at all (:func:`can_declare`).

The rule for "unchecked" lives here and nowhere else: an application is unchecked for a member
if it was added (``Application.created_at``) after the member last confirmed the conflicts
screen (``Membership.conflicts_checked_at``). Staff may add applications while a round is
open, so a member who checked last week is asked again about the new ones before opening them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.exc import IntegrityError

from grantpanel.extensions import db
from grantpanel.i18n import _, _l
from grantpanel.models import (
    Application,
    Assignment,
    AuditEvent,
    Conflict,
    Membership,
    Round,
    ScoreSheet,
    User,
    as_utc,
    utcnow,
)
from grantpanel.services import assignment, audit, locks
from grantpanel.textcheck import text_problem
from grantpanel.vocabulary import ConflictCategory, DeclaredBy, DeclaredWhen, SheetStatus

# The categories and their words live in grantpanel.vocabulary (ConflictCategory).
CATEGORIES: list[tuple[str, Any]] = ConflictCategory.choices()
CATEGORY_LABELS: dict[str, Any] = dict(CATEGORIES)

NOTE_MAX_LENGTH = 2000
REASON_MAX_LENGTH = 1000

# Who declared a conflict, as published: the member themself, or staff on their behalf.
MEMBER, STAFF = DeclaredBy.MEMBER, DeclaredBy.STAFF
# When, as published: while the round was a draft or open, or after scoring closed.
BEFORE_CLOSE, AFTER_CLOSE = DeclaredWhen.BEFORE_CLOSE, DeclaredWhen.AFTER_CLOSE


class ConflictError(ValueError):
    """A plain-English reason a conflict could not be recorded."""


def _find(membership: Membership, application: Application) -> Conflict | None:
    return db.session.scalar(
        select(Conflict).where(
            Conflict.membership_id == membership.id,
            Conflict.application_id == application.id,
        )
    )




DECIDED_MESSAGE = _l(
    "The decision for this round is already confirmed, so a conflict can no longer change "
    "it. Tell the grants team, who will record it and decide what to do."
)


def can_declare(rnd: Round) -> bool:
    """Conflicts can be declared until the decision is confirmed; after that they would not
    change the count that was confirmed, so the grants team handles them by hand."""
    return rnd.lifecycle.accepts_conflicts


def needs_reason(rnd: Round) -> bool:
    """True once scoring has closed: the round is no longer draft or open, or it was closed
    before and has been reopened (the audit log has a ``round.close`` event; staff may have
    seen the ranking then). A new conflict then withdraws a sheet from a count that may have
    been seen, so it needs a written, published reason, and is marked ``"after-close"``."""
    if not rnd.lifecycle.before_close:
        return True
    return db.session.scalar(
        select(AuditEvent.id)
        .where(AuditEvent.round_id == rnd.id, AuditEvent.action == "round.close")
        .limit(1)
    ) is not None


def reason_problem(reason: str) -> str | None:
    """Why ``reason`` cannot be the published reason for a conflict after close, or None."""
    if not reason.strip():
        return _(
            "Scoring has closed, so a conflict now changes a finished count. Write the reason "
            "it is being recorded now. The reason is published with the decision."
        )
    return text_problem(reason.strip(), max_length=REASON_MAX_LENGTH, label=_("The reason"))


def declared_role(membership: Membership, declared_by: User) -> str:
    """``"member"`` when the member declared it themself, otherwise ``"staff"``."""
    return MEMBER if declared_by.id == membership.user_id else STAFF


def declare_conflict(
    membership: Membership,
    application: Application,
    *,
    category: str,
    note: str = "",
    declared_by: User,
    reason: str = "",
) -> Conflict:
    """Record that ``membership`` has a tie to ``application`` and withdraw their scores.

    Declaring the same conflict twice returns the first declaration unchanged. Any score
    sheet the member gave the application (at any stage) gets status ``withdrawn``: it is
    kept for the record but never counted. Who declared it is stored as a role
    (:func:`declared_role`) and when as ``"before-close"`` or ``"after-close"``
    (:func:`needs_reason`); after close a new conflict needs ``reason`` (checked by
    :func:`reason_problem`, stored stripped, published); before close ``reason`` is ignored.
    Refused once the decision is confirmed or published. The caller commits.
    """
    if application.round_id != membership.round_id:
        raise ConflictError(_("That application is not in this member's round."))
    # Lock the round (FOR UPDATE) and read its state fresh, as a close or a confirm does:
    # a sheet being saved (which holds the round FOR SHARE) either commits first, and is
    # withdrawn below, or waits and then finds the conflict; and a close at the same moment
    # cannot make this conflict "before-close" without its reason.
    rnd = locks.lock_one(Round, Round.id == membership.round_id) or membership.round
    if not can_declare(rnd):
        raise ConflictError(str(DECIDED_MESSAGE))
    if category not in CATEGORY_LABELS:
        raise ConflictError(_("Choose how the person is connected to the applicant."))
    note = (note or "").strip()
    problem = text_problem(note, max_length=NOTE_MAX_LENGTH, label=_("The note"))
    if problem:
        raise ConflictError(problem)

    conflict = _find(membership, application)
    if conflict is None:
        after_close = needs_reason(rnd)
        reason = (reason or "").strip() if after_close else ""
        if after_close:
            problem = reason_problem(reason)
            if problem:
                raise ConflictError(problem)
        conflict = Conflict(
            membership_id=membership.id,
            application_id=application.id,
            category=category,
            note=note,
            declared_by_id=declared_by.id,
            declared_at=utcnow(),
            declared_role=declared_role(membership, declared_by),
            declared_when=AFTER_CLOSE if after_close else BEFORE_CLOSE,
            reason=reason,
        )
        try:
            with db.session.begin_nested():
                db.session.add(conflict)
        except IntegrityError:
            # Declared at the same moment by another request: that declaration stands.
            existing = _find(membership, application)
            if existing is None:
                raise
            conflict = existing
        else:
            audit.record(
                "conflict.declared",
                actor=declared_by,
                round_id=membership.round_id,
                conflict_id=conflict.id,
                membership_id=membership.id,
                application_id=application.id,
                category=category,
                declared_role=conflict.declared_role,
                declared_when=conflict.declared_when,
                reason=conflict.reason,
            )

    _withdraw_sheets(membership, application, actor=declared_by)
    # Reading shared out: the member stops reading it; before close it gets another reader.
    assignment.on_conflict(membership, application, declared_by)
    return conflict


def _withdraw_sheets(membership: Membership, application: Application, *, actor: User) -> None:
    sheets = db.session.scalars(
        select(ScoreSheet).where(
            ScoreSheet.membership_id == membership.id,
            ScoreSheet.application_id == application.id,
            ScoreSheet.status != SheetStatus.WITHDRAWN,
        )
    )
    for sheet in sheets:
        sheet.status = SheetStatus.WITHDRAWN
        sheet.updated_at = utcnow()
        audit.record(
            "sheet.withdrawn",
            actor=actor,
            round_id=membership.round_id,
            sheet_id=sheet.id,
            membership_id=membership.id,
            application_id=application.id,
            stage=sheet.stage,
        )


def conflicts_for(membership: Membership) -> Select[Any]:
    """Statement for the member's conflicts in their round, oldest first."""
    return (
        select(Conflict)
        .where(Conflict.membership_id == membership.id)
        .order_by(Conflict.declared_at, Conflict.id)
    )


def conflicted_application_ids(membership: Membership) -> set[int]:
    """Ids of the applications ``membership`` has declared (or been given) a conflict with."""
    return set(
        db.session.scalars(
            select(Conflict.application_id).where(Conflict.membership_id == membership.id)
        )
    )


def is_conflicted(membership: Membership, application: Application) -> bool:
    return _find(membership, application) is not None


def eligible_applications(membership: Membership) -> list[Application]:
    """The round's eligible applications, in reference order."""
    return list(
        db.session.scalars(
            select(Application)
            .where(Application.round_id == membership.round_id, Application.eligible.is_(True))
            .order_by(Application.reference)
        )
    )


def conflicts_checked(membership: Membership) -> bool:
    """True once the member has been through the conflicts screen for their round (at least
    once; see :func:`needs_conflict_check` for applications added since)."""
    return membership.conflicts_checked_at is not None


def is_unchecked(membership: Membership, application: Application) -> bool:
    """True if the member has not been asked about ties to ``application``: they have never
    confirmed the conflicts screen, or the application was added after they last did."""
    checked_at = membership.conflicts_checked_at
    if checked_at is None:
        return True
    return as_utc(application.created_at) > as_utc(checked_at)


def _asked_about_query(membership: Membership) -> Select[tuple[Application]]:
    """The applications the member is asked about ties to, less those they declared: every
    application in the round, or, when the round shares reading out, those assigned to them
    (a round of 10,000 asks each member about the few dozen they will read; they can search
    for any other applicant by name, :func:`search_applicants`)."""
    conflicted = exists().where(Conflict.membership_id == membership.id,
                                Conflict.application_id == Application.id)
    query = select(Application).where(Application.round_id == membership.round_id, ~conflicted)
    if assignment.uses_assignment(membership.round):
        query = query.where(assignment.assigned_clause(membership))
    return query


def _unchecked_query(membership: Membership) -> Select[tuple[Application]]:
    """The applications the member is asked about and was not yet asked about: all of them
    before the first check, else those added since (or, when reading is shared out, assigned
    to them since)."""
    query = _asked_about_query(membership)
    checked_at = membership.conflicts_checked_at
    if checked_at is not None:
        if assignment.uses_assignment(membership.round):
            query = query.where(exists().where(
                Assignment.membership_id == membership.id,
                Assignment.application_id == Application.id,
                Assignment.created_at > checked_at))
        else:
            query = query.where(Application.created_at > checked_at)
    return query


def applications_to_check(membership: Membership) -> list[Application]:
    """Every application the member is asked about and has not declared a tie to, in
    reference order (the conflicts screen when they look back)."""
    return list(db.session.scalars(
        _asked_about_query(membership).order_by(Application.reference)))


SEARCH_MIN_LENGTH = 2
SEARCH_LIMIT = 20


def search_applicants(membership: Membership, text: str) -> list[Application]:
    """Up to :data:`SEARCH_LIMIT` of the round's eligible applications whose applicant name or
    title contains ``text`` (case does not matter), that the member has not declared a tie to,
    by applicant name: how a member finds an applicant they know who is not in their list.
    Empty for fewer than :data:`SEARCH_MIN_LENGTH` characters."""
    text = " ".join(text.split())[:100]
    if len(text) < SEARCH_MIN_LENGTH:
        return []
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    conflicted = exists().where(Conflict.membership_id == membership.id,
                                Conflict.application_id == Application.id)
    return list(db.session.scalars(
        select(Application)
        .where(Application.round_id == membership.round_id, Application.eligible.is_(True),
               ~conflicted,
               Application.applicant_name.ilike(pattern, escape="\\")
               | Application.title.ilike(pattern, escape="\\"))
        .order_by(Application.applicant_name, Application.reference)
        .limit(SEARCH_LIMIT)))


def unchecked_applications(membership: Membership) -> list[Application]:
    """Applications (eligible or not) the member has no conflict with and has not yet been
    asked about (every one of them before the first check), in reference order. One query,
    however big the round."""
    return list(db.session.scalars(_unchecked_query(membership).order_by(Application.reference)))


def needs_conflict_check(membership: Membership) -> bool:
    """True if the member must go through the conflicts screen before their queue: they have
    never done it, or applications have been added since they last did. One ``EXISTS``-style
    query (``LIMIT 1``), so the panel pages that ask it do constant work per view."""
    if not conflicts_checked(membership):
        return True
    first = db.session.scalar(_unchecked_query(membership).with_only_columns(Application.id)
                              .limit(1))
    return first is not None


def mark_conflicts_checked(membership: Membership) -> None:
    """Record that the member has just checked the applicants shown to them for ties.

    Sets ``conflicts_checked_at`` to now every time, so applications added before this moment
    count as checked and any added later will be put in front of the member.
    """
    membership.conflicts_checked_at = utcnow()
    audit.record(
        "conflicts.checked",
        actor=membership.user,
        round_id=membership.round_id,
        membership_id=membership.id,
    )
