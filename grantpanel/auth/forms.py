from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length


class SignInForm(FlaskForm):
    email = EmailField(
        "Email address",
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[
            DataRequired("Enter your email address."),
            Email("Enter an email address in the right form, like name@example.org."),
        ],
    )
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    submit = SubmitField("Sign in")


class SignOutForm(FlaskForm):
    submit = SubmitField("Sign out")


def _new_password() -> PasswordField:
    return PasswordField(
        "Choose a password",
        description="At least 10 characters. A short sentence is easy to remember.",
        validators=[
            DataRequired("Choose a password."),
            Length(min=10, message="Choose a password of at least 10 characters."),
        ],
    )


def _confirm() -> PasswordField:
    return PasswordField(
        "Type the password again",
        validators=[
            DataRequired("Type the password again."),
            EqualTo("password", message="The two passwords are not the same. Type them again."),
        ],
    )


class SetPasswordForm(FlaskForm):
    """For a user without a password, or who has just come in by invitation link."""

    password = _new_password()
    confirm = _confirm()
    submit = SubmitField("Save password")


class ChangePasswordForm(FlaskForm):
    """For a user who has a password: they type it first, so someone at a computer left
    signed in cannot change it."""

    current_password = PasswordField(
        "Your current password",
        validators=[DataRequired("Type the password you use to sign in now.")],
    )
    password = _new_password()
    confirm = _confirm()
    submit = SubmitField("Save password")
