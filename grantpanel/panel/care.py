"""Panel care for members (issue 9): "I'd rather not score this one".

A member may skip an application (often one with a content warning) without penalty: it
leaves their list and their counts, and it is not a conflict. The rules live in
``services/panel_care.py``; this view reads the form, calls the service and commits.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from wtforms import Field, SubmitField, TextAreaField
from wtforms.validators import ValidationError

from grantpanel.extensions import db
from grantpanel.forms_base import BaseForm, limit
from grantpanel.i18n import _, _l
from grantpanel.models import Application, Membership
from grantpanel.panel import bp
from grantpanel.panel.routes import _plain_forbidden, _stepped_aside
from grantpanel.services import panel_care, scoring
from grantpanel.services.content import localised


class SkipForm(BaseForm):
    """"I'd rather not score this one", with an optional short note to staff."""

    note = TextAreaField(
        _l("Anything you want to tell the grants team (optional)"),
        description=_l("Only the grants team sees this. You do not have to say why. Up to "
                       "%(num)s characters.", num=f"{panel_care.SKIP_NOTE_MAX:,}"),
        validators=[limit(panel_care.SKIP_NOTE_MAX, _l("your note"))],
    )
    submit = SubmitField(_l("I'd rather not score this one"))

    def validate_note(self, field: Field) -> None:
        if field.errors:  # the length limit already said what is wrong
            return
        problem = panel_care.skip_note_problem((field.data or "").strip())
        if problem:
            raise ValidationError(problem)


def _membership(round_id: int) -> Membership:
    m = db.session.scalar(select(Membership).where(
        Membership.round_id == round_id, Membership.user_id == current_user.id))
    if m is None:
        abort(404)
    return m


@bp.route("/rounds/<int:round_id>/applications/<int:application_id>/skip",
          methods=["GET", "POST"])
def skip(round_id: int, application_id: int) -> ResponseReturnValue:
    """Ask once, plainly; skipping takes the application out of the member's list."""
    m = _membership(round_id)
    a = db.session.get(Application, application_id)
    if a is None or a.round_id != m.round_id or not a.eligible:
        abort(404)
    problem = ""
    try:
        scoring.check_can_open(m, a)
    except scoring.ConflictsNotCheckedError:
        return redirect(url_for("panel.check_conflicts", round_id=round_id))
    except scoring.ConflictedError:
        raise _stepped_aside() from None
    except scoring.NotAssignedError as e:
        raise _plain_forbidden(str(e)) from None
    except scoring.ScoringError as e:
        problem = str(e)
    if not problem and not scoring.is_open_for_scoring(m.round):
        problem = _("Scoring is not open for this round, so nothing can be changed now.")
    form = SkipForm()
    if not problem and form.validate_on_submit():
        try:
            panel_care.skip(m, a, note=form.note.data or "", actor=current_user)
        except (scoring.ScoringError, panel_care.CareError) as e:
            db.session.rollback()
            form.form_errors.append(str(e))
        else:
            db.session.commit()
            flash(_("You will not score %(title)s. It is no longer in your list. Thank you "
                    "for telling us.", title=localised(a, "title").text))
            return redirect(url_for("panel.round_queue", round_id=round_id))
    return render_template("panel/skip.html", membership=m, round=m.round, application=a,
                           form=form, problem=problem)
