"""Benchmark a growing round: does every step grow at most linearly? (issue 8)

Run on its own with ``python -m benchmarks.scale`` (``--quick`` for small sizes), or as the
"scale" section of ``make bench``. The round is built straight into the database with bulk
inserts (users, memberships, applications, 5 readers per application, one conflict per
application), then each step is timed at two sizes, and the growth exponent between them is
``log(t_big / t_small) / log(size_big / size_small)`` (1.0 is linear).

* Sizes: 1,000 applications x 100 members and 10,000 x 1,000 (``--quick``: 100 x 10 and
  1,000 x 100). Each step is the best of 2 runs (1 at the big size for the slow ones).
* Database: SQLite in a temporary file; PostgreSQL as well when ``DATABASE_URL`` names one
  (a scratch schema ``bench_scale``, dropped afterwards).
* Steps: the engine on the record's inputs (``voting.record.record_outputs``, the round's
  schema), gathering those inputs (``counting.record_inputs``), verifying a built record and
  its size, running and storing the count and the check made on confirming, the staff
  progress counts (one page of 100 and the whole round), the panel's
  "must I check for conflicts?" question, and pages through the Flask test client (panel
  home, a member's queue, the staff count page and the staff progress page).
* Targets (issue 8): exponent <= 1.15 between the two sizes for every step.

Results: a table on stdout and ``benchmarks/results/scale-latest.json``.
"""

from __future__ import annotations

import json
import math
import os
import random
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.imports import scratch_app

SCHEMA = "bench_scale"
READERS = 5
TARGET_EXPONENT = 1.15


@dataclass
class Step:
    name: str
    seconds: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    exponent: float | None = None
    passed: bool | None = None
    note: str = ""


def build_round(n_apps: int, n_members: int) -> int:
    """A closed round with ``n_apps`` applications, ``n_members`` members, READERS submitted
    sheets per application and one conflict per application; returns its id."""
    from sqlalchemy import insert, select

    from grantpanel.extensions import db
    from grantpanel.models import (
        Application,
        Conflict,
        Criterion,
        Membership,
        Round,
        ScoreSheet,
        User,
        utcnow,
    )
    from voting.draws import seed_commitment

    rng = random.Random(20261202)
    seed = secrets.token_hex(32)
    now = utcnow()
    staff = User(email=f"staff-{secrets.token_hex(4)}@example.org", name="Bench staff",
                 role="staff", session_nonce=secrets.token_hex(16))
    rnd = Round(name=f"Scale {n_apps} x {n_members}", budget=n_apps * 3_000_00, state="closed",
                tie_break=["smaller_amount", "draw"], seed=seed,
                seed_commitment=seed_commitment(seed), quorum=3)
    db.session.add_all([staff, rnd])
    db.session.flush()
    for pos, key in enumerate(("c1", "c2"), start=1):
        db.session.add(Criterion(round_id=rnd.id, position=pos, key=key, name=f"Question {pos}",
                                 guidance="", weight=pos, scale_min=1, scale_max=5,
                                 descriptors=["1", "2", "3", "4", "5"]))
    tag = secrets.token_hex(3)
    db.session.execute(insert(User), [
        {"email": f"m{i}-{tag}@example.org", "name": f"Member {i}", "role": "panel",
         "session_nonce": secrets.token_hex(8), "created_at": now}
        for i in range(n_members)])
    user_ids = list(db.session.scalars(
        select(User.id).where(User.email.like(f"%-{tag}@example.org")).order_by(User.id)))
    db.session.execute(insert(Membership), [
        {"round_id": rnd.id, "user_id": uid, "number": i + 1, "created_at": now,
         "conflicts_checked_at": now}
        for i, uid in enumerate(user_ids)])
    member_ids = list(db.session.scalars(
        select(Membership.id).where(Membership.round_id == rnd.id).order_by(Membership.number)))
    db.session.execute(insert(Application), [
        {"round_id": rnd.id, "reference": f"A-{i:05d}", "applicant_name": f"Group {i}",
         "title": f"Warm room {i}", "summary": "Hot drinks and company.", "answers": "",
         "amount": rng.randint(500_00, 5_000_00), "eligible": True, "eligibility_reason": "",
         "created_at": now}
        for i in range(1, n_apps + 1)])
    app_ids = list(db.session.scalars(
        select(Application.id).where(Application.round_id == rnd.id)
        .order_by(Application.reference)))
    sheets, conflicts = [], []
    for i, app_id in enumerate(app_ids):
        readers = [member_ids[(i * READERS + r) % n_members] for r in range(READERS + 1)]
        for m in readers[:READERS]:
            sheets.append({"membership_id": m, "application_id": app_id, "stage": 1,
                           "status": "submitted", "scores": {"c1": rng.randint(1, 5),
                                                             "c2": rng.randint(1, 5)},
                           "panel_note": "", "feedback": "", "objection": False,
                           "objection_reason": "", "updated_at": now, "submitted_at": now})
        conflicts.append({"membership_id": readers[READERS], "application_id": app_id,
                          "category": "family", "note": "", "declared_by_id": staff.id,
                          "declared_at": now, "declared_role": "staff",
                          "declared_when": "before-close", "reason": ""})
    for start in range(0, len(sheets), 5_000):
        db.session.execute(insert(ScoreSheet), sheets[start:start + 5_000])
    db.session.execute(insert(Conflict), conflicts)
    db.session.commit()
    return rnd.id


def _best(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def measure(app: Any, round_id: int, label: str, steps: dict[str, Step], *,
            big: bool) -> None:
    """Time every step for the round ``round_id`` and store the seconds under ``label``."""
    from flask import g

    from grantpanel.extensions import db
    from grantpanel.models import Membership, Round, User
    from grantpanel.services import conflicts, counting, panel_admin
    from voting.record import build_record, canonical_json, record_outputs, verify_record

    repeats = 1 if big else 2
    rnd = db.session.get(Round, round_id)
    assert rnd is not None
    member = db.session.query(Membership).filter_by(round_id=round_id, number=1).one()
    staff = db.session.query(User).filter_by(role="staff").order_by(User.id.desc()).first()

    def record(name: str, fn: Callable[[], Any], r: int = repeats) -> Any:
        seconds, out = _best(fn, r)
        steps.setdefault(name, Step(name)).seconds[label] = round(seconds, 4)
        return out

    inputs = record("counting.record_inputs (database -> record inputs)",
                    lambda: counting.record_inputs(rnd))
    record("record_outputs (the engine on the record's inputs)",
           lambda: record_outputs(inputs))
    built = build_record(inputs)
    body = canonical_json(built)
    steps.setdefault("verify_record (a built record)", Step("verify_record (a built record)"))
    record("verify_record (a built record)", lambda: verify_record(json.loads(body)))
    steps["verify_record (a built record)"].extra[f"record MB {label}"] = round(
        len(body) / 2**20, 2)
    record("staff progress counts, one page of 100 members and 100 applications",
           lambda: (panel_admin.progress(rnd, limit=100),
                    panel_admin.application_progress(rnd, limit=100)))
    record("staff progress counts, the whole round",
           lambda: (panel_admin.progress(rnd), panel_admin.application_progress(rnd)))
    record("panel: must this member check for conflicts?",
           lambda: conflicts.needs_conflict_check(member))
    db.session.commit()

    def get(path: str, user: Any) -> Callable[[], int]:
        client = app.test_client()  # one browser per person

        def run() -> int:
            with client.session_transaction() as sess:
                sess["_user_id"] = user.get_id()
                sess["_fresh"] = True
            # The benchmark holds one app context, so requests share its ``g``: empty it, or
            # the previous request's signed-in user would answer for this one.
            for name in list(vars(g)):
                delattr(g, name)
            response = client.get(path)
            size = len(response.get_data())
            response.close()
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}: "
                                   f"{response.get_data(as_text=True)[-600:]}")
            return size

        return run

    # The count, run once and stored (services/count_runs.py); the page reads the stored run;
    # confirming re-reads the inputs to check nothing changed, then confirms the stored run.
    from grantpanel.services import count_runs

    def run_count() -> Any:
        count_run = count_runs.run(rnd, staff)
        db.session.flush()
        return count_run

    stored = record("count: run and store (count_runs.run)", run_count)
    db.session.commit()
    record("count: confirming re-reads the inputs (digest compared)",
           lambda: count_runs.inputs_digest(counting.record_inputs(rnd)) == stored.inputs_digest)

    for name, path, user in (
        ("page: staff count (stored count, page 1 of the ranking)",
         f"/staff/rounds/{round_id}/count", staff),
        ("page: panel home", "/panel/", member.user),
        ("page: a member's queue", f"/panel/rounds/{round_id}/", member.user),
        ("page: staff progress", f"/staff/rounds/{round_id}/progress", staff),
    ):
        size = record(name, get(path, user))
        steps[name].extra[f"KB {label}"] = round(size / 1024, 1)
    db.session.rollback()


def run_section(*, quick: bool = False, postgres_url: str | None = None,
                log: Callable[[str], None] = lambda s: print(s, file=sys.stderr,
                                                               flush=True)) -> dict[str, Any]:
    sizes = ((100, 10), (1_000, 100)) if quick else ((1_000, 100), (10_000, 1_000))
    databases = [("sqlite", None)] + ([("postgresql", postgres_url)] if postgres_url else [])
    results: dict[str, list[Step]] = {}
    for database, url in databases:
        steps: dict[str, Step] = {}
        with scratch_app(url, SCHEMA) as app:
            for n_apps, n_members in sizes:
                label = f"{n_apps:,} x {n_members:,}"
                log(f"scale: building {label} in {database} ...")
                round_id = build_round(n_apps, n_members)
                log(f"scale: measuring {label} in {database} ...")
                try:
                    measure(app, round_id, label, steps, big=n_apps == sizes[-1][0])
                except Exception as e:  # report, do not hide the other sizes
                    steps.setdefault("error", Step("error")).note = (
                        f"{label}: {type(e).__name__}: {str(e)[:300]}")
        small, big = (f"{a:,} x {m:,}" for a, m in sizes)
        factor = sizes[1][0] / sizes[0][0]
        for step in steps.values():
            t1, t2 = step.seconds.get(small), step.seconds.get(big)
            if t1 and t2:
                step.exponent = round(math.log(max(t2, 1e-6) / max(t1, 1e-6))
                                      / math.log(factor), 2)
                # Steps too fast to time reliably (under 5 ms at the big size) pass.
                step.passed = step.exponent <= TARGET_EXPONENT or t2 < 0.005
        results[database] = list(steps.values())
    return {
        "sizes": [f"{a:,} x {m:,}" for a, m in sizes],
        "target_exponent": TARGET_EXPONENT,
        "databases": {db_name: [asdict(s) for s in steps] for db_name, steps in results.items()},
        "table": "\n\n".join(f"{db_name}:\n{table(steps, sizes)}"
                             for db_name, steps in results.items()),
        "passed": all(s.passed is not False and s.name != "error"
                      for steps in results.values() for s in steps),
    }


def table(steps: list[Step], sizes: tuple[tuple[int, int], ...]) -> str:
    labels = [f"{a:,} x {m:,}" for a, m in sizes]
    head = ["step", *(f"s @ {label}" for label in labels), "exponent", "pass", "notes"]
    body = [
        [s.name, *(str(s.seconds.get(label, "-")) for label in labels),
         "-" if s.exponent is None else f"{s.exponent}",
         "-" if s.passed is None else ("pass" if s.passed else "FAIL"),
         "; ".join([*(f"{k}: {v}" for k, v in s.extra.items()), s.note]).strip("; ")]
        for s in steps
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))
              for row in body]
    return "\n".join(lines)


def section(*, quick: bool = False, postgres: str | None = None) -> int:
    """Run, print the table, write ``results/scale-latest.json`` (``scale-quick.json`` with
    ``quick``); 0 when every step grows at most as the target allows."""
    result = run_section(quick=quick, postgres_url=postgres)
    print("\nA growing round (benchmarks/scale.py): seconds per step and growth exponent")
    print(result["table"])
    out = Path(__file__).parent / "results" / ("scale-quick.json" if quick
                                               else "scale-latest.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    body = {k: v for k, v in result.items() if k != "table"}
    body["generated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    out.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    url = os.environ.get("DATABASE_URL", "").strip()
    raise SystemExit(section(quick="--quick" in args,
                             postgres=url if url.startswith("postgres") else None))
