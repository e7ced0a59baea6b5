from __future__ import annotations

from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from grantpanel.forms_base import BaseForm, limit

EMAIL_MAX_LENGTH = 254  # User.email
# Long enough for any passphrase or password manager; short enough that hashing it is cheap.
PASSWORD_MAX_LENGTH = 256


class SignInForm(BaseForm):
    email = EmailField(
        "Email address",
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[
            DataRequired("Enter your email address."),
            Email("Enter an email address in the right form, like name@example.org."),
            limit(EMAIL_MAX_LENGTH, "the email address"),
        ],
    )
    password = PasswordField("Password", validators=[DataRequired("Enter your password."),
                                                     limit(PASSWORD_MAX_LENGTH, "the password")])
    submit = SubmitField("Sign in")


class SignOutForm(BaseForm):
    submit = SubmitField("Sign out")


def _new_password() -> PasswordField:
    return PasswordField(
        "Choose a password",
        description="At least 10 characters. A short sentence is easy to remember.",
        validators=[
            DataRequired("Choose a password."),
            Length(min=10, message="Choose a password of at least 10 characters."),
            limit(PASSWORD_MAX_LENGTH, "the password"),
        ],
    )


def _confirm() -> PasswordField:
    return PasswordField(
        "Type the password again",
        validators=[
            DataRequired("Type the password again."),
            EqualTo("password", message="The two passwords are not the same. Type them again."),
            limit(PASSWORD_MAX_LENGTH, "the password"),
        ],
    )


class SetPasswordForm(BaseForm):
    """For a user without a password, or who has just come in by invitation link."""

    password = _new_password()
    confirm = _confirm()
    submit = SubmitField("Save password")


class ChangePasswordForm(BaseForm):
    """For a user who has a password: they type it first, so someone at a computer left
    signed in cannot change it."""

    current_password = PasswordField(
        "Your current password",
        validators=[DataRequired("Type the password you use to sign in now."),
                    limit(PASSWORD_MAX_LENGTH, "the password")],
    )
    password = _new_password()
    confirm = _confirm()
    submit = SubmitField("Save password")
