from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from grantpanel import create_app


def test_factory_builds_app_from_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("GRANTPANEL_INSTANCE", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    import importlib

    import config

    importlib.reload(config)
    try:
        app = config.Config()
        assert (tmp_path / "secret_key").read_text().strip() == app.SECRET_KEY
        assert app.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_production_refuses_to_start_without_secret_key(monkeypatch) -> None:
    import pytest

    import config

    monkeypatch.setenv("GRANTPANEL_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        create_app()


def test_blueprints_are_named_by_audience(app: Flask) -> None:
    assert {"auth", "staff", "panel", "public", "api"} <= set(app.blueprints)


def test_every_page_sends_security_headers(client: FlaskClient) -> None:
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
