"""``python -m voting tabulate`` and ``methods``, run as a person would (subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "voting", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )


def tabulate(*args: str) -> dict:
    proc = run("tabulate", *args)
    if proc.returncode == 2 and "not available yet" in proc.stderr:
        pytest.skip("voting.ranked is still a placeholder (NotImplementedError)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return json.loads(proc.stdout)


def test_irv_on_a_soc_file_reports_ids_as_written() -> None:
    # first preferences 1: 8, 2: 7, 3: 6; 3 is excluded, its ballots go 4 to 2 and 2 to 1;
    # 2 then has 11 of 21
    out = tabulate("--method", "irv", str(DATA / "election.soc"))
    assert out["winners"] == ["2"]
    assert out["rounds"][0]["eliminated"] == ["3"]
    assert set(out["rounds"][0]["tallies"]) == {"1", "2", "3"}


@pytest.mark.parametrize("method", ["borda", "schulze", "ranked-pairs"])
def test_other_ranked_methods_on_a_soc_file(method: str) -> None:
    # 2 beats 1 (13-8) and 3 (15-6): the Condorcet winner; Borda 1: 18, 2: 26, 3: 19
    assert tabulate("--method", method, str(DATA / "election.soc"))["winners"] == ["2"]


def test_stv_with_seats() -> None:
    out = tabulate("--method", "stv", "--seats", "2", str(DATA / "election.soc"))
    assert len(out["winners"]) == 2
    assert set(out["winners"]) <= {"1", "2", "3"}


def test_approval_reads_the_top_tier() -> None:
    # top tiers: {1,3} x3, {2} x2, {2,4} x1 -> 1: 3, 2: 3, 3: 3, 4: 1; seats 2, ties by order
    out = tabulate("--method", "approval", "--seats", "2", str(DATA / "ties.toi"))
    assert out["winners"] == ["1", "2"]


def test_ranked_method_accepts_ties() -> None:
    out = tabulate("--method", "borda", str(DATA / "ties.toi"))
    assert out["winners"][0] in {"1", "2", "3", "4"}


def test_equal_shares_on_a_pb_file_uses_the_meta_budget() -> None:
    out = tabulate("--method", "equal-shares", str(DATA / "pb_approval.pb"))
    assert out["winners"] == ["1", "2"]
    assert out["budget"] == 100_000
    assert out["spent"] == 15_000
    assert out["rounds"][0]["elected"] == ["1"]


def test_equal_shares_is_proportional_on_red_and_blue() -> None:
    # budget 300, 3 each: 51 red voters hold 153 (one red project), 49 blue hold 147 (one blue)
    out = tabulate("--method", "equal-shares", str(DATA / "pb_redblue.pb"))
    assert out["winners"] == ["r1", "b1"]
    greedy = tabulate("--method", "greedy", str(DATA / "pb_redblue.pb"))
    assert greedy["winners"] == ["r1", "r2", "r3"]


def test_budget_and_utility_options() -> None:
    out = tabulate("--method", "equal-shares", "--budget", "600", "--utility", "approval",
                   str(DATA / "pb_redblue.pb"))
    assert out["budget"] == 600
    assert sorted(out["winners"]) == ["b1", "b2", "r1", "r2", "r3"]
    assert tabulate("--method", "greedy", "--budget", "15000",
                    str(DATA / "pb_approval.pb"))["winners"] == ["1", "2"]


def test_equal_shares_with_cumulative_points() -> None:
    assert tabulate("--method", "equal-shares", str(DATA / "pb_scores.pb"))["winners"] == ["a", "b"]


def test_methods_lists_every_method_with_a_summary() -> None:
    proc = run("methods")
    assert proc.returncode == 0
    lines = proc.stdout.strip().splitlines()
    keys = [line.split()[0] for line in lines]
    for key in ("irv", "stv", "borda", "schulze", "ranked-pairs", "approval", "greedy",
                "equal-shares", "scores"):
        assert key in keys
    assert all(len(line.split(None, 1)) == 2 for line in lines)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--method", "irv", str(DATA / "bad_line.soc")], "bad_line.soc: line 6: expected"),
        (["--method", "greedy", str(DATA / "pb_bad_cost.pb")], "pb_bad_cost.pb: line 8:"),
        (["--method", "equal-shares", str(DATA / "pb_unknown_project.pb")], "line 11:"),
        (["--method", "greedy", str(DATA / "election.soc")], "needs a Pabulib .pb file"),
        (["--method", "plurality", str(DATA / "election.soc")], "unknown method 'plurality'"),
        (["--method", "irv", str(DATA / "missing.soc")], "cannot read"),
        (["--method", "irv", "--seats", "2", str(DATA / "election.soc")], "use --method stv"),
        (["--method", "irv", str(DATA / "pb_approval.pb")], "needs ranked ballots"),
    ],
)
def test_errors_are_one_clear_line_and_exit_2(args: list[str], message: str) -> None:
    proc = run("tabulate", *args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
