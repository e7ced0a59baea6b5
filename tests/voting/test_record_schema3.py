"""Record schema 3 (the decision stages), the frozen schema-2 fixture, and the JSON Schema.

Schema 2 is frozen like schema 1: ``tests/fixtures/record-schema-2.json`` holds the exact
canonical bytes of a schema-2 record (late conflicts, a draw, a tie settled by amount, staff
overrides) and must verify forever.
"""

from __future__ import annotations

import json
from pathlib import Path

import voting
from voting.record import canonical_json, verify_record, verify_record_bytes

REPO = Path(voting.__file__).resolve().parents[1]
SCHEMA_1_FIXTURE = REPO / "tests" / "fixtures" / "record-schema-1.json"
SCHEMA_2_FIXTURE = REPO / "tests" / "fixtures" / "record-schema-2.json"


# --------------------------------------------------------------------------- schema 2 frozen


def test_the_schema_2_fixture_is_kept_byte_for_byte_in_canonical_form() -> None:
    data = SCHEMA_2_FIXTURE.read_bytes()
    record = json.loads(data)
    assert record["schema_version"] == 2
    assert canonical_json(record) == data


def test_the_schema_2_fixture_verifies_with_the_rules_of_schema_2() -> None:
    report = verify_record(json.loads(SCHEMA_2_FIXTURE.read_bytes()))
    assert report.ok, (report.mismatch, report.message)
    assert report.checks[0].startswith("schema version 2, written by voting")


def test_the_schema_2_fixture_file_passes_the_published_file_checks() -> None:
    report = verify_record_bytes(SCHEMA_2_FIXTURE.read_bytes())
    assert report.ok, (report.mismatch, report.message)
    assert report.checks[0] == "the file is exactly the record's canonical JSON bytes"


def test_the_schema_2_fixture_has_late_conflicts_a_draw_and_overrides() -> None:
    record = json.loads(SCHEMA_2_FIXTURE.read_bytes())
    assert [c["sheet_withdrawn"] for c in record["outputs"]["after_close"]] == [True, False]
    assert record["outputs"]["draws"] and record["decision"]["outcome"] == "overridden"
