"""The optional ``assignment`` section of a schema-3 decision record: who read what.

A round that shares reading out asks each application's ``readers`` panel members to read
and score it, rather than the whole panel.  Its record carries the assignment by pseudonym
(docs/record-format.md, "Shared-out reading"), so anyone can check that every score that
counted came from a member who was asked to read that application::

    "assignment": {"readers": 2,
                   "applications": [{"id": "A-001", "members": ["Panel member 1",
                                                                "Panel member 3"]},
                                    {"id": "A-002", "members": ["Panel member 2"]}]}

A record without the section means what it always meant: every member could read every
application.  The section never changes an output; it adds these validity rules, checked by
:func:`check_assignment` (``verify`` names the field of the first one broken):

1. ``assignment`` is an object with exactly ``readers`` and ``applications``.
2. ``readers`` is a whole number, at least 1 and at least ``rules.quorum``.
3. ``applications`` has one entry per application of the record, in the same order (sorted
   by id); each entry has exactly ``id`` (that application's id) and ``members``.
4. ``members`` lists pseudonyms of ``panel``, in panel order, each at most once (it may be
   empty, or longer than ``readers``: staff may add a reader by hand).
5. No member is listed for an application they have a conflict on.
6. Every sheet that counts -- a sheet in ``sheets``, at any stage, whose member has no
   conflict on its application -- is by a member listed for its application.

Public API: :data:`ASSIGNMENT_KEY`, :func:`check_assignment`, :func:`describe_assignment`.

>>> record = {"rules": {"quorum": 1}, "panel": ["Panel member 1", "Panel member 2"],
...           "applications": [{"id": "A-001"}], "conflicts": [],
...           "sheets": [{"member": "Panel member 2", "application": "A-001"}],
...           "assignment": {"readers": 1, "applications": [
...               {"id": "A-001", "members": ["Panel member 1"]}]}}
>>> check_assignment(record)
Traceback (most recent call last):
    ...
voting.panel.InputError: sheets[0].member: 'Panel member 2' scored A-001 but was not assigned it (assignment.applications[0].members)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voting.panel import InputError

__all__ = ["ASSIGNMENT_KEY", "check_assignment", "describe_assignment"]

#: The record's optional top-level key.
ASSIGNMENT_KEY = "assignment"
_KEYS = ("readers", "applications")
_ENTRY_KEYS = ("id", "members")


def _exact(obj: Any, path: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(obj, Mapping):
        raise InputError(path, f"must be an object with exactly {', '.join(keys)}")
    for key in keys:
        if key not in obj:
            raise InputError(f"{path}.{key}", "is required but missing")
    for key in obj:
        if key not in keys:
            raise InputError(f"{path}.{key}", f"is not part of the assignment (allowed: "
                                              f"{', '.join(keys)})")
    return obj


def check_assignment(record: Mapping[str, Any]) -> None:
    """Check the record's ``assignment`` section by rules 1 to 6 of the module docstring.

    ``record`` holds at least ``rules``, ``panel``, ``applications``, ``sheets``,
    ``conflicts`` and ``assignment`` (their own shapes checked already, by the recount).
    Raises :class:`~voting.panel.InputError` naming the field of the first broken rule."""
    section = _exact(record[ASSIGNMENT_KEY], ASSIGNMENT_KEY, _KEYS)
    readers = section["readers"]
    if isinstance(readers, bool) or not isinstance(readers, int) or readers < 1:
        raise InputError(f"{ASSIGNMENT_KEY}.readers", "must be a whole number of at least 1")
    quorum = record["rules"]["quorum"]
    if readers < quorum:
        raise InputError(f"{ASSIGNMENT_KEY}.readers",
                         f"is {readers}, fewer than the quorum ({quorum}): an application "
                         "cannot get more scores than it has readers")
    entries = section["applications"]
    path = f"{ASSIGNMENT_KEY}.applications"
    if not isinstance(entries, list):
        raise InputError(path, "must be a list")
    ids = [a["id"] for a in record["applications"]]
    if len(entries) != len(ids):
        raise InputError(path, f"has {len(entries)} entries; the record has {len(ids)} "
                               "applications and needs one entry for each, in their order")
    position = {m: i for i, m in enumerate(record["panel"])}
    conflicted = {(c["member"], c["application"]) for c in record["conflicts"]}
    assigned: dict[str, tuple[int, set[str]]] = {}
    for i, (entry, app_id) in enumerate(zip(entries, ids, strict=True)):
        where = f"{path}[{i}]"
        entry = _exact(entry, where, _ENTRY_KEYS)
        if entry["id"] != app_id:
            raise InputError(f"{where}.id", f"must be {app_id!r}, the id of application "
                                            f"{i + 1} of the record, not {entry['id']!r}")
        members = entry["members"]
        if not isinstance(members, list):
            raise InputError(f"{where}.members", "must be a list of panel pseudonyms")
        before = -1
        for j, member in enumerate(members):
            at = f"{where}.members[{j}]"
            if not isinstance(member, str) or member not in position:
                raise InputError(at, f"{member!r} is not a member of the panel")
            if position[member] <= before:
                raise InputError(at, "members must be listed in panel order, each once")
            before = position[member]
            if (member, app_id) in conflicted:
                raise InputError(at, f"{member!r} has a conflict on {app_id} and cannot be "
                                     "assigned it")
        assigned[app_id] = (i, set(members))
    for i, sheet in enumerate(record["sheets"]):
        member, app_id = sheet["member"], sheet["application"]
        if (member, app_id) in conflicted:
            continue  # withdrawn by the conflict: it does not count
        entry_index, members = assigned[app_id]
        if member not in members:
            raise InputError(f"sheets[{i}].member",
                             f"{member!r} scored {app_id} but was not assigned it "
                             f"({path}[{entry_index}].members)")


def describe_assignment(record: Mapping[str, Any]) -> str:
    """One plain line for the verify report about a checked ``assignment`` section."""
    section = record[ASSIGNMENT_KEY]
    entries = section["applications"]
    pairs = sum(len(e["members"]) for e in entries)
    short = sum(1 for e, a in zip(entries, record["applications"], strict=True)
                if a["eligible"] and len(e["members"]) < section["readers"])
    return (f"assignment: {section['readers']} readers per application, {pairs} "
            f"{'assignment' if pairs == 1 else 'assignments'}, {short} eligible "
            f"{'application' if short == 1 else 'applications'} with fewer readers; every "
            "counted sheet is by a member assigned its application")
