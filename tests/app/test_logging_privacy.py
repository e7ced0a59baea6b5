"""Logs hold no personal data and no tokens: database errors, failed sign-ins, invitation links
in Werkzeug's request log and in gunicorn's access log (served for real, with our
``gunicorn.conf.py``). (ASVS 5.0 V16.2.5, V16.3.1, V14.2.1, V13.4.x; see docs/security.md.)
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from grantpanel.extensions import db
from grantpanel.models import User
from grantpanel.services import accounts
from tests.builders import make_round, make_user
from tests.helpers import submit
from tests.live import LiveServer, live_server  # noqa: F401
from tests.live import csrf_token as page_csrf_token

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def _all_log_text(caplog: pytest.LogCaptureFixture) -> str:
    """Every record the server side logged, as a handler would write it, tracebacks included
    (the test's own HTTP client, urllib3, is not the server and is left out)."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(
        formatter.format(r) for r in caplog.records if not r.name.startswith("urllib3")
    )


# --- database errors -----------------------------------------------------------------------------

def test_a_database_error_never_logs_the_values_it_was_saving(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    make_user(role="panel", email="taken@example.org")
    db.session.commit()

    @app.route("/_test/save-a-duplicate")
    def save_a_duplicate() -> str:
        db.session.add(User(
            email="taken@example.org", name="Alex Private", role="panel",
            session_nonce="n", phone="07700 900123", access_needs="Needs step-free access",
        ))
        db.session.flush()  # unique email: the database refuses the row
        return "not reached"

    caplog.set_level(logging.DEBUG)
    resp = client.get("/_test/save-a-duplicate")

    assert resp.status_code == 500
    logged = _all_log_text(caplog)
    assert "IntegrityError" in logged  # the error itself is logged, with its statement...
    assert "SQL parameters hidden" in logged  # ...but not the values
    for private in ["taken@example.org", "Alex Private", "07700 900123", "step-free"]:
        assert private not in logged, private


def test_the_engine_hides_sql_parameters(app: Flask) -> None:
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True
    assert db.engine.hide_parameters is True


# --- failed sign-ins -------------------------------------------------------------------------------

def test_a_failed_sign_in_is_logged_with_a_keyed_account_tag_only(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    make_user(role="staff", email="grants@example.org")
    db.session.commit()
    caplog.set_level(logging.DEBUG)

    submit(client, "/sign-in", {"email": "Grants@Example.org", "password": "my secret guess"},
           environ_base={"REMOTE_ADDR": "198.51.100.23"})
    submit(client, "/sign-in", {"email": "nobody@example.org", "password": "another guess"},
           environ_base={"REMOTE_ADDR": "198.51.100.23"})

    events = [r for r in caplog.records if r.name == "grantpanel.auth"]
    assert [r.getMessage() for r in events] == [
        f"sign_in.failed account={accounts.account_tag('grants@example.org')}",
        f"sign_in.failed account={accounts.account_tag('nobody@example.org')}",
    ]
    assert all(r.levelno == logging.WARNING for r in events)
    logged = _all_log_text(caplog)
    for private in ["grants@example.org", "Grants@Example.org", "nobody@example.org",
                    "my secret guess", "another guess", "198.51.100.23"]:
        assert private not in logged, private


def test_the_account_tag_is_keyed_by_the_secret_key(app: Flask) -> None:
    tag = accounts.account_tag(" Grants@Example.org")
    assert tag == accounts.account_tag("grants@example.org")
    assert len(tag) == 16
    app.config["SECRET_KEY"] = "another key"
    assert accounts.account_tag("grants@example.org") != tag


# --- invitation tokens -------------------------------------------------------------------------------

def test_invitation_tokens_never_reach_the_request_log(
    live_server: LiveServer,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    member = make_user(role="panel", password=None)
    token = accounts.create_invitation(member, round_id=make_round().id, actor=None)
    db.session.commit()
    caplog.set_level(logging.DEBUG)

    browser = requests.Session()
    url = f"{live_server.url}/invitation/{token}"
    page = browser.get(url, timeout=30)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    resp = browser.post(url, data={"csrf_token": page_csrf_token(page.text)},
                        allow_redirects=False, timeout=30)
    assert resp.status_code == 302
    browser.get(f"{live_server.url}/invitation/{token}x", timeout=30)  # a mistyped link

    logged = _all_log_text(caplog)
    assert logged.count("/invitation/[redacted]") >= 3
    assert token not in logged


@contextmanager
def gunicorn(database_url: str, tmp_path: Path, **env: str) -> Iterator[tuple[str, Path]]:
    """Serve the app with gunicorn and ``gunicorn.conf.py`` (1 worker) on a free port; yield
    its base URL and the access log file."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp_path.mkdir(parents=True, exist_ok=True)
    access_log = tmp_path / f"access-{port}.log"
    environ = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "GRANTPANEL_ENV": "development",
        "GRANTPANEL_INSTANCE": str(tmp_path),
        **env,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "--access-logfile", str(access_log),
         "grantpanel:create_app()"],
        cwd=PROJECT_ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                raise AssertionError(f"gunicorn stopped while starting:\n{out}")
            try:
                requests.get(f"{url}/sign-in", timeout=15)
                break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not start within 30 s")
        yield url, access_log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def test_gunicorn_access_log_never_holds_an_invitation_token(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    token = "Tok3n-that-must-not-be-logged_0123456789"
    with gunicorn(database_url, tmp_path) as (url, access_log):
        page = requests.get(f"{url}/invitation/{token}", timeout=30)
        assert page.status_code == 200
        # the next request from that page names it as the referrer
        requests.get(f"{url}/static/style.css", timeout=30,
                     headers={"Referer": f"{url}/invitation/{token}"})
        requests.get(f"{url}/sign-in", timeout=30)
        for _ in range(100):  # gunicorn writes the line after the response
            if access_log.exists() and access_log.read_text().count("\n") >= 3:
                break
            time.sleep(0.05)
    logged = access_log.read_text()
    assert "GET /invitation/[redacted] HTTP/1.1" in logged
    assert f'"{url}/invitation/[redacted]"' in logged
    assert "GET /sign-in HTTP/1.1" in logged  # other lines are written as they were
    assert token not in logged
