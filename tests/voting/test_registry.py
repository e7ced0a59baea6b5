"""The method registry: every key the app stores maps to a function, words and ballot types."""

from __future__ import annotations

import dataclasses

import pytest

from voting.errors import VotingError
from voting.registry import BALLOT_TYPES, METHODS, MethodInfo, method

KEYS = ["scores", "irv", "stv", "borda", "schulze", "ranked-pairs", "approval", "greedy",
        "equal-shares"]


def test_every_agreed_key_is_registered() -> None:
    assert sorted(METHODS) == sorted(KEYS)
    for key, info in METHODS.items():
        assert isinstance(info, MethodInfo)
        assert info.key == key


@pytest.mark.parametrize("key", KEYS)
def test_each_method_has_plain_words(key: str) -> None:
    info = METHODS[key]
    assert info.name and info.summary and info.explanation
    assert "\n" not in info.summary
    assert len(info.summary) <= 120
    # short paragraph, short sentences (public pages; readers with low literacy)
    sentences = [s for s in info.explanation.replace("?", ".").split(".") if s.strip()]
    assert 2 <= len(sentences) <= 6
    assert max(len(s.split()) for s in sentences) <= 25
    assert set(info.ballots) <= set(BALLOT_TYPES) and info.ballots


@pytest.mark.parametrize("key", KEYS)
def test_each_method_resolves_to_a_callable(key: str) -> None:
    assert callable(METHODS[key].function)


def test_functions_are_the_library_functions() -> None:
    import voting.budget
    import voting.ranked

    assert METHODS["equal-shares"].function is voting.budget.equal_shares
    assert METHODS["greedy"].function is voting.budget.greedy
    assert METHODS["irv"].function is voting.ranked.irv
    assert METHODS["ranked-pairs"].function is voting.ranked.ranked_pairs


def test_ballot_types() -> None:
    ranked = {k for k, m in METHODS.items() if "ranked" in m.ballots}
    assert ranked == {"irv", "stv", "borda", "schulze", "ranked-pairs"}
    assert METHODS["equal-shares"].ballots == ("approval", "scores")
    assert METHODS["scores"].ballots == ("scores",)
    assert {k for k, m in METHODS.items() if m.budget} == {"scores", "greedy", "equal-shares"}


def test_method_info_is_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        METHODS["irv"].name = "x"  # type: ignore[misc]


def test_unknown_key_names_the_known_ones() -> None:
    with pytest.raises(VotingError, match="unknown method 'plurality'; known methods: scores"):
        method("plurality")
    assert method("stv") is METHODS["stv"]


def test_equal_shares_through_the_registry() -> None:
    result = METHODS["equal-shares"].function([[1, 0], [0, 1]], [10, 10], 20)
    assert result.method == "equal-shares"
    assert result.winners == (0, 1)


def test_every_count_names_itself_by_its_registry_key() -> None:
    import numpy as np

    from voting.registry import METHODS

    ranks = np.array([[0, 1, 2], [1, 2, 0], [2, 0, 1], [0, 2, 1]])
    approvals = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0]], dtype=bool)
    for key in ("irv", "borda", "schulze", "ranked-pairs"):
        assert METHODS[key].function(ranks).method == key
    assert METHODS["stv"].function(ranks, 1).method == "stv"
    assert METHODS["approval"].function(approvals).method == "approval"
    costs = np.array([10, 20, 30])
    for key in ("greedy", "equal-shares"):
        assert METHODS[key].function(approvals, costs, 40).method == key
