"""The README's Redis setting works: two separately served copies of the app (two gunicorn
servers, as two workers would be) sharing one redis-server share one count of failed
sign-ins, per address and per account. Needs a real redis-server on 127.0.0.1:6379 (CI starts
one); skipped with a reason when none is reachable. (ASVS 5.0 V6.3.1; see docs/security.md.)
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests
from flask import Flask

from config import TestingConfig
from grantpanel import create_app
from grantpanel.extensions import db, limiter
from grantpanel.services import accounts
from tests.app.test_logging_privacy import gunicorn

REDIS_URI = "redis://127.0.0.1:6379/0"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _redis_or_skip() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URI, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as e:
        pytest.skip(f"no redis-server on 127.0.0.1:6379 ({e}); .ci/run starts one")
    return client


@pytest.fixture()
def key_prefix() -> Iterator[str]:
    """A prefix of our own for this test's counts; they are deleted afterwards."""
    client = _redis_or_skip()
    prefix = f"grantpanel-test-{secrets.token_hex(4)}"
    yield prefix
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
    client.close()


class Browser:
    """A browser talking to one server; every server has the same SECRET_KEY."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        page = self.session.get(f"{url}/sign-in", timeout=30)
        m = _CSRF.search(page.text)
        assert m is not None
        self.token = m.group(1)

    def fail_sign_in(self, email: str, address: str) -> int:
        return self.session.post(
            f"{self.url}/sign-in",
            data={"email": email, "password": "wrong password", "csrf_token": self.token},
            headers={"X-Forwarded-For": address},  # the servers trust one proxy
            allow_redirects=False,
            timeout=30,
        ).status_code


def test_two_servers_sharing_redis_share_the_sign_in_counts(
    app: Flask, database_url: str, tmp_path: Path, key_prefix: str
) -> None:
    env = {"RATELIMIT_STORAGE_URI": REDIS_URI, "RATELIMIT_KEY_PREFIX": key_prefix,
           "TRUSTED_PROXY_COUNT": "1"}
    with gunicorn(database_url, tmp_path / "a", **env) as (url_a, _), \
            gunicorn(database_url, tmp_path / "b", **env) as (url_b, _):
        a, b = Browser(url_a), Browser(url_b)

        # per address: ten failures, five on each server, then the address is held back on both
        codes = [(a if i % 2 else b).fail_sign_in(f"person{i}@example.org", "203.0.113.5")
                 for i in range(10)]
        assert codes == [200] * 10
        assert a.fail_sign_in("person10@example.org", "203.0.113.5") == 429
        assert b.fail_sign_in("person11@example.org", "203.0.113.5") == 429

        # per account: ten failures from ten addresses split across the servers
        codes = [(a if i % 2 else b).fail_sign_in("target@example.org", f"198.51.100.{i}")
                 for i in range(10)]
        assert codes == [200] * 10
        assert a.fail_sign_in("Target@Example.org", "198.51.100.77") == 429
        assert b.fail_sign_in("someone.else@example.org", "198.51.100.78") == 200


def test_the_limiter_stores_counts_in_redis_without_emails(
    app: Flask, database_url: str
) -> None:
    client = _redis_or_skip()
    cfg = TestingConfig(database_url)
    cfg.RATELIMIT_STORAGE_URI = REDIS_URI
    served = create_app(cfg)
    email = f"private.person.{secrets.token_hex(4)}@example.org"
    try:
        browser = served.test_client()
        html = browser.get("/sign-in").get_data(as_text=True)
        m = _CSRF.search(html)
        assert m is not None
        resp = browser.post("/sign-in", data={"email": email, "password": "wrong password",
                                              "csrf_token": m.group(1)})
        assert resp.status_code == 200
        with served.test_request_context():
            tag = accounts.account_tag(email)
        keys = [k.decode() for k in client.scan_iter(f"*account:{tag}*")]
        assert keys  # the per-account count is in Redis, under the keyed tag...
        assert not list(client.scan_iter("*private.person*"))  # ...never under the email
        for k in keys:
            client.delete(k)
    finally:
        with served.app_context():
            db.session.remove()
            db.engine.dispose()
        limiter.init_app(app)  # give the test app its own store back
        client.close()
