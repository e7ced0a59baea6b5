"""Command line for the voting library.

    python -m voting verify RECORD.json
    python -m voting tabulate --method METHOD [--seats N] [--budget B] [--utility cost|approval] FILE
    python -m voting methods

``verify`` exits 0 when every check passes and 1 on the first mismatch (named); 2 on a file
that cannot be read.  ``tabulate`` prints a JSON result whose ``winners`` are the ids as written
in the file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence


def _verify(path: str) -> int:
    from voting.record import verify_record

    try:
        with open(path, encoding="utf-8") as fh:
            record = json.load(fh)
    except OSError as e:
        print(f"Cannot read {path}: {e.strerror}.", file=sys.stderr)
        return 2
    except json.JSONDecodeError as e:
        print(f"{path} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}.",
              file=sys.stderr)
        return 2
    report = verify_record(record)
    for line in report.checks:
        print(f"checked: {line}")
    if report.ok:
        print("OK: the record verifies. Every output matches its inputs and rules.")
        return 0
    print(f"MISMATCH at {report.mismatch}: {report.message}", file=sys.stderr)
    return 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m voting", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="check a published decision record")
    v.add_argument("record")
    t = sub.add_parser("tabulate", help="count a PrefLib or Pabulib file")
    t.add_argument("--method", required=True)
    t.add_argument("--seats", type=int, default=None)
    t.add_argument("--budget", type=int, default=None)
    t.add_argument("--utility", choices=["cost", "approval"], default="cost")
    t.add_argument("file")
    sub.add_parser("methods", help="list the counting methods")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "verify":
        return _verify(args.record)
    if args.command == "methods":
        from voting.registry import METHODS

        for key, m in METHODS.items():
            print(f"{key:14} {m.summary}")
        return 0
    raise NotImplementedError("tabulate is being written")
