"""The append-only audit log: one call records who did what, when; staff read it in plain words.

Every action code has its words here (:data:`ACTIONS`; a round's steps take theirs from
``grantpanel.lifecycle``), and every detail key its label (:data:`DETAIL_LABELS`);
``tests/app/test_audit_log.py`` fails when code records an action or detail without words.
The page shows references and names instead of database ids, newest first, a page at a time.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import LazyString
from sqlalchemy import Select, func, select

from grantpanel.extensions import db
from grantpanel.i18n import _, _l
from grantpanel.lifecycle import STATES, TRANSITIONS
from grantpanel.models import (
    Application,
    AuditEvent,
    Ballot,
    Conflict,
    Membership,
    ScoreSheet,
    User,
)
from grantpanel.vocabulary import Role

AUDIT_PAGE_SIZE = 50

#: What each action code means, as staff read it in the audit log.
ACTIONS: dict[str, LazyString] = {
    "application.added": _l("Added an application"),
    "application.eligibility": _l("Changed whether an application is eligible"),
    "application.imported": _l("Imported applications from a CSV file"),
    "application.updated": _l("Changed an application"),
    "application.tags": _l("Changed an application's tags"),
    "application.withdrawn": _l("Withdrew an application (the applicant pulled out)"),
    "application.withdrawal_undone": _l("Undid the withdrawal of an application"),
    "tag.added": _l("Added a tag"),
    "tag.removed": _l("Removed a tag"),
    "assignment.capacity_set": _l("Changed the most a member reads"),
    "assignment.conflict_removed": _l("Took a member with a conflict off an application"),
    "assignment.member_left": _l("Recorded that a member left the panel"),
    "assignment.preferences_imported": _l("Imported members' reading preferences"),
    "assignment.reader_added": _l("Added a reader to an application"),
    "assignment.reader_removed": _l("Took a reader off an application"),
    "assignment.readers_set": _l("Changed how many members read each application"),
    "assignment.run": _l("Assigned readers to applications"),
    "ballot.saved": _l("Saved a draft vote"),
    "care.expense_claimed": _l("Claimed a cost of taking part"),
    "care.expense_decided": _l("Decided on a claimed cost"),
    "care.pay_set": _l("Changed how panel members are paid"),
    "care.time_decided": _l("Decided on logged time"),
    "care.time_logged": _l("Logged time given to the panel"),
    "ballot.submitted": _l("Submitted a vote"),
    "conflict.declared": _l("Recorded a conflict of interest"),
    "conflicts.checked": _l("Said which applicants they know"),
    "consent.answered": _l("Answered whether they consent to the decision"),
    "count.change_removed": _l("Took back a change to the count's result"),
    "count.change_saved": _l("Saved a change to the count's result"),
    "count.run": _l("Ran the count"),
    "criterion.added": _l("Added a criterion"),
    "criterion.moved": _l("Moved a criterion"),
    "criterion.removed": _l("Removed a criterion"),
    "criterion.updated": _l("Changed a criterion"),
    "export.downloaded": _l("Downloaded an export"),
    "feedback.edited": _l("Changed the feedback an applicant will read"),
    "feedback.emailed": _l("Emailed an applicant their feedback link"),
    "feedback.link_made": _l("Made a feedback link for an applicant"),
    "feedback.released": _l("Released feedback to applicants"),
    "invitation.created": _l("Made an invitation link"),
    "invitation.used": _l("Used an invitation link"),
    "messages.sent": _l("Sent emails to the panel"),
    "panel.member_added": _l("Added a panel member"),
    "person.erased": _l("Erased a person's details"),
    "person.exported": _l("Downloaded a person's data"),
    "round.created": _l("Created the round"),
    "round.question_route_set": _l("Changed how to question the decision"),
    "round.stages_changed": _l("Changed the decision stages"),
    "round.updated": _l("Changed the round's details"),
    "member.extension_set": _l("Gave a panel member more time to score"),
    "sheet.assisted": _l("Entered scores on a panel member's behalf"),
    "sheet.saved": _l("Saved a draft score sheet"),
    "sheet.skipped": _l("Chose not to score an application"),
    "sheet.submitted": _l("Submitted a score sheet"),
    "sheet.withdrawn": _l("Withdrew a score sheet"),
    "user.created": _l("Created an account"),
    "user.password_set": _l("Set a password"),
    "user.signed_in": _l("Signed in"),
    "user.signed_out": _l("Signed out"),
}

#: Labels for the keys of an event's details.
DETAIL_LABELS: dict[str, LazyString] = {
    "account": _l("Account"),
    "added": _l("Added"),
    "application_id": _l("Application"),
    "applications": _l("Applications"),
    "amount": _l("Amount in pence"),
    "automatic_references": _l("References made for them"),
    "basis": _l("How members are paid"),
    "ballot_id": _l("Vote"),
    "capacity": _l("Most they read"),
    "changed": _l("What changed"),
    "conflict_id": _l("Conflict"),
    "category": _l("Kind of connection"),
    "count": _l("How many"),
    "decision": _l("Decision"),
    "declared_role": _l("Recorded by"),
    "declared_when": _l("When it was recorded"),
    "direction": _l("Direction"),
    "eligible": _l("Eligible"),
    "entry_id": _l("Item number"),
    "extended_until": _l("More time until"),
    "export": _l("Export"),
    "failed": _l("Could not be sent"),
    "format": _l("File format"),
    "first_reference": _l("First reference"),
    "fresh": _l("Started again"),
    "frozen": _l("Fixed"),
    "key": _l("Key"),
    "last_reference": _l("Last reference"),
    "kind": _l("Kind"),
    "membership_id": _l("Panel member"),
    "membership_ids": _l("Panel members"),
    "minutes": _l("Minutes"),
    "name": _l("Name"),
    "number": _l("Panel number"),
    "objection": _l("Strong objection"),
    "position": _l("Position"),
    "previous": _l("Before"),
    "readers": _l("Readers per application"),
    "reason": _l("Reason"),
    "reference": _l("Reference"),
    "replaced": _l("Replaced an earlier link"),
    "removed": _l("Removed"),
    "role": _l("Role"),
    "sheet_id": _l("Score sheet"),
    "short": _l("Short of readers"),
    "source": _l("From"),
    "stage": _l("Stage"),
    "submitted": _l("Submitted"),
    "stages": _l("Stages"),
    "start": _l("Start"),
    "tag": _l("Tag"),
    "tags": _l("Tags"),
    "target": _l("To"),
    "user_id": _l("Person"),
    "without_feedback": _l("Applications with no feedback"),
}


class Who(enum.StrEnum):
    """Whose actions the log shows."""

    EVERYONE = ""
    STAFF = "staff"
    PANEL = "panel"
    SYSTEM = "system"

    @property
    def label(self) -> str:
        return {
            Who.EVERYONE: _("Everyone"),
            Who.STAFF: _("Staff"),
            Who.PANEL: _("Panel members"),
            Who.SYSTEM: _("The system"),
        }[self]


def record(
    action: str,
    *,
    actor: User | None,
    round_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add an audit event to the session (the caller commits). Never put secrets in detail."""
    ev = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        round_id=round_id,
        detail=detail,
    )
    db.session.add(ev)
    return ev


def events_for_round(round_id: int) -> Select[tuple[AuditEvent]]:
    """Statement for a round's audit events, oldest first."""
    return select(AuditEvent).where(AuditEvent.round_id == round_id).order_by(AuditEvent.id)


def action_label(code: str) -> str:
    """The plain words for an action code (the code itself if it has none)."""
    if code.startswith("round.") and code[len("round."):] in TRANSITIONS:
        return TRANSITIONS[code[len("round."):]].label_text
    words = ACTIONS.get(code)
    return str(words) if words is not None else code


@dataclass(frozen=True)
class AuditRow:
    at: dt.datetime
    who: str
    what: str
    details: list[tuple[str, str]]


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    page: int
    pages: int
    total: int


def action_choices(round_id: int) -> list[tuple[str, str]]:
    """The actions this round's log holds, as (code, words), in the words' order."""
    codes = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.round_id == round_id).distinct()
    )
    return sorted(((c, action_label(c)) for c in codes), key=lambda pair: pair[1].lower())


def _filtered(round_id: int, action: str | None, who: Who) -> Select[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.round_id == round_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if who is Who.SYSTEM:
        stmt = stmt.where(AuditEvent.actor_id.is_(None))
    elif who in (Who.STAFF, Who.PANEL):
        role = Role.STAFF if who is Who.STAFF else Role.PANEL
        stmt = stmt.join(User, User.id == AuditEvent.actor_id).where(User.role == role)
    return stmt


def log_page(round_id: int, page: int = 1, *, action: str | None = None,
             who: Who = Who.EVERYONE, per_page: int = AUDIT_PAGE_SIZE) -> AuditPage:
    """Page ``page`` of a round's log, newest first, filtered by action and by whose actions;
    ids in the details are shown as references and names (a few batched queries a page)."""
    base = _filtered(round_id, action, who)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    events = list(db.session.scalars(
        base.order_by(AuditEvent.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ))
    names = _Names(events)
    rows = [
        AuditRow(
            at=ev.at,
            who=ev.actor.name if ev.actor else _("The system"),
            what=action_label(ev.action),
            details=[names.detail(k, v) for k, v in sorted((ev.detail or {}).items())],
        )
        for ev in events
    ]
    return AuditPage(rows=rows, page=page, pages=pages, total=total)


class _Names:
    """References and names for the ids one page of events mentions, looked up together."""

    def __init__(self, events: Iterable[AuditEvent]) -> None:
        ids: dict[str, set[int]] = {}
        for ev in events:
            for key, value in (ev.detail or {}).items():
                values = value if isinstance(value, list) else [value]
                ids.setdefault(key, set()).update(
                    v for v in values if isinstance(v, int) and not isinstance(v, bool))
        members = ids.get("membership_id", set()) | ids.get("membership_ids", set())
        self.applications = dict(db.session.execute(
            select(Application.id, Application.reference)
            .where(Application.id.in_(ids.get("application_id", set())))).all())
        self.members = {
            m.id: _("Panel member %(number)s (%(name)s)", number=m.number, name=m.user.name)
            for m in db.session.scalars(select(Membership).where(Membership.id.in_(members)))
        }
        self.users = dict(db.session.execute(
            select(User.id, User.name).where(User.id.in_(ids.get("user_id", set())))
        ).all())
        self.sheets = dict(db.session.execute(
            select(ScoreSheet.id, Application.reference)
            .join(Application, Application.id == ScoreSheet.application_id)
            .where(ScoreSheet.id.in_(ids.get("sheet_id", set())))).all())
        self.conflicts = dict(db.session.execute(
            select(Conflict.id, Application.reference)
            .join(Application, Application.id == Conflict.application_id)
            .where(Conflict.id.in_(ids.get("conflict_id", set())))).all())
        self.ballots = {b.id: b.membership_id for b in db.session.scalars(
            select(Ballot).where(Ballot.id.in_(ids.get("ballot_id", set()))))}

    def _one(self, key: str, value: Any) -> str:
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if key == "application_id":
            return self.applications.get(value, _("an application since removed"))
        if key in ("membership_id", "membership_ids"):
            return self.members.get(value, _("a panel member since removed"))
        if key == "user_id":
            return self.users.get(value, _("a person since removed"))
        if key == "sheet_id":
            ref = self.sheets.get(value)
            return _("for %(reference)s", reference=ref) if ref else _("since removed")
        if key == "conflict_id":
            ref = self.conflicts.get(value)
            return _("with %(reference)s", reference=ref) if ref else _("since removed")
        if key == "ballot_id":
            return _("a vote") if value in self.ballots else _("since removed")
        if key in ("source", "target"):
            return _state_words(value)
        return str(value)

    def detail(self, key: str, value: Any) -> tuple[str, str]:
        label = str(DETAIL_LABELS.get(key, key))
        if isinstance(value, list):
            return label, ", ".join(self._one(key, v) for v in value)
        if isinstance(value, dict):
            return label, "; ".join(f"{k}: {v}" for k, v in sorted(value.items()))
        if value is None:
            return label, "–"
        return label, self._one(key, value)


def _state_words(state: Any) -> str:
    found = STATES.get(str(state))
    return str(found.staff_label) if found else str(state)


def has_filters(action: str | None, who: Who) -> bool:
    return bool(action) or who is not Who.EVERYONE


__all__ = ["ACTIONS", "AUDIT_PAGE_SIZE", "DETAIL_LABELS", "AuditPage", "AuditRow", "Who",
           "action_choices", "action_label", "events_for_round", "has_filters", "log_page",
           "record"]
