"""Row locks that mean the same on PostgreSQL and SQLite, for writes that change a count.

:func:`lock_one` reads one row *fresh* and holds it until the transaction ends (the view's
commit or rollback):

- **PostgreSQL**: ``SELECT ... FOR UPDATE`` (or ``FOR SHARE`` with ``shared=True``). Another
  transaction asking for a conflicting lock on the same row waits until this one ends, then
  reads the row as committed. ``FOR SHARE`` holders do not wait for each other, only for a
  ``FOR UPDATE``: many score sheets can be saved at once, while closing scoring waits for
  them (and they for it).
- **SQLite** has no row locks: one writer at a time holds the whole database. So there a
  lock is taken by a write that changes nothing (``UPDATE t SET id = id WHERE ...``), which
  takes the database's write lock for the rest of the transaction; everything read after it
  is what is committed, and no other writer can come in between. (Shared and exclusive are
  the same on SQLite.)

Either way the row is read with ``populate_existing``, so values the session loaded before
the lock are replaced by what is committed now. Take locks in one order: the round, then its
rows (a score sheet, the record chain), so two transactions never wait for each other.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select, update

from grantpanel.extensions import db

M = TypeVar("M")


def is_sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def lock_one(model: type[M], *where: ColumnElement[bool], shared: bool = False) -> M | None:
    """The one ``model`` row matching ``where``, read fresh and locked (``None`` if none)."""
    if is_sqlite():
        table: Any = getattr(model, "__table__")  # noqa: B009
        db.session.execute(update(table).where(*where).values(id=table.c.id))
    return db.session.scalar(
        select(model)
        .where(*where)
        .with_for_update(read=shared)
        .execution_options(populate_existing=True)
    )
