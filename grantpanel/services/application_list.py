"""The staff list of a round's applications: search, filters, sort and pages, all in SQL.

A round may hold 10,000 applications, so the list never loads them all: one ``COUNT`` of the
filtered rows, one ``SELECT`` of a page of :data:`PAGE_SIZE` (sorted by an indexed column,
with the reference as tie-break so pages never overlap), and one query for that page's tags.
The sums the page shows are one ``SUM ... GROUP BY``-free aggregate.

The query comes from the address (a GET form), so every value is read leniently by
:meth:`ListQuery.from_args`: anything unknown falls back to its default, never an error.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select

from grantpanel.extensions import db
from grantpanel.i18n import _l
from grantpanel.models import Application, ApplicationTag, Tag

PAGE_SIZE = 50
MAX_SEARCH = 100


class Sort(enum.StrEnum):
    """How the list is ordered, with the words the form shows."""

    REFERENCE = "reference"
    TITLE = "title"
    AMOUNT_HIGH = "amount-high"
    AMOUNT_LOW = "amount-low"
    NEWEST = "newest"

    @property
    def label(self) -> str:
        return str(_SORT_LABELS[self])


_SORT_LABELS = {
    Sort.REFERENCE: _l("Reference"),
    Sort.TITLE: _l("Title, A to Z"),
    Sort.AMOUNT_HIGH: _l("Amount, largest first"),
    Sort.AMOUNT_LOW: _l("Amount, smallest first"),
    Sort.NEWEST: _l("Newest first"),
}


class Choice(enum.StrEnum):
    """A yes/no filter that can also be off (``any``)."""

    ANY = ""
    YES = "yes"
    NO = "no"


@dataclass(frozen=True)
class ListQuery:
    """What staff asked to see. ``tag`` is a tag id of the round, or ``None`` for any."""

    search: str = ""
    eligible: Choice = Choice.ANY
    withdrawn: Choice = Choice.ANY
    tag: int | None = None
    sort: Sort = Sort.REFERENCE
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ListQuery:
        """Read the query string leniently: unknown values become the defaults."""
        def choice(name: str) -> Choice:
            try:
                return Choice(args.get(name, ""))
            except ValueError:
                return Choice.ANY

        try:
            sort = Sort(args.get("sort", Sort.REFERENCE.value))
        except ValueError:
            sort = Sort.REFERENCE
        tag_text = args.get("tag", "")
        tag = int(tag_text) if tag_text.isdecimal() and len(tag_text) < 10 else None
        page_text = args.get("page", "1")
        page = int(page_text) if page_text.isdecimal() and len(page_text) < 7 else 1
        search = " ".join(args.get("q", "").replace("\x00", "").split())[:MAX_SEARCH]
        return cls(search=search, eligible=choice("eligible"), withdrawn=choice("withdrawn"),
                   tag=tag, sort=sort, page=max(1, page))

    @property
    def filtered(self) -> bool:
        return bool(self.search or self.eligible or self.withdrawn or self.tag is not None)

    def args(self) -> dict[str, Any]:
        """The query as address arguments (defaults left out), for links to other pages."""
        out: dict[str, Any] = {}
        if self.search:
            out["q"] = self.search
        if self.eligible:
            out["eligible"] = self.eligible.value
        if self.withdrawn:
            out["withdrawn"] = self.withdrawn.value
        if self.tag is not None:
            out["tag"] = self.tag
        if self.sort is not Sort.REFERENCE:
            out["sort"] = self.sort.value
        return out


@dataclass(frozen=True)
class ListPage:
    """One page of the list (for ``macros/pager.html``), with the tags of its rows."""

    rows: list[Application]
    tags: dict[int, list[str]]  # application id -> tag names
    page: int
    pages: int
    total: int  # rows matching the query
    round_total: int  # rows in the round


def _like(text: str) -> str:
    """``text`` as a LIKE pattern matching it anywhere, with LIKE's wildcards escaped."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(round_id: int, q: ListQuery) -> list[ColumnElement[bool]]:
    cond: list[ColumnElement[bool]] = [Application.round_id == round_id]
    if q.search:
        pattern = _like(q.search)
        cond.append(or_(*(func.lower(col).like(pattern, escape="\\") for col in
                          (Application.reference, Application.title,
                           Application.applicant_name))))
    if q.eligible:
        cond.append(Application.eligible.is_(q.eligible is Choice.YES))
    if q.withdrawn is Choice.YES:
        cond.append(Application.withdrawn_at.is_not(None))
    elif q.withdrawn is Choice.NO:
        cond.append(Application.withdrawn_at.is_(None))
    if q.tag is not None:
        cond.append(exists().where(and_(ApplicationTag.application_id == Application.id,
                                        ApplicationTag.tag_id == q.tag)))
    return cond


def _ordered(stmt: Select[Application], sort: Sort) -> Select[Application]:
    order = {
        Sort.REFERENCE: (Application.reference,),
        Sort.TITLE: (Application.title, Application.reference),
        Sort.AMOUNT_HIGH: (Application.amount.desc(), Application.reference),
        Sort.AMOUNT_LOW: (Application.amount, Application.reference),
        Sort.NEWEST: (Application.created_at.desc(), Application.id.desc()),
    }[sort]
    return stmt.order_by(*order)


def list_page(round_id: int, q: ListQuery, *, per_page: int = PAGE_SIZE) -> ListPage:
    """Page ``q.page`` (clamped to the pages there are) of the round's applications that match
    ``q``: three queries, whatever the size of the round."""
    cond = _conditions(round_id, q)
    total = db.session.scalar(select(func.count(Application.id)).where(*cond)) or 0
    round_total = total if not q.filtered else db.session.scalar(
        select(func.count(Application.id)).where(Application.round_id == round_id)) or 0
    pages = max(1, -(-total // per_page))
    page = min(q.page, pages)
    rows = list(db.session.scalars(
        _ordered(select(Application).where(*cond), q.sort)
        .offset((page - 1) * per_page).limit(per_page)
    ))
    tags: dict[int, list[str]] = {}
    if rows:
        for app_id, name in db.session.execute(
            select(ApplicationTag.application_id, Tag.name)
            .join(Tag, Tag.id == ApplicationTag.tag_id)
            .where(ApplicationTag.application_id.in_([a.id for a in rows]))
            .order_by(func.lower(Tag.name))
        ):
            tags.setdefault(int(app_id), []).append(str(name))
    return ListPage(rows=rows, tags=tags, page=page, pages=pages, total=total,
                    round_total=round_total)


def eligible_total(round_id: int) -> int:
    """What the round's eligible, not withdrawn applications ask for in all: one ``SUM``."""
    return int(db.session.scalar(
        select(func.coalesce(func.sum(Application.amount), 0)).where(
            Application.round_id == round_id, Application.eligible.is_(True),
            Application.withdrawn_at.is_(None))) or 0)
