"""Cross-checks of the decision stages against pref_voting and pabutools on random rounds.

Each round has one criterion scored 0..10 by P1, with distinct scores, so the score order
(and so the shortlist and the candidate numbering) is the id order.  Ballots are complete
strict rankings of the shortlist.  pref_voting is given the same tie-breaking rule where it
takes one (IRV: the candidate lowest in the score order is excluded first); where a
pref_voting method returns every tied winner, profiles with more than one are skipped.
pabutools breaks ties lexicographically by project name, so projects are named by their
position in the final order, which is our tie-break.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

pytest.importorskip("pref_voting")
pytest.importorskip("pabutools")

from pabutools.election import (  # noqa: E402
    Additive_Cardinal_Sat,
    ApprovalBallot,
    ApprovalProfile,
    CardinalBallot,
    CardinalProfile,
    Cost_Sat,
    Instance,
    Project,
)
from pabutools.rules import method_of_equal_shares  # noqa: E402
from pref_voting.iterative_methods import instant_runoff  # noqa: E402
from pref_voting.margin_based_methods import beat_path, ranked_pairs_tb  # noqa: E402
from pref_voting.profiles import Profile  # noqa: E402
from pref_voting.proportional_methods import stv_scottish  # noqa: E402
from pref_voting.scoring_methods import borda  # noqa: E402

from tests.voting.test_stages import (  # noqa: E402
    MEMBERS,
    funding_stage,
    make_inputs,
    ranked_stage,
    scores_stage,
)
from voting.stages import decide_stages  # noqa: E402

SEEDS = range(30)
IDS = [f"A{j:02d}" for j in range(8)]
VOTERS = [f"P{i}" for i in range(1, 31)]  # enough papers for STV counts without ties


def random_round(seed: int, method: str, seats: int | None, voters: Sequence[str] = MEMBERS,
                 *, odd: bool = False) -> tuple[dict[str, Any], Profile, list[str]]:
    """A round with a ranked stage over every application, and the same ballots as a
    pref_voting Profile on candidates 0..m-1 (shortlist positions)."""
    rng = np.random.default_rng(seed)
    m = int(rng.integers(3, 7))
    n = int(rng.integers(3, len(voters) + 1))
    n -= 1 if odd and n % 2 == 0 else 0
    ids = IDS[:m]
    strength = rng.normal(size=m)
    rankings = [[int(c) for c in np.argsort(-(strength + rng.gumbel(size=m)))] for _ in range(n)]
    inputs = make_inputs({a: {"P1": 10 - j} for j, a in enumerate(ids)},
                         stages=[scores_stage(), ranked_stage(method, size=m, seats=seats),
                                 funding_stage()],
                         ballots=[(voters[i], [ids[c] for c in r]) for i, r in enumerate(rankings)])
    inputs["panel"] = list(voters)
    return inputs, Profile(rankings), ids


@pytest.mark.parametrize("seed", SEEDS)
def test_irv_winner_is_pref_voting_s_with_the_same_tie_breaker(seed: int) -> None:
    inputs, profile, ids = random_round(seed, "irv", 1)
    theirs = instant_runoff(profile, tie_breaker=list(reversed(range(len(ids)))))
    assert decide_stages(inputs)["ranked"]["winners"] == [ids[theirs[0]]]


@pytest.mark.parametrize("seed", SEEDS)
def test_sequential_irv_repeats_pref_voting_s_irv_without_each_winner(seed: int) -> None:
    inputs, profile, ids = random_round(seed, "irv", 3)
    remaining = list(range(len(ids)))
    expected = []
    for _ in range(3):
        won = instant_runoff(profile, curr_cands=remaining,
                             tie_breaker=list(reversed(range(len(ids)))))[0]
        expected.append(ids[won])
        remaining.remove(won)
    assert decide_stages(inputs)["ranked"]["winners"] == expected


@pytest.mark.parametrize("method", ["schulze", "borda", "ranked-pairs"])
@pytest.mark.parametrize("seed", SEEDS)
def test_single_winner_methods_agree_with_pref_voting_when_it_has_one_winner(
        method: str, seed: int) -> None:
    inputs, profile, ids = random_round(seed, method, 1, voters=VOTERS, odd=True)
    # An odd number of complete ballots leaves no pair tied, so the locked graph is a total
    # order; ranked_pairs_tb takes equal margins in the order of (winner, loser) by
    # candidate number, as ours does (its plain ranked_pairs would try every order of them).
    reference = {"schulze": beat_path, "borda": borda, "ranked-pairs": ranked_pairs_tb}[method]
    theirs = reference(profile)
    if len(theirs) != 1:
        pytest.skip("pref_voting finds a tie")
    assert decide_stages(inputs)["ranked"]["winners"] == [ids[theirs[0]]]


@pytest.mark.parametrize("seed", SEEDS)
def test_stv_elects_what_pref_voting_s_scottish_stv_elects(seed: int) -> None:
    inputs, profile, ids = random_round(seed, "stv", 2, voters=VOTERS)
    ranked = decide_stages(inputs)["ranked"]
    for r in ranked["rounds"]:
        standing = [v for a, v in r["tallies"].items() if a not in r["elected"]]
        if len(set(standing)) != len(standing):
            pytest.skip("equal tallies: pref_voting breaks ties by lot")
    theirs = stv_scottish(profile, num_seats=2)
    assert sorted(ranked["winners"]) == sorted(ids[c] for c in theirs)


def _instance(final: list[str], amounts: dict[str, int], budget: int
              ) -> tuple[Instance, dict[str, Project]]:
    projects = {a: Project(f"p{j:03d}", amounts[a]) for j, a in enumerate(final)}
    return Instance(list(projects.values()), budget_limit=budget), projects


def _funded(allocation: Any, final: list[str]) -> list[str]:
    return [final[int(p.name[1:])] for p in allocation]


@pytest.mark.parametrize("seed", range(40))
def test_equal_shares_on_approvals_is_pabutools_method_of_equal_shares(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    m = int(rng.integers(2, 7))
    n = int(rng.integers(1, len(MEMBERS) + 1))
    ids = IDS[:m]
    approve = rng.random((n, m)) < rng.uniform(0.2, 0.8)
    amounts = {a: int(c) for a, c in zip(ids, rng.choice([10, 20, 30, 40, 60], size=m),
                                         strict=True)}
    budget = int(rng.integers(20, sum(amounts.values()) + 20))
    inputs = make_inputs(
        {a: {"P1": 10 - j} for j, a in enumerate(ids)}, amounts=amounts, budget=budget,
        stages=[scores_stage(), ranked_stage("approval", size=m, seats=None),
                funding_stage("equal-shares", utilities="approvals", completion="none")],
        approvals=True,
        ballots=[(MEMBERS[i], [ids[j] for j in np.flatnonzero(row)])
                 for i, row in enumerate(approve)])
    outputs = decide_stages(inputs)
    final = outputs["ranked"]["order"]
    instance, projects = _instance(final, amounts, budget)
    profile = ApprovalProfile([ApprovalBallot(projects[ids[j]] for j in np.flatnonzero(row))
                               for row in approve])
    reference = method_of_equal_shares(instance, profile, sat_class=Cost_Sat)
    assert outputs["funding"]["funded"] == _funded(reference, final)


@pytest.mark.parametrize("seed", range(30))
def test_equal_shares_on_scores_is_pabutools_with_additive_cardinal_utilities(seed: int) -> None:
    rng = np.random.default_rng(2000 + seed)
    m = int(rng.integers(2, 6))
    ids = IDS[:m]
    scores = {a: {p: int(rng.integers(1, 11)) for p in MEMBERS if rng.random() < 0.6}
              for a in ids}
    scores = {a: s or {"P1": 5} for a, s in scores.items()}
    amounts = {a: int(c) for a, c in zip(ids, rng.choice([10, 20, 30, 50], size=m),
                                         strict=True)}
    budget = int(rng.integers(20, sum(amounts.values()) + 20))
    inputs = make_inputs(scores, amounts=amounts, budget=budget,
                         stages=[scores_stage(), funding_stage("equal-shares",
                                                               utilities="scores",
                                                               completion="none")])
    outputs = decide_stages(inputs)
    final = outputs["order"]
    instance, projects = _instance(final, amounts, budget)
    profile = CardinalProfile([CardinalBallot({projects[a]: scores[a][p] for a in final
                                               if p in scores[a]}) for p in MEMBERS])
    reference = method_of_equal_shares(instance, profile, sat_class=Additive_Cardinal_Sat)
    assert outputs["funding"]["funded"] == _funded(reference, final)
