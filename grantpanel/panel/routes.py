"""The panel member's journey: rounds, conflicts first, the queue, and the score sheet.

Every rule (who may open what, what a valid sheet is, when others' scores show) lives in
``services/conflicts.py`` and ``services/scoring.py``; these views look things up, call the
services, commit once, and redirect after a successful POST.

The decision stages after scoring have their pages here too: the stage-2 sheet ("score
again after the discussion", the same sheet page at stage 2), the ranked vote
(``services/ballots.py``) and consent on the funded list (``services/consent.py``). Each
works without JavaScript.

The score sheet also answers the page's automatic draft saving (``static/autosave.js``): a
POST with the header ``X-Requested-With: fetch`` gets ``204 No Content`` when the draft is
saved, or a small JSON ``{"saved": false, "message": ...}`` with a 4xx status when it is not,
never a redirect or a page.
"""

from __future__ import annotations

import re
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
from grantpanel.models import Application, Ballot, Conflict, Membership, ScoreSheet, as_utc
from grantpanel.panel import bp
from grantpanel.panel.forms import (
    ConflictsForm,
    ConsentForm,
    DeclareConflictForm,
    ScoreSheetForm,
    ballot_form_class,
    conflicts_form_class,
    score_sheet_class,
)
from grantpanel.services import (
    assignment,
    ballots,
    conflicts,
    consent,
    counting,
    meeting,
    panel_care,
    scoring,
    stages,
)
from grantpanel.services.content import localised
from grantpanel.vocabulary import BallotStatus, ConsentPosition, QueueStatus, SheetStatus, StageKind

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


def _plain_forbidden(message: str) -> Forbidden:
    """A 403 page that says ``message`` in plain words (reading shared out: not theirs)."""
    err = Forbidden(message)
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
         "new_to_check": conflicts.needs_conflict_check(m),
         "tasks": _tasks(m)}
        for m in memberships
    ]
    return render_template("panel/home.html", rounds=rounds)


def _tasks(m: Membership) -> list[dict[str, object]]:
    """What is open for the member now after scoring (re-score, ranked vote, consent), each
    with its link, a call to action and how much is left (``left``)."""
    rnd = m.round
    lc = rnd.lifecycle
    meeting_on = meeting.under_way(rnd)
    if not (meeting_on or lc.rescoring or lc.accepts_ballots or lc.accepts_consents):
        return []
    if conflicts.needs_conflict_check(m):
        return []  # the conflicts check comes first (the home page says so)
    out: list[dict[str, object]] = []
    if meeting_on:
        out.append({"kind": "meeting", "left": 0, "total": 0,
                    "link": url_for("meeting.view", round_id=rnd.id)})
    if lc.rescoring and scoring.rescore_declared(rnd):
        items = scoring.rescore_queue(m)
        done, total = scoring.progress(items)
        if total:
            out.append({"kind": "rescore", "left": total - done, "total": total,
                        "link": url_for("panel.round_queue", round_id=rnd.id) + "#score-again"})
    if lc.accepts_ballots and stages.stage(rnd, StageKind.RANKED) is not None:
        ballot = ballots.ballot_for(m)
        submitted = ballot is not None and ballot.status == BallotStatus.SUBMITTED
        out.append({"kind": "vote", "left": 0 if submitted else 1, "total": 1,
                    "draft": ballot is not None and not submitted,
                    "link": url_for("panel.vote", round_id=rnd.id)})
    if lc.accepts_consents and stages.stage(rnd, StageKind.CONSENT) is not None:
        answered = consent.answer_for(m) is not None
        out.append({"kind": "consent", "left": 0 if answered else 1, "total": 1,
                    "link": url_for("panel.consent", round_id=rnd.id)})
    return out


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
    applications = unchecked or conflicts.applications_to_check(m)
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
    query = " ".join(request.args.get("q", "").split())[:100]
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
        query=query,
        found=conflicts.search_applicants(m, query) if query else [],
        search_min=conflicts.SEARCH_MIN_LENGTH,
        shared_out=assignment.uses_assignment(m.round),
    )


@bp.route("/rounds/<int:round_id>/")
def round_queue(round_id: int) -> ResponseReturnValue:
    m = _membership(round_id)
    if conflicts.needs_conflict_check(m):
        return redirect(url_for("panel.check_conflicts", round_id=round_id))
    listing = scoring.queue_page(m, request.args.get("page", 1, type=int) or 1)
    rescore_items = scoring.rescore_queue(m)
    rescored, rescore_total = scoring.progress(rescore_items)
    return render_template(
        "panel/queue.html",
        membership=m,
        round=m.round,
        items=listing.items,
        listing=listing,
        submitted=listing.submitted,
        total=listing.total,
        rescore_items=rescore_items,
        rescored=rescored,
        rescore_total=rescore_total,
        tasks=[t for t in _tasks(m) if t["kind"] != "rescore"],
        status_tags=STATUS_TAGS,
        stepped_aside=len(conflicts.conflicted_application_ids(m)),
        deadline=panel_care.member_deadline(m),
    )


@bp.route(
    "/rounds/<int:round_id>/applications/<int:application_id>", methods=["GET", "POST"]
)
def application(round_id: int, application_id: int) -> ResponseReturnValue:
    return _sheet_page(round_id, application_id, stage=1)


@bp.route(
    "/rounds/<int:round_id>/applications/<int:application_id>/score-again",
    methods=["GET", "POST"],
)
def rescore(round_id: int, application_id: int) -> ResponseReturnValue:
    """The stage-2 sheet: score a flagged application again after the discussion."""
    return _sheet_page(round_id, application_id, stage=2)


def _sheet_url(round_id: int, application_id: int, stage: int) -> str:
    endpoint = "panel.rescore" if stage == 2 else "panel.application"
    return url_for(endpoint, round_id=round_id, application_id=application_id)


def _sheet_page(round_id: int, application_id: int, *, stage: int) -> ResponseReturnValue:
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
    except scoring.NotAssignedError as e:
        if autosave:
            return _autosave_refused(str(e), 403)
        raise _plain_forbidden(str(e)) from None
    except scoring.ScoringError:
        abort(404)

    rnd = m.round
    flagged = stages.flagged(rnd) if (rnd.lifecycle.rescoring or stage == 2) else []
    is_flagged = a.reference in flagged
    sheet = scoring.sheet_for(m, a, stage=stage)
    if stage == 2 and not (is_flagged and scoring.rescore_declared(rnd)):
        abort(404)
    if stage == 2 and sheet is None and not scoring.can_save(rnd, 2):
        if autosave:
            return _autosave_refused(str(scoring.RESCORE_CLOSED_MESSAGE), 409)
        return redirect(_sheet_url(round_id, a.id, 1))
    criteria = list(rnd.criteria)
    form = score_sheet_class(criteria, objection=scoring.objections_allowed(rnd, stage))()
    if autosave:
        return _autosave(m, a, form, stage)
    first_sheet = scoring.sheet_for(m, a, stage=1) if stage == 2 else None
    if request.method == "GET":
        loaded = sheet if sheet is not None and sheet.status != SheetStatus.WITHDRAWN else None
        if loaded is None and first_sheet is not None \
                and first_sheet.status != SheetStatus.WITHDRAWN:
            loaded = first_sheet  # stage 2 starts from their stage-1 answers
        if loaded is not None:
            form.load(loaded.scores, loaded.panel_note, loaded.feedback,
                      loaded.objection, loaded.objection_reason)

    if form.validate_on_submit():
        submit = form.submitting
        objection, objection_reason = form.objection_answer()
        try:
            scoring.save_sheet(
                m,
                a,
                scores=form.scores(),
                panel_note=form.panel_note.data or "",
                feedback=form.feedback.data or "",
                submit=submit,
                actor=current_user,
                stage=stage,
                objection=objection,
                objection_reason=objection_reason,
            )
        except scoring.ScoreValidationError as e:
            db.session.rollback()
            _sheet_errors(form, e.errors)
        except scoring.ScoringError as e:
            db.session.rollback()
            form.form_errors.append(str(e))
        else:
            db.session.commit()
            if submit and stage == 2:
                flash(_("Your new scores for %(title)s are submitted and will count instead of "
                        "your first scores.", title=localised(a, "title").text))
                return redirect(url_for("panel.round_queue", round_id=round_id)
                                + "#score-again")
            if submit:
                return redirect(
                    url_for("panel.submitted", round_id=round_id, application_id=a.id)
                )
            if stage == 2:
                flash(_("Your draft is saved. It does not count until you submit it. You can "
                        "come back to it at any time before re-scoring closes."))
            else:
                flash(
                    _(
                        "Your draft is saved. It does not count until you submit it. You can "
                        "come back to it at any time before scoring closes."
                    )
                )
            return redirect(_sheet_url(round_id, a.id, stage))

    already_submitted = sheet is not None and sheet.status == SheetStatus.SUBMITTED
    if already_submitted:
        form.submit_scores.label.text = _("Submit my changed scores")
    can_score = scoring.can_save(rnd, stage)
    return render_template(
        "panel/application.html",
        membership=m,
        round=rnd,
        application=a,
        criteria=criteria,
        form=form,
        sheet=sheet,
        stage=stage,
        first_sheet=first_sheet,
        action=_sheet_url(round_id, a.id, stage),
        rescore_link=(_sheet_url(round_id, a.id, 2)
                      if stage == 1 and is_flagged and scoring.can_save(rnd, 2) else None),
        already_submitted=already_submitted,
        others=scoring.others_scores(m, a, stage=stage),
        can_score=can_score,
        autosave_on=can_score and not already_submitted,
        sheet_version=_sheet_version(sheet),
    )


def _sheet_errors(form: ScoreSheetForm, errors: dict[str, str]) -> None:
    """The scoring service's problems beside the questions (and the objection reason)."""
    objection = errors.pop(scoring.OBJECTION_KEY, None)
    if objection and form.takes_objection:
        f = form["objection_reason"]
        f.errors = list(f.errors) + [objection]
    elif objection:
        form.form_errors.append(objection)
    form.add_errors(errors)


def _autosave(m: Membership, a: Application, form: ScoreSheetForm,
              stage: int = 1) -> ResponseReturnValue:
    """Answer the score sheet script's draft save: 204 when saved, else JSON and a 4xx."""
    if not form.validate_on_submit():
        first = next(iter(form.errors.values()), [_("Some answers could not be read.")])
        return _autosave_refused(str(first[0]), 422)
    objection, objection_reason = form.objection_answer()
    try:
        sheet = scoring.autosave_draft(
            m,
            a,
            scores=form.scores(),
            panel_note=form.panel_note.data or "",
            feedback=form.feedback.data or "",
            actor=current_user,
            stage=stage,
            objection=objection,
            objection_reason=objection_reason,
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
    done, total = scoring.queue_progress(m)
    return render_template(
        "panel/submitted.html",
        membership=m,
        round=m.round,
        application=a,
        next_application=scoring.next_to_score(m, a),
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
                    title=localised(a, "title").text,
                )
            )
            return redirect(url_for("panel.round_queue", round_id=round_id))
    return render_template(
        "panel/declare_conflict.html", membership=m, round=m.round, application=a, form=form,
        needs_reason=needs_reason,
    )


# --- The ranked vote ----------------------------------------------------------------------

_MOVE = re.compile(r"(up|down)-([0-9]{1,9})")


@bp.route("/rounds/<int:round_id>/vote", methods=["GET", "POST"])
def vote(round_id: int) -> ResponseReturnValue:
    """Rank (or tick) the shortlist: a choice number per application, move-up/move-down
    buttons that each save the new order as a draft, then Submit. No JavaScript needed."""
    m = _membership(round_id)
    rnd = m.round
    if ballots.method(rnd) is None:
        abort(404)
    if conflicts.needs_conflict_check(m):
        return redirect(url_for("panel.check_conflicts", round_id=round_id))
    approval = ballots.is_approval(rnd)
    applications = ballots.ballot_applications(m) if rnd.lifecycle.counted else []
    ballot = ballots.ballot_for(m)
    form = ballot_form_class(applications, approval=approval)()
    is_open = rnd.lifecycle.accepts_ballots
    saved_ranking = list(ballot.ranking) if ballot is not None else []
    order = ballots.order_for_display(saved_ranking, applications)
    unsaved_change = False

    if request.method == "GET" and ballot is not None:
        if approval:
            form.set_approved(list(ballot.approved))
        else:
            form.set_ranking(saved_ranking)

    if is_open and form.validate_on_submit():
        move = _MOVE.fullmatch(request.form.get("move", ""))
        sorting = bool(request.form.get("sort"))
        try:
            if approval:
                chosen: list[int] = form.approved()
            else:
                chosen = ballots.ranking_from_numbers(form.numbers())
            if move is not None and not approval:
                chosen = ballots.move(chosen, int(move.group(2)), move.group(1))
            submit = form.submitting and move is None and not sorting
            if ballot is not None and ballot.status == BallotStatus.SUBMITTED and not submit:
                # Never quietly withdraw a submitted vote: show the new order, unsaved.
                ballots.check_ballot_ids(m, chosen)
                if approval:
                    form.set_approved(chosen)
                else:
                    form.set_ranking(chosen)
                order = ballots.order_for_display(chosen, applications)
                unsaved_change = True
            else:
                saved = ballots.save_ballot(
                    m, ranking=[] if approval else chosen, approved=chosen if approval else [],
                    submit=submit, actor=current_user,
                )
                db.session.commit()
                return _after_ballot_save(m, saved, move, submit, applications)
        except ballots.BallotValidationError as e:
            db.session.rollback()
            form.add_errors(e.errors)
        except ballots.BallotError as e:
            db.session.rollback()
            form.form_errors.append(str(e))

    return render_template(
        "panel/vote.html",
        membership=m,
        round=rnd,
        form=form,
        approval=approval,
        method=ballots.method(rnd),
        ballot=ballot,
        order=order,
        ranked_count=sum(1 for a in order if str(form.box(a.id).data or "").strip())
        if not approval else 0,
        is_open=is_open,
        unsaved_change=unsaved_change,
        saved_ranking=saved_ranking,
    )


def _after_ballot_save(m: Membership, ballot: Ballot, move: re.Match[str] | None,
                       submit: bool, applications: list[Application]) -> ResponseReturnValue:
    url = url_for("panel.vote", round_id=m.round_id)
    if submit:
        flash(_("Your vote is submitted and will count. You can change it and submit again "
                "until the vote closes."))
        return redirect(url)
    if move is not None:
        moved = next((a for a in applications if a.id == int(move.group(2))), None)
        if moved is not None and moved.id in ballot.ranking:
            flash(_("%(title)s is now your choice number %(number)d. Your draft is saved.",
                    title=localised(moved, "title").text,
                    number=ballot.ranking.index(moved.id) + 1))
        elif moved is not None:
            flash(_("%(title)s no longer has a choice number. Your draft is saved.",
                    title=localised(moved, "title").text))
        return redirect(f"{url}#choice-{move.group(2)}")
    flash(_("Your draft is saved. It does not count until you submit it."))
    return redirect(url)


# --- Consent on the funded list -----------------------------------------------------------


@bp.route("/rounds/<int:round_id>/consent", methods=["GET", "POST"], endpoint="consent")
def consent_page(round_id: int) -> ResponseReturnValue:
    """Agree with the proposed funded list, or object to one application on it."""
    m = _membership(round_id)
    rnd = m.round
    if stages.stage(rnd, StageKind.CONSENT) is None:
        abort(404)
    if conflicts.needs_conflict_check(m):
        return redirect(url_for("panel.check_conflicts", round_id=round_id))
    is_open = rnd.lifecycle.accepts_consents
    problem = ""
    funded: list[consent.FundedItem] = []
    if is_open:
        try:
            funded = consent.funded_list(m)
        except counting.CountError as e:
            problem = str(e)
    answer = consent.answer_for(m)
    form = ConsentForm()
    form.set_applications([i.application for i in funded if not i.conflicted])
    if request.method == "GET" and answer is not None:
        form.position.data = str(answer.position)
        form.application.data = str(answer.application_id or "")
        form.reason.data = answer.reason

    if is_open and not problem and form.validate_on_submit():
        try:
            consent.save_answer(
                m, position=str(form.position.data or ""),
                application_id=form.application_id(), reason=form.reason.data or "",
                actor=current_user,
            )
        except consent.ConsentValidationError as e:
            db.session.rollback()
            for name, message in e.errors.items():
                f = form[name]
                f.errors = list(f.errors) + [message]
        except consent.ConsentError as e:
            db.session.rollback()
            form.form_errors.append(str(e))
        else:
            db.session.commit()
            if form.position.data == ConsentPosition.OBJECT:
                flash(_("Your objection is sent to the panel and the grants team. You can "
                        "change your answer until this step closes."))
            else:
                flash(_("Thank you. You agree with the list. You can change your answer "
                        "until this step closes."))
            return redirect(url_for("panel.consent", round_id=round_id))

    return render_template(
        "panel/consent.html",
        membership=m,
        round=rnd,
        form=form,
        funded=funded,
        total=sum(i.amount for i in funded),
        answer=answer,
        is_open=is_open,
        problem=problem,
    )
