"""Browser tests: Debian's Chromium driven by Playwright, against a live server thread.

Never ``playwright install``: the browser is the system's ``chromium``.  The live server
runs the real app factory on a free port, on the same database as the rest of the suite.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from config import TestingConfig
from grantpanel import create_app
from grantpanel.extensions import db, limiter
from tests.conftest import _empty_all_tables

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
WIDTHS = (360, 1280)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch the system Chromium with the flags this machine needs (no downloads)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("Debian's chromium is not installed: run `apt-get install chromium`.")
    return {**browser_type_launch_args, "executable_path": path, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # axe-core is injected through Playwright's evaluate; let it run under our strict CSP.
    return {**browser_context_args, "bypass_csp": True, "viewport": {"width": 1280, "height": 900}}


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture()
def live_server(_schema: None, database_url: str) -> Iterator[LiveServer]:
    app = create_app(TestingConfig(database_url))
    app.config["SIGN_IN_RATE_LIMIT"] = "1000 per minute"
    with app.app_context():
        _empty_all_tables()
        limiter.reset()
    server = LiveServer(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        with app.app_context():
            db.session.remove()
            _empty_all_tables()
            db.session.remove()
            db.engine.dispose()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page; return WCAG 2.2 A/AA violations (empty list when clean)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS},
                       "resultTypes": ["violations"]}
    )
    return list(results.response["violations"])


STATIC = Path(__file__).resolve().parents[2] / "grantpanel" / "static"


def _serve_static_from_disk(route: Any) -> None:
    """Answer a twin page's request for a static file from the source tree; refuse the rest."""
    path = urlsplit(route.request.url).path
    name = path.removeprefix("/static/")
    file = (STATIC / name).resolve()
    if path.startswith("/static/") and file.is_file() and STATIC in file.parents:
        types = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
        route.fulfill(body=file.read_bytes(), content_type=types.get(file.suffix, "application/octet-stream"))
    else:
        route.abort()


def check_accessibility(page: Any, *, javascript: bool = True) -> None:
    """Assert no WCAG 2.2 A/AA violation at 360 px and 1280 px wide, then restore the width.

    axe is a script, so a page in a context with JavaScript switched off
    (``javascript=False``) is scanned as a twin: its exact HTML, with its stylesheets, loaded
    into a fresh page of a JavaScript-enabled context (a page shown after a POST cannot be
    fetched again, so its HTML is copied, not its address)."""
    if not javascript:
        html = page.content()
        base = f'<base href="{page.url}">'
        html = html.replace("<head>", "<head>" + base, 1) if "<head>" in html else base + html
        context = page.context.browser.new_context(viewport=page.viewport_size)
        context.route("**/*", _serve_static_from_disk)  # the twin never calls the server
        try:
            twin = context.new_page()
            twin.set_content(html, wait_until="load")
            check_accessibility(twin)
        finally:
            context.close()
        return
    original = page.viewport_size
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for v in axe_violations(page):
            nodes = "; ".join(n.get("target", [""])[0] if n.get("target") else "" for n in v["nodes"][:3])
            problems.append(f"{page.url} at {width}px: {v['id']} ({v['impact']}): {v['help']} [{nodes}]")
    if original:
        page.set_viewport_size(original)
    assert not problems, "Accessibility violations:\n" + "\n".join(problems)
