"""One base class for every form, so hostile input gets a plain answer, never a server error.

Every form in grantpanel inherits :class:`BaseForm` (a test checks this). Its rules:

- **Every text field has a maximum length**, stated on the page and enforced. A text field is
  a ``StringField`` or one of its kinds (``TextAreaField``, ``EmailField``,
  ``PasswordField``, ``HiddenField``). The limit is the field's ``Length(max=...)``
  validator, set to match the database column; a text field declared without one gets
  :data:`DEFAULT_MAX_LENGTH` (also a ``Length`` validator, so the rule is the same). The form
  macro (``templates/macros/forms.html``) reads the limit from ``field.flags.maxlength``, the
  flag ``Length`` sets, and shows "Up to 200 characters."
- **A control character is refused in any field**: text, choice (select, radio, checkbox),
  number or date. The character set and the message are :mod:`grantpanel.textcheck`'s (NUL,
  ESC, DEL and the C1 range; tabs and line breaks are fine). The message replaces the field's
  other errors, since they would only be confusing echoes. A posted field *name* holding one
  (only a hostile client sends that) is refused for the whole form.
- **A whole number outside the database's integer range is refused** in any ``IntegerField``
  (``-2**31`` to ``2**31 - 1``), even if a form forgets its ``NumberRange``. Forms still
  declare their own narrower ``NumberRange`` with a message that says what to type.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_babel import LazyString, lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, StringField
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import Length

from grantpanel.i18n import _l
from grantpanel.textcheck import CONTROL_CHARACTERS, control_character_problem

DEFAULT_MAX_LENGTH = 10_000  # for a text field declared without a Length validator
INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1  # the database's INTEGER column
FIELD_NAME_PROBLEM = _l(
    "This form was sent with a hidden control character in it, so nothing was saved. "
    "Reload the page and fill it in again."
)
NUMBER_TOO_LARGE = _l("This number is too large. Check the number of figures and try again.")


def limit(max_length: int, what: str | LazyString | None = None) -> Length:
    """The ``Length`` validator for a text field: ``limit(200, _l("the name"))``.

    ``what`` names the answer in the message ("Keep the name to 200 characters or fewer."),
    already marked for translation; without it the message says "Keep this to ...". The
    message is lazy, so it is in the page's language when it is shown.
    """
    count = f"{max_length:,}"
    if what is None:
        message = lazy_ngettext(
            "Keep this to %(count)s character or fewer.",
            "Keep this to %(count)s characters or fewer.",
            max_length,
            count=count,
        )
    else:
        message = lazy_ngettext(
            "Keep %(what)s to %(count)s character or fewer.",
            "Keep %(what)s to %(count)s characters or fewer.",
            max_length,
            what=what,
            count=count,
        )
    return Length(max=max_length, message=message)


def is_text_field(field: Field) -> bool:
    """Text a person types (or a hidden field a page fills in), but not the CSRF token."""
    return isinstance(field, StringField) and not isinstance(field, CSRFTokenField)


def max_length(field: Field) -> int | None:
    """The most characters ``field`` takes (its ``Length`` validator's max), or None."""
    for v in field.validators:
        if isinstance(v, Length) and v.max is not None and v.max >= 0:
            return int(v.max)
    return None


def control_problem(field: Field) -> str | None:
    """The control-character message for the first posted value of ``field`` holding one."""
    for value in field.raw_data or []:
        if isinstance(value, str):
            problem = control_character_problem(value)
            if problem:
                return problem
    return None


class BaseForm(FlaskForm):
    """A ``FlaskForm`` that states and enforces text limits and refuses control characters."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self:
            if is_text_field(field) and max_length(field) is None:
                field.validators = [*field.validators, limit(DEFAULT_MAX_LENGTH)]
                field.flags.maxlength = DEFAULT_MAX_LENGTH

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for field in self:
            if any(isinstance(e, LazyString) for e in field.errors):
                # A validator's lazy message (``_l``) becomes text now, so every error a page
                # shows is a plain string (the form macro tests ``e is string``).
                field.errors = [str(e) if isinstance(e, LazyString) else e for e in field.errors]
            problem = control_problem(field)
            if problem:
                field.errors = [problem]
                ok = False
            elif (
                isinstance(field, IntegerField)
                and isinstance(field.data, int)
                and not INTEGER_MIN <= field.data <= INTEGER_MAX
                and not field.errors
            ):
                field.errors = [str(NUMBER_TOO_LARGE)]
                ok = False
        if has_request_context() and any(
            CONTROL_CHARACTERS.search(name) for name in (*request.form.keys(),
                                                         *request.files.keys())
        ):
            self.form_errors.append(str(FIELD_NAME_PROBLEM))
            ok = False
        return ok
