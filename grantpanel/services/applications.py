"""Applications: adding by form, editing, eligibility, and all-or-nothing CSV import.

Applications can be added or changed while the round is a draft or open for scoring; after
scoring closes they are fixed, because the count depends on them.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from sqlalchemy import Select, select

from grantpanel.extensions import db
from grantpanel.models import Application, Round, User
from grantpanel.services import audit
from grantpanel.services.rounds import CURRENCY_UNITS, MoneyError, parse_money

EDITABLE_STATES = ("draft", "open")

# Limits match the database columns.
MAX_REFERENCE = 40
MAX_NAME = 200
MAX_TITLE = 200
MAX_EMAIL = 254

CSV_COLUMNS: list[tuple[str, bool, str]] = [
    ("reference", False, "Your reference, like A-001. Left empty, one is made for you."),
    ("applicant_name", True, "The applicant's name or group. Private: shown to staff and panel."),
    ("contact_email", False, "Email address for the applicant. Private."),
    ("title", True, "Public title of the application."),
    ("summary", True, "Public summary: a few sentences about the project."),
    ("amount", True, "Amount asked for, in pounds: 1500 or 1,500.00."),
    ("answers", False, "The applicant's answers to the form questions, shown to the panel."),
]
REQUIRED_COLUMNS = [name for name, required, _ in CSV_COLUMNS if required]
KNOWN_COLUMNS = [name for name, _, _ in CSV_COLUMNS]

_REFERENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/\-]*$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ApplicationError(ValueError):
    """A plain-English reason an application change could not be made."""


@dataclass(frozen=True)
class ImportProblem:
    line: int | None  # line in the file (1 = the column names); None for the whole file
    message: str


@dataclass
class ImportRejected(ValueError):
    """The file was not imported; ``problems`` lists every reason, with line numbers."""

    problems: list[ImportProblem] = field(default_factory=list)

    def __str__(self) -> str:
        n = len(self.problems)
        return f"Nothing was imported: the file has {n} problem{'s' if n != 1 else ''}."


# --- queries ---------------------------------------------------------------------------------


def for_round(rnd: Round) -> Select[tuple[Application]]:
    return select(Application).where(Application.round_id == rnd.id).order_by(
        Application.reference
    )


def get_in_round(rnd: Round, application_id: int) -> Application | None:
    app = db.session.get(Application, application_id)
    return app if app is not None and app.round_id == rnd.id else None


# --- checks shared by the form and the CSV import --------------------------------------------


def reference_problem(reference: str) -> str | None:
    if len(reference) > MAX_REFERENCE:
        return f"reference '{reference}' is too long: use at most {MAX_REFERENCE} characters"
    if not _REFERENCE_RE.match(reference):
        return (
            f"reference '{reference}' should use only letters, numbers, spaces, dots, "
            "dashes and slashes, like A-001"
        )
    return None


def email_problem(email: str) -> str | None:
    if len(email) > MAX_EMAIL or not _EMAIL_RE.match(email):
        return (
            f"contact email '{email}' is not an email address in the right form, "
            "like name@example.org"
        )
    return None


def next_reference(used: set[str]) -> str:
    """The first free "A-001" style reference not in ``used`` (compared case-insensitively)."""
    lowered = {u.lower() for u in used}
    n = 1
    while f"a-{n:03d}" in lowered:
        n += 1
    return f"A-{n:03d}"


def _used_references(rnd: Round, *, besides: Application | None = None) -> set[str]:
    return {a.reference for a in rnd.applications if a is not besides}


def _require_editable(rnd: Round) -> None:
    if rnd.state not in EDITABLE_STATES:
        raise ApplicationError(
            "Applications cannot be changed now: scoring has closed and the count depends on "
            "them."
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
    besides: Application | None = None,
) -> dict[str, str | None]:
    reference = (reference or "").strip()
    applicant_name = applicant_name.strip()
    title = title.strip()
    email = (contact_email or "").strip() or None
    problems = []
    used = _used_references(rnd, besides=besides)
    if reference:
        p = reference_problem(reference)
        if p:
            problems.append(p[0].upper() + p[1:] + ".")
        elif reference.lower() in {u.lower() for u in used}:
            problems.append(
                f"Reference '{reference}' is already used in this round. Choose another, or "
                "leave it empty to get one made for you."
            )
    if not applicant_name:
        problems.append("Enter the applicant's name.")
    elif len(applicant_name) > MAX_NAME:
        problems.append(f"The applicant's name is too long: use at most {MAX_NAME} characters.")
    if not title:
        problems.append("Enter a title for the application.")
    elif len(title) > MAX_TITLE:
        problems.append(f"The title is too long: use at most {MAX_TITLE} characters.")
    if email:
        p = email_problem(email)
        if p:
            problems.append(p[0].upper() + p[1:] + ".")
    if amount <= 0:  # parse_money already refuses zero for typed amounts
        problems.append("Enter an amount more than 0.")
    if problems:
        raise ApplicationError(" ".join(problems))
    return {
        "reference": reference or None,
        "applicant_name": applicant_name,
        "contact_email": email,
        "title": title,
        "summary": summary.strip(),
        "answers": answers.strip(),
    }


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
) -> Application:
    """Add one application; a missing reference becomes the next free "A-001" style one."""
    _require_editable(rnd)
    values = _clean(
        rnd,
        reference=reference,
        applicant_name=applicant_name,
        contact_email=contact_email,
        title=title,
        summary=summary,
        answers=answers,
        amount=amount,
    )
    values["reference"] = values["reference"] or next_reference(_used_references(rnd))
    app = Application(round_id=rnd.id, amount=amount, **values)
    rnd.applications.append(app)
    db.session.flush()
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
) -> list[str]:
    """Change an application's details; returns the names of the fields that changed."""
    rnd = app.round
    _require_editable(rnd)
    values = _clean(
        rnd,
        reference=reference,
        applicant_name=applicant_name,
        contact_email=contact_email,
        title=title,
        summary=summary,
        answers=answers,
        amount=amount,
        besides=app,
    )
    values["reference"] = values["reference"] or app.reference
    new: dict[str, object] = {**values, "amount": amount}
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
            "Give the reason this application is not eligible. The applicant may see it."
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


def _normalise_header(name: str | None) -> str:
    return re.sub(r"[\s\-]+", "_", (name or "").strip().lower())


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ImportRejected(
            [
                ImportProblem(
                    None,
                    "The file is not saved as UTF-8 text. In your spreadsheet choose "
                    "'Save as' and the type 'CSV UTF-8', then upload the new file.",
                )
            ]
        ) from e


def import_csv(rnd: Round, actor: User, data: bytes) -> list[Application]:
    """Import every row of a CSV file as an application, or none of them.

    Every row is checked first. If any row has a problem, nothing is added and
    :class:`ImportRejected` lists every problem with its line number.
    """
    _require_editable(rnd)
    text = _decode(data)
    if not text.strip():
        raise ImportRejected(
            [ImportProblem(None, "The file is empty. Upload a CSV file with column names on "
                                 "the first line and one application on each line after it.")]
        )
    unit = CURRENCY_UNITS.get(rnd.currency, "pounds")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except csv.Error as e:
        raise ImportRejected([ImportProblem(1, f"Line 1 could not be read: {e}.")]) from e
    columns = [_normalise_header(h) for h in header]
    problems: list[ImportProblem] = []
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        names = ", ".join(f"'{c}'" for c in missing)
        problems.append(
            ImportProblem(
                1,
                f"Line 1: the file has no column called {names}. The first line must name the "
                f"columns; the required ones are {', '.join(REQUIRED_COLUMNS)}.",
            )
        )
    for c in columns:
        if c and c not in KNOWN_COLUMNS:
            problems.append(
                ImportProblem(
                    1,
                    f"Line 1: the column '{c}' is not one we use. Rename it to one of "
                    f"{', '.join(KNOWN_COLUMNS)}, or delete the column.",
                )
            )
    dupes = sorted({c for c in columns if c and columns.count(c) > 1})
    for c in dupes:
        problems.append(
            ImportProblem(1, f"Line 1: the column '{c}' appears twice. Keep only one of them.")
        )
    if problems:
        raise ImportRejected(problems)

    existing = {a.reference.lower(): a.reference for a in rnd.applications}
    seen: dict[str, int] = {}  # lowercased reference -> line first used
    rows: list[tuple[int, dict[str, str], int]] = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            problems.append(ImportProblem(start, f"Line {start} could not be read: {e}."))
            break
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(cells) > len(columns):
            problems.append(
                ImportProblem(
                    start,
                    f"Line {start}: there are {len(cells)} cells but only {len(columns)} "
                    "column names. Check for a stray comma, or put text with commas in "
                    "double quotes.",
                )
            )
            continue
        row = {col: (cells[i] if i < len(cells) else "").strip() for i, col in enumerate(columns)}
        line_problems: list[str] = []
        for col in REQUIRED_COLUMNS:
            if col != "amount" and not row.get(col):
                line_problems.append(f"{col} is empty: every application needs one")
        if row.get("applicant_name") and len(row["applicant_name"]) > MAX_NAME:
            line_problems.append(f"applicant_name is too long: use at most {MAX_NAME} characters")
        if row.get("title") and len(row["title"]) > MAX_TITLE:
            line_problems.append(f"title is too long: use at most {MAX_TITLE} characters")
        amount = 0
        try:
            amount = parse_money(row.get("amount"), unit=unit)
        except MoneyError as e:
            line_problems.append(f"amount {e}")
        ref = row.get("reference", "")
        if ref:
            p = reference_problem(ref)
            if p:
                line_problems.append(p)
            elif ref.lower() in seen:
                line_problems.append(
                    f"reference '{ref}' is also used on line {seen[ref.lower()]}: each "
                    "application needs its own reference"
                )
            elif ref.lower() in existing:
                line_problems.append(
                    f"reference '{ref}' is already used by an application in this round: "
                    "change it, or leave it empty to get one made for you"
                )
            seen.setdefault(ref.lower(), start)
        if row.get("contact_email"):
            p = email_problem(row["contact_email"])
            if p:
                line_problems.append(p)
        problems.extend(ImportProblem(start, f"Line {start}: {p}.") for p in line_problems)
        rows.append((start, row, amount))
    if problems:
        raise ImportRejected(problems)
    if not rows:
        raise ImportRejected(
            [ImportProblem(None, "The file has column names but no applications. Add one "
                                 "application on each line after the column names.")]
        )

    used = set(existing.values()) | {row["reference"] for _, row, _ in rows if row.get("reference")}
    added: list[Application] = []
    for _, row, amount in rows:
        ref = row.get("reference") or next_reference(used)
        used.add(ref)
        app = Application(
            round_id=rnd.id,
            reference=ref,
            applicant_name=row["applicant_name"],
            contact_email=row.get("contact_email") or None,
            title=row["title"],
            summary=row.get("summary", ""),
            answers=row.get("answers", ""),
            amount=amount,
        )
        rnd.applications.append(app)
        added.append(app)
    db.session.flush()
    audit.record(
        "application.imported",
        actor=actor,
        round_id=rnd.id,
        count=len(added),
        references=[a.reference for a in added],
    )
    return added
