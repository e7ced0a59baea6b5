"""Staff pages for applicant feedback: the round's list, edits with a reason, secret links,
emailing a link, releasing feedback, and how applicants can question the decision.

The rules live in ``services/feedback.py``; these views parse, call it, commit and render.
A new link is shown once (kept in the session for the very next page, like an invitation
link) and never logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired

from grantpanel.extensions import db
from grantpanel.forms_base import BaseForm, limit
from grantpanel.i18n import _, _l
from grantpanel.models import Application, Round
from grantpanel.services import audit, content, mail
from grantpanel.services import feedback as fb
from grantpanel.services import messages as msg
from grantpanel.staff import bp
from grantpanel.staff.forms import ActionForm

_LINK_KEY = "staff_feedback_link"
WELSH_INPUT = {"lang": "cy"}


class QuestionRouteForm(BaseForm):
    question_route = TextAreaField(
        _l("How to question this decision"),
        description=_l("Plain words for applicants: who to contact (an email address or "
                       "phone number) and what happens next. You can change it at any time."),
        validators=[limit(fb.QUESTION_ROUTE_MAX_LENGTH)],
    )
    question_route_cy = TextAreaField(
        _l("How to question this decision, in Welsh (optional)"),
        render_kw=WELSH_INPUT,
        validators=[limit(fb.QUESTION_ROUTE_MAX_LENGTH)],
    )
    submit = SubmitField(_l("Save"))


def build_edit_form(sheets: list[fb.SheetFeedback], formdata: Any = None) -> BaseForm:
    """One box per piece of panel feedback (what the applicant will read) and a reason."""

    class EditForm(BaseForm):
        reason = TextAreaField(
            _l("Why are you changing it?"),
            description=_l("Required. Other staff see this reason with the change."),
            validators=[DataRequired(_l("Write a short reason for the change.")),
                        limit(fb.REASON_MAX_LENGTH)],
        )
        submit = SubmitField(_l("Save the changes"))

    for i, sheet in enumerate(sheets, start=1):
        setattr(EditForm, f"sheet_{sheet.sheet_id}", TextAreaField(
            _("Feedback %(number)d: what the applicant will read", number=i),
            description=_("Leave it empty to leave this feedback out."),
            validators=[limit(fb.FEEDBACK_MAX_LENGTH)],
            default=sheet.shown,
        ))
    return EditForm(formdata=formdata)


@dataclass(frozen=True)
class Row:
    application: Application
    feedback: int
    has_link: bool


@dataclass(frozen=True)
class Listing:
    rows: list[Row]
    page: int
    pages: int
    total: int


def _round_or_404(round_id: int) -> Round:
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        abort(404)
    return rnd


def _application_or_404(rnd: Round, application_id: int) -> Application:
    app = db.session.get(Application, application_id)
    if app is None or app.round_id != rnd.id:
        abort(404)
    return app


def _check_form() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


def _listing(rnd: Round) -> Listing:
    total = db.session.scalar(
        select(func.count()).select_from(Application).where(Application.round_id == rnd.id)
    ) or 0
    pages = max(1, -(-int(total) // fb.PAGE_SIZE))
    page = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
    apps = list(db.session.scalars(
        select(Application).where(Application.round_id == rnd.id)
        .order_by(Application.reference).limit(fb.PAGE_SIZE).offset((page - 1) * fb.PAGE_SIZE)
    ))
    ids = [a.id for a in apps]
    counts = fb.feedback_counts(ids)
    linked = fb.has_link(ids)
    rows = [Row(a, counts.get(a.id, 0), a.id in linked) for a in apps]
    return Listing(rows, page, pages, int(total))


def _render_list(rnd: Round, route_form: QuestionRouteForm, status: int = 200
                 ) -> ResponseReturnValue:
    stored = session.get(_LINK_KEY)
    new_link = None
    if isinstance(stored, dict) and stored.get("round_id") == rnd.id:
        new_link = {"reference": str(stored.get("reference")), "url": str(stored.get("url"))}
        session.pop(_LINK_KEY, None)
    page = render_template(
        "staff/feedback.html", rnd=rnd, listing=_listing(rnd), route_form=route_form,
        new_link=new_link, action_form=ActionForm(), email_on=mail.enabled(),
    )
    return page, status


@bp.route("/rounds/<int:round_id>/feedback")
def feedback(round_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    form = QuestionRouteForm(formdata=None)
    form.question_route.data = rnd.question_route
    form.question_route_cy.data = content.stored(rnd, content.WELSH, "question_route") or ""
    return _render_list(rnd, form)


@bp.route("/rounds/<int:round_id>/feedback-route", methods=["POST"])
def feedback_question_route(round_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    form = QuestionRouteForm()
    if form.validate_on_submit():
        try:
            changed = fb.set_question_route(rnd, current_user,
                                            english=form.question_route.data or "",
                                            welsh=form.question_route_cy.data or "")
        except fb.FeedbackError as e:
            form.question_route.errors = [str(e)]
        else:
            db.session.commit()
            flash(_("How to question this decision is saved.") if changed
                  else _("Nothing was changed."))
            return redirect(url_for("staff.feedback", round_id=rnd.id))
    return _render_list(rnd, form, 400)


@bp.route("/rounds/<int:round_id>/feedback-release", methods=["GET", "POST"])
def feedback_release(round_id: int) -> ResponseReturnValue:
    """GET: the confirmation (how many applications have no feedback); POST: release."""
    rnd = _round_or_404(round_id)
    form = ActionForm()
    if request.method == "POST":
        _check_form()
        try:
            fb.release(rnd, current_user)
        except fb.FeedbackError as e:
            db.session.rollback()
            flash(str(e))
        else:
            db.session.commit()
            flash(_("Feedback is released. Applicants can now open their links."))
        return redirect(url_for("staff.feedback", round_id=rnd.id))
    total = len(rnd.applications)
    return render_template("staff/feedback_release.html", rnd=rnd, action_form=form,
                           missing=fb.without_feedback(rnd), total=total)


@bp.route("/rounds/<int:round_id>/applications/<int:application_id>/feedback-link",
          methods=["POST"])
def feedback_link(round_id: int, application_id: int) -> ResponseReturnValue:
    """Make a new secret link (the old one stops working) and show it once."""
    rnd = _round_or_404(round_id)
    app = _application_or_404(rnd, application_id)
    _check_form()
    token = fb.new_link(app, current_user)
    db.session.commit()
    session[_LINK_KEY] = {"round_id": rnd.id, "reference": app.reference,
                          "url": url_for("public.applicant_feedback", token=token,
                                         _external=True)}
    return redirect(url_for("staff.feedback", round_id=rnd.id))


@bp.route("/rounds/<int:round_id>/applications/<int:application_id>/feedback-email",
          methods=["POST"])
def feedback_email(round_id: int, application_id: int) -> ResponseReturnValue:
    """Make a new secret link (the old one stops working) and email it to the applicant."""
    rnd = _round_or_404(round_id)
    app = _application_or_404(rnd, application_id)
    _check_form()
    back = redirect(url_for("staff.feedback", round_id=rnd.id))
    if not mail.enabled():
        flash(_("Email is off on this site, so nothing was sent. Make a link and pass it on."))
        return back
    if not app.contact_email or app.erased_at is not None:
        flash(_("%(reference)s has no email address. Make a link and pass it on another way.",
                reference=app.reference))
        return back
    token = fb.new_link(app, current_user)
    db.session.commit()
    link = url_for("public.applicant_feedback", token=token, _external=True)
    report = mail.send_all([msg.feedback_email(app, link)], kind=msg.Kind.FEEDBACK.value)
    if report.sent:
        audit.record("feedback.emailed", actor=current_user, round_id=rnd.id,
                     application_id=app.id)
        db.session.commit()
        flash(_("The feedback link is emailed for %(reference)s. Any earlier link no longer "
                "works.", reference=app.reference))
    else:
        session[_LINK_KEY] = {"round_id": rnd.id, "reference": app.reference, "url": link}
        for failure in report.failed:
            flash(_("The email could not be sent: %(reason)s", reason=failure.reason))
    return back


@bp.route("/rounds/<int:round_id>/applications/<int:application_id>/feedback",
          methods=["GET", "POST"])
def feedback_edit(round_id: int, application_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    app = _application_or_404(rnd, application_id)
    sheets = fb.sheet_feedback(app)
    form = build_edit_form(sheets, request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.validate():
            texts = {s.sheet_id: form[f"sheet_{s.sheet_id}"].data or "" for s in sheets}
            try:
                fb.edit_feedback(app, current_user, texts=texts,
                                 reason=form.reason.data or "")
            except fb.FeedbackError as e:
                form.form_errors.append(str(e))
            else:
                db.session.commit()
                flash(_("The feedback for %(reference)s is saved. The panel's own words are "
                        "kept as they were.", reference=app.reference))
                return redirect(url_for("staff.feedback_edit", round_id=rnd.id,
                                        application_id=app.id))
        status = 400
    return render_template("staff/feedback_edit.html", rnd=rnd, app=app, sheets=sheets,
                           form=form), status
