"""Benchmark the CSV import of applications through the real service, into a scratch database.

Run on its own with ``python -m benchmarks.imports`` (``--quick`` for small sizes), or as
the "imports" section of ``make bench``. SQLite always; PostgreSQL as well when
``DATABASE_URL`` names a PostgreSQL database. Results: a table on stdout and
``benchmarks/results/imports-latest.json``.

* The files are written once into a temporary folder: ~1.1 KB a row (a 300-character summary
  and 700 characters of answers), so 10,000 rows make a ~11 MB file, as a real round might.
* Every reference is left empty, so every row gets an automatic "A-001" style reference.
* The import runs through :func:`grantpanel.services.applications.import_csv` reading the file
  as a stream (as the upload does), and the transaction is committed: the time is end to end.
* Seconds come from one run without tracing; the memory peak from a second run (into a fresh
  round) under ``tracemalloc``, which traces every Python allocation (SQLite's and libpq's own C
  buffers are not traced).
* SQLite: a file in a temporary folder. PostgreSQL: the tables are made in a schema of their
  own (``bench_imports``) inside the given database, and the schema is dropped afterwards, so
  no existing table is touched.

Targets (from issue 6): 10,000 rows in under 5 s; 100,000 rows in bounded memory, which we set
at a traced peak under 150 MB (the old import needed ~600 MB).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

TARGET_SECONDS_10K = 5.0
TARGET_PEAK_MB_100K = 150.0
SCHEMA = "bench_imports"

Importer = Callable[[Any, Any, BinaryIO], Any]


@dataclass
class ImportRow:
    database: str
    rows: int
    file_mb: float
    seconds: float | None = None
    peak_mb: float | None = None
    rows_per_s: float | None = None
    target: str = ""
    passed: bool | None = None
    note: str = ""


def write_csv(path: Path, n: int, *, references: bool = False) -> int:
    """Write ``n`` applications to ``path`` (references empty, or "R-1", "R-2", ... with
    ``references``); return the file's size."""
    summary = ("We run a warm room with hot drinks and company on weekday mornings. " * 5)[:300]
    answers = ("Q1: We have run this for two winters and know our neighbours well. " * 11)[:700]
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("reference,applicant_name,contact_email,title,summary,amount,answers\r\n")
        for i in range(1, n + 1):
            fh.write(
                f'{f"R-{i}" if references else ""},Group number {i},group{i}@example.org,Warm room {i},"{summary}",'
                f'"{1000 + i % 9000:,}.50","{answers}"\r\n'
            )
    return path.stat().st_size


@contextmanager
def scratch_app(database_url: str | None, schema: str = SCHEMA) -> Iterator[Any]:
    """An app (the real factory) on a throwaway SQLite file, or a scratch PostgreSQL schema
    (``schema``, dropped afterwards)."""
    from sqlalchemy import text

    from config import TestingConfig, normalise_database_url
    from grantpanel import create_app
    from grantpanel.extensions import db

    with tempfile.TemporaryDirectory() as folder:
        if database_url:
            url = normalise_database_url(database_url)
            config = TestingConfig(url)
            engine_options: dict[str, Any] = {
                **config.SQLALCHEMY_ENGINE_OPTIONS,
                "connect_args": {"options": f"-csearch_path={schema}"},
            }
            config.SQLALCHEMY_ENGINE_OPTIONS = engine_options
        else:
            config = TestingConfig(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        app = create_app(config)
        with app.app_context():
            if database_url:
                with db.engine.begin() as conn:
                    conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    conn.execute(text(f"CREATE SCHEMA {schema}"))
            db.create_all()
            try:
                yield app
            finally:
                db.session.remove()
                if database_url:
                    with db.engine.begin() as conn:
                        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                db.engine.dispose()


def _fresh_round() -> tuple[Any, Any]:
    import secrets

    from grantpanel.extensions import db
    from grantpanel.models import Round, User

    staff = User(email=f"bench-{secrets.token_hex(4)}@example.org", name="Bench", role="staff",
                 session_nonce=secrets.token_hex(16))
    rnd = Round(name="Benchmark round", budget=10**12, state="open",
                tie_break=["smaller_amount", "draw"])
    db.session.add_all([staff, rnd])
    db.session.commit()
    return rnd, staff


def _default_importer(rnd: Any, staff: Any, fh: BinaryIO) -> Any:
    from grantpanel.services.applications import import_csv

    return import_csv(rnd, staff, fh)


def time_import(path: Path, importer: Importer, *, trace: bool) -> tuple[float, float | None, int]:
    """Import ``path`` into a fresh round and commit; (seconds, traced peak MB, rows stored)."""
    from sqlalchemy import func, select

    from grantpanel.extensions import db
    from grantpanel.models import Application

    rnd, staff = _fresh_round()
    round_id = rnd.id
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        with path.open("rb") as fh:
            importer(rnd, staff, fh)
        db.session.commit()
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    finally:
        if trace:
            tracemalloc.stop()
    db.session.expunge_all()
    stored = db.session.scalar(
        select(func.count(Application.id)).where(Application.round_id == round_id)
    ) or 0
    return seconds, peak, stored


def bench_imports(
    database_url: str | None = None,
    *,
    sizes: tuple[int, ...] = (10_000, 100_000),
    importer: Importer | None = None,
    references: bool = False,
    trace: bool = True,
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr, flush=True),
) -> list[ImportRow]:
    """Time importing each size of file (all references empty); one row per size."""
    importer = importer or _default_importer
    database = "postgresql" if database_url else "sqlite"
    rows: list[ImportRow] = []
    with tempfile.TemporaryDirectory() as folder, scratch_app(database_url):
        for n in sizes:
            path = Path(folder) / f"applications-{n}.csv"
            size = write_csv(path, n, references=references)
            row = ImportRow(database, n, round(size / 2**20, 1))
            if n >= 100_000:
                row.target = f"traced peak < {TARGET_PEAK_MB_100K:.0f} MB"
            elif n >= 10_000:
                row.target = f"< {TARGET_SECONDS_10K:.0f} s"
            try:
                log(f"imports: {n:,} rows into {database} (timing) ...")
                seconds, _, stored = time_import(path, importer, trace=False)
                peak = None
                if trace:
                    log(f"imports: {n:,} rows into {database} (memory) ...")
                    _, peak, _ = time_import(path, importer, trace=True)
            except Exception as e:  # report, do not hide the other sizes
                row.note = f"benchmark error: {type(e).__name__}: {str(e)[:200]}"
                rows.append(row)
                continue
            row.seconds = round(seconds, 3)
            row.peak_mb = None if peak is None else round(peak, 1)
            if references:
                row.note = "every row has its own reference"
            row.rows_per_s = round(n / seconds)
            if stored != n:
                row.note = f"only {stored:,} of {n:,} rows were stored"
            if n >= 100_000:
                row.passed = stored == n and (peak or 0.0) < TARGET_PEAK_MB_100K
            elif n >= 10_000:
                row.passed = stored == n and seconds < TARGET_SECONDS_10K
            rows.append(row)
    return rows


def table(rows: list[ImportRow]) -> str:
    head = ["database", "rows", "file MB", "seconds", "rows/s", "peak MB", "target", "pass",
            "notes"]
    body = [
        [r.database, f"{r.rows:,}", f"{r.file_mb}", "-" if r.seconds is None else f"{r.seconds}",
         "-" if r.rows_per_s is None else f"{r.rows_per_s:,}",
         "-" if r.peak_mb is None else f"{r.peak_mb}", r.target or "-",
         "-" if r.passed is None else ("pass" if r.passed else "FAIL"), r.note]
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))
              for row in body]
    return "\n".join(lines)


def run_section(*, quick: bool = False, postgres_url: str | None = None) -> dict[str, Any]:
    """The "imports" section of ``make bench``: SQLite always, PostgreSQL when a URL is given."""
    sizes = (1_000, 10_000) if quick else (10_000, 100_000)
    rows = bench_imports(None, sizes=sizes)
    if postgres_url:
        rows += bench_imports(postgres_url, sizes=sizes)
    return {
        "targets": {"seconds_10k": TARGET_SECONDS_10K, "peak_mb_100k": TARGET_PEAK_MB_100K},
        "rows": [asdict(r) for r in rows],
        "table": table(rows),
        "passed": all(
            r.passed is not False and not r.note.startswith("benchmark error") for r in rows
        ),
    }


def postgres_url(args: list[str]) -> str | None:
    """``DATABASE_URL`` when it names PostgreSQL or ``--postgres`` is among ``args``."""
    url = os.environ.get("DATABASE_URL", "").strip()
    return url if url and (url.startswith("postgres") or "--postgres" in args) else None


def section(*, quick: bool = False, postgres: str | None = None) -> int:
    """Run, print the table, write ``results/imports-latest.json`` (``imports-quick.json``
    with ``quick``); 0 when every target is met."""
    import json

    result = run_section(quick=quick, postgres_url=postgres)
    print("\nCSV import of applications (benchmarks/imports.py)")
    print(result["table"])
    if not postgres:
        print("(PostgreSQL not measured: set DATABASE_URL to a PostgreSQL database to add it.)")
    out = Path(__file__).parent / "results" / ("imports-quick.json" if quick
                                               else "imports-latest.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    body = {k: v for k, v in result.items() if k != "table"}
    body["generated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    out.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return 0 if result["passed"] else 1


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--postgres" in args and not os.environ.get("DATABASE_URL", "").strip():
        print("--postgres needs DATABASE_URL set to a PostgreSQL database.", file=sys.stderr)
        return 2
    return section(quick="--quick" in args, postgres=postgres_url(args))


if __name__ == "__main__":
    raise SystemExit(main())
