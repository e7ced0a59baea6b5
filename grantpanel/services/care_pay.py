"""Panel care: paying members for their time and covering what taking part costs them.

A round has pay settings (:class:`~grantpanel.models.PaySettings`: nothing, a rate per hour,
or a fixed fee per member, in integer pence, and a note to members). Members log their time
(:class:`~grantpanel.models.TimeEntry`) and claim expenses
(:class:`~grantpanel.models.ExpenseClaim`); staff approve them or say why not. Time staff log
for a member counts as approved (staff wrote it down themselves).

What a member is owed: the pay for their approved time (minutes x rate / 60, to the nearest
penny, half up) or the fee, plus their approved expenses. Totals are counted by the database
(one ``GROUP BY`` per list page), never row by row.

Deciding is compare-and-set: ``UPDATE ... WHERE id = ? AND status = 'submitted'``, so when two
staff approve the same claim at once one decision is recorded and the other is told it was
already decided. Nothing here commits; nothing here is published or logged with its text
(audit events carry ids, minutes and amounts only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import CursorResult, Select, func, select, update

from grantpanel.extensions import db
from grantpanel.i18n import _
from grantpanel.models import (
    ExpenseClaim,
    Membership,
    PaySettings,
    Round,
    TimeEntry,
    User,
    utcnow,
)
from grantpanel.services import audit
from grantpanel.vocabulary import CareStatus, EnteredBy, ExpenseCategory, PayBasis

__all__ = [
    "DESCRIPTION_MAX_LENGTH",
    "MAX_CLAIM_MINOR",
    "MAX_MINUTES",
    "MAX_RATE_MINOR",
    "NOTE_MAX_LENGTH",
    "PAGE_SIZE",
    "REASON_MAX_LENGTH",
    "WHAT_FOR_MAX_LENGTH",
    "AlreadyDecided",
    "CareError",
    "MemberTotals",
    "MembersPage",
    "claim_expense",
    "claims_of",
    "date_problem",
    "decide",
    "entries_of",
    "log_time",
    "member_totals",
    "members_page",
    "pay_for",
    "payment_rows",
    "payments_problem",
    "save_settings",
    "settings_for",
]

PAGE_SIZE = 50
MAX_MINUTES = 24 * 60  # one entry is at most one day
WHAT_FOR_MAX_LENGTH = 200  # TimeEntry.what_for
DESCRIPTION_MAX_LENGTH = 1_000
REASON_MAX_LENGTH = 1_000
NOTE_MAX_LENGTH = 1_000
MAX_CLAIM_MINOR = 1_000_000  # £10,000: a typo guard for one claim
MAX_RATE_MINOR = 100_000_000  # £1,000,000: a typo guard for a rate or fee
EARLIEST = dt.date(2000, 1, 1)


class CareError(ValueError):
    """A plain-English reason a pay, time or expense change could not be made."""


class AlreadyDecided(CareError):
    """Another member of staff decided this item first (nothing was changed)."""


# --- rules shared by the forms and the service ------------------------------------------------


def date_problem(day: dt.date | None, *, today: dt.date | None = None) -> str | None:
    """Why ``day`` cannot be the day of time or an expense (None when it can)."""
    today = today or utcnow().date()
    if day is None:
        return _("Enter the date it happened.")
    if day > today:
        return _("The date is in the future. Enter the day it happened.")
    if day < EARLIEST:
        return _("The date is too long ago. Check the year.")
    return None


def minutes_problem(minutes: int) -> str | None:
    if minutes <= 0:
        return _("Enter how long you spent: some hours, some minutes, or both.")
    if minutes > MAX_MINUTES:
        return _("That is more than one day. Log each day on its own.")
    return None


def pay_for(settings: PaySettings | None, minutes: int) -> int:
    """Pence owed for ``minutes`` of approved time (the fee does not depend on time)."""
    if settings is None:
        return 0
    if settings.basis == PayBasis.HOURLY and settings.rate:
        return (int(settings.rate) * int(minutes) * 2 + 60) // 120  # nearest penny, half up
    if settings.basis == PayBasis.FEE and settings.fee:
        return int(settings.fee)
    return 0


# --- settings ---------------------------------------------------------------------------------


def settings_for(rnd: Round) -> PaySettings | None:
    return db.session.scalar(select(PaySettings).where(PaySettings.round_id == rnd.id))


def save_settings(rnd: Round, actor: User, *, basis: PayBasis, rate: int | None,
                  fee: int | None, note: str) -> PaySettings:
    """Set how the round pays its members (a rate or fee only where the basis needs it)."""
    if basis == PayBasis.HOURLY and not rate:
        raise CareError(_("Enter the rate for each hour."))
    if basis == PayBasis.FEE and not fee:
        raise CareError(_("Enter the fee for each member."))
    settings = settings_for(rnd)
    if settings is None:
        settings = PaySettings(round_id=rnd.id)
        db.session.add(settings)
    settings.basis = basis
    settings.rate = rate if basis == PayBasis.HOURLY else None
    settings.fee = fee if basis == PayBasis.FEE else None
    settings.note = note.strip()
    settings.updated_at = utcnow()
    audit.record("care.pay_set", actor=actor, round_id=rnd.id, basis=basis.value)
    return settings


# --- time and expenses ------------------------------------------------------------------------


def log_time(member: Membership, actor: User, *, worked_on: dt.date, minutes: int,
             what_for: str, by_staff: bool = False) -> TimeEntry:
    """Add time to ``member``'s log. Staff-logged time is approved at once."""
    problem = date_problem(worked_on) or minutes_problem(minutes)
    if problem:
        raise CareError(problem)
    what_for = what_for.strip()
    if not what_for:
        raise CareError(_("Say what the time was for, like \"reading applications\"."))
    entry = TimeEntry(membership_id=member.id, worked_on=worked_on, minutes=minutes,
                      what_for=what_for[:WHAT_FOR_MAX_LENGTH],
                      entered_by=EnteredBy.STAFF if by_staff else EnteredBy.MEMBER,
                      entered_by_id=actor.id, status=CareStatus.SUBMITTED)
    if by_staff:
        entry.status = CareStatus.APPROVED
        entry.decided_by_id = actor.id
        entry.decided_at = utcnow()
    db.session.add(entry)
    db.session.flush()
    audit.record("care.time_logged", actor=actor, round_id=member.round_id,
                 membership_id=member.id, entry_id=entry.id, minutes=minutes)
    return entry


def claim_expense(member: Membership, actor: User, *, category: ExpenseCategory, amount: int,
                  spent_on: dt.date, description: str) -> ExpenseClaim:
    """Add an expense claim for ``member`` (waiting for staff)."""
    problem = date_problem(spent_on)
    if problem:
        raise CareError(problem)
    if amount <= 0 or amount > MAX_CLAIM_MINOR:
        raise CareError(_("Check the amount: one claim can be up to £10,000."))
    claim = ExpenseClaim(membership_id=member.id, category=category, amount=amount,
                         spent_on=spent_on, description=description.strip(),
                         status=CareStatus.SUBMITTED)
    db.session.add(claim)
    db.session.flush()
    audit.record("care.expense_claimed", actor=actor, round_id=member.round_id,
                 membership_id=member.id, entry_id=claim.id, category=category.value,
                 amount=amount)
    return claim


def entries_of(member: Membership) -> Select[tuple[TimeEntry]]:
    return (select(TimeEntry).where(TimeEntry.membership_id == member.id)
            .order_by(TimeEntry.worked_on.desc(), TimeEntry.id.desc()))


def claims_of(member: Membership) -> Select[tuple[ExpenseClaim]]:
    return (select(ExpenseClaim).where(ExpenseClaim.membership_id == member.id)
            .order_by(ExpenseClaim.spent_on.desc(), ExpenseClaim.id.desc()))


def decide(member: Membership, actor: User, *, kind: str, item_id: int, approve: bool,
           reason: str = "") -> None:
    """Approve or reject one of ``member``'s time entries (``kind`` "time") or claims
    ("expense"), if it is still waiting. Compare-and-set: of two staff deciding at once, one
    decision is recorded and the other gets :class:`CareError`."""
    if kind not in ("time", "expense"):
        raise CareError(_("Choose time or an expense to decide on."))
    model: type[TimeEntry] | type[ExpenseClaim] = TimeEntry if kind == "time" else ExpenseClaim
    reason = reason.strip()
    if not approve and not reason:
        raise CareError(_("Say why you are not approving it. The member will see this."))
    found = db.session.scalar(select(model.status).where(
        model.id == item_id, model.membership_id == member.id))
    if found is None:
        raise CareError(_("That item is not in this member's list. Reload the page."))
    result: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        update(model)
        .where(model.id == item_id, model.membership_id == member.id,
               model.status == CareStatus.SUBMITTED)
        .values(status=CareStatus.APPROVED if approve else CareStatus.REJECTED,
                reason="" if approve else reason, decided_by_id=actor.id,
                decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise AlreadyDecided(_("This was already decided, so nothing was changed."))
    audit.record("care.time_decided" if kind == "time" else "care.expense_decided",
                 actor=actor, round_id=member.round_id, membership_id=member.id,
                 entry_id=item_id, decision="approved" if approve else "rejected")


# --- totals -----------------------------------------------------------------------------------


@dataclass
class MemberTotals:
    """One member's time and money in a round (pence and minutes)."""

    membership: Membership
    minutes_submitted: int = 0  # waiting for staff
    minutes_approved: int = 0
    claimed: int = 0  # expenses waiting for staff
    expenses_approved: int = 0
    by_category: dict[str, int] = field(default_factory=dict)  # approved, per category
    pay: int = 0  # for time (or the fee)

    @property
    def total(self) -> int:
        return self.pay + self.expenses_approved

    @property
    def hours_approved(self) -> tuple[int, int]:
        return divmod(self.minutes_approved, 60)

    @property
    def hours_submitted(self) -> tuple[int, int]:
        return divmod(self.minutes_submitted, 60)


def _fill(rnd: Round, members: list[Membership]) -> list[MemberTotals]:
    """Totals for ``members``: two grouped queries, whatever their number."""
    settings = settings_for(rnd)
    out = {m.id: MemberTotals(m) for m in members}
    ids = list(out)
    if not ids:
        return []
    time_rows = db.session.execute(
        select(TimeEntry.membership_id, TimeEntry.status, func.sum(TimeEntry.minutes))
        .where(TimeEntry.membership_id.in_(ids), TimeEntry.status != CareStatus.REJECTED)
        .group_by(TimeEntry.membership_id, TimeEntry.status))
    for mid, status, minutes in time_rows:
        if status == CareStatus.APPROVED:
            out[mid].minutes_approved = int(minutes or 0)
        else:
            out[mid].minutes_submitted = int(minutes or 0)
    claim_rows = db.session.execute(
        select(ExpenseClaim.membership_id, ExpenseClaim.status, ExpenseClaim.category,
               func.sum(ExpenseClaim.amount))
        .where(ExpenseClaim.membership_id.in_(ids), ExpenseClaim.status != CareStatus.REJECTED)
        .group_by(ExpenseClaim.membership_id, ExpenseClaim.status, ExpenseClaim.category))
    for mid, status, category, amount in claim_rows:
        t = out[mid]
        if status == CareStatus.APPROVED:
            t.expenses_approved += int(amount or 0)
            key = str(getattr(category, "value", category))
            t.by_category[key] = t.by_category.get(key, 0) + int(amount or 0)
        else:
            t.claimed += int(amount or 0)
    for t in out.values():
        t.pay = pay_for(settings, t.minutes_approved)
    return [out[m.id] for m in members]


def member_totals(member: Membership) -> MemberTotals:
    return _fill(member.round, [member])[0]


@dataclass(frozen=True)
class MembersPage:
    rows: list[MemberTotals]
    page: int
    pages: int
    total: int


def members_page(rnd: Round, page: int = 1, per_page: int = PAGE_SIZE) -> MembersPage:
    """One page of the round's members, by panel number, with their totals."""
    total = db.session.scalar(
        select(func.count()).select_from(Membership).where(Membership.round_id == rnd.id)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    members = list(db.session.scalars(
        select(Membership).where(Membership.round_id == rnd.id).order_by(Membership.number)
        .offset((page - 1) * per_page).limit(per_page)))
    return MembersPage(_fill(rnd, members), page, pages, total)


def payments_problem(rnd: Round) -> str | None:
    """Why the round has no payments to export yet (plain words), or None when it has."""
    settings = settings_for(rnd)
    if settings is not None and settings.basis != PayBasis.NONE:
        return None
    approved = db.session.scalar(
        select(func.count()).select_from(ExpenseClaim)
        .join(Membership, Membership.id == ExpenseClaim.membership_id)
        .where(Membership.round_id == rnd.id, ExpenseClaim.status == CareStatus.APPROVED))
    if approved:
        return None
    return _("Nothing to pay yet. Set how members are paid, or approve a claimed cost, on the "
             "Pay, time and costs page.")


def payment_rows(rnd: Round) -> Iterator[tuple[User, MemberTotals]]:
    """Every member with something to be paid (approved items only, or the fee), by panel
    number, a page of :data:`PAGE_SIZE` at a time."""
    page, pages = 1, 1
    while page <= pages:
        listing = members_page(rnd, page)
        pages = listing.pages
        for t in listing.rows:
            if t.total > 0:
                yield t.membership.user, t
        page += 1
