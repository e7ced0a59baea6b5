"""Benchmark the assignment solver (shared-out reading, issue 9).

Run on its own with ``python -m benchmarks.assignment`` (``--quick`` for 1,000 x 100 only), or
as the "assignment" section of ``make bench`` (skip it with ``--skip-assignment``).

The solver alone (``grantpanel.services.assignment_solver.solve``: building the arrays, the
OR-Tools minimum-cost flow, reading the flows back), no database: 10,000 applications x
1,000 members x k = 5 (and 1,000 x 100 x 5), with 1% of (application, member) pairs
conflicted at random (numpy PCG64, a fixed seed). For each size:

* **first run**: an empty assignment, no capacities, no preferences;
* **re-run after a late conflict**: one assigned member declares a conflict on one of their
  applications; the whole round is solved again from the first run (the fewest changes);
* **repair**: the same, but only the affected application is re-assigned (what the app does
  when a conflict is declared);

each with its time (best of ``REPEATS`` for the small size, one run for the large), the loads'
min and max, the number of applications short of readers, and how many pairs changed. The
process's peak resident memory is reported too (the solver's arrays live in C++, which
``tracemalloc`` cannot see). Target: the first run of 10,000 x 1,000 x 5 in under 10 s.

Results: a table on stdout and ``benchmarks/results/assignment-latest.json``
(``assignment-quick.json`` with ``--quick``).
"""

from __future__ import annotations

import json
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from grantpanel.services.assignment_solver import Problem, Solution, solve

SEED = 20261204
READERS = 5
CONFLICT_RATE = 0.01
TARGET_SECONDS = 10.0
TARGET_SIZE = (10_000, 1_000)
REPEATS = 3
RESULTS = Path(__file__).resolve().parent / "results"


def _timed(problem: Problem, repeats: int) -> tuple[float, Solution]:
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = solve(problem)
        best = min(best, time.perf_counter() - start)
    assert out is not None
    return best, out


def _row(size: str, step: str, seconds: float, s: Solution) -> dict[str, Any]:
    return {"size": size, "step": step, "seconds": round(seconds, 3),
            "loads_min": int(s.loads.min()), "loads_max": int(s.loads.max()),
            "short": int(len(s.short)), "added": int(len(s.added)),
            "removed": int(len(s.removed)), "even": s.even, "arcs": s.stats.get("arcs")}


def measure(n_apps: int, n_members: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(SEED)
    conflicts = np.argwhere(rng.random((n_apps, n_members)) < CONFLICT_RATE)
    size = f"{n_apps:,} x {n_members:,} x {READERS}"
    repeats = 1 if n_apps * n_members > 1_000_000 else REPEATS
    first_s, first = _timed(Problem(n_applications=n_apps, n_members=n_members,
                                    readers=READERS, conflicts=conflicts), repeats)
    a, m = (int(x) for x in first.pairs[len(first.pairs) // 2])
    late = np.vstack([conflicts, [[a, m]]])
    rerun_s, rerun = _timed(Problem(n_applications=n_apps, n_members=n_members,
                                    readers=READERS, conflicts=late, current=first.pairs),
                            repeats)
    repair_s, repair = _timed(Problem(n_applications=n_apps, n_members=n_members,
                                      readers=READERS, conflicts=late, current=first.pairs,
                                      only=[a]), repeats)
    return [_row(size, "first run", first_s, first),
            _row(size, "re-run after a late conflict", rerun_s, rerun),
            _row(size, "repair of that application only", repair_s, repair)]


def section(quick: bool = False) -> int:
    """Print and save the table; 0 when the full-size first run meets its target (always 0
    with ``quick``, which does not run the full size)."""
    sizes = [(1_000, 100)] + ([] if quick else [TARGET_SIZE])
    rows: list[dict[str, Any]] = []
    for n_apps, n_members in sizes:
        print(f"running assignment {n_apps:,} x {n_members:,} ...", file=sys.stderr, flush=True)
        rows += measure(n_apps, n_members)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    target_row = next((r for r in rows if r["step"] == "first run"
                       and r["size"].startswith(f"{TARGET_SIZE[0]:,} x")), None)
    passed = None if target_row is None else target_row["seconds"] < TARGET_SECONDS
    print("\n== assignment solver (OR-Tools min-cost flow, 1% conflicts) ==")
    print("| applications x members x k | step | seconds | loads min-max | short "
          "| added | removed | even share | pair arcs |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['size']} | {r['step']} | {r['seconds']:.3f} | {r['loads_min']}-"
              f"{r['loads_max']} | {r['short']} | {r['added']:,} | {r['removed']:,} "
              f"| {'yes' if r['even'] else 'no'} | {r['arcs']:,} |")
    print(f"peak resident memory of the process: {peak_mb:,.0f} MB")
    if passed is not None:
        print(f"target: first run of {TARGET_SIZE[0]:,} x {TARGET_SIZE[1]:,} x {READERS} under "
              f"{TARGET_SECONDS:.0f} s: {'pass' if passed else 'FAIL'}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / ("assignment-quick.json" if quick else "assignment-latest.json")
    out.write_text(json.dumps({
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "seed": SEED, "readers": READERS, "conflict_rate": CONFLICT_RATE,
        "target_seconds": TARGET_SECONDS, "passed": passed, "peak_rss_mb": round(peak_mb),
        "rows": rows}, indent=2) + "\n", encoding="utf-8")
    print(f"written to {out}")
    return 0 if passed is not False else 1


if __name__ == "__main__":
    raise SystemExit(section(quick="--quick" in sys.argv[1:]))
