"""The one place a round changes state: lock the round, check the lifecycle table, move, log it.

Every step is atomic and single. :func:`lock` takes the round row for the rest of the
transaction (``FOR UPDATE``; see :mod:`grantpanel.services.locks`) and reads its state fresh,
so two requests for the same step (a double click, two colleagues) run one after the other:
the second finds the round already moved and gets :class:`lifecycle.AlreadyDoneError` with a
plain message. Saving a score sheet takes the same row ``FOR SHARE``, so closing scoring waits
for sheets being saved, and a sheet saved after the close sees the round closed. As a backstop
:func:`move` changes the state by compare-and-set (``UPDATE round SET state = target WHERE
state = source``) and refuses if no row matched.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm.attributes import set_committed_value

from grantpanel import lifecycle
from grantpanel.extensions import db
from grantpanel.models import Round, User
from grantpanel.services import audit, locks


def lock(rnd: Round) -> Round:
    """Lock ``rnd``'s row until the transaction ends and refresh it from the database.

    Pending changes to ``rnd`` are flushed first (autoflush), so they are kept.
    """
    locks.lock_one(Round, Round.id == rnd.id)
    return rnd


def begin(rnd: Round, name: str) -> lifecycle.Transition:
    """Lock ``rnd`` and return step ``name`` if it is allowed from the round's state now.

    Raises :class:`lifecycle.AlreadyDoneError` if the step was already taken, and
    :class:`lifecycle.TransitionError` if it is not allowed.
    """
    lock(rnd)
    return lifecycle.check(rnd.state, name)


def move(rnd: Round, name: str, actor: User | None, **detail: Any) -> lifecycle.Transition:
    """Apply transition ``name`` to ``rnd`` (raises lifecycle.TransitionError) and audit it."""
    t = begin(rnd, name)
    result = cast(
        CursorResult[Any],
        db.session.execute(
            update(Round)
            .where(Round.id == rnd.id, Round.state == t.source)
            .values(state=t.target)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        raise lifecycle.AlreadyDoneError(t.done_text)
    set_committed_value(rnd, "state", t.target)
    audit.record(
        f"round.{t.name}", actor=actor, round_id=rnd.id, source=t.source, target=t.target, **detail
    )
    return t
