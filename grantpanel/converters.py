"""URL converters. Registered in ``create_app`` before any route, so every ``<int:...>`` in every
blueprint uses :class:`IdConverter`.

An id in a URL is a database primary key: a positive whole number that fits the database's
INTEGER column. Anything else is not the address of a page, so routing answers a plain 404
before any view runs: ``/staff/rounds/99999999999999999999`` (would overflow the database),
``/staff/rounds/007`` (a second spelling of round 7), ``/staff/rounds/\u0663`` (an Arabic-Indic
digit, which Werkzeug's own ``int`` converter accepts because ``\\d`` matches it) and
``/staff/rounds/0``.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

ID_MAX = 2**31 - 1  # the largest value of an INTEGER primary key (PostgreSQL, SQLite alike)


class IdConverter(IntegerConverter):
    """``1`` to ``2**31 - 1``, in ASCII digits, without leading zeros."""

    regex = r"[1-9][0-9]{0,9}"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)
