"""Panel pages for presence and impact: the optional "about you" questions and the survey
after the round. Both are anonymous (see ``services/monitoring.py`` and
``services/survey.py``); both are answered once. The panel home links here through the
``impact_tasks`` template global.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import RadioField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from grantpanel.extensions import db
from grantpanel.forms_base import BaseForm, limit
from grantpanel.i18n import _, _l
from grantpanel.models import Membership
from grantpanel.monitoring import (
    AGREE_SCALE,
    FREE_TEXT,
    FREE_TEXT_MAX_LENGTH,
    STATEMENTS,
    AnswerKind,
    Question,
)
from grantpanel.panel import bp
from grantpanel.services import monitoring, survey


def field_name(key: str) -> str:
    """The form field for a question or statement key ("lived-experience" -> "q_lived_experience")."""
    return "q_" + key.replace("-", "_")


def monitoring_form_class(questions: list[Question]) -> type[BaseForm]:
    """A form with one optional field per asked question (radios, or ticks for a tick-all)."""

    class MonitoringForm(BaseForm):
        submit = SubmitField(_l("Send my answers"))

    for q in questions:
        choices = [SelectChoice(o.key, o.label) for o in q.options]
        field: Any
        if q.multiple:
            field = SelectMultipleField(
                q.label, description=q.hint, choices=choices, validate_choice=False,
                widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
        else:
            field = RadioField(q.label, description=q.hint, choices=choices,
                               validate_choice=False)
        setattr(MonitoringForm, field_name(q.key), field)
    return MonitoringForm


class SurveyForm(BaseForm):
    """The experience survey: a 5-point agree scale per statement and two free-text boxes."""

    worked_well = TextAreaField(FREE_TEXT[0].label, validators=[limit(FREE_TEXT_MAX_LENGTH)])
    change = TextAreaField(FREE_TEXT[1].label, validators=[limit(FREE_TEXT_MAX_LENGTH)])
    submit = SubmitField(_l("Send my answers"))


for _statement in STATEMENTS:
    setattr(SurveyForm, field_name(_statement.key), RadioField(
        _statement.label, choices=[SelectChoice(o.key, o.label) for o in AGREE_SCALE],
        validate_choice=False))


def _membership(round_id: int) -> Membership:
    m = db.session.scalar(select(Membership).where(
        Membership.round_id == round_id, Membership.user_id == current_user.id))
    if m is None:
        abort(404)
    return m


@bp.app_template_global("impact_tasks")
def impact_tasks(membership: Membership) -> list[dict[str, Any]]:
    """What the panel home offers a member on one round: the "about you" questions (when
    the round asks them) and the survey (once it is open), each with whether it is done."""
    rnd = membership.round
    out: list[dict[str, Any]] = []
    if monitoring.asked_questions(rnd):
        out.append({"kind": "monitoring",
                    "done": monitoring.has_answered(membership, AnswerKind.MONITORING),
                    "link": url_for("panel.monitoring", round_id=rnd.id)})
    if survey.is_open(rnd):
        out.append({"kind": "survey",
                    "done": monitoring.has_answered(membership, AnswerKind.SURVEY),
                    "link": url_for("panel.survey", round_id=rnd.id)})
    return out


def _add_errors(form: BaseForm, errors: dict[str, str], names: dict[str, str]) -> None:
    for key, message in errors.items():
        field = form[names.get(key, key)]
        field.errors = [*field.errors, message]


def _save(round_id: int, endpoint: str, form: Any, save: Callable[[], None],
          fields: dict[str, str], invalid: type[Exception],
          refused: type[Exception]) -> ResponseReturnValue | None:
    """Save one set of anonymous answers (``save``), the same way for both question sets:
    a field's problem beside it, a refusal or a second answer as a notice, else thanks.
    ``None`` when the form is shown again with its problems."""
    back = redirect(url_for(endpoint, round_id=round_id))
    try:
        save()
    except invalid as e:
        db.session.rollback()
        _add_errors(form, e.errors, fields)  # type: ignore[attr-defined]
        return None
    except refused as e:
        db.session.rollback()
        flash(str(e))
        return back
    except IntegrityError:  # a second answer sent at the same moment
        db.session.rollback()
        flash(_("You have already answered. Thank you."))
        return back
    db.session.commit()
    flash(_("Thank you. Your answers are saved without your name."))
    return back


@bp.route("/rounds/<int:round_id>/monitoring", methods=["GET", "POST"], endpoint="monitoring")
def monitoring_page(round_id: int) -> ResponseReturnValue:
    """The optional, anonymous "about you" questions the round asks."""
    m = _membership(round_id)
    questions = monitoring.asked_questions(m.round)
    if not questions:
        abort(404)
    answered = monitoring.has_answered(m, AnswerKind.MONITORING)
    form = monitoring_form_class(questions)()
    if not answered and form.validate_on_submit():
        answers = {q.key: form[field_name(q.key)].data for q in questions}
        done = _save(round_id, "panel.monitoring", form,
                     lambda: monitoring.record_answers(m, answers),
                     {q.key: field_name(q.key) for q in questions},
                     monitoring.MonitoringValidationError, monitoring.MonitoringError)
        if done is not None:
            return done
    return render_template("panel/monitoring_form.html", round=m.round, form=form,
                           questions=questions, answered=answered, field_name=field_name)


@bp.route("/rounds/<int:round_id>/survey", methods=["GET", "POST"], endpoint="survey")
def survey_page(round_id: int) -> ResponseReturnValue:
    """The anonymous survey on how taking part went, open once the decision is published."""
    m = _membership(round_id)
    if not survey.is_open(m.round):
        abort(404)
    answered = monitoring.has_answered(m, AnswerKind.SURVEY)
    form = SurveyForm()
    if not answered and form.validate_on_submit():
        ratings = {s.key: form[field_name(s.key)].data or "" for s in STATEMENTS}
        done = _save(round_id, "panel.survey", form,
                     lambda: survey.record_answers(m, ratings, form.worked_well.data or "",
                                                   form.change.data or ""),
                     {s.key: field_name(s.key) for s in STATEMENTS},
                     survey.SurveyValidationError, survey.SurveyError)
        if done is not None:
            return done
    return render_template("panel/survey_form.html", round=m.round, form=form,
                           statements=STATEMENTS, answered=answered, field_name=field_name)
