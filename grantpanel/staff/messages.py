"""Staff pages for messages: email an invitation, print an invitation letter, send reminders,
and tell the panel when scoring closes and when the decision is published.

Each view makes its change, commits, and only then sends (``services.mail.send_all``); the
audit log then gets the counts in a second commit. What could not be sent is said in plain
words, naming the members, and never stops the rest of the batch. With email off (no
``MAIL_SERVER``) the pages say so and offer the link to copy and the printed letter.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from markupsafe import Markup

from grantpanel.extensions import db
from grantpanel.i18n import _, date_text, ngettext
from grantpanel.models import Membership, Round, utcnow
from grantpanel.services import accounts, mail, panel_admin
from grantpanel.services import messages as msg
from grantpanel.services.content import localised
from grantpanel.staff import bp
from grantpanel.staff.forms import ActionForm

_LETTER_KEY = "staff_letter_link"
_MOST_NAMED = 10  # a flash lives in the session cookie: name this many, count the rest


@bp.app_template_global("mail_enabled")
def mail_enabled() -> bool:
    """Templates ask whether email is on (``{% if mail_enabled() %}``)."""
    return mail.enabled()


def _round_or_404(round_id: int) -> Round:
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        abort(404)
    return rnd


def _member_or_404(rnd: Round, membership_id: int) -> Membership:
    membership = panel_admin.get_member(rnd, membership_id)
    if membership is None:
        abort(404)
    return membership


def _check_form() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


def _names(people: list[str]) -> str:
    shown = ", ".join(people[:_MOST_NAMED])
    more = len(people) - _MOST_NAMED
    if more > 0:
        return ngettext("%(names)s and %(num)d more", "%(names)s and %(num)d more", more,
                        names=shown)
    return shown


def _who(recipient: msg.Recipient) -> str:
    return _("%(pseudonym)s (%(name)s)", pseudonym=recipient.pseudonym, name=recipient.name)


def _flash_failures(report: mail.Report) -> None:
    """Say which emails failed and why: a line each (the first few), then how many more."""
    if not report.failed:
        return
    flash(ngettext(
        "%(num)d email could not be sent. Tell them another way, or try again later:",
        "%(num)d emails could not be sent. Tell them another way, or try again later:",
        len(report.failed)))
    for f in report.failed[:_MOST_NAMED]:
        flash(_("%(who)s: %(reason)s", who=_who(f.email.key), reason=f.reason))
    more = len(report.failed) - _MOST_NAMED
    if more > 0:
        flash(ngettext("And %(num)d more.", "And %(num)d more.", more))


def _flash_unreachable(unreachable: list[msg.Recipient]) -> None:
    if unreachable:
        flash(ngettext(
            "%(num)d panel member has no email address, so they were not emailed: "
            "%(names)s.",
            "%(num)d panel members have no email address, so they were not emailed: "
            "%(names)s.", len(unreachable),
            names=_names([r.pseudonym for r in unreachable])))


def _send(kind: msg.Kind, emails: list[mail.Email]) -> mail.Report:
    """Send (after the caller's commit), then record the counts in the audit log."""
    report = mail.send_all(emails, kind=kind.value)
    if report.sent or report.failed:
        msg.record_sent(kind, report, current_user)
        db.session.commit()
    return report


# --- scoring closed, decision published: called by the step view after its commit -----------

_STEP_MESSAGES = {"close": msg.Kind.CLOSED, "publish": msg.Kind.PUBLISHED}


def notify_after_step(rnd: Round, step: str) -> None:
    """After a round's step is committed: tell the panel by email when scoring has closed or
    the decision is published, and say what could not be sent. Nothing when email is off."""
    kind = _STEP_MESSAGES.get(step)
    if kind is None or not mail.enabled():
        return
    emails, unreachable = msg.round_emails(rnd, kind)
    report = _send(kind, emails)
    if report.sent:
        flash(ngettext("The panel is told by email: %(num)d member.",
                       "The panel is told by email: %(num)d members.", len(report.sent)))
    _flash_failures(report)
    _flash_unreachable(unreachable)


# --- the invitation by email ------------------------------------------------------------------


@bp.route("/rounds/<int:round_id>/panel/<int:membership_id>/invitation/email", methods=["POST"])
def member_invitation_email(round_id: int, membership_id: int) -> ResponseReturnValue:
    """Make a new one-time link (earlier unused ones stop working) and email it."""
    from grantpanel.staff.routes import _remember_link  # the invitation page's one-time link

    rnd = _round_or_404(round_id)
    membership = _member_or_404(rnd, membership_id)
    _check_form()
    back = redirect(url_for("staff.member_invitation", round_id=rnd.id,
                            membership_id=membership.id))
    if not mail.enabled():
        flash(_("Email is off on this site, so nothing was sent. Copy the link, or print a "
                "letter."))
        return back
    if not msg.reachable(membership.user):
        flash(_("%(name)s has no email address. Print them an invitation letter instead.",
                name=membership.user.name))
        return back
    token = panel_admin.new_invitation(membership, current_user)
    db.session.commit()
    link = msg.invitation_url(token)
    report = _send(msg.Kind.INVITATION, [msg.invitation_email(membership, link)])
    if report.sent:
        flash(_("The invitation is emailed to %(name)s. Earlier unused links for this round no "
                "longer work.", name=membership.user.name))
    else:
        _remember_link(membership.id, token)  # so staff can pass it on another way
        _flash_failures(report)
    return back


# --- the printed letter -----------------------------------------------------------------------


@bp.route("/rounds/<int:round_id>/panel/<int:membership_id>/letter", methods=["GET", "POST"])
def member_letter(round_id: int, membership_id: int) -> ResponseReturnValue:
    """An invitation letter to print: the sign-in link written out and as a QR code.

    POST makes a new one-time link (earlier unused ones stop working) and shows the letter
    once; after that the page offers to make another, as the invitation page does.
    """
    rnd = _round_or_404(round_id)
    membership = _member_or_404(rnd, membership_id)
    form = ActionForm()
    if form.is_submitted():
        _check_form()
        token = panel_admin.new_invitation(membership, current_user)
        db.session.commit()
        session[_LETTER_KEY] = {"membership_id": membership.id,
                                "url": msg.invitation_url(token)}
        return redirect(url_for("staff.member_letter", round_id=rnd.id,
                                membership_id=membership.id))
    stored = session.get(_LETTER_KEY)
    link = None
    if isinstance(stored, dict) and stored.get("membership_id") == membership.id:
        link = str(stored.get("url"))
        session.pop(_LETTER_KEY, None)
    letter = None
    language = msg.language_of(membership.user)
    if link is not None:
        with msg.written_in(language):
            letter = Markup(render_template(
                "staff/_invitation_letter.html",
                membership=membership,
                rnd=rnd,
                link=link,
                qr=msg.qr_code_svg(link, _("QR code of the sign-in link")),
                organisation=current_app.config["ORGANISATION_NAME"],
                today=date_text(utcnow()),
                expires=date_text(utcnow() + accounts.INVITATION_LIFETIME),
                round_name=localised(rnd, "name", language).text,
            ))
    return render_template(
        "staff/invitation_letter.html",
        rnd=rnd,
        membership=membership,
        letter=letter,
        letter_language=language,
        action_form=form,
    )


# --- reminders ----------------------------------------------------------------------------------


@bp.route("/rounds/<int:round_id>/reminders", methods=["POST"])
def send_reminders(round_id: int) -> ResponseReturnValue:
    """Email a reminder now to each member with scoring left (at most one a day each)."""
    rnd = _round_or_404(round_id)
    _check_form()
    back = redirect(url_for("staff.panel", round_id=rnd.id))
    if not mail.enabled():
        flash(_("Email is off on this site, so no reminders were sent."))
        return back
    if not rnd.lifecycle.accepts_scores:
        flash(_("Reminders go out only while scoring is open."))
        return back
    plan = msg.plan_reminders(round_id=rnd.id)
    db.session.commit()  # the claims: a second press, or the nightly command, sends none again
    report = _send(msg.Kind.REMINDER, plan.emails)
    if report.failed:
        msg.release_reminders(plan, report)
        db.session.commit()
    flash(ngettext("%(num)d reminder is sent.", "%(num)d reminders are sent.",
                   len(report.sent)))
    if plan.already_today:
        flash(ngettext("%(num)d member already had a reminder today, so was not sent another.",
                       "%(num)d members already had a reminder today, so were not sent "
                       "another.", len(plan.already_today)))
    _flash_failures(report)
    _flash_unreachable(plan.no_email)
    return back
