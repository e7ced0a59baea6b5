"""Forms for grants staff: one form class per screen. Rules live in the services; the forms
call the same checks so a mistake is shown beside the field that caused it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import DateField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from grantpanel.forms_base import BaseForm, limit
from grantpanel.i18n import _, _l
from grantpanel.services import applications as apps_service
from grantpanel.services import conflicts as conflicts_service
from grantpanel.services import rounds
from grantpanel.vocabulary import Aggregation, ConflictCategory, FitRule, Involvement, TieBreak

NO_TIE_BREAK = ""


class WholeNumberField(IntegerField):
    """An integer field whose "not a number" message says how to fix it."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = str(valuelist[0]).strip()
        if not raw:
            self.data = None
            return
        # ASCII digits only (int() would take '٣' and '1_000'); nine figures at most, so the
        # number always fits the database and the form's NumberRange gives the message.
        if not re.fullmatch(r"-?[0-9]{1,9}", raw):
            self.data = None
            shown = raw if len(raw) <= 20 else raw[:20] + "..."
            raise ValueError(
                _(
                    "%(label)s: '%(shown)s' is not a whole number. Enter a number like 3.",
                    label=self.label.text,
                    shown=shown,
                )
            )
        self.data = int(raw)


class PlainDateField(DateField):
    """A date field (a date picker in most browsers) with a plain error message."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as e:
            raise ValueError(
                _(
                    "%(label)s: enter a real date, like 2026-03-31 (year-month-day).",
                    label=self.label.text,
                )
            ) from e


def options(pairs: list[tuple[Any, str]]) -> list[SelectChoice]:
    """Choices for a select or radios, in the form WTForms wants."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def _choice_labels(choices: Sequence[rounds.Choice]) -> list[SelectChoice]:
    return options([(c.key, c.explained) for c in choices])


class RoundForm(BaseForm):
    name = StringField(
        _l("Name of the round"),
        validators=[
            DataRequired(_l("Enter a name for the round.")),
            Length(max=200, message=_l("Keep the name to 200 characters or fewer.")),
        ],
    )
    purpose = TextAreaField(
        _l("What the round is for"),
        description=_l("In plain English, as the public and applicants will read it."),
        validators=[
            DataRequired(_l("Say in a sentence or two what the round is for.")),
            limit(rounds.PURPOSE_MAX_LENGTH),
        ],
    )
    currency = SelectField(_l("Currency"), choices=options(rounds.CURRENCIES), default="GBP")
    budget = StringField(
        _l("Budget"),
        description=_l("The total to give out, like 5,000 or 5000.50."),
        validators=[limit(rounds.MONEY_MAX_LENGTH, _l("the budget"))],
    )
    involvement = RadioField(
        _l("How much say does the panel have?"),
        choices=_choice_labels(rounds.INVOLVEMENT_LEVELS),
        default=Involvement.CO_PRODUCTION.value,
        description=_l(
            "Only co-production makes the panel's decision binding. The published "
            "decision states this level in plain words."
        ),
        validators=[InputRequired(_l("Choose how much say the panel has."))],
    )
    aggregation = RadioField(
        _l("How are the panel's scores combined for each application?"),
        choices=_choice_labels(rounds.AGGREGATIONS),
        default=Aggregation.MEAN.value,
        validators=[InputRequired(_l("Choose mean or median."))],
    )
    quorum = WholeNumberField(
        _l("Quorum: the fewest scores an application needs"),
        description=_l(
            "Scores from members with a conflict do not count. An application with "
            "fewer scores is flagged, not ranked."
        ),
        default=3,
        validators=[
            InputRequired(_l("Enter the quorum, a whole number like 3.")),
            NumberRange(
                min=rounds.QUORUM_RANGE[0],
                max=rounds.QUORUM_RANGE[1],
                message=_l(
                    "The quorum must be a whole number from %(low)s to %(high)s.",
                    low=rounds.QUORUM_RANGE[0],
                    high=f"{rounds.QUORUM_RANGE[1]:,}",
                ),
            ),
        ],
    )
    fit_rule = RadioField(
        _l("If the next application does not fit in the money left"),
        choices=_choice_labels(rounds.FIT_RULES),
        default=FitRule.SKIP.value,
        validators=[
            InputRequired(_l("Choose what happens when an application does not fit."))
        ],
    )
    tie_break_1 = SelectField(_l("First, prefer"), default=TieBreak.HIGHER_MEDIAN.value)
    tie_break_2 = SelectField(_l("Then prefer"), default=TieBreak.MORE_SCORES.value)
    tie_break_3 = SelectField(_l("Then prefer"), default=TieBreak.SMALLER_AMOUNT.value)
    tie_break_4 = SelectField(_l("Then prefer"), default=NO_TIE_BREAK)
    opens_on = PlainDateField(_l("Scoring opens on"), validators=[Optional()])
    closes_on = PlainDateField(_l("Scoring closes on"), validators=[Optional()])
    decision_on = PlainDateField(_l("Decision expected on"), validators=[Optional()])
    reveal_scores_after_close = BooleanField(
        _l("Let panel members see each other's scores after scoring closes"),
        description=_l("Members never see others' scores before they submit their own."),
        default=True,
    )
    submit = SubmitField(_l("Save the round"))

    TIE_BREAK_FIELDS = ("tie_break_1", "tie_break_2", "tie_break_3", "tie_break_4")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = options(
            [(NO_TIE_BREAK, _("Nothing more (go to the draw)"))]
            + TieBreak.explained_choices(exclude=(TieBreak.DRAW,))
        )
        for name in self.TIE_BREAK_FIELDS:
            self[name].choices = choices
        self.budget_minor: int | None = None

    def tie_break_chain(self) -> list[str]:
        return [self[n].data for n in self.TIE_BREAK_FIELDS if self[n].data]

    def set_tie_break_chain(self, chain: list[str]) -> None:
        chain = [k for k in chain if k != TieBreak.DRAW]
        for i, name in enumerate(self.TIE_BREAK_FIELDS):
            self[name].data = chain[i] if i < len(chain) else NO_TIE_BREAK

    def validate_budget(self, field: Field) -> None:
        unit = rounds.CURRENCY_UNITS.get(self.currency.data or "GBP", "pounds")
        try:
            self.budget_minor = rounds.parse_money(field.data, unit=unit)
        except rounds.MoneyError as e:
            raise ValidationError(_("The budget %(problem)s.", problem=str(e))) from e

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        seen: set[str] = set()
        for name in self.TIE_BREAK_FIELDS:
            key = self[name].data
            if key and key in seen:
                self[name].errors.append(
                    _(
                        "You chose this tie-break already. Choose a different one, or "
                        "'Nothing more'."
                    )
                )
                ok = False
            seen.add(key)
        for name, message in rounds.schedule_problems(
            self.opens_on.data, self.closes_on.data, self.decision_on.data
        ).items():
            self[name].errors.append(message)
            ok = False
        return ok


_ON_A_SCALE = NumberRange(
    min=rounds.SCALE_RANGE[0],
    max=rounds.SCALE_RANGE[1],
    message=_l(
        "Use a whole number from %(low)s to %(high)s.",
        low=rounds.SCALE_RANGE[0],
        high=rounds.SCALE_RANGE[1],
    ),
)


class CriterionForm(BaseForm):
    name = StringField(
        _l("Criterion"),
        description=_l("A short name, like 'Who benefits'."),
        validators=[
            DataRequired(_l("Enter a name for the criterion.")),
            Length(max=200, message=_l("Keep the name to 200 characters or fewer.")),
        ],
    )
    guidance = TextAreaField(
        _l("Guidance for the panel"),
        description=_l("What to look for when scoring this, in plain English."),
        validators=[
            DataRequired(_l("Write a sentence of guidance for the panel.")),
            limit(rounds.GUIDANCE_MAX_LENGTH, _l("the guidance")),
        ],
    )
    weight = WholeNumberField(
        _l("Weight"),
        description=_l(
            "How much this criterion counts, from 1 to 10. A weight of 2 counts "
            "twice as much as a weight of 1."
        ),
        default=1,
        validators=[
            InputRequired(_l("Enter a weight from 1 to 10.")),
            NumberRange(
                min=1, max=10, message=_l("The weight must be a whole number from 1 to 10.")
            ),
        ],
    )
    scale_min = WholeNumberField(
        _l("Lowest point on the scale"),
        default=1,
        validators=[InputRequired(_l("Enter the lowest point, like 1 or 0.")), _ON_A_SCALE],
    )
    scale_max = WholeNumberField(
        _l("Highest point on the scale"),
        description=_l("At most 11 points in all, for example 1 to 5 or 0 to 10."),
        default=5,
        validators=[InputRequired(_l("Enter the highest point, like 5.")), _ON_A_SCALE],
    )
    descriptors = TextAreaField(
        _l("What each point means"),
        description=_l(
            "One line for each point, lowest first. For a scale of 1 to 5 write five "
            "lines, like '1: Does not show who will benefit'."
        ),
        validators=[limit(rounds.DESCRIPTORS_MAX_LENGTH)],
    )
    submit = SubmitField(_l("Save the criterion"))

    def descriptor_list(self) -> list[str]:
        return rounds.split_descriptors(self.descriptors.data or "", self.scale_min.data or 0)

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        lo, hi = self.scale_min.data, self.scale_max.data
        if lo is None or hi is None:
            return False
        problem = rounds.scale_problem(lo, hi)
        if problem:
            self.scale_max.errors.append(problem)
            return False
        problem = rounds.descriptors_problem(lo, hi, self.descriptor_list())
        if problem:
            self.descriptors.errors.append(problem)
            ok = False
        return ok


class ApplicationForm(BaseForm):
    """Add or change an application. Every field is checked by the service's checker for it
    (the same ones the CSV import uses); ``reference_taken`` asks whether another application
    in the round has a reference (the view sets it; the service checks again under a lock)."""

    reference = StringField(
        _l("Reference (optional)"),
        description=_l(
            "Leave empty to get the next one, like A-004. Up to %(num)s characters.",
            num=apps_service.MAX_REFERENCE,
        ),
        validators=[Optional(), limit(apps_service.MAX_REFERENCE, _l("the reference"))],
    )
    applicant_name = StringField(
        _l("Applicant's name or group"),
        description=_l(
            "Private: shown to staff and the panel, never published. Up to %(num)s characters.",
            num=apps_service.MAX_NAME,
        ),
        validators=[DataRequired(_l("Enter the applicant's name.")),
                    limit(apps_service.MAX_NAME, _l("the name"))],
    )
    contact_email = EmailField(
        _l("Contact email (optional)"),
        description=_l("Private."),
        validators=[Optional(), limit(apps_service.MAX_EMAIL, _l("the email address"))],
    )
    title = StringField(
        _l("Title"),
        description=_l("Public. Up to %(num)s characters.", num=apps_service.MAX_TITLE),
        validators=[DataRequired(_l("Enter a title for the application.")),
                    limit(apps_service.MAX_TITLE, _l("the title"))],
    )
    summary = TextAreaField(
        _l("Summary"),
        description=_l(
            "Public: a few sentences about the project. Up to %(num)s characters.",
            num=f"{apps_service.MAX_SUMMARY:,}",
        ),
        validators=[DataRequired(_l("Write a short summary of the project.")),
                    limit(apps_service.MAX_SUMMARY, _l("the summary"))],
    )
    answers = TextAreaField(
        _l("Answers to the application questions (optional)"),
        description=_l(
            "Shown to the panel, not published. Up to %(num)s characters.",
            num=f"{apps_service.MAX_ANSWERS:,}",
        ),
        validators=[limit(apps_service.MAX_ANSWERS, _l("the answers"))],
    )
    amount = StringField(_l("Amount asked for"), description=_l("Like 1500 or 1,500.00."),
                         validators=[limit(apps_service.MAX_AMOUNT_TEXT, _l("the amount"))])
    submit = SubmitField(_l("Save the application"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reference_taken: Callable[[str], bool] = lambda _ref: False
        self.unit = "pounds"
        self.amount_minor: int | None = None

    def validate_reference(self, field: Field) -> None:
        ref = (field.data or "").strip()
        if not ref:
            return
        problem = apps_service.reference_problem(ref)
        if problem:
            raise ValidationError(apps_service.as_sentence(problem))
        if self.reference_taken(ref):
            raise ValidationError(
                _(
                    "Reference '%(reference)s' is already used in this round. Choose another, "
                    "or leave it empty.",
                    reference=ref,
                )
            )

    def validate_contact_email(self, field: Field) -> None:
        if field.errors:
            return
        problem = apps_service.email_problem((field.data or "").strip())
        if problem:
            raise ValidationError(apps_service.as_sentence(problem))

    def _check_text(self, field: Field) -> None:
        if field.errors:  # the length limit already said what is wrong
            return
        problem = apps_service.text_field_problem(field.name, (field.data or "").strip())
        if problem:
            raise ValidationError(apps_service.as_sentence(problem))

    validate_applicant_name = _check_text
    validate_title = _check_text
    validate_summary = _check_text
    validate_answers = _check_text

    def validate_amount(self, field: Field) -> None:
        try:
            self.amount_minor = apps_service.parse_amount(field.data, unit=self.unit)
        except rounds.MoneyError as e:
            raise ValidationError(_("The amount %(problem)s.", problem=str(e))) from e


ELIGIBILITY_REASON_MAX_LENGTH = 2_000  # Application.eligibility_reason (Text)
ACCESS_NEEDS_MAX_LENGTH = 2_000  # User.access_needs (Text)


class EligibilityForm(BaseForm):
    eligible = RadioField(
        _l("Is this application eligible?"),
        choices=options(
            [("yes", _l("Yes, it is eligible")), ("no", _l("No, it is not eligible"))]
        ),
        validators=[InputRequired(_l("Choose whether the application is eligible."))],
    )
    reason = TextAreaField(
        _l("Reason"),
        description=_l(
            "Needed when the application is not eligible. Say which rule it does not "
            "meet; the applicant may see this."
        ),
        validators=[limit(ELIGIBILITY_REASON_MAX_LENGTH, _l("the reason"))],
    )
    submit = SubmitField(_l("Save the eligibility decision"))

    def validate_reason(self, field: Field) -> None:
        if self.eligible.data == "no" and not (field.data or "").strip():
            raise ValidationError(_("Give the reason this application is not eligible."))


class ImportForm(BaseForm):
    file = FileField(
        _l("CSV file"),
        description=_l("Saved from a spreadsheet as 'CSV UTF-8'."),
        validators=[
            FileRequired(_l("Choose a CSV file to upload.")),
            FileAllowed(
                ["csv"],
                _l(
                    "The file must end in .csv. In your spreadsheet choose 'Save as' and the "
                    "type 'CSV UTF-8'."
                ),
            ),
        ],
    )
    submit = SubmitField(_l("Check and import"))


class MemberForm(BaseForm):
    name = StringField(
        _l("Full name"),
        description=_l("Private: the public only ever sees 'Panel member' and a number."),
        validators=[
            DataRequired(_l("Enter the person's name.")),
            Length(max=200, message=_l("Keep the name to 200 characters or fewer.")),
        ],
    )
    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(_l("Enter the person's email address.")),
            Email(_l("Enter an email address in the right form, like name@example.org.")),
            Length(max=254, message=_l("Keep the email address to 254 characters or fewer.")),
        ],
    )
    phone = StringField(
        _l("Phone number (optional)"),
        validators=[Optional(), Length(max=40, message=_l("Keep the phone number short."))],
    )
    access_needs = TextAreaField(
        _l("Access needs (optional)"),
        description=_l(
            "Private. Anything that helps the person take part, like large print, a "
            "phone call instead of email, or extra time."
        ),
        validators=[limit(ACCESS_NEEDS_MAX_LENGTH, _l("the access needs"))],
    )
    submit = SubmitField(_l("Add to the panel"))


STAFF_CATEGORY_LABELS = dict(ConflictCategory.staff_choices())  # see grantpanel.vocabulary


class ConflictForm(BaseForm):
    membership = SelectField(
        _l("Panel member"),
        coerce=int,
        validators=[InputRequired(_l("Choose the panel member."))],
    )
    application = SelectField(
        _l("Application"),
        coerce=int,
        validators=[InputRequired(_l("Choose the application."))],
    )
    category = RadioField(
        _l("How are they connected?"),
        validators=[InputRequired(_l("Choose how the member is connected to the applicant."))],
    )
    note = TextAreaField(
        _l("Note (optional)"),
        description=_l("Private: staff only. Never published. Up to 2,000 characters."),
        validators=[Length(max=conflicts_service.NOTE_MAX_LENGTH,
                          message=_l("Keep the note to 2000 characters or fewer."))],
    )
    reason = TextAreaField(
        _l("Why are you recording this conflict now?"),
        description=_l(
            "Scoring has closed (at least once), so this conflict withdraws a score from a "
            "count that may already have been seen, and can change the result. Your reason is "
            "published with the decision, next to any changes made by staff, so do not "
            "include names or private details. Up to %(num)s characters.",
            num=f"{conflicts_service.REASON_MAX_LENGTH:,}",
        ),
        validators=[limit(conflicts_service.REASON_MAX_LENGTH, _l("the reason"))],
    )
    submit = SubmitField(_l("Record the conflict"))

    # Set by the view: true once scoring has closed (conflicts_service.needs_reason).
    reason_required = False

    def set_categories(self, categories: list[tuple[str, str]]) -> None:
        self.category.choices = options(
            [(key, STAFF_CATEGORY_LABELS.get(key, label)) for key, label in categories]
        )

    def validate_reason(self, field: Field) -> None:
        if not self.reason_required:
            return
        problem = conflicts_service.reason_problem(field.data or "")
        if problem:
            raise ValidationError(problem)


class ActionForm(BaseForm):
    """A bare form: the CSRF token and a button (lifecycle steps, remove, move)."""


def build_decide_form(rows: list[dict[str, Any]], formdata: Any = None) -> FlaskForm:
    """A form with, per application, a choice (keep / fund / do not fund) and a reason.

    Field names are ``action_<n>`` and ``reason_<n>``, where n is the row's position.
    """

    class DecideForm(BaseForm):
        submit = SubmitField(_l("Confirm the decision"))

        def validate(self, extra_validators: Any = None) -> bool:
            ok = super().validate(extra_validators)
            for i, row in enumerate(rows):
                action = self[f"action_{i}"].data
                reason = (self[f"reason_{i}"].data or "").strip()
                if action != "keep" and not reason:
                    self[f"reason_{i}"].errors.append(
                        _(
                            "Write the reason for changing the decision on %(application)s. "
                            "It will be published with the decision.",
                            application=row["id"],
                        )
                    )
                    ok = False
            return ok

    for i, row in enumerate(rows):
        if row.get("status") == "funded":
            choices = [("keep", _("Keep: funded")), ("unfund", _("Change: do not fund"))]
        else:
            choices = [("keep", _("Keep: not funded")), ("fund", _("Change: fund it"))]
        setattr(
            DecideForm,
            f"action_{i}",
            SelectField(
                _("Decision on %(application)s", application=row["id"]),
                choices=options(choices),
                default="keep",
            ),
        )
        setattr(
            DecideForm,
            f"reason_{i}",
            StringField(
                _("Reason for changing %(application)s", application=row["id"]),
                validators=[Length(max=2000, message=_("Keep the reason to 2000 characters."))],
            ),
        )
    return DecideForm(formdata=formdata) if formdata is not None else DecideForm()


# --- data protection: find a person, erase their data (services/privacy.py) -----------------


class PeopleSearchForm(BaseForm):
    """The people search box (a GET form: it changes nothing, so it has no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Name or email address"),
        description=_l("Type part of a name or email address: at least 2 characters."),
        validators=[Length(max=254, message=_l("Type 254 characters or fewer."))],
    )


class EraseForm(BaseForm):
    """Erase a person's personal data: a typed confirmation and a reason (for the audit log)."""

    confirm = StringField(
        _l("To confirm, type the word erase"),
        validators=[Length(max=20, message=_l("Type only the word erase."))],
    )
    reason = TextAreaField(
        _l("Why is this person's data being erased?"),
        description=_l(
            "For example: they asked us to erase it. This is kept in the audit log for good, "
            "so do not include their name or other personal details. Up to 500 characters."
        ),
    )
    submit = SubmitField(_l("Erase this person's personal data"))

    def validate_confirm(self, field: Field) -> None:
        from grantpanel.services import privacy

        if (field.data or "").strip().lower() != privacy.CONFIRM_WORD:
            raise ValidationError(
                _("Type the word erase in the box to confirm. Nothing has been erased yet.")
            )

    def validate_reason(self, field: Field) -> None:
        from grantpanel.services import privacy

        try:
            privacy.clean_reason(field.data or "")
        except privacy.PrivacyError as e:
            raise ValidationError(str(e)) from e
