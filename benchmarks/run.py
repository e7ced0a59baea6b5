"""Benchmark the voting library against peer implementations on the same inputs.

Run with ``make bench`` (``python -m benchmarks.run``).  Everything is in one process:

* Ballots are generated with a fixed seed (numpy PCG64), so every run counts the same input.
* Our timings include input validation (it happens inside every public function).
* Peers are timed on the same input, *including* conversion into their input types.
* Each timing is the best of a few repeats with ``time.perf_counter``.  Slow peers are run
  once; a peer that would take too long on the full input is run on a random subsample and its
  time extrapolated linearly to the full size (the table says so: "x10 extrapolated").
* Memory: peak extra memory traced by ``tracemalloc`` (numpy allocations are traced) during one
  more call of our function, divided by the input array's ``nbytes``.
* Where both sides run on the same input the winners/selection are compared and reported.

Results: a table on stdout and ``benchmarks/results/latest.json`` (with machine information).
Methods that are not implemented yet are reported as "not available", never a crash.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

SEED = 20261121
RESULTS = Path(__file__).parent / "results"
PEER_BUDGET_S = 90.0  # run a peer on the full input only if its extrapolated time is below this


@dataclass
class Row:
    method: str
    size: str
    ours_s: float | None = None
    target: str = ""
    peer: str = ""
    peer_s: float | None = None
    peer_note: str = ""
    ratio: float | None = None
    memory_ratio: float | None = None
    passed: bool | None = None
    same_result: bool | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# Targets from the engine's issue (speed on this 2-core machine; memory vs the input array).
IRV_SECONDS = 0.15
IRV_PEER_RATIO = {"pref_voting": 200, "pyrankvote": 50}
STV_SECONDS = 0.05
MEMORY_RATIO = 3.0


def best_of(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    best = float("inf")
    out: Any = None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def peak_memory(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        cpu = platform.processor()
    return {
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "cpu": cpu,
        "cores": os.cpu_count(),
        "numpy": np.__version__,
    }


def peer_timing(
    run: Callable[[int], Any], n: int, sample: int, repeats: int = 1
) -> tuple[float, str, Any, int]:
    """Time ``run(k)`` (which counts the first k ballots) for the full size n if affordable.

    The peer first runs on ``sample`` ballots; if the linear extrapolation to n is within
    PEER_BUDGET_S it runs again on all n.  Returns (seconds for n ballots, a note, the output,
    the number of ballots that output is for).
    """
    if sample >= n:
        t, out = best_of(lambda: run(n), repeats)
        return t, "", out, n
    t_small, out_small = best_of(lambda: run(sample), repeats)
    estimate = t_small * n / sample
    if estimate > PEER_BUDGET_S:
        return estimate, f"run on {sample:,} ballots, time x{n // sample} extrapolated", out_small, sample
    t_full, out = best_of(lambda: run(n), 1)
    return t_full, "", out, n


# --- inputs -------------------------------------------------------------------------------------


def ranked_ballots(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """Complete rankings from a Plackett-Luce model (candidates of unequal strength)."""
    strength = np.log(rng.uniform(0.5, 3.0, size=k))
    keys = strength + rng.gumbel(size=(n, k))
    return np.argsort(-keys, axis=1).astype(np.int8)


def approval_ballots(rng: np.random.Generator, n: int, m: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Approvals with unequal project popularity (about 10 of 100 approved), costs, budget."""
    popularity = rng.beta(1.2, 10, size=m)
    approvals = rng.random((n, m)) < popularity
    costs = rng.integers(20, 400, size=m) * 1000
    budget = int(costs.sum() * 0.3)
    return approvals, costs, budget


# --- peers --------------------------------------------------------------------------------------


def pyrankvote_irv(ranks: np.ndarray) -> int:
    import pyrankvote
    from pyrankvote import Ballot, Candidate

    cands = [Candidate(str(c)) for c in range(ranks.shape[1])]
    ballots = [Ballot(ranked_candidates=[cands[c] for c in row if c >= 0]) for row in ranks]
    result = pyrankvote.instant_runoff_voting(cands, ballots)
    return int(result.get_winners()[0].name)


def pyrankvote_stv(ranks: np.ndarray, seats: int) -> set[int]:
    import pyrankvote
    from pyrankvote import Ballot, Candidate

    cands = [Candidate(str(c)) for c in range(ranks.shape[1])]
    ballots = [Ballot(ranked_candidates=[cands[c] for c in row if c >= 0]) for row in ranks]
    result = pyrankvote.single_transferable_vote(cands, ballots, number_of_seats=seats)
    return {int(c.name) for c in result.get_winners()}


def pref_voting_irv(ranks: np.ndarray) -> list[int]:
    from pref_voting.iterative_methods import instant_runoff
    from pref_voting.profiles import Profile

    return [int(c) for c in instant_runoff(Profile(ranks.astype(np.int64)))]


def pref_voting_stv(ranks: np.ndarray, seats: int) -> set[int]:
    from pref_voting.profiles import Profile
    from pref_voting.proportional_methods import stv_scottish

    return {int(c) for c in stv_scottish(Profile(ranks.astype(np.int64)), num_seats=seats)}


def pabutools_inputs(approvals: np.ndarray, costs: np.ndarray, budget: int) -> tuple[Any, Any, list[Any]]:
    from pabutools.election import ApprovalBallot, ApprovalProfile, Instance, Project

    projects = [Project(f"p{j:03d}", int(c)) for j, c in enumerate(costs)]
    instance = Instance(projects, budget_limit=budget)
    profile = ApprovalProfile(
        [ApprovalBallot(projects[j] for j in np.flatnonzero(row)) for row in approvals]
    )
    return instance, profile, projects


def pabutools_mes(approvals: np.ndarray, costs: np.ndarray, budget: int) -> list[int]:
    from pabutools.election import Cost_Sat
    from pabutools.rules import method_of_equal_shares

    instance, profile, _ = pabutools_inputs(approvals, costs, budget)
    return [int(p.name[1:]) for p in method_of_equal_shares(instance, profile, sat_class=Cost_Sat)]


def pabutools_greedy(approvals: np.ndarray, costs: np.ndarray, budget: int) -> list[int]:
    from pabutools.election import Cost_Sat
    from pabutools.rules import greedy_utilitarian_welfare
    from pabutools.tiebreaking import TieBreakingRule

    instance, profile, _ = pabutools_inputs(approvals, costs, budget)
    tie = TieBreakingRule(lambda _i, _p, proj: (proj.cost, proj.name))
    alloc = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat, tie_breaking=tie)
    return [int(p.name[1:]) for p in alloc]


# --- cases --------------------------------------------------------------------------------------


def _available(fn: Callable[[], Any]) -> str | None:
    try:
        fn()
    except NotImplementedError:
        return "not available (NotImplementedError)"
    except Exception as e:  # report, do not crash the benchmark
        return f"not available ({type(e).__name__}: {e})"
    return None


def bench_irv(rows: list[Row], n: int, k: int, repeats: int) -> None:
    from voting.ranked import irv

    rng = np.random.default_rng(SEED)
    ranks = ranked_ballots(rng, n, k)
    size = f"{n:,} x {k}"
    problem = _available(lambda: irv(ranks[:100]))
    if problem:
        rows.append(Row("irv", size, note=problem, passed=None))
        return
    ours_s, result = best_of(lambda: irv(ranks), repeats)
    mem = peak_memory(lambda: irv(ranks)) / ranks.nbytes
    peers = [
        ("pref_voting", lambda m: pref_voting_irv(ranks[:m]), 100_000,
         lambda out, w: out == [w]),
        ("pyrankvote", lambda m: pyrankvote_irv(ranks[:m]), 10_000,
         lambda out, w: out == w),
    ]
    for name, run, sample, same in peers:
        need = IRV_PEER_RATIO[name]
        row = Row("irv", size, ours_s=ours_s, memory_ratio=mem, peer=name,
                  target=f"<= {IRV_SECONDS} s, >= {need}x peer, mem <= {MEMORY_RATIO}x",
                  extra={"winner": result.winners[0], "rounds": len(result.rounds)})
        problem = _available(lambda run=run: run(100))
        if problem:
            row.peer_note = problem
        else:
            peer_s, note, out, used = peer_timing(run, n, sample)
            row.peer_s, row.peer_note = peer_s, note
            row.ratio = peer_s / ours_s
            winner = result.winners[0] if used == n else irv(ranks[:used]).winners[0]
            row.same_result = bool(same(out, winner))
            if used < n:
                row.note = f"same winner checked on the {used:,}-ballot subsample"
        row.passed = (
            row.same_result is not False
            and ours_s <= IRV_SECONDS
            and mem <= MEMORY_RATIO
            and row.ratio is not None
            and row.ratio >= need
        )
        rows.append(row)


def bench_stv(rows: list[Row], n: int, k: int, seats: int, repeats: int) -> None:
    from voting.ranked import stv

    rng = np.random.default_rng(SEED + 1)
    ranks = ranked_ballots(rng, n, k)
    size = f"{n:,} x {k}, {seats} seats"
    problem = _available(lambda: stv(ranks[:100], seats))
    if problem:
        rows.append(Row("stv", size, note=problem))
        return
    ours_s, result = best_of(lambda: stv(ranks, seats), repeats)
    mem = peak_memory(lambda: stv(ranks, seats)) / ranks.nbytes
    for name, run, sample in (
        ("pref_voting stv_scottish", lambda m: pref_voting_stv(ranks[:m], seats), 20_000),
        ("pyrankvote", lambda m: pyrankvote_stv(ranks[:m], seats), 10_000),
    ):
        row = Row("stv", size, ours_s=ours_s, memory_ratio=mem, peer=name,
                  target=f"<= {STV_SECONDS} s, mem <= {MEMORY_RATIO}x",
                  extra={"winners": list(result.winners)})
        problem = _available(lambda run=run: run(200))
        if problem:
            row.peer_note = problem
        else:
            peer_s, note, out, used = peer_timing(run, n, sample)
            row.peer_s, row.peer_note, row.ratio = peer_s, note, peer_s / ours_s
            winners = result.winners if used == n else stv(ranks[:used], seats).winners
            row.same_result = out == set(winners)
            if used < n:
                row.note = f"same winners checked on the {used:,}-ballot subsample"
            if name == "pyrankvote":
                row.note = "; ".join(
                    x for x in (row.note, "pyrankvote's STV rules differ from Scottish STV") if x)
        same_ok = True if name == "pyrankvote" else row.same_result is not False
        row.passed = same_ok and ours_s <= STV_SECONDS and mem <= MEMORY_RATIO
        rows.append(row)


def bench_equal_shares(rows: list[Row], n: int, m: int, repeats: int) -> None:
    from voting.budget import equal_shares

    rng = np.random.default_rng(SEED + 2)
    approvals, costs, budget = approval_ballots(rng, n, m)
    ours_s, result = best_of(lambda: equal_shares(approvals, costs, budget), repeats)
    mem = peak_memory(lambda: equal_shares(approvals, costs, budget)) / approvals.nbytes
    row = Row("equal-shares (cost utility)", f"{n:,} x {m}", ours_s=ours_s,
              target=f"<= 0.3 s, >= 30x peer, mem <= {MEMORY_RATIO}x",
              peer="pabutools method_of_equal_shares",
              memory_ratio=mem, extra={"selected": len(result.winners)})
    problem = _available(lambda: pabutools_mes(approvals[:50], costs, budget))
    if problem:
        row.peer_note = problem
        row.passed = ours_s <= 0.3
    else:
        peer_s, out = best_of(lambda: pabutools_mes(approvals, costs, budget), 1)
        row.peer_s, row.ratio = peer_s, peer_s / ours_s
        row.same_result = out == list(result.winners)
        row.passed = (ours_s <= 0.3 and row.ratio >= 30 and bool(row.same_result)
                      and mem <= MEMORY_RATIO)
    rows.append(row)


def bench_greedy(rows: list[Row], n: int, m: int, repeats: int) -> None:
    from voting.budget import greedy

    rng = np.random.default_rng(SEED + 3)
    approvals, costs, budget = approval_ballots(rng, n, m)
    ours_s, result = best_of(lambda: greedy(approvals, costs, budget), repeats)
    mem = peak_memory(lambda: greedy(approvals, costs, budget)) / approvals.nbytes
    row = Row("greedy", f"{n:,} x {m}", ours_s=ours_s, target=f"<= 0.02 s, mem <= {MEMORY_RATIO}x",
              peer="pabutools greedy_utilitarian_welfare", memory_ratio=mem)
    problem = _available(lambda: pabutools_greedy(approvals[:50], costs, budget))
    if problem:
        row.peer_note = problem
    else:
        peer_s, out = best_of(lambda: pabutools_greedy(approvals, costs, budget), 1)
        row.peer_s, row.ratio = peer_s, peer_s / ours_s
        row.same_result = out == list(result.winners)
    row.passed = ours_s <= 0.02 and row.same_result is not False and mem <= MEMORY_RATIO
    rows.append(row)


# --- output -------------------------------------------------------------------------------------


def _fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def table(rows: list[Row]) -> str:
    head = ["method", "size", "ours s", "target", "peer", "peer s", "ratio", "mem x",
            "same", "pass", "notes"]
    body = []
    for r in rows:
        notes = "; ".join(x for x in (r.peer_note, r.note) if x)
        body.append([
            r.method, r.size, _fmt(r.ours_s, ".4f"), r.target or "-", r.peer or "-",
            _fmt(r.peer_s, ".3f"), _fmt(r.ratio, ".0f") + ("x" if r.ratio else ""),
            _fmt(r.memory_ratio, ".2f"),
            "-" if r.same_result is None else ("yes" if r.same_result else "NO"),
            "-" if r.passed is None else ("pass" if r.passed else "FAIL"), notes,
        ])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))
              for row in body]
    return "\n".join(lines)


def web_section(quick: bool) -> int:
    """The web load section (``benchmarks/web.py``): gunicorn and PostgreSQL under 50
    signed-in panel members; its own table and ``results/web-latest.json``. Skipped, with a
    message, when PostgreSQL is not reachable."""
    from benchmarks import web

    return _guarded("web", lambda: web.section(quick=quick))


def imports_section(quick: bool, args: list[str]) -> int:
    """The CSV import section (``benchmarks/imports.py``): 10,000 and 100,000 applications
    through the real service, on SQLite and (with ``DATABASE_URL``) PostgreSQL; its own table
    and ``results/imports-latest.json``. Skipped with ``--skip-imports``."""
    from benchmarks import imports

    if "--skip-imports" in args:
        return 0
    return _guarded(
        "imports", lambda: imports.section(quick=quick, postgres=imports.postgres_url(args))
    )


def scale_section(quick: bool, args: list[str]) -> int:
    """The growing-round section (``benchmarks/scale.py``): every step at 1,000 x 100 and
    10,000 x 1,000 and its growth exponent; its own table and ``results/scale-latest.json``.
    Skipped with ``--skip-scale``."""
    from benchmarks import imports, scale

    if "--skip-scale" in args:
        return 0
    return _guarded("scale", lambda: scale.section(quick=quick,
                                                   postgres=imports.postgres_url(args)))


def stages_section(quick: bool, args: list[str]) -> int:
    """Every decision stage switched on (``benchmarks/stages.py``): deciding and verifying a
    round of 1,000 applications x 100 members, and the record's size; its own table and
    ``results/stages-latest.json``. Skipped with ``--skip-stages``."""
    from benchmarks import stages

    if "--skip-stages" in args:
        return 0
    return _guarded("stages", lambda: stages.section(quick=quick))


def assignment_section(quick: bool, args: list[str]) -> int:
    """The assignment solver (``benchmarks/assignment.py``): 10,000 applications x 1,000
    members x 5 readers with 1% conflicts (1,000 x 100 with ``--quick``); its own table and
    ``results/assignment-latest.json``. Skipped with ``--skip-assignment``."""
    from benchmarks import assignment

    if "--skip-assignment" in args:
        return 0
    return _guarded("assignment", lambda: assignment.section(quick=quick))


def _guarded(name: str, run: Callable[[], int]) -> int:
    """Run one section; an error is reported (and fails the run) without hiding the others'."""
    try:
        return run()
    except Exception as e:
        print(f"\n{name} section error: {type(e).__name__}: {e}")
        return 1


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    quick = "--quick" in args  # small sizes, for a smoke test
    scale = 100 if quick else 1
    repeats = 3
    rows: list[Row] = []
    cases: list[tuple[str, Callable[[], None]]] = [
        ("greedy", lambda: bench_greedy(rows, 100_000 // scale, 100, 5)),
        ("equal-shares", lambda: bench_equal_shares(rows, 100_000 // scale, 100, repeats)),
        ("irv", lambda: bench_irv(rows, 1_000_000 // scale, 20, repeats)),
        ("stv", lambda: bench_stv(rows, 100_000 // scale, 15, 3, repeats)),
    ]
    for name, case in cases:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            case()
        except Exception as e:  # one failing case must not hide the others
            rows.append(Row(name, "-", note=f"benchmark error: {type(e).__name__}: {e}"))
    print(table(rows))
    info = machine()
    print(f"\n{info['cpu']} ({info['cores']} cores), {info['platform']}, "
          f"Python {info['python']}, numpy {info['numpy']}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"machine": info, "seed": SEED, "quick": quick,
           "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "rows": [asdict(r) for r in rows]}
    name = "quick.json" if quick else "latest.json"
    (RESULTS / name).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    web_status = web_section(quick)
    imports_status = imports_section(quick, args)
    scale_status = scale_section(quick, args)
    stages_status = stages_section(quick, args)
    assignment_status = assignment_section(quick, args)
    sections_ok = (web_status == 0 == imports_status == scale_status == stages_status
                   == assignment_status)
    return 0 if all(r.passed is not False for r in rows) and sections_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
