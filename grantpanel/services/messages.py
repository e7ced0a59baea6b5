"""What grantpanel tells panel members: invitations, reminders, and news of their round.

Four messages, each built here as a :class:`grantpanel.services.mail.Email` in the
recipient's language (:func:`language_of`: the language staff recorded for them, else the
default) and sent by the caller after its commit:

- :func:`invitation_email`: the one-time sign-in link (staff press "Send invitation by email");
- :func:`plan_reminders`: a reminder to each member of a round open for scoring who still has
  applications to score (drafts or not started), with how many are left and the closing
  date; at most one per member per round per day (``Membership.reminded_at``, claimed by
  compare-and-set so two runs at once never both send);
- :func:`round_emails` ``(rnd, CLOSED)``: scoring has closed, to the whole panel;
- :func:`round_emails` ``(rnd, PUBLISHED)``: the decision is published, with its public link.

Members without an email address (or whose data was erased) are counted, never emailed:
staff give them their link by hand or in a printed letter (:func:`qr_code_svg` draws the
letter's QR code). Nothing here commits, sends or logs a name, address or link.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import segno
from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from markupsafe import Markup, escape
from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import joinedload

from grantpanel import lifecycle
from grantpanel.extensions import db
from grantpanel.i18n import BY_CODE, DEFAULT, Language, _, date_text, ngettext
from grantpanel.models import Application, Membership, Round, User, as_utc, utcnow
from grantpanel.services import accounts, audit, panel_admin
from grantpanel.services.content import localised
from grantpanel.services.mail import Email, Report

__all__ = [
    "Kind",
    "Recipient",
    "ReminderPlan",
    "external_url",
    "feedback_email",
    "invitation_email",
    "invitation_url",
    "language_of",
    "plan_reminders",
    "qr_code_svg",
    "reachable",
    "record_sent",
    "release_reminders",
    "round_emails",
    "written_in",
]


class Kind(enum.StrEnum):
    """The messages grantpanel sends (the audit log's "kind")."""

    INVITATION = "invitation"
    REMINDER = "reminder"
    CLOSED = "scoring-closed"
    PUBLISHED = "decision-published"
    FEEDBACK = "feedback-ready"


@dataclass(frozen=True)
class Recipient:
    """Whom an email is for, as the sender's report names them (no address)."""

    round_id: int
    membership_id: int
    pseudonym: str  # "Panel member 3": what the command line prints
    name: str  # what staff see on a page


# --- language and links ----------------------------------------------------------------------


def language_of(user: User) -> Language:
    """The language to write to ``user`` in: theirs if known and every message is translated
    into it (scope "all"), else the default."""
    known = BY_CODE.get(user.language or "")
    return known if known is not None and known.scope == "all" else DEFAULT


@contextmanager
def written_in(language: Language) -> Iterator[Language]:
    """Translate (``_()``) and format dates in ``language`` inside the block."""
    with force_locale(language.code):
        yield language


def external_url(endpoint: str, **values: Any) -> str | None:
    """The full address of a page, for an email or a letter.

    In a web request it starts with the address the request came to; in a command it starts
    with ``SITE_URL``; without either there is no address to give (``None``).
    """
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = current_app.config.get("SITE_URL")
    if not base:
        return None
    with current_app.test_request_context("/", base_url=str(base)):
        return url_for(endpoint, _external=True, **values)


def invitation_url(token: str) -> str:
    """The sign-in address of a one-time invitation token (shown once; never stored). Made in
    the staff's web request, so it starts with the address staff use."""
    return url_for("auth.invitation", token=token, _external=True)


def reachable(user: User) -> bool:
    """True if ``user`` can be emailed: they have an address and were not erased."""
    return bool(user.email) and user.erased_at is None


def _recipient(m: Membership) -> Recipient:
    return Recipient(m.round_id, m.id, m.pseudonym, m.user.name)


def _email(m: Membership, language: Language, subject: str, lines: list[str]) -> Email:
    return Email(
        to=str(m.user.email),
        subject=subject,
        body="\n\n".join(line for line in lines if line) + "\n",
        language=language.tag,
        key=_recipient(m),
    )


def _sign_off() -> str:
    return _("Best wishes,") + "\n" + str(current_app.config["ORGANISATION_NAME"])


def _round_name(rnd: Round, language: Language) -> str:
    return localised(rnd, "name", language).text


def _closing_sentence(rnd: Round, m: Membership | None = None) -> str:
    """When scoring closes: for ``m``, their own later deadline if staff gave them one."""
    closes = rnd.closes_on
    if m is not None and m.extended_until is not None \
            and (closes is None or m.extended_until > closes):
        return _("You have until %(date)s to finish scoring.", date=date_text(m.extended_until))
    if closes is None:
        return ""
    return _("Scoring closes on %(date)s.", date=date_text(closes))


# --- the invitation --------------------------------------------------------------------------


def invitation_email(m: Membership, link: str) -> Email:
    """The invitation ``link`` (see :func:`invitation_url`) for member ``m``, by email."""
    language = language_of(m.user)
    with written_in(language):
        name = _round_name(m.round, language)
        expires = date_text(utcnow() + accounts.INVITATION_LIFETIME)
        return _email(m, language, _("You are invited to the %(round)s panel", round=name), [
            _("Hello %(name)s,", name=m.user.name),
            _("%(organisation)s has invited you to join the panel for %(round)s. You will "
              "read applications and give them scores.",
              organisation=current_app.config["ORGANISATION_NAME"], round=name),
            _("To sign in, open this link:") + "\n" + link,
            _("The link works once. It stops working on %(date)s. When you open it, you can "
              "choose a password for next time.", date=expires),
            _closing_sentence(m.round, m),
            _("If the link does not work, ask the grants team for a new one."),
            _sign_off(),
        ])


# --- an applicant's feedback is ready --------------------------------------------------------


def feedback_email(application: Application, link: str) -> Email:
    """The applicant's secret feedback ``link``, by email to the application's contact
    address (in the default language: we do not know the applicant's). ``key`` is the
    application's id, never the address."""
    language = DEFAULT
    with written_in(language):
        name = _round_name(application.round, language)
        return Email(
            to=str(application.contact_email),
            subject=_("Feedback on your application to %(round)s", round=name),
            body="\n\n".join([
                _("Hello,"),
                _("The panel's feedback on your application %(reference)s to %(round)s is "
                  "ready.", reference=application.reference, round=name),
                _("You can read it here:") + "\n" + link,
                _("The link is just for you. Please do not share it."),
                _("The page also says how to ask questions about the decision."),
                _sign_off(),
            ]) + "\n",
            language=language.tag,
            key=application.id,
        )


# --- news of the round: scoring closed, decision published ----------------------------------


def _panel(rnd: Round) -> list[Membership]:
    """The round's members with their accounts, in number order (one query)."""
    return list(db.session.scalars(
        select(Membership).where(Membership.round_id == rnd.id)
        .options(joinedload(Membership.user))
        .order_by(Membership.number)
    ))


def _closed_email(m: Membership) -> Email:
    language = language_of(m.user)
    with written_in(language):
        name = _round_name(m.round, language)
        return _email(m, language, _("Scoring has closed for %(round)s", round=name), [
            _("Hello %(name)s,", name=m.user.name),
            _("Scoring has now closed for %(round)s. Thank you for your scores and your "
              "time.", round=name),
            _("The grants team will tell you what happens next."),
            _sign_off(),
        ])


def _published_email(m: Membership, link: str | None) -> Email:
    language = language_of(m.user)
    with written_in(language):
        name = _round_name(m.round, language)
        where = (_("Anyone can read who was funded and why here:") + "\n" + link if link
                 else _("Anyone can read who was funded and why on our website."))
        return _email(m, language, _("The decision for %(round)s is published", round=name), [
            _("Hello %(name)s,", name=m.user.name),
            _("The decision for %(round)s is now published.", round=name),
            where,
            _("Thank you for your work on the panel."),
            _sign_off(),
        ])


def round_emails(rnd: Round, kind: Kind) -> tuple[list[Email], list[Recipient]]:
    """The emails telling ``rnd``'s panel that scoring closed (:attr:`Kind.CLOSED`) or the
    decision is published (:attr:`Kind.PUBLISHED`), and the members who cannot be emailed."""
    link = external_url("public.round_page", round_id=rnd.id) if kind is Kind.PUBLISHED \
        else None
    emails: list[Email] = []
    unreachable: list[Recipient] = []
    for m in _panel(rnd):
        if not reachable(m.user):
            unreachable.append(_recipient(m))
        elif kind is Kind.CLOSED:
            emails.append(_closed_email(m))
        elif kind is Kind.PUBLISHED:
            emails.append(_published_email(m, link))
    return emails, unreachable


# --- reminders -------------------------------------------------------------------------------


@dataclass
class ReminderPlan:
    """The reminders due now, and why the other members with scoring left get none."""

    emails: list[Email] = field(default_factory=list)
    # Membership id -> the reminder time it had before this run claimed it (to give back).
    claimed: dict[int, dt.datetime | None] = field(default_factory=dict)
    claimed_at: dt.datetime | None = None
    already_today: list[Recipient] = field(default_factory=list)
    no_email: list[Recipient] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.already_today) + len(self.no_email)


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _reminder_email(m: Membership, left: int, link: str | None) -> Email:
    language = language_of(m.user)
    with written_in(language):
        name = _round_name(m.round, language)
        return _email(m, language, _("Reminder: scoring for %(round)s", round=name), [
            _("Hello %(name)s,", name=m.user.name),
            ngettext("This is a reminder about %(round)s. You have %(num)d application left "
                     "to score.",
                     "This is a reminder about %(round)s. You have %(num)d applications left "
                     "to score.", left, round=name),
            _closing_sentence(m.round, m),
            (_("Your saved drafts are kept. Carry on here:") + "\n" + link) if link
            else _("Your saved drafts are kept. Sign in to the grant panel website to carry "
                   "on."),
            "" if m.user.password_hash else _(
                "You have not chosen a password yet, so sign in with your invitation link. If "
                "it has stopped working, ask the grants team for a new one."),
            _("Thank you for your time."),
            _sign_off(),
        ])


def reminder_rounds(*, round_id: int | None, today: dt.date, window_days: int) -> list[Round]:
    """Rounds open for scoring that reminders go out for: round ``round_id`` whatever its
    closing date, or else every one whose closing date is today or in the next
    ``window_days`` days."""
    query = select(Round).where(Round.state.in_(lifecycle.states_where(accepts_scores=True)))
    if round_id is not None:
        query = query.where(Round.id == round_id)
    else:
        query = query.where(Round.closes_on.is_not(None), Round.closes_on >= today,
                            Round.closes_on <= today + dt.timedelta(days=window_days))
    return list(db.session.scalars(query.order_by(Round.id)))


def _claim(m: Membership, since: dt.datetime, now: dt.datetime) -> bool:
    """Compare-and-set: mark ``m`` reminded at ``now`` unless it was reminded at or after
    ``since`` (the start of today). False if another run got there first."""
    result = cast(CursorResult[Any], db.session.execute(
        update(Membership)
        .where(Membership.id == m.id,
               or_(Membership.reminded_at.is_(None), Membership.reminded_at < since))
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    ))
    return result.rowcount == 1


def plan_reminders(
    *, round_id: int | None = None, window_days: int = 7, now: dt.datetime | None = None,
    dry_run: bool = False,
) -> ReminderPlan:
    """The reminders due now (see :func:`reminder_rounds` for which rounds).

    Each member with applications left to score (drafts or not started; conflicts left out)
    gets one, unless they have no email address or had one today (UTC). Unless ``dry_run``,
    each is claimed in the database (``Membership.reminded_at``); the caller commits, sends,
    and gives back the claims of any that failed with :func:`release_reminders`.
    """
    now = now or utcnow()
    since = _start_of(now.date())
    plan = ReminderPlan(claimed_at=None if dry_run else now)
    link = external_url("panel.home")
    for rnd in reminder_rounds(round_id=round_id, today=now.date(), window_days=window_days):
        _panel(rnd)  # the accounts, loaded once, so the loop below reads them from memory
        for p in panel_admin.progress(rnd):
            m = p.membership
            if p.to_do <= 0:
                continue
            if not reachable(m.user):
                plan.no_email.append(_recipient(m))
                continue
            previous = m.reminded_at
            if previous is not None and as_utc(previous) >= since:
                plan.already_today.append(_recipient(m))
                continue
            if not dry_run and not _claim(m, since, now):
                plan.already_today.append(_recipient(m))
                continue
            plan.claimed[m.id] = previous
            plan.emails.append(_reminder_email(m, p.to_do, link))
    return plan


def release_reminders(plan: ReminderPlan, report: Report) -> None:
    """Give back the claims of reminders that failed, so the next run tries them again today
    (compare-and-set: only where this run's claim is still in place). The caller commits."""
    if plan.claimed_at is None:
        return
    for failure in report.failed:
        recipient = cast(Recipient, failure.email.key)
        db.session.execute(
            update(Membership)
            .where(Membership.id == recipient.membership_id,
                   Membership.reminded_at == plan.claimed_at)
            .values(reminded_at=plan.claimed.get(recipient.membership_id))
            .execution_options(synchronize_session=False)
        )


def record_sent(kind: Kind, report: Report, actor: User | None) -> None:
    """One audit event per round: how many ``kind`` emails were sent and how many failed
    (counts only). The caller commits."""
    by_round: dict[int, list[int]] = {}
    for email in report.sent:
        by_round.setdefault(cast(Recipient, email.key).round_id, [0, 0])[0] += 1
    for failure in report.failed:
        by_round.setdefault(cast(Recipient, failure.email.key).round_id, [0, 0])[1] += 1
    for round_id, (sent, failed) in sorted(by_round.items()):
        audit.record("messages.sent", actor=actor, round_id=round_id, kind=kind.value,
                     count=sent, failed=failed)


# --- the printed letter ----------------------------------------------------------------------


def qr_code_svg(url: str, label: str) -> Markup:
    """``url`` as a QR code: inline SVG (no script, no style attribute) that scales with its
    box, with ``label`` as its accessible name (``role="img"``, ``aria-label``, ``<title>``)."""
    svg = segno.make(url, error="m").svg_inline(
        scale=1, border=4, omitsize=True, title=label, svgclass="qr-code", lineclass=None,
    )
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))
