"""Record schema 3 (the decision stages), the frozen schema-2 fixture, and the JSON Schema.

Schema 2 is frozen like schema 1: ``tests/fixtures/record-schema-2.json`` holds the exact
canonical bytes of a schema-2 record (late conflicts, a draw, a tie settled by amount, staff
overrides) and must verify forever.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import jsonschema
import pytest

import voting
from voting import panel, record
from voting.draws import DRAW_PROCEDURE
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


# --------------------------------------------------------------------------- JSON Schema

SCHEMA_FILE = REPO / "voting" / "schema" / "decision-record.schema.json"
DOCS_SCHEMA_FILE = REPO / "docs" / "decision-record.schema.json"


def _schema() -> dict[str, Any]:
    return cast(dict[str, Any], json.loads(SCHEMA_FILE.read_bytes()))


def _schema_errors(record: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(
        _schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
            for e in validator.iter_errors(record)]


def _enums(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every ``enum`` and ``const`` in the schema, as (JSON pointer, allowed values)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "enum":
                yield f"{path}/enum", list(value)
            elif key == "const":
                yield f"{path}/const", [value]
            else:
                yield from _enums(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _enums(value, f"{path}/{i}")


def _expected_enums() -> dict[str, list[Any]]:
    """Each enum of the JSON Schema, generated from the voting constants it must equal."""
    d = "/$defs"
    expected: dict[str, list[Any]] = {
        f"{d}/round/properties/involvement/enum": list(panel.INVOLVEMENT_LEVELS),
        f"{d}/rules_1/properties/method/const": ["scores"],
        f"{d}/rules_1/properties/aggregation/enum": list(panel.AGGREGATIONS),
        f"{d}/rules_1/properties/fit_rule/enum": list(panel.FIT_RULES),
        f"{d}/tie_break/items/enum": list(panel.TIE_BREAKS),
        f"{d}/tie_break/contains/const": [panel.TIE_BREAKS[-1]],
        f"{d}/tie/properties/resolved_by/enum": list(panel.TIE_BREAKS),
        f"{d}/sheet_1/properties/stage/enum": [1, 2],
        f"{d}/conflict_1/properties/category/enum": list(panel.CONFLICT_CATEGORIES),
        f"{d}/conflict_2/properties/category/enum": list(panel.CONFLICT_CATEGORIES),
        f"{d}/conflict_2/properties/declared_by/enum": list(record.DECLARED_BY),
        f"{d}/conflict_2/properties/when/enum": list(record.WHEN),
        f"{d}/conflict_2/if/properties/when/const": [record.WHEN[1]],
        f"{d}/randomness/properties/procedure/const": [DRAW_PROCEDURE],
        f"{d}/application_result/properties/status/enum": list(panel.STATUSES),
        f"{d}/draw_1/properties/purpose/const": [panel.DRAW_PURPOSE],
        f"{d}/after_close/properties/kind/const": ["conflict"],
        f"{d}/after_close/properties/declared_by/enum": list(record.DECLARED_BY),
        f"{d}/override/properties/action/enum": ["fund", "unfund"],
        f"{d}/decision/properties/outcome/enum": list(record.OUTCOMES),
    }
    for version in record.SCHEMA_VERSIONS:
        expected[f"{d}/record_{version}/properties/schema_version/const"] = [version]
    return expected


def test_the_docs_copy_of_the_json_schema_is_the_shipped_file_byte_for_byte() -> None:
    assert DOCS_SCHEMA_FILE.read_bytes() == SCHEMA_FILE.read_bytes()


def test_the_json_schema_is_a_valid_draft_2020_12_schema_with_a_branch_per_version() -> None:
    schema = _schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["oneOf"] == [{"$ref": f"#/$defs/record_{v}"} for v in record.SCHEMA_VERSIONS]


def test_every_enum_of_the_json_schema_is_voting_s_own_list_of_keys() -> None:
    """A key known to voting but not to the schema, or the other way round, fails here."""
    found = dict(_enums(_schema()))
    expected = _expected_enums()
    assert sorted(found) == sorted(expected), "an enum is in one of the two only"
    for pointer, values in expected.items():
        assert found[pointer] == values, pointer


def test_every_record_branch_has_exactly_the_top_level_keys_of_its_version() -> None:
    defs = _schema()["$defs"]
    for version in record.SCHEMA_VERSIONS:
        branch = defs[f"record_{version}"]
        assert branch["additionalProperties"] is False
        assert sorted(branch["properties"]) == sorted(record.SCHEMA_KEYS[version])
        assert sorted(branch["required"]) == sorted(record.SCHEMA_KEYS[version])


def test_every_object_in_the_json_schema_is_strict() -> None:
    """Every object with named properties allows no others, and requires all but the
    optional ones the format names (an after-close conflict's reason)."""
    def objects(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                yield path, node
            for key, value in node.items():
                yield from objects(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from objects(value, f"{path}/{i}")

    optional = {"/$defs/conflict_2": {"reason"}}
    for path, node in objects(_schema()):
        assert node.get("additionalProperties") is False, path
        assert set(node["properties"]) - set(node["required"]) == optional.get(path, set()), path
        for name, prop in node["properties"].items():
            assert "description" in prop or "$ref" in prop, f"{path}/{name}"


@pytest.mark.parametrize("fixture", [SCHEMA_1_FIXTURE, SCHEMA_2_FIXTURE],
                         ids=["schema-1", "schema-2"])
def test_the_frozen_fixtures_validate_against_the_json_schema(fixture: Path) -> None:
    assert _schema_errors(json.loads(fixture.read_bytes())) == []


@pytest.mark.parametrize(("edit", "where"), [
    (lambda r: r["round"].update(secret="x"), "round"),
    (lambda r: r["conflicts"][0].pop("when"), "conflicts/0"),
    (lambda r: r["conflicts"][0].update(reason="Too early"), "conflicts/0"),
    (lambda r: r["conflicts"][1].update(reason=" padded"), "conflicts/1/reason"),
    (lambda r: r["outputs"]["applications"][0].update(mean="3.5"), "outputs/applications/0"),
    (lambda r: r["rules"].update(aggregation="mode"), "rules/aggregation"),
    (lambda r: r.update(schema_version=9), ""),
], ids=["extra-key", "missing-when", "early-reason", "padded-reason", "mean-1dp",
        "unknown-aggregation", "unknown-version"])
def test_an_edited_schema_2_record_fails_the_json_schema(edit: Any, where: str) -> None:
    data = json.loads(SCHEMA_2_FIXTURE.read_bytes())
    edit(data)
    assert _schema_errors(data)
    if where:  # where the schema-2 branch (the record's own version) finds the edit
        branch = {**_schema(), "oneOf": [{"$ref": "#/$defs/record_2"}]}
        best = jsonschema.exceptions.best_match(
            jsonschema.Draft202012Validator(branch).iter_errors(data))
        assert best is not None and "/".join(map(str, best.absolute_path)).startswith(where)
