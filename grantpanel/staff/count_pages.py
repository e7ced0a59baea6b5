"""The count and decision pages: run the count once, change one application at a time, confirm
what was shown (``services/count_runs.py`` has the rules)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from grantpanel import lifecycle
from grantpanel.extensions import db
from grantpanel.i18n import _
from grantpanel.models import Round
from grantpanel.services import count_runs, counting, jobs, rounds, stages
from grantpanel.staff import bp
from grantpanel.staff.forms import ActionForm, build_change_form
from grantpanel.staff.routes import _round_or_404


@dataclass(frozen=True)
class Listing:
    """One page of the ranked rows (for ``macros/pager.html``)."""

    rows: list[dict[str, Any]]
    page: int
    pages: int


def _page_of(rows: list[dict[str, Any]]) -> Listing:
    size = count_runs.COUNT_PAGE_SIZE
    pages = max(1, -(-len(rows) // size))
    page = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
    return Listing(rows[(page - 1) * size: page * size], page, pages)


def _context(rnd: Round) -> dict[str, Any]:
    context: dict[str, Any] = {
        "rnd": rnd, "action_form": ActionForm(), "preview": None, "decision": None,
        "listing": None, "funding": None, "problem": None, "overrides": {},
        "count_run": None, "changes": [], "totals": None, "job": None,
    }
    if jobs.enabled():
        job = jobs.latest(rnd, "publish" if rnd.lifecycle.decided else "count")
        if job is not None and (job.status in jobs.ACTIVE or job.status == "failed"):
            context["job"] = job
            if job.status == "failed":
                context["problem"] = job.message
    if rnd.lifecycle.decided:
        decision = counting.current_decision(rnd)
        if decision is not None:
            rows = counting.ranked_rows(decision.count["inputs"], decision.count["outputs"])
            context.update(
                decision=decision, listing=_page_of(rows),
                funding=decision.count["outputs"]["funding"],
                overrides={o["application"]: o for o in decision.overrides},
            )
    elif rnd.lifecycle.counted:
        count_run = count_runs.stored(rnd)
        if count_run is not None:
            pv = count_runs.preview_of(count_run)
            changes = count_runs.pending(rnd)
            context.update(
                count_run=count_run, preview=pv, listing=_page_of(pv.rows), funding=pv.funding,
                changes=changes, totals=count_runs.totals(rnd, count_run, changes),
                overrides={c.application_ref: c for c in changes},
            )
    return context


@bp.route("/rounds/<int:round_id>/count", methods=["GET", "POST"])
def count(round_id: int) -> ResponseReturnValue:
    """GET: the stored count (or a button to run it), the decision once confirmed.
    POST: confirm the count that was shown, with the pending changes."""
    rnd = _round_or_404(round_id)
    if request.method == "POST":
        form = ActionForm()
        if not form.validate_on_submit():
            abort(400)
        if rnd.lifecycle.decided:  # Confirm pressed again after it was done
            flash(lifecycle.TRANSITIONS["decide"].done_text)
            return redirect(url_for("staff.count", round_id=rnd.id))
        try:
            count_runs.confirm(rnd, current_user, request.form.get("count_digest", ""))
        except lifecycle.AlreadyDoneError as e:
            db.session.rollback()
            flash(str(e))
            return redirect(url_for("staff.count", round_id=rnd.id))
        except (counting.CountError, lifecycle.TransitionError) as e:
            db.session.rollback()
            missing = stages.decide_problems(rnd)
            context = _context(rnd)
            context["problem"] = " ".join([str(e), *missing]) if missing else str(e)
            return render_template("staff/count.html", **context), 400
        db.session.commit()
        flash(_("The decision is confirmed. Check it below, then publish it."))
        return redirect(url_for("staff.count", round_id=rnd.id))
    return render_template("staff/count.html", **_context(rnd))


@bp.route("/rounds/<int:round_id>/count/run", methods=["POST"])
def count_run(round_id: int) -> ResponseReturnValue:
    """Run the count now and store it (replacing the stored one)."""
    rnd = _round_or_404(round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if jobs.enabled():  # a large round: a worker runs it; the page waits for it
        if not rnd.lifecycle.counted or rnd.lifecycle.decided:
            abort(409)
        job = jobs.submit(rnd, "count", current_user)
        queued = job.status == "queued" and job.attempts == 0
        db.session.commit()
        if queued:
            jobs.dispatch(job)
        return redirect(url_for("staff.count", round_id=rnd.id))
    try:
        count_runs.run(rnd, current_user)
    except counting.CountError as e:
        db.session.rollback()
        missing = stages.decide_problems(rnd)
        context = _context(rnd)
        context["problem"] = " ".join(
            [_("The count cannot be run yet."), *missing, str(e)] if missing else [str(e)])
        return render_template("staff/count.html", **context), 400
    db.session.commit()
    flash(_("The count has been run. Check it below."))
    return redirect(url_for("staff.count", round_id=rnd.id))


@bp.route("/rounds/<int:round_id>/count/applications/<reference>", methods=["GET", "POST"])
def count_change(round_id: int, reference: str) -> ResponseReturnValue:
    """Change the count's result for one application, with the reason to publish."""
    rnd = _round_or_404(round_id)
    count_run = count_runs.stored(rnd)
    row = count_runs.result_of(count_run, reference) if count_run is not None else None
    if row is None or rnd.lifecycle.decided:
        abort(404)
    existing = next((c for c in count_runs.pending(rnd) if c.application_ref == reference),
                    None)
    form = build_change_form(row)
    if request.method == "GET" and existing is not None:
        form.action.data = existing.action
        form.reason.data = existing.reason
    if form.validate_on_submit():
        try:
            count_runs.set_override(rnd, reference, form.action.data, form.reason.data or "",
                                    current_user)
        except count_runs.OverrideError as e:
            db.session.rollback()
            form.action.errors = [*form.action.errors, str(e)]
        else:
            db.session.commit()
            flash(_("Saved. The change to %(application)s is applied when you confirm the "
                    "decision.", application=reference) if form.action.data != "keep"
                  else _("%(application)s keeps its result as counted.",
                         application=reference))
            return redirect(url_for("staff.count", round_id=rnd.id) + "#changes")
    status = 400 if form.errors else 200
    return render_template("staff/count_change.html", rnd=rnd, row=row, form=form,
                           existing=existing, rounds=rounds), status
