"""The panel member's "Your time and costs" page: log time, claim expenses, see what is owed.

A member sees only their own entries (the page is found by the signed-in member's place on
the round; anyone else gets 404). Rules and totals are :mod:`grantpanel.services.care_pay`'s;
these views parse the form, call the service, commit once and redirect, or show the problem
beside the field with what was typed kept.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from grantpanel.care_pay_forms import ExpenseForm, TimeForm
from grantpanel.extensions import db
from grantpanel.i18n import _
from grantpanel.models import Membership
from grantpanel.panel import bp
from grantpanel.services import care_pay
from grantpanel.vocabulary import ExpenseCategory


def _membership(round_id: int) -> Membership:
    m = db.session.scalar(select(Membership).where(
        Membership.round_id == round_id, Membership.user_id == current_user.id))
    if m is None:
        abort(404)
    return m


def _render(m: Membership, *, time_form: TimeForm | None = None,
            expense_form: ExpenseForm | None = None, status: int = 200) -> ResponseReturnValue:
    page = render_template(
        "panel/pay.html",
        membership=m,
        rnd=m.round,
        settings=care_pay.settings_for(m.round),
        totals=care_pay.member_totals(m),
        entries=list(db.session.scalars(care_pay.entries_of(m))),
        claims=list(db.session.scalars(care_pay.claims_of(m))),
        time_form=time_form or TimeForm(formdata=None),
        expense_form=expense_form or ExpenseForm(formdata=None),
    )
    return page, status


@bp.route("/rounds/<int:round_id>/pay")
def pay(round_id: int) -> ResponseReturnValue:
    return _render(_membership(round_id))


@bp.route("/rounds/<int:round_id>/pay/time", methods=["POST"])
def pay_time(round_id: int) -> ResponseReturnValue:
    m = _membership(round_id)
    form = TimeForm()
    if form.validate_on_submit():
        try:
            care_pay.log_time(m, current_user, worked_on=form.worked_on.data,
                              minutes=form.total_minutes, what_for=form.what_for.data or "")
        except care_pay.CareError as e:
            form.what_for.errors = [str(e)]
        else:
            db.session.commit()
            flash(_("Thank you. Your time is logged. The grants team will check it."))
            return redirect(url_for("panel.pay", round_id=round_id) + "#time")
    return _render(m, time_form=form, status=400)


@bp.route("/rounds/<int:round_id>/pay/expense", methods=["POST"])
def pay_expense(round_id: int) -> ResponseReturnValue:
    m = _membership(round_id)
    form = ExpenseForm()
    if form.validate_on_submit():
        try:
            care_pay.claim_expense(m, current_user, category=ExpenseCategory(form.category.data),
                                   amount=form.amount_minor, spent_on=form.spent_on.data,
                                   description=form.description.data or "")
        except care_pay.CareError as e:
            form.amount.errors = [str(e)]
        else:
            db.session.commit()
            flash(_("Thank you. Your claim is sent. The grants team will check it."))
            return redirect(url_for("panel.pay", round_id=round_id) + "#costs")
    return _render(m, expense_form=form, status=400)
