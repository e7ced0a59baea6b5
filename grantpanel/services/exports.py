"""Exports for staff: a round's tables as CSV or XLSX, and its funded grants as 360Giving data.

A *table* (:class:`Table`) is a header and rows of plain Python values (text, whole numbers,
:class:`~decimal.Decimal` money in major units, naive UTC datetimes, ``None`` for empty),
built by one function per export and listed once in :data:`EXPORTS`:

- ``applications``: every application in the round (private details included);
- ``scores``: one row per score sheet and criterion (points, or "don't know");
- ``notes``: the notes to the panel and strong objections (staff only);
- ``feedback``: each application's feedback for the applicant, one column per submitted sheet;
- ``ranking``: the ranked list with the decision, read from the published record, or from the
  confirmed decision before publication; not ready while the count is unconfirmed.

Rows are read from the database in chunks of :data:`CHUNK` (``yield_per``; a server-side cursor
on PostgreSQL) and yielded one at a time, so a round of 10,000 applications is never loaded at
once. :func:`csv_chunks` streams a table as UTF-8 CSV with a byte-order mark (so Excel reads
the accents); :func:`write_xlsx` writes tables to an XLSX file with openpyxl's write-only mode
(one sheet per table, bold header, frozen top row, set column widths).

Both formats neutralise formula-like text (:func:`safe_text`, OWASP "CSV injection"): text
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a single quote in
front, so a spreadsheet shows it as text instead of running it. Numbers stay numbers (``-3``
points is a number, not text).

**360Giving** (:func:`giving_package`, :func:`giving_table`): the funded grants of a published
round in the 360Giving Data Standard, as a JSON package (``{"grants": [...]}``) and as the
standard's flat CSV columns ("Identifier", "Amount Awarded", "Recipient Org:Name", ...). The
grants, amounts and award date come from the published decision record; the recipients' names
from the applications. Identifiers (settings in ``config.py``):

- grant: ``<GRANT_ID_PREFIX>-<round id>-<reference>``, e.g. ``360G-example-7-A-001``;
- recipient organisation: ``<GRANT_ID_PREFIX>-applicant-<round id>-<reference>``. Applicants
  have no charity or company number here, so this is 360Giving's form for an organisation
  without one (your prefix and your own identifier). The round id is in both because a
  reference is only unique within its round;
- funding organisation: ``FUNDING_ORG_ID`` and ``FUNDING_ORG_NAME``.

Nothing here commits or touches the request; the view records the download in the audit log.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from flask import current_app
from flask_babel import LazyString
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import and_, func, or_, select

from grantpanel.extensions import db
from grantpanel.i18n import _, _l
from grantpanel.models import (
    Application,
    Membership,
    PublishedRecord,
    Round,
    ScoreSheet,
    User,
    as_utc,
)
from grantpanel.services import counting, publication
from grantpanel.vocabulary import ResultStatus, SheetStatus
from voting.record import apply_overrides

__all__ = [
    "CHUNK",
    "EXPORTS",
    "FORMATS",
    "GIVING_COLUMNS",
    "GIVING_VERSION",
    "Column",
    "Export",
    "GivingSettings",
    "Table",
    "csv_chunks",
    "download_name",
    "giving_grants",
    "giving_json",
    "giving_package",
    "giving_problem",
    "giving_settings",
    "giving_table",
    "safe_text",
    "write_xlsx",
]

CHUNK = 500  # rows fetched from the database at a time
FORMATS = ("csv", "xlsx")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"

Cell = str | int | Decimal | dt.datetime | None

# --- safe cells ------------------------------------------------------------------------------

# OWASP "CSV injection": a cell starting with one of these is read as a formula by spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_TEXT = 32_767  # Excel's limit on one cell's text


def safe_text(value: str) -> str:
    """``value`` with a single quote in front if a spreadsheet would read it as a formula.

    >>> safe_text('=HYPERLINK("http://x")')
    '\\'=HYPERLINK("http://x")'
    >>> safe_text("Warm hub")
    'Warm hub'
    """
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _csv_value(value: Cell) -> str | int | Decimal:
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value


def _xlsx_text(value: str) -> str:
    text = safe_text(ILLEGAL_CHARACTERS_RE.sub("", value))
    return text[:XLSX_MAX_TEXT]


# --- tables ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column: its heading, its width in characters (XLSX) and the number format of its
    cells ("" for text, plain numbers and times; ``MONEY`` for money)."""

    title: str
    width: int = 14
    number_format: str = ""


MONEY = "#,##0.00"


@dataclass(frozen=True)
class Table:
    """A header and rows of plain values; ``rows`` may be a generator (read it once)."""

    key: str
    title: str  # the sheet's name
    columns: list[Column]
    rows: Iterable[Sequence[Cell]]

    @property
    def header(self) -> list[str]:
        return [c.title for c in self.columns]


def _money(minor: int | None) -> Decimal | None:
    """Integer minor units as a number in major units (pence to pounds), two decimals."""
    if minor is None:
        return None
    return (Decimal(int(minor)) / 100).quantize(Decimal("0.01"))


def _number(text: Any) -> Decimal | None:
    """A record's decimal text (``"12.40"``) as a number; ``None`` stays empty."""
    if text is None:
        return None
    try:
        return Decimal(str(text))
    except InvalidOperation:
        return None


def _when(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored time as a naive UTC datetime (spreadsheets have no time zones)."""
    if moment is None:
        return None
    return as_utc(moment).replace(tzinfo=None, microsecond=0)


def _stream(stmt: Any) -> Iterator[Any]:
    """Rows of ``stmt``, fetched :data:`CHUNK` at a time (server-side on PostgreSQL)."""
    yield from db.session.execute(stmt.execution_options(yield_per=CHUNK))


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _currency(rnd: Round) -> str:
    return rnd.currency or "GBP"


def applications_table(rnd: Round) -> Table:
    """Every application in the round, by reference, with its private details."""
    cur = _currency(rnd)
    columns = [
        Column(_("Reference"), 12),
        Column(_("Title"), 40),
        Column(_("Summary"), 60),
        Column(_("Applicant"), 30),
        Column(_("Contact email"), 30),
        Column(_("Amount asked (%(currency)s)", currency=cur), 16, MONEY),
        Column(_("Eligible"), 10),
        Column(_("Eligibility reason"), 40),
        Column(_("Answers"), 60),
        Column(_("Added (UTC)"), 18),
    ]
    yes, no = _("Yes"), _("No")
    stmt = (
        select(Application.reference, Application.title, Application.summary,
               Application.applicant_name, Application.contact_email, Application.amount,
               Application.eligible, Application.eligibility_reason, Application.answers,
               Application.created_at)
        .where(Application.round_id == rnd.id)
        .order_by(Application.reference)
    )

    def rows() -> Iterator[list[Cell]]:
        for r in _stream(stmt):
            yield [r.reference, r.title, r.summary, r.applicant_name, r.contact_email or "",
                   _money(r.amount), yes if r.eligible else no, r.eligibility_reason or "",
                   r.answers or "", _when(r.created_at)]

    return Table("applications", _("Applications"), columns, rows())


def _sheets(rnd: Round, *columns: Any) -> Any:
    """``select`` of score-sheet columns with the application and member, in a stable order."""
    return (
        select(Application.reference, Application.title, Membership.number, User.name,
               ScoreSheet.stage, ScoreSheet.status, *columns)
        .select_from(ScoreSheet)
        .join(Application, Application.id == ScoreSheet.application_id)
        .join(Membership, Membership.id == ScoreSheet.membership_id)
        .join(User, User.id == Membership.user_id)
        .where(Application.round_id == rnd.id)
        .order_by(Application.reference, Membership.number, ScoreSheet.stage)
    )


def _status_label(status: str) -> str:
    known = SheetStatus.get(status)
    return known.label if known is not None else str(status)


def _sheet_columns() -> list[Column]:
    """The columns that say which score sheet a row is about (scores and notes tables)."""
    return [
        Column(_("Reference"), 12),
        Column(_("Title"), 40),
        Column(_("Panel member number"), 12),
        Column(_("Panel member name"), 26),
        Column(_("Stage"), 8),
    ]


def scores_table(rnd: Round) -> Table:
    """One row per score sheet and criterion: points, "don't know", or empty (not answered)."""
    columns = [
        *_sheet_columns(),
        Column(_("Criterion"), 30),
        Column(_("Points"), 12),
        Column(_("Score sheet"), 16),
        Column(_("Submitted (UTC)"), 18),
    ]
    criteria = sorted(rnd.criteria, key=lambda c: c.position)
    dont_know = _("don't know")
    stmt = _sheets(rnd, ScoreSheet.scores, ScoreSheet.submitted_at)

    def rows() -> Iterator[list[Cell]]:
        for r in _stream(stmt):
            scores = r.scores or {}
            state = _status_label(r.status)
            for c in criteria:
                if c.key not in scores:
                    points: Cell = None  # not answered (a draft)
                elif scores[c.key] is None:
                    points = dont_know
                else:
                    points = int(scores[c.key])
                yield [r.reference, r.title, r.number, r.name, r.stage, c.name, points, state,
                       _when(r.submitted_at)]

    return Table("scores", _("Scores"), columns, rows())


def notes_table(rnd: Round) -> Table:
    """The notes to the panel and strong objections, one row per score sheet that has one."""
    columns = [
        *_sheet_columns(),
        Column(_("Score sheet"), 16),
        Column(_("Note to the panel"), 60),
        Column(_("Strong objection"), 12),
        Column(_("Reason for the objection"), 50),
    ]
    yes, no = _("Yes"), _("No")
    stmt = _sheets(rnd, ScoreSheet.panel_note, ScoreSheet.objection,
                   ScoreSheet.objection_reason).where(
        or_(ScoreSheet.panel_note != "", ScoreSheet.objection.is_(True))
    )

    def rows() -> Iterator[list[Cell]]:
        for r in _stream(stmt):
            yield [r.reference, r.title, r.number, r.name, r.stage, _status_label(r.status),
                   r.panel_note or "", yes if r.objection else no, r.objection_reason or ""]

    return Table("notes", _("Notes to the panel"), columns, rows())


def _has_feedback() -> Any:
    return and_(ScoreSheet.status == SheetStatus.SUBMITTED, ScoreSheet.feedback != "")


def feedback_table(rnd: Round) -> Table:
    """One row per application with feedback: the applicant, their email, then each submitted
    sheet's feedback in its own column (no member names or numbers)."""
    per_application = (
        select(func.count(ScoreSheet.id).label("n"))
        .join(Application, Application.id == ScoreSheet.application_id)
        .where(Application.round_id == rnd.id, _has_feedback())
        .group_by(ScoreSheet.application_id)
        .subquery()
    )
    widest = db.session.scalar(select(func.max(per_application.c.n))) or 0
    columns = [
        Column(_("Reference"), 12),
        Column(_("Title"), 40),
        Column(_("Applicant"), 30),
        Column(_("Contact email"), 30),
        *[Column(_("Feedback %(num)d", num=i), 60) for i in range(1, widest + 1)],
    ]
    stmt = (
        select(Application.reference, Application.title, Application.applicant_name,
               Application.contact_email, ScoreSheet.feedback)
        .select_from(ScoreSheet)
        .join(Application, Application.id == ScoreSheet.application_id)
        .join(Membership, Membership.id == ScoreSheet.membership_id)
        .where(Application.round_id == rnd.id, _has_feedback())
        .order_by(Application.reference, ScoreSheet.stage, Membership.number)
    )

    def rows() -> Iterator[list[Cell]]:
        row: list[Cell] = []
        reference = None
        for r in _stream(stmt):
            if r.reference != reference:
                if row:
                    yield row + [None] * (len(columns) - len(row))
                reference = r.reference
                row = [r.reference, r.title, r.applicant_name, r.contact_email or ""]
            row.append(r.feedback)
        if row:
            yield row + [None] * (len(columns) - len(row))

    return Table("feedback", _("Feedback for applicants"), columns, rows())


@dataclass(frozen=True)
class DecisionSource:
    """Where a round's ranked list comes from: the published record or the confirmed count."""

    inputs: dict[str, Any]
    outputs: dict[str, Any]
    decision: dict[str, Any]  # the record's ``decision`` section (after overrides)
    published: PublishedRecord | None


def decision_source(rnd: Round) -> DecisionSource | None:
    """The published record's count and decision, else the confirmed decision's, else None."""
    if rnd.lifecycle.published:
        pr = publication.published_record(rnd.id)
        if pr is not None:
            record = publication.load_record(pr)
            return DecisionSource(record, record.get("outputs", {}), record.get("decision", {}),
                                  pr)
    if rnd.lifecycle.decided:
        d = counting.current_decision(rnd)
        if d is not None:
            inputs, outputs = d.count["inputs"], d.count["outputs"]
            decision = apply_overrides(outputs, list(d.overrides), inputs["applications"])
            return DecisionSource(inputs, outputs, decision, None)
    return None


def _applicants(rnd: Round, references: Iterable[str]) -> dict[str, str]:
    """Applicant names for these references (looked up in chunks)."""
    refs = list(references)
    out: dict[str, str] = {}
    for chunk in _chunks(refs, 1000):
        rows = db.session.execute(
            select(Application.reference, Application.applicant_name)
            .where(Application.round_id == rnd.id, Application.reference.in_(chunk))
        )
        out.update((r.reference, r.applicant_name) for r in rows)
    return out


def ranking_table(rnd: Round) -> Table:
    """The ranked list with the decision (rank order, then the unranked)."""
    source = decision_source(rnd)
    if source is None:  # the page offers it only once the decision is confirmed
        raise LookupError(_("The count has not been confirmed yet."))
    cur = str(source.inputs.get("round", {}).get("currency") or _currency(rnd))
    columns = [
        Column(_("Rank"), 8),
        Column(_("Reference"), 12),
        Column(_("Title"), 40),
        Column(_("Applicant"), 30),
        Column(_("Amount asked (%(currency)s)", currency=cur), 16, MONEY),
        Column(_("Result"), 10),
        Column(_("Number of scores"), 10),
        Column(_("Status"), 24),
        Column(_("Amount funded (%(currency)s)", currency=cur), 16, MONEY),
        Column(_("Changed by staff"), 18),
        Column(_("Reason for the change"), 50),
    ]
    ranked = counting.ranked_rows(source.inputs, source.outputs)
    funded = {f["application"]: int(f["amount"]) for f in source.decision.get("funded", [])}
    overrides = {o["application"]: o for o in source.decision.get("overrides", [])}
    changed = {"fund": _("Yes: funded"), "unfund": _("Yes: not funded")}
    no = _("No")

    def rows() -> Iterator[list[Cell]]:
        for chunk in _chunks(ranked, 1000):
            names = _applicants(rnd, (r["id"] for r in chunk))
            for r in chunk:
                status = ResultStatus.get(r.get("status"))
                o = overrides.get(r["id"])
                yield [r.get("rank"), r["id"], r["title"], names.get(r["id"], ""),
                       _money(r["amount"]), _number(r.get("aggregate")),
                       int(r.get("n_scores", 0)),
                       status.staff_label if status is not None else str(r.get("status", "")),
                       _money(funded.get(r["id"])),
                       changed.get(o["action"], no) if o else no,
                       o["reason"] if o else ""]

    return Table("ranking", _("Ranked list and decision"), columns, rows())


def _payments_problem(rnd: Round) -> str | None:
    from grantpanel.services import care_pay

    return care_pay.payments_problem(rnd)


def payments_table(rnd: Round) -> Table:
    """What to pay each panel member (approved time and costs only), for finance: one row per
    member with anything to be paid. Access needs and what members wrote are left out."""
    from grantpanel.services import care_pay  # here: care_pay is not needed by other tables
    from grantpanel.vocabulary import ExpenseCategory

    columns = [
        Column(_("Panel member number"), 12),
        Column(_("Name"), 26),
        Column(_("Email"), 30),
        Column(_("Hours approved"), 12),
        Column(_("Pay for time (GBP)"), 16, MONEY),
        *[Column(_("%(category)s (GBP)", category=c.label), 16, MONEY) for c in ExpenseCategory],
        Column(_("Costs approved (GBP)"), 16, MONEY),
        Column(_("Total to pay (GBP)"), 16, MONEY),
    ]

    def rows() -> Iterator[list[Cell]]:
        for user, t in care_pay.payment_rows(rnd):
            hours = (Decimal(t.minutes_approved) / 60).quantize(Decimal("0.01"))
            yield [t.membership.number, user.name, user.email or "", hours, _money(t.pay),
                   *[_money(t.by_category.get(c.value, 0)) for c in ExpenseCategory],
                   _money(t.expenses_approved), _money(t.total)]

    return Table("payments", _("Payments to panel members"), columns, rows())


# --- the list of exports ---------------------------------------------------------------------


def _after_close(rnd: Round) -> str | None:
    if rnd.lifecycle.before_close:
        return _("Ready once scoring has closed, so that nobody sees scores while the panel "
                 "is still scoring.")
    return None


def _has_decision(rnd: Round) -> bool:
    """A published record or a confirmed decision exists (checked without reading it)."""
    if rnd.lifecycle.published:
        return publication.published_record(rnd.id) is not None
    return rnd.lifecycle.decided and counting.current_decision(rnd) is not None


def _after_decision(rnd: Round) -> str | None:
    if not _has_decision(rnd):
        return _("The count has not been confirmed yet. This is ready once the decision is "
                 "confirmed on the Count and decision page.")
    return None


def _always(rnd: Round) -> str | None:
    return None


@dataclass(frozen=True)
class Export:
    """One table staff can download: its words, when it is ready, and how it is built."""

    key: str
    title: LazyString
    description: LazyString
    build: Callable[[Round], Table]
    problem: Callable[[Round], str | None]  # None when ready, else why not (plain words)

    def ready(self, rnd: Round) -> bool:
        return self.problem(rnd) is None


EXPORTS: dict[str, Export] = {
    e.key: e
    for e in (
        Export("applications", _l("Applications"),
               _l("Every application in the round: reference, title, summary, applicant, "
                  "contact email, amount asked, eligibility and answers."),
               applications_table, _always),
        Export("scores", _l("Scores"),
               _l("One row for each criterion on each score sheet: the application, the panel "
                  "member's number and name, the points given (or \"don't know\"), whether the "
                  "sheet was submitted or is a draft, and when it was submitted."),
               scores_table, _after_close),
        Export("notes", _l("Notes to the panel"),
               _l("What panel members wrote to the panel on their score sheets, and any strong "
                  "objection with its reason. For the grants team only."),
               notes_table, _after_close),
        Export("feedback", _l("Feedback for applicants"),
               _l("What panel members wrote for each applicant on submitted score sheets: one "
                  "row for each application, with the applicant's name and email, ready to "
                  "send. It does not say which member wrote what."),
               feedback_table, _after_close),
        Export("ranking", _l("Ranked list and decision"),
               _l("The applications in ranked order: result, number of scores, status, amount "
                  "funded, and any change staff made with its reason. Read from the published "
                  "decision record, or from the confirmed decision before it is published."),
               ranking_table, _after_decision),
        Export("payments", _l("Payments to panel members"),
               _l("For finance: each panel member's name and email, approved hours, pay for "
                  "their time, approved costs by kind, and the total to pay. Only approved time "
                  "and costs are counted. Set pay and check claims on the Pay, time and costs "
                  "page."),
               payments_table, _payments_problem),
    )
}


def download_name(rnd: Round, what: str, extension: str) -> str:
    """A safe file name: ``round-7-warm-homes-fund-2026-scores.csv`` (ASCII letters, digits
    and hyphens only, whatever the round is called)."""
    slug = re.sub(r"[^a-z0-9]+", "-", rnd.name.lower()).strip("-")[:40].strip("-")
    parts = [f"round-{rnd.id}", slug, what]
    return "-".join(p for p in parts if p) + f".{extension}"


# --- writers ---------------------------------------------------------------------------------


def csv_chunks(table: Table, *, rows_per_chunk: int = CHUNK) -> Iterator[bytes]:
    """The table as UTF-8 CSV with a byte-order mark, in chunks of bytes (for streaming)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([safe_text(t) for t in table.header])
    for i, row in enumerate(table.rows, start=1):
        writer.writerow([_csv_value(v) for v in row])
        if i % rows_per_chunk == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, used: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, none of ``[]:*?/\\``, unique."""
    base = _SHEET_BAD.sub(" ", title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" {n}"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def write_xlsx(tables: Iterable[Table], out: IO[bytes]) -> None:
    """Write ``tables`` to ``out`` as an XLSX workbook, one sheet each (write-only mode:
    rows go to disk as they come, so a big table is not held in memory)."""
    wb = Workbook(write_only=True)
    used: set[str] = set()
    bold = Font(bold=True)
    for table in tables:
        ws = wb.create_sheet(title=_sheet_name(table.title, used))
        for i, col in enumerate(table.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = col.width
        ws.freeze_panes = "A2"
        header = []
        for title in table.header:
            cell = WriteOnlyCell(ws, value=_xlsx_text(title))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        formats = [c.number_format for c in table.columns]
        for row in table.rows:
            ws.append([_xlsx_cell(ws, v, fmt) for v, fmt in zip(row, formats, strict=False)])
    wb.save(out)


def _xlsx_cell(ws: Any, value: Cell, number_format: str) -> Any:
    if isinstance(value, str):
        return _xlsx_text(value)
    if value is None or not number_format or isinstance(value, dt.datetime):
        return value  # openpyxl gives a datetime its own date format
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = number_format
    return cell


# --- 360Giving -------------------------------------------------------------------------------

GIVING_VERSION = "1.4"  # the 360Giving Data Standard version the package declares


@dataclass(frozen=True)
class GivingSettings:
    """The funder's 360Giving identity (``config.py``: ``GRANT_ID_PREFIX``,
    ``FUNDING_ORG_ID``, ``FUNDING_ORG_NAME``)."""

    prefix: str
    funder_id: str
    funder_name: str
    prefix_is_default: bool = False


def giving_settings() -> GivingSettings:
    cfg = current_app.config
    return GivingSettings(
        prefix=str(cfg["GRANT_ID_PREFIX"]),
        funder_id=str(cfg["FUNDING_ORG_ID"]),
        funder_name=str(cfg["FUNDING_ORG_NAME"]),
        prefix_is_default=bool(cfg.get("GRANT_ID_PREFIX_IS_DEFAULT", False)),
    )


def giving_problem(rnd: Round) -> str | None:
    """Why the round has no 360Giving data yet (plain words), or None when it has."""
    if not rnd.lifecycle.published:
        return _("Ready once the decision is published.")
    source = decision_source(rnd)
    if source is None or not source.decision.get("funded"):
        return _("No application was funded in this round, so there are no grants to list.")
    return None


def _major(minor: int) -> int | float:
    """Minor units as a JSON number in major units: ``150000 -> 1500``, ``150050 -> 1500.5``."""
    return minor // 100 if minor % 100 == 0 else minor / 100


def giving_grants(rnd: Round, settings: GivingSettings, *, round_url: str | None = None,
                  record_url: str | None = None) -> list[dict[str, Any]]:
    """The funded grants of a published round as 360Giving grant objects, in funded order."""
    source = decision_source(rnd)
    if source is None or source.published is None:
        raise LookupError(_("Ready once the decision is published."))
    record = source.inputs
    rinfo = record.get("round", {})
    apps = {a["id"]: a for a in record.get("applications", [])}
    published_at = publication.parse_iso(rinfo.get("published_at"))
    moment = published_at or as_utc(source.published.published_at)
    when = moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    funded = list(source.decision.get("funded", []))
    currency = str(rinfo.get("currency") or _currency(rnd))
    programme: dict[str, Any] = {"code": f"{settings.prefix}-round-{rnd.id}",
                                 "title": str(rinfo.get("name") or rnd.name)}
    if round_url:
        programme["url"] = round_url
    grants: list[dict[str, Any]] = []
    for chunk in _chunks(funded, 1000):
        names = _applicants(rnd, (f["application"] for f in chunk))
        for f in chunk:
            ref = f["application"]
            app = apps.get(ref, {})
            title = str(app.get("title") or ref)
            grant: dict[str, Any] = {
                "id": f"{settings.prefix}-{rnd.id}-{ref}",
                "title": title,
                "description": str(app.get("summary") or title),
                "currency": currency,
                "amountAppliedFor": _major(int(app.get("amount", f["amount"]))),
                "amountAwarded": _major(int(f["amount"])),
                "awardDate": moment.date().isoformat(),
                "recipientOrganization": [{
                    "id": f"{settings.prefix}-applicant-{rnd.id}-{ref}",
                    "name": names.get(ref) or ref,
                }],
                "fundingOrganization": [{"id": settings.funder_id,
                                         "name": settings.funder_name}],
                "grantProgramme": [dict(programme)],
                "dateModified": when,
            }
            if round_url:
                grant["url"] = round_url
            if record_url:
                grant["dataSource"] = record_url
            grants.append(grant)
    return grants


def giving_package(rnd: Round, settings: GivingSettings, **urls: str | None) -> dict[str, Any]:
    """A 360Giving data package (``360-giving-package-schema.json``) of the funded grants."""
    grants = giving_grants(rnd, settings, **urls)
    issued = grants[0]["dateModified"] if grants else None
    package: dict[str, Any] = {
        "grants": grants,
        "version": GIVING_VERSION,
        "identifier": f"{settings.prefix}-round-{rnd.id}",
        "title": f"{settings.funder_name}: {rnd.name}",
        "publisher": {"identifier": settings.funder_id, "name": settings.funder_name},
    }
    if issued:
        package["issued"] = issued
    return package


def giving_json(package: dict[str, Any]) -> str:
    return json.dumps(package, ensure_ascii=False, indent=2) + "\n"


# The flat CSV: the standard's column titles (as 360Giving's own tools name them) and where
# each value sits in a grant object. Titles are the standard's, in English, in every language.
GIVING_COLUMNS: list[tuple[str, tuple[str | int, ...], int]] = [
    ("Identifier", ("id",), 34),
    ("Title", ("title",), 40),
    ("Description", ("description",), 60),
    ("Currency", ("currency",), 10),
    ("Amount Applied For", ("amountAppliedFor",), 16),
    ("Amount Awarded", ("amountAwarded",), 16),
    ("Award Date", ("awardDate",), 12),
    ("Recipient Org:Identifier", ("recipientOrganization", 0, "id"), 40),
    ("Recipient Org:Name", ("recipientOrganization", 0, "name"), 30),
    ("Funding Org:Identifier", ("fundingOrganization", 0, "id"), 24),
    ("Funding Org:Name", ("fundingOrganization", 0, "name"), 30),
    ("Grant Programme:Code", ("grantProgramme", 0, "code"), 24),
    ("Grant Programme:Title", ("grantProgramme", 0, "title"), 30),
    ("URL", ("url",), 40),
    ("Data Source", ("dataSource",), 40),
    ("Last Modified", ("dateModified",), 20),
]


def _at(obj: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        try:
            obj = obj[step]
        except (KeyError, IndexError, TypeError):
            return None
    return obj


def giving_table(grants: list[dict[str, Any]]) -> Table:
    """The grants in the 360Giving flat CSV layout (one row per grant)."""
    columns = [Column(title, width) for title, _path, width in GIVING_COLUMNS]

    def cell(value: Any) -> Cell:
        if isinstance(value, float):
            return Decimal(str(value))
        return value

    rows = ([cell(_at(g, path)) for _title, path, _w in GIVING_COLUMNS] for g in grants)
    return Table("360giving", "360Giving", columns, rows)
