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
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select

from grantpanel.extensions import db
from grantpanel.models import PublishedRecord, Round

# States the public may see a round page for (a draft is not announced yet).
PUBLIC_STATES = ("open", "closed", "decided", "published")
# States in which the seed commitment is public (from the moment scoring opens).
COMMITTED_STATES = PUBLIC_STATES

INVOLVEMENT = {
    "co-production": (
        "Co-production",
        "The panel's decision is binding. Staff checked the count and could change it only "
        "by writing a reason, which is published below.",
    ),
    "co-design": (
        "Co-design",
        "The panel and staff designed this round together and the panel scored the "
        "applications. Staff confirmed the decision; any change to the panel's result is "
        "published below with its reason.",
    ),
    "engagement": (
        "Engagement",
        "The panel advised and staff decided. The panel's scores set the order shown here; "
        "staff made the final decision, and any change they made is published below with its "
        "reason.",
    ),
    "consultation": (
        "Consultation",
        "Staff asked the panel for its views and staff decided. The panel's scores are shown "
        "here; any difference between them and the final decision is published below with its "
        "reason.",
    ),
}

STATUS_LABELS = {
    "funded": ("Funded", "tag-green"),
    "skipped": ("Did not fit the money left", "tag-yellow"),
    "below-line": ("Below the funding line", "tag-grey"),
    "under-quorum": ("Too few scores to rank", "tag-red"),
    "ineligible": ("Not eligible", "tag-grey"),
}

TIE_BREAK_LABELS = {
    "higher_mean": "the higher mean score",
    "higher_median": "the higher median score",
    "more_scores": "more panel members scoring it",
    "smaller_amount": "the smaller amount asked for",
    "draw": "a random draw from the published seed",
}

FALLBACK_METHOD_EXPLANATION = (
    "Each panel member scored the applications they had no conflict of interest with, "
    "against the published criteria. A score sheet's total multiplies each score by its "
    "criterion's weight and adds them up (a \"don't know\" is left out, never counted as "
    "zero). An application's result is the {aggregation} of its sheet totals. Applications "
    "with fewer than {quorum} scores are flagged, not ranked. The rest are ranked from highest "
    "to lowest result; ties are settled by {tie_break}. Money is then given down the list "
    "until the budget runs out: {fit_rule}."
)


# --- Queries -------------------------------------------------------------------------------


def published_rounds() -> Select[Round, PublishedRecord]:
    """Published rounds with their records, newest first."""
    return (
        select(Round, PublishedRecord)
        .join(PublishedRecord, PublishedRecord.round_id == Round.id)
        .where(Round.state == "published")
        .order_by(PublishedRecord.published_at.desc(), Round.id.desc())
    )


def rounds_in_progress() -> Select[tuple[Round]]:
    """Rounds whose scoring has opened but whose decision is not yet published."""
    return (
        select(Round)
        .where(Round.state.in_(("open", "closed", "decided")))
        .order_by(Round.id)
    )


def public_round(round_id: int) -> Round | None:
    """The round if the public may see it (not a draft), else None."""
    rnd = db.session.get(Round, round_id)
    if rnd is None or rnd.state not in PUBLIC_STATES:
        return None
    return rnd


def published_record(round_id: int) -> PublishedRecord | None:
    """The stored record of a published round, else None (unknown or not published)."""
    return db.session.scalar(
        select(PublishedRecord)
        .join(Round, PublishedRecord.round_id == Round.id)
        .where(PublishedRecord.round_id == round_id, Round.state == "published")
    )


def record_by_digest(digest: str) -> PublishedRecord | None:
    return db.session.scalar(select(PublishedRecord).where(PublishedRecord.digest == digest))


def record_bytes(pr: PublishedRecord) -> bytes:
    """The exact published bytes: the stored canonical JSON, UTF-8."""
    return pr.body.encode("utf-8")


def load_record(pr: PublishedRecord) -> dict[str, Any]:
    data = json.loads(pr.body)
    if not isinstance(data, dict):
        raise ValueError("a decision record must be a JSON object")
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
    return INVOLVEMENT.get(level, (level.replace("-", " ").capitalize(), ""))


def method_explanation(rules: dict[str, Any]) -> str:
    """One plain-English paragraph on how the round's method works."""
    method = rules.get("method", "scores")
    explanation: str | None = None
    try:
        from voting.registry import METHODS

        entry = METHODS.get(method)
        text = getattr(entry, "explanation", None)
        if text is None and isinstance(entry, dict):
            text = entry.get("explanation")
        if isinstance(text, str) and text.strip():
            explanation = text.strip()
    except Exception:  # the registry is optional here: fall back to our own paragraph
        explanation = None
    if explanation:
        return explanation
    chain = [TIE_BREAK_LABELS.get(k, k) for k in rules.get("tie_break", ["draw"])]
    return FALLBACK_METHOD_EXPLANATION.format(
        aggregation="median" if rules.get("aggregation") == "median" else "mean (average)",
        quorum=rules.get("quorum", "the required number of"),
        tie_break=", then ".join(chain) or TIE_BREAK_LABELS["draw"],
        fit_rule=(
            "funding stops at the first application that does not fit the money left"
            if rules.get("fit_rule") == "stop"
            else "an application that does not fit the money left is skipped, and the next "
            "one that fits is funded"
        ),
    )


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
DECLARED_BY_WORDS = {"member": "A panel member", "staff": "Staff"}


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


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


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
        label, tag = STATUS_LABELS.get(status, (status, "tag-grey"))
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
        names = [f"{a} ({titles.get(a, a)})" for a in t.get("applications", [])]
        how = TIE_BREAK_LABELS.get(t.get("resolved_by", ""), t.get("resolved_by", ""))
        ties.append(f"{_join(names)} had the same result; the tie was settled by {how}.")

    conflicts = record.get("conflicts", [])
    after_close = [
        LateConflict(
            application=c["application"],
            title=titles.get(c["application"], c["application"]),
            declared_by=c["declared_by"],
            who=DECLARED_BY_WORDS.get(c["declared_by"], c["declared_by"]),
            reason=c["reason"],
            sheet_withdrawn=bool(c["sheet_withdrawn"]),
        )
        for c in outputs.get("after_close", [])
        if c.get("kind") == "conflict"
    ]
    name, meaning = involvement_words(rnd.get("involvement", ""))
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
        schema_version=int(record.get("schema_version", 1)),
        after_close=after_close,
    )


def total_funded(pr: PublishedRecord) -> int:
    """The record's final total (after any override)."""
    return int(load_record(pr).get("decision", {}).get("total", 0))
