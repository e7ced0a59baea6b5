"""The count is run once, stored, and confirmed as staff saw it; changes are made one at a time.

1. **Run** (:func:`run`): staff ask for the count. It is computed from the round's data
   (:func:`counting.preview`) and stored as the round's :class:`CountRun`, with a digest of its
   inputs (SHA-256 of their canonical JSON, leaving out ``round.published_at``, the moment the
   inputs were read). Viewing the count page reads the stored run: a large round is counted
   once, not on every page view.
2. **Change one application** (:func:`set_override`): staff may change the result for one
   application at a time, "fund" (it was not funded) or "do not fund" (it was), with a reason
   that is published word for word. The change waits as a :class:`PendingOverride`;
   "keep" removes it.
3. **Confirm** (:func:`confirm`): the form carries the digest of the run staff were shown.
   Confirming is refused, with a plain reason, if that run has been replaced since (a
   colleague ran the count again) or if anything the count reads has changed since it was run
   (a late conflict, a withdrawn sheet): the inputs are read again and their digest compared,
   which is cheap beside counting. Otherwise the stored outputs are confirmed with the pending
   changes (:func:`counting.decide`), and the run and the changes are cleared.

Services commit nothing; the round row is locked (:func:`transitions.lock`) before a run is
replaced or a change saved, so two staff acting at once are applied one after the other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from grantpanel.extensions import db
from grantpanel.i18n import _
from grantpanel.models import CountRun, Decision, PendingOverride, Round, User, utcnow
from grantpanel.services import audit, counting, transitions
from voting import canonical_json
from voting.record import apply_overrides

ACTIONS = ("keep", "fund", "unfund")
COUNT_PAGE_SIZE = 50


class OverrideError(ValueError):
    """A plain-English reason a change to one application's result cannot be saved."""


def inputs_digest(inputs: dict[str, Any]) -> str:
    """``sha256:<hex>`` of the inputs' canonical JSON, without the moment they were read."""
    body = dict(inputs)
    body["round"] = {k: v for k, v in inputs["round"].items() if k != "published_at"}
    return "sha256:" + hashlib.sha256(canonical_json(body)).hexdigest()


def stored(rnd: Round) -> CountRun | None:
    return db.session.scalar(select(CountRun).where(CountRun.round_id == rnd.id))


def run(rnd: Round, actor: User) -> CountRun:
    """Count the round now and keep the result as its count run (replacing any earlier one).
    Raises :class:`counting.CountError` when the count cannot be run."""
    transitions.lock(rnd)
    pv = counting.preview(rnd)
    current = stored(rnd)
    if current is None:
        current = CountRun(round_id=rnd.id)
        db.session.add(current)
    current.inputs = pv.inputs
    current.outputs = pv.outputs
    current.problems = pv.problems
    current.inputs_digest = inputs_digest(pv.inputs)
    current.made_by_id = actor.id
    current.made_at = utcnow()
    audit.record("count.run", actor=actor, round_id=rnd.id)
    return current


def preview_of(count_run: CountRun) -> counting.CountPreview:
    """The stored run as the count page shows it."""
    return counting.CountPreview(
        inputs=count_run.inputs,
        outputs=count_run.outputs,
        rows=counting.ranked_rows(count_run.inputs, count_run.outputs),
        funding=count_run.outputs["funding"],
        problems=list(count_run.problems or []),
    )


def pending(rnd: Round) -> list[PendingOverride]:
    return list(db.session.scalars(
        select(PendingOverride).where(PendingOverride.round_id == rnd.id)
        .order_by(PendingOverride.application_ref)))


def as_overrides(changes: list[PendingOverride]) -> list[dict[str, Any]]:
    return [{"application": c.application_ref, "action": c.action, "reason": c.reason}
            for c in changes]


@dataclass(frozen=True)
class Totals:
    """The funded list after the pending changes, for the page (never above the budget when
    confirmed: :func:`counting.decide` refuses that)."""

    funded: int
    total: int
    over_budget: bool


def totals(rnd: Round, count_run: CountRun, changes: list[PendingOverride]) -> Totals:
    final = apply_overrides(count_run.outputs, as_overrides(changes),
                            count_run.inputs["applications"])
    return Totals(len(final["funded"]), int(final["total"]), int(final["total"]) > rnd.budget)


def result_of(count_run: CountRun, reference: str) -> dict[str, Any] | None:
    """One application's row of the stored count (with title and amount), or None."""
    for row in counting.ranked_rows(count_run.inputs, count_run.outputs):
        if row["id"] == reference:
            return row
    return None


def set_override(rnd: Round, reference: str, action: str, reason: str,
                 actor: User) -> PendingOverride | None:
    """Save (or, with "keep", remove) the change for one application. Raises
    :class:`OverrideError` with what to fix."""
    transitions.lock(rnd)
    if rnd.lifecycle.decided or not rnd.lifecycle.counted:
        raise OverrideError(_("The result can be changed only while the count is being "
                              "checked, before the decision is confirmed."))
    count_run = stored(rnd)
    row = result_of(count_run, reference) if count_run is not None else None
    if count_run is None or row is None:
        raise OverrideError(_("%(application)s is not in the count. Run the count again.",
                              application=reference))
    if action not in ACTIONS:
        raise OverrideError(_("Choose what to do with %(application)s.",
                              application=reference))
    existing = db.session.scalar(select(PendingOverride).where(
        PendingOverride.round_id == rnd.id, PendingOverride.application_ref == reference))
    reason = reason.strip()
    if action == "keep":
        if reason:
            raise OverrideError(_("You wrote a reason but chose to keep the result. Choose a "
                                  "change to go with the reason, or delete the reason."))
        if existing is not None:
            db.session.delete(existing)
            audit.record("count.change_removed", actor=actor, round_id=rnd.id,
                         reference=reference)
        return None
    funded = row["status"] == "funded"
    if action == "fund" and funded:
        raise OverrideError(_("%(application)s is already funded by the count.",
                              application=reference))
    if action == "unfund" and not funded:
        raise OverrideError(_("%(application)s is not funded by the count, so there is "
                              "nothing to take away.", application=reference))
    if not reason:
        raise OverrideError(_("Write the reason for changing the decision on %(application)s. "
                              "It will be published with the decision.",
                              application=reference))
    if existing is None:
        existing = PendingOverride(round_id=rnd.id, application_ref=reference)
        db.session.add(existing)
    existing.action = action
    existing.reason = reason
    existing.author_id = actor.id
    existing.updated_at = utcnow()
    audit.record("count.change_saved", actor=actor, round_id=rnd.id, reference=reference,
                 kind=action)
    return existing


def confirm(rnd: Round, actor: User, seen_digest: str) -> Decision:
    """Confirm the stored count that staff saw (``seen_digest``) with the pending changes.
    Raises :class:`counting.CountError` (or ``lifecycle.AlreadyDoneError`` for a second
    press) with what to do."""
    transitions.begin(rnd, "decide")
    count_run = stored(rnd)
    if count_run is None:
        raise counting.CountError(_("Run the count before confirming the decision."))
    if count_run.inputs_digest != seen_digest:
        raise counting.CountError(_("The count was run again since you loaded this page. "
                                    "Check the new count, then confirm."))
    if inputs_digest(counting.record_inputs(rnd)) != count_run.inputs_digest:
        raise counting.CountError(_("Something the count uses has changed since it was run "
                                    "(a score, a conflict or an application). Run the count "
                                    "again, check it, then confirm."))
    changes = pending(rnd)
    decision = counting.decide(rnd, actor, as_overrides(changes), counted=preview_of(count_run))
    db.session.execute(delete(PendingOverride).where(PendingOverride.round_id == rnd.id))
    db.session.delete(count_run)
    return decision
