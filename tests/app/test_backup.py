"""Backup and restore: the whole database to one portable file and back, on either database.

The round trip SQLite -> file -> PostgreSQL -> file -> SQLite must give the same rows in every
table (so each direction is lossless), a published record that still verifies, and sign-ins
that still work.  PostgreSQL legs use scratch databases created and dropped here; they run
when ``DATABASE_URL`` names a PostgreSQL server.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import Column, MetaData, String, Table, make_url, select, text

import voting
from config import TestingConfig, normalise_database_url
from grantpanel import create_app
from grantpanel.demo import STAFF_EMAIL, STAFF_PASSWORD, load_demo
from grantpanel.extensions import db
from grantpanel.models import AuditEvent, PublishedRecord, User
from grantpanel.services import accounts, backup
from tests.helpers import post_form, scratch_postgres_database


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    """A scratch PostgreSQL database, dropped afterwards (skips without PostgreSQL)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url.startswith(("postgres://", "postgresql")):
        pytest.skip("the PostgreSQL leg needs DATABASE_URL to name a PostgreSQL server")
    with scratch_postgres_database(url, make_url(normalise_database_url(url)).database or "gp") as db_url:
        yield db_url


def _app(url: str) -> Flask:
    return create_app(TestingConfig(url))


def _cli(app: Flask, *args: str) -> Result:
    """Run a ``grantpanel`` command against ``app`` (no other app context may be active)."""
    result = app.test_cli_runner().invoke(args=list(args))
    with app.app_context():
        db.engine.dispose()
    return result


def _demo_database(url: str, *, stamp: str | None = None) -> Flask:
    """A database with the demo in it (schema from the models), optionally stamped with an
    Alembic revision as ``grantpanel init-db`` would."""
    app = _app(url)
    with app.app_context():
        db.create_all()
        list(load_demo())
        if stamp:
            version = Table("alembic_version", MetaData(),
                            Column("version_num", String(32), primary_key=True))
            with db.engine.begin() as conn:
                version.create(conn)
                conn.execute(version.insert().values(version_num=stamp))
        db.session.remove()
        db.engine.dispose()
    return app


def _content(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """A backup's table listing and its data lines (what must survive every round trip)."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        header = json.loads(f.readline())
        return header["tables"], f.read().splitlines()


def _check_restored(app: Flask) -> None:
    """The restored database verifies its record, lets the demo staff sign in, and hands out
    fresh ids (sequences reset)."""
    with app.app_context():
        for pr in db.session.scalars(select(PublishedRecord)):
            report = voting.verify_record(json.loads(pr.body))
            assert report.ok, (report.mismatch, report.message)
        client = app.test_client()
        resp = post_form(client, "/sign-in", {"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/staff/")
        assert client.get("/staff/").status_code == 200
        newest = db.session.scalar(select(User.id).order_by(User.id.desc()).limit(1))
        user = accounts.create_user(email="new.person@example.org", name="New Person",
                                    role="panel")
        db.session.commit()
        assert user.id > newest
        db.session.remove()
        db.engine.dispose()


def test_a_backup_round_trips_sqlite_to_postgresql_and_back_with_every_table_equal(
    tmp_path: Path, postgres_url: str
) -> None:
    source = _demo_database(f"sqlite:///{tmp_path / 'source.sqlite3'}")
    first, second, third = (tmp_path / f"{n}.jsonl.gz" for n in ("one", "two", "three"))
    assert _cli(source, "backup", str(first)).exit_code == 0

    pg = _app(postgres_url)
    restored = _cli(pg, "restore", str(first))
    assert restored.exit_code == 0, restored.output
    assert _cli(pg, "backup", str(second)).exit_code == 0

    back = _app(f"sqlite:///{tmp_path / 'back.sqlite3'}")
    assert _cli(back, "restore", str(second)).exit_code == 0
    assert _cli(back, "backup", str(third)).exit_code == 0

    tables, rows = _content(first)
    assert {t["name"] for t in tables} == {t.name for t in db.metadata.sorted_tables}
    assert sum(t["rows"] for t in tables) == len(rows) - len(tables) - 1 > 300
    assert _content(second) == (tables, rows)
    assert _content(third) == (tables, rows)
    _check_restored(pg)
    _check_restored(back)


def test_a_sqlite_backup_restores_into_a_fresh_sqlite_database_with_its_revision(
    tmp_path: Path,
) -> None:
    head = backup.code_revision()
    source = _demo_database(f"sqlite:///{tmp_path / 'source.sqlite3'}", stamp=head)
    path = tmp_path / "backup.jsonl.gz"
    made = _cli(source, "backup", str(path))
    assert made.exit_code == 0 and "keep it somewhere safe" in made.output
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        header = json.loads(f.readline())
    assert header["format"] == "grantpanel-backup" and header["alembic_revision"] == head

    target = _app(f"sqlite:///{tmp_path / 'target.sqlite3'}")
    result = _cli(target, "restore", str(path))
    assert result.exit_code == 0, result.output
    again = tmp_path / "again.jsonl.gz"
    assert _cli(target, "backup", str(again)).exit_code == 0
    assert _content(again) == _content(path)
    with target.app_context():
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() \
            == head
        db.session.remove()
        db.engine.dispose()
    _check_restored(target)


def test_restore_refuses_a_database_with_data_unless_forced(tmp_path: Path) -> None:
    source = _demo_database(f"sqlite:///{tmp_path / 'source.sqlite3'}")
    path = tmp_path / "backup.jsonl.gz"
    assert _cli(source, "backup", str(path)).exit_code == 0
    with source.app_context():
        accounts.create_user(email="late@example.org", name="Late Person", role="panel")
        db.session.commit()
        events = db.session.query(AuditEvent).count()
        db.session.remove()

    refused = _cli(source, "restore", str(path))
    assert refused.exit_code != 0
    assert "not empty" in refused.output and "--force" in refused.output
    with source.app_context():
        assert accounts.find_user_by_email("late@example.org") is not None
        db.session.remove()

    forced = _cli(source, "restore", "--force", str(path))
    assert forced.exit_code == 0, forced.output
    assert "Deleted the" in forced.output
    with source.app_context():
        assert accounts.find_user_by_email("late@example.org") is None
        assert db.session.query(AuditEvent).count() == events - 1
        db.session.remove()
        db.engine.dispose()


def test_a_cut_short_or_foreign_file_is_refused_and_nothing_is_loaded(tmp_path: Path) -> None:
    source = _demo_database(f"sqlite:///{tmp_path / 'source.sqlite3'}")
    path = tmp_path / "backup.jsonl.gz"
    assert _cli(source, "backup", str(path)).exit_code == 0
    with gzip.open(path, "rt", encoding="utf-8") as f:
        lines = f.read().splitlines(keepends=True)
    cut = tmp_path / "cut.jsonl.gz"
    with gzip.open(cut, "wt", encoding="utf-8") as f:
        f.writelines(lines[: len(lines) // 2])
    foreign = tmp_path / "foreign.jsonl.gz"
    with gzip.open(foreign, "wt", encoding="utf-8") as f:
        f.write('{"hello": "world"}\n')
    plain = tmp_path / "plain.txt"
    plain.write_text("not a backup", encoding="utf-8")

    target = _app(f"sqlite:///{tmp_path / 'target.sqlite3'}")
    for bad, says in ((cut, "cut short"), (foreign, "not a grantpanel backup"),
                      (plain, "could not be read")):
        result = _cli(target, "restore", str(bad))
        assert result.exit_code != 0 and says in result.output, result.output
        assert "Nothing was changed" in result.output
    with target.app_context():
        assert db.session.query(User).count() == 0
        db.session.remove()
        db.engine.dispose()
