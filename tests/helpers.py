"""Small helpers for client tests: read a form's CSRF token, post a form with it; a scratch
PostgreSQL database for tests that need one of their own."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url
from sqlalchemy import text as sql
from werkzeug.test import TestResponse

from config import normalise_database_url

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(client: FlaskClient, url: str = "/staff/") -> str:
    """GET ``url`` and return the CSRF token of its first form (any form works for a session)."""
    html = client.get(url).get_data(as_text=True)
    m = _TOKEN.search(html)
    if m is None:
        raise AssertionError(f"no CSRF token on {url}")
    return m.group(1) or m.group(2)


def post_form(
    client: FlaskClient, url: str, data: dict[str, Any] | None = None, *,
    page: str | None = None, **kwargs: Any,
) -> TestResponse:
    """GET ``page`` (default: ``url``) for a CSRF token, then POST ``data`` to ``url``."""
    token = csrf_token(client, page or url)
    return client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)


def text(resp: TestResponse) -> str:
    return resp.get_data(as_text=True)


def submit(
    client: FlaskClient, url: str, data: dict[str, Any] | None = None, *,
    form_url: str | None = None, follow_redirects: bool = False, **kwargs: Any,
) -> TestResponse:
    """POST ``data`` to ``url`` with a valid CSRF token read from ``form_url`` (default url)."""
    payload = dict(data or {})
    payload["csrf_token"] = csrf_token(client, form_url or url)
    return client.post(url, data=payload, follow_redirects=follow_redirects, **kwargs)


_DIGEST = re.compile(r'name="count_digest" value="([^"]+)"')


def count_digest(client: FlaskClient, round_id: int) -> str:
    """The digest of the stored count the count page shows (what Confirm confirms)."""
    html = client.get(f"/staff/rounds/{round_id}/count").get_data(as_text=True)
    m = _DIGEST.search(html)
    if m is None:
        raise AssertionError("the count page has no stored count to confirm")
    return m.group(1)


def run_count(client: FlaskClient, round_id: int) -> TestResponse:
    """Press "Run the count" on the count page."""
    url = f"/staff/rounds/{round_id}/count"
    return post_form(client, f"{url}/run", page=url)


def confirm_count(client: FlaskClient, round_id: int,
                  changes: dict[str, tuple[str, str]] | None = None) -> TestResponse:
    """Run the count, save ``changes`` ({reference: (action, reason)}) one application at a
    time, then confirm the count as shown. Returns the confirm response."""
    url = f"/staff/rounds/{round_id}/count"
    resp = run_count(client, round_id)
    if resp.status_code != 302:
        return resp
    for reference, (action, reason) in (changes or {}).items():
        change = f"{url}/applications/{reference}"
        saved = post_form(client, change, {"action": action, "reason": reason})
        if saved.status_code != 302:
            return saved
    return post_form(client, url, {"count_digest": count_digest(client, round_id)})


@contextmanager
def scratch_postgres_database(url: str, prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server ``url`` names, dropped afterwards.

    Yields its URL. For tests that need a database of their own (migrations, restores).
    """
    base = make_url(normalise_database_url(url))
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sql(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
