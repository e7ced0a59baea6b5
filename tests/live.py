"""A real HTTP server for tests that need concurrent requests (races, fuzzing, API checks).

``live_server`` serves the test app (the same factory, the same database as the ``app``
fixture) from a threaded Werkzeug server on a free loopback port, in a background thread.
Each request runs in its own thread with its own app context and database session, exactly
as under a real WSGI server, so two requests really race against the database.

Use ``requests`` (or ``urllib``) against ``live_server.url``; sign in through the real
sign-in form (see :func:`signed_in_session`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from grantpanel.extensions import limiter


@dataclass
class LiveServer:
    app: Flask
    url: str  # e.g. "http://127.0.0.1:54321" (no trailing slash)


@pytest.fixture()
def live_server(app: Flask) -> Iterator[LiveServer]:
    """Serve ``app`` on 127.0.0.1 in a background thread until the test ends."""
    # Flask-Limiter reads RATELIMIT_ENABLED only at init_app: switch the one limiter off here.
    was_enabled = limiter.enabled
    limiter.enabled = False
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        limiter.enabled = was_enabled


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    m = _CSRF.search(html)
    if m is None:
        raise AssertionError("no CSRF token on the page")
    return m.group(1)


def signed_in_session(server: LiveServer, email: str, password: str) -> requests.Session:
    """A ``requests`` session signed in through the real sign-in form."""
    s = requests.Session()
    page = s.get(f"{server.url}/sign-in", timeout=30)
    resp = s.post(
        f"{server.url}/sign-in",
        data={"csrf_token": csrf_token(page.text), "email": email, "password": password},
        allow_redirects=False,
        timeout=30,
    )
    if resp.status_code not in (302, 303):
        raise AssertionError(f"sign-in as {email} failed: {resp.status_code}")
    return s
