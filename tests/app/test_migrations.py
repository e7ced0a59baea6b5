"""The Alembic migrations build exactly the schema the models declare."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from config import TestingConfig
from grantpanel import create_app
from grantpanel.extensions import db
from tests.helpers import scratch_postgres_database


@pytest.fixture()
def fresh_url(tmp_path) -> Iterator[str]:
    """An empty database of the kind under test (a scratch database on PostgreSQL)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    with scratch_postgres_database(url, "gp_migrations") as db_url:
        yield db_url


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
