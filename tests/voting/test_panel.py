"""decide_round on small cases whose answers are worked out by hand in each test."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.draws import DRAW_PROCEDURE, seed_commitment
from voting.errors import VotingError
from voting.panel import InputError, decide_round, decimal_string

SEED = "5eed" * 16


def criterion(key: str = "c1", *, weight: int = 1, low: int = 1, high: int = 5) -> dict[str, Any]:
    return {"key": key, "name": f"Criterion {key}", "guidance": "What to look for.",
            "weight": weight, "scale_min": low, "scale_max": high,
            "descriptors": [f"Point {p}" for p in range(low, high + 1)]}


def application(app_id: str, *, amount: int = 1000, eligible: bool = True) -> dict[str, Any]:
    return {"id": app_id, "title": f"Project {app_id}", "summary": "A community project.",
            "amount": amount, "eligible": eligible,
            "eligibility_reason": "Meets the criteria." if eligible else "Outside the area."}


def sheet(member: int, app_id: str, *, stage: int = 1, **scores: int | None) -> dict[str, Any]:
    return {"member": f"Panel member {member}", "application": app_id, "stage": stage,
            "scores": scores}


def conflict(member: int, app_id: str, category: str = "family") -> dict[str, Any]:
    return {"member": f"Panel member {member}", "application": app_id, "category": category}


def make_inputs(
    *,
    rubric: Sequence[dict[str, Any]] | None = None,
    applications: Sequence[dict[str, Any]] | None = None,
    members: int = 8,
    sheets: Sequence[dict[str, Any]] = (),
    conflicts: Sequence[dict[str, Any]] = (),
    aggregation: str = "mean",
    quorum: int = 1,
    fit_rule: str = "skip",
    tie_break: Sequence[str] = ("draw",),
    budget: int = 100_000,
) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "round": {"id": 1, "name": "Test round", "purpose": "Testing.", "currency": "GBP",
                  "budget": budget, "involvement": "co-production", "binding": True,
                  "published_at": "2026-11-21T23:00:00Z"},
        "rules": {"method": "scores", "aggregation": aggregation, "quorum": quorum,
                  "fit_rule": fit_rule, "tie_break": list(tie_break)},
        "rubric": list(rubric or [criterion()]),
        "applications": list(applications or [application("A")]),
        "panel": [f"Panel member {i}" for i in range(1, members + 1)],
        "sheets": list(sheets),
        "conflicts": list(conflicts),
        "randomness": {"commitment": seed_commitment(SEED), "seed": SEED,
                       "procedure": DRAW_PROCEDURE},
    }


def result(outputs: dict[str, Any], app_id: str) -> dict[str, Any]:
    (found,) = [r for r in outputs["applications"] if r["id"] == app_id]
    return found


# --------------------------------------------------------------------------- statistics


def test_mean_median_min_max_and_sd_are_taken_over_sheet_totals() -> None:
    out = decide_round(make_inputs(sheets=[sheet(1, "A", c1=1), sheet(2, "A", c1=2),
                                           sheet(3, "A", c1=5)]))
    a = result(out, "A")
    # mean 8/3; variance ((5/3)^2 + (2/3)^2 + (7/3)^2) / 2 = 13/3; sqrt(13/3) = 2.0817
    assert (a["n_scores"], a["mean"], a["median"], a["min"], a["max"], a["sd"]) == \
        (3, "2.67", "2.00", "1.00", "5.00", "2.08")
    assert a["aggregate"] == "2.67"
    assert a["criteria"] == {"c1": "2.67"}


def test_median_aggregation_ranks_by_the_middle_total() -> None:
    out = decide_round(make_inputs(
        aggregation="median", applications=[application("A"), application("B")],
        sheets=[sheet(1, "A", c1=1), sheet(2, "A", c1=2), sheet(3, "A", c1=5),   # mean 2.67
                sheet(1, "B", c1=2), sheet(2, "B", c1=3), sheet(3, "B", c1=3)],  # mean 2.67
    ))
    assert result(out, "A")["aggregate"] == "2.00"
    assert result(out, "B")["aggregate"] == "3.00"
    assert out["order"] == ["B", "A"]


def test_median_of_an_even_number_of_totals_is_the_mean_of_the_middle_two() -> None:
    out = decide_round(make_inputs(aggregation="median", sheets=[
        sheet(1, "A", c1=1), sheet(2, "A", c1=2), sheet(3, "A", c1=4), sheet(4, "A", c1=5)]))
    assert result(out, "A")["median"] == "3.00"


def test_weights_multiply_scores_and_criterion_means_are_raw_scores() -> None:
    rubric = [criterion("c1", weight=2), criterion("c2", weight=1)]
    out = decide_round(make_inputs(rubric=rubric, sheets=[
        sheet(1, "A", c1=4, c2=1),    # 2*4 + 1 = 9
        sheet(2, "A", c1=3, c2=5),    # 2*3 + 5 = 11
    ]))
    a = result(out, "A")
    assert (a["mean"], a["min"], a["max"]) == ("10.00", "9.00", "11.00")
    assert a["sd"] == "1.41"   # variance (1 + 1) / 1 = 2
    assert a["criteria"] == {"c1": "3.50", "c2": "3.00"}


def test_a_dont_know_score_is_rescaled_to_the_full_weight_not_counted_as_zero() -> None:
    rubric = [criterion("c1", weight=2), criterion("c2", weight=1)]
    out = decide_round(make_inputs(rubric=rubric, sheets=[
        sheet(1, "A", c1=4, c2=None),   # 2*4 = 8 over weight 2, rescaled to weight 3: 12
        sheet(2, "A", c1=None, c2=3),   # 3 over weight 1, rescaled to weight 3: 9
        sheet(3, "A", c1=5),            # an absent key is "don't know" too: 10 * 3/2 = 15
    ]))
    a = result(out, "A")
    assert (a["n_scores"], a["mean"], a["min"], a["max"]) == (3, "12.00", "9.00", "15.00")
    assert a["criteria"] == {"c1": "4.50", "c2": "3.00"}


def test_a_sheet_of_only_dont_know_scores_is_not_a_score() -> None:
    out = decide_round(make_inputs(sheets=[sheet(1, "A", c1=None)]))
    a = result(out, "A")
    assert a["n_scores"] == 0
    assert [a[k] for k in ("aggregate", "mean", "median", "min", "max", "sd")] == [None] * 6
    assert a["criteria"] == {"c1": None}
    assert (a["quorum_met"], a["rank"], a["status"]) == (False, None, "under-quorum")


def test_sd_is_null_for_a_single_score() -> None:
    out = decide_round(make_inputs(sheets=[sheet(1, "A", c1=4)]))
    assert result(out, "A")["sd"] is None
    assert result(out, "A")["mean"] == "4.00"


def test_a_conflicted_members_sheet_is_excluded_and_the_conflict_counted_once() -> None:
    out = decide_round(make_inputs(
        applications=[application("A"), application("B")],
        sheets=[sheet(1, "A", c1=5), sheet(2, "A", c1=5), sheet(3, "A", c1=1)],
        conflicts=[conflict(3, "A"), conflict(3, "A", "close-friend"), conflict(4, "B")],
    ))
    a, b = result(out, "A"), result(out, "B")
    assert (a["n_scores"], a["n_conflicts"], a["mean"]) == (2, 1, "5.00")
    assert (b["n_scores"], b["n_conflicts"]) == (0, 1)


# --------------------------------------------------------------------------- who is ranked


def test_an_application_under_quorum_is_flagged_not_ranked() -> None:
    out = decide_round(make_inputs(
        quorum=2, applications=[application("A"), application("B")],
        sheets=[sheet(1, "A", c1=2), sheet(2, "A", c1=2), sheet(1, "B", c1=5)],
    ))
    b = result(out, "B")
    assert out["order"] == ["A"]
    assert (b["quorum_met"], b["rank"], b["status"], b["mean"]) == \
        (False, None, "under-quorum", "5.00")
    assert (result(out, "A")["quorum_met"], result(out, "A")["rank"]) == (True, 1)


def test_an_ineligible_application_is_not_ranked_even_with_high_scores() -> None:
    out = decide_round(make_inputs(
        applications=[application("A"), application("B", eligible=False)],
        sheets=[sheet(1, "A", c1=2), sheet(1, "B", c1=5)],
    ))
    b = result(out, "B")
    assert out["order"] == ["A"]
    assert (b["eligible"], b["rank"], b["status"], b["aggregate"]) == \
        (False, None, "ineligible", "5.00")


def test_stage_two_sheets_replace_stage_one_for_that_application_only() -> None:
    out = decide_round(make_inputs(
        applications=[application("A"), application("B")],
        sheets=[sheet(1, "A", c1=1), sheet(2, "A", c1=1), sheet(1, "A", stage=2, c1=5),
                sheet(1, "B", c1=3), sheet(2, "B", c1=4)],
    ))
    assert (result(out, "A")["n_scores"], result(out, "A")["mean"]) == (1, "5.00")
    assert (result(out, "B")["n_scores"], result(out, "B")["mean"]) == (2, "3.50")
    assert out["order"] == ["A", "B"]


def test_a_conflicted_members_stage_two_sheet_does_not_trigger_stage_two() -> None:
    out = decide_round(make_inputs(
        sheets=[sheet(1, "A", c1=2), sheet(2, "A", c1=4), sheet(3, "A", stage=2, c1=5)],
        conflicts=[conflict(3, "A")],
    ))
    assert (result(out, "A")["n_scores"], result(out, "A")["mean"]) == (2, "3.00")


# --------------------------------------------------------------------------- ties


def test_equal_aggregates_are_ordered_by_smaller_amount_when_declared() -> None:
    out = decide_round(make_inputs(
        tie_break=["smaller_amount", "draw"],
        applications=[application("A", amount=500), application("B", amount=300),
                      application("C", amount=900)],
        sheets=[sheet(1, "A", c1=4), sheet(1, "B", c1=4), sheet(1, "C", c1=5)],
    ))
    assert out["order"] == ["C", "B", "A"]
    assert out["ties"] == [{"applications": ["B", "A"], "resolved_by": "smaller_amount"}]
    assert out["draws"] == []
    assert [result(out, x)["rank"] for x in "ABC"] == [3, 2, 1]


def test_a_tie_break_key_that_does_not_separate_is_passed_over() -> None:
    out = decide_round(make_inputs(
        aggregation="median", tie_break=["more_scores", "higher_mean", "draw"],
        applications=[application("A"), application("B")],
        sheets=[sheet(1, "A", c1=1), sheet(2, "A", c1=3), sheet(3, "A", c1=5),   # mean 3
                sheet(1, "B", c1=2), sheet(2, "B", c1=3), sheet(3, "B", c1=5)],  # mean 10/3
    ))
    assert out["order"] == ["B", "A"]
    assert out["ties"] == [{"applications": ["B", "A"], "resolved_by": "higher_mean"}]


def test_the_chain_applies_only_within_groups_of_equal_aggregate() -> None:
    # B has the higher aggregate; A's smaller amount must not lift it above B.
    out = decide_round(make_inputs(
        tie_break=["smaller_amount", "draw"],
        applications=[application("A", amount=1), application("B", amount=999)],
        sheets=[sheet(1, "A", c1=3), sheet(1, "B", c1=4)],
    ))
    assert out["order"] == ["B", "A"]
    assert out["ties"] == []


def _expected_draw(ids: Sequence[str]) -> list[str]:
    return sorted(ids, key=lambda i: hashlib.sha256(f"{SEED}:tie-break:{i}".encode()).hexdigest())


def test_a_tie_nothing_else_separates_is_drawn_from_the_published_seed() -> None:
    out = decide_round(make_inputs(
        tie_break=["smaller_amount", "draw"],
        applications=[application(x) for x in ("A", "B", "C")],
        sheets=[sheet(1, x, c1=3) for x in ("A", "B", "C")],
    ))
    drawn = _expected_draw(["A", "B", "C"])
    assert out["order"] == drawn
    assert out["ties"] == [{"applications": drawn, "resolved_by": "draw"}]
    assert out["draws"] == [{"purpose": "tie-break", "applications": ["A", "B", "C"],
                             "order": drawn}]


def test_a_tie_split_by_amount_then_by_draw_records_both_groups() -> None:
    out = decide_round(make_inputs(
        tie_break=["smaller_amount", "draw"],
        applications=[application("A", amount=500), application("B", amount=300),
                      application("C", amount=500)],
        sheets=[sheet(1, x, c1=3) for x in ("A", "B", "C")],
    ))
    drawn = _expected_draw(["A", "C"])
    assert out["order"] == ["B", *drawn]
    assert out["ties"] == [
        {"applications": ["B", *drawn], "resolved_by": "smaller_amount"},
        {"applications": drawn, "resolved_by": "draw"},
    ]
    assert out["draws"] == [{"purpose": "tie-break", "applications": ["A", "C"],
                             "order": drawn}]


# --------------------------------------------------------------------------- funding


def _funding_inputs(fit_rule: str) -> dict[str, Any]:
    return make_inputs(
        fit_rule=fit_rule, budget=100,
        applications=[application("A", amount=60), application("B", amount=50),
                      application("C", amount=40)],
        sheets=[sheet(1, "A", c1=5), sheet(1, "B", c1=4), sheet(1, "C", c1=3)],
    )


def test_skip_rule_passes_over_an_application_that_does_not_fit() -> None:
    out = decide_round(_funding_inputs("skip"))
    assert out["funding"] == {"funded": ["A", "C"], "skipped": ["B"], "stopped_at": None,
                              "spent": 100, "remaining": 0, "line_after_rank": 3}
    assert [result(out, x)["status"] for x in "ABC"] == ["funded", "skipped", "funded"]


def test_stop_rule_ends_funding_at_the_first_application_that_does_not_fit() -> None:
    out = decide_round(_funding_inputs("stop"))
    assert out["funding"] == {"funded": ["A"], "skipped": [], "stopped_at": "B",
                              "spent": 60, "remaining": 40, "line_after_rank": 1}
    assert [result(out, x)["status"] for x in "ABC"] == ["funded", "below-line", "below-line"]


# --------------------------------------------------------------------------- rounding


@pytest.mark.parametrize(("value", "text"), [
    (Fraction(2125, 1000), "2.12"),
    (Fraction(2135, 1000), "2.14"),
    (Fraction(2375, 1000), "2.38"),
    (Fraction(5, 1000), "0.00"),
    (Fraction(15, 1000), "0.02"),
    (Fraction(-1, 3), "-0.33"),
    (Fraction(-1, 1000), "0.00"),
    (Fraction(40), "40.00"),
])
def test_published_statistics_are_rounded_half_to_even_to_two_places(
        value: Fraction, text: str) -> None:
    assert decimal_string(value) == text


def test_a_mean_of_2_125_is_published_as_2_12_and_2_375_as_2_38() -> None:
    out = decide_round(make_inputs(
        applications=[application("A"), application("B")],
        sheets=[sheet(m, "A", c1=3 if m == 8 else 2) for m in range(1, 9)]     # 17/8
        + [sheet(m, "B", c1=2 if m <= 5 else 3) for m in range(1, 9)],        # 19/8
    ))
    assert result(out, "A")["mean"] == "2.12"
    assert result(out, "B")["mean"] == "2.38"


def test_extra_record_sections_are_ignored() -> None:
    inputs = make_inputs(sheets=[sheet(1, "A", c1=4)])
    record_like = {**inputs, "outputs": {"stale": True}, "decision": None, "digest": "x"}
    assert decide_round(record_like) == decide_round(inputs)


# --------------------------------------------------------------------------- validation


def _set(path: Sequence[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(inputs: dict[str, Any]) -> None:
        target: Any = inputs
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return change


def _delete(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda inputs: inputs.pop(key) and None


def _append_sheet(extra: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda inputs: inputs["sheets"].append(extra)


@pytest.mark.parametrize(("change", "path", "requirement"), [
    (_set(["sheets", 0, "scores", "c9"], 3), "sheets[0].scores.c9", "unknown criterion key"),
    (_set(["sheets", 0, "scores", "c1"], 6), "sheets[0].scores.c1",
     "whole number from 1 to 5"),
    (_set(["sheets", 0, "scores", "c1"], 3.5), "sheets[0].scores.c1",
     "whole number from 1 to 5"),
    (_set(["sheets", 0, "scores", "c1"], True), "sheets[0].scores.c1",
     "whole number from 1 to 5"),
    (_set(["sheets", 0, "application"], "Z-999"), "sheets[0].application",
     "is not an application"),
    (_set(["sheets", 0, "member"], "Someone"), "sheets[0].member", "is not in the panel"),
    (_set(["sheets", 0, "stage"], 3), "sheets[0].stage", "must be 1 or 2"),
    (_append_sheet(sheet(1, "A", c1=2)), "sheets[1]",
     "at most one sheet per application and stage"),
    (_set(["rules", "tie_break"], ["smaller_amount"]), "rules.tie_break", "must end with 'draw'"),
    (_set(["rules", "tie_break"], ["draw", "smaller_amount"]), "rules.tie_break",
     "must end with 'draw'"),
    (_set(["rules", "tie_break"], ["coin_toss", "draw"]), "rules.tie_break[0]",
     "must be one of"),
    (_set(["rules", "tie_break"], ["draw", "draw"]), "rules.tie_break", "twice"),
    (_set(["rules", "aggregation"], "trimmed"), "rules.aggregation", "must be one of"),
    (_set(["rules", "quorum"], 0), "rules.quorum", "at least 1"),
    (_set(["rules", "fit_rule"], "squeeze"), "rules.fit_rule", "must be one of"),
    (_set(["applications", 0, "amount"], -5), "applications[0].amount", "at least 0"),
    (_set(["applications", 0, "email"], "a@b.org"), "applications[0].email",
     "not part of schema version 1"),
    (_set(["round", "budget"], 10.5), "round.budget", "whole number"),
    (_set(["round", "binding"], False), "round.binding", "co-production"),
    (_set(["rubric", 0, "descriptors"], ["only one"]), "rubric[0].descriptors",
     "one descriptor per scale point"),
    (_set(["conflicts"], [conflict(1, "A", "rival")]), "conflicts[0].category",
     "must be one of"),
    (_set(["randomness", "seed"], "not hex"), "randomness.seed", "64 lowercase hexadecimal"),
    (_set(["randomness", "procedure"], "dice"), "randomness.procedure", "DRAW_PROCEDURE"),
    (_set(["schema_version"], 2), "schema_version", "must be 1"),
    (_delete("sheets"), "sheets", "required but missing"),
])
def test_invalid_inputs_are_refused_with_the_requirement_named(
        change: Callable[[dict[str, Any]], None], path: str, requirement: str) -> None:
    inputs = make_inputs(sheets=[sheet(1, "A", c1=4)])
    change(inputs)
    with pytest.raises(VotingError) as caught:
        decide_round(inputs)
    assert isinstance(caught.value, InputError)
    assert caught.value.path == path
    assert requirement in str(caught.value)


# --------------------------------------------------------------------------- property


@st.composite
def rounds_and_shuffles(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    n_apps = draw(st.integers(1, 6))
    n_members = draw(st.integers(1, 4))
    ids = [f"A-{i:03d}" for i in range(1, n_apps + 1)]
    apps = [application(i, amount=draw(st.integers(0, 60)), eligible=draw(st.booleans()))
            for i in ids]
    score = st.one_of(st.none(), st.integers(1, 5))
    sheets = [
        sheet(m, app_id, stage=stage, c1=draw(score), c2=draw(score))
        for m in range(1, n_members + 1) for app_id in ids for stage in (1, 2)
        if draw(st.integers(0, 3 if stage == 1 else 9)) != 0
    ]
    conflicts = [conflict(m, app_id) for m in range(1, n_members + 1) for app_id in ids
                 if draw(st.integers(0, 5)) == 0]
    chain = draw(st.lists(st.sampled_from(["higher_mean", "higher_median", "more_scores",
                                           "smaller_amount"]), unique=True))
    inputs = make_inputs(
        rubric=[criterion("c1", weight=2), criterion("c2", weight=1)],
        applications=apps, members=n_members, sheets=sheets, conflicts=conflicts,
        aggregation=draw(st.sampled_from(["mean", "median"])), quorum=draw(st.integers(1, 2)),
        fit_rule=draw(st.sampled_from(["skip", "stop"])), tie_break=[*chain, "draw"],
        budget=draw(st.integers(0, 150)),
    )
    shuffled = copy.deepcopy(inputs)
    shuffled["sheets"] = draw(st.permutations(shuffled["sheets"]))
    shuffled["applications"] = draw(st.permutations(shuffled["applications"]))
    return inputs, shuffled


@settings(max_examples=60, deadline=None)
@given(rounds_and_shuffles())
def test_order_and_funding_do_not_depend_on_list_order_and_stay_within_budget(
        case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    inputs, shuffled = case
    out, again = decide_round(inputs), decide_round(shuffled)
    for key in ("order", "ties", "draws", "funding"):
        assert out[key] == again[key]
    by_id = {r["id"]: r for r in again["applications"]}
    assert [by_id[r["id"]] for r in out["applications"]] == out["applications"]
    amounts = {a["id"]: a["amount"] for a in inputs["applications"]}
    assert out["funding"]["spent"] == sum(amounts[i] for i in out["funding"]["funded"])
    assert out["funding"]["spent"] <= inputs["round"]["budget"]
    assert set(out["funding"]["funded"]) <= set(out["order"])
