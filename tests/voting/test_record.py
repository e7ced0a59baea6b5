"""The decision record: canonical bytes, digest, overrides, build and verify.

The key guarantee: editing any single field of a published record makes verification fail.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

from voting.draws import DRAW_PROCEDURE, seed_commitment
from voting.errors import VotingError
from voting.panel import InputError
from voting.record import (
    RECORD_KEYS,
    VerifyReport,
    apply_overrides,
    build_record,
    canonical_json,
    record_digest,
    verify_record,
)

SEED = "0123456789abcdef" * 4
OTHER_SEED = "fedcba9876543210" * 4


def realistic_inputs() -> dict[str, Any]:
    """A round with every kind of output: don't-know scores, a conflict, stage 2, ties broken
    by amount and by draw, an ineligible and an under-quorum application, a skipped one."""
    rubric = [
        {"key": "impact", "name": "Impact", "guidance": "Who will benefit, and how?",
         "weight": 2, "scale_min": 1, "scale_max": 5,
         "descriptors": ["Does not show who will benefit", "Shows a little", "Shows some",
                         "Shows clearly", "Shows clearly, with evidence"]},
        {"key": "community", "name": "Community-led", "guidance": "Did local people shape it?",
         "weight": 1, "scale_min": 1, "scale_max": 5,
         "descriptors": ["Not at all", "A little", "Somewhat", "Mostly", "Entirely"]},
        {"key": "plan", "name": "Realistic plan", "guidance": "Can it be done for the money?",
         "weight": 1, "scale_min": 0, "scale_max": 3,
         "descriptors": ["No plan", "Some gaps", "Sound", "Thorough"]},
    ]
    apps = [
        ("A-001", "Warm hub at the library", 40_000, True),
        ("A-002", "Draught-proofing volunteers", 25_000, True),
        ("A-003", "Boiler repair fund", 30_000, True),
        ("A-004", "Energy café", 30_000, True),
        ("A-005", "Outside the area", 10_000, False),
        ("A-006", "Late application", 5_000, True),
        ("A-007", "Community kitchen", 20_000, True),
        ("A-008", "Coat swap", 15_000, True),
    ]
    applications = [
        {"id": i, "title": t, "summary": f"{t} for the estate — “warm homes” £.",
         "amount": amt, "eligible": ok,
         "eligibility_reason": "Meets the fund's criteria." if ok else "Outside the area."}
        for i, t, amt, ok in apps
    ]

    def sheet(m: int, app: str, impact: int | None, community: int | None, plan: int | None,
              stage: int = 1) -> dict[str, Any]:
        return {"member": f"Panel member {m}", "application": app, "stage": stage,
                "scores": {"impact": impact, "community": community, "plan": plan}}

    sheets = [
        sheet(1, "A-001", 5, 4, 3), sheet(2, "A-001", 4, 4, 2), sheet(3, "A-001", 5, None, 3),
        sheet(1, "A-002", 3, 3, 2), sheet(2, "A-002", 4, 2, 1), sheet(4, "A-002", 2, 5, 2),
        # tie exactly (totals 11 and 13 each); amounts equal: a draw decides.
        sheet(1, "A-003", 3, 3, 2), sheet(3, "A-003", 4, 3, 2),
        sheet(2, "A-004", 4, 3, 2), sheet(4, "A-004", 3, 3, 2),
        sheet(1, "A-005", 5, 5, 3), sheet(2, "A-005", 5, 5, 3),
        sheet(3, "A-006", 5, 5, 3),                                  # under quorum (1 of 2)
        # tie on the median, A-008 asks for less.
        sheet(1, "A-007", 3, 3, 1), sheet(2, "A-007", 3, 2, 1),
        sheet(3, "A-008", 3, 3, 1), sheet(4, "A-008", 3, 2, 1),
        # Panel member 5 declared a conflict on A-001 after scoring it: excluded.
        sheet(5, "A-001", 1, 1, 0),
        # A-002 was re-scored at stage 2 after discussion.
        sheet(1, "A-002", 4, 3, 2, stage=2), sheet(2, "A-002", 4, 3, None, stage=2),
        # A sheet of only "don't know".
        sheet(5, "A-003", None, None, None),
    ]
    return {
        "schema_version": 1,
        "voting_version": "0.1.0",
        "organisation": "Community Fund",
        "round": {"id": 7, "name": "Warm Homes Fund 2026", "purpose": "Keep homes warm.",
                  "currency": "GBP", "budget": 110_000, "involvement": "co-production",
                  "binding": True, "published_at": "2026-11-21T23:00:00Z"},
        "rules": {"method": "scores", "aggregation": "mean", "quorum": 2, "fit_rule": "skip",
                  "tie_break": ["smaller_amount", "draw"]},
        "rubric": rubric,
        "applications": applications,
        "panel": [f"Panel member {i}" for i in range(1, 6)],
        "sheets": sheets,
        "conflicts": [{"member": "Panel member 5", "application": "A-001",
                       "category": "trustee"},
                      {"member": "Panel member 4", "application": "A-001",
                       "category": "close-friend"}],
        "randomness": {"commitment": seed_commitment(SEED), "seed": SEED,
                       "procedure": DRAW_PROCEDURE},
    }


OVERRIDES = [
    {"application": "A-002", "action": "unfund", "reason": "The applicant withdrew."},
    {"application": "A-006", "action": "fund", "reason": "Only late because our form failed."},
]


def realistic_record(*, overrides: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return build_record(realistic_inputs(), overrides=OVERRIDES if overrides is None
                        else overrides, previous_digest="sha256:" + "ab" * 32)


def reseal(record: dict[str, Any]) -> dict[str, Any]:
    record["digest"] = record_digest(record)
    return record


# --------------------------------------------------------------------------- canonical form


def test_canonical_json_is_sorted_compact_utf8() -> None:
    obj = {"b": 1, "a": ["£", None, True, {"z": 0, "y": "é"}]}
    assert canonical_json(obj) == '{"a":["£",null,true,{"y":"é","z":0}],"b":1}'.encode()


def test_canonical_json_refuses_a_float_and_names_where_it_is() -> None:
    with pytest.raises(VotingError, match=r"x\[1\].*no floats"):
        canonical_json({"x": [1, 2.5]})


def test_canonical_json_refuses_values_json_cannot_hold() -> None:
    with pytest.raises(VotingError, match="set"):
        canonical_json({"x": {1, 2}})
    with pytest.raises(VotingError, match="not text"):
        canonical_json({1: "a"})


def test_record_digest_is_sha256_of_the_canonical_body_without_the_digest() -> None:
    body = {"schema_version": 1, "z": "£"}
    expected = "sha256:" + hashlib.sha256(b'{"schema_version":1,"z":"\xc2\xa3"}').hexdigest()
    assert record_digest(body) == expected
    assert record_digest({**body, "digest": "sha256:whatever"}) == expected


# --------------------------------------------------------------------------- build + verify


def test_a_built_record_has_every_section_and_survives_a_json_round_trip() -> None:
    record = realistic_record()
    assert set(record) == set(RECORD_KEYS)
    assert json.loads(canonical_json(record)) == record
    assert record["digest"] == record_digest(record)


def test_the_realistic_round_exercises_every_kind_of_output() -> None:
    out = realistic_record()["outputs"]
    status = {r["id"]: r["status"] for r in out["applications"]}
    assert status["A-005"] == "ineligible"
    assert status["A-006"] == "under-quorum"
    assert "skipped" in status.values()
    assert {t["resolved_by"] for t in out["ties"]} == {"smaller_amount", "draw"}
    assert out["draws"][0]["applications"] == ["A-003", "A-004"]
    a1 = out["applications"][0]
    assert (a1["n_scores"], a1["n_conflicts"]) == (3, 2)
    assert out["applications"][1]["n_scores"] == 2          # stage 2 replaced stage 1
    assert out["applications"][2]["n_scores"] == 2          # the don't-know sheet is no score


def test_a_built_record_verifies_and_says_what_it_checked() -> None:
    report = verify_record(realistic_record())
    assert report == VerifyReport(ok=True, checks=report.checks, mismatch=None,
                                  message=report.message)
    text = "\n".join(report.checks)
    assert "schema version 1" in text
    assert "seed matches its published commitment sha256:" in text
    assert "8 application results recomputed from 21 score sheets and 2 declared conflicts" in text
    assert "overridden by staff (2 overrides, each with a published reason)" in text
    assert "total £" in text
    assert "follows the record with digest sha256:abab" in text


def test_a_confirmed_record_without_overrides_verifies() -> None:
    record = build_record(realistic_inputs())
    assert record["decision"]["outcome"] == "confirmed"
    assert record["decision"]["overrides"] == []
    assert [f["application"] for f in record["decision"]["funded"]] == \
        record["outputs"]["funding"]["funded"]
    assert record["previous_digest"] is None
    report = verify_record(record)
    assert report.ok, report.message
    assert "first record in the chain" in report.checks[-1]


def test_rebuilding_a_record_from_its_own_inputs_gives_the_same_record() -> None:
    record = realistic_record()
    again = build_record(record, overrides=record["decision"]["overrides"],
                         previous_digest=record["previous_digest"])
    assert canonical_json(again) == canonical_json(record)


def test_build_record_refuses_a_seed_that_does_not_match_its_commitment() -> None:
    inputs = realistic_inputs()
    inputs["randomness"]["seed"] = OTHER_SEED
    with pytest.raises(InputError, match="does not match the published commitment") as caught:
        build_record(inputs)
    assert caught.value.path == "randomness.seed"


def test_build_record_refuses_an_unknown_top_level_section() -> None:
    with pytest.raises(InputError, match="not part of schema version 1"):
        build_record({**realistic_inputs(), "applicant_emails": []})


# --------------------------------------------------------------------------- tampering


def _leaf_paths(obj: Any, keys: tuple[Any, ...] = (), path: str = ""
                ) -> Iterator[tuple[str, tuple[Any, ...]]]:
    if isinstance(obj, dict):
        for key in sorted(obj):
            yield from _leaf_paths(obj[key], (*keys, key), f"{path}.{key}" if path else key)
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from _leaf_paths(item, (*keys, i), f"{path}[{i}]")
    else:
        yield path, keys


def _mutated(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if value is None:
        return 0
    raise AssertionError(f"unexpected leaf {value!r}")


def _edit(record: dict[str, Any], keys: tuple[Any, ...]) -> dict[str, Any]:
    edited = copy.deepcopy(record)
    target: Any = edited
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = _mutated(target[keys[-1]])
    return edited


RECORD = realistic_record()
LEAVES = list(_leaf_paths(RECORD))
COMPUTED_LEAVES = [(p, k) for p, k in LEAVES
                   if k[0] == "outputs" or (k[0] == "decision" and k[1] != "overrides")]


def test_the_tampering_tests_cover_hundreds_of_fields() -> None:
    assert len(LEAVES) > 400
    assert len(COMPUTED_LEAVES) > 150


@pytest.mark.parametrize(("path", "keys"), LEAVES, ids=[p for p, _ in LEAVES])
def test_editing_any_single_field_makes_verification_fail(path: str, keys: tuple[Any, ...]
                                                          ) -> None:
    report = verify_record(_edit(RECORD, keys))
    assert report.ok is False
    assert report.mismatch
    assert report.message


@pytest.mark.parametrize(("path", "keys"), COMPUTED_LEAVES, ids=[p for p, _ in COMPUTED_LEAVES])
def test_an_edited_output_is_named_even_when_the_digest_is_recomputed(
        path: str, keys: tuple[Any, ...]) -> None:
    report = verify_record(reseal(_edit(RECORD, keys)))
    assert (report.ok, report.mismatch) == (False, path)


def test_an_edited_input_with_a_recomputed_digest_is_caught_by_recounting() -> None:
    record = copy.deepcopy(RECORD)
    record["sheets"][0]["scores"]["impact"] = 1
    report = verify_record(reseal(record))
    assert (report.ok, report.mismatch) == (False, "outputs.applications[0].aggregate")


def test_an_edited_field_without_a_recomputed_digest_is_caught_by_the_digest() -> None:
    record = copy.deepcopy(RECORD)
    record["applications"][0]["title"] = "Something else"
    report = verify_record(record)
    assert (report.ok, report.mismatch) == (False, "digest")


def test_a_seed_that_does_not_match_its_commitment_fails_naming_randomness_seed() -> None:
    record = copy.deepcopy(RECORD)
    record["randomness"]["seed"] = OTHER_SEED
    report = verify_record(reseal(record))
    assert (report.ok, report.mismatch) == (False, "randomness.seed")
    assert "does not match the published commitment" in report.message
    assert report.checks == ["schema version 1, written by voting 0.1.0, with every section "
                             "present and no floats"]


def test_a_record_from_an_unknown_schema_version_is_refused_first_naming_it() -> None:
    report = verify_record({**RECORD, "schema_version": 4})
    assert (report.ok, report.mismatch, report.checks) == (False, "schema_version", [])
    assert "schema version 4" in report.message


@pytest.mark.parametrize(("record", "mismatch"), [
    ([1, 2, 3], "record"),
    ("not a record", "record"),
    ({}, "schema_version"),
    ({k: v for k, v in RECORD.items() if k != "outputs"}, "outputs"),
    ({k: v for k, v in RECORD.items() if k != "digest"}, "digest"),
    ({**RECORD, "extra": 1}, "extra"),
    ({**RECORD, "round": {**RECORD["round"], "budget": 110_000.0}}, "round.budget"),
    ({**RECORD, "outputs": None}, "outputs"),
    ({**RECORD, "decision": {"outcome": "confirmed"}}, "decision.overrides"),
    ({**RECORD, "randomness": {"seed": SEED}}, "randomness"),
    ({**RECORD, "sheets": "none"}, "sheets"),
    ({**RECORD, "previous_digest": "md5:1"}, "previous_digest"),
])
def test_a_malformed_record_fails_with_a_named_field_and_never_raises(
        record: Any, mismatch: str) -> None:
    report = verify_record(record)
    assert (report.ok, report.mismatch) == (False, mismatch)
    assert report.message


# --------------------------------------------------------------------------- overrides


def test_overrides_unfund_then_fund_in_override_order() -> None:
    record = RECORD
    computed = record["outputs"]["funding"]["funded"]
    assert "A-002" in computed and "A-006" not in computed
    decision = record["decision"]
    assert decision["outcome"] == "overridden"
    assert [f["application"] for f in decision["funded"]] == \
        [a for a in computed if a != "A-002"] + ["A-006"]
    amounts = {a["id"]: a["amount"] for a in record["applications"]}
    assert decision["total"] == sum(amounts[f["application"]] for f in decision["funded"])
    assert decision["overrides"] == OVERRIDES


def test_overrides_worked_by_hand_unfund_then_fund_in_override_order() -> None:
    apps = [{"id": "A", "amount": 50}, {"id": "B", "amount": 30}, {"id": "C", "amount": 20}]
    outputs = {"funding": {"funded": ["A", "B"]}}
    decision = apply_overrides(outputs, [
        {"application": "C", "action": "fund", "reason": "Local need."},
        {"application": "A", "action": "unfund", "reason": "Duplicate funding."},
    ], apps)
    assert decision == {
        "outcome": "overridden",
        "overrides": [{"application": "C", "action": "fund", "reason": "Local need."},
                      {"application": "A", "action": "unfund", "reason": "Duplicate funding."}],
        "funded": [{"application": "B", "amount": 30}, {"application": "C", "amount": 20}],
        "total": 50,
    }


@pytest.mark.parametrize(("override", "path", "requirement"), [
    ({"application": "A-006", "action": "fund", "reason": "  "}, "overrides[0].reason",
     "written reason"),
    ({"application": "A-999", "action": "fund", "reason": "r"}, "overrides[0].application",
     "is not an application"),
    ({"application": "A-001", "action": "fund", "reason": "r"}, "overrides[0].action",
     "already funded"),
    ({"application": "A-006", "action": "unfund", "reason": "r"}, "overrides[0].action",
     "not funded by the count"),
    ({"application": "A-006", "action": "veto", "reason": "r"}, "overrides[0].action",
     "'fund' or 'unfund'"),
    ({"application": "A-006", "action": "fund"}, "overrides[0].reason", "required"),
    ({"application": "A-006", "action": "fund", "reason": "r", "by": "Jo"}, "overrides[0].by",
     "not part of an override"),
])
def test_an_invalid_override_is_refused_with_the_requirement_named(
        override: dict[str, Any], path: str, requirement: str) -> None:
    with pytest.raises(InputError, match=requirement) as caught:
        build_record(realistic_inputs(), overrides=[override])
    assert caught.value.path == path


def test_the_same_application_cannot_be_overridden_twice() -> None:
    twice = [{"application": "A-006", "action": "fund", "reason": "r"},
             {"application": "A-006", "action": "fund", "reason": "again"}]
    with pytest.raises(InputError, match="overridden twice"):
        build_record(realistic_inputs(), overrides=twice)


def test_an_edited_override_reason_is_caught_by_the_digest() -> None:
    record = copy.deepcopy(RECORD)
    record["decision"]["overrides"][0]["reason"] = "A different reason."
    assert verify_record(record).mismatch == "digest"


def test_a_removed_override_is_caught_even_with_a_recomputed_digest() -> None:
    record = copy.deepcopy(RECORD)
    del record["decision"]["overrides"][1]
    report = verify_record(reseal(record))
    assert report.ok is False
    assert report.mismatch is not None and report.mismatch.startswith("decision.")


def test_records_chain_by_previous_digest() -> None:
    first = build_record(realistic_inputs())
    second = build_record(realistic_inputs(), previous_digest=first["digest"])
    assert second["previous_digest"] == first["digest"]
    assert verify_record(second).ok
    with pytest.raises(InputError, match="previous_digest|sha256"):
        build_record(realistic_inputs(), previous_digest="not a digest")
