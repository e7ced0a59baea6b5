"""Staff pages for panel care: how the round pays, each member's time and costs, decisions.

``/staff/rounds/<id>/pay``: the pay settings and a page (50 members) of hours and money.
``/staff/rounds/<id>/pay/members/<membership_id>``: one member's time and claims, with
approve / do not approve (with a reason) on each waiting item, and a form to log time for
them; their access needs are shown here, to staff only. Rules live in
:mod:`grantpanel.services.care_pay`; the payment export is on the Exports page
(:mod:`grantpanel.services.exports`, table ``payments``).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from grantpanel.care_pay_forms import DecideForm, PayForm, TimeForm
from grantpanel.extensions import db
from grantpanel.i18n import _
from grantpanel.models import Membership, Round
from grantpanel.services import care_pay, panel_admin
from grantpanel.services.rounds import format_major
from grantpanel.staff import bp
from grantpanel.vocabulary import PayBasis


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


def _render(rnd: Round, form: PayForm | None = None, status: int = 200) -> ResponseReturnValue:
    if form is None:
        form = PayForm(formdata=None)
        settings = care_pay.settings_for(rnd)
        form.basis.data = settings.basis if settings else PayBasis.NONE
        if settings:
            form.rate.data = format_major(settings.rate) if settings.rate else ""
            form.fee.data = format_major(settings.fee) if settings.fee else ""
            form.note.data = settings.note
    page = max(1, request.args.get("page", 1, type=int) or 1)
    return render_template("staff/pay.html", rnd=rnd, form=form,
                           listing=care_pay.members_page(rnd, page)), status


@bp.route("/rounds/<int:round_id>/pay", methods=["GET", "POST"])
def pay(round_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    if request.method == "GET":
        return _render(rnd)
    form = PayForm()
    if form.validate_on_submit():
        try:
            care_pay.save_settings(rnd, current_user, basis=PayBasis(form.basis.data),
                                   rate=form.rate_minor, fee=form.fee_minor,
                                   note=form.note.data or "")
        except care_pay.CareError as e:
            form.basis.errors = [str(e)]
        else:
            db.session.commit()
            flash(_("Pay settings saved."))
            return redirect(url_for("staff.pay", round_id=rnd.id))
    return _render(rnd, form, 400)


def _render_member(rnd: Round, member: Membership, *, time_form: TimeForm | None = None,
                   decide_problem: str | None = None, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "staff/pay_member.html", rnd=rnd, member=member,
        settings=care_pay.settings_for(rnd),
        totals=care_pay.member_totals(member),
        entries=list(db.session.scalars(care_pay.entries_of(member))),
        claims=list(db.session.scalars(care_pay.claims_of(member))),
        time_form=time_form or TimeForm(formdata=None),
        decide_problem=decide_problem,
    ), status


@bp.route("/rounds/<int:round_id>/pay/members/<int:membership_id>")
def pay_member(round_id: int, membership_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    return _render_member(rnd, _member_or_404(rnd, membership_id))


@bp.route("/rounds/<int:round_id>/pay/members/<int:membership_id>/time", methods=["POST"])
def pay_member_time(round_id: int, membership_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    member = _member_or_404(rnd, membership_id)
    form = TimeForm()
    if form.validate_on_submit():
        try:
            care_pay.log_time(member, current_user, worked_on=form.worked_on.data,
                              minutes=form.total_minutes, what_for=form.what_for.data or "",
                              by_staff=True)
        except care_pay.CareError as e:
            form.what_for.errors = [str(e)]
        else:
            db.session.commit()
            flash(_("Time logged and approved."))
            return redirect(url_for("staff.pay_member", round_id=rnd.id,
                                    membership_id=member.id))
    return _render_member(rnd, member, time_form=form, status=400)


@bp.route("/rounds/<int:round_id>/pay/members/<int:membership_id>/decide", methods=["POST"])
def pay_member_decide(round_id: int, membership_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    member = _member_or_404(rnd, membership_id)
    form = DecideForm()
    item = form.item() if form.validate_on_submit() else None
    if item is None:
        problem = (form.reason.errors or form.form_errors or
                   [_("That did not work. Reload the page and try again.")])[0]
        return _render_member(rnd, member, decide_problem=str(problem), status=400)
    kind, item_id = item
    try:
        care_pay.decide(member, current_user, kind=kind, item_id=item_id,
                        approve=bool(form.approve.data) and not form.reject.data,
                        reason=form.reason.data or "")
    except care_pay.CareError as e:
        db.session.rollback()
        conflict = isinstance(e, care_pay.AlreadyDecided)
        return _render_member(rnd, member, decide_problem=str(e), status=409 if conflict else 400)
    db.session.commit()
    flash(_("Approved.") if form.approve.data and not form.reject.data
          else _("Marked as not approved. The member sees your reason."))
    return redirect(url_for("staff.pay_member", round_id=rnd.id, membership_id=member.id))
