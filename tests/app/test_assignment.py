"""Shared-out reading: k readers per application, assigned optimally, followed everywhere.

The solver (``grantpanel/services/assignment_solver.py``) is checked on small and random
rounds, and against every possible assignment on tiny ones; the service, the member's
queue, the staff pages, the command line and the decision record are checked through the
app, as staff and panel members use them.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

import voting
from grantpanel.extensions import db
from grantpanel.models import (
    Assignment,
    AssignmentPreference,
    AuditEvent,
    Membership,
    PublishedRecord,
    Round,
    ScoreSheet,
    User,
    utcnow,
)
from grantpanel.services import assignment, conflicts, counting, panel_admin, rounds, scoring
from grantpanel.services.assignment_solver import NO_LIMIT, Problem, SolverError, solve
from grantpanel.vocabulary import AssignmentSource
from tests.builders import make_member, make_round, make_user
from tests.helpers import post_form, text

Login = Callable[[User], FlaskClient]
SEED = "cd" * 32


# --- the solver ---------------------------------------------------------------------------


def _pairs(solution: Any) -> set[tuple[int, int]]:
    return {(int(a), int(m)) for a, m in solution.pairs}


def _random_problem(seed: int, n_a: int, n_m: int, k: int, conflict_rate: float,
                    **extra: Any) -> Problem:
    rng = np.random.default_rng(seed)
    conflicts_ = np.argwhere(rng.random((n_a, n_m)) < conflict_rate)
    return Problem(n_applications=n_a, n_members=n_m, readers=k, conflicts=conflicts_, **extra)


@pytest.mark.parametrize("seed", range(8))
def test_no_conflicted_member_and_every_application_gets_k_readers_when_possible(
        seed: int) -> None:
    p = _random_problem(seed, n_a=60, n_m=12, k=3, conflict_rate=0.1)
    s = solve(p)
    conflicted = {(int(a), int(m)) for a, m in p.conflicts}
    assert not _pairs(s) & conflicted
    assert s.readers.tolist() == [3] * 60 and s.short.tolist() == []
    assert s.loads.max() - s.loads.min() <= 1
    assert s.loads.sum() == 180


def test_the_even_share_of_a_large_random_round_is_exact() -> None:
    s = solve(_random_problem(1, n_a=1000, n_m=100, k=5, conflict_rate=0.01))
    assert s.even and set(s.loads.tolist()) == {50}
    assert len(s.short) == 0


def test_capacities_are_kept_and_the_rest_share_evenly() -> None:
    capacity = [2, 0, NO_LIMIT, NO_LIMIT, NO_LIMIT, 3]
    s = solve(Problem(n_applications=20, n_members=6, readers=2, capacity=capacity))
    loads = s.loads.tolist()
    assert loads[0] == 2 and loads[1] == 0 and loads[5] == 3
    assert max(loads[2:5]) - min(loads[2:5]) <= 1 and sum(loads) == 40


def test_an_application_with_too_few_possible_readers_is_short() -> None:
    # Members 0, 1 and 2 all have a conflict with application 0; k = 2 out of 4 members.
    s = solve(Problem(n_applications=3, n_members=4, readers=2,
                      conflicts=[[0, 0], [0, 1], [0, 2]]))
    assert s.short.tolist() == [0] and s.readers.tolist() == [1, 2, 2]
    assert (0, 3) in _pairs(s)


def test_conflicts_that_make_the_even_share_impossible_give_the_most_even_loads() -> None:
    # Members 0 and 1 may read only application 0, which needs one reader: the even share
    # (one each) is impossible, so one of them reads nothing and the others share the rest.
    conflicts_ = [[a, m] for a in range(1, 4) for m in (0, 1)]
    s = solve(Problem(n_applications=4, n_members=4, readers=1, conflicts=conflicts_))
    assert not s.even
    assert sorted(s.loads.tolist()[:2]) == [0, 1] and sorted(s.loads.tolist()[2:]) == [1, 2]
    assert s.short.tolist() == []


def test_a_member_who_can_read_little_is_held_back_by_that_alone() -> None:
    # Member 0 may read only application 0: the others share the rest evenly.
    conflicts_ = [[a, 0] for a in range(1, 6)]
    s = solve(Problem(n_applications=6, n_members=4, readers=2, conflicts=conflicts_))
    assert s.loads.tolist()[0] == 1 and sorted(s.loads.tolist()[1:]) == [3, 4, 4]
    assert s.short.tolist() == []


def test_preferences_are_honoured_when_they_cost_nothing_else() -> None:
    # Four members, four applications, one reader each: each would like a different one and
    # would rather not read the one before it.
    bids = [[(m + 1) % 4, m, 1] for m in range(4)] + [[m, m, -1] for m in range(4)]
    s = solve(Problem(n_applications=4, n_members=4, readers=1, bids=bids))
    assert _pairs(s) == {((m + 1) % 4, m) for m in range(4)}


def test_rather_not_is_avoided_when_someone_else_can_read_it() -> None:
    s = solve(Problem(n_applications=2, n_members=2, readers=1, bids=[[0, 0, -1]]))
    assert _pairs(s) == {(0, 1), (1, 0)}


def test_balance_comes_before_preferences() -> None:
    # Member 0 would like both applications, but one reader each over two members means one
    # application each.
    s = solve(Problem(n_applications=2, n_members=2, readers=1, bids=[[0, 0, 1], [1, 0, 1]]))
    assert s.loads.tolist() == [1, 1]


def test_a_late_conflict_changes_as_little_as_it_can() -> None:
    p = _random_problem(3, n_a=40, n_m=10, k=3, conflict_rate=0.05)
    first = solve(p)
    a, m = (int(x) for x in first.pairs[7])
    late = np.vstack([p.conflicts, [[a, m]]])
    again = solve(Problem(n_applications=40, n_members=10, readers=3, conflicts=late,
                          current=first.pairs))
    # The conflicted pair goes; its application gets one new reader; keeping the loads even
    # may move at most one more application (member m takes another in exchange).
    assert (a, m) not in _pairs(again)
    assert len(again.removed) <= 2 and len(again.added) <= 2
    assert again.loads.max() - again.loads.min() <= 1 and again.short.tolist() == []


def test_repairing_only_the_affected_application_moves_nothing_else() -> None:
    p = _random_problem(4, n_a=30, n_m=8, k=2, conflict_rate=0.0)
    first = solve(p)
    a, m = (int(x) for x in first.pairs[0])
    repaired = solve(Problem(n_applications=30, n_members=8, readers=2, conflicts=[[a, m]],
                             current=first.pairs, only=[a]))
    assert all(pa == a for pa, _m in _pairs(repaired) - _pairs(first))
    assert _pairs(first) - _pairs(repaired) == {(a, m)}
    assert len(repaired.added) == 1 and repaired.readers[a] == 2
    # The replacement is one of the least loaded members who could read it.
    new_reader = int(repaired.added[0][1])
    loads_before = first.loads.copy()
    loads_before[m] -= 1
    candidates = [r for r in range(8) if (a, r) not in _pairs(first) and r != m]
    assert loads_before[new_reader] == min(loads_before[r] for r in candidates)


def test_fixed_pairs_are_kept_even_above_k_and_count_in_loads() -> None:
    fixed = [[0, 0], [0, 1], [0, 2]]
    s = solve(Problem(n_applications=3, n_members=3, readers=2, fixed=fixed))
    assert {(0, 0), (0, 1), (0, 2)} <= _pairs(s)
    assert s.readers.tolist() == [3, 2, 2] and s.loads.max() - s.loads.min() <= 1


def test_the_same_input_gives_the_same_assignment() -> None:
    p = _random_problem(5, n_a=80, n_m=15, k=4, conflict_rate=0.1)
    shuffled = np.random.default_rng(0).permutation(p.conflicts)
    a = solve(p)
    b = solve(Problem(n_applications=80, n_members=15, readers=4, conflicts=shuffled))
    assert np.array_equal(a.pairs, b.pairs)


def test_bad_problems_are_refused_naming_the_field() -> None:
    with pytest.raises(SolverError, match="readers"):
        Problem(n_applications=1, n_members=1, readers=0)
    with pytest.raises(SolverError, match="conflicts"):
        Problem(n_applications=1, n_members=1, readers=1, conflicts=[[0, 5]])
    with pytest.raises(SolverError, match="bid"):
        Problem(n_applications=1, n_members=1, readers=1, bids=[[0, 0, 2]])


def _objective(pairs: set[tuple[int, int]], n_m: int, current: set[tuple[int, int]],
               fixed: set[tuple[int, int]], bids: dict[tuple[int, int], int]
               ) -> tuple[int, int, int, int]:
    loads = [0] * n_m
    for _a, m in pairs:
        loads[m] += 1
    new = sum(1 for p in pairs if p not in current and p not in fixed)
    pref = sum(1 - bids.get(p, 0) for p in pairs if p not in fixed)
    return (-len(pairs), sum(x * x for x in loads), new, pref)


@pytest.mark.parametrize("seed", range(40))
def test_the_solver_is_optimal_against_every_possible_assignment_of_a_tiny_round(
        seed: int) -> None:
    """Rules 1 to 5 checked by brute force: most readers, then least sum of squared loads,
    then fewest changes, then preferences (the last two whenever the even share exists)."""
    rng = np.random.default_rng(seed)
    n_a, n_m, k = 3, 4, 2
    conflicted = {(a, m) for a in range(n_a) for m in range(n_m) if rng.random() < 0.25}
    capacity = [int(c) if c < 3 else NO_LIMIT for c in rng.integers(0, 5, n_m)]
    cells = [(a, m) for a in range(n_a) for m in range(n_m) if (a, m) not in conflicted]
    fixed = {cells[i] for i in range(len(cells)) if rng.random() < 0.1}
    current = {c for c in cells if c not in fixed and rng.random() < 0.3}
    bids = {c: int(rng.choice([-1, 1])) for c in cells if rng.random() < 0.3}
    problem = Problem(n_applications=n_a, n_members=n_m, readers=k, capacity=capacity,
                      conflicts=sorted(conflicted), fixed=sorted(fixed),
                      current=sorted(current),
                      bids=[[a, m, b] for (a, m), b in sorted(bids.items())])
    s = solve(problem)
    got = _pairs(s)
    assert fixed <= got and not got & conflicted

    cap = [n_a if c == NO_LIMIT else c for c in capacity]
    options = []
    for a in range(n_a):
        free = [m for m in range(n_m) if (a, m) in cells and (a, m) not in fixed]
        have = sum(1 for f in fixed if f[0] == a)
        options.append([set(c) for r in range(0, max(0, k - have) + 1)
                        for c in itertools.combinations(free, r)])
    best = None
    for choice in itertools.product(*options):
        pairs = set(fixed) | {(a, m) for a, chosen in enumerate(choice) for m in chosen}
        loads = [sum(1 for _a, m in pairs if m == mm) for mm in range(n_m)]
        fixed_loads = [sum(1 for _a, m in fixed if m == mm) for mm in range(n_m)]
        if any(loads[m] > max(cap[m], fixed_loads[m]) for m in range(n_m)):
            continue
        value = _objective(pairs, n_m, current, fixed, bids)
        best = value if best is None or value < best else best
    mine = _objective(got, n_m, current, fixed, bids)
    assert best is not None
    assert mine[:2] == best[:2]
    if s.even:
        assert mine == best


def test_the_solver_doctest() -> None:
    import doctest

    from grantpanel.services import assignment_solver

    assert doctest.testmod(assignment_solver).failed == 0


# --- the app ------------------------------------------------------------------------------


@pytest.fixture()
def staff(app: Flask) -> User:
    user = make_user(role="staff", email="staff@example.org", name="Grace Grants")
    db.session.commit()
    return user


def shared_round(*, state: str = "open", applications: int = 6, members: int = 4,
                 readers: int | None = 2, quorum: int = 1) -> tuple[Round, list[Membership]]:
    rnd = make_round(state=state, applications=applications, quorum=quorum, budget=300_000,
                     seed=SEED, seed_commitment=voting.seed_commitment(SEED),
                     readers_per_application=readers)
    panel = [make_member(rnd, make_user(email=f"member{i}@example.org", name=f"Member {i}"),
                         conflicts_checked_at=utcnow())
             for i in range(1, members + 1)]
    db.session.commit()
    return rnd, panel


def assigned_refs(m: Membership) -> set[str]:
    return {a.reference for a in db.session.scalars(
        select(Assignment).where(Assignment.membership_id == m.id)).all()
        for a in [a.application]}


def test_running_the_assignment_shares_the_reading_out_evenly(app: Flask, staff: User) -> None:
    rnd, panel = shared_round(applications=6, members=4, readers=2)
    summary = assignment.run(rnd, staff)
    db.session.commit()
    assert (summary.added, summary.removed, summary.short) == (12, 0, 0)
    assert (summary.loads_min, summary.loads_max) == (3, 3)
    view = assignment.overview(rnd)
    assert view.pairs == 12 and view.short_total == 0
    again = assignment.run(rnd, staff)
    assert (again.added, again.removed, again.kept) == (0, 0, 12)


def test_a_members_queue_holds_only_their_applications(
        app: Flask, staff: User, client: FlaskClient, login_as: Login) -> None:
    rnd, panel = shared_round(applications=6, members=3, readers=1)
    assignment.run(rnd, staff)
    db.session.commit()
    mine = assigned_refs(panel[0])
    assert len(mine) == 2
    items = scoring.queue(panel[0])
    assert {i.application.reference for i in items} == mine
    assert scoring.queue_progress(panel[0]) == (0, 2)
    login_as(panel[0].user)
    # Newly assigned applications are put in front of the member to check for ties first,
    # and only those: not the whole round.
    resp = client.get(f"/panel/rounds/{rnd.id}/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/conflicts")
    ask = text(client.get(f"/panel/rounds/{rnd.id}/conflicts"))
    for a in rnd.applications:
        assert (a.applicant_name + "</label>" in ask) == (a.reference in mine)
    panel[0].conflicts_checked_at = utcnow()
    db.session.commit()
    page = text(client.get(f"/panel/rounds/{rnd.id}/"))
    for a in rnd.applications:
        assert (a.reference in page) == (a.reference in mine)
    assert "These are the applications for you to read and score" in page


def test_an_unassigned_score_sheet_is_refused_in_plain_words(
        app: Flask, staff: User, client: FlaskClient, login_as: Login) -> None:
    rnd, panel = shared_round(applications=4, members=2, readers=1)
    assignment.run(rnd, staff)
    db.session.commit()
    other = next(a for a in rnd.applications if a.reference not in assigned_refs(panel[0]))
    login_as(panel[0].user)
    url = f"/panel/rounds/{rnd.id}/applications/{other.id}"
    resp = client.get(url)
    assert resp.status_code == 403
    assert "This application was not given to you to read" in text(resp)
    saved = client.post(url, data={"c1": "3"}, headers={"X-Requested-With": "fetch"})
    assert saved.status_code in (400, 403)
    with pytest.raises(scoring.NotAssignedError):
        scoring.save_sheet(panel[0], other, scores={"c1": 3, "c2": 3}, panel_note="",
                           feedback="", submit=True, actor=panel[0].user)


def test_a_round_without_readers_per_application_works_as_before(app: Flask) -> None:
    rnd, panel = shared_round(applications=3, members=2, readers=None)
    assert len(scoring.queue(panel[0])) == 3
    assert assignment.record_section(rnd, {}, list(rnd.applications)) is None
    assert "assignment" not in counting.record_inputs(rnd)


def test_an_empty_queue_says_the_team_has_not_shared_the_reading_out_yet(
        app: Flask, client: FlaskClient, login_as: Login) -> None:
    rnd, panel = shared_round(applications=2, members=2, readers=1)
    login_as(panel[0].user)
    page = text(client.get(f"/panel/rounds/{rnd.id}/"))
    assert "has not given you any applications to read yet" in page


def test_a_late_conflict_moves_only_that_application_to_another_member(
        app: Flask, staff: User, client: FlaskClient, login_as: Login) -> None:
    rnd, panel = shared_round(applications=6, members=3, readers=2)
    assignment.run(rnd, staff)
    db.session.commit()
    before = {m.id: assigned_refs(m) for m in panel}
    target = next(a for a in rnd.applications if a.reference in before[panel[0].id])
    login_as(panel[0].user)
    resp = post_form(client, f"/panel/rounds/{rnd.id}/applications/{target.id}/conflict",
                     {"category": "family", "note": ""})
    assert resp.status_code == 302
    after = {m.id: assigned_refs(m) for m in panel}
    assert target.reference not in after[panel[0].id]
    assert after[panel[0].id] == before[panel[0].id] - {target.reference}
    # The one other member who did not read it takes it; nothing else moves.
    assert [after[m.id] - before[m.id] for m in panel[1:]
            if after[m.id] != before[m.id]] == [{target.reference}]
    assert all(after[m.id] >= before[m.id] for m in panel[1:])
    readers = {a.membership_id for a in db.session.scalars(select(Assignment).where(
        Assignment.application_id == target.id))}
    assert readers == {panel[1].id, panel[2].id}


def test_a_late_conflict_is_repaired_with_the_least_loaded_free_member(
        app: Flask, staff: User) -> None:
    rnd, panel = shared_round(applications=8, members=4, readers=1)
    assignment.run(rnd, staff)
    db.session.commit()
    target = next(a for a in rnd.applications if a.reference in assigned_refs(panel[0]))
    conflicts.declare_conflict(panel[0], target, category="family", declared_by=staff)
    db.session.commit()
    readers = db.session.scalars(select(Assignment).where(
        Assignment.application_id == target.id)).all()
    assert len(readers) == 1 and readers[0].membership_id != panel[0].id
    loads = assignment.member_loads(rnd)
    assert sorted(loads.values()) == [1, 2, 2, 3]  # one change: the new reader takes one more
    events = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.round_id == rnd.id)).all()
    assert "assignment.conflict_removed" in events


def test_after_close_a_conflict_only_removes_the_member(app: Flask, staff: User) -> None:
    rnd, panel = shared_round(applications=4, members=3, readers=2)
    assignment.run(rnd, staff)
    rnd.state = "closed"
    db.session.commit()
    target = next(a for a in rnd.applications if a.reference in assigned_refs(panel[0]))
    conflicts.declare_conflict(panel[0], target, category="family", declared_by=staff,
                               reason="Told us today that their brother runs it.")
    db.session.commit()
    readers = db.session.scalars(select(Assignment).where(
        Assignment.application_id == target.id)).all()
    assert len(readers) == 1


def test_a_member_who_leaves_hands_on_only_what_they_had_not_started(
        app: Flask, staff: User, client: FlaskClient, login_as: Login) -> None:
    rnd, panel = shared_round(applications=6, members=3, readers=1)
    assignment.run(rnd, staff)
    db.session.commit()
    leaver = panel[0]
    started, *rest = sorted(assigned_refs(leaver))
    app_started = next(a for a in rnd.applications if a.reference == started)
    db.session.add(ScoreSheet(membership_id=leaver.id, application_id=app_started.id,
                              status="submitted", scores={"c1": 4, "c2": 4},
                              submitted_at=utcnow()))
    db.session.commit()
    login_as(staff)
    url = f"/staff/rounds/{rnd.id}/assignment/members/{leaver.id}/left"
    assert "Has Member 1 left the panel?" in text(client.get(url))
    assert post_form(client, url).status_code == 302
    db.session.expire_all()
    assert assigned_refs(leaver) == {started}
    assert leaver.capacity == 0
    others = assigned_refs(panel[1]) | assigned_refs(panel[2])
    assert set(rest) <= others
    assert assignment.overview(rnd).short_total == 0


def test_the_quorum_is_never_more_than_the_readers(app: Flask, staff: User) -> None:
    rnd, _panel = shared_round(state="draft", readers=None, quorum=3)
    with pytest.raises(assignment.AssignmentError, match="at least 3 readers"):
        assignment.set_readers(rnd, staff, 2)
    db.session.rollback()
    assignment.set_readers(rnd, staff, 3)
    db.session.commit()
    values = {"name": rnd.name, "purpose": rnd.purpose, "budget": rnd.budget,
              "currency": rnd.currency, "involvement": rnd.involvement, "quorum": 4,
              "tie_break": rnd.tie_break, "opens_on": None, "closes_on": None,
              "decision_on": None, "reveal_scores_after_close": True}
    with pytest.raises(rounds.RoundError, match="cannot be more than 3"):
        rounds.update_round(rnd, staff, **values)


def test_setting_readers_after_scores_keeps_every_started_reader(app: Flask, staff: User) -> None:
    rnd, panel = shared_round(applications=3, members=3, readers=None)
    first = rnd.applications[0]
    db.session.add(ScoreSheet(membership_id=panel[2].id, application_id=first.id,
                              status="draft", scores={"c1": 2}))
    db.session.commit()
    assignment.set_readers(rnd, staff, 1)
    summary = assignment.run(rnd, staff)
    db.session.commit()
    assert first.reference in assigned_refs(panel[2])
    assert summary.short == 0
    with pytest.raises(assignment.AssignmentError, match="already started scoring"):
        assignment.remove_reader(first, panel[2], staff)


def test_nothing_changes_after_scoring_closes(app: Flask, staff: User) -> None:
    rnd, panel = shared_round(state="closed")
    with pytest.raises(assignment.AssignmentError, match="Scoring has closed"):
        assignment.run(rnd, staff)
    with pytest.raises(assignment.AssignmentError, match="Scoring has closed"):
        assignment.set_readers(rnd, staff, 3)


def test_progress_counts_assigned_readings(app: Flask, staff: User, client: FlaskClient,
                                           login_as: Login) -> None:
    rnd, panel = shared_round(applications=6, members=3, readers=1)
    assignment.run(rnd, staff)
    db.session.commit()
    rows = panel_admin.progress(rnd)
    assert [r.assigned for r in rows] == [2, 2, 2] and [r.to_do for r in rows] == [2, 2, 2]
    apps = panel_admin.application_progress(rnd)
    assert [a.readers for a in apps] == [1] * 6
    login_as(staff)
    page = text(client.get(f"/staff/rounds/{rnd.id}/progress"))
    assert "Assigned" in page and "Readers" in page and "See who reads what" in page


# --- staff pages --------------------------------------------------------------------------


def test_only_staff_see_the_assignment_page(app: Flask, staff: User, client: FlaskClient,
                                            login_as: Login) -> None:
    rnd, panel = shared_round()
    url = f"/staff/rounds/{rnd.id}/assignment"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]
    login_as(panel[0].user)
    assert client.get(url).status_code == 403
    login_as(staff)
    page = client.get(url)
    assert page.status_code == 200
    assert "Who reads what" in text(page) and "Readers per application" in text(page)


def test_staff_set_the_readers_run_the_assignment_and_see_the_summary(
        app: Flask, staff: User, client: FlaskClient, login_as: Login) -> None:
    rnd, panel = shared_round(state="draft", applications=5, members=3, readers=None,
                              quorum=2)
    login_as(staff)
    url = f"/staff/rounds/{rnd.id}/assignment"
    bad = post_form(client, f"{url}/readers", {"readers": "1"}, page=url)
    assert bad.status_code == 400
    assert "needs at least 2 readers" in text(bad)
    assert 'value="1"' in text(bad)  # what was typed is kept
    ok = post_form(client, f"{url}/readers", {"readers": "2"}, page=url)
    assert ok.status_code == 302
    ran = post_form(client, f"{url}/run", {}, page=url)
    assert ran.status_code == 302
    page = text(client.get(url))
    assert "10 of 10 wanted" in page and "From 3 to 4." in page
    assert "None: every eligible application has its readers." in page


def test_staff_set_members_limits_on_a_paged_table(app: Flask, staff: User,
                                                   client: FlaskClient, login_as: Login) -> None:
    rnd, panel = shared_round(applications=4, members=3, readers=1)
    login_as(staff)
    url = f"/staff/rounds/{rnd.id}/assignment"
    field = f"capacity_{panel[0].id}"
    bad = post_form(client, f"{url}/capacities?page=1", {field: "lots"}, page=url)
    assert bad.status_code == 400 and "is not a whole number" in text(bad)
    ok = post_form(client, f"{url}/capacities?page=1", {field: "1"}, page=url)
    assert ok.status_code == 302
    db.session.expire_all()
    assert panel[0].capacity == 1
    assignment.run(rnd, staff)
    db.session.commit()
    assert len(assigned_refs(panel[0])) == 1


def test_the_members_table_is_paged_fifty_to_a_page(app: Flask, staff: User,
                                                    client: FlaskClient, login_as: Login) -> None:
    rnd, _panel = shared_round(applications=2, members=51, readers=1)
    login_as(staff)
    first = text(client.get(f"/staff/rounds/{rnd.id}/assignment"))
    assert "Page 1 of 2" in first and "Panel member 50" in first
    assert "Panel member 51<" not in first
    second = text(client.get(f"/staff/rounds/{rnd.id}/assignment?page=2"))
    assert "Panel member 51<" in second


def test_searching_a_reference_shows_its_readers_and_a_wrong_one_says_so(
        app: Flask, staff: User, client: FlaskClient, login_as: Login) -> None:
    rnd, panel = shared_round(applications=3, members=2, readers=1)
    assignment.run(rnd, staff)
    db.session.commit()
    login_as(staff)
    url = f"/staff/rounds/{rnd.id}/assignment"
    found = client.get(f"{url}?ref=a-002")
    assert found.status_code == 302
    page = text(client.get(found.headers["Location"]))
    reader = db.session.scalar(select(Assignment).where(
        Assignment.application_id == rnd.applications[1].id))
    assert reader is not None and reader.membership.pseudonym in page
    missing = client.get(f"{url}?ref=Z-999")
    assert "No application in this round has the reference Z-999" in text(missing)
    assert 'value="Z-999"' in text(missing)


def test_staff_add_and_remove_readers_by_hand(app: Flask, staff: User, client: FlaskClient,
                                              login_as: Login) -> None:
    rnd, panel = shared_round(applications=2, members=3, readers=1)
    target = rnd.applications[0]
    conflicts.declare_conflict(panel[2], target, category="family", declared_by=staff)
    assignment.run(rnd, staff)
    db.session.commit()
    login_as(staff)
    page_url = f"/staff/rounds/{rnd.id}/assignment/applications/{target.id}"
    add_url = f"{page_url}/readers"
    refused = post_form(client, add_url, {"membership": str(panel[2].id)}, page=page_url)
    assert refused.status_code == 400
    assert "has a conflict of interest with A-001, so they cannot read it" in text(refused)
    readers = {r.membership.id for r in assignment.readers_of(target)}
    free = next(m for m in panel[:2] if m.id not in readers)
    added = post_form(client, add_url, {"membership": str(free.id)}, page=page_url)
    assert added.status_code == 302
    pair = db.session.scalar(select(Assignment).where(
        Assignment.application_id == target.id, Assignment.membership_id == free.id))
    assert pair is not None and pair.source == AssignmentSource.MANUAL
    assignment.run(rnd, staff, fresh=True)  # a re-run keeps the hand-made reader
    db.session.commit()
    assert free.id in {r.membership.id for r in assignment.readers_of(target)}
    remove = f"{page_url}/readers/{free.id}/remove"
    assert post_form(client, remove, page=page_url).status_code == 302
    assert free.id not in {r.membership.id for r in assignment.readers_of(target)}
    again = post_form(client, remove, page=page_url)
    assert again.status_code == 400 and "does not read A-001" in text(again)


def test_a_member_at_their_limit_cannot_be_added_by_hand(app: Flask, staff: User) -> None:
    rnd, panel = shared_round(applications=2, members=2, readers=1)
    panel[0].capacity = 0
    db.session.commit()
    with pytest.raises(assignment.AssignmentError, match="the most they can"):
        assignment.add_reader(rnd.applications[0], panel[0], staff)


# --- the command line ---------------------------------------------------------------------


def test_the_command_assigns_and_prints_the_json_summary(app: Flask,
                                                         runner: FlaskCliRunner) -> None:
    rnd, panel = shared_round(state="draft", applications=5, members=3, readers=None)
    panel[2].user.email = None  # a member without email is named by name
    db.session.commit()
    result = runner.invoke(args=["assign", str(rnd.id), "--readers", "2"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) == {"assignments", "loads", "short"}
    assert out["short"] == []
    assert len(out["assignments"]) == 10
    assert list(out["loads"]) == ["member1@example.org", "member2@example.org", "Member 3"]
    assert sorted(out["loads"].values()) == [3, 3, 4]
    per_app: dict[str, int] = {}
    for pair in out["assignments"]:
        assert set(pair) == {"member", "application"}
        per_app[pair["application"]] = per_app.get(pair["application"], 0) + 1
    assert per_app == {f"A-00{i}": 2 for i in range(1, 6)}
    db.session.expire_all()
    assert db.session.get(Round, rnd.id).readers_per_application == 2  # type: ignore[union-attr]


def test_the_command_lists_short_applications(app: Flask, staff: User,
                                              runner: FlaskCliRunner) -> None:
    rnd, panel = shared_round(state="draft", applications=2, members=2, readers=None)
    conflicts.declare_conflict(panel[0], rnd.applications[0], category="family",
                               declared_by=staff)
    db.session.commit()
    result = runner.invoke(args=["assign", str(rnd.id), "--readers", "2"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["short"] == ["A-001"]


@pytest.mark.parametrize("args, message", [
    (["assign", "999999", "--readers", "2"], "There is no round 999999"),
    (["assign", "{id}", "--readers", "0"], "from 1 to 1,000"),
    (["assign", "{id}", "--readers", "1"], "needs at least 2 readers"),
    (["assign", "{id}"], "--readers"),
])
def test_the_command_refuses_a_bad_round_or_k_in_plain_words(
        app: Flask, runner: FlaskCliRunner, args: list[str], message: str) -> None:
    rnd, _panel = shared_round(state="draft", readers=None, quorum=2)
    result = runner.invoke(args=[a.replace("{id}", str(rnd.id)) for a in args])
    assert result.exit_code == 1
    assert message in result.output
    assert db.session.scalar(select(Assignment.id).limit(1)) is None


def test_preferences_imported_on_the_command_line_are_used(
        app: Flask, runner: FlaskCliRunner, tmp_path: Any) -> None:
    rnd, panel = shared_round(state="draft", applications=2, members=2, readers=None)
    prefs = tmp_path / "prefs.csv"
    prefs.write_text("member,application,preference\n"
                     "member1@example.org,A-001,rather not\n"
                     "2,A-001,like\n", encoding="utf-8")
    result = runner.invoke(args=["assign", str(rnd.id), "--readers", "1",
                                 "--preferences", str(prefs)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert {"member": "member2@example.org", "application": "A-001"} in out["assignments"]
    assert db.session.scalar(select(AssignmentPreference.bid).where(
        AssignmentPreference.membership_id == panel[0].id)) == -1
    prefs.write_text("member,application,preference\nnobody@example.org,A-001,like\n",
                     encoding="utf-8")
    bad = runner.invoke(args=["assign", str(rnd.id), "--preferences", str(prefs)])
    assert bad.exit_code == 1 and "Line 2: no panel member" in bad.output


# --- the decision record ------------------------------------------------------------------


def published_shared_round(staff: User) -> tuple[Round, dict[str, Any]]:
    rnd, panel = shared_round(applications=4, members=3, readers=2, quorum=1)
    assignment.run(rnd, staff)
    db.session.commit()
    for m in panel:
        for a in db.session.scalars(select(Assignment).where(
                Assignment.membership_id == m.id)).all():
            db.session.add(ScoreSheet(membership_id=m.id, application_id=a.application_id,
                                      status="submitted", submitted_at=utcnow(),
                                      scores={"c1": 2 + m.number % 3, "c2": 3}))
    rnd.state = "closed"
    db.session.commit()
    counting.decide(rnd, staff, [])
    published = counting.publish(rnd, staff)
    db.session.commit()
    return rnd, json.loads(published.body)


def _reseal(record: dict[str, Any]) -> dict[str, Any]:
    record["digest"] = voting.record_digest(record)
    return record


def test_the_record_carries_the_assignment_by_pseudonym_and_verifies(
        app: Flask, staff: User) -> None:
    rnd, record = published_shared_round(staff)
    section = record["assignment"]
    assert section["readers"] == 2
    assert [e["id"] for e in section["applications"]] == ["A-001", "A-002", "A-003", "A-004"]
    assert all(len(e["members"]) == 2 for e in section["applications"])
    assert all(m.startswith("Panel member ") for e in section["applications"]
               for m in e["members"])
    body = json.dumps(record)
    assert "member1@example.org" not in body and "Member 1" not in body
    report = voting.verify_record(record)
    assert report.ok, report.message
    assert any(line.startswith("assignment: 2 readers per application, 8 assignments")
               for line in report.checks)
    schema = json.loads((Path(voting.__file__).parent / "schema"
                         / "decision-record.schema.json").read_bytes())
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(record)) == []
    published = voting.canonical_json(record)
    assert voting.record.verify_record_bytes(published).ok


def test_a_sheet_from_a_member_not_assigned_fails_verification(app: Flask, staff: User) -> None:
    _rnd, record = published_shared_round(staff)
    entry = record["assignment"]["applications"][0]
    dropped = entry["members"].pop(0)
    report = voting.verify_record(_reseal(record))
    assert not report.ok
    assert report.mismatch is not None and report.mismatch.startswith("sheets[")
    assert dropped in report.message and "was not assigned it" in report.message


@pytest.mark.parametrize("edit, where", [
    (lambda r: r["assignment"].update(readers=0), "assignment.readers"),
    (lambda r: r["assignment"]["applications"].pop(), "assignment.applications"),
    (lambda r: r["assignment"]["applications"][1].update(id="A-009"),
     "assignment.applications[1].id"),
    (lambda r: r["assignment"]["applications"][0]["members"].reverse(),
     "assignment.applications[0].members[1]"),
    (lambda r: r["assignment"]["applications"][0]["members"].append("Panel member 99"),
     "assignment.applications[0].members[2]"),
    (lambda r: r["assignment"].update(extra=1), "assignment.extra"),
])
def test_a_tampered_assignment_fails_naming_the_field(app: Flask, staff: User, edit: Any,
                                                      where: str) -> None:
    _rnd, record = published_shared_round(staff)
    edit(record)
    report = voting.verify_record(_reseal(record))
    assert not report.ok and report.mismatch == where, (report.mismatch, report.message)


def test_a_member_with_a_conflict_cannot_be_listed_as_a_reader(app: Flask,
                                                               staff: User) -> None:
    _rnd, record = published_shared_round(staff)
    entry = record["assignment"]["applications"][0]
    record["conflicts"].append({"member": entry["members"][0], "application": entry["id"],
                                "category": "family", "declared_by": "staff",
                                "when": "before-close"})
    report = voting.verify_record(_reseal(record))
    # The recount changes first (the conflicted sheet no longer counts) ...
    assert not report.ok
    # ... and with the outputs recomputed the assignment rule itself is named.
    inputs = {k: v for k, v in record.items() if k not in ("outputs", "decision", "digest",
                                                            "previous_digest")}
    with pytest.raises(voting.panel.InputError) as e:
        voting.record.record_outputs(inputs)
    assert e.value.path == "assignment.applications[0].members[0]"


def test_a_record_without_the_field_is_unchanged_and_may_not_gain_an_unknown_key(
        app: Flask, staff: User) -> None:
    _rnd, record = published_shared_round(staff)
    del record["assignment"]
    assert voting.verify_record(_reseal(record)).ok
    record["assignments"] = []
    report = voting.verify_record(_reseal(record))
    assert not report.ok and report.mismatch == "assignments"


def test_every_assignment_page_refuses_panel_members_and_visitors(
        app: Flask, staff: User, client: FlaskClient, login_as: Login) -> None:
    rnd, panel = shared_round()
    base = f"/staff/rounds/{rnd.id}/assignment"
    a, m = rnd.applications[0].id, panel[0].id
    pages = [base, f"{base}/applications/{a}", f"{base}/members/{m}/left"]
    posts = [f"{base}/readers", f"{base}/run", f"{base}/capacities",
             f"{base}/members/{m}/left", f"{base}/applications/{a}/readers",
             f"{base}/applications/{a}/readers/{m}/remove"]
    for url in pages:
        assert client.get(url).status_code == 302
    login_as(panel[0].user)
    for url in pages:
        assert client.get(url).status_code == 403, url
    for url in posts:
        assert client.post(url).status_code in (400, 403), url
    assert db.session.scalar(select(Assignment.id).limit(1)) is None
    login_as(staff)
    for url in pages:
        assert client.get(url).status_code == 200, url


def test_the_downloadable_verifier_checks_the_assignment(app: Flask, staff: User,
                                                         tmp_path: Path) -> None:
    import subprocess
    import sys

    from grantpanel import verifier

    rnd, _record = published_shared_round(staff)
    body = db.session.scalar(select(PublishedRecord.body).where(
        PublishedRecord.round_id == rnd.id))
    assert body is not None
    pyz = tmp_path / "grantpanel-verify.pyz"
    pyz.write_bytes(verifier.verifier_bytes())
    good = tmp_path / "record.json"
    good.write_bytes(body.encode("utf-8"))
    ran = subprocess.run([sys.executable, str(pyz), "verify", str(good)],
                         capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "assignment: 2 readers per application" in ran.stdout
    record = json.loads(body)
    record["assignment"]["applications"][2]["members"] = []
    bad = tmp_path / "tampered.json"
    bad.write_bytes(voting.canonical_json(_reseal(record)))
    ran = subprocess.run([sys.executable, str(pyz), "verify", str(bad)],
                         capture_output=True, text=True, check=False)
    assert ran.returncode == 1 and "was not assigned it" in ran.stdout + ran.stderr


def test_a_reader_who_started_keeps_the_application_through_an_eligibility_change(
        app: Flask, staff: User) -> None:
    rnd, panel = shared_round(applications=3, members=2, readers=1)
    assignment.run(rnd, staff)
    db.session.commit()
    target = next(a for a in rnd.applications if a.reference in assigned_refs(panel[0]))
    db.session.add(ScoreSheet(membership_id=panel[0].id, application_id=target.id,
                              status="submitted", scores={"c1": 3, "c2": 3},
                              submitted_at=utcnow()))
    target.eligible = False
    db.session.commit()
    assignment.run(rnd, staff, fresh=True)
    target.eligible = True
    assignment.run(rnd, staff, fresh=True)
    db.session.commit()
    assert target.reference in assigned_refs(panel[0])


@pytest.mark.parametrize("value", ["99999999999999999999", "\u00b2", "-1", "\x00", "", "0",
                                   "2147483648", "abc"])
def test_hostile_choices_on_the_hand_edit_and_limit_forms_are_refused_plainly(
        app: Flask, staff: User, client: FlaskClient, login_as: Login, value: str) -> None:
    rnd, panel = shared_round(applications=2, members=2, readers=1)
    other = make_round(name="Another round", applications=1, readers_per_application=1)
    stranger = make_member(other)
    db.session.commit()
    login_as(staff)
    page = f"/staff/rounds/{rnd.id}/assignment/applications/{rnd.applications[0].id}"
    for choice in (value, str(stranger.id)):
        resp = post_form(client, f"{page}/readers", {"membership": choice}, page=page)
        assert resp.status_code == 400, (choice, resp.status_code)
    base = f"/staff/rounds/{rnd.id}/assignment"
    resp = post_form(client, f"{base}/capacities?page=1",
                     {f"capacity_{panel[0].id}": value or "x"}, page=base)
    assert resp.status_code in (302, 400)
    if resp.status_code == 302:  # a whole number in range: saved
        db.session.expire_all()
        assert panel[0].capacity == int(value)
    assert db.session.scalar(select(Assignment.id).limit(1)) is None
