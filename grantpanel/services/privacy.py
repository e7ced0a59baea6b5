"""Data protection (UK GDPR): find a person, export what is held about them, erase it, retain.

A *person* is either a **panel member** (a ``User`` with role ``panel`` and their
memberships) or an **applicant** (the private details of an ``Application``; the applications
that share its contact email are the same applicant).  Staff accounts are never found, exported
or erased here.

Rules, in one place:

- **Search** matches part of a name or email, case-insensitively, and returns at most
  :data:`SEARCH_LIMIT` people (with a flag saying more matched): never a full listing.
- **Export** (:func:`member_export`, :func:`applicant_export`) returns every field held, as a
  JSON-ready dict.  Secrets (password hash, session key, invitation token hashes) are never
  exported; the export says whether they exist.  Invitations appear with their dates only.
- **Erasure** (:func:`erase_member`, :func:`erase_applications`) replaces personal data with
  neutral placeholders and cannot be undone.  Published decision records are never touched:
  they hold pseudonyms and public application fields only (see
  :func:`grantpanel.services.counting.record_inputs`), so they stay byte-identical and still
  verify.  What is erased:

  * member: name -> :data:`ERASED_NAME`, email -> ``erased-<id>@invalid`` (still unique),
    phone and access needs -> empty, password hash cleared, session key rotated (signs them
    out everywhere), invitations deleted, their conflict notes and panel notes blanked, and
    what they wrote about their time and costs blanked. Pseudonyms, scores, the minutes and
    amounts of their time and costs (needed to show they were paid) and feedback for
    applicants are kept.
  * applicant: applicant name -> :data:`ERASED_APPLICANT`, contact email and answers ->
    empty; the panel notes, feedback and conflict notes written about those applications are
    blanked.  The public title, summary, amount and eligibility stay: they are published.

  Every erasure is one audit event (``person.erased``) holding ids, the kind and the reason,
  never the erased data.
- **Retention** (:func:`apply_retention`): for rounds published more than ``days`` days ago,
  erase their applicants, and their panel members unless the member is also on a round that
  is not yet that old (or not published).  ``days == 0`` keeps everything.

Functions here only query and change objects; the view or command commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import joinedload

from grantpanel.extensions import db
from grantpanel.i18n import _, ngettext
from grantpanel.models import (
    Application,
    AuditEvent,
    Conflict,
    ExpenseClaim,
    Invitation,
    Membership,
    PublishedRecord,
    Round,
    ScoreSheet,
    TimeEntry,
    User,
    as_utc,
    utcnow,
)
from grantpanel.services import accounts, audit
from grantpanel.textcheck import text_problem
from grantpanel.vocabulary import Role

EXPORT_FORMAT = "grantpanel-personal-data"
EXPORT_VERSION = 1
SEARCH_LIMIT = 50
SEARCH_MIN_LENGTH = 2
ERASED_NAME = "Erased person"
ERASED_APPLICANT = "Erased applicant"
CONFIRM_WORD = "erase"
REASON_MAX_LENGTH = 500
# Account columns never exported (only whether they are set): one-way hashes and keys.
SECRET_COLUMNS = ("password_hash", "session_nonce")


class PrivacyError(ValueError):
    """A plain-English reason an export or erasure cannot be done."""


def erased_email(user_id: int) -> str:
    """The placeholder email of an erased account: unique, and never deliverable."""
    return f"erased-{user_id}@invalid"


def is_erased(person: User | Application) -> bool:
    """True once the personal data of this account or application has been erased."""
    return person.erased_at is not None


# --- search ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonMatch:
    """One search result: ``kind`` is ``"member"`` (id of the user) or ``"applicant"`` (id of
    an application)."""

    kind: str
    id: int
    name: str
    email: str | None
    where: str
    erased: bool


@dataclass(frozen=True)
class SearchResult:
    matches: list[PersonMatch]
    more: bool  # more people matched than are shown: type more of the name or email


def _contains(column: Any, needle: str) -> ColumnElement[bool]:
    return func.lower(column).contains(needle, autoescape=True)


def search_people(query: str, *, limit: int = SEARCH_LIMIT) -> SearchResult:
    """Panel members and applicants whose name or email contains ``query`` (any case).

    Returns at most ``limit`` matches, members first; ``more`` is true when others matched.
    A query shorter than :data:`SEARCH_MIN_LENGTH` characters matches nobody.
    """
    needle = query.strip().lower()
    if len(needle) < SEARCH_MIN_LENGTH:
        return SearchResult([], False)
    users = db.session.scalars(
        select(User)
        .where(User.role == Role.PANEL, or_(_contains(User.name, needle),
                                          _contains(User.email, needle)))
        .order_by(func.lower(User.name), User.id)
        .limit(limit + 1)
    ).all()
    rounds_per_user = _round_counts([u.id for u in users])
    matches = [
        PersonMatch(
            "member", u.id, u.name, u.email,
            ngettext(
                "Panel member on %(num)d round",
                "Panel member on %(num)d rounds",
                rounds_per_user.get(u.id, 0),
            ),
            u.erased_at is not None,
        )
        for u in users
    ]
    rows = db.session.execute(
        select(Application, Round.name)
        .join(Round, Round.id == Application.round_id)
        .where(or_(_contains(Application.applicant_name, needle),
                   _contains(func.coalesce(Application.contact_email, ""), needle)))
        .order_by(func.lower(Application.applicant_name), Application.id)
        .limit(limit + 1)
    ).all()
    matches += [
        PersonMatch("applicant", a.id, a.applicant_name, a.contact_email,
                    _("Applicant: %(reference)s in %(round)s", reference=a.reference,
                      round=round_name),
                    a.erased_at is not None)
        for a, round_name in rows
    ]
    return SearchResult(matches[:limit], len(matches) > limit)


def _round_counts(user_ids: list[int]) -> dict[int, int]:
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(Membership.user_id, func.count(Membership.id))
        .where(Membership.user_id.in_(user_ids))
        .group_by(Membership.user_id)
    ).all()
    return {uid: int(n) for uid, n in rows}


# --- finding one person ----------------------------------------------------------------------


def get_member(user_id: int) -> User | None:
    """The panel member with this user id (``None`` for staff or nobody)."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.role == Role.PANEL else None


def get_application(application_id: int) -> Application | None:
    return db.session.get(Application, application_id)


def applicant_applications(application: Application) -> list[Application]:
    """The applications of the applicant who made ``application``: those sharing its contact
    email (any case), or only ``application`` itself if it has no email. Oldest first."""
    email = (application.contact_email or "").strip().lower()
    if not email:
        return [application]
    return list(
        db.session.scalars(
            select(Application)
            .where(func.lower(Application.contact_email) == email)
            .order_by(Application.id)
        ).all()
    )


def member_applications(user: User) -> list[Application]:
    """Applications whose contact email is this member's email (they also applied)."""
    if user.erased_at is not None or not user.email:
        return []
    return list(
        db.session.scalars(
            select(Application)
            .where(func.lower(Application.contact_email) == user.email.lower())
            .order_by(Application.id)
        ).all()
    )


# --- export ----------------------------------------------------------------------------------


def _value(value: Any) -> Any:
    """A stored value as JSON: times as ISO 8601 in UTC, dates as ISO dates."""
    if isinstance(value, dt.datetime):
        return as_utc(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _fields(obj: Any, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every stored column of ``obj`` (a model instance) except ``skip``, as JSON values."""
    return {
        c.name: _value(getattr(obj, c.key))
        for c in type(obj).__table__.columns
        if c.name not in skip
    }


def _header(kind: str) -> dict[str, Any]:
    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_VERSION,
        "kind": kind,
        "organisation": str(current_app.config.get("ORGANISATION_NAME", "")),
        "exported_at": _value(utcnow()),
    }


def _event(ev: AuditEvent, user_id: int | None) -> dict[str, Any]:
    return {
        "id": ev.id,
        "at": _value(ev.at),
        "action": ev.action,
        "round_id": ev.round_id,
        "by_this_person": user_id is not None and ev.actor_id == user_id,
        "detail": ev.detail,
    }


def member_events(user: User) -> list[AuditEvent]:
    """Audit events where the member is the actor, or the subject (their user id or one of
    their memberships in the event's detail). Oldest first."""
    membership_ids = [m.id for m in user.memberships]
    conditions: list[ColumnElement[bool]] = [
        AuditEvent.actor_id == user.id,
        AuditEvent.detail["user_id"].as_integer() == user.id,
    ]
    if membership_ids:
        conditions.append(AuditEvent.detail["membership_id"].as_integer().in_(membership_ids))
    return list(db.session.scalars(
        select(AuditEvent).where(or_(*conditions)).order_by(AuditEvent.id)
    ).all())


def applicant_events(applications: Sequence[Application]) -> list[AuditEvent]:
    """Audit events about these applications: by id, or by reference within the round
    (including CSV imports that list the reference). Oldest first."""
    if not applications:
        return []
    ids = [a.id for a in applications]
    by_reference = [
        and_(AuditEvent.round_id == a.round_id,
             AuditEvent.detail["reference"].as_string() == a.reference)
        for a in applications
    ]
    picked = {
        ev.id: ev
        for ev in db.session.scalars(
            select(AuditEvent).where(
                or_(AuditEvent.detail["application_id"].as_integer().in_(ids), *by_reference)
            )
        )
    }
    imports = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "application.imported",
            AuditEvent.round_id.in_({a.round_id for a in applications}),
        )
    ).all()
    refs = {(a.round_id, a.reference) for a in applications}
    for ev in imports:
        if any((ev.round_id, r) in refs for r in ev.detail.get("references") or []):
            picked[ev.id] = ev
    return [picked[k] for k in sorted(picked)]


def member_export(user: User) -> dict[str, Any]:
    """Everything held about panel member ``user``, as a JSON-ready dict (see module doc)."""
    account = _fields(user, skip=SECRET_COLUMNS)
    invitations = db.session.scalars(
        select(Invitation).where(Invitation.user_id == user.id).order_by(Invitation.id)
    ).all()
    memberships = []
    for m in sorted(user.memberships, key=lambda m: m.id):
        conflicts = db.session.scalars(
            select(Conflict)
            .where(Conflict.membership_id == m.id)
            .options(joinedload(Conflict.application))
            .order_by(Conflict.id)
        ).all()
        sheets = db.session.scalars(
            select(ScoreSheet)
            .where(ScoreSheet.membership_id == m.id)
            .options(joinedload(ScoreSheet.application))
            .order_by(ScoreSheet.id)
        ).all()
        memberships.append({
            **_fields(m, skip=("id", "round_id", "user_id")),
            "round": {"id": m.round.id, "name": m.round.name, "state": m.round.state},
            "pseudonym": m.pseudonym,
            "conflicts": [
                {
                    **_fields(c, skip=("id", "membership_id", "application_id",
                                       "declared_by_id")),
                    "application": c.application.reference,
                    "declared_by": "this person" if c.declared_by_id == user.id
                    else "grants staff",
                }
                for c in conflicts
            ],
            "score_sheets": [
                {
                    **_fields(s, skip=("id", "membership_id", "application_id")),
                    "application": s.application.reference,
                }
                for s in sheets
            ],
        })
    return {
        **_header("panel member"),
        "account": account,
        "secrets_held_not_exported": {
            "password": "set (stored only as a one-way hash)" if user.password_hash
            else "not set",
            "session_key": "set (a random key that ends their sessions when changed)",
            "invitation_links": f"{len(invitations)} (stored only as one-way hashes)",
        },
        "memberships": memberships,
        "invitations": [
            {
                "round_id": i.round_id,
                "created_at": _value(i.created_at),
                "expires_at": _value(i.expires_at),
                "used_at": _value(i.used_at),
            }
            for i in invitations
        ],
        "audit_events": [_event(ev, user.id) for ev in member_events(user)],
    }


def _feedback(application: Application) -> list[dict[str, Any]]:
    sheets = db.session.scalars(
        select(ScoreSheet)
        .where(ScoreSheet.application_id == application.id, ScoreSheet.feedback != "")
        .order_by(ScoreSheet.stage, ScoreSheet.id)
    ).all()
    return [{"stage": s.stage, "status": s.status, "feedback": s.feedback} for s in sheets]


def applicant_export(applications: Sequence[Application]) -> dict[str, Any]:
    """Everything held about the applicant who made ``applications``, JSON-ready."""
    items = []
    for a in applications:
        items.append({
            **_fields(a),
            "round": {"id": a.round.id, "name": a.round.name, "state": a.round.state},
            "feedback_from_the_panel": _feedback(a),
        })
    return {
        **_header("applicant"),
        "applications": items,
        "audit_events": [_event(ev, None) for ev in applicant_events(applications)],
    }


# --- erasure ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    """What one erasure changed (counts only: never the erased data)."""

    kind: str
    ids: list[int]
    invitations: int = 0
    conflict_notes: int = 0
    panel_notes: int = 0
    feedback: int = 0


def clean_reason(reason: str) -> str:
    """The erasure reason, stripped; raises PrivacyError if missing, too long or unsafe."""
    reason = (reason or "").strip()
    if not reason:
        raise PrivacyError(
            _(
                "Write why this person's data is being erased, for example 'They asked us to "
                "erase it'. Do not include their name or other personal details."
            )
        )
    problem = text_problem(reason, max_length=REASON_MAX_LENGTH, label=_("The reason"))
    if problem:
        raise PrivacyError(problem)
    return reason


def _blank(column: Any, condition: ColumnElement[bool]) -> int:
    """Set text ``column`` to "" where ``condition`` holds and it is not already blank."""
    model = column.class_
    result = db.session.execute(
        update(model).where(condition, column != "").values({column.key: ""})
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def erase_member(user: User, actor: User | None, *, reason: str) -> Erasure:
    """Erase panel member ``user``'s personal data (see module doc). Cannot be undone."""
    reason = clean_reason(reason)
    if user.role != Role.PANEL:
        raise PrivacyError(
            _("Only a panel member's data can be erased here, not a staff account.")
        )
    if user.erased_at is not None:
        raise PrivacyError(_("This person's personal data has already been erased."))
    membership_ids = [m.id for m in user.memberships]
    user.name = ERASED_NAME
    user.email = erased_email(user.id)
    user.phone = None
    user.access_needs = None
    user.language = None
    user.password_hash = None
    accounts.end_sessions(user)  # every session cookie now names a key that no longer loads
    user.erased_at = utcnow()
    invitations = db.session.execute(
        delete(Invitation).where(Invitation.user_id == user.id)
        .execution_options(synchronize_session="fetch")
    ).rowcount or 0  # type: ignore[attr-defined]
    conflict_notes = panel_notes = 0
    if membership_ids:
        conflict_notes = _blank(Conflict.note, Conflict.membership_id.in_(membership_ids))
        panel_notes = _blank(ScoreSheet.panel_note, ScoreSheet.membership_id.in_(membership_ids))
        # What they wrote about their time and costs (the hours and amounts stay: finance
        # needs them to show the payments were made).
        panel_notes += _blank(TimeEntry.what_for, TimeEntry.membership_id.in_(membership_ids))
        panel_notes += _blank(ExpenseClaim.description,
                              ExpenseClaim.membership_id.in_(membership_ids))
    result = Erasure("member", [user.id], int(invitations), conflict_notes, panel_notes)
    audit.record("person.erased", actor=actor, kind="member", user_id=user.id,
                 membership_ids=membership_ids, reason=reason)
    return result


def erase_applications(
    applications: Iterable[Application], actor: User | None, *, reason: str
) -> Erasure:
    """Erase the applicant's private details on ``applications`` (see module doc).

    Applications already erased are skipped; one audit event per application erased.
    """
    reason = clean_reason(reason)
    todo = [a for a in applications if a.erased_at is None]
    if not todo:
        raise PrivacyError(_("This applicant's personal data has already been erased."))
    now = utcnow()
    ids = [a.id for a in todo]
    for a in todo:
        a.applicant_name = ERASED_APPLICANT
        a.contact_email = None
        a.answers = ""
        a.erased_at = now
    conflict_notes = panel_notes = feedback = 0
    for chunk in _chunks(ids, 500):
        conflict_notes += _blank(Conflict.note, Conflict.application_id.in_(chunk))
        panel_notes += _blank(ScoreSheet.panel_note, ScoreSheet.application_id.in_(chunk))
        feedback += _blank(ScoreSheet.feedback, ScoreSheet.application_id.in_(chunk))
    for a in todo:
        audit.record("person.erased", actor=actor, round_id=a.round_id, kind="applicant",
                     application_id=a.id, reason=reason)
    return Erasure("applicant", ids, 0, conflict_notes, panel_notes, feedback)


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def record_export(kind: str, subject_id: int, actor: User) -> None:
    """Log that staff downloaded a person's data (ids only)."""
    key = "user_id" if kind == "member" else "application_id"
    audit.record("person.exported", actor=actor, kind=kind, **{key: subject_id})


# --- retention -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionReport:
    """What retention erased, or would erase on a dry run (counts only)."""

    days: int
    cutoff: dt.datetime | None
    rounds: int = 0
    members: int = 0
    members_kept: int = 0
    applications: int = 0
    dry_run: bool = False


def apply_retention(days: int, *, dry_run: bool = False,
                    now: dt.datetime | None = None) -> RetentionReport:
    """Erase personal data of rounds published more than ``days`` days before ``now``.

    Applicants of those rounds are erased; a panel member is erased only if every round they
    are on was published before the cutoff (a member also on a newer or unpublished round is
    kept and counted in ``members_kept``).  Staff accounts are never touched.  ``days == 0``
    erases nothing.  With ``dry_run`` nothing changes; the counts say what would be erased.
    """
    if days <= 0:
        return RetentionReport(days, None, dry_run=dry_run)
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    old_rounds = (
        select(PublishedRecord.round_id).where(PublishedRecord.published_at < cutoff)
    )
    n_rounds = db.session.scalar(select(func.count()).select_from(old_rounds.subquery())) or 0
    applications = list(db.session.scalars(
        select(Application)
        .where(Application.round_id.in_(old_rounds), Application.erased_at.is_(None))
        .order_by(Application.id)
    ).all())
    candidates = (
        select(User)
        .where(User.role == Role.PANEL, User.erased_at.is_(None),
               exists().where(Membership.user_id == User.id,
                              Membership.round_id.in_(old_rounds)))
    )
    on_newer_round = exists().where(Membership.user_id == User.id,
                                    Membership.round_id.not_in(old_rounds))
    members = list(db.session.scalars(candidates.where(~on_newer_round).order_by(User.id)))
    kept = db.session.scalar(
        select(func.count()).select_from(candidates.where(on_newer_round).subquery())
    ) or 0
    if not dry_run:
        reason = f"Retention: the round was published more than {days} days ago."
        for user in members:
            erase_member(user, None, reason=reason)
        if applications:
            erase_applications(applications, None, reason=reason)
    return RetentionReport(days, cutoff, int(n_rounds), len(members), int(kept),
                           len(applications), dry_run)
