"""Running a round's panel: adding members, invitation links, progress, and conflicts list.

Invitation tokens are returned to the caller once and never stored or logged (only their
hash is kept, by :mod:`grantpanel.services.accounts`). Making a new link for a member cancels
their earlier unused links for the round, so a lost link stops working.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from grantpanel import lifecycle
from grantpanel.extensions import db
from grantpanel.i18n import _
from grantpanel.models import Conflict, Invitation, Membership, Round, ScoreSheet, User, utcnow
from grantpanel.services import accounts, audit, transitions
from grantpanel.vocabulary import Role, SheetStatus

EDITABLE_STATES = lifecycle.states_where(panel_editable=True)


class PanelError(ValueError):
    """A plain-English reason a panel change could not be made."""


@dataclass(frozen=True)
class MemberProgress:
    membership: Membership
    submitted: int
    drafts: int
    to_do: int
    conflicts: int


def get_member(rnd: Round, membership_id: int) -> Membership | None:
    m = db.session.get(Membership, membership_id)
    return m if m is not None and m.round_id == rnd.id else None


def add_member(
    rnd: Round,
    actor: User,
    *,
    name: str,
    email: str,
    phone: str | None = None,
    access_needs: str | None = None,
) -> tuple[Membership, str]:
    """Put a person on the round's panel and make their first invitation link.

    A new email creates a panel account (no password); an existing panel account is reused.
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
    user = _panel_user(email=email, name=name, actor=actor)
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


def progress(rnd: Round) -> list[MemberProgress]:
    """Per member: submitted sheets, drafts, applications still to score, conflicts declared.

    "To do" counts eligible applications the member has no conflict with and has not yet
    submitted a score for (drafts are still to do).
    """
    eligible = {a.id for a in rnd.applications if a.eligible}
    sheets = db.session.scalars(
        select(ScoreSheet)
        .join(Membership, Membership.id == ScoreSheet.membership_id)
        .where(Membership.round_id == rnd.id, ScoreSheet.stage == 1)
    ).all()
    conflicts = db.session.scalars(
        select(Conflict)
        .join(Membership, Membership.id == Conflict.membership_id)
        .where(Membership.round_id == rnd.id)
    ).all()
    out = []
    for m in rnd.memberships:
        conflicted = {c.application_id for c in conflicts if c.membership_id == m.id}
        mine = [s for s in sheets if s.membership_id == m.id]
        submitted = {s.application_id for s in mine if s.status == SheetStatus.SUBMITTED}
        drafts = {s.application_id for s in mine if s.status == SheetStatus.DRAFT}
        to_do = eligible - conflicted - submitted
        out.append(
            MemberProgress(
                membership=m,
                submitted=len(submitted & eligible),
                drafts=len(drafts & eligible),
                to_do=len(to_do),
                conflicts=len(conflicted),
            )
        )
    return out


@dataclass(frozen=True)
class ApplicationProgress:
    reference: str
    title: str
    eligible: bool
    submitted: int
    drafts: int
    conflicts: int
    quorum: int

    @property
    def quorum_met(self) -> bool:
        return self.submitted >= self.quorum


def application_progress(rnd: Round) -> list[ApplicationProgress]:
    """Per application: submitted (non-conflicted) scores, drafts, conflicts, against quorum."""
    sheets = db.session.scalars(
        select(ScoreSheet)
        .join(Membership, Membership.id == ScoreSheet.membership_id)
        .where(Membership.round_id == rnd.id)
    ).all()
    conflicts = db.session.scalars(
        select(Conflict)
        .join(Membership, Membership.id == Conflict.membership_id)
        .where(Membership.round_id == rnd.id)
    ).all()
    conflicted = {(c.membership_id, c.application_id) for c in conflicts}
    out = []
    for a in rnd.applications:
        mine = [s for s in sheets if s.application_id == a.id
                and (s.membership_id, a.id) not in conflicted]
        out.append(
            ApplicationProgress(
                reference=a.reference,
                title=a.title,
                eligible=a.eligible,
                submitted=len({s.membership_id for s in mine
                               if s.status == SheetStatus.SUBMITTED}),
                drafts=len({s.membership_id for s in mine if s.status == SheetStatus.DRAFT}),
                conflicts=sum(1 for c in conflicts if c.application_id == a.id),
                quorum=rnd.quorum,
            )
        )
    return out


def conflicts_for_round(rnd: Round) -> Select[tuple[Conflict]]:
    """Every declared conflict in the round, oldest first."""
    return (
        select(Conflict)
        .join(Membership, Membership.id == Conflict.membership_id)
        .where(Membership.round_id == rnd.id)
        .order_by(Conflict.declared_at, Conflict.id)
    )
