from __future__ import annotations

from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from grantpanel.forms_base import BaseForm
from grantpanel.i18n import _l

EMAIL_MAX_LENGTH = 254  # User.email
# Long enough for any passphrase or password manager; short enough that hashing it is cheap.
PASSWORD_MAX_LENGTH = 256


def _password_limit() -> Length:
    return Length(
        max=PASSWORD_MAX_LENGTH,
        message=_l("Keep the password to %(max)d characters or fewer."),
    )


class SignInForm(BaseForm):
    email = EmailField(
        _l("Email address"),
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[
            DataRequired(_l("Enter your email address.")),
            Email(_l("Enter an email address in the right form, like name@example.org.")),
            Length(
                max=EMAIL_MAX_LENGTH,
                message=_l("Keep the email address to %(max)d characters or fewer."),
            ),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), _password_limit()],
    )
    submit = SubmitField(_l("Sign in"))


class SignOutForm(BaseForm):
    submit = SubmitField(_l("Sign out"))


def _new_password() -> PasswordField:
    return PasswordField(
        _l("Choose a password"),
        description=_l("At least 10 characters. A short sentence is easy to remember."),
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(min=10, message=_l("Choose a password of at least 10 characters.")),
            _password_limit(),
        ],
    )


def _confirm() -> PasswordField:
    return PasswordField(
        _l("Type the password again"),
        validators=[
            DataRequired(_l("Type the password again.")),
            EqualTo(
                "password", message=_l("The two passwords are not the same. Type them again.")
            ),
            _password_limit(),
        ],
    )


class SetPasswordForm(BaseForm):
    """For a user without a password, or who has just come in by invitation link."""

    password = _new_password()
    confirm = _confirm()
    submit = SubmitField(_l("Save password"))


class ChangePasswordForm(BaseForm):
    """For a user who has a password: they type it first, so someone at a computer left
    signed in cannot change it."""

    current_password = PasswordField(
        _l("Your current password"),
        validators=[DataRequired(_l("Type the password you use to sign in now.")),
                    _password_limit()],
    )
    password = _new_password()
    confirm = _confirm()
    submit = SubmitField(_l("Save password"))
