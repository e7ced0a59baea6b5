"""Sessions: a new session at sign-in, idle and absolute timeouts that never cost a member
their work. The clock is ``grantpanel.auth.sessions.now``, replaced here (nothing sleeps).
(ASVS 5.0 V7.2.4, V7.3.1, V7.3.2; see docs/security.md.)
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from grantpanel.auth import sessions
from grantpanel.extensions import db
from grantpanel.models import User
from tests.app.panel_helpers import app_url, checked_member, open_round, score_form, sheets
from tests.builders import make_user
from tests.helpers import csrf_token, submit

PASSWORD = "correct horse battery"
MINUTE = 60.0
HOUR = 3600.0


class Clock:
    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(sessions, "now", c)
    return c


def _sign_in(client: FlaskClient, email: str) -> None:
    resp = submit(client, "/sign-in", {"email": email, "password": PASSWORD})
    assert resp.status_code == 302, resp.get_data(as_text=True)


def _signed_in(client: FlaskClient, url: str = "/staff/") -> bool:
    resp = client.get(url)
    if resp.status_code == 302:
        assert "/sign-in" in resp.headers["Location"]
        return False
    assert resp.status_code == 200
    return True


@pytest.fixture()
def staff(app: Flask) -> User:
    user = make_user(role="staff", email="grants@example.org")
    db.session.commit()
    return user


# --- a new session at sign-in --------------------------------------------------------------------

def test_signing_in_starts_a_new_session_with_nothing_from_before(
    client: FlaskClient, staff: User
) -> None:
    before_token = csrf_token(client, "/sign-in")
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"
    before_cookie = client.get_cookie("session")
    assert before_cookie is not None

    _sign_in(client, "grants@example.org")

    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("csrf_token") is None  # the old form token went with the old session
        assert set(sess) >= {"_user_id", sessions.SIGNED_IN_AT, sessions.LAST_SEEN}
    after_cookie = client.get_cookie("session")
    assert after_cookie is not None and after_cookie.value != before_cookie.value
    assert csrf_token(client, "/staff/") != before_token


def test_a_session_cookie_from_before_sign_in_does_not_become_signed_in(
    app: Flask, client: FlaskClient, staff: User
) -> None:
    client.get("/sign-in")
    cookie = client.get_cookie("session")
    assert cookie is not None
    planted = cookie.value
    _sign_in(client, "grants@example.org")

    other = app.test_client()
    other.set_cookie("session", planted)
    assert not _signed_in(other)


# --- idle timeout ----------------------------------------------------------------------------------

def test_a_browser_left_alone_for_longer_than_the_idle_time_is_signed_out(
    client: FlaskClient, staff: User, clock: Clock
) -> None:
    _sign_in(client, "grants@example.org")
    clock.advance(59 * MINUTE)
    assert _signed_in(client)
    clock.advance(61 * MINUTE)
    assert not _signed_in(client)


def test_the_sign_in_page_after_a_timeout_says_why_and_that_drafts_are_kept(
    client: FlaskClient, staff: User, clock: Clock
) -> None:
    _sign_in(client, "grants@example.org")
    clock.advance(61 * MINUTE)
    page = client.get("/staff/", follow_redirects=True).get_data(as_text=True)
    assert "You were signed out because this browser had not been used for 60 minutes" in page
    assert "keep your account safe" in page
    assert "saved" in page and "drafts, are kept" in page
    assert "Sign in to see that page." not in page  # the plain reason replaces the generic one
    # said once, not on every later visit
    assert "You were signed out" not in client.get("/sign-in").get_data(as_text=True)


def test_a_copied_cookie_from_before_the_idle_time_stays_signed_out(
    app: Flask, client: FlaskClient, staff: User, clock: Clock
) -> None:
    _sign_in(client, "grants@example.org")
    cookie = client.get_cookie("session")
    assert cookie is not None
    copied = cookie.value
    clock.advance(30 * MINUTE)
    assert _signed_in(client)  # the owner carries on
    clock.advance(35 * MINUTE)
    thief = app.test_client()
    thief.set_cookie("session", copied)  # last seen 65 minutes ago
    assert not _signed_in(thief)
    assert _signed_in(client)


def test_the_idle_time_is_a_setting(client: FlaskClient, staff: User, clock: Clock,
                                    app: Flask) -> None:
    app.config["SESSION_IDLE_MINUTES"] = 15
    _sign_in(client, "grants@example.org")
    clock.advance(16 * MINUTE)
    assert not _signed_in(client)


def test_a_session_made_without_times_is_stamped_then_times_out(
    login_as: Callable[[User], FlaskClient], staff: User, clock: Clock
) -> None:
    client = login_as(staff)
    assert _signed_in(client)
    clock.advance(61 * MINUTE)
    assert not _signed_in(client)


# --- the score sheet's automatic saves keep a working member signed in ---------------------------

FETCH = {"X-Requested-With": "fetch"}


def _autosave(client: FlaskClient, url: str, data: dict[str, str]) -> int:
    token = csrf_token(client, url)
    return client.post(
        url, data={**data, "save_draft": "Save as draft", "csrf_token": token}, headers=FETCH
    ).status_code


def test_autosave_keeps_a_member_writing_a_long_score_sheet_signed_in(
    client: FlaskClient, clock: Clock
) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    member.user.email = "member@example.org"
    db.session.commit()
    _sign_in(client, "member@example.org")
    url = app_url(rnd)
    client.get(url)
    for minutes in range(1, 5):  # nearly three hours on one sheet, saving as they type
        clock.advance(45 * MINUTE)
        assert _autosave(client, url, score_form(rnd, ["4", ""], panel_note=f"part {minutes}")) \
            == 204
    assert _signed_in(client, url)
    [sheet] = sheets()
    assert sheet.panel_note == "part 4"


def test_after_an_idle_timeout_autosave_saves_nothing_and_the_saved_draft_is_kept(
    client: FlaskClient, clock: Clock
) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    member.user.email = "member@example.org"
    db.session.commit()
    _sign_in(client, "member@example.org")
    url = app_url(rnd)
    assert _autosave(client, url, score_form(rnd, ["4", ""], panel_note="saved")) == 204

    token = csrf_token(client, url)  # the page is open in the browser
    clock.advance(61 * MINUTE)
    resp = client.post(url, data={**score_form(rnd, ["1", "1"], panel_note="lost?"),
                                  "save_draft": "Save as draft", "csrf_token": token},
                       headers=FETCH)
    # a redirect, not 204: the page's script says "Could not save just now" and keeps the
    # answers on the page (and in the browser's copy)
    assert resp.status_code == 302
    assert "/sign-in" in resp.headers["Location"]
    [sheet] = sheets()
    assert sheet.panel_note == "saved"

    _sign_in(client, "member@example.org")
    page = client.get(url).get_data(as_text=True)
    assert "saved</textarea>" in page  # the draft is on the page again


# --- absolute timeout ------------------------------------------------------------------------------

def test_a_busy_browser_is_signed_out_after_the_longest_session(
    client: FlaskClient, staff: User, clock: Clock
) -> None:
    _sign_in(client, "grants@example.org")
    for _ in range(23):  # busy every half hour for 11.5 hours
        clock.advance(30 * MINUTE)
        assert _signed_in(client)
    clock.advance(31 * MINUTE)  # 12 hours and 1 minute after signing in
    page = client.get("/staff/", follow_redirects=True).get_data(as_text=True)
    assert "You were signed out because you signed in more than 12 hours ago" in page
    assert not _signed_in(client)


def test_signing_in_again_starts_a_new_longest_session(
    client: FlaskClient, staff: User, clock: Clock, app: Flask
) -> None:
    app.config["SESSION_MAX_HOURS"] = 1
    _sign_in(client, "grants@example.org")
    clock.advance(50 * MINUTE)
    assert _signed_in(client)
    clock.advance(11 * MINUTE)
    assert not _signed_in(client)
    _sign_in(client, "grants@example.org")
    clock.advance(50 * MINUTE)
    assert _signed_in(client)
