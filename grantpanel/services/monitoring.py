"""Monitoring: who is in the room, asked anonymously and reported without small groups.

Staff choose, per round, which of the catalogue's questions (:mod:`grantpanel.monitoring`) to
ask and may set a target make-up per question (:func:`save_setup`). A panel member answers
once per round (:func:`record_answers`); every answer is optional.

**Anonymous by construction.** The answers go into ``monitoring_response`` with the round and
nothing else: no member, no user, no time, and a random id, so not even the order answers
came in is kept. That the member has answered goes into ``impact_answered`` (member and kind
only), which is what stops a second answer. Nothing here is audited, logged, exported or
published: an audit event would tie a member to a moment.

**Small groups are suppressed** (:func:`report`): a total under 5 shows no numbers at all; a
count under 5 is "fewer than 5"; and when only one count in a question is under 5, the next
smallest is hidden too, so the small one cannot be worked out by subtraction from the total.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from grantpanel.extensions import db
from grantpanel.i18n import _
from grantpanel.models import (
    ImpactAnswered,
    Membership,
    MonitoringResponse,
    MonitoringSetup,
    Round,
    utcnow,
)
from grantpanel.monitoring import (
    PREFER_NOT,
    QUESTION_BY_KEY,
    SMALLEST_GROUP,
    AnswerKind,
    Question,
    questions_for,
)
from grantpanel.services.locks import lock_one

Answers = dict[str, Any]  # question key -> answer key (or a list of them)


class MonitoringError(ValueError):
    """A change refused, with a message for the person (e.g. "You have already answered")."""


class MonitoringValidationError(MonitoringError):
    """Input refused field by field: ``errors`` maps a question key to a plain message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


# --- Set-up -------------------------------------------------------------------------------


def setup_for(rnd: Round) -> MonitoringSetup | None:
    return db.session.scalar(select(MonitoringSetup).where(MonitoringSetup.round_id == rnd.id))


def asked_questions(rnd: Round) -> list[Question]:
    """The questions this round asks, in the catalogue's order (none until staff choose)."""
    setup = setup_for(rnd)
    return questions_for(setup.questions) if setup else []


def check_target(question: Question, answer: str, percent: int | None) -> str | None:
    """The problem with a target for ``question`` ("" answer: no target), or ``None``."""
    if not answer:
        return (_("Choose which answer the target is for, or clear the percentage.")
                if percent is not None else None)
    if answer not in question.keys or answer == PREFER_NOT:
        return _("Choose one of the answers in the list.")
    if percent is None or not 1 <= percent <= 100:
        return _("Enter a whole number from 1 to 100 for the target percentage.")
    return None


def save_setup(rnd: Round, questions: list[str], targets: dict[str, tuple[str, int | None]]
               ) -> MonitoringSetup:
    """Ask ``questions`` on ``rnd`` with ``targets`` ({question: (answer, percent)}; an empty
    answer means no target). Refuses unknown questions, bad targets, and a target on a
    question not asked (:class:`MonitoringValidationError`). The caller commits."""
    errors: dict[str, str] = {}
    for key in questions:
        if key not in QUESTION_BY_KEY:
            errors[key] = _("This question is not one we can ask.")
    clean: dict[str, dict[str, Any]] = {}
    for key, (answer, percent) in targets.items():
        question = QUESTION_BY_KEY.get(key)
        if question is None:
            errors[key] = _("This question is not one we can ask.")
            continue
        problem = check_target(question, answer, percent)
        if problem:
            errors[key] = problem
        elif answer and key not in questions:
            errors[key] = _("Tick “Ask this question” to set a target for it.")
        elif answer:
            clean[key] = {"answer": answer, "percent": percent}
    if errors:
        raise MonitoringValidationError(errors)
    setup = setup_for(rnd)
    if setup is None:
        setup = MonitoringSetup(round_id=rnd.id)
        db.session.add(setup)
    setup.questions = [q.key for q in questions_for(questions)]
    setup.targets = clean
    setup.updated_at = utcnow()
    db.session.flush()
    return setup


# --- Answering ----------------------------------------------------------------------------


def has_answered(membership: Membership, kind: AnswerKind) -> bool:
    return db.session.get(ImpactAnswered, (membership.id, str(kind))) is not None


def mark_answered(membership: Membership, kind: AnswerKind) -> None:
    """Lock the member's place and refuse a second answer; then note "has answered"."""
    lock_one(Membership, Membership.id == membership.id)
    if has_answered(membership, kind):
        raise MonitoringError(_("You have already answered. Thank you."))
    db.session.add(ImpactAnswered(membership_id=membership.id, kind=str(kind)))


def new_response_id() -> str:
    """A random id: rows carry no order, so they cannot be matched to who answered when."""
    return secrets.token_hex(16)


def clean_answers(questions: list[Question], answers: Answers) -> Answers:
    """Only the asked questions, blank ones dropped; refuses an answer not in the list."""
    errors: dict[str, str] = {}
    out: Answers = {}
    for q in questions:
        value = answers.get(q.key)
        if q.multiple:
            ticked = [v for v in (value or []) if v]
            if any(v not in q.keys for v in ticked):
                errors[q.key] = _("Choose from the answers in the list.")
            elif PREFER_NOT in ticked and len(ticked) > 1:
                errors[q.key] = _("Tick “Prefer not to say” on its own, or untick it.")
            elif ticked:
                out[q.key] = sorted(set(ticked), key=q.keys.index)
        elif value:
            if value not in q.keys:
                errors[q.key] = _("Choose one of the answers in the list.")
            else:
                out[q.key] = value
    if errors:
        raise MonitoringValidationError(errors)
    return out


def record_answers(membership: Membership, answers: Answers) -> None:
    """Store ``membership``'s answers for their round anonymously, once. The caller commits."""
    questions = asked_questions(membership.round)
    if not questions:
        raise MonitoringError(_("This round is not asking these questions."))
    clean = clean_answers(questions, answers)
    mark_answered(membership, AnswerKind.MONITORING)
    db.session.add(MonitoringResponse(id=new_response_id(), round_id=membership.round_id,
                                      answers=clean))
    db.session.flush()


# --- Reporting ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One group's count. ``state``: ``shown``; ``small`` (under 5: "fewer than 5"); or
    ``hidden`` (5 or more, hidden so a small group cannot be worked out)."""

    key: str
    label: Any
    count: int | None
    share: int | None  # whole percent of everyone who answered, when shown
    state: str


@dataclass(frozen=True)
class Target:
    answer_label: Any
    percent: int
    status: str  # "met", "below" or "unknown" (too few to say)


@dataclass(frozen=True)
class QuestionReport:
    question: Question
    cells: list[Cell]
    target: Target | None


@dataclass(frozen=True)
class Report:
    asked: list[Question]
    total: int | None  # None when fewer than 5 have answered
    questions: list[QuestionReport]


def suppress(counts: list[tuple[str, Any, int]], total: int, *, partition: bool
             ) -> list[Cell]:
    """Cells for ``counts`` ([(key, label, count)]) out of ``total``. Counts under
    :data:`SMALLEST_GROUP` are ``small``. When the counts add up to the total
    (``partition``) and exactly one is small, the smallest other count is ``hidden`` too."""
    small = [c < SMALLEST_GROUP for _k, _l, c in counts]
    hidden: set[int] = set()
    if partition and sum(small) == 1:
        others = [(c, i) for i, (_k, _l, c) in enumerate(counts) if not small[i]]
        if others:
            hidden.add(min(others)[1])
    cells = []
    for i, (key, label, count) in enumerate(counts):
        if small[i]:
            cells.append(Cell(key, label, None, None, "small"))
        elif i in hidden:
            cells.append(Cell(key, label, None, None, "hidden"))
        else:
            cells.append(Cell(key, label, count, round(100 * count / total), "shown"))
    return cells


def _target(question: Question, spec: dict[str, Any], cells: list[Cell], total: int
            ) -> Target:
    answer, percent = str(spec["answer"]), int(spec["percent"])
    cell = next((c for c in cells if c.key == answer), None)
    status = "unknown"
    if cell is not None and cell.state == "shown" and cell.count is not None:
        status = "met" if cell.count * 100 >= percent * total else "below"
    elif (cell is not None and cell.state == "small"
          and percent * total > (SMALLEST_GROUP - 1) * 100):
        # All we say of a small group is "at most 4"; if even 4 falls short, it is below.
        status = "below"
    return Target(question.option_label(answer), percent, status)


def report(rnd: Round) -> Report:
    """Counts per answer for each asked question, against the round's targets, with small
    groups suppressed (see the module docstring)."""
    setup = setup_for(rnd)
    asked = questions_for(setup.questions) if setup else []
    rows = list(db.session.scalars(
        select(MonitoringResponse.answers).where(MonitoringResponse.round_id == rnd.id)))
    total = len(rows)
    if total < SMALLEST_GROUP or setup is None:
        return Report(asked, None, [])
    tallies: dict[str, Counter[str]] = {q.key: Counter() for q in asked}
    for answers in rows:
        for q in asked:
            value = answers.get(q.key)
            picked = value if isinstance(value, list) else [value] if value else []
            tallies[q.key].update(picked or [""])
    out = []
    for q in asked:
        counts = [(o.key, o.label, tallies[q.key][o.key]) for o in q.options]
        counts.append(("", _("Did not answer"), tallies[q.key][""]))
        cells = suppress(counts, total, partition=not q.multiple)
        spec = setup.targets.get(q.key)
        out.append(QuestionReport(q, cells, _target(q, spec, cells, total) if spec else None))
    return Report(asked, total, out)
