"""Staff pages for shared-out reading: how many read each application, who reads what.

``/staff/rounds/<id>/assignment``: readers per application, members' limits, running the
assignment with a summary (loads, applications short of readers), a page of members with
their loads, and a search by reference; each application's page lists its readers and takes
hand edits. Every rule lives in :mod:`grantpanel.services.assignment`; these views parse the
form, call the service, commit once and redirect, or show the problem beside the field.
"""

from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from grantpanel.extensions import db
from grantpanel.i18n import _, ngettext
from grantpanel.models import Application, Membership, Round
from grantpanel.services import applications as apps_service
from grantpanel.services import assignment, panel_admin
from grantpanel.staff import bp
from grantpanel.staff.assignment_forms import (
    CAPACITY_PREFIX,
    AddReaderForm,
    ReadersForm,
    RunForm,
    SearchForm,
    capacities_form,
    capacity_fields,
    check_capacities,
)
from grantpanel.staff.forms import ActionForm, options

_CAPACITY_FIELD = re.compile(rf"^{CAPACITY_PREFIX}([0-9]{{1,9}})$")


def _round_or_404(round_id: int) -> Round:
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        abort(404)
    return rnd


def _application_or_404(rnd: Round, application_id: int) -> Application:
    app = apps_service.get_in_round(rnd, application_id)
    if app is None:
        abort(404)
    return app


def _member_or_404(rnd: Round, membership_id: int) -> Membership:
    member = panel_admin.get_member(rnd, membership_id)
    if member is None:
        abort(404)
    return member


def _page_arg() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _render(rnd: Round, *, readers_form: ReadersForm | None = None,
            run_form: RunForm | None = None, capacities: Any = None,
            search_form: SearchForm | None = None, status: int = 200) -> ResponseReturnValue:
    listing = assignment.members_page(rnd, _page_arg())
    if readers_form is None:
        readers_form = ReadersForm(formdata=None)
        readers_form.readers.data = rnd.readers_per_application
    shown = capacities_form([r.membership for r in listing.rows])
    capacities = capacities if capacities is not None else shown

    def capacity_field(m: Membership) -> Any:
        name = f"{CAPACITY_PREFIX}{m.id}"
        return capacities[name] if name in capacities else shown[name]
    page = render_template(
        "staff/assignment.html",
        rnd=rnd,
        view=assignment.overview(rnd),
        listing=listing,
        readers_form=readers_form,
        run_form=run_form or RunForm(formdata=None),
        capacities=capacities,
        capacity_field=capacity_field,
        search_form=search_form or SearchForm(formdata=None),
        changeable=rnd.lifecycle.panel_editable,
    )
    return page, status


@bp.route("/rounds/<int:round_id>/assignment", endpoint="assignment")
def assignment_page(round_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    if "ref" not in request.args:
        return _render(rnd)
    search = SearchForm(request.args)
    if search.validate():
        found = assignment.find_application(rnd, search.ref.data or "")
        if found is not None:
            return redirect(url_for("staff.assignment_application", round_id=rnd.id,
                                    application_id=found.id))
        search.ref.errors = [_("No application in this round has the reference %(reference)s. "
                               "Check it and try again.", reference=search.ref.data.strip())
                             if (search.ref.data or "").strip()
                             else _("Type an application's reference, like A-001.")]
    return _render(rnd, search_form=search)


@bp.route("/rounds/<int:round_id>/assignment/readers", methods=["POST"])
def assignment_readers(round_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    form = ReadersForm()
    form.rnd = rnd
    if form.validate_on_submit():
        try:
            changed = assignment.set_readers(rnd, current_user, form.readers.data)
        except assignment.AssignmentError as e:
            db.session.rollback()
            form.readers.errors = [str(e)]
        else:
            db.session.commit()
            if not changed:
                flash(_("Nothing was changed."))
            elif rnd.readers_per_application is None:
                flash(_("Every member now reads every application."))
            else:
                flash(ngettext(
                    "Each application is now read by %(num)d member. Press \u201cAssign "
                    "readers\u201d to share the applications out.",
                    "Each application is now read by %(num)d members. Press \u201cAssign "
                    "readers\u201d to share the applications out.",
                    rnd.readers_per_application))
            return redirect(url_for("staff.assignment", round_id=rnd.id))
    return _render(rnd, readers_form=form, status=400)


@bp.route("/rounds/<int:round_id>/assignment/run", methods=["POST"])
def assignment_run(round_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    form = RunForm()
    if form.validate_on_submit():
        try:
            result = assignment.run(rnd, current_user, fresh=bool(form.fresh.data))
        except assignment.AssignmentError as e:
            db.session.rollback()
            form.form_errors.append(str(e))
        else:
            db.session.commit()
            flash(_("The readers are assigned: %(added)s added, %(removed)s removed, "
                    "%(kept)s kept.", added=f"{result.added:,}", removed=f"{result.removed:,}",
                    kept=f"{result.kept:,}"))
            if result.short:
                flash(ngettext(
                    "%(num)d application has fewer readers than asked for: too few members "
                    "can read it. It is listed below.",
                    "%(num)d applications have fewer readers than asked for: too few members "
                    "can read them. They are listed below.", result.short))
            return redirect(url_for("staff.assignment", round_id=rnd.id))
    return _render(rnd, run_form=form, status=400)


@bp.route("/rounds/<int:round_id>/assignment/capacities", methods=["POST"])
def assignment_capacities(round_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    ids = sorted({int(m.group(1)) for key in request.form
                  if (m := _CAPACITY_FIELD.match(key))})
    members = list(db.session.scalars(
        select(Membership).where(Membership.round_id == rnd.id, Membership.id.in_(ids))
        .order_by(Membership.number))) if ids else []
    if not members:  # nothing to save: a page from before the panel changed, or a bad post
        flash(_("There were no limits to save. Try again."))
        return redirect(url_for("staff.assignment", round_id=rnd.id))
    form = capacities_form(members, formdata=request.form)
    if form.validate_on_submit() and check_capacities(form):
        try:
            changed = assignment.set_capacities(
                rnd, current_user, {i: f.data for i, f in capacity_fields(form)})
        except assignment.AssignmentError as e:
            db.session.rollback()
            form.form_errors.append(str(e))
        else:
            db.session.commit()
            flash(ngettext("%(num)d member's limit is saved.", "%(num)d members' limits are saved.",
                           changed) if changed else _("Nothing was changed."))
            return redirect(url_for("staff.assignment", round_id=rnd.id,
                                    page=request.args.get("page", type=int)))
    return _render(rnd, capacities=form, status=400)


@bp.route("/rounds/<int:round_id>/assignment/members/<int:membership_id>/left",
          methods=["GET", "POST"])
def assignment_member_left(round_id: int, membership_id: int) -> ResponseReturnValue:
    """Confirm that a member has left: their applications not yet started go to others."""
    rnd = _round_or_404(round_id)
    member = _member_or_404(rnd, membership_id)
    form = ActionForm()
    problem = None
    if form.validate_on_submit():
        try:
            result = assignment.member_left(member, current_user)
        except assignment.AssignmentError as e:
            db.session.rollback()
            problem = str(e)
        else:
            db.session.commit()
            flash(_("%(member)s reads nothing more. %(added)s of their applications went to "
                    "other members.", member=member.pseudonym,
                    added=f"{result.added:,}" if result else "0"))
            return redirect(url_for("staff.assignment", round_id=rnd.id))
    elif request.method == "POST":
        abort(400)
    load = assignment.member_loads(rnd, [member.id]).get(member.id, 0)
    page = render_template("staff/assignment_member_left.html", rnd=rnd, member=member,
                           load=load, problem=problem, action_form=form,
                           changeable=rnd.lifecycle.panel_editable)
    return page, (400 if problem else 200)


def _application_page(rnd: Round, app: Application, form: AddReaderForm | None = None,
                      problem: str | None = None, status: int = 200) -> ResponseReturnValue:
    readers = assignment.readers_of(app)
    if form is None:
        form = AddReaderForm(formdata=None)
    _member_choices(rnd, app, form, readers)
    page = render_template(
        "staff/assignment_application.html", rnd=rnd, app=app, readers=readers, form=form,
        problem=problem, action_form=ActionForm(), changeable=rnd.lifecycle.panel_editable,
        conflicted=assignment.conflicted_member_ids(app))
    return page, status


def _member_choices(rnd: Round, app: Application, form: AddReaderForm,
                    readers: list[assignment.ReaderRow]) -> None:
    """The members who do not read ``app`` yet, with their load; a conflicted one is marked
    (and refused, with the reason, if chosen)."""
    reading = {r.membership.id for r in readers}
    conflicted = assignment.conflicted_member_ids(app)
    members = [m for m in rnd.memberships if m.id not in reading]
    loads = assignment.member_loads(rnd, [m.id for m in members])
    choices: list[tuple[Any, str]] = []
    for m in members:
        label = ngettext("%(member)s: %(name)s (reads %(num)d)",
                         "%(member)s: %(name)s (reads %(num)d)", loads.get(m.id, 0),
                         member=m.pseudonym, name=m.user.name)
        if m.id in conflicted:
            label = _("%(label)s \u2013 has a conflict with this application", label=label)
        choices.append((m.id, label))
    form.membership.choices = options(choices)


@bp.route("/rounds/<int:round_id>/assignment/applications/<int:application_id>")
def assignment_application(round_id: int, application_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    return _application_page(rnd, _application_or_404(rnd, application_id))


@bp.route("/rounds/<int:round_id>/assignment/applications/<int:application_id>/readers",
          methods=["POST"])
def assignment_add_reader(round_id: int, application_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    app = _application_or_404(rnd, application_id)
    form = AddReaderForm()
    _member_choices(rnd, app, form, assignment.readers_of(app))
    if form.validate_on_submit():
        member = panel_admin.get_member(rnd, form.membership.data)
        if member is None:
            abort(404)
        try:
            assignment.add_reader(app, member, current_user)
        except assignment.AssignmentError as e:
            db.session.rollback()
            form.membership.errors = [str(e)]
        else:
            db.session.commit()
            flash(_("%(member)s now reads %(reference)s.", member=member.pseudonym,
                    reference=app.reference))
            return redirect(url_for("staff.assignment_application", round_id=rnd.id,
                                    application_id=app.id))
    return _application_page(rnd, app, form, status=400)


@bp.route("/rounds/<int:round_id>/assignment/applications/<int:application_id>/readers/"
          "<int:membership_id>/remove", methods=["POST"])
def assignment_remove_reader(round_id: int, application_id: int,
                             membership_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    app = _application_or_404(rnd, application_id)
    member = _member_or_404(rnd, membership_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        assignment.remove_reader(app, member, current_user)
    except assignment.AssignmentError as e:
        db.session.rollback()
        return _application_page(rnd, app, problem=str(e), status=400)
    db.session.commit()
    flash(_("%(member)s no longer reads %(reference)s.", member=member.pseudonym,
            reference=app.reference))
    return redirect(url_for("staff.assignment_application", round_id=rnd.id,
                            application_id=app.id))
