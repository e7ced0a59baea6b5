"""Staff pages for panel care (issue 9): a member's own page with their deadline extension and
their applications, and the assisted score sheet (staff enter a member's scores for them).

Views stay thin: the rules live in ``services/panel_care.py`` and ``services/scoring.py``.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from grantpanel.extensions import db
from grantpanel.i18n import _, date_text
from grantpanel.models import Application, Membership, Round, utcnow
from grantpanel.panel.forms import ScoreSheetForm, score_sheet_class
from grantpanel.services import applications as apps_service
from grantpanel.services import panel_admin, panel_care, scoring
from grantpanel.staff import bp
from grantpanel.staff.care_forms import ExtensionForm
from grantpanel.vocabulary import QueueStatus, SheetStatus


def _round_or_404(round_id: int) -> Round:
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        abort(404)
    return rnd


def _member_or_404(rnd: Round, membership_id: int) -> Membership:
    member = panel_admin.get_member(rnd, membership_id)
    if member is None:
        abort(404)
    return member


@bp.route("/rounds/<int:round_id>/panel/<int:membership_id>/care", methods=["GET", "POST"])
def member_care(round_id: int, membership_id: int) -> ResponseReturnValue:
    """One member: their deadline (and an extension), and their applications, each with a
    link to enter scores on their behalf."""
    rnd = _round_or_404(round_id)
    m = _member_or_404(rnd, membership_id)
    form = ExtensionForm()
    can_extend = panel_care.can_extend(rnd)
    if request.method == "POST" and can_extend and form.validate_on_submit():
        until = None if form.remove.data else form.extended_until.data
        if until is None and not form.remove.data:
            form.extended_until.errors = [_("Enter the last day this member can score.")]
        else:
            try:
                panel_care.set_extension(m, until, current_user, today=utcnow().date())
            except panel_care.CareError as e:
                db.session.rollback()
                form.extended_until.errors = [str(e)]
            else:
                db.session.commit()
                flash(_("%(member)s now has until %(date)s to finish scoring.",
                        member=m.pseudonym, date=date_text(until)) if until else
                      _("%(member)s has no extension now.", member=m.pseudonym))
                return redirect(url_for("staff.member_care", round_id=rnd.id,
                                        membership_id=m.id))
    elif request.method != "POST":
        form.extended_until.data = m.extended_until
    return render_template(
        "staff/member_care.html", rnd=rnd, member=m, form=form, can_extend=can_extend,
        deadline=panel_care.member_deadline(m),
        items=scoring.queue(m) if m.conflicts_checked_at is not None else [],
        can_enter=scoring.is_open_for_scoring(rnd),
        status_tags={k.value: k.tag for k in QueueStatus},
    )


@bp.route("/rounds/<int:round_id>/panel/<int:membership_id>/applications/"
          "<int:application_id>/assist", methods=["GET", "POST"])
def assisted_sheet(round_id: int, membership_id: int,
                   application_id: int) -> ResponseReturnValue:
    """Enter a member's scores for them (they phoned them in, or staff sat with them)."""
    rnd = _round_or_404(round_id)
    m = _member_or_404(rnd, membership_id)
    a: Application | None = apps_service.get_in_round(rnd, application_id)
    if a is None:
        abort(404)
    problem = ""
    try:
        scoring.check_can_open(m, a)
    except scoring.ScoringError as e:
        problem = str(e)
    criteria = list(rnd.criteria)
    form: ScoreSheetForm = score_sheet_class(
        criteria, objection=scoring.objections_allowed(rnd, 1))()
    sheet = scoring.sheet_for(m, a)
    if request.method != "POST" and sheet is not None \
            and sheet.status != SheetStatus.WITHDRAWN:
        form.load(sheet.scores, sheet.panel_note, sheet.feedback, sheet.objection,
                  sheet.objection_reason)
    can_enter = not problem and scoring.is_open_for_scoring(rnd)
    if can_enter and form.validate_on_submit():
        objection, objection_reason = form.objection_answer()
        try:
            panel_care.assisted_save(
                m, a, scores=form.scores(), panel_note=form.panel_note.data or "",
                feedback=form.feedback.data or "", submit=form.submitting,
                actor=current_user, objection=objection, objection_reason=objection_reason,
            )
        except scoring.ScoreValidationError as e:
            db.session.rollback()
            objection_problem = e.errors.pop(scoring.OBJECTION_KEY, None)
            if objection_problem:
                form.form_errors.append(objection_problem)
            form.add_errors(e.errors)
        except scoring.ScoringError as e:
            db.session.rollback()
            form.form_errors.append(str(e))
        else:
            db.session.commit()
            flash(_("The scores for %(reference)s are submitted for %(member)s.",
                    reference=a.reference, member=m.pseudonym) if form.submitting else
                  _("A draft of the scores for %(reference)s is saved for %(member)s.",
                    reference=a.reference, member=m.pseudonym))
            return redirect(url_for("staff.member_care", round_id=rnd.id,
                                    membership_id=m.id))
    return render_template(
        "staff/assisted_sheet.html", rnd=rnd, member=m, application=a, form=form,
        sheet=sheet, problem=problem, can_enter=can_enter,
    )
