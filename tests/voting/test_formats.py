"""PrefLib and Pabulib readers: fixtures parse; malformed files name the line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voting.errors import VotingError
from voting.formats import read_pabulib, read_preflib

DATA = Path(__file__).parent / "data"


# --- PrefLib ----------------------------------------------------------------------------------


def test_reads_a_soc_file() -> None:
    d = read_preflib(DATA / "election.soc")
    assert d.data_type == "soc"
    assert d.candidates == ("1", "2", "3")
    assert d.names == ("Youth club", "Food bank", "Garden")
    assert d.weights.tolist() == [8, 7, 4, 2]
    assert d.n_voters == 21
    assert d.ranks.tolist() == [[0, 1, 2], [1, 2, 0], [2, 1, 0], [2, 0, 1]]
    assert not d.has_ties
    assert d.metadata["TITLE"].startswith("A small")
    assert d.lines == (16, 17, 18, 19)


def test_reads_ties_and_partial_orders() -> None:
    d = read_preflib(str(DATA / "ties.toi"))
    assert d.data_type == "toi"
    assert d.has_ties
    assert d.ranks.tolist() == [[0, 2, 1, -1], [1, -1, -1, -1], [1, 3, 0, 2]]
    assert d.tiers.tolist() == [[0, 0, 1, -1], [0, -1, -1, -1], [0, 0, 1, 1]]
    assert d.first_tie_line() == 9
    assert d.top_tier_approvals().tolist() == [
        [True, False, True, False],
        [False, True, False, False],
        [False, True, False, True],
    ]


def test_reads_text_and_keeps_ids_as_written() -> None:
    d = read_preflib("# DATA TYPE: soi\n2: 10,7\n1: 7\n")
    # no names declared: ids come from the data, sorted as numbers
    assert d.candidates == ("7", "10")
    assert d.ranks.tolist() == [[1, 0], [0, -1]]


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("# DATA TYPE: soc\n# NUMBER ALTERNATIVES: 2\n3: 1,2\nnonsense\n", 4,
         "expected 'count: ranking'"),
        ("# DATA TYPE: soc\n# NUMBER ALTERNATIVES: 2\n3: 1,2\n2: 1\n", 4,
         "ranks all 2 alternatives"),
        ("# DATA TYPE: soi\n# NUMBER ALTERNATIVES: 3\n3: 1,{2,3}\n", 3, "strict orders"),
        ("# DATA TYPE: toi\n# NUMBER ALTERNATIVES: 2\n3: 1,5\n", 3, "unknown alternative '5'"),
        ("# DATA TYPE: toi\n# NUMBER ALTERNATIVES: 2\n3: 1,1\n", 3, "appears twice"),
        ("# DATA TYPE: toi\n# NUMBER ALTERNATIVES: 2\n3: {1,2\n", 3, "without a matching"),
        ("# DATA TYPE: toi\n# NUMBER ALTERNATIVES: 2\n3: 1,\n", 3, "ends with a comma"),
        ("# DATA TYPE: toi\n# NUMBER ALTERNATIVES: 2\n# NUMBER VOTERS: 4\n3: 1,2\n", 3,
         "NUMBER VOTERS says 4 but the data has 3"),
        ("# DATA TYPE: xyz\n1: 1\n", 1, "DATA TYPE must be one of"),
        ("# DATA TYPE: toi\n# NUMBER ALTERNATIVES: 2\n-1: 1\n", 3, "expected 'count: ranking'"),
    ],
)
def test_malformed_preflib_names_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(VotingError, match=f"^line {line}: .*{message}"):
        read_preflib(text)


def test_malformed_fixture_file_names_the_line() -> None:
    with pytest.raises(VotingError, match="^line 6: expected 'count: ranking'"):
        read_preflib(DATA / "bad_line.soc")


def test_missing_file_is_a_voting_error() -> None:
    with pytest.raises(VotingError, match="cannot read"):
        read_preflib(DATA / "no-such-file.soc")


# --- Pabulib ----------------------------------------------------------------------------------


def test_reads_an_approval_pb_file() -> None:
    d = read_pabulib(DATA / "pb_approval.pb")
    assert d.vote_type == "approval"
    assert d.projects == ("1", "2", "3")
    assert d.names == ("Project 1", "Project 2", "Project 3")
    assert d.costs.tolist() == [5000, 10000, 85000]
    assert d.budget == 100_000
    assert d.voters == ("1", "2", "3", "4")
    assert d.approvals is not None
    assert d.approvals.astype(int).tolist() == [[1, 1, 0], [1, 0, 0], [0, 0, 1], [1, 1, 1]]
    assert d.meta["num_votes"] == "4"


def test_reads_cumulative_points_and_quoted_fields() -> None:
    d = read_pabulib(DATA / "pb_scores.pb")
    assert d.names == ("Benches; park", "Trees")
    assert d.scores is not None
    assert d.scores.tolist() == [[3.0, 0.0], [1.0, 2.0]]
    assert d.approval_matrix().tolist() == [[True, False], [True, True]]


def test_reads_ordinal_votes() -> None:
    d = read_pabulib(DATA / "pb_ordinal.pb")
    assert d.ranks is not None
    assert d.ranks.tolist() == [[0, 1, 2], [1, 0, -1], [2, 1, -1]]
    assert d.approval_matrix().sum() == 7


def test_pabulib_agrees_with_pabutools_parser() -> None:
    pabulib = pytest.importorskip("pabutools.election.pabulib")
    text = (DATA / "pb_redblue.pb").read_text(encoding="utf-8")
    instance, profile = pabulib.parse_pabulib_from_string(text)
    d = read_pabulib(text)
    assert d.budget == int(instance.budget_limit)
    assert sorted(d.projects) == sorted(p.name for p in instance)
    assert d.approvals is not None
    by_name = {p: i for i, p in enumerate(d.projects)}
    for row, ballot in zip(d.approvals, profile, strict=True):
        assert set(np.flatnonzero(row)) == {by_name[p.name] for p in ballot}


@pytest.mark.parametrize(
    "name, line, message",
    [
        ("pb_bad_cost.pb", 8, "cost of project y must be a number"),
        ("pb_unknown_project.pb", 11, "unknown project 'q'"),
    ],
)
def test_malformed_pb_fixture_names_the_line(name: str, line: int, message: str) -> None:
    with pytest.raises(VotingError, match=f"^line {line}: .*{message}"):
        read_pabulib(DATA / name)


HEAD = "META\nkey;value\nbudget;100\nvote_type;approval\n"


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("nonsense;1\n" + HEAD, 1, "expected a section name"),
        (HEAD + "PROJECTS\nid;cost\n", 6, "needs a 'project_id' column"),
        (HEAD + "PROJECTS\nproject_id;cost\nx;1.5\n", 7, "whole number"),
        (HEAD + "PROJECTS\nproject_id;cost\nx;-3\n", 7, "must not be negative"),
        (HEAD + "PROJECTS\nproject_id;cost\nx;1\nx;2\n", 8, "listed twice"),
        (HEAD + "PROJECTS\nproject_id;cost\nx;1\nVOTES\nvoter_id;vote\n1;x,x\n", 10,
         "appears twice"),
        (HEAD + "PROJECTS\nproject_id;cost\nx;1\nVOTES\nid;vote\n", 9, "'voter_id'"),
        ("META\nkey;value\nbudget;1.5\nvote_type;approval\nPROJECTS\nproject_id;cost\n", 3,
         "budget must be a whole number"),
        ("META\nkey;value\nbudget;1\nvote_type;veto\nPROJECTS\nproject_id;cost\n", 4,
         "vote_type must be one of"),
        ("META\nkey;value\nvote_type;approval\nPROJECTS\nproject_id;cost\n", 1, "'budget'"),
        ("META\nkey;value\nbudget;1\nvote_type;cumulative\nPROJECTS\nproject_id;cost\nx;1\n"
         "VOTES\nvoter_id;vote;points\n1;x;1,2\n", 10, "1 projects in 'vote' but 2"),
    ],
)
def test_malformed_pabulib_names_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(VotingError, match=f"^line {line}: .*{message}"):
        read_pabulib(text)


def test_docstring_examples() -> None:
    import doctest

    import voting.formats

    assert doctest.testmod(voting.formats).failed == 0
