"""Forms for grants staff: one form class per screen. Rules live in the services; the forms
call the same checks so a mistake is shown beside the field that caused it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from decimal import Decimal
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
from grantpanel.i18n import LANGUAGES, _, _l
from grantpanel.services import applications as apps_service
from grantpanel.services import conflicts as conflicts_service
from grantpanel.services import content, rounds
from grantpanel.vocabulary import (
    Aggregation,
    Calibration,
    Completion,
    ConflictCategory,
    ConsensusMeasure,
    ConsentRule,
    FitRule,
    FundingRule,
    Involvement,
    MethodKey,
    ShortlistRule,
    StageKind,
    TieBreak,
    Utilities,
)

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


WELSH_HINT = _l("For people reading the pages in Welsh. Left empty, they see the English.")
WELSH_INPUT = {"lang": content.WELSH}  # spelling checked in Welsh, read out in Welsh


class BilingualForm(BaseForm):
    """A form with optional Welsh twins of some English fields: ``<field>_cy`` for each name
    in ``WELSH_FIELDS`` (the model's own field names, as the services take them)."""

    WELSH_FIELDS: tuple[str, ...] = ()

    def welsh(self) -> dict[str, Any]:
        """The Welsh typed, by the model's field name (empty text removes a translation)."""
        return {name: self[f"{name}_{content.WELSH}"].data or "" for name in self.WELSH_FIELDS}

    def load_welsh(self, obj: object) -> None:
        """Fill the Welsh fields from ``obj``'s stored translations (for a GET)."""
        for name in self.WELSH_FIELDS:
            self[f"{name}_{content.WELSH}"].data = content.stored(obj, content.WELSH, name) or ""


class RoundForm(BilingualForm):
    WELSH_FIELDS = rounds.WELSH_FIELDS

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
    name_cy = StringField(
        _l("Name in Welsh (optional)"),
        description=WELSH_HINT,
        render_kw=WELSH_INPUT,
        validators=[limit(rounds.NAME_MAX_LENGTH, _l("the name"))],
    )
    purpose_cy = TextAreaField(
        _l("Purpose in Welsh (optional)"),
        description=WELSH_HINT,
        render_kw=WELSH_INPUT,
        validators=[limit(rounds.PURPOSE_MAX_LENGTH)],
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


class CriterionForm(BilingualForm):
    WELSH_FIELDS = rounds.CRITERION_WELSH_FIELDS

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
    name_cy = StringField(
        _l("Criterion in Welsh (optional)"),
        description=WELSH_HINT,
        render_kw=WELSH_INPUT,
        validators=[limit(rounds.NAME_MAX_LENGTH, _l("the name"))],
    )
    guidance_cy = TextAreaField(
        _l("Guidance for the panel in Welsh (optional)"),
        description=WELSH_HINT,
        render_kw=WELSH_INPUT,
        validators=[limit(rounds.GUIDANCE_MAX_LENGTH, _l("the guidance"))],
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
    descriptors_cy = TextAreaField(
        _l("What each point means, in Welsh (optional)"),
        description=_l(
            "One line for each point, lowest first, as in English. Left empty, people "
            "reading the pages in Welsh see the English."
        ),
        render_kw=WELSH_INPUT,
        validators=[limit(rounds.DESCRIPTORS_MAX_LENGTH)],
    )
    submit = SubmitField(_l("Save the criterion"))

    def descriptor_list(self) -> list[str]:
        return rounds.split_descriptors(self.descriptors.data or "", self.scale_min.data or 0)

    def welsh_descriptor_list(self) -> list[str]:
        return rounds.split_descriptors(self.descriptors_cy.data or "", self.scale_min.data or 0)

    def welsh(self) -> dict[str, Any]:
        return {**super().welsh(), "descriptors": self.welsh_descriptor_list()}

    def load_welsh(self, obj: object) -> None:
        super().load_welsh(obj)
        low = self.scale_min.data or 0
        lines = content.stored(obj, content.WELSH, "descriptors") or []
        self.descriptors_cy.data = "\n".join(
            f"{low + i}: {text}" for i, text in enumerate(lines)
        )

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
        problem = rounds.welsh_descriptors_problem(lo, hi, self.welsh_descriptor_list())
        if problem and not self.descriptors_cy.errors:
            self.descriptors_cy.errors.append(problem)
            ok = False
        return ok


class ApplicationForm(BilingualForm):
    """Add or change an application. Every field is checked by the service's checker for it
    (the same ones the CSV import uses); ``reference_taken`` asks whether another application
    in the round has a reference (the view sets it; the service checks again under a lock)."""

    WELSH_FIELDS = apps_service.WELSH_FIELDS

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
    title_cy = StringField(
        _l("Title in Welsh (optional)"),
        description=WELSH_HINT,
        render_kw=WELSH_INPUT,
        validators=[limit(apps_service.MAX_TITLE, _l("the title"))],
    )
    summary_cy = TextAreaField(
        _l("Summary in Welsh (optional)"),
        description=WELSH_HINT,
        render_kw=WELSH_INPUT,
        validators=[limit(apps_service.MAX_SUMMARY, _l("the summary"))],
    )
    answers = TextAreaField(
        _l("Answers to the application questions (optional)"),
        description=_l(
            "Shown to the panel, not published. Up to %(num)s characters.",
            num=f"{apps_service.MAX_ANSWERS:,}",
        ),
        validators=[limit(apps_service.MAX_ANSWERS, _l("the answers"))],
    )
    content_warning = StringField(
        _l("Content warning (optional)"),
        description=_l(
            "A few words the panel sees before the application, like \u201cmentions "
            "suicide\u201d. Up to %(num)s characters.", num=f"{apps_service.MAX_WARNING:,}",
        ),
        validators=[limit(apps_service.MAX_WARNING, _l("the content warning"))],
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
    validate_content_warning = _check_text
    validate_title_cy = _check_text
    validate_summary_cy = _check_text

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
        _l("Email address (optional)"),
        description=_l(
            "Leave it empty if they have no email. They then sign in with a link you give "
            "them by hand or in a printed letter."
        ),
        validators=[
            Optional(),
            Email(_l("Enter an email address in the right form, like name@example.org.")),
            Length(max=254, message=_l("Keep the email address to 254 characters or fewer.")),
        ],
    )
    phone = StringField(
        _l("Phone number (optional)"),
        validators=[Optional(), Length(max=40, message=_l("Keep the phone number short."))],
    )
    language = SelectField(
        _l("Language for their emails and letters"),
        # Languages every message is translated into; each named in itself, marked as such.
        choices=[SelectChoice("", _l("Not known (English)"))] + [
            SelectChoice(lang.code, lang.name, render_kw={"lang": lang.tag})
            for lang in LANGUAGES if lang.scope == "all"
        ],
        default="",
        validate_choice=True,
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


OVERRIDE_REASON_MAX_LENGTH = 2_000


def build_change_form(row: dict[str, Any], formdata: Any = None) -> FlaskForm:
    """The form that changes the count's result for one application: keep it, or the one
    change that makes sense (fund what the count did not, or the reverse), with a reason that
    is published word for word."""
    funded = row.get("status") == "funded"
    choices = (
        [("keep", _("Keep it funded, as counted")), ("unfund", _("Do not fund it"))]
        if funded else
        [("keep", _("Keep it not funded, as counted")), ("fund", _("Fund it"))]
    )

    class ChangeForm(BaseForm):
        action = RadioField(
            _("What should happen to %(application)s?", application=row["id"]),
            choices=options(choices),
            default="keep",
            validators=[InputRequired(_l("Choose what should happen."))],
        )
        reason = TextAreaField(
            _("Reason for the change"),
            description=_("Published with the decision, word for word. Do not name panel "
                          "members or include private details."),
            validators=[limit(OVERRIDE_REASON_MAX_LENGTH, _l("the reason"))],
        )
        submit = SubmitField(_l("Save"))

        def validate_reason(self, field: Field) -> None:
            reason = (field.data or "").strip()
            if self.action.data != "keep" and not reason:
                raise ValidationError(_("Write the reason for the change. It will be "
                                        "published with the decision."))
            if self.action.data == "keep" and reason:
                # Never drop what was typed: a reason only goes with a change.
                raise ValidationError(_("You wrote a reason but chose to keep the result as "
                                        "counted. Choose the change the reason is for, or "
                                        "delete the reason."))

    return ChangeForm(formdata=formdata) if formdata is not None else ChangeForm()


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


# --- decision stages -------------------------------------------------------------------------

#: A decimal typed by staff: digits, at most two after the point ("1.5", "0.10", "3").
_DECIMAL_RE = re.compile(r"^[0-9]{1,6}(?:\.[0-9]{1,2})?$", re.ASCII)
#: A share typed as a fraction ("2/3").
_FRACTION_RE = re.compile(r"^[0-9]{1,3}/[0-9]{1,3}$", re.ASCII)
DECIMAL_MAX_LENGTH = 12


def two_decimals(text: str | None) -> str | None:
    """``"1.5" -> "1.50"`` (the record's decimal strings), or None if it is not a plain
    number with at most two figures after the point. A trailing ``%`` divides by 100."""
    raw = (text or "").strip().replace(" ", "")
    if raw.endswith("%"):
        number = two_decimals(raw[:-1])
        return None if number is None else f"{Decimal(number) / 100:.2f}"
    if not _DECIMAL_RE.match(raw):
        return None
    return f"{Decimal(raw):.2f}"


def ranked_method_choices() -> list[SelectChoice]:
    """The ranked stage's methods (``voting.stages.RANKED_METHODS``), each as the registry's
    "Name: summary", translated."""
    from voting.registry import METHODS
    from voting.stages import RANKED_METHODS

    return options([
        (key, _("%(label)s: %(explanation)s", label=_(METHODS[key].name),
                explanation=_(METHODS[key].summary)))
        for key in RANKED_METHODS
    ])


def _decimal_field(label: Any, description: Any, default: str) -> StringField:
    return StringField(label, description=description, default=default,
                       validators=[limit(DECIMAL_MAX_LENGTH)])


class StagesForm(BaseForm):
    """The round's decision stages, in plain English. Every section is always shown (no
    JavaScript needed); the fields of a stage that is switched off are ignored."""

    # 1. Scores
    aggregation = RadioField(
        _l("How are the panel's scores combined for each application?"),
        choices=options(Aggregation.explained_choices()), default=Aggregation.MEAN.value,
        validators=[InputRequired(_l("Choose how the scores are combined."))],
    )
    trim = _decimal_field(
        _l("Trimmed mean: the share left out at each end"),
        _l("Only for the trimmed mean. A share from 0 up to (not including) 0.5, like 0.10: "
           "then the lowest tenth and the highest tenth of each application's totals are "
           "left out."),
        "0.10",
    )
    calibration = RadioField(
        _l("Adjust for members who score high or low overall?"),
        choices=options(Calibration.explained_choices()), default=Calibration.NONE.value,
        description=_l(
            "The last choice (harsh and generous scorers together) compares members through "
            "the applications they both scored. If the panel splits into groups that never scored the same "
            "applications, the groups cannot be compared fairly: the count page then warns "
            "that the panel's reading does not overlap enough (the design is "
            "'disconnected'). Give every application readers from more than one group to "
            "avoid this."),
        validators=[InputRequired(_l("Choose whether scores are adjusted."))],
    )
    # 2. Consensus
    consensus_on = BooleanField(
        _l("Check where the panel disagrees, and flag those applications for discussion"))
    measure = RadioField(
        _l("How is disagreement measured?"),
        choices=options(ConsensusMeasure.choices()), default=ConsensusMeasure.SD.value,
        validators=[InputRequired(_l("Choose how disagreement is measured."))],
    )
    threshold = _decimal_field(
        _l("Flag an application when its disagreement is more than"),
        _l("In points of a sheet's total (each score times its weight, added up), like "
           "1.50."),
        "1.50",
    )
    rescore = BooleanField(
        _l("After the discussion, members score the flagged applications again (stage 2)"),
        description=_l("Stage 2 scores replace stage 1 for those applications only. Both "
                       "are kept in the published record."),
    )
    # 3. Ranked vote
    ranked_on = BooleanField(_l("Hold a ranked vote on a shortlist after scoring"))
    method = RadioField(
        _l("How is the vote counted?"), default=MethodKey.IRV.value,
        validators=[InputRequired(_l("Choose how the vote is counted."))],
    )
    shortlist = RadioField(
        _l("Which applications go on the shortlist?"),
        choices=options(ShortlistRule.explained_choices()), default=ShortlistRule.TOP.value,
        validators=[InputRequired(_l("Choose which applications go on the shortlist."))],
    )
    size = WholeNumberField(
        _l("How many of the top applications"),
        description=_l("Only when the shortlist is the top applications. At least 2."),
        default=5, validators=[Optional()],
    )
    above = _decimal_field(
        _l("The lowest result that goes on the shortlist"),
        _l("Only when the shortlist is every application at or above a score, like 3.50."),
        "",
    )
    seats = WholeNumberField(
        _l("How many winners does the vote choose? (optional)"),
        description=_l("Leave empty to put the whole shortlist in order. A single "
                       "transferable vote needs a number."),
        validators=[Optional()],
    )
    # 4. Funding
    funding_rule = RadioField(
        _l("How is the money shared out?"),
        choices=options(FundingRule.explained_choices()), default=FundingRule.IN_ORDER.value,
        validators=[InputRequired(_l("Choose how the money is shared out."))],
    )
    fit_rule = RadioField(
        _l("Funding down the list: if the next application does not fit in the money left"),
        choices=options(FitRule.explained_choices()), default=FitRule.SKIP.value,
        validators=[InputRequired(_l("Choose what happens when an application does not "
                                     "fit."))],
    )
    utilities = RadioField(
        _l("Method of Equal Shares: what counts as a member's support"),
        choices=options(Utilities.choices()), default=Utilities.SCORES.value,
        description=_l("Ticks need a ranked vote counted by approval voting."),
        validators=[InputRequired(_l("Choose what counts as a member's support."))],
    )
    completion = RadioField(
        _l("Method of Equal Shares: money it could not place at first"),
        choices=options(Completion.choices()), default=Completion.ADD1.value,
        validators=[InputRequired(_l("Choose what happens to money not placed at first."))],
    )
    lottery = BooleanField(
        _l("Funding down the list: hold a lottery among applications the rules cannot tell "
           "apart at the funding line"),
        description=_l("Drawn with the round's published random seed, so anyone can check "
                       "it."),
    )
    # 5. Consent
    consent_on = BooleanField(_l("Ask the panel to consent to the funded list at the end"))
    consent_rule = RadioField(
        _l("When does the list stand?"),
        choices=options(ConsentRule.explained_choices()), default=ConsentRule.NO_OBJECTION.value,
        validators=[InputRequired(_l("Choose when the list stands."))],
    )
    consent_threshold = StringField(
        _l("A large majority: the share of those answering who must agree"),
        description=_l("Only for a large majority. A fraction like 2/3 or 3/4."),
        default="2/3", validators=[limit(DECIMAL_MAX_LENGTH)],
    )
    preview = SubmitField(_l("Preview without saving"))
    submit = SubmitField(_l("Save the decision stages"))

    #: The fields of each optional stage (ignored while the stage is switched off).
    SECTIONS = {
        StageKind.CONSENSUS: ("measure", "threshold", "rescore"),
        StageKind.RANKED: ("method", "shortlist", "size", "above", "seats"),
        StageKind.CONSENT: ("consent_rule", "consent_threshold"),
    }
    #: The form field of each stage parameter (to put a reason beside the right field).
    FIELD_OF = {
        (StageKind.SCORES, "aggregation"): "aggregation",
        (StageKind.SCORES, "trim"): "trim",
        (StageKind.SCORES, "calibration"): "calibration",
        (StageKind.CONSENSUS, "measure"): "measure",
        (StageKind.CONSENSUS, "threshold"): "threshold",
        (StageKind.CONSENSUS, "rescore"): "rescore",
        (StageKind.RANKED, "method"): "method",
        (StageKind.RANKED, "shortlist"): "shortlist",
        (StageKind.RANKED, "size"): "size",
        (StageKind.RANKED, "above"): "above",
        (StageKind.RANKED, "seats"): "seats",
        (StageKind.FUNDING, "rule"): "funding_rule",
        (StageKind.FUNDING, "fit_rule"): "fit_rule",
        (StageKind.FUNDING, "utilities"): "utilities",
        (StageKind.FUNDING, "completion"): "completion",
        (StageKind.FUNDING, "lottery"): "lottery",
        (StageKind.CONSENT, "rule"): "consent_rule",
        (StageKind.CONSENT, "threshold"): "consent_threshold",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.method.choices = ranked_method_choices()

    def switched_on(self, kind: str) -> bool:
        return bool({StageKind.CONSENSUS: self.consensus_on.data,
                     StageKind.RANKED: self.ranked_on.data,
                     StageKind.CONSENT: self.consent_on.data}.get(StageKind(kind), True))

    def ignored(self) -> set[str]:
        """The fields not used with the choices made (their stage is off, or they belong to
        another choice)."""
        out = {name for kind, names in self.SECTIONS.items() if not self.switched_on(kind)
               for name in names}
        if self.aggregation.data != Aggregation.TRIMMED_MEAN:
            out.add("trim")
        if self.shortlist.data == ShortlistRule.TOP:
            out.add("above")
        else:
            out.add("size")
        if self.funding_rule.data == FundingRule.EQUAL_SHARES:
            out |= {"fit_rule", "lottery"}
        else:
            out |= {"utilities", "completion"}
        if self.consent_rule.data != ConsentRule.SUPERMAJORITY:
            out.add("consent_threshold")
        return out

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        ignored = self.ignored()
        for name in ignored:
            self[name].errors = []
        self.numbers: dict[str, str | None] = {}
        for name, message in (
            ("trim", _l("Enter the share as a number like 0.10.")),
            ("threshold", _l("Enter the disagreement as a number like 1.50.")),
            ("above", _l("Enter the lowest result as a number like 3.50.")),
        ):
            value = None if name in ignored else two_decimals(self[name].data)
            if name not in ignored and value is None and not self[name].errors:
                self[name].errors.append(str(message))
            self.numbers[name] = value
        if "size" not in ignored and self.size.data is None and not self.size.errors:
            self.size.errors.append(_("Enter how many applications go on the shortlist, "
                                      "like 5."))
        if ("consent_threshold" not in ignored and not self.consent_threshold.errors
                and not _FRACTION_RE.match((self.consent_threshold.data or "").strip())):
            self.consent_threshold.errors.append(
                _("Enter the share as a fraction like 2/3."))
        return not any(f.errors for f in self) and not self.form_errors

    def chain(self) -> list[dict[str, Any]]:
        """The declared chain in the record's ``rules.stages`` shape (after :meth:`validate`);
        ``voting.stages.check_stages`` judges whether the combination can be used."""
        ignored = self.ignored()
        out: list[dict[str, Any]] = [{
            "kind": StageKind.SCORES.value,
            "aggregation": self.aggregation.data,
            "trim": self.numbers.get("trim") or "0.00",
            "calibration": self.calibration.data,
        }]
        if self.switched_on(StageKind.CONSENSUS):
            out.append({"kind": StageKind.CONSENSUS.value, "measure": self.measure.data,
                        "threshold": self.numbers.get("threshold"),
                        "rescore": bool(self.rescore.data)})
        if self.switched_on(StageKind.RANKED):
            top = "size" not in ignored
            out.append({"kind": StageKind.RANKED.value, "method": self.method.data,
                        "shortlist": self.shortlist.data,
                        "size": self.size.data if top else None,
                        "above": None if top else self.numbers.get("above"),
                        "seats": self.seats.data})
        equal_shares = self.funding_rule.data == FundingRule.EQUAL_SHARES
        out.append({"kind": StageKind.FUNDING.value, "rule": self.funding_rule.data,
                    "fit_rule": FitRule.SKIP.value if equal_shares else self.fit_rule.data,
                    "utilities": self.utilities.data if equal_shares else None,
                    "completion": self.completion.data if equal_shares else None,
                    "lottery": bool(self.lottery.data) and not equal_shares})
        if self.switched_on(StageKind.CONSENT):
            supermajority = self.consent_rule.data == ConsentRule.SUPERMAJORITY
            out.append({"kind": StageKind.CONSENT.value, "rule": self.consent_rule.data,
                        "threshold": ((self.consent_threshold.data or "").strip()
                                      if supermajority else None)})
        return out

    def load(self, chain: list[dict[str, Any]]) -> None:
        """Fill the form from a declared chain (to change it)."""
        by_kind = {s["kind"]: s for s in chain}
        self.consensus_on.data = StageKind.CONSENSUS in by_kind
        self.ranked_on.data = StageKind.RANKED in by_kind
        self.consent_on.data = StageKind.CONSENT in by_kind
        for (kind, key), name in self.FIELD_OF.items():
            value = by_kind.get(kind, {}).get(key)
            if value is not None:
                self[name].data = value
        if self.aggregation.data != Aggregation.TRIMMED_MEAN:
            self.trim.data = self.trim.default  # "0.00" is stored; offer a useful share

    def put_reason(self, path: str, reason: str) -> None:
        """Show ``voting``'s reason for refusing the chain beside the field it names (by the
        path of ``voting.panel.InputError``, like ``rules.stages[2].seats``), or at the top."""
        chain = self.chain()
        found = re.search(r"stages\[(\d+)\](?:\.([a-z_]+))?", path)
        field_name = None
        if found and int(found.group(1)) < len(chain):
            field_name = self.FIELD_OF.get((chain[int(found.group(1))]["kind"],
                                            found.group(2) or ""))
        if field_name is not None:
            self[field_name].errors.append(
                _("%(label)s: %(reason)s", label=self[field_name].label.text, reason=reason))
        else:
            self.form_errors.append(
                _("These stages cannot be used together: %(reason)s", reason=reason))
