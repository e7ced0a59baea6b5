"""The optional ``assignment`` section of a schema-3 record (voting/assignment.py), checked
on the library's own realistic round, with no app: a record without it is unchanged, a record
with it verifies, and every way of breaking docs/record-format.md's rules is named."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.voting.test_record import reseal
from tests.voting.test_record_schema3 import schema_3_inputs
from voting.panel import InputError
from voting.record import build_record, record_outputs, verify_record


def with_assignment(inputs: dict[str, Any]) -> dict[str, Any]:
    """``inputs`` plus an assignment naming, for each application, exactly the members whose
    sheets count on it (in panel order)."""
    conflicted = {(c["member"], c["application"]) for c in inputs["conflicts"]}
    readers: dict[str, set[str]] = {}
    for s in inputs["sheets"]:
        if (s["member"], s["application"]) not in conflicted:
            readers.setdefault(s["application"], set()).add(s["member"])
    order = inputs["panel"]
    out = copy.deepcopy(inputs)
    out["assignment"] = {
        "readers": max(inputs["rules"]["quorum"], *(len(v) for v in readers.values())),
        "applications": [{"id": a["id"], "members": [m for m in order
                                                     if m in readers.get(a["id"], set())]}
                         for a in inputs["applications"]],
    }
    return out


def test_the_section_changes_no_output_and_the_record_verifies() -> None:
    plain = schema_3_inputs()
    shared = with_assignment(plain)
    assert record_outputs(shared) == record_outputs(plain)
    built = build_record(shared)
    assert built["assignment"] == shared["assignment"]
    report = verify_record(built)
    assert report.ok, report.message
    assert any(line.startswith("assignment: ") for line in report.checks)
    without = build_record(plain)
    assert "assignment" not in without and verify_record(without).ok


def _break(edit: Any) -> InputError:
    inputs = with_assignment(schema_3_inputs())
    edit(inputs)
    with pytest.raises(InputError) as e:
        record_outputs(inputs)
    return e.value


@pytest.mark.parametrize("edit, path", [
    (lambda r: r["assignment"].pop("readers"), "assignment.readers"),
    (lambda r: r["assignment"].update(readers=True), "assignment.readers"),
    (lambda r: r["assignment"].update(readers=1), "assignment.readers"),  # quorum is 2
    (lambda r: r["assignment"].update(applications={}), "assignment.applications"),
    (lambda r: r["assignment"]["applications"].reverse(), "assignment.applications[0].id"),
    (lambda r: r["assignment"]["applications"][0].update(note="x"),
     "assignment.applications[0].note"),
    (lambda r: r["assignment"]["applications"][0].update(members="Panel member 1"),
     "assignment.applications[0].members"),
    (lambda r: r["assignment"]["applications"][0]["members"].insert(0, "Someone"),
     "assignment.applications[0].members[0]"),
])
def test_a_broken_rule_is_named_by_its_field(edit: Any, path: str) -> None:
    assert _break(edit).path == path


def test_a_counted_sheet_by_an_unassigned_member_is_named() -> None:
    def drop_first_reader(r: dict[str, Any]) -> None:
        r["assignment"]["applications"][0]["members"].pop(0)

    error = _break(drop_first_reader)
    assert error.path.startswith("sheets[") and error.path.endswith("].member")
    assert "was not assigned it (assignment.applications[0].members)" in error.requirement


def test_a_late_conflicts_withdrawn_sheet_needs_no_assignment() -> None:
    inputs = schema_3_inputs()
    late = [c for c in inputs["conflicts"] if c["when"] == "after-close"]
    assert late and any((s["member"], s["application"]) == (late[0]["member"],
                                                            late[0]["application"])
                        for s in inputs["sheets"])
    shared = with_assignment(inputs)  # leaves the withdrawn sheet's member out
    assert verify_record(build_record(shared)).ok


def test_an_edited_assignment_with_a_recomputed_digest_still_fails() -> None:
    built = build_record(with_assignment(schema_3_inputs()))
    built["assignment"]["applications"][1]["members"] = []
    report = verify_record(reseal(built))
    assert not report.ok and report.mismatch is not None
    assert report.mismatch.startswith("sheets[")
