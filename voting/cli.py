"""Command line for the voting library.

    python -m voting verify RECORD.json
    python -m voting verify --chain R1.json R2.json ...
    python -m voting tabulate --method METHOD [--seats N] [--budget B] [--utility cost|approval]
                              [--tie-break RULE [--seed SEED]] [--completion C] FILE
    python -m voting count ...   (the same as tabulate)
    python -m voting methods

``verify`` first checks the file is exactly the record's canonical JSON bytes (a pretty-printed
or re-saved copy is refused, saying so) and that ``applications`` are sorted by id; then it
reads the record's ``schema_version`` and checks it by the rules of that version (1, frozen,
or 2; see ``docs/record-format.md``); an unknown version is a mismatch that names it.  A
per-application field is named by the application's id (``outputs.applications[id=A-004].mean``).
It exits 0 when every check passes and 1 on the first mismatch (named); 2 on a file that
cannot be read.  ``--chain`` verifies each file, then that each record's ``previous_digest``
is the digest of the one before, naming the files of a fork or a gap.  The same command runs
from the single-file verifier the app serves: ``python3 grantpanel-verify.pyz verify RECORD.json``.

``tabulate`` counts a ballot file and prints JSON: ``winners`` (the elected or funded options,
by their ids as written in the file, in election/selection order) and ``rounds`` (each round's
tallies, elected and excluded, by id).  Ranked methods (irv, stv, borda, schulze, ranked-pairs)
read PrefLib files (.soc, .soi, .toc, .toi; ties allowed) or ordinal Pabulib files; approval
reads the first tier of a PrefLib file or a Pabulib file; greedy and equal-shares read a Pabulib
file, with the budget from its META section unless ``--budget`` is given (score and cumulative
Pabulib votes count as utilities for equal-shares).  ``--seats`` (default 1) is for stv,
approval, borda, schulze and ranked-pairs; more seats than candidates elects every candidate.
``--tie-break`` is one of ``order``, ``previous-rounds``, ``previous-rounds-random``,
``random`` (see :mod:`voting.ranked`): irv and stv accept all four, borda, schulze,
ranked-pairs and approval ``order`` or ``random``.  Without it each method uses its own
default (for stv the statutory Scottish look-back, ``previous-rounds``).  The random ones need
``--seed``, 64 lowercase hex characters (like a decision record's seed); lots are drawn with
``voting.draws.generator(seed, "tie-break")``, so anyone with the seed gets the same count.
``--completion`` (equal-shares only) is ``none`` (default), ``add1``, ``add1-exhaustive``,
``utilitarian`` or ``add1-utilitarian`` (see :func:`voting.budget.equal_shares`).  A file or
option that cannot be counted gives one line on stderr naming the file and line, and exit
status 2.

``methods`` lists the method keys with a one-line summary each.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from voting.errors import VotingError


def _verify_file(path: str) -> tuple[int, Any]:
    """Verify one file, printing its checks: (exit status, the record or None)."""
    from voting.record import name_by_id, verify_record_bytes

    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        print(f"Cannot read {path}: {e.strerror}.", file=sys.stderr)
        return 2, None
    try:
        record = json.loads(data.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError as e:
        print(f"{path} is not UTF-8 text: {e.reason} at byte {e.start}.", file=sys.stderr)
        return 2, None
    except json.JSONDecodeError as e:
        print(f"{path} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}.",
              file=sys.stderr)
        return 2, None
    report = verify_record_bytes(data)
    for line in report.checks:
        print(f"checked: {line}")
    if report.ok:
        return 0, record
    if report.mismatch == "file":
        print(f"NOT CANONICAL: {path}: {report.message}", file=sys.stderr)
    else:
        where = name_by_id(record, report.mismatch or "record")
        print(f"MISMATCH at {where}: {report.message}", file=sys.stderr)
    return 1, None


def _verify(path: str) -> int:
    status, _ = _verify_file(path)
    if status == 0:
        print("OK: the record verifies. Every output matches its inputs and rules.")
    return status


def _verify_chain(paths: Sequence[str]) -> int:
    from voting.record import check_chain

    records: list[tuple[str, Any]] = []
    worst = 0
    for path in paths:
        print(f"== {path}")
        status, record = _verify_file(path)
        worst = max(worst, status)
        if status == 0:
            print(f"OK: {path} verifies.")
            records.append((path, record))
    if worst:
        print("FAILED: not every record verifies; the chain was not checked.", file=sys.stderr)
        return worst
    problems = check_chain(records)
    for problem in problems:
        print(f"CHAIN: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"OK: the chain of {len(records)} records holds: each record's previous_digest is "
          "the digest of the one before.")
    return 0


_BUDGET_FILE_HINT = "a Pabulib .pb file"


def _ranked_input(path: str, method: str) -> tuple[Any, Any, list[str], int]:
    """(ranks, weights, labels, n_candidates) from a PrefLib file or an ordinal Pabulib file."""
    from voting.formats import read_pabulib, read_preflib

    if path.lower().endswith(".pb"):
        pb = read_pabulib(path)
        if pb.ranks is None:
            raise VotingError(f"{method} needs ranked ballots, but this file's vote_type is "
                              f"{pb.vote_type!r}")
        return pb.ranks, None, list(pb.projects), len(pb.projects)
    data = read_preflib(path)
    labels = list(data.candidates)
    if data.has_ties:
        tied = []
        for b in range(data.ranks.shape[0]):
            groups: list[list[int]] = []
            for cand, tier in zip(data.ranks[b], data.tiers[b], strict=True):
                if cand < 0:
                    break
                if tier >= len(groups):
                    groups.append([])
                groups[tier].append(int(cand))
            tied.append([g[0] if len(g) == 1 else set(g) for g in groups])
        return tied, data.weights, labels, len(labels)
    return data.ranks, data.weights, labels, len(labels)


def _approval_input(path: str) -> tuple[Any, Any, list[str]]:
    """(approvals, weights, labels): a Pabulib file, or the top tier of a PrefLib file."""
    from voting.formats import read_pabulib, read_preflib

    if path.lower().endswith(".pb"):
        pb = read_pabulib(path)
        return pb.approval_matrix(), None, list(pb.projects)
    data = read_preflib(path)
    return data.top_tier_approvals(), data.weights, list(data.candidates)


def _tie_break_options(args: argparse.Namespace, key: str) -> dict[str, Any]:
    """``tie_break``/``rng`` keyword arguments from ``--tie-break`` and ``--seed``."""
    from voting.draws import generator

    rule = args.tie_break
    if rule is None:
        if args.seed is not None:
            raise VotingError("--seed is used only with --tie-break random or "
                              "previous-rounds-random")
        return {}
    if key not in ("irv", "stv", "borda", "schulze", "ranked-pairs", "approval"):
        raise VotingError(f"--tie-break does not apply to {key}")
    if key not in ("irv", "stv") and rule not in ("order", "random"):
        raise VotingError(f"{key} breaks ties by 'order' or 'random', not {rule!r}")
    if "random" in rule:
        if args.seed is None:
            raise VotingError(f"--tie-break {rule} needs --seed (64 lowercase hex characters)")
        return {"tie_break": rule, "rng": generator(args.seed, "tie-break")}
    if args.seed is not None:
        raise VotingError("--seed is used only with --tie-break random or previous-rounds-random")
    return {"tie_break": rule}


def _tabulate(args: argparse.Namespace) -> dict[str, Any]:
    from voting.registry import method

    info = method(args.method)
    path = args.file
    seats = 1 if args.seats is None else args.seats
    if seats < 1:
        raise VotingError("--seats must be at least 1")
    if info.key == "scores":
        raise VotingError("the scores method counts a decision record: use "
                          "'python -m voting verify RECORD.json'")
    fn = info.function
    ties = _tie_break_options(args, info.key)
    completion = None if args.completion == "none" else args.completion
    if completion is not None and info.key != "equal-shares":
        raise VotingError("--completion is for equal-shares only")
    out: dict[str, Any] = {"method": info.key, "file": path}
    if info.budget:
        from voting.formats import read_pabulib

        if not path.lower().endswith(".pb"):
            raise VotingError(f"{info.key} needs {_BUDGET_FILE_HINT} (projects, costs, budget)")
        pb = read_pabulib(path)
        budget = pb.budget if args.budget is None else args.budget
        if info.key == "equal-shares" and pb.scores is not None:
            result = fn(pb.scores, pb.costs, budget, utility="scores", completion=completion)
        elif info.key == "equal-shares":
            result = fn(pb.approval_matrix(), pb.costs, budget, utility=args.utility,
                        completion=completion)
        else:
            result = fn(pb.approval_matrix(), pb.costs, budget)
        labels = list(pb.projects)
        out["budget"] = budget
        out["spent"] = int(sum(int(pb.costs[j]) for j in result.winners))
    elif info.key == "approval":
        approvals, weights, labels = _approval_input(path)
        result = fn(approvals, weights=weights, seats=seats, **ties)
    else:
        ranks, weights, labels, n = _ranked_input(path, info.key)
        if info.key == "irv":
            if seats != 1:
                raise VotingError("irv elects one winner; use --method stv for several seats")
            result = fn(ranks, weights=weights, n_candidates=n, **ties)
        elif info.key == "stv":
            result = fn(ranks, seats, weights=weights, n_candidates=n, **ties)
        else:
            result = fn(ranks, weights=weights, n_candidates=n, seats=seats, **ties)
    body = result.as_dict(labels)
    out["winners"] = body["winners"]
    out["rounds"] = body["rounds"]
    return out


def _prog() -> str:
    """How the user ran us: ``python -m voting``, or the single-file verifier (``.pyz``)."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return f"python3 {name}" if name.endswith(".pyz") else "python -m voting"


def build_parser() -> argparse.ArgumentParser:
    from voting.budget import COMPLETIONS
    from voting.ranked import TIE_BREAKS

    p = argparse.ArgumentParser(prog=_prog(), description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="check a published decision record")
    v.add_argument("--chain", action="store_true",
                   help="check several records, oldest first, and that they form one chain")
    v.add_argument("record", nargs="+")
    t = sub.add_parser("tabulate", aliases=["count"], help="count a PrefLib or Pabulib file")
    t.add_argument("--method", required=True)
    t.add_argument("--seats", type=int, default=None)
    t.add_argument("--budget", type=int, default=None)
    t.add_argument("--utility", choices=["cost", "approval"], default="cost")
    t.add_argument("--tie-break", choices=list(TIE_BREAKS), default=None,
                   help="how ties are broken (default: the method's own rule)")
    t.add_argument("--seed", default=None,
                   help="64 hex characters; needed by the random tie-breaks")
    t.add_argument("--completion", choices=["none", *(c for c in COMPLETIONS if c)],
                   default="none", help="equal-shares only: how leftover money is used")
    t.add_argument("file")
    sub.add_parser("methods", help="list the counting methods")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "verify":
        if args.chain:
            return _verify_chain(args.record)
        if len(args.record) != 1:
            build_parser().error("verify takes one RECORD.json (use --chain for several)")
        return _verify(args.record[0])
    if args.command == "methods":
        from voting.registry import METHODS

        for key, m in METHODS.items():
            print(f"{key:14} {m.summary}")
        return 0
    try:
        out = _tabulate(args)
    except VotingError as e:
        print(f"{args.file}: {e}", file=sys.stderr)
        return 2
    except NotImplementedError:
        print(f"{args.file}: the {args.method} method is not available yet", file=sys.stderr)
        return 2
    except Exception as e:  # never a traceback on the command line
        print(f"{args.file}: could not count this file ({type(e).__name__}: {e})",
              file=sys.stderr)
        return 2
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0
