"""Cross-checks of the budget rules against pabutools (exact rational arithmetic).

pabutools is the reference implementation of the Method of Equal Shares maintained by its
authors' group (https://github.com/COMSOC-Community/pabutools).  Project names are
zero-padded so that pabutools' default tie-break (lexicographic by name) equals ours (lower
index first).
"""

from __future__ import annotations

import numpy as np
import pytest

pabutools = pytest.importorskip("pabutools")

from pabutools.election import (  # noqa: E402
    Additive_Cardinal_Sat,
    ApprovalBallot,
    ApprovalProfile,
    CardinalBallot,
    Cardinality_Sat,
    CardinalProfile,
    Cost_Sat,
    Instance,
    Project,
)
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares  # noqa: E402
from pabutools.tiebreaking import TieBreakingRule  # noqa: E402

from voting.budget import equal_shares, greedy  # noqa: E402


def _instance(costs: np.ndarray, budget: int) -> tuple[Instance, list[Project]]:
    projects = [Project(f"p{j:03d}", int(c)) for j, c in enumerate(costs)]
    return Instance(projects, budget_limit=budget), projects


def _approval_profile(A: np.ndarray, projects: list[Project]) -> ApprovalProfile:
    return ApprovalProfile([ApprovalBallot(projects[j] for j in np.flatnonzero(row)) for row in A])


def _names(alloc: object) -> list[int]:
    return [int(p.name[1:]) for p in alloc]  # type: ignore[attr-defined]


def _random_instance(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    n = int(rng.integers(1, 25))
    m = int(rng.integers(1, 9))
    A = rng.random((n, m)) < rng.uniform(0.1, 0.7)
    # few distinct costs so that exact ties happen often
    costs = rng.choice(np.array([10, 20, 30, 40, 60, 100]), size=m)
    budget = int(rng.integers(20, int(costs.sum()) + 20))
    return A, costs, budget


@pytest.mark.parametrize("seed", range(60))
@pytest.mark.parametrize("utility", ["cost", "approval"])
def test_equal_shares_selects_what_pabutools_selects(seed: int, utility: str) -> None:
    rng = np.random.default_rng(seed)
    A, costs, budget = _random_instance(rng)
    inst, projects = _instance(costs, budget)
    sat = Cost_Sat if utility == "cost" else Cardinality_Sat
    ref = method_of_equal_shares(inst, _approval_profile(A, projects), sat_class=sat)
    ours = equal_shares(A, costs, budget, utility=utility)
    assert list(ours.winners) == _names(ref)


@pytest.mark.parametrize("seed", range(25))
def test_equal_shares_add1_exhaustive_matches_pabutools_voter_budget_increment(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    A, costs, budget = _random_instance(rng)
    inst, projects = _instance(costs, budget)
    ref = method_of_equal_shares(inst, _approval_profile(A, projects), sat_class=Cost_Sat,
                                 voter_budget_increment=1)
    ours = equal_shares(A, costs, budget, completion="add1-exhaustive", increment=1)
    assert sorted(ours.winners) == sorted(_names(ref))


@pytest.mark.parametrize("seed", range(25))
def test_equal_shares_with_scores_matches_pabutools_cardinal(seed: int) -> None:
    rng = np.random.default_rng(2000 + seed)
    n, m = int(rng.integers(1, 15)), int(rng.integers(1, 7))
    S = rng.integers(0, 4, size=(n, m)) * (rng.random((n, m)) < 0.6)
    costs = rng.choice(np.array([10, 20, 30, 50]), size=m)
    budget = int(rng.integers(20, int(costs.sum()) + 20))
    inst, projects = _instance(costs, budget)
    profile = CardinalProfile(
        [CardinalBallot({projects[j]: int(S[i, j]) for j in range(m) if S[i, j] > 0})
         for i in range(n)]
    )
    ref = method_of_equal_shares(inst, profile, sat_class=Additive_Cardinal_Sat)
    ours = equal_shares(S, costs, budget, utility="scores")
    assert list(ours.winners) == _names(ref)


@pytest.mark.parametrize("seed", range(40))
def test_weights_act_as_repeated_ballots_like_pabutools_multiplicity(seed: int) -> None:
    rng = np.random.default_rng(3000 + seed)
    A, costs, budget = _random_instance(rng)
    w = rng.integers(0, 4, size=A.shape[0])
    inst, projects = _instance(costs, budget)
    repeated = np.repeat(A, w, axis=0)
    ref = method_of_equal_shares(inst, _approval_profile(repeated, projects), sat_class=Cost_Sat)
    ours = equal_shares(A, costs, budget, weights=w)
    assert list(ours.winners) == _names(ref)


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("rule", ["skip"])
def test_greedy_selects_what_pabutools_greedy_selects(seed: int, rule: str) -> None:
    rng = np.random.default_rng(4000 + seed)
    A, costs, budget = _random_instance(rng)
    inst, projects = _instance(costs, budget)
    # pabutools' greedy with cost satisfaction orders by approvals; we break ties by lower
    # cost, then lower index: give pabutools the same tie-break
    tie = TieBreakingRule(lambda _inst, _prof, p: (p.cost, p.name))
    ref = greedy_utilitarian_welfare(inst, _approval_profile(A, projects), sat_class=Cost_Sat,
                                     tie_breaking=tie)
    ours = greedy(A, costs, budget, rule=rule)
    assert list(ours.winners) == _names(ref)
