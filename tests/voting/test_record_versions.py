"""Versioned decision records: schema 1 is frozen, new records are schema 2.

Schema 2 adds who declared each conflict and when, the published reason for a conflict
recorded after scoring closed, and ``outputs.after_close``.  ``verify`` dispatches on
``schema_version``; the demo's published schema-1 record (a fixture, byte for byte) verifies
forever.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import voting
from tests.voting.test_record import realistic_inputs, reseal
from voting.draws import DRAW_PROCEDURE, seed_commitment
from voting.panel import InputError, decide_round
from voting.record import (
    build_record,
    canonical_json,
    record_outputs,
    verify_record,
)

REPO = Path(voting.__file__).resolve().parents[1]
SCHEMA_1_FIXTURE = REPO / "tests" / "fixtures" / "record-schema-1.json"
SEED = "0123456789abcdef" * 4
LATE_REASON = "Their sister became the project's treasurer in November."


def schema_2_inputs() -> dict[str, Any]:
    """The realistic round as schema 2: Panel member 5 told us about A-001 before close;
    after close, staff recorded Panel member 4's tie to A-001 (their submitted sheet on A-001
    is published and set aside), and Panel member 1 declared a tie to A-008, which they had
    not scored."""
    inputs = realistic_inputs()
    inputs["schema_version"] = 2
    inputs["sheets"].append({"member": "Panel member 4", "application": "A-001", "stage": 1,
                             "scores": {"impact": 5, "community": 5, "plan": 3}})
    inputs["conflicts"] = [
        {"member": "Panel member 5", "application": "A-001", "category": "trustee",
         "declared_by": "member", "when": "before-close"},
        {"member": "Panel member 4", "application": "A-001", "category": "close-friend",
         "declared_by": "staff", "when": "after-close", "reason": LATE_REASON},
        {"member": "Panel member 1", "application": "A-008", "category": "other",
         "declared_by": "member", "when": "after-close",
         "reason": "I only learnt after scoring that my neighbour runs it."},
    ]
    return inputs


def schema_2_record() -> dict[str, Any]:
    return build_record(schema_2_inputs(), previous_digest="sha256:" + "cd" * 32)


RECORD_2 = schema_2_record()


# --------------------------------------------------------------------------- schema 1 frozen


def test_the_demos_schema_1_record_is_kept_byte_for_byte_in_canonical_form() -> None:
    data = SCHEMA_1_FIXTURE.read_bytes()
    record = json.loads(data)
    assert record["schema_version"] == 1
    assert canonical_json(record) == data


def test_the_demos_schema_1_record_verifies_with_the_rules_of_schema_1() -> None:
    report = verify_record(json.loads(SCHEMA_1_FIXTURE.read_bytes()))
    assert report.ok, (report.mismatch, report.message)
    assert report.checks[0].startswith("schema version 1, written by voting")


def test_the_schema_1_fixture_verifies_on_the_command_line() -> None:
    done = subprocess.run([sys.executable, "-m", "voting", "verify", str(SCHEMA_1_FIXTURE)],
                          cwd=REPO, capture_output=True, text=True, encoding="utf-8",
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "OK: the record verifies." in done.stdout


def test_an_edited_schema_1_fixture_still_fails_at_the_edited_field() -> None:
    record = json.loads(SCHEMA_1_FIXTURE.read_bytes())
    record["outputs"]["applications"][0]["n_scores"] += 1
    report = verify_record(reseal(record))
    assert (report.ok, report.mismatch) == (False, "outputs.applications[0].n_scores")


def test_a_schema_1_record_may_not_carry_schema_2_conflict_fields() -> None:
    record = json.loads(SCHEMA_1_FIXTURE.read_bytes())
    record["conflicts"][0]["declared_by"] = "member"
    report = verify_record(reseal(record))
    assert (report.ok, report.mismatch) == (False, "conflicts[0].declared_by")


def test_schema_1_outputs_are_exactly_what_decide_round_computes() -> None:
    record = json.loads(SCHEMA_1_FIXTURE.read_bytes())
    assert record_outputs(record) == decide_round(record) == record["outputs"]


# --------------------------------------------------------------------------- schema 2


def test_a_schema_2_record_verifies_and_reports_the_late_conflicts() -> None:
    report = verify_record(RECORD_2)
    assert report.ok, (report.mismatch, report.message)
    assert report.checks[0].startswith("schema version 2, written by voting")
    assert ("2 conflicts recorded after scoring closed, each with its published reason "
            "(1 score sheet withdrawn by them)") in report.checks


def test_after_close_lists_each_late_conflict_with_whether_a_sheet_was_withdrawn() -> None:
    assert RECORD_2["outputs"]["after_close"] == [
        {"kind": "conflict", "member": "Panel member 4", "application": "A-001",
         "declared_by": "staff", "reason": LATE_REASON, "sheet_withdrawn": True},
        {"kind": "conflict", "member": "Panel member 1", "application": "A-008",
         "declared_by": "member", "reason": "I only learnt after scoring that my neighbour "
         "runs it.", "sheet_withdrawn": False},
    ]


def test_schema_2_counts_exactly_as_schema_1_apart_from_after_close() -> None:
    inputs = schema_2_inputs()
    as_schema_1 = copy.deepcopy(inputs)
    as_schema_1["schema_version"] = 1
    as_schema_1["conflicts"] = [{k: c[k] for k in ("member", "application", "category")}
                                for c in inputs["conflicts"]]
    outputs = record_outputs(inputs)
    assert outputs.pop("after_close")
    assert outputs == decide_round(as_schema_1)


def test_the_withdrawn_sheet_is_published_but_not_counted() -> None:
    a001 = RECORD_2["outputs"]["applications"][0]
    assert a001["id"] == "A-001"
    assert a001["n_scores"] == 3  # Panel members 1, 2, 3; 4 and 5 stepped aside
    assert a001["n_conflicts"] == 2


def test_a_round_with_no_late_conflict_has_an_empty_after_close_list() -> None:
    inputs = schema_2_inputs()
    inputs["conflicts"] = inputs["conflicts"][:1]
    record = build_record(inputs)
    assert record["outputs"]["after_close"] == []
    report = verify_record(record)
    assert report.ok
    assert "no conflict was recorded after scoring closed" in report.checks


def _edit_conflict(i: int, **changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(RECORD_2)
    for key, value in changes.items():
        if value is None:
            record["conflicts"][i].pop(key, None)
        else:
            record["conflicts"][i][key] = value
    return reseal(record)


@pytest.mark.parametrize(("record", "mismatch"), [
    (_edit_conflict(1, declared_by="admin"), "conflicts[1].declared_by"),
    (_edit_conflict(1, declared_by=None), "conflicts[1].declared_by"),
    (_edit_conflict(1, when="later"), "conflicts[1].when"),
    (_edit_conflict(1, when=None), "conflicts[1].when"),
    (_edit_conflict(1, when="before-close"), "conflicts[1].reason"),
    (_edit_conflict(0, reason="A reason before close"), "conflicts[0].reason"),
    (_edit_conflict(1, reason=None), "conflicts[1].reason"),
    (_edit_conflict(1, reason="   "), "conflicts[1].reason"),
    (_edit_conflict(1, reason=" padded"), "conflicts[1].reason"),
    (_edit_conflict(1, reason="x" * 1001), "conflicts[1].reason"),
    (_edit_conflict(1, reason="bell\x07"), "conflicts[1].reason"),
    (_edit_conflict(1, reason=7), "conflicts[1].reason"),
    (_edit_conflict(1, note="private"), "conflicts[1].note"),
    (_edit_conflict(1, category="cousin"), "conflicts[1].category"),
])
def test_a_schema_2_conflict_that_breaks_a_rule_fails_naming_the_field(
        record: dict[str, Any], mismatch: str) -> None:
    report = verify_record(record)
    assert (report.ok, report.mismatch) == (False, mismatch), report.message


def test_an_unknown_key_in_a_schema_2_section_is_named_as_not_part_of_schema_2() -> None:
    record = copy.deepcopy(RECORD_2)
    record["rules"]["stages"] = []
    report = verify_record(reseal(record))
    assert (report.ok, report.mismatch) == (False, "rules.stages")
    assert "not part of schema version 2" in report.message


def test_the_same_conflict_twice_is_refused() -> None:
    record = copy.deepcopy(RECORD_2)
    record["conflicts"].append(dict(record["conflicts"][0]))
    report = verify_record(reseal(record))
    assert (report.ok, report.mismatch) == (False, "conflicts[3]")


def test_an_edited_late_reason_with_a_recomputed_digest_is_caught_in_the_outputs() -> None:
    record = copy.deepcopy(RECORD_2)
    record["conflicts"][1]["reason"] = "A kinder reason, written later."
    report = verify_record(reseal(record))
    assert (report.ok, report.mismatch) == (False, "outputs.after_close[0].reason")


@pytest.mark.parametrize(("field", "value"), [
    ("sheet_withdrawn", False), ("declared_by", "member"), ("member", "Panel member 2"),
    ("kind", "override"),
])
def test_an_edited_after_close_entry_fails_at_that_field(field: str, value: Any) -> None:
    record = copy.deepcopy(RECORD_2)
    record["outputs"]["after_close"][0][field] = value
    report = verify_record(reseal(record))
    assert (report.ok, report.mismatch) == (False, f"outputs.after_close[0].{field}")


def test_a_removed_after_close_list_fails_at_it() -> None:
    record = copy.deepcopy(RECORD_2)
    del record["outputs"]["after_close"]
    report = verify_record(reseal(record))
    assert (report.ok, report.mismatch) == (False, "outputs.after_close")


def test_hiding_a_late_conflict_as_before_close_is_caught() -> None:
    record = copy.deepcopy(RECORD_2)
    record["conflicts"][1]["when"] = "before-close"
    del record["conflicts"][1]["reason"]
    report = verify_record(reseal(record))
    assert (report.ok, report.mismatch) == (False, "outputs.after_close[0].application")


def test_an_edited_schema_2_record_without_a_new_digest_fails_at_the_digest() -> None:
    record = copy.deepcopy(RECORD_2)
    record["outputs"]["after_close"][0]["reason"] = "Edited."
    record["conflicts"][1]["reason"] = "Edited."
    report = verify_record(record)
    assert (report.ok, report.mismatch) == (False, "digest")


@pytest.mark.parametrize("version", [4, 0, "2", None, 2.0, True])
def test_an_unknown_schema_version_fails_naming_it(version: Any) -> None:
    report = verify_record({**RECORD_2, "schema_version": version})
    assert (report.ok, report.mismatch) == (False, "schema_version")
    assert json.dumps(version) in report.message


def test_building_a_record_of_an_unknown_schema_version_is_refused() -> None:
    with pytest.raises(InputError, match="schema version 4"):
        build_record({**schema_2_inputs(), "schema_version": 4})


def test_an_unknown_version_fails_on_the_command_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    path.write_bytes(canonical_json({**RECORD_2, "schema_version": 4}))
    done = subprocess.run([sys.executable, "-m", "voting", "verify", str(path)], cwd=REPO,
                          capture_output=True, text=True, encoding="utf-8", timeout=60,
                          check=False)
    assert done.returncode == 1
    assert "MISMATCH at schema_version" in done.stderr and "schema version 4" in done.stderr


def test_the_worked_example_in_the_record_format_document_verifies() -> None:
    """docs/record-format.md, "Schema version 2", worked example."""
    inputs = {
        "schema_version": 2, "voting_version": "0.1.0", "organisation": "Community Fund",
        "round": {"id": 3, "name": "Small Grants", "purpose": "", "currency": "GBP",
                  "budget": 5000, "involvement": "co-production", "binding": True,
                  "published_at": "2026-12-01T12:00:00Z"},
        "rules": {"method": "scores", "aggregation": "mean", "quorum": 1, "fit_rule": "skip",
                  "tie_break": ["draw"]},
        "rubric": [{"key": "c1", "name": "Impact", "guidance": "", "weight": 1,
                    "scale_min": 1, "scale_max": 3, "descriptors": ["Low", "Some", "High"]}],
        "applications": [
            {"id": "A-001", "title": "Lunch club", "summary": "", "amount": 3000,
             "eligible": True, "eligibility_reason": ""},
            {"id": "A-002", "title": "Repair café", "summary": "", "amount": 3000,
             "eligible": True, "eligibility_reason": ""}],
        "panel": ["Panel member 1", "Panel member 2"],
        "sheets": [
            {"member": "Panel member 1", "application": "A-001", "stage": 1, "scores": {"c1": 2}},
            {"member": "Panel member 2", "application": "A-001", "stage": 1, "scores": {"c1": 2}},
            {"member": "Panel member 2", "application": "A-002", "stage": 1, "scores": {"c1": 3}}],
        "conflicts": [
            {"member": "Panel member 1", "application": "A-002", "category": "trustee",
             "declared_by": "member", "when": "before-close"},
            {"member": "Panel member 2", "application": "A-002", "category": "family",
             "declared_by": "staff", "when": "after-close", "reason": LATE_REASON}],
        "randomness": {"commitment": seed_commitment(SEED), "seed": SEED,
                       "procedure": DRAW_PROCEDURE},
    }
    record = build_record(inputs)
    assert verify_record(record).ok
    assert record["outputs"]["order"] == ["A-001"]
    assert record["outputs"]["funding"]["remaining"] == 2000
    assert record["outputs"]["after_close"] == [
        {"application": "A-002", "declared_by": "staff", "kind": "conflict",
         "member": "Panel member 2", "reason": LATE_REASON, "sheet_withdrawn": True}]
    # Without the late conflict A-002 would be ranked first and funded instead.
    inputs["conflicts"] = inputs["conflicts"][:1]
    assert build_record(inputs)["outputs"]["funding"]["funded"] == ["A-002"]
