"""voting: the counting engine behind grantpanel (numpy and the standard library only).

Pure functions from arrays and dataclasses to named immutable results: no I/O in the
counting code, no clock, no global random state, no Flask or SQLAlchemy.  Every count
explains itself (``.winners`` in order, ``.rounds`` with tallies, transfers and exclusions);
every random step comes from a published-seed procedure (:mod:`voting.draws`).

Ballot conventions
------------------
Ranked ballots:   int array, shape (n_ballots, max_ranks); entry [b, r] is the candidate
                  index at preference r + 1 of ballot b; ``-1`` fills the ranks after the last
                  preference.  Optional ``weights`` (shape (n_ballots,)) count each row.
Approval ballots: bool (or 0/1) array, shape (n_voters, n_projects).
Score data:       float array with ``NaN`` for missing (conflicted, not assigned, don't know).

Public API (by module)
----------------------
Panel decisions and records (:mod:`voting.panel`, :mod:`voting.stages`, :mod:`voting.record`,
:mod:`voting.draws`)
    decide_round, decide_stages, build_record, verify_record, verify_record_bytes,
    apply_overrides, canonical_json, record_digest, seed_commitment, draw_order, generator
    (the record's JSON Schema ships as ``voting/schema/decision-record.schema.json``)
Scores (:mod:`voting.scores`, :mod:`voting.calibration`, :mod:`voting.uncertainty`)
    ScoreData, weighted_totals, aggregate, majority_judgment, zscore_normalise,
    additive_model, bootstrap_intervals, bayesian_ranking
Agreement and consensus (:mod:`voting.agreement`, :mod:`voting.consensus`)
    spread, ipras, krippendorff_alpha, kendalls_w, flag_for_discussion, consent,
    supermajority
Ranked and approval counting (:mod:`voting.ranked`, :mod:`voting.rctab`)
    irv, stv, borda, schulze, ranked_pairs, approval, pairwise_matrix, skip_candidates,
    rctab_tabulate
Budget rules (:mod:`voting.budget`)
    fund_in_order, greedy, equal_shares, partial_lottery
Files and registry (:mod:`voting.formats`, :mod:`voting.registry`)
    read_preflib, read_pabulib, METHODS

Command line: ``python -m voting verify RECORD.json``, ``python -m voting tabulate ...``,
``python -m voting methods``.
"""

from __future__ import annotations

from voting.agreement import (
    IprasResult,
    KendallResult,
    KrippendorffResult,
    SpreadResult,
    ipras,
    kendalls_w,
    krippendorff_alpha,
    spread,
)
from voting.budget import equal_shares, fund_in_order, greedy, partial_lottery
from voting.calibration import (
    AdditiveFit,
    Component,
    NormalisedScores,
    additive_model,
    connected_components,
    zscore_normalise,
)
from voting.consensus import (
    ConsentResult,
    FlagResult,
    Position,
    SupermajorityResult,
    consent,
    flag_for_discussion,
    supermajority,
)
from voting.draws import draw_order, generator, seed_commitment
from voting.errors import VerificationError, VotingError
from voting.formats import read_pabulib, read_preflib
from voting.panel import decide_round
from voting.ranked import (
    approval,
    borda,
    irv,
    pairwise_matrix,
    ranked_pairs,
    schulze,
    skip_candidates,
    stv,
)
from voting.rctab import rctab_tabulate
from voting.record import (
    VerifyReport,
    apply_overrides,
    build_record,
    canonical_json,
    record_digest,
    verify_record,
    verify_record_bytes,
)
from voting.registry import METHODS
from voting.results import CountResult, CountRound
from voting.scores import (
    AggregateResult,
    MajorityJudgmentResult,
    ScoreData,
    aggregate,
    majority_judgment,
    weighted_totals,
)
from voting.stages import decide_stages
from voting.uncertainty import (
    BAYES_PRIORS,
    BayesianRanking,
    BootstrapResult,
    bayesian_ranking,
    bootstrap_intervals,
)

__version__ = "0.1.0"

__all__ = [
    "AdditiveFit",
    "AggregateResult",
    "BAYES_PRIORS",
    "BayesianRanking",
    "BootstrapResult",
    "Component",
    "ConsentResult",
    "CountResult",
    "CountRound",
    "FlagResult",
    "IprasResult",
    "KendallResult",
    "KrippendorffResult",
    "METHODS",
    "MajorityJudgmentResult",
    "NormalisedScores",
    "Position",
    "ScoreData",
    "SpreadResult",
    "SupermajorityResult",
    "VerificationError",
    "VerifyReport",
    "VotingError",
    "__version__",
    "additive_model",
    "aggregate",
    "apply_overrides",
    "approval",
    "bayesian_ranking",
    "bootstrap_intervals",
    "borda",
    "build_record",
    "canonical_json",
    "connected_components",
    "consent",
    "decide_round",
    "decide_stages",
    "draw_order",
    "equal_shares",
    "flag_for_discussion",
    "fund_in_order",
    "generator",
    "greedy",
    "ipras",
    "irv",
    "kendalls_w",
    "krippendorff_alpha",
    "majority_judgment",
    "pairwise_matrix",
    "partial_lottery",
    "ranked_pairs",
    "rctab_tabulate",
    "read_pabulib",
    "read_preflib",
    "record_digest",
    "schulze",
    "seed_commitment",
    "skip_candidates",
    "spread",
    "stv",
    "supermajority",
    "verify_record",
    "verify_record_bytes",
    "weighted_totals",
    "zscore_normalise",
]
