"""The decision-stage chain (schema 3): every stage on small hand-worked rounds.

Most rounds here use a one-criterion rubric scored 0..10, so a sheet's total is its score
and every expected value can be worked out by hand in the test's comment.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from tests.voting.test_record import realistic_inputs
from voting.agreement import krippendorff_alpha
from voting.draws import DRAW_PROCEDURE, draw_order, seed_commitment
from voting.panel import InputError, decide_round
from voting.record import canonical_json
from voting.stages import (
    AGGREGATIONS_3,
    CALIBRATIONS,
    COMPLETIONS,
    CONSENSUS_MEASURES,
    CONSENT_RULES,
    RANKED_METHODS,
    SHORTLIST_RULES,
    UTILITIES,
    check_stages,
    decide_stages,
    default_stages,
    describe_stages,
    flagged_of,
    shortlist_of,
)

SEED = "0123456789abcdef" * 4
MEMBERS = [f"P{i}" for i in range(1, 7)]


# --------------------------------------------------------------------------- builders


def scores_stage(aggregation: str = "mean", trim: str = "0.00",
                 calibration: str = "none") -> dict[str, Any]:
    return {"kind": "scores", "aggregation": aggregation, "trim": trim,
            "calibration": calibration}


def consensus_stage(measure: str = "range", threshold: str = "3.00",
                    rescore: bool = False) -> dict[str, Any]:
    return {"kind": "consensus", "measure": measure, "threshold": threshold, "rescore": rescore}


def ranked_stage(method: str = "irv", *, size: int | None = 3, above: str | None = None,
                 seats: int | None = 1) -> dict[str, Any]:
    return {"kind": "ranked", "method": method, "shortlist": "top" if above is None else "above",
            "size": size if above is None else None, "above": above, "seats": seats}


def funding_stage(rule: str = "in-order", fit_rule: str = "skip", *, utilities: str | None = None,
                  completion: str | None = None, lottery: bool = False) -> dict[str, Any]:
    return {"kind": "funding", "rule": rule, "fit_rule": fit_rule, "utilities": utilities,
            "completion": completion, "lottery": lottery}


def consent_stage(rule: str = "no-objection", threshold: str | None = None) -> dict[str, Any]:
    return {"kind": "consent", "rule": rule, "threshold": threshold}


def make_inputs(
    scores: Mapping[str, Mapping[str, int | None]],
    *,
    stages: Any = None,
    amounts: Mapping[str, int] | None = None,
    budget: int = 100,
    quorum: int = 1,
    ineligible: Sequence[str] = (),
    conflicts: Sequence[tuple[str, str]] = (),
    objections: Sequence[tuple[str, str]] = (),
    stage2: Mapping[str, Mapping[str, int]] | None = None,
    ballots: Sequence[tuple[str, Sequence[str]]] = (),
    approvals: bool = False,
    consents: Sequence[tuple[str, str, str | None]] = (),
    tie_break: Sequence[str] = ("draw",),
) -> dict[str, Any]:
    """A schema-3 round: ``scores[app][member]`` is that member's stage-1 score (0..10)."""
    apps = list(scores)
    sheets = [{"member": m, "application": a, "stage": 1, "scores": {"q": s},
               "objection": (m, a) in objections}
              for a in apps for m, s in scores[a].items()]
    for a, by_member in (stage2 or {}).items():
        sheets += [{"member": m, "application": a, "stage": 2, "scores": {"q": s},
                    "objection": False} for m, s in by_member.items()]
    key = "approved" if approvals else "ranking"
    return {
        "schema_version": 3,
        "round": {"id": 1, "name": "Test round", "purpose": "Testing.", "currency": "GBP",
                  "budget": budget, "involvement": "co-production", "binding": True,
                  "published_at": "2026-12-01T00:00:00Z"},
        "rules": {"quorum": quorum, "tie_break": list(tie_break),
                  "stages": stages if stages is not None else default_stages("mean", "skip")},
        "rubric": [{"key": "q", "name": "Quality", "guidance": "", "weight": 1,
                    "scale_min": 0, "scale_max": 10,
                    "descriptors": [f"{i} points" for i in range(11)]}],
        "applications": [{"id": a, "title": f"Application {a}", "summary": "",
                          "amount": (amounts or {}).get(a, 10), "eligible": a not in ineligible,
                          "eligibility_reason": ""} for a in apps],
        "panel": list(MEMBERS),
        "sheets": sheets,
        "conflicts": [{"member": m, "application": a, "category": "other",
                       "declared_by": "member", "when": "before-close"} for m, a in conflicts],
        "ballots": [{"member": m, "stage": "ranked", key: list(ids)} for m, ids in ballots],
        "consents": [{"member": m, "position": p, "application": a} for m, p, a in consents],
        "randomness": {"commitment": seed_commitment(SEED), "seed": SEED,
                       "procedure": DRAW_PROCEDURE},
    }


def by_id(outputs: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in outputs["applications"]}


def raises_at(path: str, inputs: Mapping[str, Any], words: str = "") -> InputError:
    with pytest.raises(InputError) as info:
        decide_stages(inputs)
    assert info.value.path == path, info.value
    assert words in info.value.requirement
    return info.value


# --------------------------------------------------------------------------- schema 1 parity


def schema_3_of(inputs_1: Mapping[str, Any], aggregation: str, fit_rule: str) -> dict[str, Any]:
    inputs = copy.deepcopy(dict(inputs_1))
    inputs["schema_version"] = 3
    rules = inputs["rules"]
    inputs["rules"] = {"quorum": rules["quorum"], "tie_break": rules["tie_break"],
                       "stages": default_stages(aggregation, fit_rule)}
    inputs["sheets"] = [dict(s, objection=False) for s in inputs["sheets"] if s["stage"] == 1]
    inputs["conflicts"] = [dict(c, declared_by="staff", when="before-close")
                           for c in inputs["conflicts"]]
    inputs["ballots"], inputs["consents"] = [], []
    return inputs


@pytest.mark.parametrize(("aggregation", "fit_rule"),
                         list(itertools.product(("mean", "median"), ("skip", "stop"))))
def test_the_default_chain_decides_exactly_as_schema_1(aggregation: str, fit_rule: str) -> None:
    inputs_1 = realistic_inputs()
    inputs_1["sheets"] = [s for s in inputs_1["sheets"] if s["stage"] == 1]
    inputs_1["rules"] = dict(inputs_1["rules"], aggregation=aggregation, fit_rule=fit_rule)
    expected = decide_round(inputs_1)
    outputs = decide_stages(schema_3_of(inputs_1, aggregation, fit_rule))
    for key in ("applications", "order", "ties", "draws"):
        assert outputs[key] == expected[key]
    assert {k: outputs["funding"][k] for k in expected["funding"]} == expected["funding"]
    assert outputs["funding"]["rule"] == "in-order" and outputs["funding"]["lottery"] is None
    assert outputs["stages"] == ["scores", "funding"]
    for key in ("calibration", "consensus", "ranked", "consent"):
        assert outputs[key] is None
    assert outputs["after_close"] == []


def test_stage_2_with_rescore_replaces_stage_1_as_schema_1_does() -> None:
    inputs_1 = realistic_inputs()
    expected = decide_round(inputs_1)
    inputs = schema_3_of(inputs_1, "mean", "skip")
    inputs["sheets"] = [dict(s, objection=False) for s in inputs_1["sheets"]]
    inputs["sheets"][3]["objection"] = True  # A-002 is flagged by an objection
    inputs["rules"]["stages"].insert(1, consensus_stage("sd", "5.00", rescore=True))
    outputs = decide_stages(inputs)
    assert outputs["applications"] == expected["applications"]
    assert outputs["consensus"]["flagged"] == ["A-002"]
    row = next(r for r in outputs["consensus"]["applications"] if r["id"] == "A-002")
    assert row == {"id": "A-002", "sd": "0.00", "iqr": "0.00", "range": "0.00", "flagged": True,
                   "reasons": ["objection"], "stage2_sheets": 2}


def test_outputs_are_canonical_json_and_the_same_bytes_every_time() -> None:
    inputs = make_inputs(
        {"A": {"P1": 8, "P2": 6}, "B": {"P1": 6, "P2": 6, "P3": 7}, "C": {"P2": 6, "P3": 6},
         "D": {"P1": 3, "P4": 9}},
        stages=[scores_stage("trimmed-mean", "0.20", "zscore"), consensus_stage(),
                ranked_stage("stv", size=3, seats=2), funding_stage(lottery=True),
                consent_stage("supermajority", "2/3")],
        ballots=[("P1", ["A", "B"]), ("P2", ["B", "C", "A"]), ("P3", ["C"])],
        consents=[("P1", "consent", None)], budget=25)
    before = copy.deepcopy(inputs)
    first = canonical_json(decide_stages(inputs))
    assert canonical_json(decide_stages(copy.deepcopy(inputs))) == first
    assert inputs == before  # the inputs are not changed


# --------------------------------------------------------------------------- score stage


def test_trimmed_mean_drops_floor_n_times_trim_from_each_end() -> None:
    # A: 0 5 6 7 10, trim 0.20: k = floor(5 * 0.2) = 1, mean of 5 6 7 = 6 (the mean is 5.6)
    # B: 2 4 6 8, trim 0.20: k = floor(0.8) = 0, the plain mean 5
    inputs = make_inputs({"A": dict(zip(MEMBERS, [0, 5, 6, 7, 10], strict=False)),
                          "B": dict(zip(MEMBERS, [2, 4, 6, 8], strict=False))},
                         stages=[scores_stage("trimmed-mean", "0.20"), funding_stage()])
    apps = by_id(decide_stages(inputs))
    assert (apps["A"]["aggregate"], apps["A"]["mean"]) == ("6.00", "5.60")
    assert apps["B"]["aggregate"] == "5.00"


HARSH_AND_GENEROUS = {"A": {"P1": 4}, "B": {"P2": 7}, "C": {"P1": 2, "P2": 9}}


def test_zscore_calibration_puts_a_harsh_members_favourite_first() -> None:
    # P1 (mean 3, sd sqrt 2) gives A z = +1/sqrt 2; P2 (mean 8) gives B z = -1/sqrt 2.
    # Panel totals 4 7 2 9: mean 5.5, sd sqrt(29/3); A = 5.5 + sqrt(29/6) = 7.698484 (6 dp),
    # B = 5.5 - 2.198484 = 3.301516, C = mean of the two = 5.5.
    inputs = make_inputs(HARSH_AND_GENEROUS,
                         stages=[scores_stage(calibration="zscore"), funding_stage()])
    outputs = decide_stages(inputs)
    assert outputs["order"] == ["A", "C", "B"]
    assert [by_id(outputs)[a]["aggregate"] for a in "ABC"] == ["7.70", "3.30", "5.50"]
    assert outputs["calibration"] == {"method": "zscore", "components": 1, "warning": False}
    raw = decide_stages(make_inputs(HARSH_AND_GENEROUS))
    assert raw["order"] == ["B", "C", "A"]


def test_additive_calibration_removes_each_members_effect() -> None:
    # Exact fit: C gives l2 - l1 = 7, so l1 = -3.5, l2 = 3.5; calibrated totals
    # A 4 + 3.5 = 7.5, B 7 - 3.5 = 3.5, C 5.5 and 5.5.
    inputs = make_inputs(HARSH_AND_GENEROUS,
                         stages=[scores_stage(calibration="additive"), funding_stage()])
    outputs = decide_stages(inputs)
    assert outputs["order"] == ["A", "C", "B"]
    assert [by_id(outputs)[a]["aggregate"] for a in "ABC"] == ["7.50", "3.50", "5.50"]
    assert outputs["calibration"] == {"method": "additive", "components": 1, "warning": False}


def test_a_disconnected_design_is_reported() -> None:
    inputs = make_inputs({"A": {"P1": 4, "P2": 6}, "B": {"P3": 7, "P4": 5}},
                         stages=[scores_stage(calibration="zscore"), funding_stage()])
    assert decide_stages(inputs)["calibration"] == {"method": "zscore", "components": 2,
                                                    "warning": True}


# --------------------------------------------------------------------------- consensus


def test_consensus_measures_and_flags() -> None:
    # A: 0 5 6 7 10 -> halves 0 5 | 7 10 (median left out): IQR 8.5 - 2.5 = 6, range 10,
    #    sd sqrt(53.2 / 4) = 3.65.  B: 1 2 3 4 -> IQR 3.5 - 1.5 = 2, range 3 (= threshold:
    #    not flagged).  C: one total, no measure, but an objection.  D: 5 5, objection by a
    #    conflicted member (set aside).
    inputs = make_inputs(
        {"A": dict(zip(MEMBERS, [0, 5, 6, 7, 10], strict=False)),
         "B": dict(zip(MEMBERS, [1, 2, 3, 4], strict=False)), "C": {"P1": 5},
         "D": {"P1": 5, "P2": 5}, "E": {"P1": 0, "P2": 9}},
        stages=[scores_stage(), consensus_stage("range", "3.00"), funding_stage()],
        objections=[("P1", "C"), ("P2", "D")], conflicts=[("P2", "D")], ineligible=["E"])
    consensus = decide_stages(inputs)["consensus"]
    rows = {r["id"]: r for r in consensus["applications"]}
    assert rows["A"] == {"id": "A", "sd": "3.65", "iqr": "6.00", "range": "10.00",
                         "flagged": True, "reasons": ["disagreement"], "stage2_sheets": 0}
    assert (rows["B"]["iqr"], rows["B"]["range"], rows["B"]["flagged"]) == ("2.00", "3.00", False)
    assert (rows["C"]["sd"], rows["C"]["reasons"]) == (None, ["objection"])
    assert rows["D"]["flagged"] is False
    assert rows["E"]["flagged"] is False  # ineligible: never flagged
    assert consensus["flagged"] == ["A", "C"]
    assert flagged_of(inputs) == ["A", "C"]


@pytest.mark.parametrize(("measure", "threshold", "flagged"),
                         [("sd", "1.41", True), ("sd", "1.42", False), ("iqr", "1.99", True),
                          ("iqr", "2.00", False), ("range", "1.99", True)])
def test_flagged_only_when_the_measure_is_strictly_over_the_threshold(
        measure: str, threshold: str, flagged: bool) -> None:
    # totals 4 6: sd sqrt 2 = 1.414..., IQR = range = 2
    inputs = make_inputs({"A": {"P1": 4, "P2": 6}},
                         stages=[scores_stage(), consensus_stage(measure, threshold),
                                 funding_stage()])
    assert decide_stages(inputs)["consensus"]["flagged"] == (["A"] if flagged else [])


def test_flags_are_listed_by_disagreement_then_id() -> None:
    inputs = make_inputs({"A": {"P1": 4, "P2": 6}, "B": {"P1": 0, "P2": 9},
                          "C": {"P1": 2, "P2": 4}, "D": {"P1": 5}},
                         stages=[scores_stage(), consensus_stage("range", "1.00"),
                                 funding_stage()], objections=[("P1", "D")])
    assert decide_stages(inputs)["consensus"]["flagged"] == ["B", "A", "C", "D"]


def test_krippendorff_alpha_is_exact_and_agrees_with_the_float_version() -> None:
    # units A: 1 2, B: 4 5; D_o = 1, D_e = 80 / 12, alpha = 1 - 12/80 = 0.85
    inputs = make_inputs({"A": {"P1": 1, "P2": 2}, "B": {"P1": 4, "P2": 5}, "C": {"P3": 9}},
                         stages=[scores_stage(), consensus_stage(), funding_stage()])
    assert decide_stages(inputs)["consensus"]["alpha"] == "0.850"
    nan = float("nan")
    reference = krippendorff_alpha([[1, 4, nan], [2, 5, nan], [nan, nan, 9]], level="interval")
    assert f"{float(reference):.3f}" == "0.850"


def test_alpha_is_null_when_undefined() -> None:
    inputs = make_inputs({"A": {"P1": 3, "P2": 3}, "B": {"P1": 3}},
                         stages=[scores_stage(), consensus_stage(), funding_stage()])
    assert decide_stages(inputs)["consensus"]["alpha"] is None


def test_stage_2_sheets_need_rescore_and_a_flag() -> None:
    scores = {"A": {"P1": 0, "P2": 9}, "B": {"P1": 5, "P2": 5}}
    rescore = [scores_stage(), consensus_stage("range", "3.00", rescore=True), funding_stage()]
    outputs = decide_stages(make_inputs(scores, stages=rescore, stage2={"A": {"P1": 6, "P2": 8}}))
    assert by_id(outputs)["A"]["aggregate"] == "7.00"  # stage 2 replaces stage 1
    assert outputs["consensus"]["applications"][0]["stage2_sheets"] == 2
    raises_at("sheets[4].application", make_inputs(scores, stages=rescore,
                                                   stage2={"B": {"P1": 6}}), "not flagged")
    no_rescore = [scores_stage(), consensus_stage("range", "3.00"), funding_stage()]
    raises_at("sheets[4].stage", make_inputs(scores, stages=no_rescore, stage2={"A": {"P1": 6}}))
    raises_at("sheets[4].stage", make_inputs(scores, stage2={"A": {"P1": 6}}))


# --------------------------------------------------------------------------- ranked stage

FIVE = {"A": {"P1": 9}, "B": {"P1": 8}, "C": {"P1": 7}, "D": {"P1": 6}, "E": {"P1": 5}}
IRV_BALLOTS = [("P1", ["A", "B", "C"]), ("P2", ["B", "A"]), ("P3", ["C", "B"]),
               ("P4", ["B", "C"]), ("P5", ["C", "A"])]


def test_the_shortlist_is_the_top_n_or_everything_above_a_score() -> None:
    top = make_inputs(FIVE, stages=[scores_stage(), ranked_stage(size=3), funding_stage()])
    assert shortlist_of(top) == ["A", "B", "C"]
    above = make_inputs(FIVE, stages=[scores_stage(), ranked_stage(above="6.00"),
                                      funding_stage()])
    del above["ballots"], above["consents"]  # before the vote: not needed
    assert shortlist_of(above) == ["A", "B", "C", "D"]
    assert shortlist_of(make_inputs(FIVE)) == []


def test_a_shortlist_of_one_fails_clearly() -> None:
    inputs = make_inputs(FIVE, stages=[scores_stage(), ranked_stage(above="8.50"),
                                       funding_stage()])
    with pytest.raises(InputError) as info:
        shortlist_of(inputs)
    assert info.value.path == "rules.stages[1].above"
    assert "at least 2" in info.value.requirement
    inputs = make_inputs(FIVE, stages=[scores_stage(), ranked_stage(above="7.00", seats=4),
                                       funding_stage()])
    raises_at("rules.stages[1].seats", inputs, "at most the shortlist size (3)")


def test_irv_elects_the_majority_winner_after_exclusions() -> None:
    # Round 1: A 1, B 2, C 2 of 5: A is excluded and P1's vote goes to B: B 3 > 5/2 wins.
    inputs = make_inputs(FIVE, stages=[scores_stage(), ranked_stage("irv"), funding_stage()],
                         ballots=IRV_BALLOTS)
    ranked = decide_stages(inputs)["ranked"]
    assert ranked["winners"] == ["B"] and ranked["order"] == ["B", "A", "C"]
    assert ranked["shortlist"] == ["A", "B", "C"] and ranked["ballots"] == 5
    assert ranked["rounds"][0] == {
        "round": 1, "tallies": {"A": 1, "B": 2, "C": 2}, "threshold": 3, "elected": [],
        "eliminated": ["A"], "transfers": {"A": -1, "B": 1}, "exhausted": 0,
        "note": "A has the fewest votes and is excluded"}
    assert ranked["rounds"][1]["elected"] == ["B"]


def test_sequential_irv_removes_each_winner_and_counts_again() -> None:
    # Without B: P1 A, P2 A, P3 C, P4 C, P5 C: C has 3 of 5 and wins the second count.
    inputs = make_inputs(FIVE, stages=[scores_stage(), ranked_stage("irv", seats=2),
                                       funding_stage()], ballots=IRV_BALLOTS)
    ranked = decide_stages(inputs)["ranked"]
    assert ranked["winners"] == ["B", "C"] and ranked["order"] == ["B", "C", "A"]
    assert [r["round"] for r in ranked["rounds"]] == [1, 2, 3]
    assert ranked["counts"] == [{"count": 1, "elected": ["B"], "rounds": [1, 2]},
                                {"count": 2, "elected": ["C"], "rounds": [3, 3]}]
    assert ranked["rounds"][2]["tallies"] == {"A": 2, "C": 3}
    assert ranked["rounds"][2]["note"].startswith("Count 2, without B: ")


def test_a_ballot_skips_the_applications_its_member_has_a_conflict_on() -> None:
    # P2 has a conflict on B: their ballot counts for A, so round 1 is A 2, B 1, C 2 and B
    # (lowest; with C tied? no: B alone) is excluded; P4's vote moves to C: C 3 wins.
    inputs = make_inputs(FIVE, stages=[scores_stage(), ranked_stage("irv"), funding_stage()],
                         ballots=IRV_BALLOTS, conflicts=[("P2", "B")])
    ranked = decide_stages(inputs)["ranked"]
    assert ranked["rounds"][0]["tallies"] == {"A": 2, "B": 1, "C": 2}
    assert ranked["winners"] == ["C"]


def test_ties_inside_a_method_go_by_score_order() -> None:
    # Borda with two ballots B>A and A>B (C last): A and B tie on points; A is higher in the
    # score order, so it comes first.
    inputs = make_inputs(FIVE, stages=[scores_stage(), ranked_stage("borda", seats=None),
                                       funding_stage()],
                         ballots=[("P1", ["B", "A", "C"]), ("P2", ["A", "B", "C"])])
    ranked = decide_stages(inputs)["ranked"]
    assert ranked["winners"] == ["A", "B", "C"]
    assert ranked["rounds"][0]["tallies"] == {"A": 3, "B": 3, "C": 0}


def test_borda_halves_are_published_as_exact_decimals() -> None:
    # one ballot ranks only A: B and C share the points of places 2 and 3: 0.5 each
    inputs = make_inputs(FIVE, stages=[scores_stage(), ranked_stage("borda"), funding_stage()],
                         ballots=[("P1", ["A"])])
    assert decide_stages(inputs)["ranked"]["rounds"][0]["tallies"] == {"A": 2, "B": "0.5",
                                                                       "C": "0.5"}


def test_stv_elects_in_order_with_exact_tallies() -> None:
    # 5 papers, 2 seats: quota floor(5/3) + 1 = 2.  A has 3: elected, surplus 1 moves at
    # 1/3 to B from each paper; then C (1) vs B (1 + 1/3 truncated): C is excluded.
    inputs = make_inputs(FIVE, stages=[scores_stage(), ranked_stage("stv", seats=2),
                                       funding_stage()],
                         ballots=[("P1", ["A", "B"]), ("P2", ["A", "B"]), ("P3", ["A", "B"]),
                                  ("P4", ["C"]), ("P5", ["B"])])
    ranked = decide_stages(inputs)["ranked"]
    assert ranked["winners"] == ["A", "B"]
    assert ranked["rounds"][0]["threshold"] == "2.00000"
    assert ranked["rounds"][0]["tallies"] == {"A": "3.00000", "B": "1.00000", "C": "1.00000"}
    assert ranked["rounds"][0]["note"].startswith("A elected; surplus of A transferred")


@pytest.mark.parametrize("method", ["schulze", "ranked-pairs"])
def test_condorcet_methods_give_a_full_ranking(method: str) -> None:
    # B beats A 3-2 and C 4-1; A beats C 3-2
    ballots = [("P1", ["A", "B", "C"]), ("P2", ["B", "A", "C"]), ("P3", ["B", "C", "A"]),
               ("P4", ["A", "B", "C"]), ("P5", ["B", "A", "C"])]
    inputs = make_inputs(FIVE, stages=[scores_stage(), ranked_stage(method, seats=2),
                                       funding_stage()], ballots=ballots)
    ranked = decide_stages(inputs)["ranked"]
    assert ranked["winners"] == ["B", "A"] and ranked["order"] == ["B", "A", "C"]


def test_approval_voting_counts_ticks() -> None:
    inputs = make_inputs(FIVE, stages=[scores_stage(), ranked_stage("approval", seats=1),
                                       funding_stage()], approvals=True,
                         ballots=[("P1", ["B", "C"]), ("P2", ["C"]), ("P3", ["A", "C"])])
    ranked = decide_stages(inputs)["ranked"]
    assert ranked["winners"] == ["C"] and ranked["order"] == ["C", "A", "B"]
    assert ranked["rounds"][0]["tallies"] == {"A": 1, "B": 1, "C": 3}


def test_the_final_order_is_winners_then_shortlist_then_the_rest_by_score() -> None:
    # amounts 10 each, budget 30: the winner C, then A and B (shortlist), not D or E.
    inputs = make_inputs(FIVE, stages=[scores_stage(), ranked_stage("irv"), funding_stage()],
                         ballots=[("P1", ["C"])], budget=30)
    outputs = decide_stages(inputs)
    assert outputs["order"] == ["A", "B", "C", "D", "E"]  # the score order
    assert outputs["funding"]["funded"] == ["C", "A", "B"]
    assert by_id(outputs)["D"]["status"] == "skipped"


@pytest.mark.parametrize(("ballots", "path", "words"), [
    ([("P1", ["A", "D"])], "ballots[0].ranking[1]", "not on the shortlist"),
    ([("P1", ["A", "A"])], "ballots[0].ranking[1]", "twice"),
    ([("P9", ["A"])], "ballots[0].member", "not in the panel"),
    ([("P2", ["A"]), ("P1", ["B"])], "ballots[1].member", "sorted by member"),
    ([("P1", ["A"]), ("P1", ["B"])], "ballots[1].member", "second ballot"),
    ([], "ballots", "at least one ballot"),
])
def test_invalid_ballots_are_refused_at_their_field(
        ballots: list[tuple[str, list[str]]], path: str, words: str) -> None:
    inputs = make_inputs(FIVE, stages=[scores_stage(), ranked_stage("irv"), funding_stage()],
                         ballots=ballots)
    raises_at(path, inputs, words)


def test_ballot_shapes_follow_the_method() -> None:
    approval = [scores_stage(), ranked_stage("approval"), funding_stage()]
    raises_at("ballots[0].approved", make_inputs(FIVE, stages=approval, approvals=True,
                                                 ballots=[("P1", ["B", "A"])]), "sorted")
    raises_at("ballots[0].approved", make_inputs(FIVE, stages=approval,
                                                 ballots=[("P1", ["A"])]), "required")
    inputs = make_inputs(FIVE, ballots=[("P1", ["A"])])
    raises_at("ballots", inputs, "no ranked stage")
    inputs = make_inputs(FIVE, stages=[scores_stage(), ranked_stage("irv"), funding_stage()],
                         ballots=[("P1", ["A"])])
    inputs["ballots"][0]["stage"] = "scores"
    raises_at("ballots[0].stage", inputs)


# --------------------------------------------------------------------------- funding


def test_equal_shares_on_approvals_matches_the_equalshares_net_example() -> None:
    # equalshares.net sample: budget 100 000, costs 5 000 / 10 000 / 85 000, voters
    # {A, B}, {A}, {C}, {A, B, C}: each holds 25 000, C's two supporters cannot pay 85 000.
    stages = [scores_stage(), ranked_stage("approval", size=3, seats=None),
              funding_stage("equal-shares", utilities="approvals", completion="none")]
    inputs = make_inputs({"A": {"P1": 5}, "B": {"P1": 6}, "C": {"P1": 7}}, stages=stages,
                         amounts={"A": 5_000, "B": 10_000, "C": 85_000}, budget=100_000,
                         approvals=True, ballots=[("P1", ["A", "B"]), ("P2", ["A"]),
                                                  ("P3", ["C"]), ("P4", ["A", "B", "C"])])
    funding = decide_stages(inputs)["funding"]
    assert funding["rule"] == "equal-shares"
    assert sorted(funding["funded"]) == ["A", "B"]
    assert (funding["spent"], funding["remaining"], funding["line_after_rank"]) == \
        (15_000, 85_000, None)


def test_equal_shares_on_scores_uses_each_members_totals() -> None:
    # budget 120, two members with 60 each; P1 only scores A, P2 only B: both funded;
    # C (cost 60) has no support from anyone with money left.
    stages = [scores_stage(), funding_stage("equal-shares", utilities="scores",
                                            completion="none")]
    inputs = make_inputs({"A": {"P1": 9}, "B": {"P2": 5}, "C": {"P1": 0, "P2": 0}},
                         stages=stages, amounts={"A": 60, "B": 60, "C": 60}, budget=120)
    inputs["panel"] = ["P1", "P2"]
    outputs = decide_stages(inputs)
    assert sorted(outputs["funding"]["funded"]) == ["A", "B"]
    assert by_id(outputs)["C"]["status"] == "below-line"


TIED_AT_THE_LINE = {"A": {"P1": 8}, "B": {"P1": 6}, "C": {"P1": 6}, "D": {"P1": 6},
                    "E": {"P1": 1}}


def test_a_partial_lottery_draws_among_the_applications_tied_at_the_line() -> None:
    # costs 40 each, budget 100: A and one of B, C, D fit.  B, C and D have the same result,
    # so the published draw "lottery" orders them and the first drawn is funded.
    inputs = make_inputs(TIED_AT_THE_LINE, stages=[scores_stage(), funding_stage(lottery=True)],
                         amounts=dict.fromkeys("ABCDE", 40), budget=100)
    outputs = decide_stages(inputs)
    drawn = draw_order(SEED, "lottery", ["B", "C", "D"])
    assert outputs["funding"]["lottery"] == {"group": ["B", "C", "D"], "order": drawn}
    assert outputs["funding"]["funded"] == ["A", drawn[0]]
    assert {"purpose": "lottery", "applications": ["B", "C", "D"], "order": drawn} in \
        outputs["draws"]


def test_no_draw_when_nothing_is_tied_at_the_line() -> None:
    inputs = make_inputs({"A": {"P1": 8}, "B": {"P1": 6}, "C": {"P1": 5}},
                         stages=[scores_stage(), funding_stage(lottery=True)],
                         amounts=dict.fromkeys("ABC", 40), budget=100)
    outputs = decide_stages(inputs)
    assert outputs["funding"]["lottery"] == {"group": ["C"], "order": ["C"]}
    assert outputs["draws"] == []
    assert outputs["funding"]["funded"] == ["A", "B"]


# --------------------------------------------------------------------------- consent


def consent_inputs(rule: str, threshold: str | None,
                   consents: Sequence[tuple[str, str, str | None]]) -> dict[str, Any]:
    return make_inputs({"A": {"P1": 8}, "B": {"P1": 6}, "C": {"P1": 1}},
                       stages=[scores_stage(), funding_stage(), consent_stage(rule, threshold)],
                       amounts=dict.fromkeys("ABC", 50), budget=100, consents=consents)


def test_no_objection_passes_unless_someone_objects() -> None:
    ok = decide_stages(consent_inputs("no-objection", None, [("P1", "consent", None),
                                                             ("P3", "consent", None)]))
    assert ok["consent"] == {"rule": "no-objection", "threshold": None, "consents": 2,
                             "objections": [], "passed": True}
    objected = decide_stages(consent_inputs("no-objection", None,
                                            [("P1", "consent", None), ("P2", "object", "B")]))
    assert objected["consent"]["objections"] == [{"member": "P2", "application": "B"}]
    assert objected["consent"]["passed"] is False
    assert objected["funding"]["funded"] == ["A", "B"]  # reported, not applied


@pytest.mark.parametrize(("answers", "passed"), [(("consent", "consent", "object"), True),
                                                 (("consent", "object", "object"), False)])
def test_a_supermajority_counts_consents_among_answers(answers: tuple[str, ...],
                                                       passed: bool) -> None:
    consents = [(m, a, None if a == "consent" else "A")
                for m, a in zip(MEMBERS, answers, strict=False)]
    outputs = decide_stages(consent_inputs("supermajority", "2/3", consents))
    assert outputs["consent"]["passed"] is passed


@pytest.mark.parametrize(("consents", "path", "words"), [
    ([("P1", "object", "C")], "consents[0].application", "not funded"),
    ([("P1", "consent", "A")], "consents[0].application", "null"),
    ([("P2", "consent", None), ("P1", "consent", None)], "consents[1].member", "sorted"),
    ([("P1", "consent", None), ("P1", "consent", None)], "consents[1].member", "twice"),
    ([("P1", "maybe", None)], "consents[0].position", "must be one of"),
])
def test_invalid_consents_are_refused_at_their_field(consents: list[tuple[str, str, str | None]],
                                                     path: str, words: str) -> None:
    raises_at(path, consent_inputs("no-objection", None, consents), words)


def test_consents_without_a_consent_stage_are_refused() -> None:
    raises_at("consents", make_inputs(FIVE, consents=[("P1", "consent", None)]),
              "no consent stage")


# --------------------------------------------------------------------------- sensitivity


def test_sensitivity_reruns_each_alternative_and_names_what_depends_on_it() -> None:
    # A: 0 9 9 (mean 6, median 9); B: 7 7 7.  Budget 50, cost 50 each: the mean funds B,
    # the median and the trimmed mean (k = 0: the mean) ...
    inputs = make_inputs({"A": {"P1": 0, "P2": 9, "P3": 9}, "B": {"P1": 7, "P2": 7, "P3": 7}},
                         amounts={"A": 50, "B": 50}, budget=50)
    outputs = decide_stages(inputs)
    assert outputs["funding"]["funded"] == ["B"]
    changes = {s["change"]: s for s in outputs["sensitivity"]}
    assert list(changes) == ["aggregation=median", "aggregation=trimmed-mean",
                             "rule=equal-shares"]
    assert changes["aggregation=median"] == {"change": "aggregation=median", "funded": ["A"],
                                             "same": False}
    assert changes["aggregation=trimmed-mean"]["same"] is True
    assert outputs["depends"] == ["A", "B"]


def test_sensitivity_leaves_out_alternatives_that_cannot_run() -> None:
    inputs = make_inputs(FIVE, stages=[scores_stage(), ranked_stage("irv", seats=None),
                                       funding_stage()], ballots=IRV_BALLOTS)
    changes = [s["change"] for s in decide_stages(inputs)["sensitivity"]]
    assert changes == ["aggregation=median", "aggregation=trimmed-mean", "method=schulze",
                       "method=borda", "method=ranked-pairs", "rule=equal-shares"]


# --------------------------------------------------------------------------- the chain alone


@pytest.mark.parametrize(("stages", "path", "words"), [
    ("scores", "rules.stages", "must be a list"),
    ([], "rules.stages", "must start with a scores stage"),
    ([funding_stage()], "rules.stages", "must start with a scores stage"),
    ([scores_stage()], "rules.stages", "must have a funding stage"),
    ([scores_stage(), funding_stage(), funding_stage()], "rules.stages", "at most one funding"),
    ([scores_stage(), funding_stage(), consensus_stage()], "rules.stages", "in the order"),
    ([scores_stage(), {"kind": "vote"}, funding_stage()], "rules.stages[1].kind", "one of"),
    ([{**scores_stage(), "extra": 1}, funding_stage()], "rules.stages[0].extra", "not part"),
    ([{"kind": "scores", "aggregation": "mean", "trim": "0.00"}, funding_stage()],
     "rules.stages[0].calibration", "required"),
    ([scores_stage("mode"), funding_stage()], "rules.stages[0].aggregation", "one of"),
    ([scores_stage("trimmed-mean", "0.1"), funding_stage()], "rules.stages[0].trim",
     "two decimals"),
    ([scores_stage("trimmed-mean", "0.50"), funding_stage()], "rules.stages[0].trim",
     "less than 0.50"),
    ([scores_stage("mean", "0.10"), funding_stage()], "rules.stages[0].trim", "only a trimmed"),
    ([scores_stage(calibration="bayes"), funding_stage()], "rules.stages[0].calibration",
     "one of"),
    ([scores_stage(), consensus_stage(threshold="1.5"), funding_stage()],
     "rules.stages[1].threshold", "two decimals"),
    ([scores_stage(), consensus_stage(measure="ipras"), funding_stage()],
     "rules.stages[1].measure", "one of"),
    ([scores_stage(), {**consensus_stage(), "rescore": "yes"}, funding_stage()],
     "rules.stages[1].rescore", "true or false"),
    ([scores_stage(), ranked_stage(size=None), funding_stage()], "rules.stages[1].size",
     "needs its size"),
    ([scores_stage(), ranked_stage(size=1), funding_stage()], "rules.stages[1].size",
     "a shortlist needs at least 2 places"),
    ([scores_stage(), {**ranked_stage(), "above": "5.00"}, funding_stage()],
     "rules.stages[1].above", "must be null"),
    ([scores_stage(), ranked_stage(above="5"), funding_stage()], "rules.stages[1].above",
     "two decimals"),
    ([scores_stage(), {**ranked_stage(above="5.00"), "size": 3}, funding_stage()],
     "rules.stages[1].size", "must be null"),
    ([scores_stage(), ranked_stage("stv", seats=None), funding_stage()],
     "rules.stages[1].seats", "stv needs a number of seats"),
    ([scores_stage(), ranked_stage(seats=0), funding_stage()], "rules.stages[1].seats",
     "at least 1"),
    ([scores_stage(), ranked_stage(size=3, seats=4), funding_stage()], "rules.stages[1].seats",
     "at most the shortlist size"),
    ([scores_stage(), ranked_stage("coombs"), funding_stage()], "rules.stages[1].method",
     "one of"),
    ([scores_stage(), funding_stage("equal-shares", utilities="approvals", completion="none")],
     "rules.stages[1].utilities",
     "equal shares on approvals needs a ranked stage with approval voting"),
    ([scores_stage(), ranked_stage("irv"),
      funding_stage("equal-shares", utilities="approvals", completion="none")],
     "rules.stages[2].utilities", "approval voting"),
    ([scores_stage(), funding_stage("equal-shares", utilities=None, completion="none")],
     "rules.stages[1].utilities", "one of"),
    ([scores_stage(), funding_stage("equal-shares", utilities="scores", completion=None)],
     "rules.stages[1].completion", "one of"),
    ([scores_stage(), funding_stage("equal-shares", "stop", utilities="scores",
                                    completion="none")], "rules.stages[1].fit_rule", "skip"),
    ([scores_stage(), funding_stage("equal-shares", utilities="scores", completion="add1",
                                    lottery=True)], "rules.stages[1].lottery", "in-order"),
    ([scores_stage(), funding_stage(utilities="scores")], "rules.stages[1].utilities", "null"),
    ([scores_stage(), funding_stage(completion="add1")], "rules.stages[1].completion", "null"),
    ([scores_stage(), {**funding_stage(), "lottery": None}], "rules.stages[1].lottery", "true or false"),
    ([scores_stage(), funding_stage(), consent_stage("supermajority")],
     "rules.stages[2].threshold", "fraction"),
    ([scores_stage(), funding_stage(), consent_stage("supermajority", "3/2")],
     "rules.stages[2].threshold", "at most 1"),
    ([scores_stage(), funding_stage(), consent_stage("no-objection", "2/3")],
     "rules.stages[2].threshold", "must be null"),
    ([scores_stage(), funding_stage(), consent_stage("vote")], "rules.stages[2].rule", "one of"),
])
def test_check_stages_refuses_each_invalid_chain_at_its_field(stages: Any, path: str,
                                                              words: str) -> None:
    with pytest.raises(InputError) as info:
        check_stages(stages)
    assert info.value.path == path
    assert words in info.value.requirement
    inputs = make_inputs(FIVE, stages=stages)  # the same error through decide_stages
    raises_at(path, inputs, words)


def test_check_stages_accepts_every_valid_combination_and_returns_a_copy() -> None:
    stages = [scores_stage("trimmed-mean", "0.25", "additive"),
              consensus_stage("iqr", "2.50", True), ranked_stage("approval", size=4, seats=2),
              funding_stage("equal-shares", utilities="approvals", completion="add1"),
              consent_stage("supermajority", "3/4")]
    clean = check_stages(stages)
    assert clean == stages and clean[0] is not stages[0]
    assert check_stages(default_stages("trimmed-mean", "stop"))[0]["trim"] == "0.10"


@pytest.mark.parametrize(("inputs_change", "path", "words"), [
    ({"schema_version": 2}, "schema_version", "must be 3"),
    ({"extra": 1}, "extra", "not part of schema version 3"),
    ({"rules": {"quorum": 1, "tie_break": ["draw"], "stages": [], "method": "scores"}},
     "rules.method", "not part"),
    ({"rules": {"quorum": 0, "tie_break": ["draw"], "stages": default_stages("mean", "skip")}},
     "rules.quorum", "at least 1"),
])
def test_top_level_inputs_are_checked(inputs_change: dict[str, Any], path: str,
                                      words: str) -> None:
    raises_at(path, {**make_inputs(FIVE), **inputs_change}, words)


def test_sheets_and_conflicts_follow_schema_3() -> None:
    inputs = make_inputs(FIVE)
    del inputs["sheets"][0]["objection"]
    raises_at("sheets[0].objection", inputs, "required")
    inputs = make_inputs(FIVE)
    inputs["sheets"][0]["objection"] = "yes"
    raises_at("sheets[0].objection", inputs, "true or false")
    inputs = make_inputs(FIVE, conflicts=[("P1", "A")])
    del inputs["conflicts"][0]["declared_by"]
    raises_at("conflicts[0].declared_by", inputs)
    inputs = make_inputs(FIVE, conflicts=[("P1", "A")])
    inputs["conflicts"][0]["note"] = "private"
    error = raises_at("conflicts[0].note", inputs)
    assert "schema version 3" in error.requirement
    inputs = make_inputs(FIVE)
    inputs["sheets"][0]["scores"]["q"] = 11
    raises_at("sheets[0].scores.q", inputs, "from 0 to 10")


# --------------------------------------------------------------------------- describing


def every_valid_stage() -> list[list[dict[str, Any]]]:
    chains = []
    for agg, cal in itertools.product(AGGREGATIONS_3, CALIBRATIONS):
        chains.append([scores_stage(agg, "0.20" if agg == "trimmed-mean" else "0.00", cal),
                       funding_stage()])
    for measure, rescore in itertools.product(CONSENSUS_MEASURES, (True, False)):
        chains.append([scores_stage(), consensus_stage(measure, "1.00", rescore),
                       funding_stage()])
    for method, rule, seats in itertools.product(RANKED_METHODS, SHORTLIST_RULES, (None, 2)):
        if method == "stv" and seats is None:
            continue
        chains.append([scores_stage(), ranked_stage(method, size=4 if rule == "top" else None,
                                                    above="5.00" if rule == "above" else None,
                                                    seats=seats), funding_stage()])
    for fit, lottery in itertools.product(("skip", "stop"), (True, False)):
        chains.append([scores_stage(), funding_stage("in-order", fit, lottery=lottery)])
    for utilities, completion in itertools.product(UTILITIES, COMPLETIONS):
        ranked = [ranked_stage("approval")] if utilities == "approvals" else []
        chains.append([scores_stage(), *ranked,
                       funding_stage("equal-shares", utilities=utilities,
                                     completion=completion)])
    for rule in CONSENT_RULES:
        chains.append([scores_stage(), funding_stage(),
                       consent_stage(rule, "2/3" if rule == "supermajority" else None)])
    return chains


def test_describe_stages_gives_one_fillable_sentence_per_stage() -> None:
    seen: set[str] = set()
    for stages in every_valid_stage():
        described = describe_stages(stages)
        assert len(described) == len(stages)
        for message, params in described:
            text = message % params
            assert "%(" not in text and "None" not in text and text.endswith(".")
            seen.add(message)
    assert len(seen) >= 40  # a distinct sentence for each combination
    trimmed = describe_stages([scores_stage("trimmed-mean", "0.20"), funding_stage()])[0]
    assert "20 in every hundred" in trimmed[0] % trimmed[1]

