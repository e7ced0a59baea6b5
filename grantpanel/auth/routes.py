"""Sign in, invitation links, password change and sign out.

Each sign-in form POST (password or invitation link) has two rate limits, counting only
failed attempts: one per client address (``SIGN_IN_RATE_LIMIT``) and one per account
(``SIGN_IN_ACCOUNT_RATE_LIMIT``, keyed by ``accounts.account_tag`` of the typed email, or by
a hash of the invitation token), so neither many accounts from one address nor one account
from many addresses can be guessed at speed. A failed sign-in is logged as the event
``sign_in.failed`` with the account tag only: never the email, the password or the address.
"""

from __future__ import annotations

import hashlib
import logging

from flask import (
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from grantpanel.auth import bp, sessions
from grantpanel.auth.forms import ChangePasswordForm, SetPasswordForm, SignInForm, SignOutForm
from grantpanel.extensions import db, limiter
from grantpanel.i18n import _, _l
from grantpanel.services import accounts, audit

log = logging.getLogger("grantpanel.auth")

FAILED_SIGN_IN = _l("The email address or password is not right. Check them and try again.")


def _home_for(user: object) -> str:
    if getattr(user, "is_staff", False):
        return url_for("staff.dashboard")
    return url_for("panel.home")


def _address_limit() -> str:
    return str(current_app.config.get("SIGN_IN_RATE_LIMIT", "10 per minute"))


def _account_limit() -> str:
    return str(current_app.config.get("SIGN_IN_ACCOUNT_RATE_LIMIT", "10 per minute"))


def _account_key() -> str:
    """The rate-limit key for the account a sign-in POST is about (never the email itself)."""
    token = (request.view_args or {}).get("token")
    if token is not None:
        return "invitation:" + hashlib.sha256(str(token).encode("utf-8")).hexdigest()[:16]
    return "account:" + accounts.account_tag(request.form.get("email", ""))


def _user_key() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else "user:-"


def _failed(response: Response) -> bool:
    """Only failed attempts count towards the limits (a success redirects)."""
    return response.status_code not in (302, 303)


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def sign_in() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    form = SignInForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        user = accounts.find_user_by_email(email)
        if accounts.check_password(user, form.password.data or "") and user is not None:
            target = sessions.safe_next(request.args.get("next"))
            sessions.start(user)
            audit.record("user.signed_in", actor=user)
            db.session.commit()
            return redirect(target or _home_for(user))
        log.warning("sign_in.failed account=%s", accounts.account_tag(email))
        # The same message whether or not the email exists.
        form.password.errors = list(form.password.errors) + [str(FAILED_SIGN_IN)]
    signed_out = sessions.pop_signed_out_reason()
    if signed_out is not None:
        session.pop("_flashes", None)  # this page says why, instead of "Sign in to see that page"
    forget = bool(session.pop("forget_local_copies", False))
    return render_template(
        "auth/sign_in.html",
        form=form,
        forget_local_copies=forget,
        signed_out=signed_out,
        idle_minutes=current_app.config["SESSION_IDLE_MINUTES"],
        max_hours=current_app.config["SESSION_MAX_HOURS"],
    )


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def invitation(token: str) -> ResponseReturnValue:
    """Show a button to accept the invitation (GET must not use up the one-time link)."""
    form = SignOutForm()  # a bare form: CSRF token plus a button
    if request.method == "POST" and form.validate():
        try:
            user = accounts.redeem_invitation(token)
        except accounts.AccountError as e:
            db.session.rollback()
            page = render_template("auth/invitation.html", form=None, problem=str(e))
            return _no_referrer(make_response(page, 400))
        accounts.end_sessions(user)
        sessions.start(user, by_invitation=True)
        db.session.commit()
        flash(_("You are signed in. You can choose a password so you can sign in again later."))
        return redirect(url_for("auth.set_password"))
    page = render_template("auth/invitation.html", form=form, problem=None)
    return _no_referrer(make_response(page))


def _no_referrer(response: Response) -> Response:
    """The page's address holds the token: its styles and scripts must not be fetched with
    a Referer naming it (that would put the token in access logs)."""
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_account_limit, key_func=_user_key, methods=["POST"], deduct_when=_failed)
def set_password() -> ResponseReturnValue:
    user = current_user._get_current_object()
    invited = sessions.came_by_invitation()
    need_current = accounts.needs_current_password(user, came_by_invitation=invited)
    form: SetPasswordForm | ChangePasswordForm = (
        ChangePasswordForm() if need_current else SetPasswordForm()
    )
    if form.validate_on_submit():
        current = form.current_password.data if isinstance(form, ChangePasswordForm) else None
        try:
            accounts.change_password(
                user, form.password.data or "", current_password=current,
                came_by_invitation=invited,
            )
        except accounts.AccountError as e:
            db.session.rollback()
            field = form.current_password if isinstance(form, ChangePasswordForm) else form.password
            field.errors = list(field.errors) + [str(e)]
        else:
            sessions.resume(user)  # every other browser is now signed out; this one stays
            sessions.forget_invitation()
            db.session.commit()
            flash(_("Your password is saved. Any other computer or phone signed in as you has "
                    "been signed out."))
            return redirect(_home_for(user))
    return render_template("auth/set_password.html", form=form, need_current=need_current)


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Response:
    form = SignOutForm()
    if form.validate() and current_user.is_authenticated:
        accounts.end_sessions(current_user)
        audit.record("user.signed_out", actor=current_user)
        db.session.commit()
        logout_user()
        session.clear()
        session["forget_local_copies"] = True  # sign-in page then clears this browser's copies
    flash(_("You have signed out."))
    return redirect(url_for("auth.sign_in"))


bp.before_app_request(sessions.check_timeouts)
