"""Helpers for the staff tests: post a form with a real CSRF token, as a browser would."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

_TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, page: str = "/staff/") -> str:
    """The CSRF token from a page's form (any form on any page works for the session)."""
    html = client.get(page).get_data(as_text=True)
    match = _TOKEN_RE.search(html)
    assert match, f"no CSRF token on {page}"
    return match.group(1)


def post_form(
    client: FlaskClient,
    url: str,
    data: dict[str, Any] | None = None,
    *,
    page: str | None = None,
    **kwargs: Any,
) -> TestResponse:
    """GET ``page`` (default: ``url``) for a CSRF token, then POST ``data`` to ``url``."""
    token = csrf_token(client, page or url)
    return client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)


def text(resp: TestResponse) -> str:
    return resp.get_data(as_text=True)
