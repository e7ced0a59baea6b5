"""Record schema 3 (the decision stages), the frozen schema-2 fixture, and the JSON Schema.

Schema 2 is frozen like schema 1: ``tests/fixtures/record-schema-2.json`` holds the exact
canonical bytes of a schema-2 record (late conflicts, a draw, a tie settled by amount, staff
overrides) and must verify forever.

Schema 3 records are built from the realistic schema-2 round of test_record_versions with a
declared chain of stages, in three variants that between them switch on every stage option
family: ``RECORD_3`` (consensus with a stage-2 re-score, STV, funding in order with a partial
lottery, a supermajority consent), ``RECORD_3B`` (z-score calibration, trimmed mean, approval
voting, Method of Equal Shares with add1) and ``RECORD_3C`` (additive calibration, median,
sequential IRV, funding in order with fit rule stop, no-objection consent).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import jsonschema
import pytest

import voting
from tests.voting.test_record import OVERRIDES, reseal
from tests.voting.test_record_versions import schema_2_inputs
from voting import panel, record, stages
from voting.draws import DRAW_PROCEDURE, seed_commitment
from voting.panel import InputError
from voting.record import (
    build_record,
    canonical_json,
    name_by_id,
    record_outputs,
    verify_record,
    verify_record_bytes,
)

REPO = Path(voting.__file__).resolve().parents[1]
PREVIOUS = "sha256:" + "ef" * 32
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
#: Why the consensus stage flags an application (voting.stages rule 4; no constant there yet).
FLAG_REASONS = getattr(stages, "FLAG_REASONS", ("disagreement", "objection"))
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
    # Schema 3: the decision stages (voting.stages).
    for kind in stages.STAGE_KINDS:
        expected[f"{d}/stage_{kind}/properties/kind/const"] = [kind]
    expected.update({
        f"{d}/stage_scores/properties/aggregation/enum": list(stages.AGGREGATIONS_3),
        f"{d}/stage_scores/properties/calibration/enum": list(stages.CALIBRATIONS),
        f"{d}/stage_consensus/properties/measure/enum": list(stages.CONSENSUS_MEASURES),
        f"{d}/stage_ranked/properties/method/enum": list(stages.RANKED_METHODS),
        f"{d}/stage_ranked/properties/shortlist/enum": list(stages.SHORTLIST_RULES),
        f"{d}/stage_funding/properties/rule/enum": list(stages.FUNDING_RULES),
        f"{d}/stage_funding/properties/fit_rule/enum": list(panel.FIT_RULES),
        f"{d}/stage_funding/properties/utilities/oneOf/0/enum": list(stages.UTILITIES),
        f"{d}/stage_funding/properties/completion/oneOf/0/enum": list(stages.COMPLETIONS),
        f"{d}/stage_consent/properties/rule/enum": list(stages.CONSENT_RULES),
        f"{d}/sheet_3/properties/stage/enum": [1, 2],
        f"{d}/ballot/oneOf/0/properties/stage/const": ["ranked"],
        f"{d}/ballot/oneOf/1/properties/stage/const": ["ranked"],
        f"{d}/consent/properties/position/enum": list(stages.CONSENT_POSITIONS),
        f"{d}/draw_3/properties/purpose/enum": [panel.DRAW_PURPOSE, stages.LOTTERY_PURPOSE],
        f"{d}/funding_3/properties/rule/enum": list(stages.FUNDING_RULES),
        f"{d}/outputs_3/properties/stages/items/enum": list(stages.STAGE_KINDS),
        f"{d}/calibration/properties/method/enum":
            [c for c in stages.CALIBRATIONS if c != "none"],
        f"{d}/consensus_result/properties/reasons/items/enum": list(FLAG_REASONS),
        f"{d}/ranked/properties/method/enum": list(stages.RANKED_METHODS),
        f"{d}/consent_result/properties/rule/enum": list(stages.CONSENT_RULES),
        f"{d}/sensitivity/properties/change/enum":
            [f"aggregation={a}" for a in stages.AGGREGATIONS_3]
            + [f"method={m}" for m in stages.RANKED_METHODS if m != "approval"]
            + [f"rule={r}" for r in stages.FUNDING_RULES],
    })
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
        assert sorted(branch["properties"]) == sorted(
            [*record.SCHEMA_KEYS[version], *record.OPTIONAL_KEYS[version]])
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

    optional = {"/$defs/conflict_2": {"reason"},
                "/$defs/sheet_3": {"assisted"},  # present, as true, only when staff entered it
                "/$defs/record_3": set(record.OPTIONAL_KEYS[3])}
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


# --------------------------------------------------------------------------- schema 3 builders


def _stage(kind: str, **params: Any) -> dict[str, Any]:
    return {"kind": kind, **params}


def _ranking(member: int, *ids: str) -> dict[str, Any]:
    return {"member": f"Panel member {member}", "stage": "ranked", "ranking": list(ids)}


def _approved(member: int, *ids: str) -> dict[str, Any]:
    return {"member": f"Panel member {member}", "stage": "ranked", "approved": list(ids)}


def _consent(member: int, app: str | None = None) -> dict[str, Any]:
    return {"member": f"Panel member {member}", "position": "object" if app else "consent",
            "application": app}


def schema_3_inputs() -> dict[str, Any]:
    """The realistic schema-2 round (late conflicts on A-001 and A-008) decided by every
    stage: A-001 is flagged for disagreement (range 3.33 > 2.50), A-002 for Panel member 2's
    strong objection and then re-scored at stage 2; STV elects 2 of the top 4; funding in
    order meets the exact tie of A-003 and A-004 at the line, so a lottery orders them;
    three members consent and Panel member 4 objects to A-004 (3 of 4 >= 2/3)."""
    inputs = schema_2_inputs()
    inputs["schema_version"] = 3
    inputs["rules"] = {"quorum": 2, "tie_break": ["smaller_amount", "draw"], "stages": [
        _stage("scores", aggregation="mean", trim="0.00", calibration="none"),
        _stage("consensus", measure="range", threshold="2.50", rescore=True),
        _stage("ranked", method="stv", shortlist="top", size=4, above=None, seats=2),
        _stage("funding", rule="in-order", fit_rule="skip", utilities=None, completion=None,
               lottery=True),
        _stage("consent", rule="supermajority", threshold="2/3"),
    ]}
    for sheet in inputs["sheets"]:
        sheet["objection"] = False
    inputs["sheets"][4]["objection"] = True  # Panel member 2 on A-002, stage 1
    inputs["ballots"] = [
        _ranking(1, "A-002", "A-001", "A-004"),
        _ranking(2, "A-001", "A-002", "A-003", "A-004"),
        _ranking(3, "A-001", "A-003"),
        _ranking(4, "A-001", "A-004", "A-002"),  # conflicted on A-001: the count skips it
        _ranking(5, "A-002", "A-003"),
    ]
    inputs["consents"] = [_consent(1), _consent(2), _consent(3), _consent(4, "A-004")]
    return inputs


def schema_3b_inputs() -> dict[str, Any]:
    """Z-score calibration with a trimmed mean, consensus by sd without re-scoring, approval
    voting on every application scoring at least 11.00, the Method of Equal Shares on the
    approvals with the add1 completion, no consent stage."""
    inputs = schema_3_inputs()
    inputs["sheets"] = [s for s in inputs["sheets"] if s["stage"] == 1]
    inputs["rules"]["stages"] = [
        _stage("scores", aggregation="trimmed-mean", trim="0.25", calibration="zscore"),
        _stage("consensus", measure="sd", threshold="1.00", rescore=False),
        _stage("ranked", method="approval", shortlist="above", size=None, above="11.00",
               seats=2),
        _stage("funding", rule="equal-shares", fit_rule="skip", utilities="approvals",
               completion="add1", lottery=False),
    ]
    inputs["ballots"] = [_approved(1, "A-002", "A-003"), _approved(2, "A-001", "A-004"),
                         _approved(3, "A-001"), _approved(5, "A-002", "A-004")]
    inputs["consents"] = []
    return inputs


def schema_3c_inputs() -> dict[str, Any]:
    """Additive calibration with the median, sequential IRV for 2 seats, funding in order
    with fit rule stop, a no-objection consent answered by one member."""
    inputs = schema_3_inputs()
    inputs["sheets"] = [s for s in inputs["sheets"] if s["stage"] == 1]
    inputs["rules"]["stages"] = [
        _stage("scores", aggregation="median", trim="0.00", calibration="additive"),
        _stage("ranked", method="irv", shortlist="top", size=4, above=None, seats=2),
        _stage("funding", rule="in-order", fit_rule="stop", utilities=None, completion=None,
               lottery=False),
        _stage("consent", rule="no-objection", threshold=None),
    ]
    inputs["consents"] = [_consent(2)]
    return inputs


RECORD_3 = build_record(schema_3_inputs(), overrides=OVERRIDES[:1], previous_digest=PREVIOUS)
RECORD_3B = build_record(schema_3b_inputs())
RECORD_3C = build_record(schema_3c_inputs())
RECORDS_3 = {"3": RECORD_3, "3b": RECORD_3B, "3c": RECORD_3C}


def _tampered(base: dict[str, Any], edit: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    changed = copy.deepcopy(base)
    edit(changed)
    return reseal(changed)


# --------------------------------------------------------------------------- schema 3


def test_new_records_are_schema_3() -> None:
    assert record.CURRENT_SCHEMA_VERSION == 3 and 3 in record.SCHEMA_VERSIONS
    assert RECORD_3["schema_version"] == 3
    assert list(record.SCHEMA_KEYS[3]) == [*record.RECORD_KEYS[:10], "ballots", "consents",
                                           *record.RECORD_KEYS[10:]]
    assert sorted(RECORD_3) == sorted(record.RECORD_KEYS_3)


@pytest.mark.parametrize("name", sorted(RECORDS_3))
def test_a_schema_3_record_verifies_and_reports_each_stage(name: str) -> None:
    report = verify_record(RECORDS_3[name])
    assert report.ok, (report.mismatch, report.message)
    assert report.checks[0].startswith("schema version 3, written by voting")
    assert any(c.startswith("stages recomputed in their declared order: scores") for c in
               report.checks)


def test_schema_3_outputs_are_exactly_what_decide_stages_computes() -> None:
    assert record_outputs(RECORD_3) == stages.decide_stages(RECORD_3) == RECORD_3["outputs"]


def test_the_full_chain_runs_every_stage_of_record_3() -> None:
    out = RECORD_3["outputs"]
    assert out["stages"] == ["scores", "consensus", "ranked", "funding", "consent"]
    assert out["consensus"]["flagged"] == ["A-001", "A-002"]
    assert out["ranked"]["winners"] == ["A-001", "A-002"]
    assert out["funding"]["lottery"] == {"group": ["A-003", "A-004"],
                                         "order": ["A-004", "A-003"]}
    assert out["draws"][-1]["purpose"] == "lottery"
    assert out["consent"]["passed"] is True
    assert [c["application"] for c in out["after_close"]] == ["A-001", "A-008"]
    assert RECORD_3["decision"]["outcome"] == "overridden"


def test_the_variants_cover_calibration_approval_equal_shares_and_sequential_irv() -> None:
    b, c = RECORD_3B["outputs"], RECORD_3C["outputs"]
    assert b["calibration"] == {"method": "zscore", "components": 1, "warning": False}
    assert (b["ranked"]["method"], b["funding"]["rule"]) == ("approval", "equal-shares")
    assert b["funding"]["line_after_rank"] is None and b["consent"] is None
    assert c["calibration"]["method"] == "additive" and c["consensus"] is None
    assert [n["elected"] for n in c["ranked"]["counts"]] == [["A-002"], ["A-001"]]
    assert c["funding"]["stopped_at"] == "A-003"


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """An edit that sets ``path`` (dots and [i]) in a record to ``value``."""
    def edit(rec: dict[str, Any]) -> None:
        parts = [int(p) if p.isdigit() else p
                 for p in path.replace("[", ".").replace("]", "").split(".")]
        node: Any = rec
        for p in parts[:-1]:
            node = node[p]
        node[parts[-1]] = value(node[parts[-1]]) if callable(value) else value
    return edit


def _swap(path: str) -> Callable[[dict[str, Any]], None]:
    return _set(path, lambda items: [items[1], items[0], *items[2:]])


# One tamper per stage output: (record, edit, the mismatch path, the path named by id).
TAMPERS = [
    ("3", _set("outputs.applications[2].aggregate", "99.00"),
     "outputs.applications[2].aggregate", "outputs.applications[id=A-003].aggregate"),
    ("3", _swap("outputs.order"), "outputs.order[0]", "outputs.order[0]"),
    ("3b", _set("outputs.calibration.components", 2), "outputs.calibration.components",
     "outputs.calibration.components"),
    ("3", _set("outputs.consensus.applications[1].reasons", ["disagreement"]),
     "outputs.consensus.applications[1].reasons[0]",
     "outputs.consensus.applications[id=A-002].reasons[0]"),
    ("3", _set("outputs.consensus.alpha", "0.900"), "outputs.consensus.alpha",
     "outputs.consensus.alpha"),
    ("3", _swap("outputs.consensus.flagged"), "outputs.consensus.flagged[0]",
     "outputs.consensus.flagged[0]"),
    ("3", _set("outputs.ranked.rounds[0].tallies.A-004", "2.00000"),
     "outputs.ranked.rounds[0].tallies.A-004", "outputs.ranked.rounds[0].tallies.A-004"),
    ("3", _swap("outputs.ranked.winners"), "outputs.ranked.winners[0]",
     "outputs.ranked.winners[0]"),
    ("3c", _set("outputs.ranked.rounds[1].transfers.A-002", 2),
     "outputs.ranked.rounds[1].transfers.A-002", "outputs.ranked.rounds[1].transfers.A-002"),
    ("3", _swap("outputs.funding.lottery.order"), "outputs.funding.lottery.order[0]",
     "outputs.funding.lottery.order[0]"),
    ("3b", _set("outputs.funding.rule", "in-order"), "outputs.funding.rule",
     "outputs.funding.rule"),
    ("3c", _set("outputs.funding.line_after_rank", 4), "outputs.funding.line_after_rank",
     "outputs.funding.line_after_rank"),
    ("3", _set("outputs.consent.objections[0].application", "A-001"),
     "outputs.consent.objections[0].application",
     "outputs.consent.objections[member=Panel member 4].application"),
    ("3c", _set("outputs.consent.passed", False), "outputs.consent.passed",
     "outputs.consent.passed"),
    ("3", _set("outputs.sensitivity[6].same", True), "outputs.sensitivity[6].same",
     "outputs.sensitivity[6].same"),
    ("3", _set("outputs.depends", ["A-002"]), "outputs.depends", "outputs.depends"),
    ("3", _set("outputs.stages", ["scores", "funding"]), "outputs.stages[1]",
     "outputs.stages[1]"),
    ("3", _set("outputs.after_close[0].sheet_withdrawn", False),
     "outputs.after_close[0].sheet_withdrawn", "outputs.after_close[0].sheet_withdrawn"),
]


@pytest.mark.parametrize(("name", "edit", "mismatch", "named"), TAMPERS,
                         ids=[t[2] for t in TAMPERS])
def test_a_tampered_stage_output_fails_at_that_field(
        name: str, edit: Callable[[dict[str, Any]], None], mismatch: str, named: str) -> None:
    changed = _tampered(RECORDS_3[name], edit)
    report = verify_record(changed)
    assert (report.ok, report.mismatch) == (False, mismatch), report.message
    assert name_by_id(changed, mismatch) == named


@pytest.mark.parametrize(("edit", "mismatch", "named"), [
    (_set("ballots[2].ranking", ["A-001", "A-007"]), "ballots[2].ranking[1]",
     "ballots[member=Panel member 3].ranking[1]"),
    (_set("ballots[0].stage", "consent"), "ballots[0].stage",
     "ballots[member=Panel member 1].stage"),
    (_set("ballots[1].approved", ["A-001"]), "ballots[1].approved",
     "ballots[member=Panel member 2].approved"),
    (_set("consents[3].application", "A-003"), "consents[3].application",
     "consents[member=Panel member 4].application"),
    (_set("consents[0].position", "abstain"), "consents[0].position",
     "consents[member=Panel member 1].position"),
    (_set("sheets[0].objection", "yes"), "sheets[0].objection", "sheets[0].objection"),
    (_set("rules.stages[2].seats", 9), "rules.stages[2].seats", "rules.stages[2].seats"),
    (_swap("rules.stages"), "rules.stages", "rules.stages"),
    (_set("conflicts[1].reason", " padded"), "conflicts[1].reason", "conflicts[1].reason"),
    (_set("rules.fit_rule", "skip"), "rules.fit_rule", "rules.fit_rule"),
], ids=["ballot-off-shortlist", "ballot-stage", "ballot-key", "objection-not-funded",
        "consent-position", "sheet-objection", "seats", "stage-order", "late-reason",
        "schema-2-rule"])
def test_a_schema_3_input_that_breaks_a_rule_fails_naming_the_field(
        edit: Callable[[dict[str, Any]], None], mismatch: str, named: str) -> None:
    changed = _tampered(RECORD_3, edit)
    report = verify_record(changed)
    assert (report.ok, report.mismatch) == (False, mismatch), report.message
    assert name_by_id(changed, mismatch) == named


def test_a_schema_3_record_without_ballots_or_consents_is_refused() -> None:
    for key in ("ballots", "consents"):
        changed = copy.deepcopy(RECORD_3)
        del changed[key]
        report = verify_record(reseal(changed))
        assert (report.ok, report.mismatch) == (False, key)


def test_a_schema_2_record_may_not_carry_ballots() -> None:
    data = json.loads(SCHEMA_2_FIXTURE.read_bytes())
    data["ballots"] = []
    report = verify_record(reseal(data))
    assert (report.ok, report.mismatch) == (False, "ballots")
    assert "not part of schema version 2" in report.message


def test_an_edited_schema_3_record_without_a_new_digest_fails_at_the_digest() -> None:
    changed = copy.deepcopy(RECORD_3)
    changed["consents"][3] = _consent(4)
    changed["outputs"]["consent"]["consents"] = 4
    changed["outputs"]["consent"]["objections"] = []
    report = verify_record(changed)
    assert (report.ok, report.mismatch) == (False, "digest")


# --------------------------------------------------------------------------- published files


def test_a_schema_3_file_passes_the_bytes_and_sorted_array_checks() -> None:
    report = verify_record_bytes(canonical_json(RECORD_3))
    assert report.ok, (report.mismatch, report.message)
    assert report.checks[:3] == ["the file is exactly the record's canonical JSON bytes",
                                 "applications sorted by id",
                                 "ballots and consents sorted by member, in panel order"]


@pytest.mark.parametrize(("section", "mismatch"), [("ballots", "ballots[1].member"),
                                                   ("consents", "consents[1].member")])
def test_ballots_or_consents_out_of_panel_order_are_refused(section: str,
                                                            mismatch: str) -> None:
    changed = copy.deepcopy(RECORD_3)
    changed[section][0], changed[section][1] = changed[section][1], changed[section][0]
    report = verify_record_bytes(canonical_json(reseal(changed)))
    assert (report.ok, report.mismatch) == (False, mismatch)
    assert "sorted by member in panel order" in report.message


def test_a_member_with_two_ballots_is_refused_in_the_file_check() -> None:
    changed = copy.deepcopy(RECORD_3)
    changed["ballots"].insert(1, _ranking(1, "A-001"))
    report = verify_record_bytes(canonical_json(reseal(changed)))
    assert (report.ok, report.mismatch) == (False, "ballots[1].member")
    assert "twice" in report.message


def test_building_a_record_with_unsorted_ballots_is_refused() -> None:
    inputs = schema_3_inputs()
    inputs["ballots"].reverse()
    with pytest.raises(InputError) as caught:
        build_record(inputs)
    assert caught.value.path == "ballots[1].member"


def _run_verify(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voting", "verify", str(path)], cwd=REPO,
                          capture_output=True, text=True, encoding="utf-8", timeout=120,
                          check=False)


def test_a_schema_3_record_verifies_on_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    path.write_bytes(canonical_json(RECORD_3))
    done = _run_verify(path)
    assert done.returncode == 0, done.stderr
    assert "checked: stages recomputed in their declared order" in done.stdout
    assert "OK: the record verifies." in done.stdout


def test_a_tampered_schema_3_record_fails_on_the_command_line_naming_the_id(
        tmp_path: Path) -> None:
    changed = _tampered(RECORD_3, _set("outputs.consensus.applications[1].iqr", "9.99"))
    path = tmp_path / "record.json"
    path.write_bytes(canonical_json(changed))
    done = _run_verify(path)
    assert done.returncode == 1
    assert "MISMATCH at outputs.consensus.applications[id=A-002].iqr" in done.stderr


def test_a_schema_3_chain_verifies_on_the_command_line(tmp_path: Path) -> None:
    first = tmp_path / "1.json"
    first.write_bytes(SCHEMA_2_FIXTURE.read_bytes())
    inputs = schema_3_inputs()
    second = build_record(inputs, previous_digest=json.loads(first.read_bytes())["digest"])
    (tmp_path / "2.json").write_bytes(canonical_json(second))
    done = subprocess.run([sys.executable, "-m", "voting", "verify", "--chain", str(first),
                           str(tmp_path / "2.json")], cwd=REPO, capture_output=True, text=True,
                          encoding="utf-8", timeout=120, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("name", sorted(RECORDS_3))
def test_a_schema_3_record_validates_against_the_json_schema(name: str) -> None:
    assert _schema_errors(RECORDS_3[name]) == []


@pytest.mark.parametrize(("edit", "where"), [
    (_set("ballots[0].ranking", "A-002"), "ballots/0"),
    (_set("consents[0].position", "abstain"), "consents/0"),
    (_set("rules.stages[0].trim", "0.5"), "rules/stages/0"),
    (_set("outputs.ranked.rounds[0].tallies.A-001", 2.5), "outputs/ranked"),
    (_set("outputs.sensitivity[0].change", "aggregation=mode"), "outputs/sensitivity/0"),
    (_set("sheets[0].objection", None), "sheets/0/objection"),
], ids=["ranking-not-a-list", "consent-position", "trim", "float-tally", "change",
        "objection-null"])
def test_an_edited_schema_3_record_fails_the_json_schema(edit: Any, where: str) -> None:
    data = copy.deepcopy(RECORD_3)
    edit(data)
    assert _schema_errors(data)
    branch = {**_schema(), "oneOf": [{"$ref": "#/$defs/record_3"}]}
    best = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(branch).iter_errors(data))
    assert best is not None and "/".join(map(str, best.absolute_path)).startswith(where)


# --------------------------------------------------------------------------- the document

DOC_SEED = "0123456789abcdef" * 4


def _sheet(m: int, a: str, s: int, stage: int = 1, objection: bool = False) -> dict[str, Any]:
    return {"member": f"Panel member {m}", "application": a, "stage": stage, "scores": {"c1": s}, "objection": objection}

def worked_example_inputs() -> dict[str, Any]:
    """docs/record-format.md, "Schema version 3", worked example."""
    return {
    "schema_version": 3, "voting_version": "0.1.0", "organisation": "Community Fund",
    "round": {"id": 4, "name": "Small Grants", "purpose": "", "currency": "GBP", "budget": 5000,
              "involvement": "co-production", "binding": True, "published_at": "2026-12-02T12:00:00Z"},
    "rules": {"quorum": 2, "tie_break": ["smaller_amount", "draw"], "stages": [
        {"kind": "scores", "aggregation": "mean", "trim": "0.00", "calibration": "none"},
        {"kind": "consensus", "measure": "range", "threshold": "3.00", "rescore": True},
        {"kind": "ranked", "method": "irv", "shortlist": "top", "size": 3, "above": None, "seats": 1},
        {"kind": "funding", "rule": "in-order", "fit_rule": "skip", "utilities": None, "completion": None, "lottery": False},
        {"kind": "consent", "rule": "supermajority", "threshold": "2/3"}]},
    "rubric": [{"key": "c1", "name": "Impact", "guidance": "", "weight": 1, "scale_min": 1, "scale_max": 10,
                "descriptors": [str(i) for i in range(1, 11)]}],
    "applications": [{"id": i, "title": t, "summary": "", "amount": a, "eligible": True, "eligibility_reason": ""}
                     for i, t, a in [("A-001", "Lunch club", 3000), ("A-002", "Repair café", 2000),
                                     ("A-003", "Youth choir", 2000), ("A-004", "Bus to the sea", 1500)]],
    "panel": ["Panel member 1", "Panel member 2", "Panel member 3"],
    "sheets": [_sheet(1, "A-001", 9), _sheet(2, "A-001", 4), _sheet(3, "A-001", 8),
               _sheet(1, "A-002", 7), _sheet(2, "A-002", 6), _sheet(3, "A-002", 7),
               _sheet(1, "A-003", 6), _sheet(2, "A-003", 6), _sheet(3, "A-003", 7),
               _sheet(1, "A-004", 5), _sheet(2, "A-004", 6, objection=True), _sheet(3, "A-004", 5),
               _sheet(1, "A-001", 8, stage=2), _sheet(2, "A-001", 6, stage=2), _sheet(3, "A-001", 7, stage=2)],
    "conflicts": [],
    "ballots": [
        {"member": "Panel member 1", "stage": "ranked", "ranking": ["A-002", "A-001", "A-003"]},
        {"member": "Panel member 2", "stage": "ranked", "ranking": ["A-003", "A-002"]},
        {"member": "Panel member 3", "stage": "ranked", "ranking": ["A-001", "A-003", "A-002"]}],
    "consents": [{"member": "Panel member 1", "position": "consent", "application": None},
                 {"member": "Panel member 2", "position": "consent", "application": None},
                 {"member": "Panel member 3", "position": "object", "application": "A-002"}],
    "randomness": {"commitment": seed_commitment(DOC_SEED), "seed": DOC_SEED, "procedure": DRAW_PROCEDURE},
    }


def test_the_schema_3_worked_example_in_the_record_format_document_verifies() -> None:
    rec = build_record(worked_example_inputs())
    assert verify_record(rec).ok
    out = rec["outputs"]
    assert out["consensus"]["flagged"] == ["A-001", "A-004"]
    assert out["consensus"]["alpha"] == "-0.065"
    assert out["consensus"]["applications"][0]["iqr"] == "5.00"
    assert [a["aggregate"] for a in out["applications"]] == ["7.00", "6.67", "6.33", "5.33"]
    assert out["ranked"]["winners"] == ["A-002"]
    assert out["ranked"]["rounds"][0]["transfers"] == {"A-002": 1, "A-003": -1}
    assert out["funding"]["funded"] == ["A-002", "A-001"]
    assert out["funding"]["line_after_rank"] == 4
    assert out["consent"]["passed"] is True
    assert out["depends"] == ["A-001", "A-004"]
    assert _schema_errors(rec) == []
