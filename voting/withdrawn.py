"""The optional ``withdrawn`` section of a schema-3 decision record: applications pulled out.

An applicant may withdraw before the decision is confirmed.  A withdrawn application is not
counted and cannot be funded, so it is left out of ``applications`` (and so of every sheet,
conflict, ballot, consent and assignment entry, which may only name the record's
applications); the record lists it here instead, with the published reason
(docs/record-format.md, "Withdrawn applications")::

    "withdrawn": [{"application": "A-007", "reason": "The group found other funding."}]

A record without the section means what it always meant: no application was withdrawn.  The
section is present only when it has at least one entry, so records of rounds without a
withdrawal are byte for byte as before.  It never changes an output; it adds these validity
rules, checked by :func:`check_withdrawn` (``verify`` names the field of the first one
broken):

1. ``withdrawn`` is a list of at least one entry.
2. Each entry is an object with exactly ``application`` and ``reason``.
3. ``application`` is a non-empty text reference; the entries are sorted by it, strictly
   (each application at most once).
4. No withdrawn application is also one of the record's ``applications``: it was not counted.
5. ``reason`` is non-empty text (not only spaces) of at most :data:`REASON_MAX_LENGTH`
   characters, with no control characters other than line breaks and tabs.

Public API: :data:`WITHDRAWN_KEY`, :data:`REASON_MAX_LENGTH`, :func:`check_withdrawn`,
:func:`describe_withdrawn`.

>>> check_withdrawn({"applications": [{"id": "A-001"}],
...                  "withdrawn": [{"application": "A-001", "reason": "Pulled out"}]})
Traceback (most recent call last):
    ...
voting.panel.InputError: withdrawn[0].application: 'A-001' is withdrawn, so it must not also be in applications (it was not counted)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from voting.panel import InputError

__all__ = ["REASON_MAX_LENGTH", "WITHDRAWN_KEY", "check_withdrawn", "describe_withdrawn"]

#: The record's optional top-level key.
WITHDRAWN_KEY = "withdrawn"
#: The longest published reason for a withdrawal.
REASON_MAX_LENGTH = 1000
_ENTRY_KEYS = ("application", "reason")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_withdrawn(record: Mapping[str, Any]) -> None:
    """Check the record's ``withdrawn`` section by rules 1 to 5 of the module docstring.

    ``record`` holds at least ``applications`` and ``withdrawn``.  Raises
    :class:`~voting.panel.InputError` naming the field of the first broken rule."""
    entries = record[WITHDRAWN_KEY]
    if not isinstance(entries, list) or not entries:
        raise InputError(WITHDRAWN_KEY, "must be a list of at least one withdrawn application "
                                        "(a record with none leaves the section out)")
    counted = {a.get("id") for a in record["applications"] if isinstance(a, Mapping)}
    before: str | None = None
    for i, entry in enumerate(entries):
        where = f"{WITHDRAWN_KEY}[{i}]"
        if not isinstance(entry, Mapping):
            raise InputError(where, "must be an object with exactly application and reason")
        for key in _ENTRY_KEYS:
            if key not in entry:
                raise InputError(f"{where}.{key}", "is required but missing")
        for key in entry:
            if key not in _ENTRY_KEYS:
                raise InputError(f"{where}.{key}", "is not part of a withdrawal (allowed: "
                                                   "application, reason)")
        app_id, reason = entry["application"], entry["reason"]
        if not isinstance(app_id, str) or not app_id:
            raise InputError(f"{where}.application", "must be an application reference (text)")
        if before is not None and not before < app_id:
            how = "twice" if before == app_id else f"after {before!r}"
            raise InputError(f"{where}.application",
                             f"withdrawn must be sorted by application, each once: {app_id!r} "
                             f"comes {how}")
        before = app_id
        if app_id in counted:
            raise InputError(f"{where}.application",
                             f"{app_id!r} is withdrawn, so it must not also be in applications "
                             "(it was not counted)")
        if not isinstance(reason, str) or not reason.strip():
            raise InputError(f"{where}.reason", "must be the published reason (non-empty text)")
        if len(reason) > REASON_MAX_LENGTH:
            raise InputError(f"{where}.reason", f"must be at most {REASON_MAX_LENGTH} "
                                                f"characters, not {len(reason)}")
        if _CONTROL_RE.search(reason):
            raise InputError(f"{where}.reason", "must not hold control characters")


def describe_withdrawn(record: Mapping[str, Any]) -> str:
    """One plain-English line for ``verify`` about a checked ``withdrawn`` section."""
    n = len(record[WITHDRAWN_KEY])
    which = "application was" if n == 1 else "applications were"
    return (f"{n} {which} withdrawn before the decision, each with its published reason, and "
            "none of them was counted")
