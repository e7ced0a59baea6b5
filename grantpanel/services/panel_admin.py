"""Running a round's panel: adding members, invitation links, progress, and conflicts list.

Invitation tokens are returned to the caller once and never stored or logged (only their
hash is kept, by :mod:`grantpanel.services.accounts`). Making a new link for a member cancels
their earlier unused links for the round, so a lost link stops working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.exc import IntegrityError

from grantpanel import lifecycle
from grantpanel.extensions import db
from grantpanel.i18n import _
from grantpanel.models import (
    Application,
    Conflict,
    Invitation,
    Membership,
    Round,
    ScoreSheet,
    Skip,
    User,
    utcnow,
)
from grantpanel.services import accounts, assignment, audit, transitions
from grantpanel.vocabulary import Role, SheetStatus

EDITABLE_STATES = lifecycle.states_where(panel_editable=True)


class PanelError(ValueError):
    """A plain-English reason a panel change could not be made."""


@dataclass(frozen=True)
class MemberProgress:
    membership: Membership
    submitted: int
    drafts: int
    to_do: int  # not yet submitted: drafts and not started
    conflicts: int
    assigned: int | None = None  # applications assigned (reading shared out), else None
    skipped: int = 0  # chose not to score (services/panel_care.py): not to do, no penalty

    @property
    def not_started(self) -> int:
        """Applications the member may score and has not opened a sheet for."""
        return max(0, self.to_do - self.drafts)


PROGRESS_PAGE_SIZE = 50


@dataclass(frozen=True)
class Paging:
    """Which slice of a list a page shows (for ``macros/pager.html``)."""

    page: int
    pages: int
    size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def paged(total: int, page: int, size: int = PROGRESS_PAGE_SIZE) -> Paging:
    """Page ``page`` of ``total`` rows, clamped to the pages there are."""
    pages = max(1, -(-total // size))
    return Paging(min(max(1, page), pages), pages, size)


def applications_count(rnd: Round) -> int:
    return db.session.scalar(
        select(func.count(Application.id)).where(Application.round_id == rnd.id)) or 0


def members_count(rnd: Round) -> int:
    return db.session.scalar(
        select(func.count(Membership.id)).where(Membership.round_id == rnd.id)) or 0


def get_member(rnd: Round, membership_id: int) -> Membership | None:
    m = db.session.get(Membership, membership_id)
    return m if m is not None and m.round_id == rnd.id else None


def add_member(
    rnd: Round,
    actor: User,
    *,
    name: str,
    email: str | None,
    phone: str | None = None,
    access_needs: str | None = None,
    language: str | None = None,
) -> tuple[Membership, str]:
    """Put a person on the round's panel and make their first invitation link.

    A new email creates a panel account (no password); an existing panel account is reused.
    No email (``None`` or blank) always creates a new account: the person signs in by
    invitation link (staff email it, or print it in a letter). ``language`` (a code from
    ``grantpanel.i18n.LANGUAGES``) is the language of their emails and letters, if known.
    Returns the membership and the one-time token (show it once; never store it).

    Safe when staff add members at the same moment: the round row is locked (``FOR UPDATE``;
    the write lock on SQLite) and read fresh before the round's state is checked and the next
    number (one more than the highest so far) is taken, so each member gets their own number.
    The same person added twice to one round: the second is refused with a plain message. The
    same new email added to two rounds at once: the second account insert fails on the unique
    email inside a savepoint, and that request reuses the account the first made.
    """
    transitions.lock(rnd)
    if not rnd.lifecycle.panel_editable:
        raise PanelError(
            _("Members cannot be added now: scoring has closed. Add them to a future round.")
        )
    email = (email or "").strip() or None
    if email is None:
        try:
            user = accounts.create_user(email=None, name=name, role=Role.PANEL, actor=actor)
        except accounts.AccountError as e:
            raise PanelError(str(e)) from e
    else:
        user = _panel_user(email=email, name=name, actor=actor)
    if language:
        user.language = language
    if db.session.scalar(
        select(Membership.id).where(Membership.round_id == rnd.id, Membership.user_id == user.id)
    ) is not None:
        raise PanelError(
            _(
                "%(name)s (%(email)s) is already on this round's panel. Find them in "
                "the list to make a new invitation link.",
                name=user.name,
                email=user.email,
            )
        )
    phone = (phone or "").strip() or None
    access_needs = (access_needs or "").strip() or None
    if phone:
        user.phone = phone
    if access_needs:
        user.access_needs = access_needs
    number = (db.session.scalar(
        select(func.max(Membership.number)).where(Membership.round_id == rnd.id)
    ) or 0) + 1
    membership = Membership(round_id=rnd.id, user_id=user.id, number=number)
    rnd.memberships.append(membership)
    db.session.flush()
    audit.record(
        "panel.member_added",
        actor=actor,
        round_id=rnd.id,
        membership_id=membership.id,
        number=number,
    )
    token = accounts.create_invitation(user, round_id=rnd.id, actor=actor)
    return membership, token


def _panel_user(*, email: str, name: str, actor: User) -> User:
    """The panel account for ``email``, made if there is none (see :func:`add_member`)."""
    user = accounts.find_user_by_email(email)
    if user is None:
        try:
            with db.session.begin_nested():
                user = accounts.create_user(email=email, name=name, role=Role.PANEL, actor=actor)
        except IntegrityError:
            user = None  # made by another request at the same moment: use theirs
        except accounts.AccountError as e:
            user = accounts.find_user_by_email(email)
            if user is None:
                raise PanelError(str(e)) from e
        if user is None:
            user = accounts.find_user_by_email(email)
        if user is None:  # pragma: no cover  (the insert failed on this email)
            raise PanelError(_("That person could not be added. Try again."))
    if not user.is_panel:
        raise PanelError(
            _(
                "That email address belongs to a staff account. Use the panel member's own "
                "email address."
            )
        )
    return user


def new_invitation(membership: Membership, actor: User) -> str:
    """Cancel the member's unused links for this round and make a new one-time link."""
    now = utcnow()
    for inv in db.session.scalars(
        select(Invitation).where(
            Invitation.user_id == membership.user_id,
            Invitation.round_id == membership.round_id,
            Invitation.used_at.is_(None),
        )
    ):
        inv.expires_at = now
    return accounts.create_invitation(
        membership.user, round_id=membership.round_id, actor=actor
    )


def _counts(query: Select[int, int]) -> dict[int, int]:
    """``{key: count}`` from a two-column ``GROUP BY`` query."""
    return {int(row[0]): int(row[1]) for row in db.session.execute(query).all()}


def _not_conflicted() -> Any:
    """SQL: the sheet's member has no conflict on the sheet's application."""
    return ~exists().where(Conflict.membership_id == ScoreSheet.membership_id,
                           Conflict.application_id == ScoreSheet.application_id)


def progress(rnd: Round, *, offset: int = 0, limit: int | None = None) -> list[MemberProgress]:
    """Per member (in pseudonym order; ``offset``/``limit`` give one page): submitted sheets,
    drafts, applications still to score, conflicts declared.

    "To do" counts eligible applications the member has no conflict with and has not yet
    submitted a score for (drafts are still to do); when the round shares reading out, the
    applications assigned to them instead of every eligible one (``assigned``). Counted in the database with ``GROUP BY``
    (a handful of queries, whatever the size of the round), never row by row in Python.
    """
    members_q = (select(Membership).where(Membership.round_id == rnd.id)
                 .order_by(Membership.number).offset(offset))
    if limit is not None:
        members_q = members_q.limit(limit)
    members = list(db.session.scalars(members_q))
    if not members:
        return []
    ids = [m.id for m in members]
    n_eligible = db.session.scalar(
        select(func.count(Application.id))
        .where(Application.round_id == rnd.id, Application.eligible.is_(True))
    ) or 0

    def sheets(status: SheetStatus, *, exclude_conflicted: bool = False) -> dict[int, int]:
        query = (
            select(ScoreSheet.membership_id, func.count(func.distinct(ScoreSheet.application_id)))
            .join(Application, Application.id == ScoreSheet.application_id)
            .where(ScoreSheet.membership_id.in_(ids), ScoreSheet.stage == 1,
                   ScoreSheet.status == status, Application.eligible.is_(True))
            .group_by(ScoreSheet.membership_id)
        )
        if exclude_conflicted:
            query = query.where(_not_conflicted())
        return _counts(query)

    submitted = sheets(SheetStatus.SUBMITTED)
    submitted_clear = sheets(SheetStatus.SUBMITTED, exclude_conflicted=True)
    drafts = sheets(SheetStatus.DRAFT)
    conflicts = _counts(select(Conflict.membership_id, func.count(Conflict.id))
                        .where(Conflict.membership_id.in_(ids))
                        .group_by(Conflict.membership_id))
    conflicts_eligible = _counts(
        select(Conflict.membership_id, func.count(Conflict.id))
        .join(Application, Application.id == Conflict.application_id)
        .where(Conflict.membership_id.in_(ids), Application.eligible.is_(True))
        .group_by(Conflict.membership_id)
    )
    assigned = assignment.member_loads(rnd, ids) if assignment.uses_assignment(rnd) else None
    skipped = _counts(
        select(Skip.membership_id, func.count(Skip.id))
        .join(Application, Application.id == Skip.application_id)
        .where(Skip.membership_id.in_(ids), Application.eligible.is_(True))
        .group_by(Skip.membership_id)
    )
    return [
        MemberProgress(
            membership=m,
            submitted=submitted.get(m.id, 0),
            drafts=drafts.get(m.id, 0),
            to_do=max(0, (n_eligible - conflicts_eligible.get(m.id, 0)
                          - skipped.get(m.id, 0) if assigned is None
                          else assigned.get(m.id, 0)) - submitted_clear.get(m.id, 0)),
            conflicts=conflicts.get(m.id, 0),
            assigned=None if assigned is None else assigned.get(m.id, 0),
            skipped=skipped.get(m.id, 0),
        )
        for m in members
    ]


@dataclass(frozen=True)
class ApplicationProgress:
    reference: str
    title: str
    eligible: bool
    submitted: int
    drafts: int
    conflicts: int
    quorum: int
    readers: int | None = None  # members assigned it (reading shared out), else None

    @property
    def quorum_met(self) -> bool:
        return self.submitted >= self.quorum


def application_progress(rnd: Round, *, offset: int = 0,
                         limit: int | None = None) -> list[ApplicationProgress]:
    """Per application (in reference order; ``offset``/``limit`` give one page): submitted
    scores from members without a conflict, drafts, conflicts, against quorum. Counted in
    the database with ``GROUP BY``."""
    apps_q = (select(Application).where(Application.round_id == rnd.id)
              .order_by(Application.reference).offset(offset))
    if limit is not None:
        apps_q = apps_q.limit(limit)
    apps = list(db.session.scalars(apps_q))
    if not apps:
        return []
    in_page = ScoreSheet.application_id.in_([a.id for a in apps]) if limit is not None \
        else ScoreSheet.application_id.in_(select(Application.id)
                                          .where(Application.round_id == rnd.id))

    def members(status: SheetStatus) -> dict[int, int]:
        return _counts(
            select(ScoreSheet.application_id, func.count(func.distinct(ScoreSheet.membership_id)))
            .where(in_page, ScoreSheet.status == status, _not_conflicted())
            .group_by(ScoreSheet.application_id)
        )

    submitted = members(SheetStatus.SUBMITTED)
    drafts = members(SheetStatus.DRAFT)
    conflicts = _counts(
        select(Conflict.application_id, func.count(Conflict.id))
        .where(Conflict.application_id.in_([a.id for a in apps]) if limit is not None
               else Conflict.application_id.in_(select(Application.id)
                                                .where(Application.round_id == rnd.id)))
        .group_by(Conflict.application_id)
    )
    readers = (assignment.application_readers(rnd, [a.id for a in apps] if limit is not None
                                              else None)
               if assignment.uses_assignment(rnd) else None)
    return [
        ApplicationProgress(
            reference=a.reference,
            title=a.title,
            eligible=a.eligible,
            submitted=submitted.get(a.id, 0),
            drafts=drafts.get(a.id, 0),
            conflicts=conflicts.get(a.id, 0),
            quorum=rnd.quorum,
            readers=None if readers is None else readers.get(a.id, 0),
        )
        for a in apps
    ]


def conflicts_for_round(rnd: Round) -> Select[tuple[Conflict]]:
    """Every declared conflict in the round, oldest first."""
    return (
        select(Conflict)
        .join(Membership, Membership.id == Conflict.membership_id)
        .where(Membership.round_id == rnd.id)
        .order_by(Conflict.declared_at, Conflict.id)
    )
