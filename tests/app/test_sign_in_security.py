"""Sign-in hardening: safe ``next``, equal work for every email, throttling per account and per
address, real client addresses behind a proxy, single-use invitation links under a real race,
password change, HSTS. (ASVS 5.0 chapters V6, V7, V3, V12, V15; see docs/security.md.)
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
import requests
from argon2 import PasswordHasher, extract_parameters
from flask import Flask, request
from flask.testing import FlaskClient
from sqlalchemy import func, select

from config import Config, TestingConfig
from grantpanel import create_app
from grantpanel.auth import sessions
from grantpanel.auth.sessions import safe_next
from grantpanel.extensions import db, limiter
from grantpanel.models import AuditEvent, Invitation, User
from grantpanel.services import accounts
from tests.builders import make_round, make_user
from tests.helpers import csrf_token, submit
from tests.live import LiveServer, live_server  # noqa: F401
from tests.live import csrf_token as page_csrf_token

PASSWORD = "correct horse battery"


# --- safe next -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example/path",
        "/%0a/evil.example",
        "/%0d%0a/evil.example",
        "/\t/evil.example",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "/%5Cevil.example",
        "\\\\evil.example",
        "https://evil.example",
        "https:/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "%2F%2Fevil.example",
        "/%2F%2Fevil.example",
        "/%252F%252Fevil.example",
        "/ /evil.example",
        "/%20/evil.example",
        "/%00/evil.example",
        "/\x7f/evil.example",
        " /panel/",
        "",
    ],
)
def test_next_address_off_this_site_is_refused(target: str) -> None:
    assert safe_next(target) is None


@pytest.mark.parametrize(
    "target", ["/panel/", "/staff/rounds/3?tab=scores", "/panel/rounds/1/applications/2"]
)
def test_next_address_on_this_site_is_kept(target: str) -> None:
    assert safe_next(target) == target


def test_sign_in_with_a_hostile_next_lands_on_the_home_page(client: FlaskClient) -> None:
    make_user(role="staff", email="grants@example.org")
    db.session.commit()
    url = "/sign-in?next=/%09/evil.example/path"
    resp = submit(client, url, {"email": "grants@example.org", "password": PASSWORD})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/staff/"


def test_sign_in_with_a_next_on_this_site_goes_there(client: FlaskClient) -> None:
    make_user(role="staff", email="grants@example.org")
    db.session.commit()
    url = "/sign-in?next=/staff/rounds/new"
    resp = submit(client, url, {"email": "grants@example.org", "password": PASSWORD})
    assert resp.headers["Location"] == "/staff/rounds/new"


# --- equal work --------------------------------------------------------------------------------

@pytest.fixture()
def hasher_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Counts every Argon2 hash and verify made by any PasswordHasher."""
    calls: Counter[str] = Counter()
    real_hash, real_verify = PasswordHasher.hash, PasswordHasher.verify

    def counted_hash(self: PasswordHasher, password: str | bytes, **kw: object) -> str:
        calls["hash"] += 1
        return real_hash(self, password, **kw)  # type: ignore[arg-type]

    def counted_verify(self: PasswordHasher, h: str | bytes, password: str | bytes) -> bool:
        calls["verify"] += 1
        return real_verify(self, h, password)

    monkeypatch.setattr(PasswordHasher, "hash", counted_hash)
    monkeypatch.setattr(PasswordHasher, "verify", counted_verify)
    yield calls


def _failed_sign_in(client: FlaskClient, email: str) -> None:
    resp = submit(client, "/sign-in", {"email": email, "password": "not the password"})
    assert "The email address or password is not right" in resp.get_data(as_text=True)


def test_known_and_unknown_emails_cost_exactly_one_password_check(
    client: FlaskClient, hasher_calls: Counter[str]
) -> None:
    make_user(role="staff", email="known@example.org")
    make_user(role="panel", email="nopassword@example.org", password=None)
    db.session.commit()
    _failed_sign_in(client, "someone@example.org")  # warms the dummy hash for this setting
    for email in ["known@example.org", "nobody@example.org", "nopassword@example.org"]:
        hasher_calls.clear()
        _failed_sign_in(client, email)
        assert hasher_calls == Counter(verify=1), email


def test_the_dummy_hash_is_made_once_per_hasher_setting(
    app: Flask, hasher_calls: Counter[str]
) -> None:
    accounts._dummy_hash.cache_clear()
    for _ in range(3):
        assert accounts.check_password(None, "anything at all") is False
    assert hasher_calls == Counter(hash=1, verify=3)


def test_the_dummy_hash_costs_the_same_as_a_real_one(app: Flask) -> None:
    user = make_user(role="staff")
    ph = accounts._hasher()
    dummy = accounts._dummy_hash(ph.time_cost, ph.memory_cost, ph.parallelism)
    assert user.password_hash is not None
    assert extract_parameters(dummy) == extract_parameters(user.password_hash)


def test_a_user_without_a_password_cannot_sign_in_with_any_password(app: Flask) -> None:
    user = make_user(role="panel", password=None)
    assert accounts.check_password(user, "") is False
    assert accounts.check_password(user, PASSWORD) is False


# --- throttling --------------------------------------------------------------------------------

def _attempt(client: FlaskClient, token: str, email: str, address: str,
             password: str = "wrong password") -> int:
    return client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    ).status_code


def test_one_account_is_throttled_whatever_the_address(client: FlaskClient) -> None:
    token = csrf_token(client, "/sign-in")
    codes = [_attempt(client, token, "Target@Example.org", f"198.51.100.{i}") for i in range(10)]
    assert codes == [200] * 10
    # the same account, normalised the same way, from yet another address
    assert _attempt(client, token, " target@example.org", "198.51.100.99") == 429
    # another account from a fresh address is not affected
    assert _attempt(client, token, "other@example.org", "198.51.100.98") == 200


def test_one_address_is_throttled_whatever_the_account(client: FlaskClient) -> None:
    token = csrf_token(client, "/sign-in")
    codes = [_attempt(client, token, f"person{i}@example.org", "203.0.113.7") for i in range(10)]
    assert codes == [200] * 10
    assert _attempt(client, token, "fresh@example.org", "203.0.113.7") == 429
    assert _attempt(client, token, "fresh@example.org", "203.0.113.8") == 200


def test_successful_sign_ins_from_one_address_do_not_use_up_the_limit(app: Flask) -> None:
    make_user(role="panel", email="member@example.org")
    db.session.commit()
    for _ in range(12):  # a whole panel signing in from one venue's network
        browser = app.test_client()
        token = csrf_token(browser, "/sign-in")
        assert _attempt(browser, token, "member@example.org", "192.0.2.1", PASSWORD) == 302


def test_invitation_posts_are_throttled_per_address(client: FlaskClient) -> None:
    token = csrf_token(client, "/sign-in")
    codes = [
        client.post(f"/invitation/guess-{i}", data={"csrf_token": token},
                    environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code
        for i in range(11)
    ]
    assert codes == [400] * 10 + [429]


def test_password_change_is_throttled_per_account(client: FlaskClient, login_as) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role="staff")
    db.session.commit()
    login_as(user)
    token = csrf_token(client, "/account/password")
    data = {"current_password": "not it at all", "password": "a brand new password",
            "confirm": "a brand new password", "csrf_token": token}
    codes = [client.post("/account/password", data=data).status_code for _ in range(11)]
    assert codes == [200] * 10 + [429]


# --- real client addresses behind a proxy -------------------------------------------------------

@pytest.fixture()
def app_with_proxies(database_url: str) -> Iterator[Callable[[int], Flask]]:
    """Builds the app with ``TRUSTED_PROXY_COUNT`` set, plus a page naming the client."""
    made: list[Flask] = []

    def build(count: int) -> Flask:
        cfg = TestingConfig(database_url)
        cfg.TRUSTED_PROXY_COUNT = count
        other = create_app(cfg)

        @other.route("/_test/who-am-i")
        def who_am_i() -> str:
            return f"{request.remote_addr} {request.scheme} {request.host}"

        made.append(other)
        return other

    yield build
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


FORWARDED = {"X-Forwarded-For": "203.0.113.50", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "grants.example.org"}


def test_with_one_trusted_proxy_the_forwarded_client_address_is_used(
    app: Flask, app_with_proxies: Callable[[int], Flask]
) -> None:
    behind = app_with_proxies(1).test_client()
    resp = behind.get("/_test/who-am-i", headers=FORWARDED,
                      environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert resp.get_data(as_text=True) == "203.0.113.50 https grants.example.org"


def test_without_trusted_proxies_forwarded_headers_are_ignored(
    app: Flask, app_with_proxies: Callable[[int], Flask]
) -> None:
    direct = app_with_proxies(0).test_client()
    resp = direct.get("/_test/who-am-i", headers=FORWARDED,
                      environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert resp.get_data(as_text=True) == "10.0.0.2 http localhost"


def test_behind_a_trusted_proxy_each_client_has_its_own_sign_in_limit(
    app: Flask, app_with_proxies: Callable[[int], Flask]
) -> None:
    behind = app_with_proxies(1).test_client()
    token = csrf_token(behind, "/sign-in")

    def attempt(client_address: str, n: int) -> int:
        return behind.post(
            "/sign-in",
            data={"email": f"p{n}@example.org", "password": "wrong password", "csrf_token": token},
            headers={"X-Forwarded-For": client_address},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},  # the proxy: the same for everyone
        ).status_code

    assert [attempt("203.0.113.1", n) for n in range(10)] == [200] * 10
    assert attempt("203.0.113.1", 10) == 429
    assert attempt("203.0.113.2", 11) == 200  # a neighbour behind the same proxy


def test_trusted_proxy_count_must_be_a_whole_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTED_PROXY_COUNT", "one")
    with pytest.raises(Exception, match="TRUSTED_PROXY_COUNT"):
        Config()


# --- HSTS --------------------------------------------------------------------------------------

def test_hsts_is_sent_in_production(monkeypatch: pytest.MonkeyPatch, app: Flask) -> None:
    monkeypatch.setenv("GRANTPANEL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a production secret for this test only")
    monkeypatch.delenv("HSTS", raising=False)
    assert Config().HSTS_ENABLED is True
    app.config["HSTS_ENABLED"] = True
    resp = app.test_client().get("/sign-in")
    assert resp.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_in_production_the_session_cookie_is_secure_and_host_only(
    monkeypatch: pytest.MonkeyPatch, app: Flask
) -> None:
    monkeypatch.setenv("GRANTPANEL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a production secret for this test only")
    cfg = Config()
    assert cfg.SESSION_COOKIE_NAME == "__Host-session"
    assert cfg.SESSION_COOKIE_SECURE and cfg.SESSION_COOKIE_HTTPONLY
    assert cfg.SESSION_COOKIE_SAMESITE == "Lax"


def test_hsts_is_not_sent_in_development(monkeypatch: pytest.MonkeyPatch, app: Flask) -> None:
    monkeypatch.delenv("GRANTPANEL_ENV", raising=False)
    monkeypatch.delenv("HSTS", raising=False)
    assert Config().HSTS_ENABLED is False
    assert "Strict-Transport-Security" not in app.test_client().get("/sign-in").headers


# --- password change -----------------------------------------------------------------------------

def _sign_in(app: Flask, email: str, password: str = PASSWORD) -> FlaskClient:
    browser = app.test_client()
    resp = submit(browser, "/sign-in", {"email": email, "password": password})
    assert resp.status_code == 302
    return browser


def _change(browser: FlaskClient, **data: str) -> str:
    data.setdefault("password", "a brand new password")
    data.setdefault("confirm", "a brand new password")
    resp = submit(browser, "/account/password", data)
    return resp.headers.get("Location") or resp.get_data(as_text=True)


def test_password_change_needs_the_current_password(app: Flask) -> None:
    make_user(role="staff", email="grants@example.org")
    db.session.commit()
    browser = _sign_in(app, "grants@example.org")
    assert "Your current password" in browser.get("/account/password").get_data(as_text=True)

    page = _change(browser, current_password="a wrong guess")
    assert "Your current password is not right" in page
    page = _change(browser)
    assert "Type the password you use to sign in now." in page

    user = accounts.find_user_by_email("grants@example.org")
    db.session.refresh(user)
    assert accounts.check_password(user, PASSWORD)


def test_password_change_signs_out_every_other_browser(app: Flask) -> None:
    make_user(role="staff", email="grants@example.org")
    db.session.commit()
    here = _sign_in(app, "grants@example.org")
    elsewhere = _sign_in(app, "grants@example.org")
    assert elsewhere.get("/staff/").status_code == 200

    assert _change(here, current_password=PASSWORD) == "/staff/"

    assert here.get("/staff/").status_code == 200  # this browser carries on
    assert elsewhere.get("/staff/").status_code == 302  # the other one is signed out
    db.session.expire_all()
    user = accounts.find_user_by_email("grants@example.org")
    assert accounts.check_password(user, "a brand new password")
    assert db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "user.password_set")
    ) == 1


def _invited(app: Flask, user: User) -> FlaskClient:
    token = accounts.create_invitation(user, round_id=make_round().id, actor=None)
    db.session.commit()
    browser = app.test_client()
    assert submit(browser, f"/invitation/{token}", {}).status_code == 302
    return browser


def test_member_who_came_by_invitation_without_a_password_sets_one_without_a_current_one(
    app: Flask,
) -> None:
    member = make_user(role="panel", email="member@example.org", password=None)
    browser = _invited(app, member)
    page = browser.get("/account/password").get_data(as_text=True)
    assert "Choose a password" in page and "Your current password" not in page
    assert _change(browser) == "/panel/"
    db.session.expire_all()
    assert accounts.check_password(accounts.find_user_by_email("member@example.org"),
                                   "a brand new password")


def test_a_long_passphrase_is_accepted(app: Flask) -> None:
    make_user(role="staff", email="grants@example.org")
    db.session.commit()
    browser = _sign_in(app, "grants@example.org")
    phrase = "the quick brown fox jumps over the lazy dog " * 2 + "and ten more chars"
    assert len(phrase) >= 100
    assert _change(browser, current_password=PASSWORD, password=phrase, confirm=phrase) == \
        "/staff/"
    assert _sign_in(app, "grants@example.org", phrase).get("/staff/").status_code == 200


def test_invitation_lets_a_member_replace_a_forgotten_password_for_15_minutes_only(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1_000_000.0]
    monkeypatch.setattr(sessions, "now", lambda: clock[0])
    member = make_user(role="panel", email="member@example.org")  # has a password
    browser = _invited(app, member)
    clock[0] += 16 * 60
    assert "Your current password" in browser.get("/account/password").get_data(as_text=True)
    clock[0] -= 2 * 60  # 14 minutes after using the link
    assert "Your current password" not in browser.get("/account/password").get_data(as_text=True)
    assert _change(browser) == "/panel/"


# --- invitation links are single-use under a real race ------------------------------------------

BROWSERS = 8
TRIALS = 3


def _race_one_link(server: LiveServer, token: str) -> list[int]:
    url = f"{server.url}/invitation/{token}"
    barrier = threading.Barrier(BROWSERS)
    codes: list[int] = []
    lock = threading.Lock()

    def browser() -> None:
        s = requests.Session()
        form_token = page_csrf_token(s.get(url, timeout=30).text)
        barrier.wait(timeout=30)
        resp = s.post(url, data={"csrf_token": form_token}, allow_redirects=False, timeout=60)
        with lock:
            codes.append(resp.status_code)

    threads = [threading.Thread(target=browser) for _ in range(BROWSERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return codes


def test_browsers_using_one_invitation_link_at_once_let_exactly_one_in(
    live_server: LiveServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The limiter reads RATELIMIT_ENABLED only when bound to an app; switch it off directly,
    # or the losers' failed attempts would soon be answered 429 instead of racing.
    monkeypatch.setattr(limiter, "enabled", False)
    rnd = make_round()
    for _ in range(TRIALS):
        member = make_user(role="panel", password=None)
        token = accounts.create_invitation(member, round_id=rnd.id, actor=None)
        db.session.commit()

        codes = _race_one_link(live_server, token)

        assert sorted(codes) == [302] + [400] * (BROWSERS - 1)
    db.session.expire_all()
    used = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "invitation.used")
    )
    assert used == TRIALS
    assert db.session.scalar(
        select(func.count()).select_from(Invitation).where(Invitation.used_at.is_(None))
    ) == 0
