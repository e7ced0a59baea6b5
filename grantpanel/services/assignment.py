"""Shared-out reading: each application read by ``k`` members, assigned optimally.

A round whose ``readers_per_application`` is NULL works as before: every member reads every
eligible application, and nothing here applies. With a number ``k``:

- Each member's queue holds only the applications assigned to them
  (:func:`assigned_clause`, used by :mod:`grantpanel.services.scoring`), and they cannot open
  another one's score sheet (:func:`is_assigned`).
- :func:`run` assigns the round's eligible applications by the rule of
  :mod:`grantpanel.services.assignment_solver` (never a conflicted member; the most readers;
  loads as even as the conflicts and capacities allow; the fewest changes to the assignment as
  it stands; then members' preferences). A re-run keeps every pair made by hand (``manual``)
  and every pair whose member has started scoring (a draft or submitted sheet), so work
  already done is never taken away.
- A conflict declared after the assignment (:func:`on_conflict`, called by
  :func:`grantpanel.services.conflicts.declare_conflict`) removes that member from that
  application at once and, while scoring is not closed, re-assigns **that application
  only** to the best other member (the least loaded, by the same rule; the other pairs do
  not move). After scoring has closed nothing is added: the application may end short.
  Staff can re-run the whole assignment to even the loads out again.
- A member who leaves (:func:`member_left`) gets capacity 0; their applications not yet
  started go to other members the same way (only those applications are re-assigned).
- Staff add or remove readers by hand (:func:`add_reader`, :func:`remove_reader`): a
  conflicted member is refused, and so is removing a member who has started scoring.
- The quorum must be at most ``k`` (:func:`readers_problem`, :func:`quorum_problem`).
- The assignment can change while the panel can (draft or open: ``panel_editable``); the
  published decision record carries it pseudonymously (:func:`record_section`).

Services never commit: the view or command does. Every change locks the round's row first
(:func:`grantpanel.services.locks.lock_one`), so two changes of one round's assignment run
one after the other, and a score sheet being saved (which holds the round ``FOR SHARE``) sees
the assignment either before or after a change, never half of it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
from sqlalchemy import delete, exists, func, insert, select

from grantpanel.extensions import db
from grantpanel.i18n import _, ngettext
from grantpanel.models import (
    Application,
    Assignment,
    AssignmentPreference,
    Conflict,
    Membership,
    Round,
    ScoreSheet,
    Skip,
    User,
)
from grantpanel.services import audit, locks
from grantpanel.services.assignment_solver import NO_LIMIT, Problem, Solution, solve
from grantpanel.vocabulary import AssignmentSource, SheetStatus

#: The fewest and most readers per application staff may choose.
READERS_RANGE = (1, 1_000)
#: The largest capacity staff may give a member.
CAPACITY_MAX = 1_000_000
#: Rows per page of the members table on the assignment page.
MEMBERS_PAGE_SIZE = 50
#: How many short applications the summary names (the rest are counted).
SHORT_LISTED = 50
#: Rows changed per SQL statement (stays under every database's limit on bound values).
_CHUNK = 5_000


class AssignmentError(ValueError):
    """A plain-English reason the assignment could not be changed."""


def uses_assignment(rnd: Round) -> bool:
    """True when the round shares reading out (``k`` readers per application)."""
    return rnd.readers_per_application is not None


# --- the rules staff are held to ----------------------------------------------------------


def readers_problem(rnd: Round, readers: Any) -> str | None:
    """Why ``readers`` cannot be the round's readers per application, or None.

    ``None`` (everyone reads everything) is always fine; a number must be whole, in
    :data:`READERS_RANGE`, and at least the round's quorum."""
    if readers is None:
        return None
    lo, hi = READERS_RANGE
    if not isinstance(readers, int) or isinstance(readers, bool) or not lo <= readers <= hi:
        return _("The number of readers must be a whole number from %(low)s to %(high)s.",
                 low=lo, high=f"{hi:,}")
    if readers < rnd.quorum:
        return ngettext(
            "Each application needs at least %(num)d submitted score (the quorum), so it "
            "needs at least %(num)d reader. Choose %(num)d or more, or lower the quorum first.",
            "Each application needs at least %(num)d submitted scores (the quorum), so it "
            "needs at least %(num)d readers. Choose %(num)d or more, or lower the quorum first.",
            rnd.quorum,
        )
    return None


def quorum_problem(rnd: Round, quorum: Any) -> str | None:
    """Why ``quorum`` cannot be the round's quorum given its readers per application, or None
    (used by :func:`grantpanel.services.rounds.update_round`)."""
    k = rnd.readers_per_application
    if k is None or not isinstance(quorum, int) or quorum <= k:
        return None
    return ngettext(
        "Each application is read by %(num)d member, so the quorum cannot be more than "
        "%(num)d. Lower the quorum, or give each application more readers on the "
        "Assignment page first.",
        "Each application is read by %(num)d members, so the quorum cannot be more than "
        "%(num)d. Lower the quorum, or give each application more readers on the "
        "Assignment page first.",
        k,
    )


def capacity_problem(capacity: Any) -> str | None:
    """Why ``capacity`` is not a usable capacity (``None``: no limit), or None."""
    if capacity is None:
        return None
    if not isinstance(capacity, int) or isinstance(capacity, bool) \
            or not 0 <= capacity <= CAPACITY_MAX:
        return _("The most a member reads must be a whole number from 0 to %(high)s, or empty "
                 "for no limit.", high=f"{CAPACITY_MAX:,}")
    return None


def _lock(rnd: Round) -> Round:
    """Take the round's row (``FOR UPDATE``) and read it fresh."""
    return locks.lock_one(Round, Round.id == rnd.id) or rnd


def _require_changeable(rnd: Round) -> None:
    if not rnd.lifecycle.panel_editable:
        raise AssignmentError(_(
            "Scoring has closed, so who reads what cannot change any more."))


def _require_assignment(rnd: Round) -> int:
    if rnd.readers_per_application is None:
        raise AssignmentError(_(
            "First choose how many members read each application."))
    return int(rnd.readers_per_application)


# --- settings ------------------------------------------------------------------------------


def set_readers(rnd: Round, actor: User | None, readers: int | None) -> bool:
    """Set the round's readers per application (``None``: everyone reads everything).

    Refused after scoring closes, or when :func:`readers_problem` says so. When reading is
    first shared out, every member who has already started scoring an application is made
    its reader, so no work is lost. Returns whether anything changed. The caller commits."""
    _lock(rnd)
    _require_changeable(rnd)
    problem = readers_problem(rnd, readers)
    if problem:
        raise AssignmentError(problem)
    if rnd.readers_per_application == readers:
        return False
    before = rnd.readers_per_application
    rnd.readers_per_application = readers
    if readers is not None:
        _keep_started(rnd)
    audit.record("assignment.readers_set", actor=actor, round_id=rnd.id, readers=readers,
                 previous=before)
    return True


def _started_pairs(rnd: Round) -> set[tuple[int, int]]:
    """(membership id, application id) of every sheet a member has started and not had
    withdrawn, at any stage, in the round."""
    rows = db.session.execute(
        select(ScoreSheet.membership_id, ScoreSheet.application_id)
        .join(Application, Application.id == ScoreSheet.application_id)
        .where(Application.round_id == rnd.id, ScoreSheet.status != SheetStatus.WITHDRAWN)
        .distinct()
    ).all()
    return {(int(m), int(a)) for m, a in rows}


def _keep_started(rnd: Round) -> int:
    """Make every started sheet's member a reader of its application (if not already)."""
    have = {(m, a) for m, a, _s in _rows(rnd)}
    missing = sorted(_started_pairs(rnd) - have)
    _insert(rnd, missing, AssignmentSource.AUTO)
    return len(missing)


def set_capacities(rnd: Round, actor: User, capacities: Mapping[int, int | None]) -> int:
    """Set members' capacities (``{membership id: capacity or None}``); returns how many
    changed. Ids of other rounds' members are refused. The caller commits."""
    _lock(rnd)
    _require_changeable(rnd)
    members = {m.id: m for m in db.session.scalars(
        select(Membership).where(Membership.round_id == rnd.id,
                                 Membership.id.in_(list(capacities))))}
    changed = 0
    for membership_id, capacity in capacities.items():
        member = members.get(membership_id)
        if member is None:
            raise AssignmentError(_("That panel member is not on this round's panel."))
        problem = capacity_problem(capacity)
        if problem:
            raise AssignmentError(problem)
        if member.capacity != capacity:
            member.capacity = capacity
            changed += 1
            audit.record("assignment.capacity_set", actor=actor, round_id=rnd.id,
                         membership_id=member.id, capacity=capacity)
    return changed


# --- reading the assignment ----------------------------------------------------------------


def assigned_clause(membership: Membership) -> Any:
    """SQL: ``Application`` is assigned to ``membership`` (for the member's queue query)."""
    return exists().where(Assignment.membership_id == membership.id,
                          Assignment.application_id == Application.id)


def is_assigned(membership: Membership, application: Application) -> bool:
    """True when the member may read ``application``: the round does not share reading out,
    or the application is assigned to them."""
    if membership.round.readers_per_application is None:
        return True
    return db.session.scalar(
        select(Assignment.id).where(Assignment.membership_id == membership.id,
                                    Assignment.application_id == application.id).limit(1)
    ) is not None


def _rows(rnd: Round) -> list[tuple[int, int, str]]:
    """(membership id, application id, source) of every pair in the round."""
    return [(int(m), int(a), str(s)) for m, a, s in db.session.execute(
        select(Assignment.membership_id, Assignment.application_id, Assignment.source)
        .where(Assignment.round_id == rnd.id))]


def _eligible(rnd: Round) -> Any:
    return select(Application.id).where(Application.round_id == rnd.id,
                                        Application.eligible.is_(True))


def member_loads(rnd: Round, membership_ids: Iterable[int] | None = None) -> dict[int, int]:
    """``{membership id: eligible applications assigned}`` (members with none left out)."""
    query = (select(Assignment.membership_id, func.count(Assignment.id))
             .where(Assignment.round_id == rnd.id,
                    Assignment.application_id.in_(_eligible(rnd)))
             .group_by(Assignment.membership_id))
    if membership_ids is not None:
        query = query.where(Assignment.membership_id.in_(list(membership_ids)))
    return {int(m): int(n) for m, n in db.session.execute(query)}


def application_readers(rnd: Round, application_ids: Iterable[int] | None = None
                        ) -> dict[int, int]:
    """``{application id: readers}`` for the round's applications (none: left out)."""
    query = (select(Assignment.application_id, func.count(Assignment.id))
             .where(Assignment.round_id == rnd.id).group_by(Assignment.application_id))
    if application_ids is not None:
        query = query.where(Assignment.application_id.in_(list(application_ids)))
    return {int(a): int(n) for a, n in db.session.execute(query)}


@dataclass(frozen=True)
class Overview:
    """The round's assignment at a glance (staff page and the CLI)."""

    readers: int | None
    applications: int  # eligible applications
    members: int
    pairs: int  # assigned (member, eligible application) pairs
    loads_min: int | None
    loads_max: int | None
    short_total: int
    short: list[tuple[str, int]] = field(default_factory=list)  # (reference, readers), first


def overview(rnd: Round, *, listed: int = SHORT_LISTED) -> Overview:
    """Counts for the round's assignment: a few ``GROUP BY`` queries, whatever its size."""
    k = rnd.readers_per_application
    apps = list(db.session.execute(
        select(Application.id, Application.reference).where(
            Application.round_id == rnd.id, Application.eligible.is_(True))
        .order_by(Application.reference, Application.id)))
    n_members = db.session.scalar(
        select(func.count(Membership.id)).where(Membership.round_id == rnd.id)) or 0
    readers = application_readers(rnd)
    loads = member_loads(rnd)
    all_loads = [*loads.values(), *([0] * (n_members - len(loads)))]
    short = [(ref, readers.get(int(a), 0)) for a, ref in apps
             if k is not None and readers.get(int(a), 0) < k]
    return Overview(
        readers=k, applications=len(apps), members=n_members,
        pairs=sum(loads.values()),
        loads_min=min(all_loads) if all_loads else None,
        loads_max=max(all_loads) if all_loads else None,
        short_total=len(short), short=short[:listed],
    )


@dataclass(frozen=True)
class MemberRow:
    membership: Membership
    load: int
    started: int  # of their applications, how many they have started or submitted


@dataclass(frozen=True)
class MembersPage:
    rows: list[MemberRow]
    page: int
    pages: int
    total: int


def members_page(rnd: Round, page: int = 1, *, per_page: int = MEMBERS_PAGE_SIZE
                 ) -> MembersPage:
    """One page of the round's members (in pseudonym order) with their loads."""
    total = db.session.scalar(
        select(func.count(Membership.id)).where(Membership.round_id == rnd.id)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    members = list(db.session.scalars(
        select(Membership).where(Membership.round_id == rnd.id)
        .order_by(Membership.number).offset((page - 1) * per_page).limit(per_page)))
    ids = [m.id for m in members]
    loads = member_loads(rnd, ids)
    started = {int(m): int(n) for m, n in db.session.execute(
        select(Assignment.membership_id, func.count(func.distinct(Assignment.application_id)))
        .join(ScoreSheet, (ScoreSheet.membership_id == Assignment.membership_id)
              & (ScoreSheet.application_id == Assignment.application_id))
        .where(Assignment.membership_id.in_(ids), ScoreSheet.status != SheetStatus.WITHDRAWN,
               Assignment.application_id.in_(_eligible(rnd)))
        .group_by(Assignment.membership_id))}
    rows = [MemberRow(m, loads.get(m.id, 0), started.get(m.id, 0)) for m in members]
    return MembersPage(rows=rows, page=page, pages=pages, total=total)


def find_application(rnd: Round, reference: str) -> Application | None:
    """The round's application with this reference (exact, else ignoring case)."""
    reference = (reference or "").strip()
    if not reference:
        return None
    found = db.session.scalar(select(Application).where(
        Application.round_id == rnd.id, Application.reference == reference))
    if found is None:
        found = db.session.scalars(select(Application).where(
            Application.round_id == rnd.id,
            func.lower(Application.reference) == reference.lower())
            .order_by(Application.id).limit(1)).first()
    return found


@dataclass(frozen=True)
class ReaderRow:
    membership: Membership
    source: AssignmentSource
    sheet: SheetStatus | None  # their stage-1 sheet's status, if any


def readers_of(application: Application) -> list[ReaderRow]:
    """The application's readers in pseudonym order, with how each was assigned and how far
    they have got."""
    rows = db.session.execute(
        select(Membership, Assignment.source)
        .join(Assignment, Assignment.membership_id == Membership.id)
        .where(Assignment.application_id == application.id)
        .order_by(Membership.number)).all()
    sheets = {int(m): SheetStatus(s) for m, s in db.session.execute(
        select(ScoreSheet.membership_id, ScoreSheet.status).where(
            ScoreSheet.application_id == application.id, ScoreSheet.stage == 1))}
    return [ReaderRow(m, AssignmentSource(src), sheets.get(m.id)) for m, src in rows]


def conflicted_member_ids(application: Application) -> set[int]:
    return set(db.session.scalars(
        select(Conflict.membership_id).where(Conflict.application_id == application.id)))


# --- running the solver --------------------------------------------------------------------


@dataclass(frozen=True)
class RunSummary:
    """What a run (or a repair) changed."""

    added: int
    removed: int
    kept: int
    short: int
    loads_min: int | None
    loads_max: int | None
    even: bool


@dataclass
class _World:
    """The round as the solver sees it: indices in reference and panel-number order."""

    app_ids: list[int]
    member_ids: list[int]
    problem: Problem
    rows: list[tuple[int, int, str]]
    started: set[tuple[int, int]]  # (membership id, application id) with a started sheet


def _world(rnd: Round, k: int, *, fresh: bool = False,
           only_app_ids: Iterable[int] | None = None) -> _World:
    apps = [int(a) for a in db.session.scalars(
        _eligible(rnd).order_by(Application.reference, Application.id))]
    members = list(db.session.execute(
        select(Membership.id, Membership.capacity).where(Membership.round_id == rnd.id)
        .order_by(Membership.number)))
    a_index = {a: i for i, a in enumerate(apps)}
    m_index = {int(m): i for i, (m, _c) in enumerate(members)}

    def pairs(items: Iterable[tuple[int, int]]) -> np.ndarray[Any, Any]:
        out = [(a_index[a], m_index[m]) for m, a in items if a in a_index and m in m_index]
        return np.array(sorted(out), dtype=np.int64).reshape(-1, 2)

    conflicts = list(db.session.execute(
        select(Conflict.membership_id, Conflict.application_id)
        .where(Conflict.application_id.in_(_eligible(rnd)))).all())
    # A member who skipped an application (services/panel_care.py) is never given it again.
    conflicts += db.session.execute(
        select(Skip.membership_id, Skip.application_id)
        .where(Skip.application_id.in_(_eligible(rnd)))).all()
    rows = _rows(rnd)
    started = _started_pairs(rnd)
    fixed = [(m, a) for m, a, s in rows if s == AssignmentSource.MANUAL or (m, a) in started]
    fixed += [(m, a) for m, a in started]  # a started sheet keeps its reader, row or not
    current = [] if fresh else [(m, a) for m, a, s in rows
                                if s == AssignmentSource.AUTO and (m, a) not in started]
    bids = [(a_index[a], m_index[m], int(b)) for m, a, b in db.session.execute(
        select(AssignmentPreference.membership_id, AssignmentPreference.application_id,
               AssignmentPreference.bid)
        .where(AssignmentPreference.application_id.in_(_eligible(rnd))))
        if a in a_index and m in m_index]
    only = None if only_app_ids is None else [a_index[a] for a in only_app_ids if a in a_index]
    problem = Problem(
        n_applications=len(apps), n_members=len(members), readers=k,
        capacity=[NO_LIMIT if c is None else int(c) for _m, c in members],
        conflicts=pairs((int(m), int(a)) for m, a in conflicts),
        current=pairs(current), fixed=pairs(set(fixed)),
        bids=np.array(sorted(bids), dtype=np.int64).reshape(-1, 3), only=only,
    )
    return _World(apps, [int(m) for m, _c in members], problem, rows, started)


def _insert(rnd: Round, pairs: list[tuple[int, int]], source: AssignmentSource) -> None:
    for start in range(0, len(pairs), _CHUNK):
        db.session.execute(insert(Assignment), [
            {"round_id": rnd.id, "membership_id": m, "application_id": a, "source": source}
            for m, a in pairs[start:start + _CHUNK]])


def _delete(rnd: Round, pairs: list[tuple[int, int]]) -> None:
    by_member: dict[int, list[int]] = {}
    for m, a in pairs:
        by_member.setdefault(m, []).append(a)
    for m, apps in by_member.items():
        for start in range(0, len(apps), _CHUNK):
            db.session.execute(delete(Assignment).where(
                Assignment.round_id == rnd.id, Assignment.membership_id == m,
                Assignment.application_id.in_(apps[start:start + _CHUNK])))


def _apply(rnd: Round, world: _World, solution: Solution,
           scope: set[int] | None) -> tuple[int, int, int]:
    """Make the stored pairs of the applications in ``scope`` (ids; ``None``: the whole
    round) what ``solution`` says. Manual pairs of ineligible applications, and every pair
    whose member has started scoring (even of an ineligible application, which may be made
    eligible again), are left alone. Returns (added, removed, kept)."""
    final = {(world.member_ids[m], world.app_ids[a]) for a, m in solution.pairs.tolist()}
    eligible = set(world.app_ids)
    stored = {(m, a): s for m, a, s in world.rows
              if scope is None or a in scope}
    remove = [pair for pair, source in stored.items()
              if pair not in final and pair not in world.started
              and (pair[1] in eligible or source == AssignmentSource.AUTO)]
    add = sorted(pair for pair in final if pair not in stored
                 and (scope is None or pair[1] in scope))
    _delete(rnd, remove)
    _insert(rnd, add, AssignmentSource.AUTO)
    db.session.expire_all()
    return len(add), len(remove), len(stored) - len(remove)


def _summary(solution: Solution, added: int, removed: int, kept: int) -> RunSummary:
    loads = solution.loads
    return RunSummary(added=added, removed=removed, kept=kept, short=len(solution.short),
                      loads_min=int(loads.min()) if len(loads) else None,
                      loads_max=int(loads.max()) if len(loads) else None,
                      even=solution.even)


def run(rnd: Round, actor: User | None, *, fresh: bool = False) -> RunSummary:
    """Assign the round's eligible applications to members (the rule: module docstring).

    ``fresh`` ignores the current automatic pairs (they may all move), so newly imported
    preferences weigh fully; hand-made and started pairs are kept either way. Refused before
    the readers per application are chosen and after scoring closes. The caller commits."""
    _lock(rnd)
    _require_changeable(rnd)
    k = _require_assignment(rnd)
    world = _world(rnd, k, fresh=fresh)
    solution = solve(world.problem)
    added, removed, kept = _apply(rnd, world, solution, None)
    summary = _summary(solution, added, removed, kept)
    audit.record("assignment.run", actor=actor, round_id=rnd.id, readers=k, added=added,
                 removed=removed, short=summary.short, fresh=fresh)
    return summary


def _repair(rnd: Round, application_ids: list[int], actor: User | None) -> RunSummary | None:
    """Re-assign only ``application_ids`` (every other pair stays), if the panel can still
    change; their members' loads elsewhere count."""
    if not application_ids or not rnd.lifecycle.panel_editable \
            or rnd.readers_per_application is None:
        return None
    world = _world(rnd, int(rnd.readers_per_application), only_app_ids=application_ids)
    solution = solve(world.problem)
    added, removed, kept = _apply(rnd, world, solution, set(application_ids))
    return _summary(solution, added, removed, kept)


def on_conflict(membership: Membership, application: Application, actor: User) -> None:
    """A conflict was just recorded: the member stops reading the application, and (before
    scoring closes) the application alone gets another reader. The caller (the conflicts
    service, which has locked the round) commits."""
    rnd = membership.round
    if rnd.readers_per_application is None:
        return
    pair = db.session.scalar(select(Assignment).where(
        Assignment.membership_id == membership.id,
        Assignment.application_id == application.id))
    if pair is None:
        return
    db.session.delete(pair)
    db.session.flush()
    repaired = _repair(rnd, [application.id], actor)
    audit.record("assignment.conflict_removed", actor=actor, round_id=rnd.id,
                 membership_id=membership.id, application_id=application.id,
                 added=repaired.added if repaired else 0)


def member_left(membership: Membership, actor: User) -> RunSummary | None:
    """The member has left the panel: capacity 0, and their applications they have not
    started go to other members (only those applications are re-assigned). Their submitted
    scores still count. The caller commits."""
    rnd = _lock(membership.round)
    _require_changeable(rnd)
    _require_assignment(rnd)
    membership.capacity = 0
    started = {a for m, a in _started_pairs(rnd) if m == membership.id}
    mine = [a for m, a, _s in _rows(rnd) if m == membership.id and a not in started]
    _delete(rnd, [(membership.id, a) for a in mine])
    db.session.flush()
    summary = _repair(rnd, sorted(mine), actor)
    audit.record("assignment.member_left", actor=actor, round_id=rnd.id,
                 membership_id=membership.id, applications=len(mine),
                 added=summary.added if summary else 0)
    return summary


# --- hand edits ----------------------------------------------------------------------------


def _check_pair(rnd: Round, application: Application, membership: Membership) -> None:
    if application.round_id != rnd.id or membership.round_id != rnd.id:
        raise AssignmentError(_("That member or application is not in this round."))


def add_reader(application: Application, membership: Membership, actor: User) -> Assignment:
    """Staff make ``membership`` a reader of ``application`` (kept by every re-run).

    Refused for a member with a conflict on it, one who already reads it, one at their
    capacity, an application that is not eligible, and after scoring closes."""
    rnd = _lock(application.round)
    _require_changeable(rnd)
    _require_assignment(rnd)
    _check_pair(rnd, application, membership)
    who, ref = membership.pseudonym, application.reference
    if not application.eligible:
        raise AssignmentError(_(
            "%(reference)s is not eligible, so nobody reads it. Mark it eligible first.",
            reference=ref))
    if membership.id in conflicted_member_ids(application):
        raise AssignmentError(_(
            "%(member)s has a conflict of interest with %(reference)s, so they cannot read "
            "it. Choose another member.", member=who, reference=ref))
    if db.session.scalar(select(Assignment.id).where(
            Assignment.membership_id == membership.id,
            Assignment.application_id == application.id)) is not None:
        raise AssignmentError(_("%(member)s already reads %(reference)s.",
                                member=who, reference=ref))
    load = member_loads(rnd, [membership.id]).get(membership.id, 0)
    if membership.capacity is not None and load >= membership.capacity:
        raise AssignmentError(ngettext(
            "%(member)s already reads %(num)d application, the most they can. Give them a "
            "higher limit first, or choose another member.",
            "%(member)s already reads %(num)d applications, the most they can. Give them a "
            "higher limit first, or choose another member.",
            load, member=who))
    pair = Assignment(round_id=rnd.id, membership_id=membership.id,
                      application_id=application.id, source=AssignmentSource.MANUAL)
    db.session.add(pair)
    db.session.flush()
    audit.record("assignment.reader_added", actor=actor, round_id=rnd.id,
                 membership_id=membership.id, application_id=application.id)
    return pair


def remove_reader(application: Application, membership: Membership, actor: User) -> None:
    """Staff take ``membership`` off ``application``. Refused once the member has started
    scoring it (their work counts), and after scoring closes. A later re-run may assign
    them again: to keep a member away from an application for good, record a conflict."""
    rnd = _lock(application.round)
    _require_changeable(rnd)
    _check_pair(rnd, application, membership)
    pair = db.session.scalar(select(Assignment).where(
        Assignment.membership_id == membership.id,
        Assignment.application_id == application.id))
    if pair is None:
        raise AssignmentError(_("%(member)s does not read %(reference)s.",
                                member=membership.pseudonym, reference=application.reference))
    if (membership.id, application.id) in _started_pairs(rnd):
        raise AssignmentError(_(
            "%(member)s has already started scoring %(reference)s, so they stay one of its "
            "readers and their scores count. If they have a conflict of interest, record it "
            "on the conflicts page.",
            member=membership.pseudonym, reference=application.reference))
    db.session.delete(pair)
    db.session.flush()
    audit.record("assignment.reader_removed", actor=actor, round_id=rnd.id,
                 membership_id=membership.id, application_id=application.id)


# --- preferences ---------------------------------------------------------------------------

_LIKE = {"+1", "1", "like", "would like"}
_RATHER_NOT = {"-1", "rather not", "rather-not", "rather_not"}
_CLEAR = {"", "0", "none"}
PREFERENCE_COLUMNS = ("member", "application", "preference")


class PreferencesRejected(AssignmentError):
    """Problems with a preferences file, one line each (nothing was imported)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems[:1]))
        self.problems = problems


def import_preferences(rnd: Round, data: bytes | IO[bytes], actor: User | None) -> int:
    """Import members' preferences from a CSV file (UTF-8, columns ``member``,
    ``application``, ``preference``): the member by email address or panel number
    (``7`` or ``Panel member 7``), the application by reference, the preference ``like``
    (or ``+1``), ``rather not`` (or ``-1``), or empty (or ``0``) to clear one. Every line is
    checked first; on any problem nothing is imported and :class:`PreferencesRejected` lists
    them by line. Returns how many lines were stored. The caller commits."""
    raw = data if isinstance(data, bytes) else data.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PreferencesRejected([_("The file is not UTF-8 text. Save it as \u201cCSV UTF-8\u201d "
                                     "and try again.")]) from e
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in PREFERENCE_COLUMNS if c not in header]
    if missing:
        raise PreferencesRejected([_("The file needs the columns %(columns)s.",
                                     columns=", ".join(PREFERENCE_COLUMNS))])
    col = {c: header.index(c) for c in PREFERENCE_COLUMNS}
    members = list(db.session.execute(
        select(Membership.id, Membership.number, User.email)
        .join(User, User.id == Membership.user_id).where(Membership.round_id == rnd.id)))
    by_email = {str(e).lower(): int(m) for m, _n, e in members if e}
    by_number = {int(n): int(m) for m, n, _e in members}
    apps = {str(r).lower(): int(a) for a, r in db.session.execute(
        select(Application.id, Application.reference).where(Application.round_id == rnd.id))}
    wanted: dict[tuple[int, int], int | None] = {}
    problems: list[str] = []
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        cell = {c: (cells[i].strip() if i < len(cells) else "") for c, i in col.items()}
        who = cell["member"].lower().removeprefix("panel member").strip()
        member = by_email.get(who) if "@" in who else (
            by_number.get(int(who)) if who.isascii() and who.isdigit() else None)
        app = apps.get(cell["application"].lower())
        pref = cell["preference"].lower()
        if member is None:
            problems.append(_("Line %(line)s: no panel member of this round is %(member)s.",
                              line=line, member=cell["member"] or '""'))
        elif app is None:
            problems.append(_("Line %(line)s: no application of this round has the reference "
                              "%(reference)s.", line=line,
                              reference=cell["application"] or '""'))
        elif pref not in _LIKE | _RATHER_NOT | _CLEAR:
            problems.append(_("Line %(line)s: the preference must be \u201clike\u201d, "
                              "\u201crather not\u201d or empty, not %(value)s.",
                              line=line, value=cell["preference"]))
        else:
            wanted[(member, app)] = 1 if pref in _LIKE else (-1 if pref in _RATHER_NOT else None)
    if problems:
        raise PreferencesRejected(problems)
    stored = {(int(m), int(a)): p for m, a, p in db.session.execute(
        select(AssignmentPreference.membership_id, AssignmentPreference.application_id,
               AssignmentPreference)
        .where(AssignmentPreference.membership_id.in_(list(by_number.values()))))}
    for (m, a), bid in wanted.items():
        existing = stored.get((m, a))
        if bid is None:
            if existing is not None:
                db.session.delete(existing)
        elif existing is None:
            db.session.add(AssignmentPreference(membership_id=m, application_id=a, bid=bid))
        else:
            existing.bid = bid
    db.session.flush()
    audit.record("assignment.preferences_imported", actor=actor, round_id=rnd.id,
                 count=len(wanted))
    return len(wanted)


# --- the CLI's summary and the record ------------------------------------------------------


def cli_summary(rnd: Round) -> dict[str, Any]:
    """``{"assignments": [{"member", "application"}], "loads": {member: count},
    "short": [references]}``: a member by email address (or name if none), eligible
    applications in reference order, members in panel order. Two members who share a name
    and have no email are told apart by their pseudonym."""
    members = list(db.session.execute(
        select(Membership.id, Membership.number, User.email, User.name)
        .join(User, User.id == Membership.user_id).where(Membership.round_id == rnd.id)
        .order_by(Membership.number)))
    names: dict[int, str] = {}
    taken: set[str] = set()
    for m, number, email, name in members:
        label = str(email or name)
        if label in taken:
            label = f"{label} (Panel member {number})"
        taken.add(label)
        names[int(m)] = label
    order = {int(m): i for i, (m, *_rest) in enumerate(members)}
    pairs = db.session.execute(
        select(Assignment.membership_id, Application.reference)
        .join(Application, Application.id == Assignment.application_id)
        .where(Assignment.round_id == rnd.id, Application.eligible.is_(True))
        .order_by(Application.reference, Application.id)).all()
    pairs = sorted(pairs, key=lambda p: (str(p[1]), order.get(int(p[0]), 0)))
    loads = member_loads(rnd)
    view = overview(rnd, listed=10**9)
    return {
        "assignments": [{"member": names[int(m)], "application": str(ref)}
                        for m, ref in pairs if int(m) in names],
        "loads": {names[int(m)]: loads.get(int(m), 0) for m, *_rest in members},
        "short": [ref for ref, _n in view.short],
    }


def record_section(rnd: Round, pseudonym: Mapping[int, str],
                   applications: list[Application]) -> dict[str, Any] | None:
    """The record's optional ``assignment`` section (docs/record-format.md), or ``None``
    when the round does not share reading out: ``{"readers": k, "applications": [{"id":
    reference, "members": [pseudonyms in panel order]}]}``, one entry per application of
    the record, in its order. A member with a conflict on an application is never listed as
    its reader (the conflict wins)."""
    if rnd.readers_per_application is None:
        return None
    conflicted = {(int(m), int(a)) for m, a in db.session.execute(
        select(Conflict.membership_id, Conflict.application_id)
        .join(Application, Application.id == Conflict.application_id)
        .where(Application.round_id == rnd.id))}
    position = {m: i for i, m in enumerate(pseudonym)}
    readers: dict[int, list[int]] = {}
    for m, a, _s in _rows(rnd):
        if m in position and (m, a) not in conflicted:
            readers.setdefault(a, []).append(m)
    return {
        "readers": int(rnd.readers_per_application),
        "applications": [
            {"id": a.reference,
             "members": [pseudonym[m] for m in sorted(readers.get(a.id, []),
                                                      key=position.__getitem__)]}
            for a in applications
        ],
    }
