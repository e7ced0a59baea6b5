"""Compression and static caching (grantpanel/delivery.py)."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable

from flask.testing import FlaskClient

from grantpanel.models import User
from tests.builders import make_user


def _css_url(client: FlaskClient) -> str:
    page = client.get("/").get_data(as_text=True)
    match = re.search(r'href="(/static/app\.css\?v=[0-9a-f]{12})"', page)
    assert match, "the page links the stylesheet by a versioned address"
    return match.group(1)


def test_versioned_static_file_is_cached_for_a_year(client: FlaskClient) -> None:
    with client.get(_css_url(client)) as response:
        assert response.status_code == 200
        assert response.cache_control.max_age == 31_536_000
        assert response.cache_control.immutable
        assert response.cache_control.public


def test_a_stale_or_missing_version_is_not_cached_for_long(client: FlaskClient) -> None:
    for url in ("/static/app.css", "/static/app.css?v=000000000000"):
        with client.get(url) as response:
            assert response.status_code == 200
            assert response.cache_control.max_age != 31_536_000


def test_public_page_and_css_are_compressed(client: FlaskClient) -> None:
    headers = {"Accept-Encoding": "gzip"}
    with client.get(_css_url(client), headers=headers) as css:
        assert css.headers.get("Content-Encoding") == "gzip"
        assert b"{" in gzip.decompress(css.get_data())
    page = client.get("/how-decisions-are-made", headers=headers)
    assert page.headers.get("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in page.headers.get("Vary", "")
    assert b"<html" in gzip.decompress(page.get_data())


def test_signed_in_pages_are_not_compressed(
    client: FlaskClient, login_as: Callable[[User], FlaskClient]
) -> None:
    """Pages with a CSRF token and personal data are not compressed (BREACH)."""
    login_as(make_user(role="staff"))
    page = client.get("/staff/", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200
    assert "Content-Encoding" not in page.headers


def test_no_compression_without_accept_encoding(client: FlaskClient) -> None:
    page = client.get("/how-decisions-are-made")
    assert "Content-Encoding" not in page.headers
