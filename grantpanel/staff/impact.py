"""Staff pages for presence and impact: choose the round's monitoring questions and target
make-up, read the monitoring report, and read the panel experience survey's summary.

Every number comes from ``services/monitoring.py`` and ``services/survey.py``, which suppress
small groups; these pages never see one person's answers.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice

from grantpanel.extensions import db
from grantpanel.forms_base import BaseForm, limit
from grantpanel.i18n import _, _l
from grantpanel.models import Round
from grantpanel.monitoring import PREFER_NOT, QUESTIONS, SMALLEST_GROUP, Question
from grantpanel.services import monitoring, survey
from grantpanel.staff import bp


def _slug(q: Question) -> str:
    return q.key.replace("-", "_")


class MonitoringSetupForm(BaseForm):
    """For each catalogue question: ask it or not, and an optional target ("at least N% of
    the people who answer give this answer")."""

    submit = SubmitField(_l("Save the questions"))


for _q in QUESTIONS:
    setattr(MonitoringSetupForm, f"ask_{_slug(_q)}", BooleanField(_l("Ask this question")))
    setattr(MonitoringSetupForm, f"target_{_slug(_q)}", SelectField(
        _l("Target group (optional)"),
        choices=[SelectChoice("", _l("No target")),
                 *(SelectChoice(o.key, o.label) for o in _q.options if o.key != PREFER_NOT)],
        validate_choice=False))
    setattr(MonitoringSetupForm, f"percent_{_slug(_q)}", StringField(
        _l("At least this percentage of the panel (1 to 100)"),
        description=_l("For example, 50."), validators=[limit(10)]))


def _round_or_404(round_id: int) -> Round:
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        abort(404)
    return rnd


def _percent(text: str) -> tuple[int | None, bool]:
    """(the whole number typed, or ``None`` if blank; whether it was readable)."""
    text = text.strip().rstrip("%").strip()
    if not text:
        return None, True
    if not text.isascii() or not text.isdigit() or len(text) > 3:  # 100 at most
        return None, False
    return int(text), True


@bp.route("/rounds/<int:round_id>/monitoring", endpoint="monitoring_report")
def monitoring_report(round_id: int) -> ResponseReturnValue:
    """Who is on the panel, from the anonymous answers, against the round's targets."""
    rnd = _round_or_404(round_id)
    return render_template("staff/monitoring_report.html", rnd=rnd,
                           report=monitoring.report(rnd), smallest=SMALLEST_GROUP)


@bp.route("/rounds/<int:round_id>/monitoring/questions", methods=["GET", "POST"],
          endpoint="monitoring_setup")
def monitoring_setup(round_id: int) -> ResponseReturnValue:
    """Choose which questions the round asks, and any target make-up."""
    rnd = _round_or_404(round_id)
    setup = monitoring.setup_for(rnd)
    form = MonitoringSetupForm()
    if request.method == "GET" and setup is not None:
        for q in QUESTIONS:
            form[f"ask_{_slug(q)}"].data = q.key in setup.questions
            target = setup.targets.get(q.key) or {}
            form[f"target_{_slug(q)}"].data = target.get("answer", "")
            form[f"percent_{_slug(q)}"].data = str(target.get("percent", ""))
    if form.validate_on_submit():
        asked = [q.key for q in QUESTIONS if form[f"ask_{_slug(q)}"].data]
        targets: dict[str, tuple[str, int | None]] = {}
        unreadable = False
        for q in QUESTIONS:
            percent, ok = _percent(form[f"percent_{_slug(q)}"].data or "")
            if not ok:
                form[f"percent_{_slug(q)}"].errors = [
                    _("Enter a whole number from 1 to 100, like 50.")]
                unreadable = True
            targets[q.key] = (form[f"target_{_slug(q)}"].data or "", percent)
        if not unreadable:
            try:
                monitoring.save_setup(rnd, asked, targets)
            except monitoring.MonitoringValidationError as e:
                db.session.rollback()
                for key, message in e.errors.items():
                    field = form._fields.get(f"target_{key.replace('-', '_')}")
                    if field is not None:
                        field.errors = [message]
            else:
                db.session.commit()
                flash(_("The questions are saved. Panel members see them on their panel "
                        "home page."))
                return redirect(url_for("staff.monitoring_report", round_id=round_id))
    rows: list[dict[str, Any]] = [
        {"question": q, "ask": form[f"ask_{_slug(q)}"], "target": form[f"target_{_slug(q)}"],
         "percent": form[f"percent_{_slug(q)}"]}
        for q in QUESTIONS
    ]
    return render_template("staff/monitoring_setup.html", rnd=rnd, form=form, rows=rows)


@bp.route("/rounds/<int:round_id>/survey", endpoint="survey_summary")
def survey_summary(round_id: int) -> ResponseReturnValue:
    """What the panel said about taking part, once 5 or more have answered."""
    rnd = _round_or_404(round_id)
    return render_template("staff/survey_summary.html", rnd=rnd, summary=survey.summary(rnd),
                           is_open=survey.is_open(rnd), smallest=SMALLEST_GROUP)
