"""Properties of the ranked methods, checked on generated profiles (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.ranked import borda, irv, pairwise_matrix, ranked_pairs, schulze, stv

EXAMPLES = settings(max_examples=50, deadline=None)


@st.composite
def profiles(draw: st.DrawFn, *, complete: bool = False, min_cands: int = 2) -> np.ndarray:
    """Ballots as an int array: random orders of n candidates, possibly truncated."""
    n = draw(st.integers(min_cands, 6))
    n_ballots = draw(st.integers(1, 40))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    ballots = np.argsort(rng.random((n_ballots, n)), axis=1)
    if not complete:
        lengths = rng.integers(1, n + 1, size=n_ballots)
        ballots[np.arange(n)[None, :] >= lengths[:, None]] = -1
    return ballots


@EXAMPLES
@given(profiles(), st.data())
def test_a_majority_of_first_preferences_wins_irv(ballots: np.ndarray, data: st.DataObject) -> None:
    n = int(ballots.max()) + 1
    favourite = data.draw(st.integers(0, n - 1))
    # give the favourite a strict majority of first preferences
    extra = np.full((ballots.shape[0] + 1, ballots.shape[1]), -1)
    extra[:, 0] = favourite
    both = np.vstack([ballots, extra])
    assert irv(both, n_candidates=n).winners == (favourite,)


def condorcet_winner(ballots: np.ndarray) -> int | None:
    pw = pairwise_matrix(ballots)
    n = pw.shape[0]
    for c in range(n):
        if all(pw[c, d] > pw[d, c] for d in range(n) if d != c):
            return c
    return None


@EXAMPLES
@given(profiles())
def test_a_condorcet_winner_wins_schulze_and_ranked_pairs(ballots: np.ndarray) -> None:
    winner = condorcet_winner(ballots)
    if winner is not None:
        assert schulze(ballots).winners == (winner,)
        assert ranked_pairs(ballots).winners == (winner,)


@EXAMPLES
@given(profiles(min_cands=3), st.integers(1, 3))
def test_stv_fills_every_seat_with_distinct_candidates(ballots: np.ndarray, seats: int) -> None:
    n = int(ballots.max()) + 1
    if seats > n:
        seats = n
    result = stv(ballots, seats, n_candidates=n)
    assert len(result.winners) == seats
    assert len(set(result.winners)) == seats


@EXAMPLES
@given(profiles(), st.integers(0, 2**32 - 1))
def test_results_do_not_depend_on_ballot_order(ballots: np.ndarray, seed: int) -> None:
    n = int(ballots.max()) + 1
    shuffled = ballots[np.random.default_rng(seed).permutation(ballots.shape[0])]
    assert irv(shuffled, n_candidates=n) == irv(ballots, n_candidates=n)
    assert stv(shuffled, 2, n_candidates=n) == stv(ballots, 2, n_candidates=n)
    assert borda(shuffled, n_candidates=n).rounds == borda(ballots, n_candidates=n).rounds
    assert schulze(shuffled, n_candidates=n).winners == schulze(ballots, n_candidates=n).winners
    assert (
        ranked_pairs(shuffled, n_candidates=n).winners
        == ranked_pairs(ballots, n_candidates=n).winners
    )


@EXAMPLES
@given(profiles())
def test_irv_rounds_conserve_votes_and_exclude_one_at_a_time(ballots: np.ndarray) -> None:
    result = irv(ballots)
    total = ballots.shape[0] - int((ballots[:, 0] < 0).sum())
    exhausted_before = 0
    for rnd in result.rounds:
        assert sum(rnd.tallies.values()) + exhausted_before == total
        assert len(rnd.eliminated) + len(rnd.elected) == 1
        exhausted_before = rnd.exhausted
    assert result.winners == result.rounds[-1].elected


@EXAMPLES
@given(profiles(min_cands=3))
def test_weights_equal_repeated_ballots(ballots: np.ndarray) -> None:
    doubled = np.vstack([ballots, ballots])
    weighted = irv(ballots, weights=np.full(ballots.shape[0], 2))
    assert weighted.winners == irv(doubled).winners
    assert stv(ballots, 2, weights=np.full(ballots.shape[0], 2)).winners == stv(doubled, 2).winners
