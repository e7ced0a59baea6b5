"""Everything grants staff do: rounds, rubric, applications, panel, conflicts, count, audit.

Views are thin: parse the form, call a service, commit once, redirect with a plain
confirmation; or render the form again with the problem beside the field. Services never
commit and never touch the request.
"""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm

from grantpanel import lifecycle
from grantpanel.extensions import db
from grantpanel.i18n import _, ngettext
from grantpanel.models import Criterion, Round
from grantpanel.services import (
    accounts,
    audit,
    counting,
    jobs,
    panel_admin,
    panel_care,
    rounds,
    stages,
    step_checks,
)
from grantpanel.services import applications as apps_service
from grantpanel.services import conflicts as conflicts_service
from grantpanel.staff import bp
from grantpanel.staff.forms import (
    ActionForm,
    ApplicationForm,
    ConflictForm,
    CriterionForm,
    EligibilityForm,
    ImportForm,
    MemberForm,
    RoundForm,
    StagesForm,
    options,
)
from grantpanel.staff.messages import notify_after_step
from grantpanel.vocabulary import Aggregation, FitRule, FundingRule, StageKind
from voting.panel import InputError

_INVITATION_KEY = "staff_invitation_link"
# Steps that are taken from the count page (with its form), not by a bare button.
_COUNT_PAGE_STEPS = ("decide",)


def _round_or_404(round_id: int) -> Round:
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        abort(404)
    return rnd


def _form_problem(form: FlaskForm, message: str) -> None:
    """Show a service's refusal at the top of the form's error summary."""
    form.form_errors.append(message)


# --- dashboard and rounds --------------------------------------------------------------------


@bp.route("/")
def dashboard() -> ResponseReturnValue:
    all_rounds = db.session.scalars(rounds.all_rounds()).all()
    return render_template("staff/dashboard.html", rounds=all_rounds)


def _round_values(form: RoundForm) -> dict[str, Any]:
    return {
        "name": form.name.data or "",
        "purpose": form.purpose.data or "",
        "budget": form.budget_minor,
        "currency": form.currency.data,
        "involvement": form.involvement.data,
        "quorum": form.quorum.data,
        "tie_break": form.tie_break_chain(),
        "opens_on": form.opens_on.data,
        "closes_on": form.closes_on.data,
        "decision_on": form.decision_on.data,
        "reveal_scores_after_close": bool(form.reveal_scores_after_close.data),
        "welsh": form.welsh(),
    }


@bp.route("/rounds/new", methods=["GET", "POST"])
def round_new() -> ResponseReturnValue:
    form = RoundForm()
    if form.validate_on_submit():
        try:
            # How scores are combined and the money shared out: the decision stages page.
            rnd = rounds.create_round(current_user, aggregation=Aggregation.MEAN,
                                      fit_rule=FitRule.SKIP, **_round_values(form))
        except rounds.RoundError as e:
            _form_problem(form, str(e))
        else:
            db.session.commit()
            flash(
                _(
                    "The round '%(name)s' is created. Next, add the criteria for scoring "
                    "and choose the decision stages.",
                    name=rnd.name,
                )
            )
            return redirect(url_for("staff.round_detail", round_id=rnd.id))
    return render_template("staff/round_form.html", form=form, rnd=None, rounds=rounds)


@bp.route("/rounds/<int:round_id>")
def round_detail(round_id: int) -> ResponseReturnValue:
    return _render_round(_round_or_404(round_id))


def _render_round(rnd: Round, problem: str | None = None) -> ResponseReturnValue:
    plan = stages.plan(rnd)
    page = render_template(
        "staff/round_detail.html",
        rnd=rnd,
        steps=plan.steps,
        plan=plan,
        stage_sentences=stages.describe(stages.declared_stages(rnd)),
        funding_stage=stages.stage(rnd, StageKind.FUNDING),
        in_order=FundingRule.IN_ORDER,
        count_page_steps=_COUNT_PAGE_STEPS,
        confirmed_steps=step_checks.CONFIRMED_STEPS,
        problem=problem,
        open_problems=rounds.open_problems(rnd) if rnd.lifecycle.editable else [],
        tie_break_chain=rounds.tie_break_chain(rnd),
        rounds=rounds,
        action_form=ActionForm(),
    )
    return (page, 400) if problem else page


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
def round_edit(round_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    form = RoundForm(obj=rnd if request.method == "GET" else None)
    if request.method == "GET":
        form.budget.data = rounds.format_major(rnd.budget)
        form.set_tie_break_chain(list(rnd.tie_break or []))
        form.load_welsh(rnd)
    if not rnd.lifecycle.editable:
        return render_template("staff/round_form.html", form=form, rnd=rnd, rounds=rounds)
    if form.validate_on_submit():
        try:
            changed = rounds.update_round(rnd, current_user, **_round_values(form))
        except rounds.RoundError as e:
            _form_problem(form, str(e))
        else:
            db.session.commit()
            flash(_("The round's settings are saved.") if changed else _("Nothing was changed."))
            return redirect(url_for("staff.round_detail", round_id=rnd.id))
    return render_template("staff/round_form.html", form=form, rnd=rnd, rounds=rounds)


@bp.route("/rounds/<int:round_id>/steps/<name>", methods=["GET", "POST"])
def round_step(round_id: int, name: str) -> ResponseReturnValue:
    """GET: for opening, closing and publishing, a page saying what will happen and what is
    not finished, with the button; POST: take the step."""
    rnd = _round_or_404(round_id)
    if request.method == "GET":
        if name not in step_checks.CONFIRMED_STEPS:
            abort(404)
        available = {s.name for s in stages.plan(rnd).steps if s.available}
        return render_template(
            "staff/step_confirm.html", rnd=rnd, check=step_checks.check(rnd, name),
            available=name in available, action_form=ActionForm(),
        )
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if name == "publish" and jobs.enabled() and rnd.lifecycle.decided \
            and not rnd.lifecycle.published:
        # A large round: a worker builds and checks the record; the count page waits for it.
        job = jobs.submit(rnd, "publish", current_user)
        queued = job.status == "queued" and job.attempts == 0
        db.session.commit()
        if queued:
            jobs.dispatch(job)
        return redirect(url_for("staff.count", round_id=rnd.id))
    try:
        t = rounds.apply_transition(rnd, name, current_user)
    except lifecycle.AlreadyDoneError as e:
        # A double click, or a colleague a moment earlier: the step is taken, once.
        db.session.rollback()
        flash(str(e))
        return redirect(url_for("staff.round_detail", round_id=rnd.id))
    except (lifecycle.TransitionError, rounds.RoundError, counting.CountError,
            stages.StageError) as e:
        db.session.rollback()
        return _render_round(rnd, problem=str(e))
    db.session.commit()
    messages = {
        "open": _("Scoring is open. The seed commitment is shown below and on the public page."),
        "close": _("Scoring is closed. You can now check the count."),
        "reopen": _("Scoring is open again."),
        "decide": _("The decision is confirmed. Publish it when you are ready."),
        "undo-decision": _("The decision is withdrawn. You can check the count again."),
        "publish": _("The decision is published. Anyone can now read and check the record."),
        "open-rescore": _("Stage 2 re-scoring is open. Members can now score the flagged "
                          "applications again."),
        "close-rescore": _("Stage 2 re-scoring is closed."),
        "open-vote": _("The ranked vote is open. Members can now cast their ballots."),
        "close-vote": _("The ranked vote is closed."),
        "open-consent": _("The panel is being asked to consent to the funded list."),
        "close-consent": _("The consent step is closed. Check the count to see whether the "
                           "panel consented."),
    }
    flash(messages.get(t.name) or _("Done: %(step)s.", step=t.label))
    notify_after_step(rnd, t.name)  # email the panel when scoring closes or it is published
    return redirect(url_for("staff.round_detail", round_id=rnd.id))


@bp.route("/rounds/<int:round_id>/stages", methods=["GET", "POST"])
def round_stages(round_id: int) -> ResponseReturnValue:
    """The decision stages: chosen at set-up (with a sentence per stage saying what will
    happen), fixed when scoring opens. "Preview" checks and describes without saving."""
    rnd = _round_or_404(round_id)
    form = StagesForm()
    if request.method == "GET" or not rnd.lifecycle.editable:
        form.load(stages.declared_stages(rnd))
    preview: list[str] | None = stages.describe(stages.declared_stages(rnd))
    previewing = False
    if rnd.lifecycle.editable and form.validate_on_submit():
        chain = form.chain()
        previewing = bool(form.preview.data)
        try:
            if previewing:
                preview = stages.describe(stages.check(chain))
            else:
                changed = stages.save_stages(rnd, current_user, chain)
        except InputError as e:
            db.session.rollback()
            form.put_reason(e.path, _(e.requirement))
        except stages.StageError as e:
            db.session.rollback()
            _form_problem(form, str(e))
        else:
            if not previewing:
                db.session.commit()
                flash(_("The decision stages are saved.") if changed
                      else _("Nothing was changed."))
                return redirect(url_for("staff.round_detail", round_id=rnd.id) + "#stages")
    failed = bool(form.errors or form.form_errors)
    if failed:
        preview = None  # what was typed cannot be described until it can be used
    page = render_template("staff/stages_form.html", form=form, rnd=rnd, preview=preview,
                           previewing=previewing and not failed)
    return (page, 400) if failed else page


# --- rubric ----------------------------------------------------------------------------------


def _criterion_or_404(rnd: Round, criterion_id: int) -> Criterion:
    crit = db.session.get(Criterion, criterion_id)
    if crit is None or crit.round_id != rnd.id:
        abort(404)
    return crit


def _criterion_values(form: CriterionForm) -> dict[str, Any]:
    return {
        "name": form.name.data or "",
        "guidance": form.guidance.data or "",
        "weight": form.weight.data,
        "scale_min": form.scale_min.data,
        "scale_max": form.scale_max.data,
        "descriptors": form.descriptor_list(),
        "welsh": form.welsh(),
    }


@bp.route("/rounds/<int:round_id>/criteria/new", methods=["GET", "POST"])
def criterion_new(round_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    form = CriterionForm()
    if form.validate_on_submit():
        try:
            crit = rounds.add_criterion(rnd, current_user, **_criterion_values(form))
        except rounds.RoundError as e:
            _form_problem(form, str(e))
        else:
            db.session.commit()
            flash(_("The criterion '%(name)s' is added to the rubric.", name=crit.name))
            return redirect(url_for("staff.round_detail", round_id=rnd.id) + "#rubric")
    return render_template("staff/criterion_form.html", form=form, rnd=rnd, crit=None)


@bp.route("/rounds/<int:round_id>/criteria/<int:criterion_id>/edit", methods=["GET", "POST"])
def criterion_edit(round_id: int, criterion_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    crit = _criterion_or_404(rnd, criterion_id)
    form = CriterionForm(obj=crit if request.method == "GET" else None)
    if request.method == "GET":
        form.descriptors.data = "\n".join(
            f"{point}: {text}" for point, text in crit.points
        )
        form.load_welsh(crit)
    if form.validate_on_submit():
        try:
            rounds.update_criterion(crit, current_user, **_criterion_values(form))
        except rounds.RoundError as e:
            _form_problem(form, str(e))
        else:
            db.session.commit()
            flash(_("The criterion '%(name)s' is saved.", name=crit.name))
            return redirect(url_for("staff.round_detail", round_id=rnd.id) + "#rubric")
    return render_template("staff/criterion_form.html", form=form, rnd=rnd, crit=crit)


@bp.route("/rounds/<int:round_id>/criteria/<int:criterion_id>/remove", methods=["POST"])
def criterion_remove(round_id: int, criterion_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    crit = _criterion_or_404(rnd, criterion_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        rounds.remove_criterion(crit, current_user)
    except rounds.RoundError as e:
        return _render_round(rnd, problem=str(e))
    db.session.commit()
    flash(_("The criterion '%(name)s' is removed from the rubric.", name=crit.name))
    return redirect(url_for("staff.round_detail", round_id=rnd.id) + "#rubric")


@bp.route(
    "/rounds/<int:round_id>/criteria/<int:criterion_id>/move/<any(up, down):direction>",
    methods=["POST"],
)
def criterion_move(round_id: int, criterion_id: int, direction: str) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    crit = _criterion_or_404(rnd, criterion_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        moved = rounds.move_criterion(crit, current_user, direction=direction)
    except rounds.RoundError as e:
        return _render_round(rnd, problem=str(e))
    db.session.commit()
    if moved:
        if direction == "up":
            flash(_("'%(name)s' is moved up.", name=crit.name))
        else:
            flash(_("'%(name)s' is moved down.", name=crit.name))
    return redirect(url_for("staff.round_detail", round_id=rnd.id) + "#rubric")


# --- applications ----------------------------------------------------------------------------


def _application_or_404(rnd: Round, application_id: int) -> Any:
    app = apps_service.get_in_round(rnd, application_id)
    if app is None:
        abort(404)
    return app


# The applications list (search, filters, pages), tags and withdrawing an application:
# grantpanel/staff/applications_list.py.


def _application_form(rnd: Round, obj: Any = None, besides: Any = None) -> ApplicationForm:
    form = ApplicationForm(obj=obj)
    form.reference_taken = lambda ref: apps_service.reference_taken(rnd, ref, besides=besides)
    form.unit = rounds.CURRENCY_UNITS.get(rnd.currency, "pounds")
    return form


def _application_values(form: ApplicationForm) -> dict[str, Any]:
    return {
        "reference": form.reference.data,
        "applicant_name": form.applicant_name.data or "",
        "contact_email": form.contact_email.data,
        "title": form.title.data or "",
        "summary": form.summary.data or "",
        "answers": form.answers.data or "",
        "content_warning": form.content_warning.data or "",
        "amount": form.amount_minor or 0,
        "welsh": form.welsh(),
    }


@bp.route("/rounds/<int:round_id>/applications/new", methods=["GET", "POST"])
def application_new(round_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    form = _application_form(rnd)
    if form.validate_on_submit():
        try:
            app = apps_service.add_application(rnd, current_user, **_application_values(form))
        except apps_service.ApplicationError as e:
            _form_problem(form, str(e))
        else:
            db.session.commit()
            flash(
                _(
                    "Application %(reference)s ('%(title)s') is added.",
                    reference=app.reference,
                    title=app.title,
                )
            )
            return redirect(url_for("staff.applications", round_id=rnd.id))
    return render_template("staff/application_form.html", form=form, rnd=rnd, app=None,
                           editable=rnd.lifecycle.panel_editable)


@bp.route("/rounds/<int:round_id>/applications/<int:application_id>")
def application_detail(round_id: int, application_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    app = _application_or_404(rnd, application_id)
    return render_template(
        "staff/application_detail.html",
        rnd=rnd,
        app=app,
        editable=rnd.lifecycle.panel_editable,
    )


@bp.route(
    "/rounds/<int:round_id>/applications/<int:application_id>/edit", methods=["GET", "POST"]
)
def application_edit(round_id: int, application_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    app = _application_or_404(rnd, application_id)
    form = _application_form(rnd, obj=app if request.method == "GET" else None, besides=app)
    if request.method == "GET":
        form.amount.data = rounds.format_major(app.amount)
        form.load_welsh(app)
    if form.validate_on_submit():
        try:
            changed = apps_service.update_application(
                app, current_user, **_application_values(form)
            )
        except apps_service.ApplicationError as e:
            _form_problem(form, str(e))
        else:
            db.session.commit()
            flash(
                _("Application %(reference)s is saved.", reference=app.reference)
                if changed
                else _("Nothing was changed.")
            )
            return redirect(
                url_for("staff.application_detail", round_id=rnd.id, application_id=app.id)
            )
    return render_template("staff/application_form.html", form=form, rnd=rnd, app=app,
                           editable=rnd.lifecycle.panel_editable)


@bp.route(
    "/rounds/<int:round_id>/applications/<int:application_id>/eligibility",
    methods=["GET", "POST"],
)
def application_eligibility(round_id: int, application_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    app = _application_or_404(rnd, application_id)
    form = EligibilityForm()
    if request.method == "GET":
        form.eligible.data = "yes" if app.eligible else "no"
        form.reason.data = app.eligibility_reason
    if form.validate_on_submit():
        try:
            apps_service.set_eligibility(
                app,
                current_user,
                eligible=form.eligible.data == "yes",
                reason=form.reason.data or "",
            )
        except apps_service.ApplicationError as e:
            _form_problem(form, str(e))
        else:
            db.session.commit()
            if app.eligible:
                flash(_("Application %(reference)s is marked eligible.", reference=app.reference))
            else:
                flash(
                    _("Application %(reference)s is marked not eligible.", reference=app.reference)
                )
            return redirect(
                url_for("staff.application_detail", round_id=rnd.id, application_id=app.id)
            )
    return render_template("staff/eligibility_form.html", form=form, rnd=rnd, app=app,
                           editable=rnd.lifecycle.panel_editable)


@bp.route("/rounds/<int:round_id>/applications/import", methods=["GET", "POST"])
def applications_import(round_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    form = ImportForm()
    rejected: apps_service.ImportRejected | None = None
    status = 200
    if form.validate_on_submit():
        try:
            added = apps_service.import_csv(
                rnd,
                current_user,
                form.file.data.stream,
                max_rows=current_app.config["IMPORT_MAX_ROWS"],
            )
        except apps_service.ImportRejected as e:
            db.session.rollback()
            if all(p.line is None for p in e.problems):  # about the whole file: say it plainly
                form.file.errors = [p.message for p in e.problems]
            else:
                rejected = e
                form.file.errors = [
                    _(
                        "%(problem)s Fix the file and upload it again: the list below shows "
                        "every problem.",
                        problem=str(e),
                    )
                    if not e.unlisted
                    else ngettext(
                        "%(problem)s Fix the file and upload it again: the list below shows "
                        "the first %(num)d.",
                        "%(problem)s Fix the file and upload it again: the list below shows "
                        "the first %(num)d.",
                        len(e.problems),
                        problem=str(e),
                    )
                ]
            status = 400
        except apps_service.ApplicationError as e:
            form.file.errors = [str(e)]
            status = 400
        else:
            db.session.commit()
            flash(
                ngettext(
                    "%(count)s application imported.",
                    "%(count)s applications imported.",
                    added.count,
                    count=f"{added.count:,}",
                )
            )
            return redirect(url_for("staff.applications", round_id=rnd.id))
    page = render_template(
        "staff/applications_import.html",
        form=form,
        rnd=rnd,
        rejected=rejected,
        columns=apps_service.CSV_COLUMNS,
        max_rows=current_app.config["IMPORT_MAX_ROWS"],
        max_upload_mb=current_app.config["MAX_UPLOAD_MB"],
        editable=rnd.lifecycle.panel_editable,
    )
    return page, status


# --- panel -----------------------------------------------------------------------------------


@bp.route("/rounds/<int:round_id>/panel")
def panel(round_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    return render_template(
        "staff/panel.html",
        rnd=rnd,
        members=panel_admin.progress(rnd),
        editable=rnd.lifecycle.panel_editable,
        action_form=ActionForm(),
    )


def _remember_link(membership_id: int, token: str) -> None:
    """Keep the link for the very next page only (it is removed when shown)."""
    session[_INVITATION_KEY] = {
        "membership_id": membership_id,
        "url": url_for("auth.invitation", token=token, _external=True),
    }


@bp.route("/rounds/<int:round_id>/panel/new", methods=["GET", "POST"])
def member_new(round_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    form = MemberForm()
    if form.validate_on_submit():
        try:
            membership, token = panel_admin.add_member(
                rnd,
                current_user,
                name=form.name.data or "",
                email=form.email.data or None,
                phone=form.phone.data,
                access_needs=form.access_needs.data,
                language=form.language.data or None,
            )
        except panel_admin.PanelError as e:
            _form_problem(form, str(e))
        else:
            db.session.commit()
            _remember_link(membership.id, token)
            flash(
                _(
                    "%(name)s is on the panel as %(pseudonym)s.",
                    name=membership.user.name,
                    pseudonym=membership.pseudonym,
                )
            )
            return redirect(
                url_for("staff.member_invitation", round_id=rnd.id, membership_id=membership.id)
            )
    return render_template("staff/member_form.html", form=form, rnd=rnd,
                           editable=rnd.lifecycle.panel_editable)


@bp.route("/rounds/<int:round_id>/panel/<int:membership_id>/invitation",
          methods=["GET", "POST"])
def member_invitation(round_id: int, membership_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    membership = panel_admin.get_member(rnd, membership_id)
    if membership is None:
        abort(404)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        token = panel_admin.new_invitation(membership, current_user)
        db.session.commit()
        _remember_link(membership.id, token)
        flash(
            _(
                "A new invitation link is ready for %(name)s. Earlier unused links for this "
                "round no longer work.",
                name=membership.user.name,
            )
        )
        return redirect(
            url_for("staff.member_invitation", round_id=rnd.id, membership_id=membership.id)
        )
    link = None
    stored = session.get(_INVITATION_KEY)
    if isinstance(stored, dict) and stored.get("membership_id") == membership.id:
        link = str(stored.get("url"))
        session.pop(_INVITATION_KEY, None)
    return render_template(
        "staff/member_invitation.html",
        rnd=rnd,
        membership=membership,
        link=link,
        lifetime_days=accounts.INVITATION_LIFETIME.days,
        action_form=form,
    )


# --- conflicts -------------------------------------------------------------------------------


@bp.route("/rounds/<int:round_id>/conflicts")
def conflicts(round_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    items = db.session.scalars(panel_admin.conflicts_for_round(rnd)).all()
    return render_template(
        "staff/conflicts.html",
        rnd=rnd,
        conflicts=items,
        labels=dict(conflicts_service.CATEGORIES),
    )


@bp.route("/rounds/<int:round_id>/conflicts/new", methods=["GET", "POST"])
def conflict_new(round_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    form = ConflictForm()
    form.membership.choices = options(
        [(m.id, f"{m.pseudonym}: {m.user.name}") for m in rnd.memberships]
    )
    form.application.choices = options(
        [(a.id, f"{a.reference}: {a.title} ({a.applicant_name})") for a in rnd.applications]
    )
    form.set_categories(conflicts_service.CATEGORIES)
    form.reason_required = conflicts_service.needs_reason(rnd)
    can_declare = conflicts_service.can_declare(rnd)
    if can_declare and form.validate_on_submit():
        membership = panel_admin.get_member(rnd, form.membership.data)
        app = apps_service.get_in_round(rnd, form.application.data)
        if membership is None or app is None:
            abort(404)
        try:
            conflicts_service.declare_conflict(
                membership,
                app,
                category=form.category.data or "",
                note=form.note.data or "",
                declared_by=current_user,
                reason=form.reason.data or "",
            )
        except conflicts_service.ConflictError as e:
            db.session.rollback()
            _form_problem(form, str(e))
        else:
            db.session.commit()
            flash(
                _(
                    "The conflict is recorded: %(pseudonym)s will not score %(reference)s, and "
                    "any score they gave it is withdrawn.",
                    pseudonym=membership.pseudonym,
                    reference=app.reference,
                )
            )
            return redirect(url_for("staff.conflicts", round_id=rnd.id))
    return render_template(
        "staff/conflict_form.html",
        form=form,
        rnd=rnd,
        can_declare=can_declare,
        decided_message=conflicts_service.DECIDED_MESSAGE,
    )


# --- progress, count, audit ------------------------------------------------------------------


@bp.route("/rounds/<int:round_id>/progress")
def progress(round_id: int) -> ResponseReturnValue:
    """Progress by application and by member, each 50 a page (``apage``, ``mpage``), counted
    in the database: the page does the same work for 100 applications or 10,000."""
    rnd = _round_or_404(round_id)
    apps = panel_admin.paged(panel_admin.applications_count(rnd),
                             request.args.get("apage", 1, type=int) or 1)
    members = panel_admin.paged(panel_admin.members_count(rnd),
                                request.args.get("mpage", 1, type=int) or 1)
    return render_template(
        "staff/progress.html",
        rnd=rnd,
        rows=panel_admin.application_progress(rnd, offset=apps.offset, limit=apps.size),
        members=panel_admin.progress(rnd, offset=members.offset, limit=members.size),
        app_pages=apps, member_pages=members,
        apage=apps.page, mpage=members.page,
        skips=panel_care.skips(rnd),
    )


# The count and decision pages: grantpanel/staff/count_pages.py.


@bp.route("/rounds/<int:round_id>/audit")
def audit_log(round_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    action = request.args.get("action", "").strip()[:60] or None
    try:
        who = audit.Who(request.args.get("who", ""))
    except ValueError:
        who = audit.Who.EVERYONE
    listing = audit.log_page(rnd.id, request.args.get("page", 1, type=int) or 1,
                             action=action, who=who)
    return render_template(
        "staff/audit.html", rnd=rnd, listing=listing, action=action, who=who, Who=audit.Who,
        actions=audit.action_choices(rnd.id), filtered=audit.has_filters(action, who),
    )


# --- data protection: find a person, export and erase their data (services/privacy.py) -------

# Imported here so this section stays one block (the imports at the top are shared).
import json  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from flask import Response as FileResponse  # noqa: E402

from grantpanel.services import privacy  # noqa: E402
from grantpanel.staff.forms import EraseForm, PeopleSearchForm  # noqa: E402


@dataclass(frozen=True)
class _Person:
    """Whom a people page is about: a panel member (``member_id`` is their account id) or an
    applicant (``application_id`` is one of their applications)."""

    kind: str  # "member" | "applicant"
    subject: Any  # the User, or the Application in the URL
    applications: list[Any]  # the applicant's applications; for a member, ones with their email
    url_args: dict[str, Any]  # url_for keyword arguments (an id)

    @property
    def is_member(self) -> bool:
        return self.kind == "member"

    def export(self) -> dict[str, Any]:
        if self.is_member:
            return privacy.member_export(self.subject)
        return privacy.applicant_export(self.applications)

    @property
    def erased(self) -> bool:
        if self.is_member:
            return privacy.is_erased(self.subject)
        return all(privacy.is_erased(a) for a in self.applications)


def _person_or_404(member_id: int | None, application_id: int | None) -> _Person:
    if member_id is not None:
        user = privacy.get_member(member_id)
        if user is None:
            abort(404)
        return _Person("member", user, privacy.member_applications(user),
                       {"member_id": member_id})
    app = privacy.get_application(application_id or 0)
    if app is None:
        abort(404)
    return _Person("applicant", app, privacy.applicant_applications(app),
                   {"application_id": app.id})


def _render_person(person: _Person, form: Any, status: int = 200) -> ResponseReturnValue:
    page = render_template(
        "staff/person.html", person=person, data=person.export(), form=form
    )
    return page, status


@bp.route("/people")
def people() -> ResponseReturnValue:
    form = PeopleSearchForm(request.args)
    result = None
    query = (form.q.data or "").strip()
    if query and form.validate() and len(query) >= privacy.SEARCH_MIN_LENGTH:
        result = privacy.search_people(query)
    return render_template(
        "staff/people.html", form=form, result=result, query=query,
        min_length=privacy.SEARCH_MIN_LENGTH, limit=privacy.SEARCH_LIMIT,
    )


@bp.route("/people/members/<int:member_id>")
@bp.route("/people/applicants/<int:application_id>")
def person(member_id: int | None = None, application_id: int | None = None
           ) -> ResponseReturnValue:
    return _render_person(_person_or_404(member_id, application_id), EraseForm())


@bp.route("/people/members/<int:member_id>/export", methods=["POST"])
@bp.route("/people/applicants/<int:application_id>/export", methods=["POST"])
def person_export(member_id: int | None = None, application_id: int | None = None
                  ) -> ResponseReturnValue:
    person = _person_or_404(member_id, application_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    data = person.export()
    privacy.record_export(person.kind, person.subject.id, current_user)
    db.session.commit()
    name = f"personal-data-{person.kind}-{person.subject.id}.json"
    return FileResponse(
        json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"',
                 "Cache-Control": "no-store"},
    )


@bp.route("/people/members/<int:member_id>/erase", methods=["POST"])
@bp.route("/people/applicants/<int:application_id>/erase", methods=["POST"])
def person_erase(member_id: int | None = None, application_id: int | None = None
                 ) -> ResponseReturnValue:
    person = _person_or_404(member_id, application_id)
    form = EraseForm()
    if form.validate_on_submit():
        reason = form.reason.data or ""
        try:
            if person.is_member:
                privacy.erase_member(person.subject, current_user, reason=reason)
            else:
                privacy.erase_applications(person.applications, current_user, reason=reason)
        except privacy.PrivacyError as e:
            db.session.rollback()
            _form_problem(form, str(e))
        else:
            db.session.commit()
            flash(_("The personal data is erased. Published decision records are unchanged."))
            return redirect(url_for("staff.person", **person.url_args))
    return _render_person(person, form, 400)
