"""Forms for the applications list's extras: the round's tags, an application's tags, and
withdrawing an application. The rules live in the services; the forms call the same checks."""

from __future__ import annotations

from wtforms import Field, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import ValidationError

from grantpanel.forms_base import BaseForm, limit
from grantpanel.i18n import _l
from grantpanel.services import tags as tags_service
from grantpanel.services import withdrawals
from voting.withdrawn import REASON_MAX_LENGTH


class TagForm(BaseForm):
    name = StringField(
        _l("Name of the new tag"),
        description=_l("A short word or two, like an area of the city or a theme. Only staff "
                       "see tags."),
        validators=[limit(tags_service.MAX_TAG, _l("the name"))],
    )
    submit = SubmitField(_l("Add the tag"))

    def validate_name(self, field: Field) -> None:
        problem = tags_service.name_problem(" ".join((field.data or "").split()))
        if problem:
            raise ValidationError(problem)


class ApplicationTagsForm(BaseForm):
    tags = SelectMultipleField(_l("Tags"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Save the tags"))


class WithdrawForm(BaseForm):
    reason = TextAreaField(
        _l("Why is the application withdrawn?"),
        description=_l("For example: 'The group found other funding.' The reason is published "
                       "with the decision, so do not name anyone."),
        validators=[limit(REASON_MAX_LENGTH, _l("the reason"))],
    )
    submit = SubmitField(_l("Withdraw the application"))

    def validate_reason(self, field: Field) -> None:
        problem = withdrawals.reason_problem((field.data or "").strip())
        if problem:
            raise ValidationError(problem)
