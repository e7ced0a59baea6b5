"""``python -m voting verify RECORD.json``, run as a citizen would run it."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import voting
from tests.voting.test_record import realistic_inputs, realistic_record, reseal
from voting.record import (
    build_record,
    canonical_json,
    check_chain,
    name_by_id,
    verify_record_bytes,
)

REPO = Path(voting.__file__).resolve().parents[1]


def run_verify(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voting", "verify", str(path)], cwd=REPO,
                          capture_output=True, text=True, encoding="utf-8", timeout=60,
                          check=False)


def test_a_published_record_verifies_with_exit_code_0_and_lists_its_checks(
        tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    path.write_bytes(canonical_json(realistic_record()))
    done = run_verify(path)
    assert done.returncode == 0, done.stderr
    assert "checked: seed matches its published commitment sha256:" in done.stdout
    assert "checked: 8 application results recomputed from 21 score sheets" in done.stdout
    assert "OK: the record verifies." in done.stdout


def test_an_edited_record_exits_1_naming_the_edited_field(tmp_path: Path) -> None:
    record = copy.deepcopy(realistic_record())
    record["decision"]["funded"][0]["amount"] += 100
    path = tmp_path / "record.json"
    path.write_bytes(canonical_json(record))
    done = run_verify(path)
    assert done.returncode == 1
    assert "MISMATCH at decision.funded[0].amount" in done.stderr


def test_a_file_that_is_not_json_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    path.write_text("<html>Not found</html>", encoding="utf-8")
    done = run_verify(path)
    assert done.returncode == 2
    assert "is not valid JSON" in done.stderr


# --------------------------------------------------------------------------- canonical bytes


def run_chain(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voting", "verify", "--chain",
                           *map(str, paths)], cwd=REPO, capture_output=True, text=True,
                          encoding="utf-8", timeout=120, check=False)


def test_a_canonical_file_passes_the_bytes_check() -> None:
    report = verify_record_bytes(canonical_json(realistic_record()))
    assert report.ok, (report.mismatch, report.message)
    assert report.checks[:2] == ["the file is exactly the record's canonical JSON bytes",
                                 "applications sorted by id"]


@pytest.mark.parametrize("reencode", [
    lambda r: json.dumps(r, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8"),
    lambda r: json.dumps(r, sort_keys=True, separators=(",", ":")).encode("utf-8"),
    lambda r: canonical_json(r) + b"\n",
    lambda r: b"\xef\xbb\xbf" + canonical_json(r),
    lambda r: json.dumps(r, separators=(",", ":"), ensure_ascii=False).encode("utf-8"),
], ids=["pretty", "ascii-escaped", "trailing-newline", "bom", "unsorted-keys"])
def test_a_re_encoded_copy_is_refused_as_not_canonical(
        reencode: Callable[[dict[str, Any]], bytes]) -> None:
    record = realistic_record()
    data = reencode({k: record[k] for k in reversed(list(record))})
    assert data != canonical_json(record)
    report = verify_record_bytes(data)
    assert (report.ok, report.mismatch) == (False, "file")
    assert "not in canonical form" in report.message


def test_the_cli_refuses_a_pretty_printed_copy_saying_so(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    path.write_text(json.dumps(realistic_record(), indent=2, ensure_ascii=False),
                    encoding="utf-8")
    done = run_verify(path)
    assert done.returncode == 1
    assert "not in canonical form" in done.stderr
    assert "re-saved" in done.stderr
    assert "OK" not in done.stdout


def test_applications_out_of_id_order_are_refused() -> None:
    record = copy.deepcopy(realistic_record())
    record["applications"][0], record["applications"][1] = (record["applications"][1],
                                                            record["applications"][0])
    report = verify_record_bytes(canonical_json(reseal(record)))
    assert (report.ok, report.mismatch) == (False, "applications[1].id")
    assert "sorted by id" in report.message


def test_a_per_application_mismatch_names_the_application_by_id(tmp_path: Path) -> None:
    record = copy.deepcopy(realistic_record())
    record["outputs"]["applications"][3]["mean"] += "0"
    app_id = record["outputs"]["applications"][3]["id"]
    path = tmp_path / "record.json"
    path.write_bytes(canonical_json(reseal(record)))
    done = run_verify(path)
    assert done.returncode == 1
    assert f"MISMATCH at outputs.applications[id={app_id}].mean:" in done.stderr


def test_name_by_id_leaves_positions_without_an_id() -> None:
    record = realistic_record()
    assert name_by_id(record, "decision.funded[0].amount") == "decision.funded[0].amount"
    assert name_by_id(record, "applications[1].title") == \
        f"applications[id={record['applications'][1]['id']}].title"
    assert name_by_id(record, "digest") == "digest"
    assert name_by_id(record, "outputs.applications[99].mean") == \
        "outputs.applications[99].mean"


# --------------------------------------------------------------------------- chains


def _chain(n: int) -> list[dict[str, Any]]:
    inputs = realistic_inputs()
    records: list[dict[str, Any]] = []
    previous: str | None = None
    for i in range(n):
        inputs["round"]["id"] = 100 + i
        records.append(build_record(inputs, previous_digest=previous))
        previous = records[-1]["digest"]
    return records


def _write(tmp_path: Path, records: list[dict[str, Any]]) -> list[Path]:
    paths = []
    for i, record in enumerate(records):
        path = tmp_path / f"r{i + 1}.json"
        path.write_bytes(canonical_json(record))
        paths.append(path)
    return paths


def test_a_chain_of_three_passes(tmp_path: Path) -> None:
    done = run_chain(*_write(tmp_path, _chain(3)))
    assert done.returncode == 0, done.stderr
    assert "OK: the chain of 3 records holds" in done.stdout


def test_the_first_record_may_follow_a_record_not_in_the_list(tmp_path: Path) -> None:
    records = _chain(4)[1:]
    assert check_chain([(f"r{i}", r) for i, r in enumerate(records)]) == []


def test_a_fork_fails_naming_both_files(tmp_path: Path) -> None:
    one, two = _chain(2)
    inputs = realistic_inputs()
    inputs["round"]["id"] = 999
    rival = build_record(inputs, previous_digest=one["digest"])
    paths = _write(tmp_path, [one, two, rival])
    done = run_chain(*paths)
    assert done.returncode == 1
    assert f"fork: {paths[1]} and {paths[2]} both follow" in done.stderr


def test_a_gap_fails_naming_the_file(tmp_path: Path) -> None:
    one, _, three = _chain(3)
    paths = _write(tmp_path, [one, three])
    done = run_chain(*paths)
    assert done.returncode == 1
    assert f"gap: {paths[1]} follows" in done.stderr
    assert f"expected {paths[0]}" in done.stderr


def test_records_out_of_order_are_named() -> None:
    one, two, three = _chain(3)
    problems = check_chain([("r1", one), ("r3", three), ("r2", two)])
    assert any(p.startswith("out of order: r3 follows r2") for p in problems)


def test_a_chain_with_a_failing_record_fails(tmp_path: Path) -> None:
    records = _chain(2)
    paths = _write(tmp_path, records)
    paths[1].write_text(json.dumps(records[1], indent=1), encoding="utf-8")
    done = run_chain(*paths)
    assert done.returncode == 1
    assert "not in canonical form" in done.stderr


def test_verify_without_chain_takes_one_file(tmp_path: Path) -> None:
    paths = _write(tmp_path, _chain(2))
    done = subprocess.run([sys.executable, "-m", "voting", "verify", *map(str, paths)],
                          cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "--chain" in done.stderr
