"""Forms for the panel member's screens.

The conflicts screen, the score sheet and the ballot depend on the round, so their form
classes are built per round (one class per screen): :func:`conflicts_form_class`,
:func:`score_sheet_class` and :func:`ballot_form_class`.
"""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from grantpanel.forms_base import BaseForm, limit
from grantpanel.i18n import _, _l
from grantpanel.models import Application, Criterion
from grantpanel.services.conflicts import CATEGORIES, CATEGORY_LABELS, NOTE_MAX_LENGTH
from grantpanel.services.consent import REASON_MAX_LENGTH as CONSENT_REASON_MAX_LENGTH
from grantpanel.services.content import html, localised, localised_points
from grantpanel.services.scoring import NOTE_MAX_LENGTH as SHEET_NOTE_MAX_LENGTH
from grantpanel.vocabulary import ConsentPosition

DONT_KNOW = "dont-know"
SHOWN_MAX_LENGTH = 100_000  # the ids of the applications shown: "12,13,14..."


def _choices(pairs: list[tuple[str, Any]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


# --- Conflicts ---------------------------------------------------------------------------

NOTE_HINT = _l("Only the grants team sees this note.")


def _note_limit() -> Length:
    return Length(
        max=NOTE_MAX_LENGTH, message=_l("Keep the note to %(max)d characters or fewer.")
    )


class ConflictsForm(BaseForm):
    """Base for the per-round conflicts screen; fields per application are added to it."""

    application_ids: list[int] = []
    applicant_names: dict[int, str] = {}
    # The ids of the applications the page showed, so a confirmation is not taken for an
    # application added after the page was drawn.
    shown = HiddenField(validators=[limit(SHOWN_MAX_LENGTH)])

    def tie(self, application_id: int) -> Field:
        return self[f"tie_{application_id}"]

    def category(self, application_id: int) -> Field:
        return self[f"category_{application_id}"]

    def note(self, application_id: int) -> Field:
        return self[f"note_{application_id}"]

    def ticked(self) -> list[int]:
        return [i for i in self.application_ids if self.tie(i).data]

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        ticked = self.ticked()
        no_ties = self["no_ties"]
        for i in self.application_ids:
            if self.category(i).data and self.category(i).data not in CATEGORY_LABELS:
                self.category(i).errors.append(_("Choose one of the connections in the list."))
                ok = False
            elif self.tie(i).data and not self.category(i).data:
                self.category(i).errors.append(
                    _(
                        "Choose how you are connected to %(applicant)s.",
                        applicant=self.applicant_names[i],
                    )
                )
                ok = False
            elif not self.tie(i).data and self.category(i).data:
                self.tie(i).errors.append(
                    _(
                        "You chose how you are connected to %(applicant)s but did not tick the "
                        "box. Tick the box, or set the answer back to \u201cChoose one\u201d.",
                        applicant=self.applicant_names[i],
                    )
                )
                ok = False
        if not ticked and not no_ties.data and ok:
            no_ties.errors.append(
                _(
                    "Tick the applicants you have a connection to, or tick \u201cI have no ties "
                    "to any of these applicants\u201d."
                )
            )
            ok = False
        if ticked and no_ties.data:
            no_ties.errors.append(
                _(
                    "You ticked some applicants and also \u201cI have no ties\u201d. Untick one "
                    "of them."
                )
            )
            ok = False
        return ok


def conflicts_form_class(applications: list[Application]) -> type[ConflictsForm]:
    """A conflicts form with a tick box, a connection and a private note per application."""
    attrs: dict[str, Any] = {
        "application_ids": [a.id for a in applications],
        "applicant_names": {a.id: a.applicant_name for a in applications},
    }
    for a in applications:
        attrs[f"tie_{a.id}"] = BooleanField(
            _("I have a connection to %(applicant)s", applicant=a.applicant_name)
        )
        attrs[f"category_{a.id}"] = SelectField(
            _("How are you connected?"),
            choices=_choices([("", _("Choose one")), *CATEGORIES]),
            validate_choice=False,  # checked in ConflictsForm.validate, with a plain message
        )
        attrs[f"note_{a.id}"] = TextAreaField(
            _("Anything else we should know (optional)"),
            description=NOTE_HINT,
            validators=[_note_limit()],
        )
    # Made after the per-applicant fields, so errors are listed in the order of the page.
    attrs["no_ties"] = BooleanField(_("I have no ties to any of these applicants"))
    attrs["submit"] = SubmitField(_("Confirm and continue"))
    return type("RoundConflictsForm", (ConflictsForm,), attrs)


class DeclareConflictForm(BaseForm):
    """'I have a connection to this applicant', from an application's page."""

    category = RadioField(
        _l("How are you connected to this applicant?"),
        choices=_choices(CATEGORIES),
        validate_choice=False,
    )
    note = TextAreaField(
        _l("Anything else we should know (optional)"),
        description=NOTE_HINT,
        validators=[_note_limit()],
    )
    submit = SubmitField(_l("Step aside from this application"))

    def validate_category(self, field: Field) -> None:
        if field.data not in CATEGORY_LABELS:
            raise ValidationError(_("Choose how you are connected to this applicant."))


# --- Score sheet -------------------------------------------------------------------------


class ScoreSheetForm(BaseForm):
    """Base for a round's score sheet; one radio group per criterion is added to it."""

    criteria: list[Criterion] = []

    @staticmethod
    def field_name(criterion: Criterion) -> str:
        return f"criterion_{criterion.id}"

    def score_fields(self) -> list[tuple[Criterion, Field]]:
        return [(c, self[self.field_name(c)]) for c in self.criteria]

    @property
    def submitting(self) -> bool:
        return bool(self["submit_scores"].data)

    def scores(self) -> dict[str, int | None]:
        """Answers as the scoring service takes them: absent = not answered, None = don't
        know. Call after ``validate``."""
        out: dict[str, int | None] = {}
        for c, f in self.score_fields():
            if not f.data:
                continue
            out[c.key] = None if f.data == DONT_KNOW else int(f.data)
        return out

    def add_errors(self, errors: dict[str, str]) -> None:
        """Show the scoring service's problems beside the right questions."""
        by_key = {c.key: f for c, f in self.score_fields()}
        for key, message in errors.items():
            if key in by_key:
                by_key[key].errors = list(by_key[key].errors) + [message]
            else:
                self.form_errors.append(message)

    def load(self, scores: dict[str, Any], panel_note: str, feedback: str,
             objection: bool = False, objection_reason: str = "") -> None:
        """Fill the form from a saved sheet (for a GET)."""
        for c, f in self.score_fields():
            if c.key in scores:
                v = scores[c.key]
                f.data = DONT_KNOW if v is None else str(v)
        self["panel_note"].data = panel_note
        self["feedback"].data = feedback
        if self.takes_objection:
            self["objection"].data = objection
            self["objection_reason"].data = objection_reason

    @property
    def takes_objection(self) -> bool:
        return "objection" in self

    def objection_answer(self) -> tuple[bool, str]:
        """``(ticked, reason)`` of the strong objection (``(False, "")`` without one)."""
        if not self.takes_objection:
            return False, ""
        return bool(self["objection"].data), self["objection_reason"].data or ""


def _answer_is_a_choice(form: FlaskForm, field: Field) -> None:
    if not field.data:
        return
    # ASCII digits only: str.isdigit() takes '²', which int() then refuses.
    if field.data != DONT_KNOW and not re.fullmatch(r"-?[0-9]{1,4}", str(field.data)):
        raise ValidationError(_("Choose one of the answers for this question."))


def score_sheet_class(criteria: list[Criterion], *,
                      objection: bool = False) -> type[ScoreSheetForm]:
    """A score sheet for ``criteria``: a radio group per criterion (every point's descriptor
    as its label, and "Don't know"), a note to the panel, feedback, and two buttons; with
    ``objection``, a strong-objection box and its reason (before the buttons). Names,
    guidance and descriptors are in the page's language where staff gave it (else English,
    marked as such: :func:`grantpanel.services.content.localised`).

    Whether a score is on the scale is checked by the scoring service, so the rule lives in
    one place; the form only turns answers into numbers.
    """
    attrs: dict[str, Any] = {"criteria": list(criteria)}
    for c in criteria:
        choices: list[tuple[str, Any]] = [
            (str(point), html(_("%(point)s \u2013 %(descriptor)s"), point=point,
                              descriptor=text))
            for point, text in localised_points(c)
        ]
        choices.append((DONT_KNOW, _("Don't know")))
        guidance = localised(c, "guidance")
        attrs[ScoreSheetForm.field_name(c)] = RadioField(
            localised(c, "name"),
            description=guidance if guidance else "",
            choices=_choices(choices),
            validate_choice=False,
            validators=[_answer_is_a_choice],
        )
    length = Length(
        max=SHEET_NOTE_MAX_LENGTH,
        message=_("Keep this to %(max)d characters or fewer.", max=SHEET_NOTE_MAX_LENGTH),
    )
    attrs["panel_note"] = TextAreaField(
        _("Note to the panel (optional)"),
        description=_(
            "Your thoughts for the panel discussion. The applicant does not see this."
        ),
        validators=[length],
    )
    attrs["feedback"] = TextAreaField(
        _("Feedback for the applicant (optional)"),
        description=_(
            "This may be shown to the applicant, without your name. Be kind and specific."
        ),
        validators=[length],
    )
    if objection:
        attrs["objection"] = BooleanField(
            _("I strongly object to this application"),
            description=_(
                "Tick this if you feel strongly that this application should not be funded, "
                "whatever the scores say. The panel will then talk about it."
            ),
        )
        attrs["objection_reason"] = TextAreaField(
            _("Why do you strongly object? (needed if you ticked the box)"),
            description=_(
                "Only the panel and the grants team see this. It is never published and the "
                "applicant does not see it."
            ),
            validators=[length],
        )
    attrs["save_draft"] = SubmitField(_("Save as draft"))
    attrs["submit_scores"] = SubmitField(_("Submit my scores"))
    return type("RoundScoreSheetForm", (ScoreSheetForm,), attrs)


# --- Ranked vote -------------------------------------------------------------------------

RANK_MAX_LENGTH = 10  # a choice number; longer input is refused with a plain message


class BallotForm(BaseForm):
    """Base for a round's ballot; a number box (or a tick box, for approval) per application
    is added to it, named by the application's id."""

    application_ids: list[int] = []
    approval: bool = False

    def box(self, application_id: int) -> Field:
        return self[f"{'approve' if self.approval else 'rank'}_{application_id}"]

    def numbers(self) -> dict[int, str]:
        """What was typed in each number box, by application id."""
        return {i: str(self.box(i).data or "") for i in self.application_ids}

    def approved(self) -> list[int]:
        return [i for i in self.application_ids if self.box(i).data]

    @property
    def submitting(self) -> bool:
        return bool(self["submit_vote"].data)

    def set_ranking(self, ranking: list[int]) -> None:
        """Show ``ranking`` in the number boxes (blank for no preference)."""
        place = {app_id: n for n, app_id in enumerate(ranking, start=1)}
        for i in self.application_ids:
            self.box(i).data = str(place[i]) if i in place else ""

    def set_approved(self, approved: list[int]) -> None:
        for i in self.application_ids:
            self.box(i).data = i in approved

    def add_errors(self, errors: dict[int, str]) -> None:
        """Show the ballot service's problems beside the right boxes."""
        for app_id, message in errors.items():
            if app_id in self.application_ids:
                f = self.box(app_id)
                f.errors = list(f.errors) + [message]
            else:
                self.form_errors.append(message)


def ballot_form_class(applications: list[Application], *, approval: bool) -> type[BallotForm]:
    """A ballot for ``applications``: a choice number box each (or "I support this" ticks
    for approval), then Submit and Save as draft."""
    attrs: dict[str, Any] = {"application_ids": [a.id for a in applications],
                             "approval": approval}
    for a in applications:
        title = localised(a, "title")
        if approval:
            attrs[f"approve_{a.id}"] = BooleanField(html(_("I support %(title)s"), title=title))
        else:
            attrs[f"rank_{a.id}"] = StringField(
                _("Choice number for %(title)s", title=title.text),
                validators=[limit(RANK_MAX_LENGTH)],
            )
    attrs["submit_vote"] = SubmitField(_("Submit my vote"))
    attrs["save_draft"] = SubmitField(_("Save as draft"))
    return type("RoundBallotForm", (BallotForm,), attrs)


# --- Consent -----------------------------------------------------------------------------


class ConsentForm(BaseForm):
    """"I agree" or "I object" to the funded list; an objection names one application."""

    position = RadioField(
        _l("Do you agree with this list?"),
        choices=[SelectChoice(p.value, p.lazy()) for p in ConsentPosition],
        validate_choice=False,
    )
    application = SelectField(
        _l("Which application do you object to?"),
        description=_l("Choose one. You can object to only one application."),
        validate_choice=False,
    )
    reason = TextAreaField(
        _l("Why do you object to it?"),
        description=_l(
            "Only the panel and the grants team see your reason. It is never published."
        ),
        validators=[limit(CONSENT_REASON_MAX_LENGTH)],
    )
    submit = SubmitField(_l("Send my answer"))

    def set_applications(self, applications: list[Application]) -> None:
        self.application.choices = _choices(
            [("", _("Choose an application")),
             *((str(a.id), localised(a, "title").text) for a in applications)]
        )

    def application_id(self) -> int | None:
        data = str(self.application.data or "")
        return int(data) if re.fullmatch(r"[0-9]{1,9}", data) else None
