"""Cross-checks against pref_voting on random small profiles (complete strict rankings).

Where a pref_voting method returns every tied winner we compare with the set, and where ties
would need a tie-break rule we either pass pref_voting the equivalent rule or skip profiles
that tie.  Deliberate differences are stated in voting.ranked's docstrings.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pref_voting")

from pref_voting.iterative_methods import instant_runoff  # noqa: E402
from pref_voting.margin_based_methods import beat_path as pv_schulze  # noqa: E402
from pref_voting.margin_based_methods import ranked_pairs as pv_ranked_pairs  # noqa: E402
from pref_voting.profiles import Profile  # noqa: E402
from pref_voting.proportional_methods import stv_scottish  # noqa: E402
from pref_voting.scoring_methods import borda as pv_borda  # noqa: E402

from voting.ranked import borda, irv, ranked_pairs, schulze, stv  # noqa: E402

SEEDS = range(40)


def random_profile(
    seed: int, n_cands: int | None = None, max_count: int = 15
) -> tuple[np.ndarray, np.ndarray, Profile]:
    """Distinct rankings with counts (a mildly skewed distribution, so winners vary)."""
    rng = np.random.default_rng(seed)
    n = n_cands or int(rng.integers(3, 7))
    n_rows = int(rng.integers(4, 12))
    strength = rng.normal(size=n)
    rows = np.argsort(-(strength + rng.gumbel(size=(n_rows, n))), axis=1)
    rows = np.unique(rows, axis=0)
    counts = rng.integers(1, max_count, size=rows.shape[0])
    profile = Profile([list(map(int, r)) for r in rows], rcounts=[int(c) for c in counts])
    return rows, counts, profile


@pytest.mark.parametrize("seed", SEEDS)
def test_irv_matches_pref_voting_with_the_same_tie_breaker(seed: int) -> None:
    rows, counts, profile = random_profile(seed)
    n = rows.shape[1]
    ours = irv(rows, weights=counts)
    # pref_voting: tie_breaker[0] is eliminated first; ours excludes the highest index first
    theirs = instant_runoff(profile, tie_breaker=list(reversed(range(n))))
    assert list(ours.winners) == theirs


@pytest.mark.parametrize("seed", SEEDS)
def test_borda_matches_pref_voting(seed: int) -> None:
    rows, counts, profile = random_profile(seed)
    ours = borda(rows, weights=counts)
    theirs = pv_borda(profile)
    assert ours.winners[0] == min(theirs)  # our tie-break: lowest index among the tied
    assert {
        c for c, s in ours.rounds[0].tallies.items() if s == max(ours.rounds[0].tallies.values())
    } == set(theirs)


@pytest.mark.parametrize("seed", SEEDS)
def test_schulze_matches_pref_voting(seed: int) -> None:
    rows, counts, profile = random_profile(seed)
    ours = schulze(rows, weights=counts, strength="margin")
    theirs = pv_schulze(profile)
    wins = ours.rounds[0].tallies
    assert {c for c, w in wins.items() if w == max(wins.values())} == set(theirs)
    # complete strict ballots: winning votes and margins agree
    assert schulze(rows, weights=counts).winners == ours.winners


@pytest.mark.parametrize("seed", SEEDS)
def test_ranked_pairs_matches_pref_voting(seed: int) -> None:
    rows, counts, profile = random_profile(seed + 1000, max_count=1000)
    ours = ranked_pairs(rows, weights=counts)
    theirs = pv_ranked_pairs(profile)
    # pref_voting returns every candidate that wins under *some* order of equal-strength
    # pairs; ours fixes one order, so our winner must be among them (equal when unique).
    assert ours.winners[0] in theirs
    pw = np.asarray(ours.details["pairwise"])
    margins = (pw - pw.T)[np.triu_indices(pw.shape[0], 1)]
    if len(set(np.abs(margins).tolist())) == margins.size and np.all(margins != 0):
        assert [ours.winners[0]] == theirs


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("seats", [2, 3])
def test_scottish_stv_matches_pref_voting(seed: int, seats: int) -> None:
    rows, counts, profile = random_profile(seed, n_cands=5)
    ours = stv(rows, seats, weights=counts)
    if any("lot" in r.note for r in ours.rounds):
        pytest.skip("earlier stages did not break a tie; pref_voting would draw lots")
    theirs = stv_scottish(profile, num_seats=seats)
    assert sorted(ours.winners) == theirs
