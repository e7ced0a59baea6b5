"""The panel decision: from a round's score sheets to its final order and funding line.

:func:`decide_round` implements the rules of the decision record, schema version 1
(``docs/record-format.md``).  It takes the record's input sections and returns its
``outputs`` section.  The same function builds a record (:func:`voting.record.build_record`)
and checks one (:func:`voting.record.verify_record`), so a recount anywhere gives identical
bytes.

Public API
----------
decide_round      the ``outputs`` section computed from the input sections
decimal_string    an exact value as a published statistic (2 dp, half-to-even)
InputError        the :class:`~voting.errors.VotingError` raised for invalid inputs; its
                  ``path`` names the offending field (``"sheets[3].scores.c9"``)

Rules (each is applied exactly as written here)
-----------------------------------------------
1. **Which sheets count.**  ``sheets`` holds submitted sheets only.  A sheet whose member has
   a conflict of interest on its application is set aside.  Of the remaining sheets for an
   application, if any is a stage-2 sheet then only its stage-2 sheets count (stage 2
   replaces stage 1); otherwise its stage-1 sheets count.  Both stages stay in the inputs.
2. **Sheet total.**  Each criterion has an integer weight ``w >= 1``; a score is an integer on
   the criterion's scale or ``null`` ("don't know"); a criterion key absent from ``scores``
   is treated as ``null``.  A missing score is missing, never zero: the total is rescaled to
   the full weight, ``total = (sum of w*s over scored criteria) * (sum of all w) / (sum of w
   over scored criteria)``, as an exact fraction.  A sheet with no scored criterion is not a
   score at all: it is left out of ``n_scores`` and every statistic.
3. **Statistics** (over the sheet totals of the counted sheets; all exact fractions):
   ``n_scores``; ``mean``; ``median`` (the mean of the two middle values when ``n`` is even);
   ``min``; ``max``; ``sd``, the sample standard deviation (divisor ``n - 1``; ``null`` when
   ``n < 2``); ``criteria``, the mean raw score per criterion over the counted sheets that
   scored it (``null`` when none did).  ``aggregate`` is the statistic named by
   ``rules.aggregation`` (``"mean"`` or ``"median"``).  Statistics are ``null`` when
   ``n_scores`` is 0.  ``n_conflicts`` counts the distinct panel members with a conflict on
   the application.
4. **Publication rounding.**  A statistic is published as a decimal string: the exact value
   rounded half-to-even to 2 decimal places (``2.125 -> "2.12"``, ``2.135 -> "2.14"``).  For
   ``sd`` the exact variance is divided out and square-rooted with :mod:`decimal` at 28
   significant digits (rounding half-to-even at each step), then rounded the same way.
   Rounding is for publication only: ordering and tie detection use exact values.
5. **Quorum.**  ``quorum_met = n_scores >= rules.quorum`` (``quorum >= 1``).  Only eligible
   applications that meet quorum are ranked; the others are flagged with status
   ``"ineligible"`` (takes precedence) or ``"under-quorum"`` and have ``rank`` ``null``.
6. **Order.**  Ranked applications are ordered by exact ``aggregate``, highest first.  Only
   within a group of equal aggregate does the tie-break chain ``rules.tie_break`` apply, key
   by key: ``higher_mean``, ``higher_median``, ``more_scores``, ``smaller_amount`` and finally
   ``draw`` (required as the last key, and only there).  A key that does not separate the
   group is passed over; the first key that does splits it into sub-groups in that key's
   order, and each sub-group of two or more continues with the keys after it.  ``draw``
   orders a group by :func:`voting.draws.draw_order` ``(seed, "tie-break", ids)`` with the ids
   sorted.  Each group so resolved is recorded in ``ties`` (its applications in their final
   order, and the key that separated it), parent groups before their sub-groups, groups in
   order of position; each draw is also recorded in ``draws``.
7. **Funding.**  :func:`voting.budget.fund_in_order` walks the order with ``round.budget`` and
   ``rules.fit_rule`` (``"skip"``: an application that does not fit is passed over and the walk
   goes on; ``"stop"``: funding ends at it).  Status: ``"funded"``, ``"skipped"`` or
   ``"below-line"`` (ranked, not reached or after the stop).  ``line_after_rank`` is the number
   of ranked applications examined before funding ended.

Inputs are validated strictly against schema version 1: every object must have exactly the
keys the schema lists (so nothing private can slip into a published record), and every value
its stated type and range.

>>> decimal_string(Fraction(17, 8))
'2.12'
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Any

from voting.budget import fund_in_order
from voting.draws import DRAW_PROCEDURE, check_seed, draw_order
from voting.errors import VotingError

__all__ = ["AGGREGATIONS", "CONFLICT_CATEGORIES", "FIT_RULES", "INPUT_KEYS", "INVOLVEMENT_LEVELS",
           "InputError", "SCHEMA_VERSION", "STATUSES", "TIE_BREAKS", "decide_round",
           "decimal_string"]

SCHEMA_VERSION = 1
INPUT_KEYS = ("schema_version", "round", "rules", "rubric", "applications", "panel", "sheets",
              "conflicts", "randomness")
AGGREGATIONS = ("mean", "median")
FIT_RULES = ("skip", "stop")
TIE_BREAKS = ("higher_mean", "higher_median", "more_scores", "smaller_amount", "draw")
INVOLVEMENT_LEVELS = ("co-production", "co-design", "engagement", "consultation")
CONFLICT_CATEGORIES = ("works-for", "trustee", "family", "close-friend", "beneficiary", "other")
#: An application's ``status`` in the outputs: funded, skipped (did not fit), below-line,
#: under-quorum (too few scores to rank) or ineligible.
STATUSES = ("funded", "skipped", "below-line", "under-quorum", "ineligible")
FUNDED, SKIPPED, BELOW_LINE, UNDER_QUORUM, INELIGIBLE = STATUSES
DRAW_PURPOSE = "tie-break"

_ROUND_KEYS = ("id", "name", "purpose", "currency", "budget", "involvement", "binding",
               "published_at")
_RULE_KEYS = ("method", "aggregation", "quorum", "fit_rule", "tie_break")
_CRITERION_KEYS = ("key", "name", "guidance", "weight", "scale_min", "scale_max", "descriptors")
_APPLICATION_KEYS = ("id", "title", "summary", "amount", "eligible", "eligibility_reason")
_SHEET_KEYS = ("member", "application", "stage", "scores")
_CONFLICT_KEYS = ("member", "application", "category")
_RANDOMNESS_KEYS = ("commitment", "seed", "procedure")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
_SD_CONTEXT = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)


class InputError(VotingError):
    """Invalid decision inputs.  ``path`` names the field, e.g. ``"sheets[3].scores.c9"``."""

    def __init__(self, path: str, requirement: str) -> None:
        super().__init__(f"{path}: {requirement}")
        self.path = path
        self.requirement = requirement


# --------------------------------------------------------------------------- validation


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(value: object, path: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(path, "must be a whole number (an integer, not text or a decimal)")
    if minimum is not None and value < minimum:
        raise InputError(path, f"must be at least {minimum}, not {value}")
    return value


def _str(value: object, path: str, *, nonempty: bool = False) -> str:
    if not isinstance(value, str):
        raise InputError(path, "must be text (a JSON string)")
    if nonempty and not value.strip():
        raise InputError(path, "must not be empty")
    return value


def _bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(path, "must be true or false")
    return value


def _list(value: object, path: str) -> Sequence[Any]:
    if not isinstance(value, (list, tuple)):
        raise InputError(path, "must be a list")
    return value


def _choice(value: object, path: str, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise InputError(path, f"must be one of {', '.join(map(repr, choices))}, not {value!r}")
    return value


def _object(value: object, path: str, keys: Sequence[str]) -> Mapping[str, Any]:
    """``value`` as a mapping with exactly ``keys`` (schema version 1 allows no others)."""
    if not isinstance(value, Mapping):
        raise InputError(path, "must be an object (a JSON mapping of names to values)")
    for key in keys:
        if key not in value:
            raise InputError(f"{path}.{key}", "is required but missing")
    for key in value:
        if key not in keys:
            raise InputError(f"{path}.{key}",
                             f"is not part of schema version {SCHEMA_VERSION} "
                             f"(allowed: {', '.join(keys)})")
    return value


@dataclass(frozen=True)
class _Criterion:
    key: str
    weight: int
    low: int
    high: int


@dataclass(frozen=True)
class _Application:
    id: str
    amount: int
    eligible: bool


@dataclass(frozen=True)
class _Sheet:
    member: str
    application: str
    stage: int
    scores: Mapping[str, int | None]


@dataclass(frozen=True)
class _Inputs:
    budget: int
    aggregation: str
    quorum: int
    fit_rule: str
    tie_break: tuple[str, ...]
    rubric: tuple[_Criterion, ...]
    applications: tuple[_Application, ...]
    sheets: tuple[_Sheet, ...]
    conflicts: frozenset[tuple[str, str]]
    seed: str

    @cached_property
    def sheets_by_application(self) -> dict[str, tuple[_Sheet, ...]]:
        """Each application's sheets, in input order (grouped once: linear in the sheets)."""
        grouped: dict[str, list[_Sheet]] = {}
        for sheet in self.sheets:
            grouped.setdefault(sheet.application, []).append(sheet)
        return {app_id: tuple(group) for app_id, group in grouped.items()}

    @cached_property
    def conflicted_members(self) -> dict[str, frozenset[str]]:
        """Each application's members with a conflict on it (grouped once)."""
        grouped: dict[str, set[str]] = {}
        for member, app_id in self.conflicts:
            grouped.setdefault(app_id, set()).add(member)
        return {app_id: frozenset(group) for app_id, group in grouped.items()}


def _check_round(value: object) -> int:
    rnd = _object(value, "round", _ROUND_KEYS)
    _int(rnd["id"], "round.id")
    _str(rnd["name"], "round.name", nonempty=True)
    _str(rnd["purpose"], "round.purpose")
    currency = _str(rnd["currency"], "round.currency")
    if not _CURRENCY_RE.match(currency):
        raise InputError("round.currency", "must be a three-letter ISO 4217 code such as 'GBP'")
    budget = _int(rnd["budget"], "round.budget", minimum=0)
    involvement = _choice(rnd["involvement"], "round.involvement", INVOLVEMENT_LEVELS)
    binding = _bool(rnd["binding"], "round.binding")
    if binding != (involvement == "co-production"):
        raise InputError("round.binding",
                         "must be true for a co-production round and false otherwise "
                         "(only co-production makes the panel's decision binding)")
    _str(rnd["published_at"], "round.published_at", nonempty=True)
    return budget


def _check_rules(value: object) -> tuple[str, int, str, tuple[str, ...]]:
    rules = _object(value, "rules", _RULE_KEYS)
    _choice(rules["method"], "rules.method", ("scores",))
    aggregation = _choice(rules["aggregation"], "rules.aggregation", AGGREGATIONS)
    quorum = _int(rules["quorum"], "rules.quorum", minimum=1)
    fit_rule = _choice(rules["fit_rule"], "rules.fit_rule", FIT_RULES)
    chain = _list(rules["tie_break"], "rules.tie_break")
    for i, key in enumerate(chain):
        _choice(key, f"rules.tie_break[{i}]", TIE_BREAKS)
    if len(set(chain)) != len(chain):
        raise InputError("rules.tie_break", "must not name the same tie-break key twice")
    if not chain or chain[-1] != "draw":
        raise InputError("rules.tie_break",
                         "must end with 'draw' (the published-seed draw is always the final "
                         "tie-break, so every tie is resolved)")
    return aggregation, quorum, fit_rule, tuple(chain)


def _check_rubric(value: object) -> tuple[_Criterion, ...]:
    items = _list(value, "rubric")
    if not items:
        raise InputError("rubric", "must have at least one criterion")
    criteria: list[_Criterion] = []
    for i, item in enumerate(items):
        path = f"rubric[{i}]"
        crit = _object(item, path, _CRITERION_KEYS)
        key = _str(crit["key"], f"{path}.key", nonempty=True)
        if any(c.key == key for c in criteria):
            raise InputError(f"{path}.key", f"criterion key {key!r} is used twice")
        _str(crit["name"], f"{path}.name", nonempty=True)
        _str(crit["guidance"], f"{path}.guidance")
        weight = _int(crit["weight"], f"{path}.weight", minimum=1)
        low = _int(crit["scale_min"], f"{path}.scale_min")
        high = _int(crit["scale_max"], f"{path}.scale_max", minimum=low)
        descriptors = _list(crit["descriptors"], f"{path}.descriptors")
        if len(descriptors) != high - low + 1:
            raise InputError(f"{path}.descriptors",
                             f"must have one descriptor per scale point ({high - low + 1} for "
                             f"{low}..{high}), not {len(descriptors)}")
        for j, text in enumerate(descriptors):
            _str(text, f"{path}.descriptors[{j}]", nonempty=True)
        criteria.append(_Criterion(key, weight, low, high))
    return tuple(criteria)


def _check_applications(value: object) -> tuple[_Application, ...]:
    apps: list[_Application] = []
    seen: set[str] = set()
    for i, item in enumerate(_list(value, "applications")):
        path = f"applications[{i}]"
        app = _object(item, path, _APPLICATION_KEYS)
        app_id = _str(app["id"], f"{path}.id", nonempty=True)
        if app_id in seen:
            raise InputError(f"{path}.id", f"application id {app_id!r} is used twice")
        seen.add(app_id)
        _str(app["title"], f"{path}.title", nonempty=True)
        _str(app["summary"], f"{path}.summary")
        amount = _int(app["amount"], f"{path}.amount", minimum=0)
        eligible = _bool(app["eligible"], f"{path}.eligible")
        _str(app["eligibility_reason"], f"{path}.eligibility_reason")
        apps.append(_Application(app_id, amount, eligible))
    return tuple(apps)


def _check_panel(value: object) -> frozenset[str]:
    members = _list(value, "panel")
    for i, member in enumerate(members):
        _str(member, f"panel[{i}]", nonempty=True)
    if len(set(members)) != len(members):
        raise InputError("panel", "pseudonyms must be unique within a round")
    return frozenset(members)


def _check_sheets(value: object, rubric: Sequence[_Criterion], app_ids: frozenset[str],
                  members: frozenset[str]) -> tuple[_Sheet, ...]:
    by_key = {c.key: c for c in rubric}
    sheets: list[_Sheet] = []
    seen: set[tuple[str, str, int]] = set()
    for i, item in enumerate(_list(value, "sheets")):
        path = f"sheets[{i}]"
        sheet = _object(item, path, _SHEET_KEYS)
        member = _str(sheet["member"], f"{path}.member")
        if member not in members:
            raise InputError(f"{path}.member", f"{member!r} is not in the panel")
        app_id = _str(sheet["application"], f"{path}.application")
        if app_id not in app_ids:
            raise InputError(f"{path}.application", f"{app_id!r} is not an application")
        stage = sheet["stage"]
        if not _is_int(stage) or stage not in (1, 2):
            raise InputError(f"{path}.stage", f"must be 1 or 2, not {stage!r}")
        if (member, app_id, stage) in seen:
            raise InputError(path, f"a second stage-{stage} sheet by {member!r} for {app_id!r}; "
                                   "each member submits at most one sheet per application "
                                   "and stage")
        seen.add((member, app_id, stage))
        raw = sheet["scores"]
        if not isinstance(raw, Mapping):
            raise InputError(f"{path}.scores", "must be an object of criterion key -> score")
        scores: dict[str, int | None] = {}
        for key, score in raw.items():
            crit = by_key.get(key)
            if crit is None:
                raise InputError(f"{path}.scores.{key}",
                                 f"unknown criterion key (the rubric has: "
                                 f"{', '.join(by_key)})")
            if score is not None and not (_is_int(score) and crit.low <= score <= crit.high):
                raise InputError(f"{path}.scores.{key}",
                                 f"must be a whole number from {crit.low} to {crit.high} "
                                 f"or null for \"don't know\", not {score!r}")
            scores[key] = score
        sheets.append(_Sheet(member, app_id, stage, scores))
    return tuple(sheets)


def _check_conflicts(value: object, app_ids: frozenset[str],
                     members: frozenset[str]) -> frozenset[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for i, item in enumerate(_list(value, "conflicts")):
        path = f"conflicts[{i}]"
        conflict = _object(item, path, _CONFLICT_KEYS)
        member = _str(conflict["member"], f"{path}.member")
        if member not in members:
            raise InputError(f"{path}.member", f"{member!r} is not in the panel")
        app_id = _str(conflict["application"], f"{path}.application")
        if app_id not in app_ids:
            raise InputError(f"{path}.application", f"{app_id!r} is not an application")
        _choice(conflict["category"], f"{path}.category", CONFLICT_CATEGORIES)
        pairs.add((member, app_id))
    return frozenset(pairs)


def _check_randomness(value: object) -> str:
    rnd = _object(value, "randomness", _RANDOMNESS_KEYS)
    seed = _str(rnd["seed"], "randomness.seed")
    try:
        check_seed(seed)
    except VotingError as e:
        raise InputError("randomness.seed", str(e)) from None
    _str(rnd["commitment"], "randomness.commitment", nonempty=True)
    if rnd["procedure"] != DRAW_PROCEDURE:
        raise InputError("randomness.procedure",
                         "must be voting.draws.DRAW_PROCEDURE, the draw procedure this "
                         "version of the engine implements")
    return seed


def _check_inputs(inputs: Mapping[str, Any]) -> _Inputs:
    if not isinstance(inputs, Mapping):
        raise InputError("record", "the inputs must be an object (a JSON mapping)")
    for key in INPUT_KEYS:
        if key not in inputs:
            raise InputError(key, "is required but missing")
    version = inputs["schema_version"]
    if not _is_int(version) or version != SCHEMA_VERSION:
        raise InputError("schema_version",
                         f"must be {SCHEMA_VERSION} (this engine implements schema version "
                         f"{SCHEMA_VERSION}), not {version!r}")
    budget = _check_round(inputs["round"])
    aggregation, quorum, fit_rule, chain = _check_rules(inputs["rules"])
    rubric = _check_rubric(inputs["rubric"])
    applications = _check_applications(inputs["applications"])
    members = _check_panel(inputs["panel"])
    app_ids = frozenset(a.id for a in applications)
    sheets = _check_sheets(inputs["sheets"], rubric, app_ids, members)
    conflicts = _check_conflicts(inputs["conflicts"], app_ids, members)
    seed = _check_randomness(inputs["randomness"])
    return _Inputs(budget, aggregation, quorum, fit_rule, chain, rubric, applications, sheets,
                   conflicts, seed)


# --------------------------------------------------------------------------- arithmetic


def decimal_string(value: Fraction) -> str:
    """``value`` rounded half-to-even to 2 decimal places, as a decimal string.

    >>> decimal_string(Fraction(2125, 1000)), decimal_string(Fraction(2135, 1000))
    ('2.12', '2.14')
    >>> decimal_string(Fraction(-1, 3))
    '-0.33'
    """
    hundredths = round(Fraction(value) * 100)  # Fraction.__round__ rounds half to even
    sign = "-" if hundredths < 0 else ""
    whole, part = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{part:02d}"


def _sd_string(variance: Fraction) -> str:
    """The square root of an exact variance, via ``decimal`` at 28 significant digits."""
    root = _SD_CONTEXT.divide(decimal.Decimal(variance.numerator),
                              decimal.Decimal(variance.denominator)).sqrt(_SD_CONTEXT)
    return str(root.quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_EVEN,
                             context=_SD_CONTEXT))


def _sheet_total(scores: Mapping[str, int | None],
                 rubric: Sequence[_Criterion]) -> Fraction | None:
    scored = [(c.weight, scores[c.key]) for c in rubric if scores.get(c.key) is not None]
    if not scored:
        return None
    scored_weight = sum(w for w, _ in scored)
    full_weight = sum(c.weight for c in rubric)
    return Fraction(sum(w * s for w, s in scored if s is not None) * full_weight, scored_weight)


def _median(values: Sequence[Fraction]) -> Fraction:
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


@dataclass(frozen=True)
class _Stats:
    n: int
    n_conflicts: int
    totals: tuple[Fraction, ...]
    criteria: dict[str, Fraction | None]

    @property
    def mean(self) -> Fraction | None:
        return sum(self.totals, Fraction(0)) / self.n if self.n else None

    @property
    def median(self) -> Fraction | None:
        return _median(self.totals) if self.n else None

    @property
    def variance(self) -> Fraction | None:
        mean = self.mean
        if self.n < 2 or mean is None:
            return None
        return sum(((t - mean) ** 2 for t in self.totals), Fraction(0)) / (self.n - 1)


def _statistics(app: _Application, inp: _Inputs) -> _Stats:
    conflicted = inp.conflicted_members.get(app.id, frozenset())
    own = [s for s in inp.sheets_by_application.get(app.id, ()) if s.member not in conflicted]
    stage = 2 if any(s.stage == 2 for s in own) else 1
    counted: list[_Sheet] = []
    totals: list[Fraction] = []
    for sheet in own:
        if sheet.stage == stage and (total := _sheet_total(sheet.scores, inp.rubric)) is not None:
            counted.append(sheet)
            totals.append(total)
    criteria: dict[str, Fraction | None] = {}
    for crit in inp.rubric:
        raw = [v for s in counted if (v := s.scores.get(crit.key)) is not None]
        criteria[crit.key] = Fraction(sum(raw), len(raw)) if raw else None
    return _Stats(len(totals), len(conflicted), tuple(totals), criteria)


def _maybe(value: Fraction | None) -> str | None:
    return None if value is None else decimal_string(value)


# --------------------------------------------------------------------------- ordering


def _tie_values(stats: Mapping[str, _Stats], apps: Mapping[str, _Application]
                ) -> dict[str, Callable[[str], Fraction | int]]:
    """For each tie-break key but ``draw``: id -> sort key, smallest first."""

    def neg(value: Fraction | None) -> Fraction:
        if value is None:  # not reachable for ranked applications (quorum >= 1)
            raise VotingError("a ranked application has no scores")
        return -value

    return {
        "higher_mean": lambda i: neg(stats[i].mean),
        "higher_median": lambda i: neg(stats[i].median),
        "more_scores": lambda i: -stats[i].n,
        "smaller_amount": lambda i: apps[i].amount,
    }


def _resolve(group: list[str], chain: Sequence[str], seed: str,
             values: Mapping[str, Callable[[str], Fraction | int]],
             ties: list[dict[str, Any]], draws: list[dict[str, Any]]) -> list[str]:
    """Order a group of equal aggregate by the tie-break chain; record ties and draws."""
    for pos, key in enumerate(chain):
        entry: dict[str, Any] = {"applications": [], "resolved_by": key}
        if key == "draw":
            labels = sorted(group)
            drawn = draw_order(seed, DRAW_PURPOSE, labels)
            ties.append(entry)
            draws.append({"purpose": DRAW_PURPOSE, "applications": labels,
                          "order": list(drawn)})
            entry["applications"] = list(drawn)  # no shared lists inside the outputs
            return drawn
        value_of = {i: values[key](i) for i in group}
        distinct = sorted(set(value_of.values()))
        if len(distinct) == 1:
            continue
        ties.append(entry)
        ordered: list[str] = []
        for v in distinct:
            sub = sorted(i for i in group if value_of[i] == v)
            ordered += _resolve(sub, chain[pos + 1:], seed, values, ties, draws) \
                if len(sub) > 1 else sub
        entry["applications"] = list(ordered)
        return ordered
    raise VotingError("rules.tie_break must end with 'draw'")  # validated earlier


# --------------------------------------------------------------------------- the decision


def decide_round(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The ``outputs`` section of a decision record, computed from its input sections.

    ``inputs`` is a mapping with the keys of :data:`INPUT_KEYS` as described in
    ``docs/record-format.md``; other keys (``outputs``, ``decision``, ``digest``, ...) are
    ignored, so a whole record can be passed.  The rules are in the module docstring.  Raises
    :class:`InputError` (a :class:`~voting.errors.VotingError`) naming the first field that
    breaks the schema.

    Returns ``{"applications": [...], "order": [...], "ties": [...], "draws": [...],
    "funding": {...}}`` with applications in the order of ``inputs["applications"]``.
    """
    inp = _check_inputs(inputs)
    apps = {a.id: a for a in inp.applications}
    stats = {a.id: _statistics(a, inp) for a in inp.applications}

    def aggregate(app_id: str) -> Fraction | None:
        s = stats[app_id]
        return s.mean if inp.aggregation == "mean" else s.median

    ranked = [a.id for a in inp.applications if a.eligible and stats[a.id].n >= inp.quorum]
    values = _tie_values(stats, apps)
    ties: list[dict[str, Any]] = []
    draws: list[dict[str, Any]] = []
    order: list[str] = []
    by_aggregate: dict[Fraction, list[str]] = {}
    for app_id in ranked:
        agg = aggregate(app_id)
        if agg is None:  # not reachable: quorum >= 1
            raise VotingError(f"{app_id} is ranked without a score")
        by_aggregate.setdefault(agg, []).append(app_id)
    for agg in sorted(by_aggregate, reverse=True):
        group = sorted(by_aggregate[agg])
        order += _resolve(group, inp.tie_break, inp.seed, values, ties, draws) \
            if len(group) > 1 else group

    index = {a.id: i for i, a in enumerate(inp.applications)}
    funding = fund_in_order([index[i] for i in order], [a.amount for a in inp.applications],
                            inp.budget, rule=inp.fit_rule)
    funded = [inp.applications[i].id for i in funding.selected]
    skipped = [inp.applications[i].id for i in funding.skipped]
    funded_set, skipped_set = frozenset(funded), frozenset(skipped)
    rank = {app_id: pos + 1 for pos, app_id in enumerate(order)}

    def status(app: _Application) -> str:
        if not app.eligible:
            return INELIGIBLE
        if app.id not in rank:
            return UNDER_QUORUM
        if app.id in funded_set:
            return FUNDED
        return SKIPPED if app.id in skipped_set else BELOW_LINE

    results = []
    for app in inp.applications:
        s = stats[app.id]
        variance = s.variance
        results.append({
            "id": app.id,
            "n_scores": s.n,
            "n_conflicts": s.n_conflicts,
            "eligible": app.eligible,
            "quorum_met": s.n >= inp.quorum,
            "aggregate": _maybe(aggregate(app.id)),
            "mean": _maybe(s.mean),
            "median": _maybe(s.median),
            "min": _maybe(min(s.totals)) if s.totals else None,
            "max": _maybe(max(s.totals)) if s.totals else None,
            "sd": None if variance is None else _sd_string(variance),
            "criteria": {key: _maybe(mean) for key, mean in s.criteria.items()},
            "rank": rank.get(app.id),
            "status": status(app),
        })
    return {
        "applications": results,
        "order": order,
        "ties": ties,
        "draws": draws,
        "funding": {
            "funded": funded,
            "skipped": skipped,
            "stopped_at": (None if funding.stopped_at is None
                           else inp.applications[funding.stopped_at].id),
            "spent": funding.spent,
            "remaining": funding.remaining,
            "line_after_rank": funding.line_after,
        },
    }
