"""The applications list at scale (search, filters, sort, pages), the round's tags, an
application's tags, and withdrawing an application (and undoing it).

Views stay thin: read the query or the form, call a service, commit once, redirect with a
plain confirmation; or show the form again with the problem beside the field.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from grantpanel.extensions import db
from grantpanel.i18n import _
from grantpanel.services import application_list, withdrawals
from grantpanel.services import tags as tags_service
from grantpanel.staff import bp
from grantpanel.staff.application_forms import ApplicationTagsForm, TagForm, WithdrawForm
from grantpanel.staff.forms import ActionForm
from grantpanel.staff.routes import _application_or_404, _form_problem, _round_or_404


@bp.route("/rounds/<int:round_id>/applications")
def applications(round_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    query = application_list.ListQuery.from_args(request.args)
    round_tags = tags_service.round_tags(rnd.id)
    if query.tag is not None and query.tag not in {t.id for t in round_tags}:
        query = application_list.ListQuery(**{**query.__dict__, "tag": None})
    listing = application_list.list_page(rnd.id, query)
    return render_template(
        "staff/applications.html",
        rnd=rnd,
        listing=listing,
        query=query,
        pager_args={"round_id": rnd.id, **query.args()},
        round_tags=round_tags,
        Sort=application_list.Sort,
        Choice=application_list.Choice,
        editable=rnd.lifecycle.panel_editable,
        total=application_list.eligible_total(rnd.id),
    )


@bp.route("/rounds/<int:round_id>/tags", methods=["GET", "POST"])
def tags(round_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    form = TagForm()
    status = 200
    if form.validate_on_submit():
        try:
            tag = tags_service.add_tag(rnd, current_user, form.name.data or "")
        except tags_service.TagError as e:
            form.name.errors = [str(e)]
        else:
            db.session.commit()
            flash(_("The tag '%(name)s' is added.", name=tag.name))
            return redirect(url_for("staff.tags", round_id=rnd.id))
    if form.errors:
        status = 400
    return render_template(
        "staff/tags.html", rnd=rnd, form=form, round_tags=tags_service.round_tags(rnd.id),
        usage=tags_service.usage(rnd.id), action_form=ActionForm(),
    ), status


@bp.route("/rounds/<int:round_id>/tags/<int:tag_id>/remove", methods=["POST"])
def tag_remove(round_id: int, tag_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            tag = tags_service.remove_tag(rnd, current_user, tag_id)
        except tags_service.TagError as e:
            flash(str(e))
        else:
            db.session.commit()
            flash(_("The tag '%(name)s' is removed from the round and from every application "
                    "that had it.", name=tag.name))
    return redirect(url_for("staff.tags", round_id=rnd.id))


@bp.route("/rounds/<int:round_id>/applications/<int:application_id>/tags",
          methods=["GET", "POST"])
def application_tags(round_id: int, application_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    app = _application_or_404(rnd, application_id)
    round_tags = tags_service.round_tags(rnd.id)
    form = ApplicationTagsForm()
    form.tags.choices = [(t.id, t.name) for t in round_tags]
    if request.method == "GET":
        form.tags.data = [t.id for t in app.tags]
    if form.validate_on_submit():
        try:
            changed = tags_service.set_tags(app, current_user, form.tags.data or [])
        except tags_service.TagError as e:
            _form_problem(form, str(e))
        else:
            db.session.commit()
            flash(_("The tags of application %(reference)s are saved.", reference=app.reference)
                  if changed else _("Nothing was changed."))
            return redirect(url_for("staff.application_detail", round_id=rnd.id,
                                    application_id=app.id))
    return render_template("staff/application_tags.html", rnd=rnd, app=app, form=form,
                           round_tags=round_tags), 400 if form.errors else 200


@bp.route("/rounds/<int:round_id>/applications/<int:application_id>/withdraw",
          methods=["GET", "POST"])
def application_withdraw(round_id: int, application_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    app = _application_or_404(rnd, application_id)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            withdrawals.withdraw(app, current_user, form.reason.data or "")
        except withdrawals.WithdrawalError as e:
            db.session.rollback()
            _form_problem(form, str(e))
        else:
            db.session.commit()
            flash(_("Application %(reference)s is withdrawn. It will not be counted or funded.",
                    reference=app.reference))
            return redirect(url_for("staff.application_detail", round_id=rnd.id,
                                    application_id=app.id))
    return render_template("staff/application_withdraw.html", rnd=rnd, app=app, form=form,
                           ), 400 if form.errors or form.form_errors else 200


@bp.route("/rounds/<int:round_id>/applications/<int:application_id>/withdraw/undo",
          methods=["POST"])
def application_withdrawal_undo(round_id: int, application_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    app = _application_or_404(rnd, application_id)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            withdrawals.undo(app, current_user)
        except withdrawals.WithdrawalError as e:
            db.session.rollback()
            flash(str(e))
        else:
            db.session.commit()
            flash(_("Application %(reference)s is back in the round and will be counted.",
                    reference=app.reference))
    return redirect(url_for("staff.application_detail", round_id=rnd.id, application_id=app.id))
