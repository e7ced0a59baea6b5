"""A round's decision stages: the declared chain, and where the round is in it.

The chain is declared at set-up in the shape of the record's ``rules.stages`` (see
:mod:`voting.stages` and docs/record-format.md, schema 3) and fixed when scoring opens
(:func:`freeze`, called by the step that draws the seed). A round made before stages existed
has an empty ``Round.stages`` and decides by the default chain built from its aggregation and
fit rule: scores, then fund down the list.

``Round.aggregation`` and ``Round.fit_rule`` mirror the chain's score and funding stages
(:func:`set_stages` keeps them equal), so pages that show them stay right.

The stage flow (each rule lives here and nowhere else):

- The panel takes part in up to three steps after scoring closes, each with its own round
  state: the **stage 2 re-score** (a consensus stage declaring ``rescore``, and only when at
  least one application is flagged for discussion), the **ranked vote** and the **consent**
  on the funded list, always in that order (:func:`needed`).
- A step that opens a stage (``lifecycle.Transition.opens``) is refused, with a plain reason
  (:class:`StageError`), unless the round declared that step and every step before it is done
  (:func:`step_problem`). Opening a stage that is already done reopens it: it and every later
  stage are taken off ``Round.stages_done`` and must be run again. A step that finishes a
  stage adds it to ``Round.stages_done``.
- Consent answers are about one funded list: they are cleared whenever any stage opens (the
  consent step again, or an earlier stage that could change the list), and when scoring
  reopens (which also takes every stage off ``stages_done``).
- The decision can be confirmed only when every step the round needs is done
  (:func:`decide_problems`) and, with a consent stage, the panel consented
  (:func:`consent_problem`, on the count's outputs).

Every step is taken through :func:`grantpanel.services.rounds.apply_transition`, which calls
:func:`take_step` under the round's lock and writes the step, with what it reopened, to the
audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import LazyString
from sqlalchemy import delete, func, select

from grantpanel import lifecycle
from grantpanel.extensions import db
from grantpanel.i18n import _, _l, ngettext
from grantpanel.models import Application, Ballot, ConsentAnswer, Round, ScoreSheet, User
from grantpanel.services import audit, transitions
from grantpanel.vocabulary import (
    Aggregation,
    BallotStatus,
    ConsentPosition,
    FitRule,
    SheetStatus,
    StageKind,
)

#: The stages a panel takes part in after scoring closes, each with its own round state.
INTERACTIVE = (StageKind.CONSENSUS, StageKind.RANKED, StageKind.CONSENT)

#: The steps that open and finish each interactive stage (names in the lifecycle table).
OPEN_STEP = {t.stage: t.name for t in lifecycle.TRANSITIONS.values() if t.stage and t.opens}
CLOSE_STEP = {t.stage: t.name for t in lifecycle.TRANSITIONS.values()
              if t.stage and t.finishes}

#: One line per lifecycle step, shown beside its button on the staff round page.
STEP_EXPLANATIONS: dict[str, LazyString] = {
    "open": _l("Members can start scoring. The rules and the decision stages are fixed from "
               "now on, and the random seed is drawn."),
    "close": _l("Members can no longer save or submit scores. You can then check the count."),
    "reopen": _l("Members can score again. Any decision stage already finished has to be run "
                 "again afterwards."),
    "open-rescore": _l("Members score the applications flagged for discussion again (stage "
                       "2). Hold the discussion first."),
    "close-rescore": _l("Stage 2 ends. For each flagged application with stage 2 scores, "
                        "those replace the stage 1 scores in the count."),
    "open-vote": _l("Members put the shortlist in order (or tick the applications they "
                    "support)."),
    "close-vote": _l("No more ballots. The count uses the ballots submitted so far."),
    "open-consent": _l("Members see the funded list and agree to it or object, with a "
                       "reason."),
    "close-consent": _l("No more answers. The count then says whether the panel consented."),
    "decide": _l("Check the count and confirm the decision, or change it with a reason that "
                 "is published."),
    "undo-decision": _l("Take back the confirmation, so the count can be checked again."),
    "publish": _l("Publish the decision record. It cannot be changed afterwards."),
}


class StageError(ValueError):
    """A plain-English reason a decision-stage step cannot be taken now."""


# --- the declared chain ----------------------------------------------------------------------


def default_stages(aggregation: str, fit_rule: str) -> list[dict[str, Any]]:
    """The default chain: the score stage with ``aggregation``, then fund down the list."""
    from voting.stages import default_stages as voting_default

    return voting_default(aggregation, fit_rule)


def declared_stages(rnd: Round) -> list[dict[str, Any]]:
    """The round's declared chain (its stored ``stages``, or the default chain)."""
    if rnd.stages:
        return [dict(s) for s in rnd.stages]
    return default_stages(str(rnd.aggregation), str(rnd.fit_rule))


def stage(rnd: Round, kind: str) -> dict[str, Any] | None:
    """The declared stage of ``kind`` (``"ranked"``), or ``None`` if the chain has none."""
    return next((s for s in declared_stages(rnd) if s["kind"] == kind), None)


def check(stages: Sequence[Any]) -> list[dict[str, Any]]:
    """The chain as :func:`set_stages` would store it; raises ``voting.panel.InputError``
    with a plain reason for an invalid combination (``voting.stages.check_stages``)."""
    from voting.stages import check_stages

    return check_stages(stages)


def set_stages(rnd: Round, stages: Sequence[Any]) -> list[dict[str, Any]]:
    """Check and store the chain (raises ``voting.panel.InputError`` with a plain reason for
    an invalid combination); the round's aggregation and fit rule follow it."""
    chain = check(stages)
    rnd.stages = chain
    for s in chain:
        if s["kind"] == StageKind.SCORES:
            rnd.aggregation = Aggregation(s["aggregation"])
        elif s["kind"] == StageKind.FUNDING:
            rnd.fit_rule = FitRule(s["fit_rule"])
    return chain


def save_stages(rnd: Round, actor: User, stages: Sequence[Any]) -> bool:
    """Declare ``rnd``'s chain at set-up: checked (``voting.panel.InputError`` for an invalid
    combination), stored, and written to the audit log. Returns whether it changed.

    The round is locked first and its state read fresh, so a chain saved while a colleague
    opens scoring is either saved before the chain is fixed or refused (:class:`StageError`).
    """
    transitions.lock(rnd)
    if not rnd.lifecycle.editable:
        raise StageError(_(
            "You cannot change the decision stages now: scoring has opened, and the rules "
            "were declared in advance. They stay as they are for this round."))
    before = declared_stages(rnd)
    chain = set_stages(rnd, stages)
    if chain == before:
        return False
    audit.record("round.stages_changed", actor=actor, round_id=rnd.id,
                 stages=[s["kind"] for s in chain])
    return True


def follow_settings(rnd: Round) -> None:
    """After the round's aggregation or fit rule changed in its settings, make a stored chain
    say the same (a round without a stored chain reads them directly)."""
    if not rnd.stages:
        return
    chain = []
    for s in declared_stages(rnd):
        if s["kind"] == StageKind.SCORES:
            s["aggregation"] = str(rnd.aggregation)
        elif s["kind"] == StageKind.FUNDING:
            s["fit_rule"] = str(rnd.fit_rule)
        chain.append(s)
    set_stages(rnd, chain)


def freeze(rnd: Round) -> list[dict[str, Any]]:
    """Fix the chain when scoring opens: a round without a stored chain stores the one it
    would use (the default), so later changes to the defaults never change it."""
    if not rnd.stages:
        rnd.stages = declared_stages(rnd)
    return list(rnd.stages)


def _translated(item: Any) -> str:
    """One of ``voting.stages.describe_stages``'s sentences, translated (a ``(message,
    params)`` pair, a ``{"message", "params"}`` mapping, or plain text)."""
    if isinstance(item, str):
        return _(item)
    if isinstance(item, dict):
        message, params = item.get("message", ""), item.get("params") or {}
    else:
        message, params = item
    return _(str(message), **dict(params))


def describe(stages: Sequence[Any]) -> list[str]:
    """One plain sentence per stage of ``stages`` (what will happen), in the page's language.

    The sentences are ``voting.stages.describe_stages``'s, marked for the catalogue there and
    translated here."""
    from voting.stages import describe_stages

    return [_translated(item) for item in describe_stages(stages)]


# --- where the round is in the chain ---------------------------------------------------------


def flagged(rnd: Round) -> list[str]:
    """References of the applications the consensus stage flags for discussion, most
    disagreement first (``[]`` without a consensus stage or before scoring closed)."""
    from grantpanel.services import counting
    from voting.stages import flagged_of

    if stage(rnd, StageKind.CONSENSUS) is None or not rnd.lifecycle.counted:
        return []
    return list(flagged_of(counting.record_inputs(rnd)))


def shortlist(rnd: Round) -> list[str]:
    """References on the ranked stage's shortlist, in score order (``[]`` without one)."""
    from grantpanel.services import counting
    from voting.stages import shortlist_of

    if stage(rnd, StageKind.RANKED) is None or not rnd.lifecycle.counted:
        return []
    return list(shortlist_of(counting.record_inputs(rnd)))


def rescore_declared(rnd: Round) -> bool:
    """The round's consensus stage asks for a stage 2 re-score of the flagged applications."""
    consensus = stage(rnd, StageKind.CONSENSUS)
    return bool(consensus and consensus.get("rescore"))


def declared_steps(rnd: Round) -> list[StageKind]:
    """The interactive stages the chain declares, in order (the consensus stage only when it
    declares a stage 2 re-score: without one, it has no step of its own)."""
    kinds = {s["kind"] for s in declared_stages(rnd)}
    return [k for k in INTERACTIVE
            if k in kinds and (k != StageKind.CONSENSUS or rescore_declared(rnd))]


def needed(rnd: Round, *, flagged_refs: list[str] | None = None) -> list[StageKind]:
    """The interactive stages the panel must go through before the decision, in order.

    The stage 2 re-score is needed only when at least one application is flagged (or it was
    already held). ``flagged_refs`` saves working the flags out again."""
    out = []
    for kind in declared_steps(rnd):
        if kind == StageKind.CONSENSUS and kind not in done(rnd):
            refs = flagged(rnd) if flagged_refs is None else flagged_refs
            if not refs:
                continue
        out.append(kind)
    return out


def done(rnd: Round) -> list[str]:
    """The interactive stages finished so far, in chain order."""
    return [str(k) for k in rnd.stages_done or []]


def pending(rnd: Round, *, flagged_refs: list[str] | None = None) -> list[StageKind]:
    """The needed stages not finished yet, in order."""
    finished = set(done(rnd))
    return [k for k in needed(rnd, flagged_refs=flagged_refs) if k not in finished]


def _step_label(name: str) -> str:
    return lifecycle.TRANSITIONS[name].label_text.lower()


def _first_do(kind: str) -> str:
    return _("First %(open)s, and %(close)s when the panel has finished.",
             open=_step_label(OPEN_STEP[kind]), close=_step_label(CLOSE_STEP[kind]))


def _flag_refs(rnd: Round) -> list[str]:
    """The flagged references, worked out only when a re-score still depends on them."""
    if rescore_declared(rnd) and StageKind.CONSENSUS not in done(rnd):
        return flagged(rnd)
    return []


def step_problem(rnd: Round, t: lifecycle.Transition, *,
                 flagged_refs: list[str] | None = None) -> str | None:
    """Why stage step ``t`` cannot be taken in ``rnd`` now (``None`` if it can).

    Only the chain is checked here; the lifecycle table has already said the step is allowed
    from the round's state. ``flagged_refs`` saves working the flags out again."""
    kind = t.stage
    if kind is None:
        return None
    declared = {s["kind"] for s in declared_stages(rnd)}
    if kind not in declared:
        return {
            StageKind.CONSENSUS: _("This round has no consensus check, so there is no stage 2 "
                                   "re-scoring."),
            StageKind.RANKED: _("This round has no ranked vote."),
            StageKind.CONSENT: _("This round does not ask the panel to consent to the funded "
                                 "list."),
        }.get(StageKind(kind), _("This round does not have that stage."))
    if kind == StageKind.CONSENSUS and not rescore_declared(rnd):
        return _("This round's consensus check does not include a stage 2 re-score.")
    if not t.opens:
        return None
    refs = _flag_refs(rnd) if flagged_refs is None else flagged_refs
    if kind == StageKind.CONSENSUS and not refs and kind not in done(rnd):
        return _("No application is flagged for discussion, so there is nothing to re-score.")
    finished = set(done(rnd))
    for earlier in needed(rnd, flagged_refs=refs):
        if earlier == kind:
            break
        if earlier not in finished:
            return " ".join([_first_do(earlier),
                             _("Then you can %(step)s.", step=_step_label(t.name))])
    return None


def clear_consents(rnd: Round) -> int:
    """Delete the round's consent answers (they were about a funded list that may change);
    returns how many there were."""
    n = db.session.scalar(
        select(func.count(ConsentAnswer.id)).where(ConsentAnswer.round_id == rnd.id)) or 0
    if n:
        db.session.execute(delete(ConsentAnswer).where(ConsentAnswer.round_id == rnd.id))
    return int(n)


def _check_funded_list(rnd: Round) -> None:
    """Raise :class:`StageError` unless the count can work out the funded list the panel is
    asked to consent to (it cannot, say, after a ranked vote nobody voted in)."""
    from grantpanel.services import counting

    try:
        counting.preview(rnd)
    except counting.CountError as e:
        raise StageError(_(
            "The panel cannot be asked to consent yet, because the funded list cannot be "
            "worked out. %(problem)s", problem=str(e))) from e


def take_step(rnd: Round, t: lifecycle.Transition, actor: User | None) -> dict[str, Any]:
    """Check and record stage step ``t`` (its ``stage`` set) for ``rnd``, before the round
    moves; returns the details for the audit event of the move.

    Raises :class:`StageError` with a plain reason when the round did not declare the step or
    its turn has not come (:func:`step_problem`), or, to open the consent step, when the count
    cannot work out the funded list. Call it with the round locked (as
    :func:`grantpanel.services.rounds.apply_transition` does)."""
    del actor  # the move's audit event names who took the step
    problem = step_problem(rnd, t)
    if problem:
        raise StageError(problem)
    kind = str(t.stage)
    if t.opens and kind == StageKind.CONSENT:
        _check_funded_list(rnd)
    detail: dict[str, Any] = {"stage": kind}
    finished = done(rnd)
    if t.opens:
        if kind in finished:
            order = [str(k) for k in INTERACTIVE]
            reopened = [k for k in finished if order.index(k) >= order.index(kind)]
            rnd.stages_done = [k for k in finished if k not in reopened]
            detail["reopened"] = reopened
        cleared = clear_consents(rnd)
        if cleared:
            detail["consents_cleared"] = cleared
    if t.finishes and kind not in finished:
        order = [str(k) for k in INTERACTIVE]
        rnd.stages_done = sorted([*finished, kind], key=order.index)
    return detail


def reopen_scoring(rnd: Round) -> dict[str, Any]:
    """Scoring reopens: every finished stage must be run again and consent answers go.
    Returns the details for the audit event."""
    detail: dict[str, Any] = {}
    if done(rnd):
        detail["reopened"] = done(rnd)
        rnd.stages_done = []
    cleared = clear_consents(rnd)
    if cleared:
        detail["consents_cleared"] = cleared
    return detail


def decide_problems(rnd: Round, *, flagged_refs: list[str] | None = None) -> list[str]:
    """What must happen before the decision can be confirmed (empty when ready): each needed
    stage not finished yet, in order."""
    return [_("Not done yet: %(open)s, then %(close)s.", open=_step_label(OPEN_STEP[k]),
              close=_step_label(CLOSE_STEP[k]))
            for k in pending(rnd, flagged_refs=flagged_refs)]


def check_decide(rnd: Round) -> None:
    """Raise :class:`StageError` naming what is missing unless every needed stage is done."""
    problems = decide_problems(rnd)
    if problems:
        raise StageError(" ".join([_("The decision cannot be confirmed yet."), *problems]))


def consent_problem(outputs: dict[str, Any]) -> str | None:
    """Why the count's consent stage stops the decision (the panel did not consent), or
    ``None`` (consented, or no consent stage)."""
    consent = outputs.get("consent")
    if not consent or consent.get("passed"):
        return None
    objections = len(consent.get("objections") or [])
    return ngettext(
        "The panel has not consented to the funded list: %(num)d member objected, and the "
        "round's rule is not met. Read the objections, then reopen an earlier stage or ask "
        "the panel to consent again.",
        "The panel has not consented to the funded list: %(num)d members objected, and the "
        "round's rule is not met. Read the objections, then reopen an earlier stage or ask "
        "the panel to consent again.",
        objections,
    )


# --- the staff round page --------------------------------------------------------------------


@dataclass
class PlanStep:
    """One step button on the staff round page, with its one-line explanation."""

    transition: lifecycle.Transition
    explanation: str
    available: bool = True
    note: str = ""
    reopens: bool = False

    @property
    def name(self) -> str:
        return self.transition.name

    @property
    def label(self) -> str:
        return self.transition.label_text


@dataclass
class Plan:
    """The round's next steps, what is outstanding in the current stage, and the chain."""

    steps: list[PlanStep] = field(default_factory=list)
    outstanding: list[str] = field(default_factory=list)
    pending: list[StageKind] = field(default_factory=list)


def plan(rnd: Round) -> Plan:
    """The steps the staff round page offers now, in order, each explained; steps of stages
    the chain does not have are left out, and a step whose turn has not come says why."""
    out = Plan(outstanding=outstanding(rnd))
    declared = set(declared_steps(rnd))
    finished = set(done(rnd))
    refs = _flag_refs(rnd) if rnd.lifecycle.counted and not rnd.lifecycle.decided else []
    for t in lifecycle.allowed(rnd.state):
        if t.stage and t.stage not in declared:
            continue
        step = PlanStep(t, str(STEP_EXPLANATIONS.get(t.name, "")))
        if t.stage:
            problem = step_problem(rnd, t, flagged_refs=refs)
            step.available = problem is None
            step.note = problem or ""
            step.reopens = bool(t.opens and t.stage in finished)
        elif t.name == "decide":
            problems = decide_problems(rnd, flagged_refs=refs)
            step.available = not problems
            step.note = " ".join(problems)
        out.steps.append(step)
    if rnd.lifecycle.counted and not rnd.lifecycle.decided:
        out.pending = pending(rnd, flagged_refs=refs)
    return out


def outstanding(rnd: Round) -> list[str]:
    """What the panel still has to do in the stage that is open now (one line each)."""
    state = rnd.lifecycle
    members = len(rnd.memberships)
    if state.rescoring:
        refs = flagged(rnd)
        rescored = db.session.scalar(
            select(func.count(func.distinct(ScoreSheet.application_id)))
            .join(Application, Application.id == ScoreSheet.application_id)
            .where(Application.round_id == rnd.id, ScoreSheet.stage == 2,
                   ScoreSheet.status == SheetStatus.SUBMITTED)
        ) or 0
        return [ngettext(
            "%(num)d of %(total)d flagged applications has a stage 2 score so far.",
            "%(num)d of %(total)d flagged applications have a stage 2 score so far.",
            int(rescored), total=len(refs))]
    if state.accepts_ballots:
        ballots: dict[str, int] = {str(k): int(n) for k, n in db.session.execute(
            select(Ballot.status, func.count(Ballot.id))
            .where(Ballot.round_id == rnd.id).group_by(Ballot.status)
        )}
        cast = ballots.get(BallotStatus.SUBMITTED, 0)
        lines = [ngettext("%(num)d of %(total)d members has cast a ballot.",
                          "%(num)d of %(total)d members have cast a ballot.",
                          cast, total=members)]
        drafts = ballots.get(BallotStatus.DRAFT, 0)
        if drafts:
            lines.append(ngettext("%(num)d more has a draft ballot, not yet cast.",
                                  "%(num)d more have a draft ballot, not yet cast.", drafts))
        return lines
    if state.accepts_consents:
        answers: dict[str, int] = {str(k): int(n) for k, n in db.session.execute(
            select(ConsentAnswer.position, func.count(ConsentAnswer.id))
            .where(ConsentAnswer.round_id == rnd.id).group_by(ConsentAnswer.position)
        )}
        answered = sum(answers.values())
        objections = answers.get(ConsentPosition.OBJECT, 0)
        return [
            ngettext("%(num)d of %(total)d members has answered.",
                     "%(num)d of %(total)d members have answered.", answered, total=members),
            ngettext("%(num)d objection so far.", "%(num)d objections so far.", objections),
        ]
    return []
