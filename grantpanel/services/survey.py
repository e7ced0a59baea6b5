"""The panel experience survey: how taking part went, asked anonymously after the round.

**When**: the survey opens to the round's panel once the decision is published
(``rnd.lifecycle.published``), when every part of the panel's work, including the consent
and ranked-vote stages, is over; it then stays open.

**Anonymous** in the same way as monitoring (``services/monitoring.py``): the answers go into
``survey_response`` with the round only (random id, no member, no time); "has answered" goes
into ``impact_answered``, and stops a second answer. Nothing is audited, logged, exported or
published.

**The staff summary** (:func:`summary`) shows nothing but "fewer than 5 answers so far" until
5 people have answered. Then: counts per answer on the agree scale, small groups suppressed
as in monitoring, and the free text listed in a random order, never the order it came in.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from grantpanel.extensions import db
from grantpanel.i18n import _
from grantpanel.models import Membership, Round, SurveyResponse
from grantpanel.monitoring import (
    AGREE_SCALE,
    FREE_TEXT_MAX_LENGTH,
    SMALLEST_GROUP,
    STATEMENTS,
    AnswerKind,
    Option,
)
from grantpanel.services.monitoring import (
    Cell,
    MonitoringError,
    MonitoringValidationError,
    mark_answered,
    new_response_id,
    suppress,
)
from grantpanel.textcheck import text_problem

SurveyError = MonitoringError
SurveyValidationError = MonitoringValidationError
SCALE_KEYS = tuple(o.key for o in AGREE_SCALE)


def is_open(rnd: Round) -> bool:
    """Members may answer once the decision is published."""
    return rnd.lifecycle.published


def record_answers(membership: Membership, ratings: dict[str, str], worked_well: str,
                   change: str) -> None:
    """Store one anonymous survey answer for ``membership``'s round, once. Every question is
    optional. The caller commits."""
    if not is_open(membership.round):
        raise SurveyError(_("The survey opens when the decision is published."))
    errors: dict[str, str] = {}
    clean: dict[str, int] = {}
    for statement in STATEMENTS:
        value = ratings.get(statement.key) or ""
        if value and value not in SCALE_KEYS:
            errors[statement.key] = _("Choose one of the answers in the list.")
        elif value:
            clean[statement.key] = int(value)
    texts = {"worked_well": worked_well.strip(), "change": change.strip()}
    for name, value in texts.items():
        problem = text_problem(value, max_length=FREE_TEXT_MAX_LENGTH)
        if problem is not None:
            errors[name] = problem
    if errors:
        raise SurveyValidationError(errors)
    mark_answered(membership, AnswerKind.SURVEY)
    db.session.add(SurveyResponse(id=new_response_id(), round_id=membership.round_id,
                                  ratings=clean, **texts))
    db.session.flush()


@dataclass(frozen=True)
class StatementSummary:
    statement: Option
    cells: list[Cell]


@dataclass(frozen=True)
class Summary:
    count: int | None  # None when fewer than 5 have answered
    statements: list[StatementSummary]
    worked_well: list[str]
    change: list[str]


def summary(rnd: Round, rng: random.Random | None = None) -> Summary:
    """What staff may see of the survey (see the module docstring). ``rng`` shuffles the
    free text (default: the system's random source)."""
    rows = list(db.session.scalars(select(SurveyResponse).where(
        SurveyResponse.round_id == rnd.id)))
    total = len(rows)
    if total < SMALLEST_GROUP:
        return Summary(None, [], [], [])
    out = []
    for statement in STATEMENTS:
        values = [r.ratings.get(statement.key) for r in rows]
        counts: list[tuple[str, Any, int]] = [
            (o.key, o.label, sum(1 for v in values if str(v) == o.key)) for o in AGREE_SCALE]
        counts.append(("", _("Did not answer"), sum(1 for v in values if v is None)))
        out.append(StatementSummary(statement, suppress(counts, total, partition=True)))
    shuffle = (rng or random.SystemRandom()).shuffle

    def texts(name: str) -> list[str]:
        # Sorted first, so the listing depends only on the words and the shuffle.
        found = sorted(t for t in (getattr(r, name) for r in rows) if t)
        shuffle(found)
        return found

    return Summary(total, out, texts("worked_well"), texts("change"))
