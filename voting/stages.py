"""The decision-stage chain: schema version 3 of the decision record.

A round's decision runs a declared chain of stages, in this fixed order: ``scores``,
optionally ``consensus``, optionally ``ranked``, ``funding``, optionally ``consent``.
:func:`decide_stages` takes a schema-3 record's input sections and returns its ``outputs``
section; the same function builds and verifies a record, so a recount on any machine gives
identical bytes.

Public API
----------
decide_stages     the schema-3 ``outputs`` section computed from the input sections
check_stages      validate a chain alone (the web form's check); returns a clean copy
default_stages    the chain equivalent to schema 1 (scores, then funding in order)
describe_stages   one plain-English sentence per stage: ``(message, params)`` pairs
shortlist_of      the ranked stage's shortlist, before any ballot exists
flagged_of        the applications the consensus check flags, from stage-1 sheets
STAGE_KINDS, AGGREGATIONS_3, CALIBRATIONS, CONSENSUS_MEASURES, RANKED_METHODS,
SHORTLIST_RULES, FUNDING_RULES, UTILITIES, COMPLETIONS, CONSENT_RULES, CONSENT_POSITIONS
                  the accepted values of each stage field

Invalid inputs raise :class:`voting.panel.InputError` whose ``path`` names the field
(``"rules.stages[2].seats"``, ``"ballots[4].ranking[1]"``) and whose ``requirement`` says in
plain English what the field must be.

Rules (schema version 3; each is applied exactly as written here)
-----------------------------------------------------------------
Schema 3 is schema 2 (``docs/record-format.md``) plus the stage chain.  Rules 1 to 7 of
schema 1 (:mod:`voting.panel`) hold unless a rule below changes them.

1. **Inputs.**  Top-level input keys: ``schema_version`` (3), ``round``, ``rules``,
   ``rubric``, ``applications``, ``panel``, ``sheets``, ``conflicts``, ``ballots``,
   ``consents``, ``randomness`` (the record's other keys -- ``voting_version``,
   ``organisation``, ``outputs``, ``decision``, ``previous_digest``, ``digest`` -- are
   ignored; any other key is refused).  ``rules`` has exactly ``quorum``, ``tie_break`` (as
   schema 1) and ``stages``.  A sheet has exactly ``member``, ``application``, ``stage``,
   ``scores`` and ``objection`` (true or false: a strong objection; its reason is private).
   Conflicts are as schema 2.  Every object has exactly the keys listed; every value its
   stated type and range.

2. **The chain** (``rules.stages``, checked by :func:`check_stages`).  Kinds appear in the
   order scores, consensus, ranked, funding, consent; ``scores`` and ``funding`` exactly
   once, the others at most once.  Each stage has exactly these keys:

   * ``{"kind": "scores", "aggregation": "mean"|"median"|"trimmed-mean", "trim": "0.10",
     "calibration": "none"|"zscore"|"additive"}``: ``trim`` is a two-decimal string from
     ``"0.00"`` to ``"0.49"``, and ``"0.00"`` unless the aggregation is ``trimmed-mean``.
   * ``{"kind": "consensus", "measure": "sd"|"iqr"|"range", "threshold": "1.50",
     "rescore": bool}``: ``threshold`` a two-decimal string >= 0.
   * ``{"kind": "ranked", "method": "irv"|"stv"|"schulze"|"borda"|"ranked-pairs"|
     "approval", "shortlist": "top"|"above", "size": int >= 2 or null, "above": "3.50" or
     null, "seats": int >= 1 or null}``: ``size`` is given exactly for ``top`` and
     ``above`` (a two-decimal string, may be negative) exactly for ``above``; ``stv`` needs
     ``seats``; with ``top``, ``seats <= size``.
   * ``{"kind": "funding", "rule": "in-order"|"equal-shares", "fit_rule": "skip"|"stop",
     "utilities": "approvals"|"scores"|null, "completion": "none"|"add1"|null,
     "lottery": bool}``: ``in-order`` has ``utilities`` and ``completion`` null;
     ``equal-shares`` has both set, ``fit_rule`` ``"skip"`` (unused) and no lottery;
     ``utilities: "approvals"`` needs a ranked stage with ``method: "approval"``.
   * ``{"kind": "consent", "rule": "no-objection"|"supermajority", "threshold": "2/3"|
     null}``: a supermajority has a threshold ``"p/q"`` with ``0 < p/q <= 1``;
     no-objection has null.

3. **Score stage.**  Which sheets count, sheet totals, statistics, publication rounding and
   quorum are schema-1 rules 1-5 (a sheet set aside for a conflict never counts; for an
   application with a non-conflicted stage-2 sheet only its stage-2 sheets count).  The
   ``aggregate`` is the stage's statistic over the application's counted totals, exact:

   * ``mean``, ``median``: as schema 1.
   * ``trimmed-mean`` with ``trim`` t over n totals: ``k = floor(n * t)``; the k lowest and
     k highest totals are removed and the rest averaged (``t < 0.5``, so one remains).
   * calibration ``zscore``: the counted totals of eligible applications form a member x
     application table.  Each member's totals are standardised, ``z = (x - member mean) /
     member sd`` (sample sd, divisor n - 1; a member with fewer than 2 totals or sd 0 gets
     ``z = 0``), and mapped back to the panel's scale: ``panel_mean + z * panel_sd`` (mean
     and sample sd of every total in the table; sd 0 with fewer than 2).
   * calibration ``additive``: ``total = application effect + member effect + error`` fitted
     by least squares with the member effects summing to 0 in each connected part of the
     table (:func:`voting.calibration.additive_model`); a calibrated total is ``total -
     member effect``.  (With ``mean`` the aggregate is then the application effect.)
   * A calibrated total is computed in IEEE double and rounded half-to-even to 6 decimal
     places (exact conversion of the double with :mod:`decimal`); the statistic is taken
     over those rounded values, exactly.  Ineligible applications keep raw totals.
     ``outputs.calibration`` = ``{"method", "components", "warning"}``: the number of
     connected parts of the member-application table
     (:func:`voting.calibration.connected_components`) and whether it is more than 1
     (calibrated values in different parts are not comparable).

   Ranked applications (eligible, quorum met) are ordered by exact aggregate, highest first,
   ties by the tie-break chain (schema-1 rule 6; ``higher_mean`` and ``higher_median`` use
   the raw, uncalibrated statistics).  ``outputs.order`` and each application's ``rank`` are
   this score order; ``aggregate`` is published rounded to 2 decimals.

4. **Consensus stage** (over each application's *stage-1* sheets not set aside for a
   conflict, with a total).  With n >= 2 totals: ``sd`` (sample), ``range`` (max - min) and
   ``iqr = Q3 - Q1``, where Q1 and Q3 are the medians of the lower and upper halves of the
   sorted totals, the halves excluding the middle value when n is odd; all published as
   2-decimal strings (sd as schema 1), null when n < 2.  An *eligible* application is
   flagged when its measure is strictly greater than ``threshold`` (exactly: for sd,
   variance > threshold squared) -- reason ``"disagreement"`` -- or when one of its stage-1
   sheets not set aside for a conflict has ``objection: true`` -- reason ``"objection"``.
   ``flagged`` lists them by measure, highest first (a flag with no measure last), then by
   id; ``applications`` lists every application by id with ``stage2_sheets``, its
   non-conflicted stage-2 sheets.  Panel agreement (Krippendorff 2011, "Computing
   Krippendorff's alpha-reliability", interval metric), exactly: units are applications,
   values the stage-1 totals above; only units with m_u >= 2 values count (n values in
   all); ``D_o = (1/n) sum_u (1/(m_u - 1)) sum_{i != j in u} (v_i - v_j)^2``,
   ``D_e = (1/(n(n-1))) sum_{i != j} (v_i - v_j)^2`` over all n values, ``alpha = 1 -
   D_o / D_e``; published to 3 decimals half-to-even; null when n < 2 or ``D_e = 0``.
   ``rescore: false``: no stage-2 sheet is allowed; ``rescore: true``: stage-2 sheets only
   for flagged applications (they then replace stage 1 by rule 3).  Without a consensus
   stage no stage-2 sheet is allowed.

5. **Ranked stage.**  *Shortlist*: the ranked applications in score order, the first
   ``size`` (``top``; all of them if fewer) or every one whose exact aggregate is >=
   ``above``.  It must hold at least 2 applications (else :class:`InputError` at the
   stage's ``size`` or ``above``), and ``seats`` must not exceed it.  *Ballots*:
   ``{"member", "stage": "ranked", "ranking": [ids, most preferred first]}``, or
   ``{"member", "stage": "ranked", "approved": [ids, sorted]}`` for ``approval``; at least
   one ballot; members in panel order, one ballot each; ids unique and shortlisted.  Before
   counting, every application a ballot's member has a conflict on is removed from it.
   Candidates are numbered in shortlist order and every method breaks ties by that order
   (``tie_break="order"`` of :mod:`voting.ranked`: the one higher in the score order is
   favoured, the one lower is excluded first); no method draws lots.  Methods:
   ``irv`` -- :func:`voting.ranked.irv`; with ``seats`` k (null: the shortlist size) it is
   *sequential IRV*: count, elect the winner, remove it from every ballot and count again,
   k times (rounds numbered on across counts).  ``stv`` -- Scottish STV (SSI 2007/42,
   Schedule 1 rules 45-52; :func:`voting.ranked.stv`, exact, 5 decimals).  ``schulze``
   (winning votes), ``borda``, ``ranked-pairs`` (margins), ``approval`` -- their full
   ranking; the winners are its first ``seats`` (all when null).  Unranked applications sit
   tied last on a ballot (Borda, Schulze, ranked pairs).  The *final order* is: winners in
   election order, the other shortlisted applications in score order, then the ranked
   applications not shortlisted in score order.  Tallies are published as integers or exact
   decimal strings (STV: 5 decimals; Borda halves: ``"3.5"``).

6. **Funding stage.**  ``in-order``: :func:`voting.budget.fund_in_order` down the final
   order with ``round.budget`` and ``fit_rule`` (schema-1 rule 7; ``line_after_rank``
   counts final-order entries).  ``equal-shares``: the Method of Equal Shares
   (:func:`voting.budget.equal_shares`; Peters & Skowron 2020, Peters, Pierczynski &
   Skowron 2021; equalshares.net; Pabulib/pabutools ``method_of_equal_shares``) over the
   ranked applications numbered in final order (MES price ties go to the earlier one).
   ``utilities: "approvals"``: voters are the ballots, a voter approves the applications in
   ``approved`` (after conflicts are removed), cost utility (Pabulib's standard
   ``Cost_Sat``).  ``utilities: "scores"``: voters are the panel members, utility the
   member's counted sheet total on the application (schema-1 rule 1; conflicts and missing
   sheets give 0, negative totals count as 0).  ``completion: "add1"``: each voter's share
   is raised by :data:`ADD1_INCREMENT` minor units at a time, rerunning MES each time, while
   the outcome still fits the budget; the last outcome that fits is kept (Pabulib's
   ``equalshares/add1``; see :func:`voting.budget.equal_shares`); ``"none"``: plain
   MES.  Floats inside MES follow :data:`voting.budget.MES_TOLERANCE`; only the selection
   is published.  ``skipped`` is empty and ``line_after_rank`` null.
   *Partial lottery* (``lottery: true``, in-order only): fund down the final order; take
   the first application that is not funded.  If it was placed by score (not a ranked-stage
   winner), its *lottery group* is every application of the same tier (the shortlisted
   non-winners, or the non-shortlisted; all ranked applications without a ranked stage)
   whose exact aggregate equals its aggregate.  With 2 or more in the group, the group's
   ids are drawn into an order with ``voting.draws.draw_order(seed, "lottery", sorted
   ids)`` and put, in that order, in the group's place in the final order; then funding
   runs down that order with ``fit_rule`` (the SNSF partial lottery of
   :func:`voting.budget.partial_lottery`, continuing below the group as the fit rule
   says).  ``funding.lottery`` = ``{"group": sorted ids, "order": drawn ids}`` (empty or one
   id: no draw); the draw is also in ``draws``.

7. **Statuses.**  As schema 1: funded, skipped (did not fit, in-order skip), below-line,
   under-quorum, ineligible.

8. **Consent stage.**  ``consents``: ``{"member", "position": "consent"|"object",
   "application": id|null}``, members in panel order, one each; an objection names one
   funded application, a consent names none.  ``no-objection`` passes when nobody
   objects (silence is consent); ``supermajority`` passes when ``consents / (consents +
   objections) >= threshold`` exactly (:func:`voting.consensus.supermajority`; no answers:
   not passed).  The result is reported; it does not change the funded list (staff confirm
   or override).  Without a consent stage ``consents`` is empty; without a ranked stage
   ``ballots`` is empty.

9. **Sensitivity.**  The chain is re-run with one change at a time: every other
   aggregation (``trimmed-mean`` with the stage's trim, or ``"0.10"`` when the stage has
   none); every other ranked method accepting the same ballots (ranked ballots: irv, stv,
   schulze, borda, ranked-pairs; stv only with seats), with the same ballots (ids no longer
   shortlisted are dropped from them); the other funding rule (``equal-shares`` with
   approvals when the ranked stage is approval voting, else scores, completion ``none``;
   or ``in-order`` with the stage's fit rule, without lottery).  Alternatives that cannot
   run are left out.  Each gives ``{"change": "aggregation=median", "funded": [ids in
   funding order], "same": set equal to the decision's}``; ``depends`` lists (in
   application order) the applications funded under some but not all of the decision and
   its alternatives.  Alternatives record no ties and no draws.

Outputs: schema 2's (``applications``, ``order``, ``ties``, ``draws``, ``funding``,
``after_close``) plus ``stages``, ``calibration``, ``consensus``, ``ranked``, ``consent``,
``sensitivity``, ``depends``; ``funding`` gains ``rule`` and ``lottery``.  No floats
anywhere.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from voting.budget import equal_shares, fund_in_order
from voting.calibration import additive_model, connected_components, zscore_normalise
from voting.consensus import supermajority
from voting.draws import draw_order
from voting.errors import VotingError
from voting.panel import (
    BELOW_LINE,
    FIT_RULES,
    FUNDED,
    INELIGIBLE,
    SKIPPED,
    UNDER_QUORUM,
    InputError,
    _Application,
    _check_inputs,
    _Inputs,
    _median,
    _resolve,
    _sd_string,
    _sheet_total,
    _statistics,
    _Stats,
    _tie_values,
    decimal_string,
)
from voting.ranked import approval, borda, irv, ranked_pairs, schulze, stv
from voting.results import CountResult, CountRound

__all__ = ["ADD1_INCREMENT", "AGGREGATIONS_3", "CALIBRATIONS", "COMPLETIONS",
           "CONSENSUS_MEASURES", "CONSENT_POSITIONS", "CONSENT_RULES", "FLAG_REASONS",
           "FUNDING_RULES", "INPUT_KEYS", "LOTTERY_PURPOSE", "N_", "RANKED_METHODS",
           "SCHEMA_VERSION", "SENSITIVITY_TRIM", "SHORTLIST_RULES", "STAGE_KINDS", "UTILITIES",
           "check_stages", "decide_stages", "default_stages", "describe_stages", "flagged_of",
           "shortlist_of"]

SCHEMA_VERSION = 3
INPUT_KEYS = ("schema_version", "round", "rules", "rubric", "applications", "panel", "sheets",
              "conflicts", "ballots", "consents", "randomness")
_RECORD_ONLY_KEYS = ("voting_version", "organisation", "outputs", "decision", "previous_digest",
                     "digest")
STAGE_KINDS = ("scores", "consensus", "ranked", "funding", "consent")
AGGREGATIONS_3 = ("mean", "median", "trimmed-mean")
CALIBRATIONS = ("none", "zscore", "additive")
CONSENSUS_MEASURES = ("sd", "iqr", "range")
RANKED_METHODS = ("irv", "stv", "schulze", "borda", "ranked-pairs", "approval")
SHORTLIST_RULES = ("top", "above")
FUNDING_RULES = ("in-order", "equal-shares")
UTILITIES = ("approvals", "scores")
COMPLETIONS = ("none", "add1")
CONSENT_RULES = ("no-objection", "supermajority")
CONSENT_POSITIONS = ("consent", "object")
#: Why the consensus stage flags an application (rule 4), in the order they are listed.
FLAG_REASONS = ("disagreement", "objection")
#: The per-voter step of the "add1" completion, in minor units (one pound, euro or dollar).
ADD1_INCREMENT = 100
#: The trim of the trimmed-mean alternative in the sensitivity check when the stage has none.
SENSITIVITY_TRIM = "0.10"
LOTTERY_PURPOSE = "lottery"

_REQUIRED = ("scores", "funding")
_STAGE_KEYS: dict[str, tuple[str, ...]] = {
    "scores": ("kind", "aggregation", "trim", "calibration"),
    "consensus": ("kind", "measure", "threshold", "rescore"),
    "ranked": ("kind", "method", "shortlist", "size", "above", "seats"),
    "funding": ("kind", "rule", "fit_rule", "utilities", "completion", "lottery"),
    "consent": ("kind", "rule", "threshold"),
}
_RULE_KEYS = ("quorum", "tie_break", "stages")
_SHEET_KEYS = ("member", "application", "stage", "scores", "objection")
#: Optional sheet keys: ``assisted`` (true: staff entered the sheet on the member's behalf).
_SHEET_OPTIONAL_KEYS = ("objection", "assisted")
_CONFLICT_1_KEYS = ("member", "application", "category")
_RANKING_KEYS = ("member", "stage", "ranking")
_APPROVAL_KEYS = ("member", "stage", "approved")
_CONSENT_KEYS = ("member", "position", "application")
_TRIM_RE = re.compile(r"^0\.[0-9]{2}$")
_TWO_DP_RE = re.compile(r"^[0-9]+\.[0-9]{2}$")
_SIGNED_TWO_DP_RE = re.compile(r"^-?[0-9]+\.[0-9]{2}$")
_RATIO_RE = re.compile(r"^[1-9][0-9]*/[1-9][0-9]*$")
_SIX_DP = decimal.Decimal("0.000001")
_RANKED_BALLOT_METHODS = ("irv", "stv", "schulze", "borda", "ranked-pairs")


def N_(message: str) -> str:  # noqa: N802 (gettext's conventional name)
    """Mark ``message`` for translation (a no-op; see :func:`voting.registry.N_`)."""
    return message


# --------------------------------------------------------------------------- validation


def _object(value: object, path: str, keys: Sequence[str], what: str = "") -> Mapping[str, Any]:
    """``value`` as a mapping with exactly ``keys``."""
    if not isinstance(value, Mapping):
        raise InputError(path, "must be an object (a JSON mapping of names to values)")
    for key in keys:
        if key not in value:
            raise InputError(f"{path}.{key}", "is required but missing")
    for key in value:
        if key not in keys:
            raise InputError(f"{path}.{key}",
                             f"is not part of {what or f'schema version {SCHEMA_VERSION}'} "
                             f"(allowed: {', '.join(keys)})")
    return value


def _choice(value: object, path: str, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise InputError(path, f"must be one of {', '.join(map(repr, choices))}, not {value!r}")
    return value


def _list(value: object, path: str) -> Sequence[Any]:
    if not isinstance(value, (list, tuple)):
        raise InputError(path, "must be a list")
    return value


def _whole(value: object, path: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(path, "must be a whole number (an integer, not text or a decimal)")
    if value < minimum:
        raise InputError(path, f"must be at least {minimum}, not {value}")
    return value


def _null(value: object, path: str, why: str) -> None:
    if value is not None:
        raise InputError(path, f"must be null {why}")


def _check_stage(item: object, path: str) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise InputError(path, "must be an object (a JSON mapping of names to values)")
    kind = _choice(item.get("kind"), f"{path}.kind", STAGE_KINDS)
    stage = dict(_object(item, path, _STAGE_KEYS[kind], f"a {kind} stage"))
    if kind == "scores":
        aggregation = _choice(stage["aggregation"], f"{path}.aggregation", AGGREGATIONS_3)
        trim = stage["trim"]
        if not isinstance(trim, str) or not _TRIM_RE.match(trim):
            raise InputError(f"{path}.trim", "must be a share written with two decimals from "
                                             f"\"0.00\" to \"0.49\", not {trim!r}")
        if Fraction(trim) >= Fraction(1, 2):
            raise InputError(f"{path}.trim", "must be less than 0.50 (a trimmed mean must keep "
                                             "at least one total)")
        if aggregation != "trimmed-mean" and trim != "0.00":
            raise InputError(f"{path}.trim", "must be \"0.00\": only a trimmed mean trims")
        _choice(stage["calibration"], f"{path}.calibration", CALIBRATIONS)
    elif kind == "consensus":
        _choice(stage["measure"], f"{path}.measure", CONSENSUS_MEASURES)
        threshold = stage["threshold"]
        if not isinstance(threshold, str) or not _TWO_DP_RE.match(threshold):
            raise InputError(f"{path}.threshold", "must be a number written with two decimals, "
                                                  f"such as \"1.50\", not {threshold!r}")
        if not isinstance(stage["rescore"], bool):
            raise InputError(f"{path}.rescore", "must be true or false")
    elif kind == "ranked":
        method = _choice(stage["method"], f"{path}.method", RANKED_METHODS)
        rule = _choice(stage["shortlist"], f"{path}.shortlist", SHORTLIST_RULES)
        if rule == "top":
            if stage["size"] is None:
                raise InputError(f"{path}.size", "a shortlist of the top applications needs its "
                                                 "size (how many go on it)")
            size = stage["size"]
            if isinstance(size, bool) or not isinstance(size, int):
                raise InputError(f"{path}.size", "must be a whole number (an integer)")
            if size < 2:
                raise InputError(f"{path}.size", "a shortlist needs at least 2 places")
            _null(stage["above"], f"{path}.above", "for a shortlist of the top applications")
        else:
            above = stage["above"]
            if not isinstance(above, str) or not _SIGNED_TWO_DP_RE.match(above):
                raise InputError(f"{path}.above", "must be the lowest result that gets on the "
                                                  "shortlist, written with two decimals such "
                                                  f"as \"3.50\", not {above!r}")
            _null(stage["size"], f"{path}.size", "for a shortlist of every application above "
                                                 "a score")
        seats = stage["seats"]
        if seats is None:
            if method == "stv":
                raise InputError(f"{path}.seats", "stv needs a number of seats")
        else:
            _whole(seats, f"{path}.seats", 1)
            if rule == "top" and seats > stage["size"]:
                raise InputError(f"{path}.seats", f"must be at most the shortlist size "
                                                  f"({stage['size']}), not {seats}")
    elif kind == "funding":
        rule = _choice(stage["rule"], f"{path}.rule", FUNDING_RULES)
        _choice(stage["fit_rule"], f"{path}.fit_rule", FIT_RULES)
        if not isinstance(stage["lottery"], bool):
            raise InputError(f"{path}.lottery", "must be true or false")
        if rule == "in-order":
            _null(stage["utilities"], f"{path}.utilities", "when funding down the order")
            _null(stage["completion"], f"{path}.completion", "when funding down the order")
        else:
            _choice(stage["utilities"], f"{path}.utilities", UTILITIES)
            _choice(stage["completion"], f"{path}.completion", COMPLETIONS)
            if stage["fit_rule"] != "skip":
                raise InputError(f"{path}.fit_rule", "must be \"skip\" with equal shares (the "
                                                     "method has no funding line to stop at)")
            if stage["lottery"]:
                raise InputError(f"{path}.lottery", "a partial lottery needs the in-order rule "
                                                    "(equal shares has no funding line)")
    else:
        rule = _choice(stage["rule"], f"{path}.rule", CONSENT_RULES)
        threshold = stage["threshold"]
        if rule == "no-objection":
            _null(threshold, f"{path}.threshold", "when the rule is no objection")
        else:
            if not isinstance(threshold, str) or not _RATIO_RE.match(threshold):
                raise InputError(f"{path}.threshold", "a supermajority needs its share written "
                                                      f"as a fraction such as \"2/3\", not "
                                                      f"{threshold!r}")
            if Fraction(threshold) > 1:
                raise InputError(f"{path}.threshold", "must be at most 1 (everyone)")
    return stage


def check_stages(stages: object, *, path: str = "rules.stages") -> list[dict[str, Any]]:
    """Validate a stage chain on its own (rule 2) and return a clean copy of it.

    Raises :class:`InputError` whose path is ``f"{path}[i].<field>"`` (or ``path`` for the
    chain as a whole) and whose requirement says in plain English what is wrong.

    >>> [s["kind"] for s in check_stages(default_stages("mean", "skip"))]
    ['scores', 'funding']
    >>> check_stages([{"kind": "funding", "rule": "in-order", "fit_rule": "skip",
    ...                "utilities": None, "completion": None, "lottery": False}])
    Traceback (most recent call last):
    ...
    voting.panel.InputError: rules.stages: must start with a scores stage
    """
    items = _list(stages, path)
    clean = [_check_stage(item, f"{path}[{i}]") for i, item in enumerate(items)]
    kinds = [s["kind"] for s in clean]
    if not kinds or kinds[0] != "scores":
        raise InputError(path, "must start with a scores stage")
    for kind in STAGE_KINDS:
        if kinds.count(kind) > 1:
            raise InputError(path, f"must have at most one {kind} stage")
    if "funding" not in kinds:
        raise InputError(path, "must have a funding stage")
    positions = [STAGE_KINDS.index(k) for k in kinds]
    if positions != sorted(positions):
        raise InputError(path, "stages must run in the order scores, consensus, ranked, "
                               "funding, consent")
    by_kind = {s["kind"]: (i, s) for i, s in enumerate(clean)}
    f_at, funding = by_kind["funding"]
    if funding["utilities"] == "approvals":
        ranked = by_kind.get("ranked")
        if ranked is None or ranked[1]["method"] != "approval":
            raise InputError(f"{path}[{f_at}].utilities",
                             "equal shares on approvals needs a ranked stage with approval "
                             "voting")
    return clean


def default_stages(aggregation: str, fit_rule: str) -> list[dict[str, Any]]:
    """The chain that decides exactly as schema 1 does: scores, then funding in order.

    >>> default_stages("median", "stop")[1]["fit_rule"]
    'stop'
    """
    _choice(aggregation, "aggregation", AGGREGATIONS_3)
    _choice(fit_rule, "fit_rule", FIT_RULES)
    return [
        {"kind": "scores", "aggregation": aggregation,
         "trim": "0.10" if aggregation == "trimmed-mean" else "0.00", "calibration": "none"},
        {"kind": "funding", "rule": "in-order", "fit_rule": fit_rule, "utilities": None,
         "completion": None, "lottery": False},
    ]


# --------------------------------------------------------------------------- parsed inputs


@dataclass(frozen=True)
class _Round:
    """Validated inputs and everything that does not depend on the stage options."""

    inp: _Inputs
    raw: Mapping[str, Any]
    stages: tuple[dict[str, Any], ...]
    members: tuple[str, ...]
    apps: Mapping[str, _Application]
    stats: Mapping[str, _Stats]
    counted: Mapping[str, tuple[tuple[str, Fraction], ...]]  # app -> (member, total), rule 1
    stage1: Mapping[str, tuple[Fraction, ...]]  # app -> non-conflicted stage-1 totals
    objections: frozenset[str]  # apps with a non-conflicted stage-1 objection
    stage2: Mapping[str, int]  # app -> non-conflicted stage-2 sheets

    def stage(self, kind: str) -> dict[str, Any] | None:
        return next((s for s in self.stages if s["kind"] == kind), None)

    def index(self, kind: str) -> int:
        return next(i for i, s in enumerate(self.stages) if s["kind"] == kind)


def _rename(e: InputError) -> InputError:
    return InputError(e.path, re.sub(r"schema version [12]\b", f"schema version {SCHEMA_VERSION}",
                                     e.requirement))


def _schema_1_view(inputs: Mapping[str, Any], stages: Sequence[Mapping[str, Any]]
                   ) -> dict[str, Any]:
    scores = stages[0]
    funding = next(s for s in stages if s["kind"] == "funding")
    rules = inputs["rules"]
    return {
        "schema_version": 1,
        "round": inputs["round"],
        "rules": {"method": "scores",
                  "aggregation": "median" if scores["aggregation"] == "median" else "mean",
                  "quorum": rules["quorum"], "fit_rule": funding["fit_rule"],
                  "tie_break": rules["tie_break"]},
        "rubric": inputs["rubric"],
        "applications": inputs["applications"],
        "panel": inputs["panel"],
        "sheets": [{k: v for k, v in s.items() if k not in _SHEET_OPTIONAL_KEYS}
                   for s in inputs["sheets"]],
        "conflicts": [{k: c[k] for k in _CONFLICT_1_KEYS if k in c}
                      if isinstance(c, Mapping) else c for c in inputs["conflicts"]],
        "randomness": inputs["randomness"],
    }


def _parse(inputs: Mapping[str, Any], *, lenient: bool = False) -> _Round:
    """Validate everything but ballots and consents (those depend on the count)."""
    if not isinstance(inputs, Mapping):
        raise InputError("record", "the inputs must be an object (a JSON mapping)")
    for key in INPUT_KEYS:
        if key not in inputs and not (lenient and key in ("ballots", "consents")):
            raise InputError(key, "is required but missing")
    for key in inputs:
        if key not in INPUT_KEYS and key not in _RECORD_ONLY_KEYS:
            raise InputError(str(key), f"is not part of schema version {SCHEMA_VERSION}")
    version = inputs["schema_version"]
    if type(version) is not int or version != SCHEMA_VERSION:
        raise InputError("schema_version", f"must be {SCHEMA_VERSION} (the decision-stage "
                                           f"schema), not {version!r}")
    rules = _object(inputs["rules"], "rules", _RULE_KEYS)
    stages = tuple(check_stages(rules["stages"]))
    for i, sheet in enumerate(_list(inputs["sheets"], "sheets")):
        if isinstance(sheet, Mapping) and "assisted" in sheet:
            if not isinstance(sheet["assisted"], bool):
                raise InputError(f"sheets[{i}].assisted", "must be true or false")
            sheet = {k: v for k, v in sheet.items() if k != "assisted"}
        _object(sheet, f"sheets[{i}]", _SHEET_KEYS)
        if not isinstance(sheet["objection"], bool):
            raise InputError(f"sheets[{i}].objection", "must be true or false")
    from voting.record import _check_conflicts_2  # record imports this module

    try:
        _check_conflicts_2(inputs["conflicts"])
        inp = _check_inputs(_schema_1_view(inputs, stages))
    except InputError as e:
        raise _rename(e) from None
    apps = {a.id: a for a in inp.applications}
    stats = {a.id: _statistics(a, inp) for a in inp.applications}
    own: dict[str, list[tuple[int, Any]]] = {a.id: [] for a in inp.applications}
    for i, s in enumerate(inp.sheets):
        if (s.member, s.application) not in inp.conflicts:
            own[s.application].append((i, s))
    counted: dict[str, tuple[tuple[str, Fraction], ...]] = {}
    stage1: dict[str, tuple[Fraction, ...]] = {}
    stage2: dict[str, int] = {}
    objections: set[str] = set()
    raw_sheets = inputs["sheets"]
    for app_id, sheets in own.items():
        stage = 2 if any(s.stage == 2 for _, s in sheets) else 1
        counted[app_id] = tuple((s.member, t) for _, s in sheets
                                if s.stage == stage
                                and (t := _sheet_total(s.scores, inp.rubric)) is not None)
        stage1[app_id] = tuple(t for _, s in sheets
                               if s.stage == 1
                               and (t := _sheet_total(s.scores, inp.rubric)) is not None)
        stage2[app_id] = sum(1 for _, s in sheets if s.stage == 2)
        if any(s.stage == 1 and raw_sheets[i]["objection"] for i, s in sheets):
            objections.add(app_id)
    rnd = _Round(inp, inputs, stages, tuple(inputs["panel"]), apps, stats, counted, stage1,
                 frozenset(objections), stage2)
    _check_stage_2(rnd)
    return rnd


def _check_stage_2(rnd: _Round) -> None:
    consensus = rnd.stage("consensus")
    flagged = set(_consensus(rnd, consensus)["flagged"]) if consensus else set()
    for i, s in enumerate(rnd.inp.sheets):
        if s.stage != 2:
            continue
        if consensus is None or not consensus["rescore"]:
            raise InputError(f"sheets[{i}].stage", "stage-2 sheets need a consensus stage with "
                                                   "rescore true")
        if s.application not in flagged:
            raise InputError(f"sheets[{i}].application",
                             f"{s.application!r} was not flagged for discussion, so it is not "
                             "scored again (stage-2 sheets only for flagged applications)")


# --------------------------------------------------------------------------- consensus


def _iqr(values: Sequence[Fraction]) -> Fraction:
    ordered = sorted(values)
    half = len(ordered) // 2
    return _median(ordered[-half:]) - _median(ordered[:half])


def _variance(values: Sequence[Fraction]) -> Fraction:
    mean = sum(values, Fraction(0)) / len(values)
    return sum(((v - mean) ** 2 for v in values), Fraction(0)) / (len(values) - 1)


def _pair_sum(values: Sequence[Fraction]) -> Fraction:
    """``sum over i != j of (v_i - v_j)^2`` = ``2 (m sum v^2 - (sum v)^2)``."""
    total = sum(values, Fraction(0))
    squares = sum((v * v for v in values), Fraction(0))
    return 2 * (len(values) * squares - total * total)


def _alpha(units: Sequence[Sequence[Fraction]]) -> Fraction | None:
    """Krippendorff's alpha, interval metric, exact (rule 4)."""
    pairable = [u for u in units if len(u) >= 2]
    values = [v for u in pairable for v in u]
    n = len(values)
    if n < 2:
        return None
    expected = _pair_sum(values) / (n * (n - 1))
    if expected == 0:
        return None
    observed = sum((_pair_sum(u) / (len(u) - 1) for u in pairable), Fraction(0)) / n
    return 1 - observed / expected


def _three_dp(value: Fraction) -> str:
    thousandths = round(value * 1000)
    sign = "-" if thousandths < 0 else ""
    whole, part = divmod(abs(thousandths), 1000)
    return f"{sign}{whole}.{part:03d}"


def _consensus(rnd: _Round, stage: Mapping[str, Any]) -> dict[str, Any]:
    threshold = Fraction(stage["threshold"])
    measure = stage["measure"]
    rows = []
    keyed: list[tuple[int, Fraction, str]] = []
    for app_id in sorted(rnd.apps):
        totals = rnd.stage1[app_id]
        if len(totals) >= 2:
            variance = _variance(totals)
            values: dict[str, Fraction] = {"iqr": _iqr(totals),
                                           "range": max(totals) - min(totals)}
            over = (variance > threshold * threshold if measure == "sd"
                    else values[measure] > threshold)
            sd, iqr, spread = _sd_string(variance), decimal_string(values["iqr"]), \
                decimal_string(values["range"])
        else:
            variance, values, over, sd, iqr, spread = None, {}, False, None, None, None
        reasons = []
        if rnd.apps[app_id].eligible:
            if over:
                reasons.append(FLAG_REASONS[0])
            if app_id in rnd.objections:
                reasons.append(FLAG_REASONS[1])
        if reasons:
            size = (None if variance is None
                    else variance if measure == "sd" else values[measure])
            keyed.append((0, -size, app_id) if size is not None else (1, Fraction(0), app_id))
        rows.append({"id": app_id, "sd": sd, "iqr": iqr, "range": spread,
                     "flagged": bool(reasons), "reasons": reasons,
                     "stage2_sheets": rnd.stage2[app_id]})
    alpha = _alpha([rnd.stage1[a.id] for a in rnd.inp.applications])
    return {"alpha": None if alpha is None else _three_dp(alpha),
            "flagged": [app_id for _, _, app_id in sorted(keyed)],
            "applications": rows}


# --------------------------------------------------------------------------- score stage


def _six_dp(value: float) -> Fraction:
    return Fraction(decimal.Decimal(value).quantize(_SIX_DP, rounding=decimal.ROUND_HALF_EVEN))


def _calibrate(rnd: _Round, method: str
               ) -> tuple[dict[str, tuple[Fraction, ...]], dict[str, Any]]:
    """Calibrated totals per eligible application (rule 3) and ``outputs.calibration``."""
    eligible = [a.id for a in rnd.inp.applications if a.eligible]
    col = {app_id: j for j, app_id in enumerate(eligible)}
    row = {m: i for i, m in enumerate(rnd.members)}
    table = np.full((len(rnd.members), len(eligible)), np.nan)
    for app_id in eligible:
        for member, total in rnd.counted[app_id]:
            table[row[member], col[app_id]] = float(total)
    observed = ~np.isnan(table)
    out: dict[str, tuple[Fraction, ...]] = {}
    if not observed.any():
        return out, {"method": method, "components": 0, "warning": False}
    if method == "zscore":
        components = len(connected_components(observed))
        z = zscore_normalise(table, degenerate="centre").values
        everything = table[observed]
        panel_mean = float(everything.mean())
        panel_sd = float(everything.std(ddof=1)) if everything.size >= 2 else 0.0
        adjusted = panel_mean + z * panel_sd
    else:
        fit = additive_model(table)
        components = len(fit.components)
        adjusted = table - fit.leniencies[:, None]
    for app_id in eligible:
        out[app_id] = tuple(_six_dp(float(adjusted[row[m], col[app_id]]))
                            for m, _ in rnd.counted[app_id])
    return out, {"method": method, "components": components, "warning": components > 1}


def _statistic(values: Sequence[Fraction], aggregation: str, trim: Fraction) -> Fraction | None:
    if not values:
        return None
    if aggregation == "median":
        return _median(values)
    kept = sorted(values)
    if aggregation == "trimmed-mean":
        k = len(kept) * trim.numerator // trim.denominator
        kept = kept[k:len(kept) - k]
    return sum(kept, Fraction(0)) / len(kept)


@dataclass
class _Scored:
    aggregates: dict[str, Fraction | None]
    ranked: list[str]  # eligible with quorum, in score order
    calibration: dict[str, Any] | None
    ties: list[dict[str, Any]] = field(default_factory=list)
    draws: list[dict[str, Any]] = field(default_factory=list)


def _score_stage(rnd: _Round, stage: Mapping[str, Any]) -> _Scored:
    totals: dict[str, tuple[Fraction, ...]] = {a: tuple(t for _, t in c)
                                               for a, c in rnd.counted.items()}
    calibration = None
    if stage["calibration"] != "none":
        calibrated, calibration = _calibrate(rnd, stage["calibration"])
        totals.update(calibrated)
    trim = Fraction(stage["trim"])
    aggregates = {a: _statistic(totals[a], stage["aggregation"], trim) for a in rnd.apps}
    inp = rnd.inp
    scored = _Scored(aggregates, [], calibration)
    by_aggregate: dict[Fraction, list[str]] = {}
    for app in inp.applications:
        agg = aggregates[app.id]
        if app.eligible and rnd.stats[app.id].n >= inp.quorum and agg is not None:
            by_aggregate.setdefault(agg, []).append(app.id)
    values = _tie_values(rnd.stats, rnd.apps)
    for agg in sorted(by_aggregate, reverse=True):
        group = sorted(by_aggregate[agg])
        scored.ranked += (_resolve(group, inp.tie_break, inp.seed, values, scored.ties,
                                   scored.draws) if len(group) > 1 else group)
    return scored


# --------------------------------------------------------------------------- ranked stage


def _shortlist(rnd: _Round, scored: _Scored, stage: Mapping[str, Any]) -> list[str]:
    at = f"rules.stages[{rnd.index('ranked')}]"
    if stage["shortlist"] == "top":
        shortlist = scored.ranked[:stage["size"]]
        where = f"{at}.size"
    else:
        above = Fraction(stage["above"])
        shortlist = [a for a in scored.ranked if (v := scored.aggregates[a]) is not None
                     and v >= above]
        where = f"{at}.above"
    if len(shortlist) < 2:
        raise InputError(where, f"the shortlist holds {len(shortlist)} application(s); a ranked "
                                "vote needs at least 2")
    seats = stage["seats"]
    if seats is not None and seats > len(shortlist):
        raise InputError(f"{at}.seats", f"must be at most the shortlist size "
                                        f"({len(shortlist)}), not {seats}")
    return shortlist


@dataclass(frozen=True)
class _Ballot:
    member: str
    ids: tuple[str, ...]  # ranking (most preferred first) or approvals (sorted)


def _check_ballots(rnd: _Round, method: str | None, shortlist: Sequence[str]) -> list[_Ballot]:
    items = _list(rnd.raw.get("ballots", []), "ballots")
    if method is None:
        if items:
            raise InputError("ballots", "must be empty: the round has no ranked stage")
        return []
    if not items:
        raise InputError("ballots", "a round with a ranked stage needs at least one ballot")
    field_name = "approved" if method == "approval" else "ranking"
    keys = _APPROVAL_KEYS if method == "approval" else _RANKING_KEYS
    order = {m: i for i, m in enumerate(rnd.members)}
    on_list = set(shortlist)
    ballots: list[_Ballot] = []
    last = -1
    for i, item in enumerate(items):
        path = f"ballots[{i}]"
        ballot = _object(item, path, keys, f"a ballot for {method}")
        member = ballot["member"]
        if not isinstance(member, str) or member not in order:
            raise InputError(f"{path}.member", f"{member!r} is not in the panel")
        if order[member] == last:
            raise InputError(f"{path}.member", f"{member!r} has a second ballot; each member "
                                               "casts at most one")
        if order[member] < last:
            raise InputError(f"{path}.member", "ballots must be sorted by member, in panel "
                                               "order")
        last = order[member]
        if ballot["stage"] != "ranked":
            raise InputError(f"{path}.stage", f"must be 'ranked', not {ballot['stage']!r}")
        ids = _list(ballot[field_name], f"{path}.{field_name}")
        seen: set[str] = set()
        for j, app_id in enumerate(ids):
            if not isinstance(app_id, str) or app_id not in on_list:
                raise InputError(f"{path}.{field_name}[{j}]",
                                 f"{app_id!r} is not on the shortlist")
            if app_id in seen:
                raise InputError(f"{path}.{field_name}[{j}]", f"{app_id!r} appears twice")
            seen.add(app_id)
        if method == "approval" and list(ids) != sorted(ids):
            raise InputError(f"{path}.approved", "must list the approved ids sorted")
        ballots.append(_Ballot(member, tuple(ids)))
    return ballots


def _tally(value: Any) -> int | str:
    """A tally as published: an int, or an exact decimal string."""
    if isinstance(value, (bool, float)):
        raise VotingError(f"a count produced a float tally ({value!r}); tallies must be exact")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return int(value)
        d, twos, fives = value.denominator, 0, 0
        while d % 2 == 0:
            d, twos = d // 2, twos + 1
        while d % 5 == 0:
            d, fives = d // 5, fives + 1
        if d == 1:
            places = max(twos, fives)
            scaled = value * 10**places
            sign = "-" if scaled < 0 else ""
            whole, part = divmod(abs(int(scaled)), 10**places)
            return f"{sign}{whole}.{part:0{places}d}"
        return str(_six_dp(float(value)))  # not reached by the methods used here
    raise VotingError(f"a count produced an unexpected tally {value!r}")


def _round_dict(r: CountRound, number: int, labels: Sequence[str], prefix: str = "") -> dict[str, Any]:
    tallies = {labels[k]: _tally(v) for k, v in r.tallies.items()}
    transfers = {labels[k]: _tally(v) for k, v in r.transfers.items()}
    elected = [labels[i] for i in r.elected]
    eliminated = [labels[i] for i in r.eliminated]
    notes: list[str] = []
    if elected:
        notes.append(f"{', '.join(elected)} elected")
    surplus = [labels[k] for k, v in r.transfers.items()
               if labels[k] not in eliminated and v < 0]
    for src in surplus:
        notes.append(f"surplus of {src} transferred")
    for loser in eliminated:
        low = r.tallies[labels.index(loser)]
        tied = [labels[k] for k, v in r.tallies.items()
                if v == low and labels[k] != loser and labels[k] not in elected]
        note = f"{loser} has the fewest votes and is excluded"
        if tied:
            note += (f" (tied with {', '.join(tied)}: the one lower in the score order goes "
                     "first)")
        notes.append(note)
    return {"round": number, "tallies": tallies,
            "threshold": None if r.threshold is None else _tally(r.threshold),
            "elected": elected, "eliminated": eliminated, "transfers": transfers,
            "exhausted": _tally(r.exhausted), "note": prefix + "; ".join(notes)}


@dataclass
class _Count:
    winners: list[str]
    order: list[str]
    rounds: list[dict[str, Any]]
    counts: list[dict[str, Any]]


def _count(method: str, seats: int | None, shortlist: Sequence[str],
           ballots: Sequence[_Ballot], conflicts: frozenset[tuple[str, str]]) -> _Count:
    """Run the ranked stage (rule 5) on ballots already restricted to ``shortlist``."""
    clean = [[a for a in b.ids if (b.member, a) not in conflicts and a in shortlist]
             for b in ballots]
    index = {a: i for i, a in enumerate(shortlist)}
    n = len(shortlist)
    rounds: list[dict[str, Any]] = []
    counts: list[dict[str, Any]] = []
    if method == "irv":
        remaining = list(shortlist)
        winners: list[str] = []
        for number in range(1, (seats or n) + 1):
            local = {a: i for i, a in enumerate(remaining)}
            one = irv([[local[a] for a in b if a in local] for b in clean],
                         n_candidates=len(remaining), tie_break="order")
            prefix = (f"Count {number}, without {', '.join(winners)}: " if winners else "")
            first = len(rounds) + 1
            for k, r in enumerate(one.rounds):
                rounds.append(_round_dict(r, len(rounds) + 1, remaining, prefix if k == 0 else ""))
            won = remaining[one.winners[0]]
            winners.append(won)
            counts.append({"count": number, "elected": [won], "rounds": [first, len(rounds)]})
            remaining.remove(won)
        return _Count(winners, winners + [a for a in shortlist if a not in winners], rounds,
                      counts)
    result: CountResult
    if method == "stv":
        assert seats is not None  # check_stages requires seats for stv
        result = stv([[index[a] for a in b] for b in clean], seats, n_candidates=n,
                     tie_break="order")
        elected = [shortlist[i] for i in result.winners]
    else:
        if method == "approval":
            matrix = np.zeros((len(clean), n), dtype=bool)
            for row, b in enumerate(clean):
                matrix[row, [index[a] for a in b]] = True
            result = approval(matrix, seats=n, tie_break="order")
        else:
            fn = {"schulze": schulze, "borda": borda, "ranked-pairs": ranked_pairs}[method]
            result = fn([[index[a] for a in b] for b in clean], n_candidates=n, seats=n,
                        tie_break="order")
        elected = [shortlist[i] for i in result.details["ranking"]][:seats or n]
    for r in result.rounds:
        rounds.append(_round_dict(r, len(rounds) + 1, shortlist))
    if method not in ("stv",):
        ranking = [shortlist[i] for i in result.details["ranking"]]
        rounds[-1]["elected"] = list(elected)
        rounds[-1]["note"] = f"order: {', '.join(ranking)}"
    counts.append({"count": 1, "elected": list(elected), "rounds": [1, len(rounds)]})
    return _Count(elected, elected + [a for a in shortlist if a not in elected], rounds, counts)


# --------------------------------------------------------------------------- funding


@dataclass
class _Funding:
    funded: list[str]
    skipped: list[str]
    stopped_at: str | None
    spent: int
    remaining: int
    line_after: int | None
    lottery: dict[str, Any] | None
    draw: dict[str, Any] | None


def _lottery_group(rnd: _Round, scored: _Scored, final: Sequence[str], funded: set[str],
                   tiers: Mapping[str, int]) -> list[str]:
    first = next((a for a in final if a not in funded), None)
    if first is None or tiers[first] == 0:
        return []
    key = scored.aggregates[first]
    return sorted(a for a in final if tiers[a] == tiers[first] and scored.aggregates[a] == key)


def _fund(rnd: _Round, stage: Mapping[str, Any], scored: _Scored, final: list[str],
          tiers: Mapping[str, int], ballots: Sequence[_Ballot]) -> _Funding:
    amounts = [rnd.apps[a].amount for a in final]
    budget = rnd.inp.budget
    if stage["rule"] == "equal-shares":
        position = {a: j for j, a in enumerate(final)}
        if stage["utilities"] == "approvals":
            matrix = np.zeros((len(ballots), len(final)), dtype=bool)
            for row, b in enumerate(ballots):
                for a in b.ids:
                    if (b.member, a) not in rnd.inp.conflicts and a in position:
                        matrix[row, position[a]] = True
            utility = "cost"
        else:
            member_row = {m: i for i, m in enumerate(rnd.members)}
            matrix = np.zeros((len(rnd.members), len(final)))
            for a in final:
                for member, total in rnd.counted[a]:
                    matrix[member_row[member], position[a]] = max(float(total), 0.0)
            utility = "scores"
        if not final:
            winners: list[int] = []
        else:
            completion = None if stage["completion"] == "none" else stage["completion"]
            result = equal_shares(matrix, amounts, budget, utility=utility,
                                  completion=completion, increment=ADD1_INCREMENT)
            winners = [int(j) for j in result.winners]
        funded = [final[j] for j in winners]
        spent = sum(rnd.apps[a].amount for a in funded)
        return _Funding(funded, [], None, spent, budget - spent, None, None, None)
    order = list(final)
    lottery: dict[str, Any] | None = None
    draw: dict[str, Any] | None = None
    if stage["lottery"]:
        plain = fund_in_order(list(range(len(final))), amounts, budget, rule=stage["fit_rule"])
        group = _lottery_group(rnd, scored, final, {final[j] for j in plain.selected}, tiers)
        drawn = draw_order(rnd.inp.seed, LOTTERY_PURPOSE, group) if len(group) >= 2 else group
        if len(group) >= 2:
            at = min(order.index(a) for a in group)
            rest = [a for a in order if a not in group]
            order = rest[:at] + drawn + rest[at:]
            draw = {"purpose": LOTTERY_PURPOSE, "applications": list(group),
                    "order": list(drawn)}
        lottery = {"group": list(group), "order": list(drawn)}
    result_in_order = fund_in_order([final.index(a) for a in order], amounts, budget,
                                    rule=stage["fit_rule"])
    return _Funding([final[j] for j in result_in_order.selected],
                    [final[j] for j in result_in_order.skipped],
                    None if result_in_order.stopped_at is None
                    else final[result_in_order.stopped_at],
                    result_in_order.spent, result_in_order.remaining,
                    result_in_order.line_after, lottery, draw)


# --------------------------------------------------------------------------- the chain


@dataclass
class _Run:
    scored: _Scored
    shortlist: list[str] | None
    count: _Count | None
    final: list[str]
    funding: _Funding


def _run(rnd: _Round, stages: Sequence[Mapping[str, Any]], ballots: Sequence[_Ballot]) -> _Run:
    """Stages scores, ranked and funding (rules 3, 5, 6) for one chain."""
    by_kind = {s["kind"]: s for s in stages}
    scored = _score_stage(rnd, by_kind["scores"])
    ranked = by_kind.get("ranked")
    shortlist: list[str] | None = None
    count: _Count | None = None
    tiers = {a: 2 for a in scored.ranked}
    if ranked is not None:
        shortlist = _shortlist(rnd, scored, ranked)
        count = _count(ranked["method"], ranked["seats"], shortlist, ballots,
                       rnd.inp.conflicts)
        final = count.order + [a for a in scored.ranked if a not in shortlist]
        tiers.update({a: 1 for a in shortlist})
        tiers.update({a: 0 for a in count.winners})
    else:
        final = list(scored.ranked)
    funding = _fund(rnd, by_kind["funding"], scored, final, tiers, ballots)
    return _Run(scored, shortlist, count, final, funding)


def _consent(rnd: _Round, stage: Mapping[str, Any] | None, funded: Sequence[str]
             ) -> dict[str, Any] | None:
    items = _list(rnd.raw.get("consents", []), "consents")
    if stage is None:
        if items:
            raise InputError("consents", "must be empty: the round has no consent stage")
        return None
    order = {m: i for i, m in enumerate(rnd.members)}
    last = -1
    n_consents = 0
    objections: list[dict[str, str]] = []
    for i, item in enumerate(items):
        path = f"consents[{i}]"
        answer = _object(item, path, _CONSENT_KEYS)
        member = answer["member"]
        if not isinstance(member, str) or member not in order:
            raise InputError(f"{path}.member", f"{member!r} is not in the panel")
        if order[member] == last:
            raise InputError(f"{path}.member", f"{member!r} answers twice; each member gives "
                                               "one answer")
        if order[member] < last:
            raise InputError(f"{path}.member", "consents must be sorted by member, in panel "
                                               "order")
        last = order[member]
        position = _choice(answer["position"], f"{path}.position", CONSENT_POSITIONS)
        app_id = answer["application"]
        if position == "consent":
            _null(app_id, f"{path}.application", "when the member consents")
            n_consents += 1
        else:
            if not isinstance(app_id, str) or app_id not in funded:
                raise InputError(f"{path}.application", f"an objection names one funded "
                                                        f"application; {app_id!r} is not funded")
            objections.append({"member": member, "application": app_id})
    if stage["rule"] == "no-objection":
        passed = not objections
    else:
        votes = ["yes"] * n_consents + ["no"] * len(objections)
        passed = supermajority(votes, Fraction(stage["threshold"])).passed
    return {"rule": stage["rule"], "threshold": stage["threshold"], "consents": n_consents,
            "objections": objections, "passed": passed}


def _alternatives(rnd: _Round) -> list[tuple[str, list[dict[str, Any]]]]:
    """Rule 9: (change, chain) for every alternative, in the documented order."""
    stages = [dict(s) for s in rnd.stages]
    out: list[tuple[str, list[dict[str, Any]]]] = []
    scores = stages[0]
    for aggregation in AGGREGATIONS_3:
        if aggregation == scores["aggregation"]:
            continue
        trim = "0.00"
        if aggregation == "trimmed-mean":
            trim = scores["trim"] if scores["trim"] != "0.00" else SENSITIVITY_TRIM
        chain = [dict(s) for s in stages]
        chain[0] = {**scores, "aggregation": aggregation, "trim": trim}
        out.append((f"aggregation={aggregation}", chain))
    ranked_at = next((i for i, s in enumerate(stages) if s["kind"] == "ranked"), None)
    if ranked_at is not None and stages[ranked_at]["method"] in _RANKED_BALLOT_METHODS:
        ranked = stages[ranked_at]
        for method in _RANKED_BALLOT_METHODS:
            if method == ranked["method"] or (method == "stv" and ranked["seats"] is None):
                continue
            chain = [dict(s) for s in stages]
            chain[ranked_at] = {**ranked, "method": method}
            out.append((f"method={method}", chain))
    funding_at = next(i for i, s in enumerate(stages) if s["kind"] == "funding")
    funding = stages[funding_at]
    chain = [dict(s) for s in stages]
    if funding["rule"] == "in-order":
        approvals = ranked_at is not None and stages[ranked_at]["method"] == "approval"
        chain[funding_at] = {**funding, "rule": "equal-shares", "fit_rule": "skip",
                             "utilities": "approvals" if approvals else "scores",
                             "completion": "none", "lottery": False}
        out.append(("rule=equal-shares", chain))
    else:
        chain[funding_at] = {**funding, "rule": "in-order", "utilities": None,
                             "completion": None, "lottery": False}
        out.append(("rule=in-order", chain))
    return out


def _sensitivity(rnd: _Round, ballots: Sequence[_Ballot], funded: Sequence[str]
                 ) -> tuple[list[dict[str, Any]], list[str]]:
    rows: list[dict[str, Any]] = []
    outcomes = [set(funded)]
    for change, chain in _alternatives(rnd):
        try:
            alt = _run(rnd, chain, ballots).funding.funded
        except VotingError:  # an alternative that cannot run is left out
            continue
        outcomes.append(set(alt))
        rows.append({"change": change, "funded": alt, "same": set(alt) == set(funded)})
    depends = [a.id for a in rnd.inp.applications
               if any(a.id in o for o in outcomes) and not all(a.id in o for o in outcomes)]
    return rows, depends


def _maybe(value: Fraction | None) -> str | None:
    return None if value is None else decimal_string(value)


def decide_stages(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The ``outputs`` section of a schema-3 decision record, computed from its inputs.

    ``inputs`` has the keys of :data:`INPUT_KEYS` (a whole record may be passed: its
    record-only keys are ignored).  The rules are in the module docstring.  Raises
    :class:`InputError` naming the first field that breaks the schema.
    """
    rnd = _parse(inputs)
    ranked_stage = rnd.stage("ranked")
    consensus_stage = rnd.stage("consensus")
    scored = _score_stage(rnd, rnd.stages[0])
    shortlist = _shortlist(rnd, scored, ranked_stage) if ranked_stage else []
    ballots = _check_ballots(rnd, ranked_stage["method"] if ranked_stage else None, shortlist)
    run = _run(rnd, rnd.stages, ballots)
    funding = run.funding
    consent = _consent(rnd, rnd.stage("consent"), funding.funded)
    sensitivity, depends = _sensitivity(rnd, ballots, funding.funded)

    scored = run.scored
    rank = {a: i + 1 for i, a in enumerate(scored.ranked)}
    funded, skipped = set(funding.funded), set(funding.skipped)
    applications = []
    for app in rnd.inp.applications:
        s = rnd.stats[app.id]
        variance = s.variance
        if not app.eligible:
            status = INELIGIBLE
        elif app.id not in rank:
            status = UNDER_QUORUM
        elif app.id in funded:
            status = FUNDED
        else:
            status = SKIPPED if app.id in skipped else BELOW_LINE
        applications.append({
            "id": app.id,
            "n_scores": s.n,
            "n_conflicts": s.n_conflicts,
            "eligible": app.eligible,
            "quorum_met": s.n >= rnd.inp.quorum,
            "aggregate": _maybe(scored.aggregates[app.id]),
            "mean": _maybe(s.mean),
            "median": _maybe(s.median),
            "min": _maybe(min(s.totals)) if s.totals else None,
            "max": _maybe(max(s.totals)) if s.totals else None,
            "sd": None if variance is None else _sd_string(variance),
            "criteria": {key: _maybe(mean) for key, mean in s.criteria.items()},
            "rank": rank.get(app.id),
            "status": status,
        })
    from voting.record import _after_close  # record imports this module

    draws = list(scored.draws) + ([funding.draw] if funding.draw else [])
    ranked_out = None
    if ranked_stage is not None and run.count is not None and run.shortlist is not None:
        ranked_out = {"method": ranked_stage["method"], "seats": ranked_stage["seats"],
                      "shortlist": run.shortlist, "ballots": len(ballots),
                      "winners": run.count.winners, "order": run.count.order,
                      "rounds": run.count.rounds, "counts": run.count.counts}
    return {
        "applications": applications,
        "order": list(scored.ranked),
        "ties": scored.ties,
        "draws": draws,
        "funding": {
            "rule": rnd.stage("funding")["rule"],  # type: ignore[index]
            "funded": funding.funded,
            "skipped": funding.skipped,
            "stopped_at": funding.stopped_at,
            "spent": funding.spent,
            "remaining": funding.remaining,
            "line_after_rank": funding.line_after,
            "lottery": funding.lottery,
        },
        "after_close": _after_close(inputs),
        "stages": [s["kind"] for s in rnd.stages],
        "calibration": scored.calibration,
        "consensus": _consensus(rnd, consensus_stage) if consensus_stage else None,
        "ranked": ranked_out,
        "consent": consent,
        "sensitivity": sensitivity,
        "depends": depends,
    }


def shortlist_of(inputs: Mapping[str, Any]) -> list[str]:
    """The ranked stage's shortlist (rule 5), from the score stage alone; ``[]`` without a
    ranked stage.  ``ballots`` and ``consents`` may be missing or empty and are not read."""
    rnd = _parse(inputs, lenient=True)
    ranked = rnd.stage("ranked")
    if ranked is None:
        return []
    return _shortlist(rnd, _score_stage(rnd, rnd.stages[0]), ranked)


def flagged_of(inputs: Mapping[str, Any]) -> list[str]:
    """The applications the consensus stage flags (rule 4, stage-1 sheets only), in its
    order; ``[]`` without a consensus stage.  Ballots and consents are not read."""
    rnd = _parse(inputs, lenient=True)
    stage = rnd.stage("consensus")
    return list(_consensus(rnd, stage)["flagged"]) if stage else []


# --------------------------------------------------------------------------- describing


_SCORES_TEXT = {
    ("mean", "none"): N_("Each application's result is the average of the panel members' "
                         "total scores."),
    ("median", "none"): N_("Each application's result is the middle one of the panel members' "
                           "total scores."),
    ("trimmed-mean", "none"): N_(
        "Each application's result is the average of the panel members' total scores, "
        "leaving out the highest and lowest %(percent)s in every hundred."),
    ("mean", "zscore"): N_(
        "Each member's scores are first adjusted for how high or low that member scores "
        "overall; each application's result is the average of the adjusted totals."),
    ("median", "zscore"): N_(
        "Each member's scores are first adjusted for how high or low that member scores "
        "overall; each application's result is the middle one of the adjusted totals."),
    ("trimmed-mean", "zscore"): N_(
        "Each member's scores are first adjusted for how high or low that member scores "
        "overall; each application's result is the average of the adjusted totals, leaving "
        "out the highest and lowest %(percent)s in every hundred."),
    ("mean", "additive"): N_(
        "A model first takes out how harsh or generous each member is; each application's "
        "result is the average of the adjusted totals."),
    ("median", "additive"): N_(
        "A model first takes out how harsh or generous each member is; each application's "
        "result is the middle one of the adjusted totals."),
    ("trimmed-mean", "additive"): N_(
        "A model first takes out how harsh or generous each member is; each application's "
        "result is the average of the adjusted totals, leaving out the highest and lowest "
        "%(percent)s in every hundred."),
}
_CONSENSUS_TEXT = {
    ("sd", False): N_("Applications whose totals spread more than %(threshold)s (standard "
                      "deviation), or that a member strongly objects to, are flagged for "
                      "discussion."),
    ("iqr", False): N_("Applications whose middle half of totals spans more than %(threshold)s "
                       "points, or that a member strongly objects to, are flagged for "
                       "discussion."),
    ("range", False): N_("Applications whose highest and lowest totals are more than "
                         "%(threshold)s points apart, or that a member strongly objects to, "
                         "are flagged for discussion."),
    ("sd", True): N_("Applications whose totals spread more than %(threshold)s (standard "
                     "deviation), or that a member strongly objects to, are discussed and "
                     "scored again."),
    ("iqr", True): N_("Applications whose middle half of totals spans more than %(threshold)s "
                      "points, or that a member strongly objects to, are discussed and scored "
                      "again."),
    ("range", True): N_("Applications whose highest and lowest totals are more than "
                        "%(threshold)s points apart, or that a member strongly objects to, are "
                        "discussed and scored again."),
}
_RANKED_TEXT = {
    ("irv", "top", False): N_("The panel ranks the top %(size)s applications; instant-runoff "
                              "counts, one after another, pick %(seats)s of them."),
    ("irv", "top", True): N_("The panel ranks the top %(size)s applications; instant-runoff "
                             "counts, one after another, put them all in order."),
    ("irv", "above", False): N_("The panel ranks every application scoring at least "
                                "%(above)s; instant-runoff counts, one after another, pick "
                                "%(seats)s of them."),
    ("irv", "above", True): N_("The panel ranks every application scoring at least "
                               "%(above)s; instant-runoff counts, one after another, put them "
                               "all in order."),
    ("stv", "top", False): N_("The panel ranks the top %(size)s applications; the single "
                              "transferable vote picks %(seats)s of them."),
    ("stv", "above", False): N_("The panel ranks every application scoring at least "
                                "%(above)s; the single transferable vote picks %(seats)s of "
                                "them."),
    ("schulze", "top", False): N_("The panel ranks the top %(size)s applications; the Schulze "
                                  "method picks %(seats)s of them."),
    ("schulze", "top", True): N_("The panel ranks the top %(size)s applications; the Schulze "
                                 "method puts them all in order."),
    ("schulze", "above", False): N_("The panel ranks every application scoring at least "
                                    "%(above)s; the Schulze method picks %(seats)s of them."),
    ("schulze", "above", True): N_("The panel ranks every application scoring at least "
                                   "%(above)s; the Schulze method puts them all in order."),
    ("borda", "top", False): N_("The panel ranks the top %(size)s applications; a Borda count "
                                "picks %(seats)s of them."),
    ("borda", "top", True): N_("The panel ranks the top %(size)s applications; a Borda count "
                               "puts them all in order."),
    ("borda", "above", False): N_("The panel ranks every application scoring at least "
                                  "%(above)s; a Borda count picks %(seats)s of them."),
    ("borda", "above", True): N_("The panel ranks every application scoring at least "
                                 "%(above)s; a Borda count puts them all in order."),
    ("ranked-pairs", "top", False): N_("The panel ranks the top %(size)s applications; ranked "
                                       "pairs picks %(seats)s of them."),
    ("ranked-pairs", "top", True): N_("The panel ranks the top %(size)s applications; ranked "
                                      "pairs puts them all in order."),
    ("ranked-pairs", "above", False): N_("The panel ranks every application scoring at least "
                                         "%(above)s; ranked pairs picks %(seats)s of them."),
    ("ranked-pairs", "above", True): N_("The panel ranks every application scoring at least "
                                        "%(above)s; ranked pairs puts them all in order."),
    ("approval", "top", False): N_("Panel members tick the ones they support among the top "
                                   "%(size)s applications; the %(seats)s with most ticks "
                                   "win."),
    ("approval", "top", True): N_("Panel members tick the ones they support among the top "
                                  "%(size)s applications; they are put in order of ticks."),
    ("approval", "above", False): N_("Panel members tick the ones they support among every "
                                     "application scoring at least %(above)s; the %(seats)s "
                                     "with most ticks win."),
    ("approval", "above", True): N_("Panel members tick the ones they support among every "
                                    "application scoring at least %(above)s; they are put in "
                                    "order of ticks."),
}
_FUNDING_TEXT = {
    ("in-order", "skip", False): N_("Money goes down the final order; an application that "
                                    "does not fit the money left is passed over."),
    ("in-order", "stop", False): N_("Money goes down the final order and stops at the first "
                                    "application that does not fit."),
    ("in-order", "skip", True): N_("Money goes down the final order, passing over an "
                                   "application that does not fit; applications tied at the "
                                   "funding line are put in order by a published draw."),
    ("in-order", "stop", True): N_("Money goes down the final order and stops at the first "
                                   "application that does not fit; applications tied at the "
                                   "funding line are put in order by a published draw."),
    ("approvals", "none"): N_("The Method of Equal Shares gives each member an equal share of "
                              "the budget to spend on the applications they ticked."),
    ("approvals", "add1"): N_("The Method of Equal Shares gives each member an equal share of "
                              "the budget to spend on the applications they ticked, raising "
                              "the shares step by step so little money is left over."),
    ("scores", "none"): N_("The Method of Equal Shares gives each member an equal share of the "
                           "budget to spend on applications in proportion to their scores."),
    ("scores", "add1"): N_("The Method of Equal Shares gives each member an equal share of the "
                           "budget to spend on applications in proportion to their scores, "
                           "raising the shares step by step so little money is left over."),
}
_CONSENT_TEXT = {
    "no-objection": N_("The funded list stands if no panel member objects to it."),
    "supermajority": N_("The funded list stands if at least %(threshold)s of the panel "
                        "members who answer agree to it."),
}


def describe_stages(stages: object) -> list[tuple[str, dict[str, Any]]]:
    """One plain-English sentence per stage, as ``(message, params)``.

    ``message`` is marked for translation with :func:`N_` and holds ``%(name)s``
    placeholders; the caller translates it and fills it: ``gettext(message) % params``.
    The chain is checked first (:func:`check_stages`).

    >>> describe_stages(default_stages("mean", "skip"))[0][0][:40]
    "Each application's result is the average"
    """
    out: list[tuple[str, dict[str, Any]]] = []
    for stage in check_stages(stages):
        kind = stage["kind"]
        if kind == "scores":
            percent = int(Fraction(stage["trim"]) * 100)
            out.append((_SCORES_TEXT[stage["aggregation"], stage["calibration"]],
                        {"percent": percent}))
        elif kind == "consensus":
            out.append((_CONSENSUS_TEXT[stage["measure"], stage["rescore"]],
                        {"threshold": stage["threshold"]}))
        elif kind == "ranked":
            out.append((_RANKED_TEXT[stage["method"], stage["shortlist"], stage["seats"] is None],
                        {"size": stage["size"], "above": stage["above"],
                         "seats": stage["seats"]}))
        elif kind == "funding":
            key: tuple[Any, ...] = ((stage["rule"], stage["fit_rule"], stage["lottery"])
                                    if stage["rule"] == "in-order"
                                    else (stage["utilities"], stage["completion"]))
            out.append((_FUNDING_TEXT[key], {}))
        else:
            out.append((_CONSENT_TEXT[stage["rule"]], {"threshold": stage["threshold"]}))
    return out
