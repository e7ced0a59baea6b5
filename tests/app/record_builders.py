"""Builders for published rounds in public-page and API tests.

``publish_by_hand`` stores a hand-made record that follows ``docs/record-format.md`` (the
counting service builds real ones; these tests only need a record to render and serve).
Private details are put in the database on purpose so tests can prove they never leak.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from grantpanel.extensions import db
from grantpanel.models import Conflict, PublishedRecord, Round, ScoreSheet
from tests.builders import make_application, make_member, make_round, make_user

SEED = "ab" * 32
PRIVATE_STRINGS = [
    "Priya Secretname",  # panel member's name
    "Tomasz Hiddensurname",  # panel member's name
    "Riverside Private Trust Ltd",  # applicant name
    "treasurer@riverside-private.example",  # applicant contact
    "My cousin runs this one",  # conflict note
    "Shaky budget, I doubt the numbers",  # panel note
]


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest_of(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "digest"}
    return "sha256:" + hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def seed_commitment(seed: str) -> str:
    return "sha256:" + hashlib.sha256(seed.encode("ascii")).hexdigest()


def make_published_round(
    *, name: str = "Warm Spaces Fund 2026", previous_digest: str | None = None,
    published_at: dt.datetime | None = None,
) -> tuple[Round, PublishedRecord]:
    """A published round of four applications with a conflict, an under-quorum application,
    a tie settled by amount and a staff override."""
    rnd = make_round(name=name, budget=1_000_000, state="published", quorum=3,
                     seed=SEED, seed_commitment=seed_commitment(SEED))
    apps = [
        make_application(rnd, reference="A-001", amount=400_000, title="Warm hub at St Mark's",
                         applicant_name="Riverside Private Trust Ltd",
                         contact_email="treasurer@riverside-private.example"),
        make_application(rnd, reference="A-002", amount=300_000, title="Friday food club"),
        make_application(rnd, reference="A-003", amount=500_000, title="Debt advice drop-in"),
        make_application(rnd, reference="A-004", amount=150_000, title="Kinship carers' group"),
    ]
    m1 = make_member(rnd, make_user(name="Priya Secretname"))
    m2 = make_member(rnd, make_user(name="Tomasz Hiddensurname"))
    db.session.add(Conflict(membership_id=m2.id, application_id=apps[2].id, category="family",
                            note="My cousin runs this one", declared_by_id=m2.user_id))
    db.session.add(ScoreSheet(membership_id=m1.id, application_id=apps[0].id, status="submitted",
                              scores={"c1": 4, "c2": 3},
                              panel_note="Shaky budget, I doubt the numbers"))
    record: dict[str, Any] = {
        "schema_version": 1,
        "voting_version": "0.1.0",
        "organisation": "Community Fund",
        "round": {"id": rnd.id, "name": name, "purpose": rnd.purpose, "currency": "GBP",
                  "budget": 1_000_000, "involvement": "co-production", "binding": True,
                  "published_at": "2026-11-21T23:00:00Z"},
        "rules": {"method": "scores", "aggregation": "mean", "quorum": 3, "fit_rule": "skip",
                  "tie_break": ["smaller_amount", "draw"]},
        "rubric": [
            {"key": "c1", "name": "Who benefits", "guidance": "Who the money will reach.",
             "weight": 2, "scale_min": 1, "scale_max": 5, "descriptors": ["a"] * 5},
            {"key": "c2", "name": "How the money will be used", "guidance": "Is it clear?",
             "weight": 1, "scale_min": 1, "scale_max": 5, "descriptors": ["b"] * 5},
        ],
        "applications": [
            {"id": a.reference, "title": a.title, "summary": a.summary, "amount": a.amount,
             "eligible": True, "eligibility_reason": ""}
            for a in apps
        ],
        "panel": ["Panel member 1", "Panel member 2", "Panel member 3"],
        "sheets": [],
        "conflicts": [
            {"member": "Panel member 2", "application": "A-003", "category": "family"},
            {"member": "Panel member 2", "application": "A-004", "category": "trustee"},
        ],
        "randomness": {"commitment": seed_commitment(SEED), "seed": SEED,
                       "procedure": "grantpanel draws v1"},
        "outputs": {
            "applications": [
                _out("A-001", 3, 0, "12.00", 1, "funded"),
                _out("A-002", 3, 0, "12.00", 2, "funded"),
                _out("A-003", 3, 1, "10.00", 3, "skipped"),
                {"id": "A-004", "n_scores": 1, "n_conflicts": 1, "eligible": True,
                 "quorum_met": False, "aggregate": "11.00", "mean": "11.00",
                 "median": "11.00", "min": "11.00", "max": "11.00", "sd": None,
                 "criteria": {}, "rank": None, "status": "under-quorum"},
            ],
            "order": ["A-002", "A-001", "A-003"],
            "ties": [{"applications": ["A-001", "A-002"], "resolved_by": "smaller_amount"}],
            "draws": [],
            "funding": {"funded": ["A-001", "A-002"], "skipped": ["A-003"], "stopped_at": None,
                        "spent": 700_000, "remaining": 300_000, "line_after_rank": 3},
        },
        "decision": {
            "outcome": "overridden",
            "overrides": [{"application": "A-004", "action": "fund",
                           "reason": "Only kinship carers' group in the north of the borough"}],
            "funded": [{"application": "A-001", "amount": 400_000},
                       {"application": "A-002", "amount": 300_000},
                       {"application": "A-004", "amount": 150_000}],
            "total": 850_000,
        },
        "previous_digest": previous_digest,
    }
    record["digest"] = digest_of(record)
    pr = PublishedRecord(round_id=rnd.id, body=canonical(record), digest=record["digest"],
                         previous_digest=previous_digest)
    if published_at is not None:
        pr.published_at = published_at
    db.session.add(pr)
    db.session.commit()
    return rnd, pr


def _out(ref: str, n: int, conflicts: int, agg: str, rank: int, status: str) -> dict[str, Any]:
    return {"id": ref, "n_scores": n, "n_conflicts": conflicts, "eligible": True,
            "quorum_met": True, "aggregate": agg, "mean": agg, "median": agg, "min": "9.00",
            "max": "15.00", "sd": "3.00", "criteria": {"c1": "4.00", "c2": "4.00"},
            "rank": rank, "status": status}
