"""Read-side queries for what the public may see: published rounds and their records.

Public pages and the API render a published round **from its stored decision record**
(``PublishedRecord.body``), never from the live tables: what the page shows is what anyone can
download and verify.  Helpers return ``select()`` statements or plain view objects; nothing
here writes to the database.

``outcome_view(record)`` turns a parsed record (``docs/record-format.md``) into the rows and
sentences an outcome page shows; it only presents the record, it never recounts.  Schema 1
and schema 2 records both render; only schema 2 says who declared each conflict and when, so
only a schema-2 record can list the conflicts recorded after scoring closed
(``outputs.after_close``), shown with the staff overrides as the changes made after scoring
closed.

A schema-3 record also declares its chain of decision stages (``rules.stages``) and carries
each stage's outputs; :func:`stage_paragraphs` explains the chain in plain English, one short
paragraph per stage, and the outcome page shows each stage's outputs
(``templates/macros/stages.html``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from babel.lists import format_list
from flask_babel import get_locale
from sqlalchemy import Select, select

from grantpanel import lifecycle
from grantpanel.extensions import db
from grantpanel.i18n import DEFAULT, N_, _
from grantpanel.models import PublishedRecord, Round
from grantpanel.vocabulary import (
    Aggregation,
    DeclaredBy,
    FitRule,
    Involvement,
    ResultStatus,
    RoundState,
    StageKind,
    TieBreak,
)

# What a state shows the public: grantpanel.lifecycle. The words below live in
# grantpanel.vocabulary; these tables (lazy text) are kept for the templates that read them.
PUBLIC_STATES = lifecycle.states_where(public=True)
COMMITTED_STATES = lifecycle.states_where(seed_public=True)
INVOLVEMENT = {k.value: (k.lazy("label"), k.lazy("public_explanation")) for k in Involvement}
STATUS_LABELS = {k.value: (k.lazy("label"), k.tag) for k in ResultStatus}
TIE_BREAK_LABELS = TieBreak.lazy_map("public_label")

# One translatable paragraph (marked with N_, translated in method_explanation) with named
# placeholders a translator can move: aggregation ("mean (average)" or "median"), quorum (a
# number), tie_break (the tie-break chain, "A, then B") and fit_rule (what happens to an
# application that does not fit the money left).
FALLBACK_METHOD_EXPLANATION = N_(
    "Each panel member scored the applications they had no conflict of interest with, "
    "against the published criteria. A score sheet's total multiplies each score by its "
    "criterion's weight and adds them up (a \"don't know\" is left out, never counted as "
    "zero). An application's result is the %(aggregation)s of its sheet totals. Applications "
    "with fewer than %(quorum)s scores are flagged, not ranked. The rest are ranked from "
    "highest to lowest result; ties are settled by %(tie_break)s. Money is then given down the "
    "list until the budget runs out: %(fit_rule)s."
)


# --- Queries -------------------------------------------------------------------------------


def published_rounds() -> Select[Round, PublishedRecord]:
    """Published rounds with their records, newest first."""
    return (
        select(Round, PublishedRecord)
        .join(PublishedRecord, PublishedRecord.round_id == Round.id)
        .where(Round.state == RoundState.PUBLISHED)
        .order_by(PublishedRecord.published_at.desc(), Round.id.desc())
    )


def rounds_in_progress() -> Select[tuple[Round]]:
    """Rounds whose scoring has opened but whose decision is not yet published."""
    return (
        select(Round)
        .where(Round.state.in_(lifecycle.states_where(public=True, published=False)))
        .order_by(Round.id)
    )


def public_round(round_id: int) -> Round | None:
    """The round if the public may see it (not a draft), else None."""
    rnd = db.session.get(Round, round_id)
    if rnd is None or not rnd.lifecycle.public:
        return None
    return rnd


def published_record(round_id: int) -> PublishedRecord | None:
    """The stored record of a published round, else None (unknown or not published)."""
    return db.session.scalar(
        select(PublishedRecord)
        .join(Round, PublishedRecord.round_id == Round.id)
        .where(PublishedRecord.round_id == round_id, Round.state == RoundState.PUBLISHED)
    )


def record_by_digest(digest: str) -> PublishedRecord | None:
    return db.session.scalar(select(PublishedRecord).where(PublishedRecord.digest == digest))


def record_bytes(pr: PublishedRecord) -> bytes:
    """The exact published bytes: the stored canonical JSON, UTF-8."""
    return pr.body.encode("utf-8")


def load_record(pr: PublishedRecord) -> dict[str, Any]:
    data = json.loads(pr.body)
    if not isinstance(data, dict):
        raise ValueError(_("a decision record must be a JSON object"))
    return data


def iso_utc(value: dt.datetime) -> str:
    """``2026-11-21T23:00:00Z`` (naive values from SQLite are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


# --- Presenting a record -------------------------------------------------------------------


def involvement_words(level: str) -> tuple[str, str]:
    """(name, what it means) for an involvement level, in plain words."""
    known = Involvement.get(level)
    if known is None:
        return (level.replace("-", " ").capitalize(), "")
    return (known.label, known.public_explanation)


def method_explanation(rules: dict[str, Any]) -> str:
    """One plain-English paragraph on how the round's method works, in the page's language.

    The method's own explanation from ``voting.registry`` when it has one (marked there with
    ``N_`` for the catalogue, translated here with ``gettext``), else
    :data:`FALLBACK_METHOD_EXPLANATION` filled in from the round's rules.
    """
    method = rules.get("method", "scores")
    explanation: str | None = None
    try:
        from voting.registry import METHODS

        entry = METHODS.get(method)
        text = getattr(entry, "explanation", None)
        if text is None and isinstance(entry, dict):
            text = entry.get("explanation")
        if isinstance(text, str) and text.strip():
            explanation = _(text).strip()
    except Exception:  # the registry is optional here: fall back to our own paragraph
        explanation = None
    if explanation:
        return explanation
    chain = [str(TIE_BREAK_LABELS.get(k, k)) for k in rules.get("tie_break", [TieBreak.DRAW])]
    tie_break = chain[0] if chain else TieBreak.DRAW.public_label
    for step in chain[1:]:
        tie_break = _("%(first)s, then %(next)s", first=tie_break, next=step)
    return _(
        FALLBACK_METHOD_EXPLANATION,
        aggregation=_("median") if rules.get("aggregation") == Aggregation.MEDIAN else _("mean (average)"),
        quorum=rules.get("quorum", _("the required number of")),
        tie_break=tie_break,
        fit_rule=(
            _("funding stops at the first application that does not fit the money left")
            if rules.get("fit_rule") == FitRule.STOP
            else _(
                "an application that does not fit the money left is skipped, and the next "
                "one that fits is funded"
            )
        ),
    )


@dataclass(frozen=True)
class StageParagraph:
    """One stage of a declared chain, in plain English: its kind, name and paragraph."""

    kind: str
    label: str
    text: str


def _fill(message: str, params: dict[str, Any]) -> str:
    """Translate ``message`` (marked with ``N_`` in ``voting``) and fill its placeholders."""
    return _(message, **{k: ("" if v is None else v) for k, v in params.items()})


def _registry_explanation(key: str) -> str:
    """The registry's plain-English paragraph for method ``key``, translated ("" if none)."""
    from voting.registry import METHODS

    entry = METHODS.get(key)
    return _(entry.explanation).strip() if entry is not None else ""


def stage_paragraphs(stages: list[dict[str, Any]]) -> list[StageParagraph]:
    """One short plain-English paragraph per declared stage, in order.

    The sentence that states the stage's rule comes from ``voting.stages.describe_stages``
    (marked there with ``N_``, translated here); a ranked stage adds its method's explanation
    from ``voting.registry.METHODS``, and a funding stage by the Method of Equal Shares adds
    that method's explanation. A chain ``voting`` cannot describe (an unknown key in an old or
    hand-made record) falls back to each stage kind's own explanation.
    """
    try:
        from voting.stages import describe_stages

        sentences: list[str] = [_fill(m, p) for m, p in describe_stages(stages)]
    except (ImportError, LookupError, TypeError, ValueError):  # VotingError is a ValueError
        # An invalid or unknown chain: say what each kind of stage does.
        sentences = []
        for st in stages:
            known = StageKind.get(st.get("kind"))
            sentences.append(known.explanation if known is not None else "")
    out = []
    for st, sentence in zip(stages, sentences, strict=False):
        kind = str(st.get("kind", ""))
        extra = ""
        if kind == StageKind.RANKED:
            extra = _registry_explanation(str(st.get("method", "")))
        elif kind == StageKind.FUNDING and st.get("rule") == "equal-shares":
            extra = _registry_explanation("equal-shares")
        text = " ".join(t for t in (sentence, extra) if t)
        out.append(StageParagraph(kind=kind, label=StageKind.label_of(kind), text=text))
    return out


@dataclass(frozen=True)
class OutcomeRow:
    id: str
    title: str
    summary: str
    amount: int
    eligible: bool
    eligibility_reason: str
    n_scores: int
    n_conflicts: int
    quorum_met: bool
    aggregate: str | None
    mean: str | None
    median: str | None
    sd: str | None
    min: str | None
    max: str | None
    rank: int | None
    status: str
    status_label: str
    status_tag: str
    funded_amount: int | None  # final decision, after any override
    override: dict[str, Any] | None
    line_after: bool  # the funding line is drawn under this row


# Who declared a conflict, as the public page says it (the record's ``declared_by``).
DECLARED_BY_WORDS = DeclaredBy.lazy_map("label")


@dataclass(frozen=True)
class LateConflict:
    """A conflict of interest recorded after scoring closed (schema 2 ``after_close``)."""

    application: str
    title: str
    declared_by: str  # "member" | "staff"
    who: str  # "A panel member" | "Staff"
    reason: str
    sheet_withdrawn: bool


@dataclass(frozen=True)
class OutcomeView:
    record: dict[str, Any]
    round: dict[str, Any]
    rules: dict[str, Any]
    rubric: list[dict[str, Any]]
    currency: str
    budget: int
    total: int
    spent_computed: int
    remaining_computed: int
    stopped_at: str | None
    max_total: int
    outcome: str
    binding: bool
    involvement_name: str
    involvement_meaning: str
    method_paragraph: str
    ranked: list[OutcomeRow]
    unranked: list[OutcomeRow]
    funded: list[OutcomeRow]
    overrides: list[dict[str, Any]]
    ties: list[str]
    draws: list[dict[str, Any]]
    conflicts_total: int
    conflicted_members: int
    panel_size: int
    sheets_total: int
    line_after_rank: int | None
    randomness: dict[str, Any]
    digest: str
    previous_digest: str | None
    published_at: dt.datetime | None
    titles: dict[str, str] = field(default_factory=dict)
    schema_version: int = 1
    after_close: list[LateConflict] = field(default_factory=list)
    # Schema 3: the declared chain, a paragraph per stage, and the record's outputs.
    stages: list[dict[str, Any]] = field(default_factory=list)
    stage_paragraphs: list[StageParagraph] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    # Applications withdrawn before the decision (the record's optional ``withdrawn``):
    # [{"application": ref, "reason": text}], not counted.
    withdrawn: list[dict[str, str]] = field(default_factory=list)


def _join(items: list[str]) -> str:
    """``A, B and C`` in the page's language (Babel's list patterns)."""
    if not items:
        return ""
    return format_list(items, locale=str(get_locale() or DEFAULT.code))


def outcome_view(record: dict[str, Any]) -> OutcomeView:
    """Everything an outcome page shows, read straight from the record."""
    rnd = record.get("round", {})
    rules = record.get("rules", {})
    outputs = record.get("outputs", {})
    decision = record.get("decision", {})
    funding = outputs.get("funding", {})
    inputs = {a["id"]: a for a in record.get("applications", [])}
    titles = {k: a.get("title", k) for k, a in inputs.items()}
    funded_final = {f["application"]: int(f["amount"]) for f in decision.get("funded", [])}
    overrides = list(decision.get("overrides", []))
    override_by_app = {o["application"]: o for o in overrides}
    line_after_rank = funding.get("line_after_rank")

    rows: list[OutcomeRow] = []
    for out in outputs.get("applications", []):
        app = inputs.get(out["id"], {})
        status = out.get("status", "")
        known = ResultStatus.get(status)
        label, tag = (known.label, known.tag) if known is not None else (status, "tag-grey")
        rank = out.get("rank")
        rows.append(
            OutcomeRow(
                id=out["id"],
                title=app.get("title", out["id"]),
                summary=app.get("summary", ""),
                amount=int(app.get("amount", 0)),
                eligible=bool(out.get("eligible", app.get("eligible", True))),
                eligibility_reason=app.get("eligibility_reason", ""),
                n_scores=int(out.get("n_scores", 0)),
                n_conflicts=int(out.get("n_conflicts", 0)),
                quorum_met=bool(out.get("quorum_met", False)),
                aggregate=out.get("aggregate"),
                mean=out.get("mean"),
                median=out.get("median"),
                sd=out.get("sd"),
                min=out.get("min"),
                max=out.get("max"),
                rank=rank,
                status=status,
                status_label=label,
                status_tag=tag,
                funded_amount=funded_final.get(out["id"]),
                override=override_by_app.get(out["id"]),
                line_after=rank is not None and rank == line_after_rank,
            )
        )
    ranked = sorted((r for r in rows if r.rank is not None), key=lambda r: r.rank or 0)
    unranked = [r for r in rows if r.rank is None]
    by_id = {r.id: r for r in rows}
    funded = [by_id[f["application"]] for f in decision.get("funded", []) if f["application"] in by_id]

    ties = []
    for t in outputs.get("ties", []):
        names = [
            _("%(application)s (%(title)s)", application=a, title=titles.get(a, a))
            for a in t.get("applications", [])
        ]
        how = TIE_BREAK_LABELS.get(t.get("resolved_by", ""), t.get("resolved_by", ""))
        ties.append(
            _(
                "%(applications)s had the same result; the tie was settled by %(how)s.",
                applications=_join(names),
                how=how,
            )
        )

    conflicts = record.get("conflicts", [])
    after_close = [
        LateConflict(
            application=c["application"],
            title=titles.get(c["application"], c["application"]),
            declared_by=c["declared_by"],
            who=DeclaredBy.label_of(c["declared_by"]),
            reason=c["reason"],
            sheet_withdrawn=bool(c["sheet_withdrawn"]),
        )
        for c in outputs.get("after_close", [])
        if c.get("kind") == "conflict"
    ]
    name, meaning = involvement_words(rnd.get("involvement", ""))
    schema_version = int(record.get("schema_version", 1))
    stages = [dict(st) for st in rules.get("stages", [])] if schema_version >= 3 else []
    return OutcomeView(
        record=record,
        round=rnd,
        rules=rules,
        rubric=list(record.get("rubric", [])),
        currency=rnd.get("currency", "GBP"),
        budget=int(rnd.get("budget", 0)),
        total=int(decision.get("total", 0)),
        spent_computed=int(funding.get("spent", 0)),
        remaining_computed=int(funding.get("remaining", 0)),
        stopped_at=funding.get("stopped_at"),
        max_total=sum(int(c.get("weight", 1)) * int(c.get("scale_max", 0))
                      for c in record.get("rubric", [])),
        outcome=decision.get("outcome", "confirmed"),
        binding=bool(rnd.get("binding", False)),
        involvement_name=name,
        involvement_meaning=meaning,
        method_paragraph=method_explanation(rules),
        ranked=ranked,
        unranked=unranked,
        funded=funded,
        overrides=[dict(o, title=titles.get(o["application"], o["application"])) for o in overrides],
        ties=ties,
        draws=list(outputs.get("draws", [])),
        conflicts_total=len(conflicts),
        conflicted_members=len({c.get("member") for c in conflicts}),
        panel_size=len(record.get("panel", [])),
        sheets_total=len(record.get("sheets", [])),
        line_after_rank=line_after_rank,
        randomness=dict(record.get("randomness", {})),
        digest=record.get("digest", ""),
        previous_digest=record.get("previous_digest"),
        published_at=parse_iso(rnd.get("published_at")),
        titles=titles,
        schema_version=schema_version,
        after_close=after_close,
        stages=stages,
        stage_paragraphs=stage_paragraphs(stages) if stages else [],
        outputs=dict(outputs) if stages else {},
        withdrawn=[{"application": str(w.get("application", "")), "reason": str(w.get("reason", ""))}
                   for w in record.get("withdrawn", []) if isinstance(w, dict)],
    )


def total_funded(pr: PublishedRecord) -> int:
    """The record's final total (after any override)."""
    return int(load_record(pr).get("decision", {}).get("total", 0))
