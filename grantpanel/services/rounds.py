"""Setting up a round: money parsing, round settings, the rubric, and lifecycle steps.

Rules are declared in advance: a round's settings and rubric can change only while it is a
draft. Every change is written to the audit log. Services change objects and return; the view
that owns the request commits once.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, select

import voting
from grantpanel import lifecycle
from grantpanel.extensions import db
from grantpanel.i18n import _, _l, ngettext
from grantpanel.models import Criterion, Round, User
from grantpanel.services import assignment, audit, content, counting, stages, transitions
from grantpanel.textcheck import text_problem
from grantpanel.vocabulary import (
    Aggregation,
    FitRule,
    Involvement,
    RoundState,
    TieBreak,
    Vocabulary,
)

CURRENCIES: list[tuple[str, str]] = [
    ("GBP", _l("Pounds sterling (GBP, £)")),
    ("EUR", _l("Euros (EUR, €)")),
    ("USD", _l("US dollars (USD, $)")),
]
# The word for a currency's major unit, as money messages say it ("a number of pounds").
CURRENCY_UNITS = {"GBP": _l("pounds"), "EUR": _l("euros"), "USD": _l("dollars")}


# The key sets and their words live in grantpanel.vocabulary; these names are kept for the
# templates and forms that read them.
Choice = Vocabulary
INVOLVEMENT_LEVELS: list[Involvement] = list(Involvement)
BINDING_LEVELS = tuple(k for k in Involvement if k.binding)
AGGREGATIONS: list[Aggregation] = list(Aggregation)
FIT_RULES: list[FitRule] = list(FitRule)
TIE_BREAKS: list[TieBreak] = list(TieBreak.chosen())
TIE_BREAK_KEYS: tuple[str, ...] = tuple(TieBreak.chosen())
DRAW_EXPLANATION = TieBreak.DRAW.explanation_text

WEIGHT_RANGE = (1, 10)
MAX_SCALE_POINTS = 11
SCALE_RANGE = (-100, 100)  # the lowest and highest point any scale may use
QUORUM_RANGE = (1, 1_000)
MAX_MONEY_MINOR = 100_000_000_000  # one billion in major units: a typo guard
# Text limits: String columns as in grantpanel/models.py; Text columns a sensible length.
NAME_MAX_LENGTH = 200  # Round.name, Criterion.name
PURPOSE_MAX_LENGTH = 5_000  # Round.purpose (Text)
GUIDANCE_MAX_LENGTH = 2_000  # Criterion.guidance (Text)
DESCRIPTORS_MAX_LENGTH = 5_000  # the "what each point means" box, all lines together
DESCRIPTOR_MAX_LENGTH = 500  # one point's descriptor
MONEY_MAX_LENGTH = 30  # typed text of an amount of money

EDITABLE_STATES = lifecycle.states_where(editable=True)  # rules and rubric may change


class RoundError(ValueError):
    """A plain-English reason a round change could not be made."""


class MoneyError(ValueError):
    """Why a typed amount of money could not be read. The message has no subject."""


# --- money -----------------------------------------------------------------------------------

# ASCII digits only: ``\d`` would also take Arabic-Indic and other digits.
_MONEY_RE = re.compile(
    r"^(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<frac>[0-9]*))?$", re.ASCII
)


def parse_money(text: str | None, *, unit: str = "pounds") -> int:
    """Read an amount typed in major units (``"5,000"``, ``"5000.50"``) as integer minor units.

    Digits are ASCII 0-9; the amount is more than 0 and at most :data:`MAX_MONEY_MINOR`
    (one billion pounds, euros or dollars), so it always fits the BigInteger column.
    Raises :class:`MoneyError` whose message continues a sentence naming the amount, e.g.
    ``"'lots' is not a number of pounds, like 1500 or 1500.00"``.

    >>> parse_money("5,000.5")
    500050
    """
    raw = (text or "").strip()
    if not raw:
        return _money_fail(
            _("is empty: enter a number of %(unit)s, like 1500 or 1500.00", unit=unit)
        )
    if len(raw) > MONEY_MAX_LENGTH:
        return _money_fail(
            _(
                "is too long to be an amount: enter a number of %(unit)s, like 1500 or 1500.00",
                unit=unit,
            )
        )
    body = raw.replace(" ", "")
    if body[:1] in "£€$":
        body = body[1:]
    if body.startswith("-"):
        return _money_fail(
            _(
                "'%(raw)s' is less than zero: enter a number of %(unit)s, like 1500 or 1500.00",
                raw=raw,
                unit=unit,
            )
        )
    match = _MONEY_RE.match(body)
    if match is None:
        if re.fullmatch(r"[0-9,]+(\.[0-9]*)?", body):
            return _money_fail(
                _(
                    "'%(raw)s' has commas in the wrong place: use them only to separate "
                    "thousands, like 1,500,000, or leave them out",
                    raw=raw,
                )
            )
        if re.fullmatch(r"[0-9]+\.[0-9]*\.[0-9.]*", body):
            return _money_fail(
                _("'%(raw)s' has more than one decimal point: like 1500 or 1500.00", raw=raw)
            )
        return _money_fail(
            _("'%(raw)s' is not a number of %(unit)s, like 1500 or 1500.00", raw=raw, unit=unit)
        )
    frac = match.group("frac") or ""
    if len(frac) > 2:
        return _money_fail(
            _(
                "'%(raw)s' has more than two figures after the decimal point: give pence (or "
                "cents) as two figures, like 1500.50",
                raw=raw,
            )
        )
    minor = int(match.group("whole").replace(",", "")) * 100 + int(frac.ljust(2, "0") or "0")
    if minor == 0:
        return _money_fail(_("'%(raw)s' is zero: enter an amount more than 0", raw=raw))
    if minor > MAX_MONEY_MINOR:
        return _money_fail(_("'%(raw)s' is too large: check the number of zeros", raw=raw))
    return minor


def _money_fail(message: str) -> int:
    raise MoneyError(message)


def format_major(minor: int) -> str:
    """Minor units as text a person would type back: ``500050 -> '5000.50'``, ``500000 -> '5000'``."""
    whole, part = divmod(int(minor), 100)
    return f"{whole}" if part == 0 else f"{whole}.{part:02d}"


# --- queries ---------------------------------------------------------------------------------


def all_rounds() -> Select[tuple[Round]]:
    """Every round, newest first."""
    return select(Round).order_by(Round.created_at.desc(), Round.id.desc())


def get_round_or_none(round_id: int) -> Round | None:
    return db.session.get(Round, round_id)


# --- round settings --------------------------------------------------------------------------

SETTING_FIELDS = (
    "name",
    "purpose",
    "budget",
    "currency",
    "involvement",
    "aggregation",
    "quorum",
    "fit_rule",
    "tie_break",
    "opens_on",
    "closes_on",
    "decision_on",
    "reveal_scores_after_close",
)


def _stored_chain(chain: Any) -> list[str]:
    """Stored as declared: the chosen tie-breaks, then ``"draw"`` (always last)."""
    return [*[str(k) for k in chain or [] if k != TieBreak.DRAW], TieBreak.DRAW.value]


def tie_break_problem(chain: list[str]) -> str | None:
    """Why a tie-break chain is not acceptable, or None. ``draw`` is added later, always last."""
    unknown = [k for k in chain if k not in TIE_BREAK_KEYS]
    if unknown:
        return _("'%(key)s' is not a tie-break we know. Choose from the list.", key=unknown[0])
    if len(set(chain)) != len(chain):
        return _("Each tie-break can be used only once. Choose a different one, or 'None'.")
    return None


def schedule_problems(
    opens_on: dt.date | None, closes_on: dt.date | None, decision_on: dt.date | None
) -> dict[str, str]:
    """Field name -> plain reason, for a schedule whose dates are out of order."""
    out: dict[str, str] = {}
    if opens_on and closes_on and closes_on <= opens_on:
        out["closes_on"] = _(
            "The closing date must be after the opening date. Choose a later date."
        )
    if closes_on and decision_on and decision_on < closes_on:
        out["decision_on"] = _(
            "The decision date must be on or after the closing date. Choose a later date."
        )
    return out


def quorum_problem(quorum: Any) -> str | None:
    """Why ``quorum`` is not a usable quorum (a whole number in :data:`QUORUM_RANGE`), or None."""
    lo, hi = QUORUM_RANGE
    if not isinstance(quorum, int) or isinstance(quorum, bool) or not lo <= quorum <= hi:
        return _(
            "The quorum must be a whole number from %(low)s to %(high)s.",
            low=lo,
            high=f"{hi:,}",
        )
    return None


#: A round's fields staff may also give in Welsh (both optional; the English is required).
WELSH_FIELDS = ("name", "purpose")


def welsh_round_problems(welsh: Mapping[str, Any]) -> list[str]:
    """Why the Welsh name or purpose cannot be saved: the English limits apply."""
    problems = []
    for key, label, limit in (
        ("name", _("The name in Welsh"), NAME_MAX_LENGTH),
        ("purpose", _("What the round is for, in Welsh"), PURPOSE_MAX_LENGTH),
    ):
        problem = text_problem(str(welsh.get(key) or ""), max_length=limit, label=label)
        if problem:
            problems.append(problem)
    return problems


def _welsh(obj: object, fields: Sequence[str], typed: Mapping[str, Any] | None) -> dict[str, Any]:
    """The Welsh values to keep: those stored on ``obj``, replaced by any ``typed``."""
    stored = {k: content.stored(obj, content.WELSH, k) for k in fields}
    return {**stored, **{k: v for k, v in (typed or {}).items() if k in fields}}


def _check_settings(values: dict[str, Any], welsh: Mapping[str, Any] | None = None) -> None:
    problems: list[str] = []
    if not str(values.get("name", "")).strip():
        problems.append(_("Enter a name for the round."))
    for key, label, limit in (("name", _("The name"), NAME_MAX_LENGTH),
                              ("purpose", _("What the round is for"), PURPOSE_MAX_LENGTH)):
        problem = text_problem(str(values.get(key) or ""), max_length=limit, label=label)
        if problem:
            problems.append(problem)
    problems.extend(welsh_round_problems(welsh or {}))
    budget = values.get("budget")
    if not isinstance(budget, int) or budget <= 0:
        problems.append(_("Enter a budget more than 0."))
    elif budget > MAX_MONEY_MINOR:
        problems.append(_("The budget is too large: check the number of zeros."))
    if values.get("currency") not in CURRENCY_UNITS:
        problems.append(_("Choose a currency: GBP, EUR or USD."))
    if Involvement.get(values.get("involvement")) is None:
        problems.append(_("Choose an involvement level."))
    if Aggregation.get(values.get("aggregation")) is None:
        problems.append(_("Choose how the scores are combined."))
    problem = quorum_problem(values.get("quorum"))
    if problem:
        problems.append(problem)
    if FitRule.get(values.get("fit_rule")) is None:
        problems.append(
            _("Choose what happens when an application does not fit the money left.")
        )
    tb = tie_break_problem([k for k in values.get("tie_break") or [] if k != TieBreak.DRAW])
    if tb:
        problems.append(tb)
    problems.extend(
        schedule_problems(values.get("opens_on"), values.get("closes_on"), values.get("decision_on"))
        .values()
    )
    if problems:
        raise RoundError(" ".join(problems))


def create_round(actor: User, *, welsh: Mapping[str, str] | None = None, **values: Any) -> Round:
    """Create a draft round from settings (see ``SETTING_FIELDS``); ``welsh`` gives the
    optional Welsh name and purpose (see :data:`WELSH_FIELDS`)."""
    values = {k: values[k] for k in SETTING_FIELDS if k in values}
    values["tie_break"] = _stored_chain(values.get("tie_break"))
    welsh = {k: v for k, v in (welsh or {}).items() if k in WELSH_FIELDS}
    _check_settings(values, welsh)
    values["name"] = values["name"].strip()
    values["purpose"] = str(values.get("purpose") or "").strip()
    rnd = Round(state=RoundState.DRAFT,
                translations=content.with_language(None, content.WELSH, welsh), **values)
    db.session.add(rnd)
    db.session.flush()
    audit.record("round.created", actor=actor, round_id=rnd.id, name=rnd.name)
    return rnd


def _require_draft(rnd: Round, what: str) -> None:
    """Refuse a change to ``what`` (``"rules"`` or ``"rubric"``) once scoring has opened."""
    if not rnd.lifecycle.editable:
        if what == "rubric":
            message = _(
                "You cannot change the rubric now: scoring has opened, and the rules were "
                "declared in advance. They stay as they are for this round."
            )
        else:
            message = _(
                "You cannot change the round's rules now: scoring has opened, and the rules "
                "were declared in advance. They stay as they are for this round."
            )
        raise RoundError(message)


def update_round(
    rnd: Round, actor: User, *, welsh: Mapping[str, str] | None = None, **values: Any
) -> list[str]:
    """Change a draft round's settings; returns the names of the settings that changed
    (``translations`` when the Welsh changed). ``welsh`` replaces the Welsh name and purpose
    it names (an empty value removes one); without it the Welsh stays as it is."""
    _require_draft(rnd, "rules")
    new = {k: getattr(rnd, k) for k in SETTING_FIELDS}
    new.update({k: values[k] for k in SETTING_FIELDS if k in values})
    new["tie_break"] = _stored_chain(new.get("tie_break"))
    new_welsh = _welsh(rnd, WELSH_FIELDS, welsh)
    _check_settings(new, new_welsh)
    problem = assignment.quorum_problem(rnd, new["quorum"])  # the quorum is at most k
    if problem:
        raise RoundError(problem)
    new["name"] = new["name"].strip()
    new["purpose"] = str(new.get("purpose") or "").strip()
    new["translations"] = content.with_language(rnd.translations, content.WELSH, new_welsh)
    changed = [k for k in (*SETTING_FIELDS, "translations") if getattr(rnd, k) != new[k]]
    for k in changed:
        setattr(rnd, k, new[k])
    if "aggregation" in changed or "fit_rule" in changed:
        stages.follow_settings(rnd)  # a declared chain says the same
    if changed:
        audit.record("round.updated", actor=actor, round_id=rnd.id, changed=changed)
    return changed


def tie_break_chain(rnd: Round) -> list[str]:
    """The declared chain as it will be used: the round's choices, then the draw."""
    return [*[k for k in rnd.tie_break or [] if k in TIE_BREAK_KEYS], TieBreak.DRAW.value]


def choice_label(choices: Sequence[Vocabulary], key: str) -> str:
    for c in choices:
        if c.key == key:
            return c.label
    return key


# --- the rubric ------------------------------------------------------------------------------

_PREFIX_RE = re.compile(r"^\s*(-?[0-9]{1,4})\s*[:.)\-–]\s*")  # ASCII, short: int() is safe


def split_descriptors(text: str, scale_min: int) -> list[str]:
    """One descriptor per non-empty line; a leading "3:" matching the point is dropped."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    out = []
    for i, line in enumerate(lines):
        m = _PREFIX_RE.match(line)
        if m and int(m.group(1)) == scale_min + i and line[m.end():].strip():
            line = line[m.end():].strip()
        out.append(line)
    return out


def scale_problem(scale_min: int, scale_max: int) -> str | None:
    """Why a scale from ``scale_min`` to ``scale_max`` is not allowed, or None: both ends in
    :data:`SCALE_RANGE`, highest above lowest, at most :data:`MAX_SCALE_POINTS` points."""
    lo, hi = SCALE_RANGE
    if not (lo <= scale_min <= hi and lo <= scale_max <= hi):
        return _(
            "The points on a scale must be whole numbers from %(low)s to %(high)s, for example "
            "1 to 5 or 0 to 10.",
            low=lo,
            high=hi,
        )
    if scale_max <= scale_min:
        return _("The highest point must be more than the lowest point, for example 1 to 5.")
    if scale_max - scale_min + 1 > MAX_SCALE_POINTS:
        return _(
            "A scale can have at most %(most)s points (for example 0 to 10). "
            "Make the range smaller.",
            most=MAX_SCALE_POINTS,
        )
    return None


def descriptors_problem(scale_min: int, scale_max: int, descriptors: list[str]) -> str | None:
    if scale_problem(scale_min, scale_max):
        return None  # the scale itself is reported
    want = scale_max - scale_min + 1
    if len(descriptors) != want:
        return _(
            "Write one line for each point from %(low)s to %(high)s: %(want)s, and "
            "%(have)s. Put each description on its own line, lowest point first.",
            low=scale_min,
            high=scale_max,
            want=ngettext("that is %(num)d line", "that is %(num)d lines", want),
            have=ngettext("there is %(num)d", "there are %(num)d", len(descriptors)),
        )
    return None


def welsh_descriptors_problem(scale_min: int, scale_max: int, welsh: Sequence[str]) -> str | None:
    """Why the Welsh descriptors cannot be used: when given, there is one for each point, as
    the English has (a page shows them all in Welsh or all in English, never a mix)."""
    if not welsh or scale_problem(scale_min, scale_max):
        return None  # none given, or the scale itself is reported
    want = scale_max - scale_min + 1
    if len(welsh) != want:
        return _(
            "Write one line in Welsh for each point from %(low)s to %(high)s, as in English: "
            "%(want)s, and %(have)s. Or leave the Welsh empty to show the English "
            "descriptions.",
            low=scale_min,
            high=scale_max,
            want=ngettext("that is %(num)d line", "that is %(num)d lines", want),
            have=ngettext("there is %(num)d", "there are %(num)d", len(welsh)),
        )
    return None


def welsh_criterion_problems(
    welsh: Mapping[str, Any], scale_min: int, scale_max: int
) -> list[str]:
    """Why a criterion's Welsh name, guidance or descriptors cannot be saved: the English
    limits apply, and there is one Welsh descriptor for each point."""
    welsh_descriptors = [str(d) for d in welsh.get("descriptors") or []]
    return [
        p
        for p in (
            text_problem(str(welsh.get("name") or ""), max_length=NAME_MAX_LENGTH,
                         label=_("The criterion's name in Welsh")),
            text_problem(str(welsh.get("guidance") or ""), max_length=GUIDANCE_MAX_LENGTH,
                         label=_("The guidance in Welsh")),
            *[
                text_problem(d, max_length=DESCRIPTOR_MAX_LENGTH,
                             label=_("The description of point %(point)s in Welsh",
                                     point=scale_min + i))
                for i, d in enumerate(welsh_descriptors)
            ],
            welsh_descriptors_problem(scale_min, scale_max, welsh_descriptors),
        )
        if p
    ]


def weight_problem(weight: int) -> str | None:
    lo, hi = WEIGHT_RANGE
    if not lo <= weight <= hi:
        return _("The weight must be a whole number from %(low)s to %(high)s.", low=lo, high=hi)
    return None


#: A criterion's fields staff may also give in Welsh (descriptors as a list, one per point).
CRITERION_WELSH_FIELDS = ("name", "guidance", "descriptors")


def _check_criterion(
    name: str, guidance: str, weight: int, scale_min: int, scale_max: int,
    descriptors: list[str], welsh: Mapping[str, Any] | None = None,
) -> None:
    problems = [
        p
        for p in (
            None if name.strip() else _("Enter a name for the criterion."),
            text_problem(name, max_length=NAME_MAX_LENGTH, label=_("The criterion's name")),
            text_problem(guidance, max_length=GUIDANCE_MAX_LENGTH, label=_("The guidance")),
            *[
                text_problem(d, max_length=DESCRIPTOR_MAX_LENGTH,
                             label=_("The description of point %(point)s",
                                     point=scale_min + i))
                for i, d in enumerate(descriptors)
            ],
            weight_problem(weight),
            scale_problem(scale_min, scale_max),
            descriptors_problem(scale_min, scale_max, descriptors),
            *welsh_criterion_problems(welsh or {}, scale_min, scale_max),
        )
        if p
    ]
    if problems:
        raise RoundError(" ".join(problems))


def _next_key(rnd: Round) -> str:
    used = {c.key for c in rnd.criteria}
    n = len(rnd.criteria) + 1
    while f"c{n}" in used:
        n += 1
    return f"c{n}"


def add_criterion(
    rnd: Round,
    actor: User,
    *,
    name: str,
    guidance: str,
    weight: int,
    scale_min: int,
    scale_max: int,
    descriptors: list[str],
    welsh: Mapping[str, Any] | None = None,
) -> Criterion:
    """Add a criterion; ``welsh`` gives its optional Welsh name, guidance and descriptors
    (see :data:`CRITERION_WELSH_FIELDS`)."""
    _require_draft(rnd, "rubric")
    welsh = {k: v for k, v in (welsh or {}).items() if k in CRITERION_WELSH_FIELDS}
    _check_criterion(name, guidance, weight, scale_min, scale_max, descriptors, welsh)
    crit = Criterion(
        round_id=rnd.id,
        position=max((c.position for c in rnd.criteria), default=0) + 1,
        key=_next_key(rnd),
        name=name.strip(),
        guidance=guidance.strip(),
        weight=weight,
        scale_min=scale_min,
        scale_max=scale_max,
        descriptors=list(descriptors),
        translations=content.with_language(None, content.WELSH, welsh),
    )
    rnd.criteria.append(crit)
    db.session.flush()
    audit.record("criterion.added", actor=actor, round_id=rnd.id, key=crit.key, name=crit.name)
    return crit


def update_criterion(
    crit: Criterion,
    actor: User,
    *,
    name: str,
    guidance: str,
    weight: int,
    scale_min: int,
    scale_max: int,
    descriptors: list[str],
    welsh: Mapping[str, Any] | None = None,
) -> None:
    """Change a criterion; ``welsh`` replaces the Welsh values it names (an empty value
    removes one); without it the Welsh stays as it is, and must still fit the descriptors."""
    _require_draft(crit.round, "rubric")
    new_welsh = _welsh(crit, CRITERION_WELSH_FIELDS, welsh)
    _check_criterion(name, guidance, weight, scale_min, scale_max, descriptors, new_welsh)
    crit.name = name.strip()
    crit.guidance = guidance.strip()
    crit.weight = weight
    crit.scale_min = scale_min
    crit.scale_max = scale_max
    crit.descriptors = list(descriptors)
    crit.translations = content.with_language(crit.translations, content.WELSH, new_welsh)
    audit.record("criterion.updated", actor=actor, round_id=crit.round_id, key=crit.key)


def _renumber(rnd: Round) -> None:
    for pos, c in enumerate(sorted(rnd.criteria, key=lambda c: c.position), start=1):
        c.position = pos


def remove_criterion(crit: Criterion, actor: User) -> None:
    rnd = crit.round
    _require_draft(rnd, "rubric")
    rnd.criteria.remove(crit)
    db.session.flush()
    _renumber(rnd)
    audit.record("criterion.removed", actor=actor, round_id=rnd.id, key=crit.key, name=crit.name)


def move_criterion(crit: Criterion, actor: User, *, direction: str) -> bool:
    """Swap a criterion with its neighbour (``"up"`` or ``"down"``); False at either end."""
    rnd = crit.round
    _require_draft(rnd, "rubric")
    if direction not in ("up", "down"):
        raise RoundError(_("Choose to move the criterion up or down."))
    ordered = sorted(rnd.criteria, key=lambda c: c.position)
    i = ordered.index(crit)
    j = i - 1 if direction == "up" else i + 1
    if not 0 <= j < len(ordered):
        return False
    ordered[i], ordered[j] = ordered[j], ordered[i]
    for pos, c in enumerate(ordered, start=1):
        c.position = pos
    rnd.criteria.sort(key=lambda c: c.position)
    audit.record(
        "criterion.moved", actor=actor, round_id=rnd.id, key=crit.key, direction=direction
    )
    return True


# --- lifecycle -------------------------------------------------------------------------------


def open_problems(rnd: Round) -> list[str]:
    """What is missing before scoring can open (empty when ready)."""
    problems = []
    if not rnd.criteria:
        problems.append(
            _("Add at least one criterion to the rubric, so the panel knows what to score.")
        )
    if not any(a.eligible for a in rnd.applications):
        problems.append(
            _("Add at least one eligible application (by form or CSV import) before opening.")
        )
    if not rnd.memberships:
        problems.append(_("Add at least one panel member before opening."))
    return problems


def apply_transition(
    rnd: Round, name: str, actor: User, *, overrides: list[dict[str, Any]] | None = None
) -> lifecycle.Transition:
    """Take lifecycle step ``name`` for ``rnd``; every step is written to the audit log.

    Raises :class:`lifecycle.TransitionError` (not allowed now), :class:`RoundError` (not
    ready to open), :class:`stages.StageError` (a decision-stage step the round did not
    declare, or whose turn has not come; or "decide" before every stage is done) or
    :class:`counting.CountError` (the count refuses). "decide", "undo-decision" and "publish"
    go through the counting service; a step of a decision stage through
    :func:`stages.take_step`. The round is locked first and its state read fresh
    (:func:`transitions.begin`), so a step taken twice at once happens once; the second gets
    :class:`lifecycle.AlreadyDoneError`.

    Opening scoring fixes the decision stages (:func:`stages.freeze`) with the other rules.
    """
    t = transitions.begin(rnd, name)
    if t.draws_seed:
        problems = open_problems(rnd)
        if problems:
            raise RoundError(" ".join([_("Scoring cannot open yet."), *problems]))
        seed = secrets.token_hex(32)
        rnd.seed = seed
        rnd.seed_commitment = voting.seed_commitment(seed)
        chain = stages.freeze(rnd)
        # The commitment is public; the seed stays secret until the record is published.
        return transitions.move(rnd, name, actor, seed_commitment=rnd.seed_commitment,
                                stages=[s["kind"] for s in chain])
    if t.stage:
        return transitions.move(rnd, name, actor, **stages.take_step(rnd, t, actor))
    if name == "reopen":
        return transitions.move(rnd, name, actor, **stages.reopen_scoring(rnd))
    if name == "decide":
        counting.decide(rnd, actor, list(overrides or []))
        return t
    if name == "undo-decision":
        counting.withdraw_decision(rnd, actor)
        return t
    if name == "publish":
        counting.publish(rnd, actor)
        return t
    return transitions.move(rnd, name, actor)


def eligible_count(rnd: Round) -> int:
    return sum(1 for a in rnd.applications if a.eligible)





