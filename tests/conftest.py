"""Shared fixtures: a fresh database per test, the app from the real factory, role logins.

The suite runs on SQLite by default and on PostgreSQL when ``DATABASE_URL`` is set (CI does
both).  The schema is created once per session; each test starts with empty tables.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text

from config import TestingConfig, normalise_database_url
from grantpanel import create_app
from grantpanel.extensions import db, limiter
from grantpanel.models import User


def _test_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return normalise_database_url(url)
    path: Path = tmp_path_factory.mktemp("db") / "test.sqlite3"
    return f"sqlite:///{path}"


class FreshRequestClient(FlaskClient):
    """A test client whose every request starts with an empty ``flask.g``.

    Tests hold one app context (so they share ``db.session`` with the requests they make);
    ``g`` lives on that context, so without this the signed-in user and the CSRF token cached
    by one request would leak into the next, even into another client's.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            for name in list(vars(g)):
                delattr(g, name)
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _test_database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def _schema(database_url: str) -> Iterator[None]:
    app = create_app(TestingConfig(database_url))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def _empty_all_tables() -> None:
    db.session.rollback()
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for t in tables:
            db.session.execute(t.delete())
    db.session.commit()


@pytest.fixture()
def app(_schema: None, database_url: str) -> Iterator[Flask]:
    app = create_app(TestingConfig(database_url))
    app.test_client_class = FreshRequestClient
    with app.app_context():
        _empty_all_tables()
        limiter.reset()
        yield app
        db.session.remove()
        _empty_all_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture()
def login_as(client: FlaskClient) -> Callable[[User], FlaskClient]:
    """Sign ``user`` in on the test client (as Flask-Login would after a password check)."""

    def _login(user: User) -> FlaskClient:
        with client.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
        return client

    return _login
