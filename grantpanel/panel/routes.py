"""The panel member's journey: rounds, conflicts first, the queue, and the score sheet.

Every rule (who may open what, what a valid sheet is, when others' scores show) lives in
``services/conflicts.py`` and ``services/scoring.py``; these views look things up, call the
services, commit once, and redirect after a successful POST.

The score sheet also answers the page's automatic draft saving (``static/autosave.js``): a
POST with the header ``X-Requested-With: fetch`` gets ``204 No Content`` when the draft is
saved, or a small JSON ``{"saved": false, "message": ...}`` with a 4xx status when it is not,
never a redirect or a page.
"""

from __future__ import annotations

from typing import TypeVar

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.exceptions import Forbidden
from wtforms import Field, TextAreaField
from wtforms.validators import ValidationError

from grantpanel.extensions import db
from grantpanel.i18n import _, _l, ngettext
from grantpanel.models import Application, Conflict, Membership, ScoreSheet, as_utc
from grantpanel.panel import bp
from grantpanel.panel.forms import (
    ConflictsForm,
    DeclareConflictForm,
    ScoreSheetForm,
    conflicts_form_class,
    score_sheet_class,
)
from grantpanel.services import conflicts, scoring
from grantpanel.vocabulary import QueueStatus, SheetStatus

STATUS_TAGS = {k.value: k.tag for k in QueueStatus}  # see grantpanel.vocabulary


def _membership(round_id: int) -> Membership:
    """The signed-in member's place on the round; 404 for anyone not on it."""
    m = db.session.scalar(
        select(Membership).where(
            Membership.round_id == round_id, Membership.user_id == current_user.id
        )
    )
    if m is None:
        abort(404)
    return m


def _application(membership: Membership, application_id: int) -> Application:
    a = db.session.get(Application, application_id)
    if a is None or a.round_id != membership.round_id or not a.eligible:
        abort(404)
    return a


def _stepped_aside() -> Forbidden:
    err = Forbidden(
        _(
            "You told us you have a connection to this applicant, so you do not see or score "
            "their application. Thank you for being open about it."
        )
    )
    setattr(err, "plain", True)  # noqa: B010  (errors.py shows a 'plain' description)
    return err


def _round_link(m: Membership) -> str:
    if conflicts.needs_conflict_check(m):
        return url_for("panel.check_conflicts", round_id=m.round_id)
    return url_for("panel.round_queue", round_id=m.round_id)


def _is_autosave() -> bool:
    """A draft save from the score sheet's script, which wants a status, not a page."""
    return request.method == "POST" and request.headers.get("X-Requested-With") == "fetch"


def _autosave_refused(message: str, status: int) -> ResponseReturnValue:
    return jsonify(saved=False, message=message), status


def _sheet_version(sheet: ScoreSheet | None) -> str:
    """Names the saved state of a sheet, so the page can tell whether its stored copy of
    unsaved answers was made from what the server holds now."""
    if sheet is None or sheet.status == SheetStatus.WITHDRAWN:
        return ""
    return as_utc(sheet.updated_at).isoformat()


@bp.route("/")
def home() -> ResponseReturnValue:
    memberships = list(
        db.session.scalars(
            select(Membership)
            .where(Membership.user_id == current_user.id)
            .order_by(Membership.created_at.desc(), Membership.id.desc())
        )
    )
    rounds = [
        {"membership": m, "round": m.round, "link": _round_link(m),
         "checked": conflicts.conflicts_checked(m),
         "new_to_check": conflicts.needs_conflict_check(m)}
        for m in memberships
    ]
    return render_template("panel/home.html", rounds=rounds)


REASON_LABEL = _l("Why are you telling us now?")
REASON_HINT = _l(
    "Scoring has closed, so stepping aside now takes your score out of a count that may "
    "already have been seen. "
    "Tell us briefly why. Your reason is published with the decision (not your name), so do "
    "not include names or private details. Up to %(max)s characters.",
    max=format(conflicts.REASON_MAX_LENGTH, ","),
)

_F = TypeVar("_F", bound=FlaskForm)


def _with_reason(base: type[_F]) -> type[_F]:
    """``base`` plus the published reason a conflict needs once scoring has closed.

    On the conflicts screen the reason is needed only when an applicant is ticked; the rule
    for a good reason is :func:`grantpanel.services.conflicts.reason_problem`.
    """

    def validate_reason(form: FlaskForm, field: Field) -> None:
        if isinstance(form, ConflictsForm) and not form.ticked():
            return
        problem = conflicts.reason_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    attrs = {
        "reason": TextAreaField(REASON_LABEL, description=REASON_HINT),
        "validate_reason": validate_reason,
    }
    return type(f"{base.__name__}WithReason", (base,), attrs)


@bp.route("/rounds/<int:round_id>/conflicts", methods=["GET", "POST"])
def check_conflicts(round_id: int) -> ResponseReturnValue:
    m = _membership(round_id)
    declared = list(db.session.scalars(conflicts.conflicts_for(m)))
    declared_ids = {c.application_id for c in declared}
    if not conflicts.can_declare(m.round):
        # The decision is confirmed: nothing to tick; show what they told us and who to ask.
        return render_template(
            "panel/conflicts.html", membership=m, round=m.round, form=None,
            applications=[], added_since=False, declared=declared,
            category_labels=conflicts.CATEGORY_LABELS, needs_reason=False,
        )
    unchecked = conflicts.unchecked_applications(m)
    # Added since the member last checked: ask about those only. Otherwise (first visit, or a
    # look back) every applicant they have not already told us about.
    added_since = conflicts.conflicts_checked(m) and bool(unchecked)
    applications = unchecked or [
        a for a in conflicts.round_applications(m) if a.id not in declared_ids
    ]
    needs_reason = conflicts.needs_reason(m.round)
    form_class = conflicts_form_class(applications)
    form = (_with_reason(form_class) if needs_reason else form_class)()
    listed = ",".join(str(a.id) for a in applications)
    if applications and form.validate_on_submit():
        if form.shown.data and form.shown.data != listed:
            # An application was added (or changed) between showing the page and confirming.
            form.form_errors.append(
                _(
                    "The list of applicants changed while you were checking it. Look at the "
                    "list again, then confirm."
                )
            )
        else:
            ticked = form.ticked()
            reason = (form.reason.data or "") if needs_reason else ""
            try:
                for a in applications:
                    if a.id in ticked:
                        conflicts.declare_conflict(
                            m,
                            a,
                            category=form.category(a.id).data,
                            note=form.note(a.id).data or "",
                            declared_by=current_user,
                            reason=reason,
                        )
            except conflicts.ConflictError as e:
                db.session.rollback()
                form.form_errors.append(str(e))
                return _conflicts_page(m, form, applications, added_since, declared,
                                       needs_reason)
            conflicts.mark_conflicts_checked(m)
            db.session.commit()
            if ticked:
                flash(
                    ngettext(
                        "Thank you. You will not see or score the %(num)d application you "
                        "have a connection to.",
                        "Thank you. You will not see or score the %(num)d applications you "
                        "have a connection to.",
                        len(ticked),
                    )
                )
            elif added_since:
                flash(_("Thank you. You have told us you have no ties to the new applicants."))
            else:
                flash(
                    _("Thank you. You have told us you have no ties to any of the applicants.")
                )
            return redirect(url_for("panel.round_queue", round_id=round_id))
    form.shown.data = listed
    return _conflicts_page(m, form, applications, added_since, declared, needs_reason)


def _conflicts_page(m: Membership, form: ConflictsForm, applications: list[Application],
                    added_since: bool, declared: list[Conflict],
                    needs_reason: bool) -> ResponseReturnValue:
    return render_template(
        "panel/conflicts.html",
        membership=m,
        round=m.round,
        form=form,
        applications=applications,
        added_since=added_since,
        declared=declared,
        category_labels=conflicts.CATEGORY_LABELS,
        needs_reason=needs_reason,
    )


@bp.route("/rounds/<int:round_id>/")
def round_queue(round_id: int) -> ResponseReturnValue:
    m = _membership(round_id)
    if conflicts.needs_conflict_check(m):
        return redirect(url_for("panel.check_conflicts", round_id=round_id))
    items = scoring.queue(m)
    submitted, total = scoring.progress(items)
    return render_template(
        "panel/queue.html",
        membership=m,
        round=m.round,
        items=items,
        submitted=submitted,
        total=total,
        status_tags=STATUS_TAGS,
        stepped_aside=len(conflicts.conflicted_application_ids(m)),
    )


@bp.route(
    "/rounds/<int:round_id>/applications/<int:application_id>", methods=["GET", "POST"]
)
def application(round_id: int, application_id: int) -> ResponseReturnValue:
    m = _membership(round_id)
    a = _application(m, application_id)
    autosave = _is_autosave()
    try:
        scoring.check_can_open(m, a)
    except scoring.ConflictsNotCheckedError as e:
        if autosave:
            return _autosave_refused(str(e), 409)
        flash(str(e))
        return redirect(url_for("panel.check_conflicts", round_id=round_id))
    except scoring.ConflictedError as e:
        if autosave:
            return _autosave_refused(str(e), 403)
        raise _stepped_aside() from None
    except scoring.ScoringError:
        abort(404)

    rnd = m.round
    criteria = list(rnd.criteria)
    form = score_sheet_class(criteria)()
    if autosave:
        return _autosave(m, a, form)
    sheet = scoring.sheet_for(m, a)
    if request.method == "GET" and sheet is not None and sheet.status != SheetStatus.WITHDRAWN:
        form.load(sheet.scores, sheet.panel_note, sheet.feedback)

    if form.validate_on_submit():
        submit = form.submitting
        try:
            scoring.save_sheet(
                m,
                a,
                scores=form.scores(),
                panel_note=form.panel_note.data or "",
                feedback=form.feedback.data or "",
                submit=submit,
                actor=current_user,
            )
        except scoring.ScoreValidationError as e:
            db.session.rollback()
            form.add_errors(e.errors)
        except scoring.ScoringError as e:
            db.session.rollback()
            form.form_errors.append(str(e))
        else:
            db.session.commit()
            if submit:
                return redirect(
                    url_for("panel.submitted", round_id=round_id, application_id=a.id)
                )
            flash(
                _(
                    "Your draft is saved. It does not count until you submit it. You can come "
                    "back to it at any time before scoring closes."
                )
            )
            return redirect(url_for("panel.application", round_id=round_id, application_id=a.id))

    already_submitted = sheet is not None and sheet.status == SheetStatus.SUBMITTED
    if already_submitted:
        form.submit_scores.label.text = _("Submit my changed scores")
    can_score = scoring.is_open_for_scoring(rnd)
    return render_template(
        "panel/application.html",
        membership=m,
        round=rnd,
        application=a,
        criteria=criteria,
        form=form,
        sheet=sheet,
        already_submitted=already_submitted,
        others=scoring.others_scores(m, a),
        can_score=can_score,
        autosave_on=can_score and not already_submitted,
        sheet_version=_sheet_version(sheet),
    )


def _autosave(m: Membership, a: Application, form: ScoreSheetForm) -> ResponseReturnValue:
    """Answer the score sheet script's draft save: 204 when saved, else JSON and a 4xx."""
    if not form.validate_on_submit():
        first = next(iter(form.errors.values()), [_("Some answers could not be read.")])
        return _autosave_refused(str(first[0]), 422)
    try:
        sheet = scoring.autosave_draft(
            m,
            a,
            scores=form.scores(),
            panel_note=form.panel_note.data or "",
            feedback=form.feedback.data or "",
            actor=current_user,
        )
    except scoring.ScoreValidationError as e:
        db.session.rollback()
        return _autosave_refused(str(e), 422)
    except scoring.ScoringError as e:
        db.session.rollback()
        return _autosave_refused(str(e), 409)
    db.session.commit()
    return "", 204, {"X-Draft-Version": _sheet_version(sheet)}


@bp.route("/rounds/<int:round_id>/applications/<int:application_id>/submitted")
def submitted(round_id: int, application_id: int) -> ResponseReturnValue:
    m = _membership(round_id)
    a = _application(m, application_id)
    try:
        scoring.check_can_open(m, a)
    except scoring.ConflictedError:
        raise _stepped_aside() from None
    except scoring.ScoringError:
        return redirect(url_for("panel.round_queue", round_id=round_id))
    sheet = scoring.sheet_for(m, a)
    if sheet is None or sheet.status != SheetStatus.SUBMITTED:
        return redirect(url_for("panel.application", round_id=round_id, application_id=a.id))
    items = scoring.queue(m)
    done, total = scoring.progress(items)
    return render_template(
        "panel/submitted.html",
        membership=m,
        round=m.round,
        application=a,
        next_application=scoring.next_to_score(items, a),
        submitted=done,
        total=total,
    )


@bp.route(
    "/rounds/<int:round_id>/applications/<int:application_id>/conflict",
    methods=["GET", "POST"],
)
def declare_conflict(round_id: int, application_id: int) -> ResponseReturnValue:
    m = _membership(round_id)
    a = _application(m, application_id)
    if conflicts.is_conflicted(m, a):
        raise _stepped_aside()
    if not conflicts.can_declare(m.round):
        return render_template(
            "panel/declare_conflict.html", membership=m, round=m.round, application=a,
            form=None, needs_reason=False,
        )
    needs_reason = conflicts.needs_reason(m.round)
    form = (_with_reason(DeclareConflictForm) if needs_reason else DeclareConflictForm)()
    if form.validate_on_submit():
        try:
            conflicts.declare_conflict(
                m, a, category=form.category.data, note=form.note.data or "",
                declared_by=current_user,
                reason=(form.reason.data or "") if needs_reason else "",
            )
        except conflicts.ConflictError as e:
            db.session.rollback()
            form.form_errors.append(str(e))
        else:
            db.session.commit()
            flash(
                _(
                    "Thank you. You have stepped aside from %(title)s. It is no longer in your "
                    "list, and any scores you gave it will not count.",
                    title=a.title,
                )
            )
            return redirect(url_for("panel.round_queue", round_id=round_id))
    return render_template(
        "panel/declare_conflict.html", membership=m, round=m.round, application=a, form=form,
        needs_reason=needs_reason,
    )
