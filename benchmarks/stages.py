"""Benchmark a round decided by every decision stage (issue 7's quality bar).

Run on its own with ``python -m benchmarks.stages`` (``--quick`` for 100 x 10 only), or as
the "stages" section of ``make bench``. A schema-3 round of 1,000 applications and 100 panel
members is built in memory (5 readers per application, one conflict per application, member
leniency so calibration has work to do), then two chains are timed, each with every stage
switched on:

* **A**: scores (mean, z-score calibration), consensus (standard deviation, stage-2 re-score
  of the flagged applications), a ranked vote by STV on the top 20 for 5 seats (every member
  ranks up to 10), funding down the final order with a partial lottery, consent by
  supermajority (one member objects);
* **B**: scores (trimmed mean, additive calibration), consensus (range, no re-score), an
  approval vote on every application scoring at least a set total, the Method of Equal Shares
  on the approvals with the add1 completion, consent with no objection.

For each: deciding (``voting.record.build_record``: every stage, the sensitivity to the
other methods, the digest), verifying the published bytes (``voting.record.
verify_record_bytes``: the whole count again plus the file checks) and the record's size.
Each is the best of 2 runs. ``--quick`` also runs 100 x 10, and the full run prints the
growth exponent between the two sizes.

Results: a table on stdout and ``benchmarks/results/stages-latest.json``.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from voting.draws import DRAW_PROCEDURE, seed_commitment
from voting.record import build_record, canonical_json, verify_record_bytes

READERS = 5
SEED = "5eed" * 16
RESULTS = Path(__file__).resolve().parent / "results" / "stages-latest.json"


def _stage(kind: str, **params: Any) -> dict[str, Any]:
    return {"kind": kind, **params}


CHAINS: dict[str, list[dict[str, Any]]] = {
    "A": [
        _stage("scores", aggregation="mean", trim="0.00", calibration="zscore"),
        _stage("consensus", measure="sd", threshold="3.50", rescore=True),
        _stage("ranked", method="stv", shortlist="top", size=20, above=None, seats=5),
        _stage("funding", rule="in-order", fit_rule="skip", utilities=None, completion=None,
               lottery=True),
        _stage("consent", rule="supermajority", threshold="2/3"),
    ],
    "B": [
        _stage("scores", aggregation="trimmed-mean", trim="0.20", calibration="additive"),
        _stage("consensus", measure="range", threshold="4.00", rescore=False),
        _stage("ranked", method="approval", shortlist="above", size=None, above="16.00",
               seats=None),
        _stage("funding", rule="equal-shares", fit_rule="skip", utilities="approvals",
               completion="add1", lottery=False),
        _stage("consent", rule="no-objection", threshold=None),
    ],
}


def round_inputs(n_apps: int, n_members: int, chain: str) -> dict[str, Any]:
    """Schema-3 inputs of a synthetic round decided by ``CHAINS[chain]`` (seeded, so the same
    sizes always give the same round)."""
    rng = random.Random(f"{n_apps}x{n_members}")
    members = [f"Panel member {i}" for i in range(1, n_members + 1)]
    leniency = [rng.choice((-1, 0, 0, 1)) for _ in members]
    apps = [f"A-{i:05d}" for i in range(1, n_apps + 1)]
    quality = [rng.randint(1, 5) for _ in apps]
    amounts = [rng.randrange(1_000, 10_001, 100) * 100 for _ in apps]
    budget = sum(amounts) // 10
    rubric = [
        {"key": "impact", "name": "Impact", "guidance": "Who will benefit?", "weight": 2,
         "scale_min": 1, "scale_max": 5, "descriptors": ["1", "2", "3", "4", "5"]},
        {"key": "plan", "name": "Plan", "guidance": "Can it be done?", "weight": 2,
         "scale_min": 1, "scale_max": 5, "descriptors": ["1", "2", "3", "4", "5"]},
    ]
    sheets: list[dict[str, Any]] = []
    conflicts: list[dict[str, Any]] = []
    readers_of: dict[str, list[int]] = {}
    for a, app in enumerate(apps):
        readers = rng.sample(range(n_members), READERS + 1)
        conflicted, readers = readers[0], readers[1:]
        readers_of[app] = readers
        conflicts.append({"member": members[conflicted], "application": app,
                          "category": "works-for", "declared_by": "member",
                          "when": "before-close"})
        for m in readers:
            base = quality[a] + leniency[m]
            impact, plan = (max(1, min(5, base + rng.choice((-1, 0, 0, 1)))) for _ in "ip")
            sheets.append({"member": members[m], "application": app, "stage": 1,
                           "scores": {"impact": impact, "plan": plan},
                           "objection": False})
    sheets[0]["objection"] = True
    stages = [dict(s) for s in CHAINS[chain]]
    inputs: dict[str, Any] = {
        "schema_version": 3,
        "voting_version": "0.1.0",
        "organisation": "Benchmark Fund",
        "round": {"id": 1, "name": f"Benchmark {n_apps} x {n_members}", "purpose": "Bench.",
                  "currency": "GBP", "budget": budget, "involvement": "co-production",
                  "binding": True, "published_at": "2026-12-02T00:00:00Z"},
        "rules": {"quorum": 3, "tie_break": ["smaller_amount", "draw"], "stages": stages},
        "rubric": rubric,
        "applications": [{"id": app, "title": f"Project {app}", "summary": "A project.",
                          "amount": amt, "eligible": True,
                          "eligibility_reason": "Meets the fund's criteria."}
                         for app, amt in zip(apps, amounts, strict=True)],
        "panel": members,
        "sheets": sheets,
        "conflicts": conflicts,
        "ballots": [],
        "consents": [],
        "randomness": {"commitment": seed_commitment(SEED), "seed": SEED,
                       "procedure": DRAW_PROCEDURE},
    }
    _add_stage_two(inputs, readers_of, rng)
    _add_ballots(inputs, rng)
    _add_consents(inputs)
    return inputs


def _add_stage_two(inputs: dict[str, Any], readers_of: dict[str, list[int]],
                   rng: random.Random) -> None:
    """Stage-2 sheets from every reader of each flagged application (when re-scoring)."""
    from voting.stages import flagged_of

    consensus = next(s for s in inputs["rules"]["stages"] if s["kind"] == "consensus")
    if not consensus["rescore"]:
        return
    for app in flagged_of(inputs):
        for m in readers_of[app]:
            inputs["sheets"].append({"member": inputs["panel"][m], "application": app,
                                     "stage": 2, "objection": False,
                                     "scores": {"impact": rng.randint(2, 4),
                                                "plan": rng.randint(2, 4)}})


def _add_ballots(inputs: dict[str, Any], rng: random.Random) -> None:
    """A ballot from every member: up to 10 rankings, or 2 to 8 approvals, of the shortlist."""
    from voting.stages import shortlist_of

    shortlist = shortlist_of(inputs)
    ranked = next(s for s in inputs["rules"]["stages"] if s["kind"] == "ranked")
    conflicted: dict[str, set[str]] = {}
    for c in inputs["conflicts"]:
        conflicted.setdefault(c["member"], set()).add(c["application"])
    for member in inputs["panel"]:
        allowed = [a for a in shortlist if a not in conflicted.get(member, set())]
        if ranked["method"] == "approval":
            chosen = sorted(rng.sample(allowed, min(len(allowed), rng.randint(2, 8))))
            inputs["ballots"].append({"member": member, "stage": "ranked",
                                      "approved": chosen})
        else:
            chosen = rng.sample(allowed, min(len(allowed), 10))
            inputs["ballots"].append({"member": member, "stage": "ranked",
                                      "ranking": chosen})


def _add_consents(inputs: dict[str, Any]) -> None:
    """Every member consents, but one objects to the first funded application (chain A:
    the supermajority still holds)."""
    from voting.stages import decide_stages

    consent = next(s for s in inputs["rules"]["stages"] if s["kind"] == "consent")
    funded = decide_stages(inputs)["funding"]["funded"] if consent["rule"] != "no-objection" \
        else []
    for i, member in enumerate(inputs["panel"]):
        objects = i == 0 and funded
        inputs["consents"].append({"member": member,
                                   "position": "object" if objects else "consent",
                                   "application": funded[0] if objects else None})


def _best(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    best, out = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def measure(n_apps: int, n_members: int, chain: str, repeats: int = 2) -> dict[str, Any]:
    """Decide, seal and verify one round; the times, the record's size and what it did."""
    inputs = round_inputs(n_apps, n_members, chain)
    decide, record = _best(lambda: build_record(inputs, previous_digest=None), repeats)
    data = canonical_json(record)
    verify, report = _best(lambda: verify_record_bytes(data), repeats)
    if not report.ok:
        raise RuntimeError(f"the benchmark record does not verify: {report.mismatch}: "
                           f"{report.message}")
    outputs = record["outputs"]
    return {
        "chain": chain, "applications": n_apps, "members": n_members,
        "sheets": len(inputs["sheets"]), "ballots": len(inputs["ballots"]),
        "decide_s": round(decide, 4), "verify_s": round(verify, 4),
        "record_bytes": len(data),
        "flagged": len(outputs.get("consensus", {}).get("flagged", [])),
        "funded": len(outputs.get("funding", {}).get("funded", [])),
    }


def section(*, quick: bool = False) -> int:
    """Print and save the table; 0 (a benchmark records, it does not fail on time)."""
    sizes = [(100, 10)] + ([] if quick else [(1_000, 100)])
    rows = [measure(n, m, chain) for n, m in sizes for chain in CHAINS]
    print("\n== every decision stage: decide and verify ==")
    print("| chain | applications x members | sheets | ballots | flagged | funded "
          "| decide s | verify s | record |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['chain']} | {r['applications']:,} x {r['members']:,} | {r['sheets']:,} "
              f"| {r['ballots']:,} | {r['flagged']} | {r['funded']} | {r['decide_s']:.3f} "
              f"| {r['verify_s']:.3f} | {r['record_bytes'] / 1e6:.2f} MB |")
    growth = {}
    if len(sizes) == 2:
        ratio = math.log((sizes[1][0] * sizes[1][1]) ** 0.5 / (sizes[0][0] * sizes[0][1]) ** 0.5)
        for chain in CHAINS:
            small, big = (next(r for r in rows if r["chain"] == chain
                               and r["applications"] == n) for n, _ in sizes)
            growth[chain] = {k: round(math.log(big[k] / small[k]) / ratio, 2)
                             for k in ("decide_s", "verify_s")}
        print("growth exponents (per tenfold applications):",
              ", ".join(f"{c}: decide {g['decide_s']}, verify {g['verify_s']}"
                        for c, g in growth.items()))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"rows": rows, "growth": growth}, indent=2) + "\n",
                       encoding="utf-8")
    print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(section(quick="--quick" in sys.argv[1:]))
