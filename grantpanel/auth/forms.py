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


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        "Choose a password",
        description="At least 10 characters. A short sentence is easy to remember.",
        validators=[
            DataRequired("Choose a password."),
            Length(min=10, message="Choose a password of at least 10 characters."),
        ],
    )
    confirm = PasswordField(
        "Type the password again",
        validators=[
            DataRequired("Type the password again."),
            EqualTo("password", message="The two passwords are not the same. Type them again."),
        ],
    )
    submit = SubmitField("Save password")
