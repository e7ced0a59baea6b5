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
- :func:`mark_conflicts_checked` -- the member has been through the conflicts screen
- :func:`conflicts_checked` -- whether they have
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from grantpanel.extensions import db
from grantpanel.models import Application, Conflict, Membership, ScoreSheet, User, utcnow
from grantpanel.services import audit

CATEGORIES: list[tuple[str, str]] = [
    ("works-for", "I work or volunteer for them"),
    ("trustee", "I am a trustee or board member"),
    ("family", "A family member is involved"),
    ("close-friend", "A close friend is involved"),
    ("beneficiary", "I or my family would benefit"),
    ("other", "Another reason"),
]
CATEGORY_LABELS: dict[str, str] = dict(CATEGORIES)

NOTE_MAX_LENGTH = 2000


class ConflictError(ValueError):
    """A plain-English reason a conflict could not be recorded."""


def _find(membership: Membership, application: Application) -> Conflict | None:
    return db.session.scalar(
        select(Conflict).where(
            Conflict.membership_id == membership.id,
            Conflict.application_id == application.id,
        )
    )


def declare_conflict(
    membership: Membership,
    application: Application,
    *,
    category: str,
    note: str = "",
    declared_by: User,
) -> Conflict:
    """Record that ``membership`` has a tie to ``application`` and withdraw their scores.

    Declaring the same conflict twice returns the first declaration unchanged. Any score
    sheet the member gave the application (at any stage) gets status ``withdrawn``: it is
    kept for the record but never counted. The caller commits.
    """
    if application.round_id != membership.round_id:
        raise ConflictError("That application is not in this member's round.")
    if category not in CATEGORY_LABELS:
        raise ConflictError("Choose how the person is connected to the applicant.")
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ConflictError(f"Keep the note to {NOTE_MAX_LENGTH} characters or fewer.")

    conflict = _find(membership, application)
    if conflict is None:
        conflict = Conflict(
            membership_id=membership.id,
            application_id=application.id,
            category=category,
            note=note,
            declared_by_id=declared_by.id,
            declared_at=utcnow(),
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
            )

    _withdraw_sheets(membership, application, actor=declared_by)
    return conflict


def _withdraw_sheets(membership: Membership, application: Application, *, actor: User) -> None:
    sheets = db.session.scalars(
        select(ScoreSheet).where(
            ScoreSheet.membership_id == membership.id,
            ScoreSheet.application_id == application.id,
            ScoreSheet.status != "withdrawn",
        )
    )
    for sheet in sheets:
        sheet.status = "withdrawn"
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


def conflicts_checked(membership: Membership) -> bool:
    """True once the member has been through the conflicts screen for their round."""
    return membership.conflicts_checked_at is not None


def mark_conflicts_checked(membership: Membership) -> None:
    """Record that the member has checked the applicant list for ties (first time only)."""
    if membership.conflicts_checked_at is not None:
        return
    membership.conflicts_checked_at = utcnow()
    audit.record(
        "conflicts.checked",
        actor=membership.user,
        round_id=membership.round_id,
        membership_id=membership.id,
    )
