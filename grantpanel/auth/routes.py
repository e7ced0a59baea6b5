from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from grantpanel.auth import bp
from grantpanel.auth.forms import SetPasswordForm, SignInForm, SignOutForm
from grantpanel.extensions import db, limiter
from grantpanel.services import accounts, audit


def _home_for(user: object) -> str:
    if getattr(user, "is_staff", False):
        return url_for("staff.dashboard")
    return url_for("panel.home")


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


def _sign_in_limit() -> str:
    return str(current_app.config.get("SIGN_IN_RATE_LIMIT", "10 per minute"))


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def sign_in() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    form = SignInForm()
    if form.validate_on_submit():
        user = accounts.find_user_by_email(form.email.data or "")
        if accounts.check_password(user, form.password.data or "") and user is not None:
            login_user(user)
            audit.record("user.signed_in", actor=user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or _home_for(user))
        # The same message whether or not the email exists.
        form.password.errors = list(form.password.errors) + [
            "The email address or password is not right. Check them and try again."
        ]
    forget = bool(session.pop("forget_local_copies", False))
    return render_template("auth/sign_in.html", form=form, forget_local_copies=forget)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def invitation(token: str) -> ResponseReturnValue:
    """Show a button to accept the invitation (GET must not use up the one-time link)."""
    form = SignOutForm()  # a bare form: CSRF token plus a button
    if request.method == "POST" and form.validate():
        try:
            user = accounts.redeem_invitation(token)
        except accounts.AccountError as e:
            return render_template("auth/invitation.html", form=None, problem=str(e)), 400
        accounts.end_sessions(user)
        login_user(user)
        db.session.commit()
        flash("You are signed in. You can choose a password so you can sign in again later.")
        return redirect(url_for("auth.set_password"))
    return render_template("auth/invitation.html", form=form, problem=None)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def set_password() -> ResponseReturnValue:
    form = SetPasswordForm()
    if form.validate_on_submit():
        accounts.set_password(current_user, form.password.data or "")
        audit.record("user.password_set", actor=current_user)
        db.session.commit()
        flash("Your password is saved.")
        return redirect(_home_for(current_user))
    return render_template("auth/set_password.html", form=form)


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Response:
    form = SignOutForm()
    if form.validate() and current_user.is_authenticated:
        accounts.end_sessions(current_user)
        audit.record("user.signed_out", actor=current_user)
        db.session.commit()
        logout_user()
        session["forget_local_copies"] = True  # sign-in page then clears this browser's copies
    flash("You have signed out.")
    return redirect(url_for("auth.sign_in"))
