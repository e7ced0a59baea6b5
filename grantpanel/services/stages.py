"""A round's decision stages: the declared chain, and where the round is in it.

The chain is declared at set-up in the shape of the record's ``rules.stages`` (see
:mod:`voting.stages` and docs/record-format.md, schema 3) and fixed when scoring opens. A
round made before stages existed has an empty ``Round.stages`` and decides by the default
chain built from its aggregation and fit rule: scores, then fund down the list.

``Round.aggregation`` and ``Round.fit_rule`` mirror the chain's score and funding stages
(:func:`set_stages` keeps them equal), so pages that show them stay right.
"""

from __future__ import annotations

from typing import Any

from grantpanel.models import Round
from grantpanel.vocabulary import Aggregation, FitRule, StageKind

#: The stages a panel takes part in after scoring closes, each with its own round state.
INTERACTIVE = (StageKind.CONSENSUS, StageKind.RANKED, StageKind.CONSENT)


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


def set_stages(rnd: Round, stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check and store the chain (raises ``voting.panel.InputError`` with a plain reason for
    an invalid combination); the round's aggregation and fit rule follow it."""
    from voting.stages import check_stages

    chain = check_stages(stages)
    rnd.stages = chain
    for s in chain:
        if s["kind"] == StageKind.SCORES:
            rnd.aggregation = Aggregation(s["aggregation"])
        elif s["kind"] == StageKind.FUNDING:
            rnd.fit_rule = FitRule(s["fit_rule"])
    return chain


def flagged(rnd: Round) -> list[str]:
    """References of the applications the consensus stage flags for discussion, most
    disagreement first (``[]`` without a consensus stage or before scoring closed)."""
    from voting.stages import flagged_of

    from grantpanel.services import counting

    if stage(rnd, StageKind.CONSENSUS) is None or not rnd.lifecycle.counted:
        return []
    return list(flagged_of(counting.record_inputs(rnd)))


def shortlist(rnd: Round) -> list[str]:
    """References on the ranked stage's shortlist, in score order (``[]`` without one)."""
    from voting.stages import shortlist_of

    from grantpanel.services import counting

    if stage(rnd, StageKind.RANKED) is None or not rnd.lifecycle.counted:
        return []
    return list(shortlist_of(counting.record_inputs(rnd)))
