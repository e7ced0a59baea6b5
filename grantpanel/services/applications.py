"""Applications: adding by form, editing, eligibility, and all-or-nothing CSV import.

Applications can be added or changed while the round is a draft or open for scoring; after
scoring closes they are fixed, because the count depends on them.

Rules, each in one place and used by the staff form, this service and the CSV import alike:

* **Fields.** One checker per field: :func:`reference_problem`, :func:`email_problem`,
  :func:`text_field_problem` (applicant's name, title, summary, answers, and the optional Welsh
  title and summary: a length limit and no control characters, through
  :func:`grantpanel.textcheck.text_problem`) and :func:`parse_amount`. Each returns (or raises
  with) a fragment of a sentence naming the field, which the form turns into a sentence and the
  import prefixes with "Line N: ".
* **References** are unique within a round, compared without regard to case. An empty
  reference becomes the first free "A-001" style one (:class:`ReferenceAllocator`: one read of
  the round's references, then linear in the number handed out). Every change that can take a
  reference first takes the round's lock (:func:`grantpanel.services.transitions.lock`), so two staff adding at the
  same moment wait for each other and never get the same reference or a server error.
* **Import** (:func:`import_csv`) reads the file as a stream, twice: first every row is
  checked, keeping only the references seen; nothing is written unless every row is good.
  Then, under the round's lock, rows are inserted in chunks of :data:`INSERT_CHUNK`. Memory
  does not grow with the file beyond the set of references. The report lists the first
  :data:`MAX_REPORTED_PROBLEMS` problems and counts the rest.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Generator, Iterable
from contextlib import closing
from dataclasses import dataclass, field
from typing import IO, Any

from flask_babel import LazyString
from sqlalchemy import Select, exists, func, insert, select

from grantpanel import lifecycle
from grantpanel.extensions import db
from grantpanel.i18n import _, _l, ngettext
from grantpanel.models import Application, ApplicationTag, Round, User
from grantpanel.services import audit, content, tags, transitions
from grantpanel.services.rounds import CURRENCY_UNITS, MoneyError, parse_money
from grantpanel.textcheck import CONTROL_CHARACTERS, text_problem

EDITABLE_STATES = lifecycle.states_where(panel_editable=True)

# Limits. Reference, name, title and email match the database columns; summary and answers
# are Text columns, limited here so nobody can publish a megabyte.
MAX_REFERENCE = 40
MAX_NAME = 200
MAX_TITLE = 200
MAX_EMAIL = 254
MAX_SUMMARY = 2_000
MAX_ANSWERS = 20_000
MAX_WARNING = 200  # a content warning: a few words, like "mentions suicide"
MAX_AMOUNT_TEXT = 30  # longer text in the amount cell is not a number we can read

MAX_REPORTED_PROBLEMS = 100  # an import report lists this many problems, then counts the rest
INSERT_CHUNK = 1_000  # rows per bulk INSERT

CSV_COLUMNS: list[tuple[str, bool, str | LazyString]] = [
    ("reference", False, _l("Your reference, like A-001. Left empty, one is made for you. "
                            "Up to %(most)s characters.", most=f"{MAX_REFERENCE:,}")),
    ("applicant_name", True, _l("The applicant's name or group. Private: shown to staff and "
                                "panel. Up to %(most)s characters.", most=f"{MAX_NAME:,}")),
    ("contact_email", False, _l("Email address for the applicant. Private.")),
    ("title", True, _l("Public title of the application. Up to %(most)s characters.",
                       most=f"{MAX_TITLE:,}")),
    ("summary", True, _l("Public summary: a few sentences about the project. "
                         "Up to %(most)s characters.", most=f"{MAX_SUMMARY:,}")),
    ("amount", True, _l("Amount asked for, in pounds: 1500 or 1,500.00.")),
    ("answers", False, _l("The applicant's answers to the form questions, shown to the panel. "
                          "Up to %(most)s characters.", most=f"{MAX_ANSWERS:,}")),
    ("content_warning", False, _l("A short warning the panel sees before the text, like "
                                  "\u201cmentions suicide\u201d. Left empty, there is none. "
                                  "Up to %(most)s characters.", most=f"{MAX_WARNING:,}")),
    ("title_cy", False, _l("The title in Welsh, for people reading the pages in Welsh. Left "
                           "empty, they see the English. Up to %(most)s characters.",
                           most=f"{MAX_TITLE:,}")),
    ("summary_cy", False, _l("The summary in Welsh, for people reading the pages in Welsh. "
                             "Left empty, they see the English. Up to %(most)s characters.",
                             most=f"{MAX_SUMMARY:,}")),
    ("tags", False, _l("Staff-only tags, like areas or themes, separated by ';': North; Food. "
                       "Each must already be one of the round's tags (a tag the round does not "
                       "have is refused, never made up).")),
]
REQUIRED_COLUMNS = [name for name, required, _what in CSV_COLUMNS if required]
KNOWN_COLUMNS = [name for name, _required, _what in CSV_COLUMNS]

_REFERENCE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._/\-]*")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class ApplicationError(ValueError):
    """A plain-English reason an application change could not be made."""


@dataclass(frozen=True)
class ImportProblem:
    line: int | None  # line in the file (1 = the column names); None for the whole file
    message: str


@dataclass
class ImportRejected(ValueError):
    """The file was not imported. ``problems`` lists the first problems found, with line
    numbers (at most :data:`MAX_REPORTED_PROBLEMS`); ``total`` counts all of them."""

    problems: list[ImportProblem] = field(default_factory=list)
    total: int = 0

    def __post_init__(self) -> None:
        self.total = max(self.total, len(self.problems))

    @property
    def unlisted(self) -> int:
        """How many problems were found but not listed."""
        return self.total - len(self.problems)

    def __str__(self) -> str:
        return ngettext(
            "Nothing was imported: the file has %(count)s problem.",
            "Nothing was imported: the file has %(count)s problems.",
            self.total,
            count=f"{self.total:,}",
        )


@dataclass(frozen=True)
class ImportSummary:
    """What an import added: how many applications, and the first and last reference."""

    count: int
    automatic_references: int
    first_reference: str
    last_reference: str


# --- queries ---------------------------------------------------------------------------------


def for_round(rnd: Round) -> Select[tuple[Application]]:
    return select(Application).where(Application.round_id == rnd.id).order_by(
        Application.reference
    )


def get_in_round(rnd: Round, application_id: int) -> Application | None:
    app = db.session.get(Application, application_id)
    return app if app is not None and app.round_id == rnd.id else None


def _references(round_id: int, *, besides: int | None = None) -> dict[str, str]:
    """The round's references, keyed by their lower-case form: one query."""
    stmt = select(Application.reference).where(Application.round_id == round_id)
    if besides is not None:
        stmt = stmt.where(Application.id != besides)
    return {ref.lower(): ref for ref in db.session.scalars(stmt)}


def reference_taken(rnd: Round, reference: str, *, besides: Application | None = None) -> bool:
    """Whether another application in the round has ``reference`` (ignoring case): one
    ``EXISTS`` query."""
    cond = [
        Application.round_id == rnd.id,
        func.lower(Application.reference) == reference.strip().lower(),
    ]
    if besides is not None:
        cond.append(Application.id != besides.id)
    return bool(db.session.scalar(select(exists().where(*cond))))


# --- checks shared by the form, the service and the CSV import ------------------------------


def shown(value: str, limit: int = 40) -> str:
    """``value`` made safe to quote back in a message: control characters as '?', and cut
    short with '...' after ``limit`` characters."""
    value = CONTROL_CHARACTERS.sub("?", value)
    return value if len(value) <= limit else value[:limit] + "..."


def as_sentence(fragment: str) -> str:
    """A checker's fragment ("the title must be ...") as a sentence for a form."""
    return fragment[:1].upper() + fragment[1:] + "."


def reference_problem(reference: str) -> str | None:
    if len(reference) > MAX_REFERENCE:
        return _(
            "reference '%(reference)s' is too long: use at most %(most)s characters",
            reference=shown(reference),
            most=MAX_REFERENCE,
        )
    if not _REFERENCE_RE.fullmatch(reference):
        return _(
            "reference '%(reference)s' should use only letters, numbers, spaces, dots, "
            "dashes and slashes, like A-001",
            reference=shown(reference),
        )
    return None


def email_problem(email: str) -> str | None:
    if (
        len(email) > MAX_EMAIL
        or CONTROL_CHARACTERS.search(email)
        or not _EMAIL_RE.fullmatch(email)
    ):
        return _(
            "contact email '%(email)s' is not an email address in the right form, "
            "like name@example.org",
            email=shown(email),
        )
    return None


# Free-text fields, by form field and CSV column name: (how a person calls the field, the most
# characters it may have). "<field>_cy" is the field in Welsh, with the English limit.
TEXT_FIELDS: dict[str, tuple[str | LazyString, int]] = {
    "applicant_name": (_l("the applicant's name"), MAX_NAME),
    "title": (_l("the title"), MAX_TITLE),
    "summary": (_l("the summary"), MAX_SUMMARY),
    "answers": (_l("the answers"), MAX_ANSWERS),
    "content_warning": (_l("the content warning"), MAX_WARNING),
    "title_cy": (_l("the title in Welsh"), MAX_TITLE),
    "summary_cy": (_l("the summary in Welsh"), MAX_SUMMARY),
}
#: An application's fields staff may also give in Welsh (optional; the English is required).
WELSH_FIELDS = ("title", "summary")


def welsh_name(field: str) -> str:
    """The form field and CSV column holding ``field`` in Welsh: ``title`` -> ``title_cy``."""
    return f"{field}_{content.WELSH}"


def text_field_problem(name: str, value: str, *, label: str | None = None) -> str | None:
    """A fragment if the text field ``name`` is too long or holds a control character.

    ``label`` names the field in the message (the import uses the column name).
    """
    default_label, max_length = TEXT_FIELDS[name]
    problem = text_problem(value, max_length=max_length, label=str(label or default_label))
    return problem.rstrip(".") if problem else None


def parse_amount(text: str | None, *, unit: str = "pounds") -> int:
    """The amount asked for, typed in major units, as integer minor units (more than 0).

    Raises :class:`~grantpanel.services.rounds.MoneyError` whose message continues a sentence
    that starts "The amount" (see :func:`grantpanel.services.rounds.parse_money`). Text that
    is too long or holds control characters is refused without being quoted in full.
    """
    raw = (text or "").strip()
    if len(raw) > MAX_AMOUNT_TEXT or CONTROL_CHARACTERS.search(raw):
        raise MoneyError(
            _(
                "'%(raw)s' is not a number of %(unit)s, like 1500 or 1500.00",
                raw=shown(raw, 20),
                unit=unit,
            )
        )
    return parse_money(raw, unit=unit)


class ReferenceAllocator:
    """Hands out the first free "A-001" style references, in increasing order.

    ``taken`` are the references already in use (any case). Each :meth:`next` returns the
    lowest-numbered "A-nnn" not taken and not handed out before, so a batch of n references
    costs O(n + len(taken)) in all, never a search from A-001 per reference.
    """

    def __init__(self, taken: Iterable[str]) -> None:
        self._taken = {t.lower() for t in taken}
        self._n = 1

    def next(self) -> str:
        while f"a-{self._n:03d}" in self._taken:
            self._n += 1
        ref = f"A-{self._n:03d}"
        self._n += 1
        return ref


def _require_editable(rnd: Round) -> None:
    if not rnd.lifecycle.panel_editable:
        raise ApplicationError(
            _(
                "Applications cannot be changed now: scoring has closed and the count depends "
                "on them."
            )
        )


def _clean(
    rnd: Round,
    *,
    reference: str | None,
    applicant_name: str,
    contact_email: str | None,
    title: str,
    summary: str,
    answers: str,
    amount: int,
    welsh: dict[str, Any] | None = None,
    besides: Application | None = None,
    content_warning: str = "",
) -> dict[str, str | None]:
    """The values stripped and checked (the round must be locked: references are read).
    ``welsh`` (title and summary in Welsh, optional) is checked with the English limits."""
    values: dict[str, str] = {
        "applicant_name": applicant_name.strip(),
        "title": title.strip(),
        "summary": summary.strip(),
        "answers": answers.strip(),
        "content_warning": content_warning.strip(),
    }
    reference = (reference or "").strip()
    email = (contact_email or "").strip() or None
    problems = []
    if reference:
        p = reference_problem(reference)
        if p:
            problems.append(as_sentence(p))
        elif reference_taken(rnd, reference, besides=besides):
            problems.append(
                _(
                    "Reference '%(reference)s' is already used in this round. Choose another, "
                    "or leave it empty to get one made for you.",
                    reference=reference,
                )
            )
    empty = {
        "applicant_name": _("Enter the applicant's name."),
        "title": _("Enter a title for the application."),
        "summary": _("Write a short summary of the project."),
    }
    for name, value in values.items():
        if not value and name in empty:
            problems.append(empty[name])
        elif value:
            p = text_field_problem(name, value)
            if p:
                problems.append(as_sentence(p))
    for name, value in (welsh or {}).items():
        p = text_field_problem(welsh_name(name), str(value or "").strip())
        if p:
            problems.append(as_sentence(p))
    if email:
        p = email_problem(email)
        if p:
            problems.append(as_sentence(p))
    if amount <= 0:  # parse_amount already refuses zero for typed amounts
        problems.append(_("Enter an amount more than 0."))
    if problems:
        raise ApplicationError(" ".join(problems))
    return {"reference": reference or None, "contact_email": email, **values}


def add_application(
    rnd: Round,
    actor: User,
    *,
    reference: str | None,
    applicant_name: str,
    contact_email: str | None,
    title: str,
    summary: str,
    answers: str,
    amount: int,
    welsh: dict[str, str] | None = None,
    content_warning: str = "",
) -> Application:
    """Add one application; a missing reference becomes the first free "A-001" style one.
    ``welsh`` gives the optional Welsh title and summary (see :data:`WELSH_FIELDS`).

    Takes the round's lock first, so concurrent adds are made one after the other.
    """
    transitions.lock(rnd)
    _require_editable(rnd)
    welsh = {k: v for k, v in (welsh or {}).items() if k in WELSH_FIELDS}
    values = _clean(
        rnd,
        reference=reference,
        applicant_name=applicant_name,
        contact_email=contact_email,
        title=title,
        summary=summary,
        answers=answers,
        amount=amount,
        welsh=welsh,
        content_warning=content_warning,
    )
    values["reference"] = values["reference"] or ReferenceAllocator(
        _references(rnd.id).values()
    ).next()
    app = Application(round_id=rnd.id, amount=amount,
                      translations=content.with_language(None, content.WELSH, welsh), **values)
    db.session.add(app)
    db.session.flush()
    db.session.expire(rnd, ["applications"])
    audit.record("application.added", actor=actor, round_id=rnd.id, reference=app.reference)
    return app


def update_application(
    app: Application,
    actor: User,
    *,
    reference: str | None,
    applicant_name: str,
    contact_email: str | None,
    title: str,
    summary: str,
    answers: str,
    amount: int,
    welsh: dict[str, str] | None = None,
    content_warning: str | None = None,
) -> list[str]:
    """Change an application's details; returns the names of the fields that changed
    (``translations`` when the Welsh changed). ``welsh`` replaces the Welsh title and summary
    it names (an empty value removes one); without it the Welsh stays as it is."""
    rnd = app.round
    transitions.lock(rnd)
    _require_editable(rnd)
    new_welsh = {k: content.stored(app, content.WELSH, k) for k in WELSH_FIELDS}
    new_welsh.update({k: v for k, v in (welsh or {}).items() if k in WELSH_FIELDS})
    values = _clean(
        rnd,
        reference=reference,
        applicant_name=applicant_name,
        contact_email=contact_email,
        title=title,
        summary=summary,
        answers=answers,
        amount=amount,
        welsh=new_welsh,
        besides=app,
        content_warning=app.content_warning if content_warning is None else content_warning,
    )
    values["reference"] = values["reference"] or app.reference
    new: dict[str, object] = {
        **values,
        "amount": amount,
        "translations": content.with_language(app.translations, content.WELSH, new_welsh),
    }
    changed = [k for k, v in new.items() if getattr(app, k) != v]
    for k in changed:
        setattr(app, k, new[k])
    if changed:
        audit.record(
            "application.updated",
            actor=actor,
            round_id=rnd.id,
            reference=app.reference,
            changed=changed,
        )
    return changed


def set_eligibility(app: Application, actor: User, *, eligible: bool, reason: str) -> None:
    """Record the eligibility decision. Marking an application ineligible needs a reason."""
    _require_editable(app.round)
    reason = reason.strip()
    if not eligible and not reason:
        raise ApplicationError(
            _("Give the reason this application is not eligible. The applicant may see it.")
        )
    app.eligible = eligible
    app.eligibility_reason = reason
    audit.record(
        "application.eligibility",
        actor=actor,
        round_id=app.round_id,
        reference=app.reference,
        eligible=eligible,
    )


# --- CSV import ------------------------------------------------------------------------------

_NOT_UTF8 = _l(
    "The file is not saved as UTF-8 text. In your spreadsheet choose 'Save as' and the type "
    "'CSV UTF-8', then upload the new file."
)
_EMPTY = _l(
    "The file is empty. Upload a CSV file with column names on the first line and one "
    "application on each line after it."
)


class _Report:
    """Problems found so far: the first :data:`MAX_REPORTED_PROBLEMS` kept, the rest counted."""

    def __init__(self) -> None:
        self.problems: list[ImportProblem] = []
        self.total = 0

    def add(self, line: int | None, message: str) -> None:
        self.total += 1
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(ImportProblem(line, message))

    def reject(self) -> ImportRejected:
        return ImportRejected(self.problems, self.total)


def _normalise_header(name: str | None) -> str:
    return re.sub(r"[\s\-]+", "_", (name or "").strip().lower())


def _records(stream: IO[bytes]) -> Generator[tuple[int, list[str]], None, None]:
    """(first line number, cells) for every non-blank record of the CSV ``stream``, from its
    current position. Raises :class:`ImportRejected` if the text is not UTF-8; a record the
    csv module cannot read is reported with its line, and reading stops there."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        reader = csv.reader(text)
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                detail = str(e)
                if "field larger than field limit" in detail:
                    detail = _(
                        "a cell is longer than %(most)s characters, far longer than any field "
                        "can be",
                        most=f"{csv.field_size_limit():,}",
                    )
                raise ImportRejected(
                    [
                        ImportProblem(
                            start,
                            _(
                                "Line %(line)s could not be read (%(detail)s). Nothing after "
                                "it was checked.",
                                line=start,
                                detail=detail,
                            ),
                        )
                    ]
                ) from e
            except UnicodeDecodeError as e:
                raise ImportRejected([ImportProblem(None, str(_NOT_UTF8))]) from e
            if any(c.strip() for c in cells):
                yield start, cells
    finally:
        text.detach()  # leave the caller's stream open


def _check_header(line: int, header: list[str]) -> list[str]:
    columns = [_normalise_header(h) for h in header]
    report = _Report()
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        names = ", ".join(f"'{c}'" for c in missing)
        report.add(
            line,
            _(
                "Line %(line)s: the file has no column called %(names)s. The first line must "
                "name the columns; the required ones are %(required)s.",
                line=line,
                names=names,
                required=", ".join(REQUIRED_COLUMNS),
            ),
        )
    for c in columns:
        if c and c not in KNOWN_COLUMNS:
            report.add(
                line,
                _(
                    "Line %(line)s: the column '%(column)s' is not one we use. Rename it to one "
                    "of %(known)s, or delete the column.",
                    line=line,
                    column=shown(c),
                    known=", ".join(KNOWN_COLUMNS),
                ),
            )
    for c in sorted({c for c in columns if c and columns.count(c) > 1}):
        report.add(
            line,
            _(
                "Line %(line)s: the column '%(column)s' appears twice. Keep only one of them.",
                line=line,
                column=c,
            ),
        )
    if report.total:
        raise report.reject()
    return columns


def _row(columns: list[str], cells: list[str]) -> dict[str, str]:
    return {
        col: cells[i].strip() if i < len(cells) else ""
        for i, col in enumerate(columns)
        if col in KNOWN_COLUMNS
    }


def _row_problems(row: dict[str, str], unit: str,
                  known_tags: dict[str, Any] | None = None) -> list[str]:
    """Fragments for everything wrong with one row, except reference clashes."""
    problems: list[str] = []
    if row.get("tags"):
        _found, p = tags.parse_tag_list(row["tags"], known_tags or {})
        if p:
            problems.append(p)
    for col in REQUIRED_COLUMNS:
        if col != "amount" and not row.get(col):
            problems.append(_("%(column)s is empty: every application needs one", column=col))
    for name in TEXT_FIELDS:
        if row.get(name):
            p = text_field_problem(name, row[name], label=name)
            if p:
                problems.append(p)
    try:
        parse_amount(row.get("amount"), unit=unit)
    except MoneyError as e:
        problems.append(_("amount %(problem)s", problem=e))
    if row.get("reference"):
        p = reference_problem(row["reference"])
        if p:
            problems.append(p)
    if row.get("contact_email"):
        p = email_problem(row["contact_email"])
        if p:
            problems.append(p)
    return problems


def _too_many_rows(max_rows: int) -> ImportRejected:
    return ImportRejected(
        [
            ImportProblem(
                None,
                _(
                    "The file has more than %(most)s applications, the most that can be "
                    "imported here at one time, so nothing was imported. Split it into files of "
                    "%(most)s applications or fewer (keep the column names on the first line "
                    "of each) and import them one by one, or ask whoever looks after grantpanel "
                    "to import the whole file with the command 'grantpanel import-applications'.",
                    most=f"{max_rows:,}",
                ),
            )
        ]
    )


def import_csv(
    rnd: Round, actor: User | None, data: bytes | IO[bytes], *, max_rows: int | None = None
) -> ImportSummary:
    """Import every row of a CSV file as an application, or none of them.

    ``data`` is the file's bytes or a seekable binary stream positioned at its start (an
    upload, an open file); it is read twice and never held in memory whole. Every row is
    checked first with the same field checks as the form. If any row has a problem,
    nothing is added and :class:`ImportRejected` lists the first
    :data:`MAX_REPORTED_PROBLEMS` problems with their line numbers and counts the rest. A file
    with more than ``max_rows`` applications (``None``: no limit) is refused as soon as the
    row after the limit is read. Otherwise the rows are inserted in bulk, in file order;
    empty references get the first free "A-001" style references in order. The caller
    commits (or rolls back after :class:`ImportRejected`: nothing is written by then).
    """
    _require_editable(rnd)
    stream: IO[bytes] = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    origin = stream.tell()
    unit = CURRENCY_UNITS.get(rnd.currency, "pounds")

    # Pass 1: check every row; keep only the references (lower case -> first line).
    existing = _references(rnd.id)
    known_tags = tags.by_lower_name(rnd.id)
    report = _Report()
    seen: dict[str, int] = {}
    count = 0
    with closing(_records(stream)) as records:
        first = next(records, None)
        if first is None:
            raise ImportRejected([ImportProblem(None, _EMPTY)])
        columns = _check_header(*first)
        for line, cells in records:
            count += 1
            if max_rows is not None and count > max_rows:
                raise _too_many_rows(max_rows)
            if len(cells) > len(columns):
                report.add(
                    line,
                    _(
                        "Line %(line)s: there are %(cells)s cells but only %(columns)s column "
                        "names. Check for a stray comma, or put text with commas in double "
                        "quotes.",
                        line=line,
                        cells=len(cells),
                        columns=len(columns),
                    ),
                )
                continue
            row = _row(columns, cells)
            problems = _row_problems(row, unit, known_tags)
            ref = row.get("reference", "").lower()
            if ref and not reference_problem(ref):
                if ref in seen:
                    problems.append(
                        _(
                            "reference '%(reference)s' is also used on line %(line)s: each "
                            "application needs its own reference",
                            reference=row["reference"],
                            line=seen[ref],
                        )
                    )
                elif ref in existing:
                    problems.append(
                        _(
                            "reference '%(reference)s' is already used by an application in "
                            "this round: change it, or leave it empty to get one made for you",
                            reference=row["reference"],
                        )
                    )
                else:
                    seen[ref] = line
            for p in problems:
                report.add(line, _("Line %(line)s: %(problem)s.", line=line, problem=p))
    if report.total:
        raise report.reject()
    if count == 0:
        raise ImportRejected(
            [
                ImportProblem(
                    None,
                    _(
                        "The file has column names but no applications. Add one application "
                        "on each line after the column names."
                    ),
                )
            ]
        )

    # Pass 2, under the round's lock: references again (another request may have added one
    # since), then insert in chunks.
    transitions.lock(rnd)
    _require_editable(rnd)
    now = _references(rnd.id)
    for ref in now.keys() - existing.keys():
        if ref in seen:
            report.add(
                seen[ref],
                _(
                    "Line %(line)s: reference '%(reference)s' was added to this round by "
                    "someone else a moment ago: change it, or leave it empty to get one made "
                    "for you.",
                    line=seen[ref],
                    reference=now[ref],
                ),
            )
    if report.total:
        raise report.reject()
    known_tags = tags.by_lower_name(rnd.id)  # again: a tag may have been removed since
    allocator = ReferenceAllocator([*now, *seen])
    stream.seek(origin)
    chunk: list[dict[str, Any]] = []
    tagged: dict[str, list[int]] = {}  # reference -> tag ids, for rows with tags
    made = 0
    first_ref = last_ref = ""
    with closing(_records(stream)) as records:
        next(records)  # the column names
        for line, cells in records:
            row = _row(columns, cells)
            ref = row.get("reference") or ""
            if not ref:
                ref = allocator.next()
                made += 1
            first_ref = first_ref or ref
            last_ref = ref
            if row.get("tags"):
                row_tags, problem = tags.parse_tag_list(row["tags"], known_tags)
                if problem:
                    report.add(line, _("Line %(line)s: %(problem)s.", line=line,
                                       problem=problem))
                    raise report.reject()
                if row_tags:
                    tagged[ref] = [t.id for t in row_tags]
            chunk.append(
                {
                    "round_id": rnd.id,
                    "reference": ref,
                    "applicant_name": row["applicant_name"],
                    "contact_email": row.get("contact_email") or None,
                    "title": row["title"],
                    "summary": row["summary"],
                    "answers": row.get("answers", ""),
                    "content_warning": row.get("content_warning", ""),
                    "amount": parse_amount(row["amount"], unit=unit),
                    "translations": content.with_language(
                        None, content.WELSH,
                        {name: row.get(welsh_name(name), "") for name in WELSH_FIELDS},
                    ),
                }
            )
            if len(chunk) >= INSERT_CHUNK:
                db.session.execute(insert(Application), chunk)
                chunk = []
    if chunk:
        db.session.execute(insert(Application), chunk)
    if tagged:  # one read of the new ids, then the links in chunks
        ids = dict(db.session.execute(
            select(Application.reference, Application.id).where(Application.round_id == rnd.id)
        ).all())
        links = [{"application_id": ids[r], "tag_id": t} for r, ts in tagged.items() for t in ts]
        for start in range(0, len(links), INSERT_CHUNK):
            db.session.execute(insert(ApplicationTag), links[start:start + INSERT_CHUNK])
    db.session.expire(rnd, ["applications"])
    audit.record(
        "application.imported",
        actor=actor,
        round_id=rnd.id,
        count=count,
        automatic_references=made,
        first_reference=first_ref,
        last_reference=last_ref,
    )
    return ImportSummary(count, made, first_ref, last_ref)
