"""Forms for panel care (pay, time and expenses): members and staff share the time form.

The rules are :mod:`grantpanel.services.care_pay`'s; the forms call them so each problem is
shown beside the field that caused it, with what was typed kept.
"""

from __future__ import annotations

from typing import Any

from wtforms import (
    Field,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import DateField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError

from grantpanel.forms_base import BaseForm, limit
from grantpanel.i18n import _, _l
from grantpanel.services import care_pay, rounds
from grantpanel.vocabulary import ExpenseCategory, PayBasis


def _options(pairs: list[tuple[str, Any]]) -> list[SelectChoice]:
    return [SelectChoice(key, label) for key, label in pairs]


class _DateField(DateField):
    """A date (a date picker in most browsers) whose problem is said in plain words."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as e:
            raise ValueError(_("Enter a real date, like 2026-03-31 (year-month-day).")) from e


def _check_date(field: Field) -> None:
    if field.errors:
        return  # the date could not be read: that message says it all
    problem = care_pay.date_problem(field.data)
    if problem:
        raise ValidationError(problem)


class _WholeField(IntegerField):
    """A whole number from 0 to ``top`` (ASCII digits), its problem said in plain words."""

    def __init__(self, label: Any, top: int, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.top = top

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = str(valuelist[0]).strip() if valuelist else ""
        if not raw:
            self.data = None
            return
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or int(raw) > self.top:
            self.data = None
            raise ValueError(_("%(label)s: enter a whole number from 0 to %(max)s.",
                               label=self.label.text, max=self.top))
        self.data = int(raw)


def _whole(label: Any, top: int) -> IntegerField:
    return _WholeField(label, top, validators=[Optional()])


def _money(field: Field) -> int:
    try:
        return rounds.parse_money(field.data, unit=str(rounds.CURRENCY_UNITS["GBP"]))
    except rounds.MoneyError as e:
        raise ValidationError(_("The amount %(problem)s.", problem=str(e))) from e


class TimeForm(BaseForm):
    """Log time: the day, how long (hours and minutes), and what it was for."""

    worked_on = _DateField(_l("Date"), validators=[InputRequired(_l("Enter the date."))],
                           description=_l("The day you did the work."))
    hours = _whole(_l("Hours"), 24)
    minutes = _whole(_l("Minutes"), 59)
    what_for = StringField(
        _l("What was it for?"),
        validators=[InputRequired(_l("Say what the time was for.")),
                    limit(care_pay.WHAT_FOR_MAX_LENGTH, _l("what it was for"))],
        description=_l("For example: reading applications, or the panel meeting."))
    submit = SubmitField(_l("Log this time"))

    def validate_worked_on(self, field: Field) -> None:
        _check_date(field)

    @property
    def total_minutes(self) -> int:
        return (self.hours.data or 0) * 60 + (self.minutes.data or 0)

    def validate_minutes(self, field: Field) -> None:
        if self.hours.errors or field.errors:
            return
        problem = care_pay.minutes_problem(self.total_minutes)
        if problem:
            raise ValidationError(problem)


class ExpenseForm(BaseForm):
    """Claim an expense: what kind, how much, the day, and a few words."""

    category = RadioField(_l("What did you spend money on?"),
                          choices=_options(ExpenseCategory.choices()),
                          validators=[InputRequired(_l("Choose what you spent money on."))])
    amount = StringField(_l("How much, in pounds?"),
                         validators=[limit(rounds.MONEY_MAX_LENGTH, _l("the amount"))],
                         description=_l("For example 4.50"))
    spent_on = _DateField(_l("Date"), validators=[InputRequired(_l("Enter the date."))],
                          description=_l("The day you spent it."))
    description = TextAreaField(
        _l("What was it for? (optional)"),
        validators=[limit(care_pay.DESCRIPTION_MAX_LENGTH, _l("the description"))],
        description=_l("For example: bus to the panel meeting and back."))
    submit = SubmitField(_l("Claim this expense"))

    amount_minor: int = 0

    def validate_spent_on(self, field: Field) -> None:
        _check_date(field)

    def validate_amount(self, field: Field) -> None:
        self.amount_minor = _money(field)
        if self.amount_minor > care_pay.MAX_CLAIM_MINOR:
            raise ValidationError(_("One claim can be up to £10,000. Check the amount."))


class PayForm(BaseForm):
    """Staff: how the round pays its members."""

    basis = RadioField(_l("How are members paid for their time?"),
                       choices=_options(PayBasis.explained_choices()),
                       validators=[InputRequired(_l("Choose how members are paid."))])
    rate = StringField(_l("Rate for each hour, in pounds"),
                       validators=[limit(rounds.MONEY_MAX_LENGTH, _l("the rate"))],
                       description=_l("Only if you pay a rate for each hour. For example 25"))
    fee = StringField(_l("Fee for each member, in pounds"),
                      validators=[limit(rounds.MONEY_MAX_LENGTH, _l("the fee"))],
                      description=_l("Only if you pay a fixed fee. For example 150"))
    note = TextAreaField(
        _l("A note for members (optional)"),
        validators=[limit(care_pay.NOTE_MAX_LENGTH, _l("the note"))],
        description=_l("For example: We can pay in vouchers if you prefer. Payments may "
                       "affect benefits: ask us and we will help you check."))
    submit = SubmitField(_l("Save pay settings"))

    rate_minor: int | None = None
    fee_minor: int | None = None

    def validate_rate(self, field: Field) -> None:
        if self.basis.data == PayBasis.HOURLY:
            if not (field.data or "").strip():
                raise ValidationError(_("Enter the rate for each hour, like 25."))
            self.rate_minor = _money(field)

    def validate_fee(self, field: Field) -> None:
        if self.basis.data == PayBasis.FEE:
            if not (field.data or "").strip():
                raise ValidationError(_("Enter the fee for each member, like 150."))
            self.fee_minor = _money(field)


class DecideForm(BaseForm):
    """Staff: approve one time entry or expense claim, or say why not."""

    kind = HiddenField(validators=[limit(10)])
    item_id = HiddenField(validators=[limit(12)])
    reason = StringField(_l("Reason, if you do not approve it"),
                         validators=[limit(care_pay.REASON_MAX_LENGTH, _l("the reason"))])
    approve = SubmitField(_l("Approve"))
    reject = SubmitField(_l("Do not approve"))

    def item(self) -> tuple[str, int] | None:
        kind, raw = self.kind.data or "", (self.item_id.data or "").strip()
        if kind not in ("time", "expense") or not raw.isascii() or not raw.isdigit() \
                or len(raw) > 9:
            return None
        return kind, int(raw)

