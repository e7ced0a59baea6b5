"""Surplus transfers stay exact when surplus x 10**decimals passes the int64 range."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from voting import stv


def test_stv_transfers_with_many_decimals_do_not_overflow() -> None:
    ranks = np.array([[0, 1]] * 700 + [[1, 0]] * 300 + [[2, 1]] * 200)
    result = stv(ranks, 2, decimals=10)
    first = result.rounds[0]
    assert result.winners[0] == 0
    # the surplus of candidate 0 flows to candidate 1, so 1 gains votes
    transfer = next(r for r in result.rounds if r.transfers)
    assert Decimal(str(transfer.transfers[1])) > 0
    # every vote is accounted for: nothing negative anywhere
    for r in result.rounds:
        assert all(Decimal(str(v)) >= 0 for v in r.tallies.values())
    assert first.threshold is not None


def test_rctab_profile_refuses_more_decimals_than_exact_arithmetic_allows() -> None:
    import pytest

    from voting.errors import VotingError
    from voting.rctab import RctabRules

    with pytest.raises(VotingError, match="from 0 to 9"):
        RctabRules(decimal_places_for_vote_arithmetic=12)
