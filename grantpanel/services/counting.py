"""Counting, confirmation and publication: the bridge between the database and ``voting``.

The web app only gathers inputs (``record_inputs``) and stores results; every counting rule
lives in :mod:`voting` (``decide_round``, ``build_record``).  A confirmed decision stores the
exact inputs and outputs that staff saw, so the published record is what was confirmed, even
if something changes in the tables afterwards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

import voting
from grantpanel.extensions import db
from grantpanel.i18n import _, ngettext
from grantpanel.models import (
    Application,
    Ballot,
    Conflict,
    ConsentAnswer,
    Decision,
    Membership,
    PublishedRecord,
    RecordChainHead,
    Round,
    ScoreSheet,
    User,
    utcnow,
)
from grantpanel.presenters import money
from grantpanel.services import assignment, locks, stages, transitions
from grantpanel.services.conflicts import AFTER_CLOSE
from grantpanel.vocabulary import (
    BallotStatus,
    Involvement,
    MethodKey,
    Outcome,
    SheetStatus,
    StageKind,
    TieBreak,
)
from voting.draws import DRAW_PROCEDURE
from voting.errors import VotingError
from voting.record import CURRENT_SCHEMA_VERSION, record_outputs

BINDING_LEVELS = tuple(k for k in Involvement if k.binding)
TIE_BREAK_KEYS = tuple(TieBreak.chosen())


class CountError(ValueError):
    """A plain-English reason the count, decision or publication cannot go ahead."""


@dataclass
class CountPreview:
    """What staff see before confirming: the engine's outputs, in ranked order."""

    inputs: dict[str, Any]
    outputs: dict[str, Any]
    rows: list[dict[str, Any]]
    funding: dict[str, Any]
    problems: list[str] = field(default_factory=list)


def _iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tie_break_chain(rnd: Round) -> list[str]:
    """The round's declared tie-break chain, always ending in the seeded draw."""
    chain = [k for k in (rnd.tie_break or []) if k in TIE_BREAK_KEYS]
    return [*chain, TieBreak.DRAW.value]


def _ballots(rnd: Round, pseudonym: dict[int, str], ref: dict[int, str],
             chain: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``ballots``: each member's submitted ballot, in panel order, by application reference."""
    ranked = next((s for s in chain if s["kind"] == StageKind.RANKED), None)
    if ranked is None:
        return []
    key = "approved" if ranked["method"] == MethodKey.APPROVAL else "ranking"
    found = db.session.scalars(
        select(Ballot).where(Ballot.round_id == rnd.id, Ballot.status == BallotStatus.SUBMITTED)
    ).all()
    order = {m: i for i, m in enumerate(pseudonym)}
    out = []
    for b in sorted((b for b in found if b.membership_id in pseudonym),
                    key=lambda b: order[b.membership_id]):
        ids = [ref[a] for a in (b.approved if key == "approved" else b.ranking) if a in ref]
        out.append({"member": pseudonym[b.membership_id], "stage": StageKind.RANKED.value,
                    key: sorted(ids) if key == "approved" else ids})
    return out


def _consents(rnd: Round, pseudonym: dict[int, str], ref: dict[int, str],
              chain: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``consents``: each member's answer on the funded list, in panel order (no reasons)."""
    if not any(s["kind"] == StageKind.CONSENT for s in chain):
        return []
    found = db.session.scalars(
        select(ConsentAnswer).where(ConsentAnswer.round_id == rnd.id)
    ).all()
    order = {m: i for i, m in enumerate(pseudonym)}
    return [
        {"member": pseudonym[c.membership_id], "position": str(c.position),
         "application": ref.get(c.application_id) if c.application_id is not None else None}
        for c in sorted((c for c in found if c.membership_id in pseudonym),
                        key=lambda c: order[c.membership_id])
    ]


def record_inputs(rnd: Round, *, published_at: dt.datetime | None = None) -> dict[str, Any]:
    """The input sections of the decision record for ``rnd`` (schema 3, see
    docs/record-format.md): schema 2's, plus the declared chain (``rules.stages``), each
    sheet's strong-objection flag, the submitted ballots and the consent answers.

    Only public fields of applications and pseudonyms of members go in; private notes,
    feedback, names and emails never do.  Each conflict carries who declared it (``member``
    or ``staff``) and when (``before-close`` or ``after-close``), and an after-close one its
    published reason.  ``sheets`` holds the submitted sheets, plus every sheet that had been
    submitted and was then withdrawn by a conflict recorded after scoring closed: the count
    sets it aside (its member has a conflict), and anyone can recount with and without it.
    A round that shares reading out (``readers_per_application``) also carries the optional
    ``assignment`` section: which member was asked to read which application, by pseudonym
    (:func:`grantpanel.services.assignment.record_section`); other rounds' inputs are
    exactly as before.
    """
    if rnd.seed is None or rnd.seed_commitment is None:
        raise CountError(_("This round has no random seed yet. It gets one when scoring opens."))
    members = sorted(rnd.memberships, key=lambda m: m.number)
    pseudonym = {m.id: m.pseudonym for m in members}
    chain = stages.declared_stages(rnd)
    criteria = sorted(rnd.criteria, key=lambda c: c.position)
    keys = [c.key for c in criteria]
    # A withdrawn application is not counted: the record lists it under the optional
    # ``withdrawn`` (only when there is one), and nothing else may name it.
    apps = sorted((a for a in rnd.applications if a.withdrawn_at is None),
                  key=lambda a: a.reference)
    withdrawn = sorted((a for a in rnd.applications if a.withdrawn_at is not None),
                       key=lambda a: a.reference)
    ref = {a.id: a.reference for a in apps}
    # One subquery, not a list of every application id (10,000 bound values in a big round).
    round_apps = select(Application.id).where(Application.round_id == rnd.id,
                                              Application.withdrawn_at.is_(None))
    conflicts = db.session.scalars(
        select(Conflict).where(Conflict.application_id.in_(round_apps)).order_by(Conflict.id)
    ).all()
    late = {(c.membership_id, c.application_id) for c in conflicts
            if c.declared_when == AFTER_CLOSE}
    sheets = [
        s for s in db.session.scalars(
            select(ScoreSheet)
            .where(
                ScoreSheet.application_id.in_(round_apps),
                or_(
                    ScoreSheet.status == SheetStatus.SUBMITTED,
                    and_(ScoreSheet.status == SheetStatus.WITHDRAWN, ScoreSheet.submitted_at.is_not(None)),
                ),
            )
            .order_by(ScoreSheet.id)
        )
        if s.status == SheetStatus.SUBMITTED or (s.membership_id, s.application_id) in late
    ]
    # Optional section: only a round that shares reading out carries it (docs/record-format.md).
    shared_out = assignment.record_section(rnd, pseudonym, apps)
    return {
        **({"assignment": shared_out} if shared_out is not None else {}),
        **({"withdrawn": [{"application": a.reference, "reason": a.withdrawal_reason}
                          for a in withdrawn]} if withdrawn else {}),
        "schema_version": CURRENT_SCHEMA_VERSION,
        "voting_version": voting.__version__,
        "organisation": str(current_app.config.get("ORGANISATION_NAME", "")),
        "round": {
            "id": rnd.id,
            "name": rnd.name,
            "purpose": rnd.purpose,
            "currency": rnd.currency,
            "budget": int(rnd.budget),
            "involvement": str(rnd.involvement),
            "binding": rnd.involvement in BINDING_LEVELS,
            "published_at": _iso(published_at or utcnow()),
        },
        "rules": {
            "quorum": int(rnd.quorum),
            "tie_break": tie_break_chain(rnd),
            "stages": chain,
        },
        "rubric": [
            {
                "key": c.key,
                "name": c.name,
                "guidance": c.guidance,
                "weight": int(c.weight),
                "scale_min": int(c.scale_min),
                "scale_max": int(c.scale_max),
                "descriptors": list(c.descriptors),
            }
            for c in criteria
        ],
        "applications": [
            {
                "id": a.reference,
                "title": a.title,
                "summary": a.summary,
                "amount": int(a.amount),
                "eligible": bool(a.eligible),
                "eligibility_reason": a.eligibility_reason or "",
            }
            for a in apps
        ],
        "panel": [pseudonym[m.id] for m in members],
        "sheets": [
            {
                "member": pseudonym[s.membership_id],
                "application": ref[s.application_id],
                "stage": int(s.stage),
                "scores": {k: (None if s.scores.get(k) is None else int(s.scores[k]))
                           for k in keys},
                "objection": bool(s.objection),
                # Optional: only an assisted sheet carries it (services/panel_care.py).
                **({"assisted": True} if s.entered_by_id is not None else {}),
            }
            for s in sheets
            if s.membership_id in pseudonym
        ],
        "conflicts": [
            {
                "member": pseudonym[c.membership_id],
                "application": ref[c.application_id],
                "category": str(c.category),
                "declared_by": str(c.declared_role),
                "when": str(c.declared_when),
                **({"reason": c.reason} if c.declared_when == AFTER_CLOSE else {}),
            }
            for c in conflicts
            if c.membership_id in pseudonym
        ],
        "ballots": _ballots(rnd, pseudonym, ref, chain),
        "consents": _consents(rnd, pseudonym, ref, chain),
        "randomness": {
            "commitment": rnd.seed_commitment,
            "seed": rnd.seed,
            "procedure": DRAW_PROCEDURE,
        },
    }


def ranked_rows(inputs: dict[str, Any], outputs: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-application results in ranked order (unranked last), with title and amount."""
    apps = {a["id"]: a for a in inputs["applications"]}
    results = outputs["applications"]
    ranked = sorted(
        results, key=lambda r: (r["rank"] is None, r["rank"] or 0, r["id"])
    )
    return [{**r, "title": apps[r["id"]]["title"], "amount": apps[r["id"]]["amount"]}
            for r in ranked]


def _problems(rnd: Round) -> list[str]:
    drafts = db.session.scalar(
        select(func.count(ScoreSheet.id))
        .join(Membership, Membership.id == ScoreSheet.membership_id)
        .where(Membership.round_id == rnd.id, ScoreSheet.status == SheetStatus.DRAFT)
    ) or 0
    out = []
    if drafts:
        out.append(
            ngettext(
                "%(num)d score sheet was saved as a draft but never submitted. "
                "Drafts are not counted.",
                "%(num)d score sheets were saved as a draft but never submitted. "
                "Drafts are not counted.",
                drafts,
            )
        )
    return out


def preview(rnd: Round) -> CountPreview:
    """Run the count on the current data without storing anything."""
    if not rnd.lifecycle.counted:
        raise CountError(_("You can run the count once scoring has closed."))
    inputs = record_inputs(rnd)
    try:
        outputs = record_outputs(inputs)  # by the rules of the inputs' schema version
    except VotingError as e:
        raise CountError(_("The count could not be run: %(problem)s.", problem=e)) from e
    return CountPreview(
        inputs=inputs,
        outputs=outputs,
        rows=ranked_rows(inputs, outputs),
        funding=outputs["funding"],
        problems=_problems(rnd),
    )


def current_decision(rnd: Round) -> Decision | None:
    return db.session.scalar(select(Decision).where(Decision.round_id == rnd.id))


def decide(rnd: Round, actor: User, overrides: list[dict[str, Any]], *,
           counted: CountPreview | None = None) -> Decision:
    """Confirm the computed decision, or override it with written reasons.

    Each override is ``{"application": ref, "action": "fund"|"unfund", "reason": text}``.
    The total after overrides may not exceed the budget.

    The round is locked first and its state read fresh (:func:`transitions.begin`), so one
    decision is made however many times Confirm is pressed at once: a second press raises
    :class:`lifecycle.AlreadyDoneError` ("already confirmed"), and the count is run on the
    sheets as they stand once no sheet can change any more.

    Refused with :class:`CountError` naming what is missing until every decision stage the
    round needs is done (:func:`stages.check_decide`) and, with a consent stage, until the
    panel consented to the funded list (:func:`stages.consent_problem`).

    ``counted``: the stored count staff checked (``services.count_runs``); without it the
    count is run now.
    """
    from voting.record import apply_overrides

    transitions.begin(rnd, "decide")
    try:
        stages.check_decide(rnd)
    except stages.StageError as e:
        raise CountError(str(e)) from e
    clean: list[dict[str, Any]] = []
    for o in overrides:
        reason = str(o.get("reason", "")).strip()
        if not reason:
            raise CountError(
                _(
                    "Give a reason for changing the decision on %(application)s. "
                    "The reason is published with the decision.",
                    application=o.get("application"),
                )
            )
        clean.append(
            {"application": str(o["application"]), "action": str(o["action"]), "reason": reason}
        )
    pv = counted if counted is not None else preview(rnd)
    problem = stages.consent_problem(pv.outputs)
    if problem:
        raise CountError(problem)
    try:
        decision_body = apply_overrides(pv.outputs, clean, pv.inputs["applications"])
    except VotingError as e:
        raise CountError(_("That change cannot be made: %(problem)s.", problem=e)) from e
    if decision_body["total"] > rnd.budget:
        raise CountError(
            _(
                "With these changes the total would be %(total)s, which is more than the "
                "budget of %(budget)s. Remove an application from the funded list first.",
                total=money(decision_body["total"], rnd.currency),
                budget=money(rnd.budget, rnd.currency),
            )
        )
    decision = Decision(
        round_id=rnd.id,
        count={"inputs": pv.inputs, "outputs": pv.outputs},
        outcome=Outcome.OVERRIDDEN if clean else Outcome.CONFIRMED,
        overrides=clean,
        author_id=actor.id,
    )
    db.session.add(decision)
    transitions.move(
        rnd,
        "decide",
        actor,
        outcome=decision.outcome,
        overrides=[{"application": o["application"], "action": o["action"]} for o in clean],
    )
    return decision


def withdraw_decision(rnd: Round, actor: User) -> None:
    """Undo a confirmed (not yet published) decision; the audit log keeps the history."""
    decision = current_decision(rnd)
    transitions.move(rnd, "undo-decision", actor)
    if decision is not None:
        db.session.delete(decision)


def latest_record() -> PublishedRecord | None:
    """The organisation's latest published record (the head of the chain), or ``None``.

    To chain a new record to it, take :func:`lock_chain_head` first.
    """
    return db.session.scalar(
        select(PublishedRecord).order_by(PublishedRecord.published_at.desc(),
                                         PublishedRecord.id.desc()).limit(1)
    )


def lock_chain_head() -> RecordChainHead:
    """Take the record chain's head row for the rest of the transaction (made if missing).

    One row (``id`` 1) stands for the end of the chain. Publishing locks it ``FOR UPDATE``
    (PostgreSQL) or takes the database write lock (SQLite) before reading
    :func:`latest_record`, so publishes -- of any rounds -- run one at a time from there to
    their commit, and each chains to the record the one before it published. If two first
    publishes both find no row, both insert one; the second insert waits for the first to
    commit, fails on the primary key inside a savepoint, and then locks the row the first made.
    """
    where = RecordChainHead.id == 1
    head = locks.lock_one(RecordChainHead, where)
    if head is None:
        try:
            with db.session.begin_nested():
                db.session.add(RecordChainHead(id=1))
        except IntegrityError:
            pass  # another publish made the row at the same moment: lock that one
        head = locks.lock_one(RecordChainHead, where)
    if head is None:  # pragma: no cover  (the row was made above)
        raise CountError(_("The record chain could not be locked. Try publishing again."))
    return head


def publish(rnd: Round, actor: User) -> PublishedRecord:
    """Publish the confirmed decision as an immutable, chained decision record.

    Atomic and single: the round is locked and its state read fresh (a second Publish raises
    :class:`lifecycle.AlreadyDoneError`, "already published"), then the chain head is locked
    (:func:`lock_chain_head`), so two rounds published at the same moment never both chain to
    the same previous record. The record's time is taken under the lock, so the chain's order
    is the order of ``published_at``.
    """
    transitions.begin(rnd, "publish")
    decision = current_decision(rnd)
    if decision is None:
        raise CountError(_("Confirm the decision before publishing it."))
    head = lock_chain_head()
    now = utcnow()
    inputs = dict(decision.count["inputs"])
    inputs["round"] = {**inputs["round"], "published_at": _iso(now)}
    previous = latest_record()
    try:
        record = voting.build_record(
            inputs,
            overrides=list(decision.overrides),
            previous_digest=previous.digest if previous is not None else None,
        )
    except VotingError as e:
        raise CountError(_("The record could not be built: %(problem)s.", problem=e)) from e
    body = voting.canonical_json(record).decode("utf-8")
    published = PublishedRecord(
        round_id=rnd.id,
        body=body,
        digest=record["digest"],
        previous_digest=record.get("previous_digest"),
        published_at=now,
    )
    db.session.add(published)
    head.digest = published.digest
    head.updated_at = now
    transitions.move(rnd, "publish", actor, digest=record["digest"])
    return published
