"""Backup and restore of the whole database to one portable file.

The file is gzip-compressed UTF-8 JSON lines, readable by either database kind:

1. a header: ``{"format": "grantpanel-backup", "format_version": 1, "created_at": ...,
   "alembic_revision": ..., "tables": [{"name", "columns", "rows"}, ...]}``, tables in
   dependency order (a table comes after every table it refers to);
2. per table, a line ``{"table": name}`` then one JSON array per row, values in the header's
   column order;
3. a last line ``{"end": true, "rows": total}``, so a cut-short file is refused.

Values are encoded by column type so both databases read them back the same: times as ISO
8601 with their offset (UTC), dates as ISO dates, JSON columns as JSON, bytes as base64,
decimals as strings; everything else as the JSON number, string, true/false or null.

:func:`write_backup` reads inside one transaction (a consistent snapshot on PostgreSQL when
the caller asks for REPEATABLE READ).  :func:`restore_backup` loads into an empty database
(creating the tables if there are none), or into a non-empty one only with ``force``, which
deletes every row first; it uses Core inserts (the models' append-only guards apply to ORM
changes only) and resets PostgreSQL id sequences afterwards.  Both take a connection: the
caller owns the transaction.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    func,
    inspect,
    select,
    text,
)

from grantpanel.extensions import db
from grantpanel.models import as_utc, utcnow

FORMAT = "grantpanel-backup"
FORMAT_VERSION = 1
BATCH_SIZE = 1000
ALEMBIC_TABLE = "alembic_version"


class BackupError(ValueError):
    """A plain-English reason a backup cannot be written or restored."""


@dataclass(frozen=True)
class BackupSummary:
    tables: int
    rows: int
    alembic_revision: str | None


# --- encoding --------------------------------------------------------------------------------


def encode(column: Column[Any], value: Any) -> Any:
    """``value`` from ``column`` as a JSON value (see module doc)."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, DateTime):
        if kind.timezone or value.tzinfo is not None:
            return as_utc(value).isoformat()
        return value.isoformat()
    if isinstance(kind, Date):
        return value.isoformat()
    if isinstance(kind, LargeBinary):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def decode(column: Column[Any], value: Any) -> Any:
    """The inverse of :func:`encode`, for inserting into either database."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return dt.date.fromisoformat(value)
    if isinstance(kind, LargeBinary):
        return base64.b64decode(value)
    if isinstance(kind, Numeric) and isinstance(value, str):
        return decimal.Decimal(value)
    return value


def _line(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


# --- backup ----------------------------------------------------------------------------------


def tables() -> list[Table]:
    """The application's tables in dependency order."""
    return list(db.metadata.sorted_tables)


def database_revision(conn: Connection) -> str | None:
    """The Alembic revision the database is at, or ``None`` if it was never migrated."""
    if not inspect(conn).has_table(ALEMBIC_TABLE):
        return None
    revisions = sorted(conn.execute(text(f"SELECT version_num FROM {ALEMBIC_TABLE}")).scalars())
    return ",".join(revisions) or None


def _rows(conn: Connection, table: Table) -> Iterator[list[Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(stream_results=True, yield_per=BATCH_SIZE).execute(
        select(table).order_by(*order)
    )
    columns = list(table.columns)
    for row in result:
        yield [encode(c, v) for c, v in zip(columns, row, strict=True)]


def write_backup(conn: Connection, out: IO[str]) -> BackupSummary:
    """Write every table's rows to ``out`` (a text stream; the caller compresses it)."""
    listing = [
        {
            "name": t.name,
            "columns": [c.name for c in t.columns],
            "rows": int(conn.execute(select(func.count()).select_from(t)).scalar_one()),
        }
        for t in tables()
    ]
    revision = database_revision(conn)
    out.write(_line({
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": utcnow().isoformat(),
        "database": conn.dialect.name,
        "alembic_revision": revision,
        "tables": listing,
    }))
    total = 0
    for t, entry in zip(tables(), listing, strict=True):
        out.write(_line({"table": t.name}))
        written = 0
        for row in _rows(conn, t):
            out.write(_line(row))
            written += 1
        if written != entry["rows"]:
            raise BackupError(
                f"The table {t.name} changed while it was being backed up. Try again."
            )
        total += written
    out.write(_line({"end": True, "rows": total}))
    return BackupSummary(len(listing), total, revision)


# --- restore ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreSummary:
    tables: int
    rows: int
    created_schema: bool
    wiped_rows: int


def _read_header(lines: Iterator[str]) -> dict[str, Any]:
    try:
        header = json.loads(next(lines))
    except (StopIteration, ValueError) as e:
        raise BackupError("This file is not a grantpanel backup (it has no header).") from e
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError("This file is not a grantpanel backup.")
    if header.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"This backup uses format version {header.get('format_version')}, but this "
            f"version of grantpanel reads version {FORMAT_VERSION}. Restore it with the "
            "version of grantpanel that made it."
        )
    return header


def _check_tables(header: dict[str, Any], code_revision: str | None) -> None:
    known = {t.name: [c.name for c in t.columns] for t in tables()}
    listed = {t["name"]: t["columns"] for t in header["tables"]}
    revision = header.get("alembic_revision")
    if revision and code_revision and revision != code_revision:
        raise BackupError(
            f"This backup was made at database version {revision}, but this version of "
            f"grantpanel uses database version {code_revision}. Restore it with the version "
            "of grantpanel that made it, then upgrade with `grantpanel init-db`."
        )
    for name, columns in listed.items():
        if name not in known or set(columns) != set(known[name]):
            raise BackupError(
                f"The table {name} in this backup does not match this version of grantpanel. "
                "Restore it with the version of grantpanel that made it."
            )
    missing = sorted(set(known) - set(listed))
    if missing:
        raise BackupError(
            f"This backup has no {', '.join(missing)} table. Restore it with the version of "
            "grantpanel that made it."
        )


def _row_count(conn: Connection) -> int:
    return sum(
        int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in tables()
    )


def _wipe(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables())
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    for t in reversed(tables()):
        conn.execute(t.delete())


def _stamp(conn: Connection, revision: str | None) -> None:
    """Record ``revision`` as the database's Alembic revision (as the source had it)."""
    if not revision:
        return
    version = Table(
        ALEMBIC_TABLE, MetaData(),
        Column("version_num", String(32), primary_key=True),
    )
    version.create(conn, checkfirst=True)
    conn.execute(version.delete())
    for rev in revision.split(","):
        conn.execute(version.insert().values(version_num=rev))


def _reset_sequences(conn: Connection) -> None:
    """Point each PostgreSQL id sequence past the largest restored id."""
    if conn.dialect.name != "postgresql":
        return
    for t in tables():
        pk = list(t.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer):
            continue
        col = pk[0].name
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('\"{t.name}\"', '{col}'), "
            f"COALESCE((SELECT MAX(\"{col}\") FROM \"{t.name}\"), 1), "
            f"(SELECT MAX(\"{col}\") FROM \"{t.name}\") IS NOT NULL) "
            f"WHERE pg_get_serial_sequence('\"{t.name}\"', '{col}') IS NOT NULL"
        ))


def restore_backup(
    conn: Connection, lines: Iterator[str], *, force: bool = False,
    code_revision: str | None = None,
) -> RestoreSummary:
    """Load a backup (an iterator of its text lines) into the database behind ``conn``.

    The database must have none of the tables (they are created), or all of them empty;
    with ``force`` every existing row is deleted first.  ``code_revision`` is the Alembic
    head of this version of grantpanel: a backup made at another revision is refused.
    Raises BackupError, before or during loading; the caller then rolls back.
    """
    header = _read_header(lines)
    _check_tables(header, code_revision)
    present = {t.name for t in tables() if inspect(conn).has_table(t.name)}
    created = False
    wiped = 0
    if not present:
        db.metadata.create_all(conn)
        created = True
    elif len(present) != len(tables()):
        raise BackupError(
            "This database is only partly set up (some tables are missing). Restore into an "
            "empty database, or run `grantpanel init-db` first."
        )
    else:
        wiped = _row_count(conn)
        if wiped and not force:
            raise BackupError(
                f"This database is not empty (it holds {wiped:,} rows). Restore only into an "
                "empty database, or add --force to delete everything in it first."
            )
        if wiped:
            _wipe(conn)
        current = database_revision(conn)
        revision = header.get("alembic_revision")
        if current and revision and current != revision:
            raise BackupError(
                f"This database is at version {current} but the backup is at {revision}. "
                "Restore into a database made by the same version of grantpanel."
            )
    _stamp(conn, header.get("alembic_revision"))
    by_name = {t.name: t for t in tables()}
    total = 0
    for entry in header["tables"]:
        table = by_name[entry["name"]]
        columns = [table.c[name] for name in entry["columns"]]
        marker = json.loads(next(lines, "null") or "null")
        if marker != {"table": entry["name"]}:
            raise BackupError(
                f"This backup is damaged: the rows of {entry['name']} are not where expected."
            )
        batch: list[dict[str, Any]] = []
        for _ in range(int(entry["rows"])):
            raw = next(lines, None)
            if raw is None:
                raise BackupError("This backup is cut short: it ends in the middle of a table.")
            values = json.loads(raw)
            batch.append({c.key: decode(c, v) for c, v in zip(columns, values, strict=True)})
            if len(batch) >= BATCH_SIZE:
                conn.execute(table.insert(), batch)
                batch = []
        if batch:
            conn.execute(table.insert(), batch)
        total += int(entry["rows"])
    end = json.loads(next(lines, "null") or "null")
    if end != {"end": True, "rows": total}:
        raise BackupError("This backup is cut short or damaged: its last line is missing.")
    _reset_sequences(conn)
    return RestoreSummary(len(header["tables"]), total, created, wiped)


def code_revision() -> str | None:
    """The Alembic head revision of this version of grantpanel's migrations."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from grantpanel import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg).get_current_head()
