"""The Alembic migrations build exactly the schema the models declare."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, make_url, text

from config import TestingConfig, normalise_database_url
from grantpanel import create_app
from grantpanel.extensions import db


@pytest.fixture()
def fresh_url(tmp_path) -> Iterator[str]:
    """An empty database of the kind under test (a scratch database on PostgreSQL)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    base = make_url(normalise_database_url(url))
    name = f"gp_migrations_{secrets.token_hex(4)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_match_models_and_downgrade_cleanly(fresh_url: str) -> None:
    app = create_app(TestingConfig(fresh_url))
    with app.app_context():
        upgrade()
        engine = create_engine(fresh_url)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        downgrade(revision="base")
        names = set(inspect(engine).get_table_names())
        assert names <= {"alembic_version"}
        engine.dispose()
        db.engine.dispose()
