"""Signing in and out: passwords, invitation links, rate limits, server-side sign-out."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from grantpanel.extensions import db
from grantpanel.models import AuditEvent
from grantpanel.services import accounts
from tests.builders import make_round, make_user
from tests.helpers import csrf_token, submit

PASSWORD = "correct horse battery"


def test_staff_member_signs_in_with_password_and_lands_on_dashboard(client: FlaskClient) -> None:
    make_user(role="staff", email="grants@example.org")
    db.session.commit()
    resp = submit(client, "/sign-in", {"email": "Grants@Example.org ", "password": PASSWORD})
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/staff/")


def test_wrong_password_and_unknown_email_get_the_same_answer(client: FlaskClient) -> None:
    make_user(role="staff", email="grants@example.org")
    db.session.commit()
    wrong = submit(client, "/sign-in", {"email": "grants@example.org", "password": "nope nope"})
    unknown = submit(client, "/sign-in", {"email": "nobody@example.org", "password": "nope nope"})
    assert wrong.status_code == unknown.status_code == 200
    msg = "The email address or password is not right"
    assert msg in wrong.get_data(as_text=True)
    assert msg in unknown.get_data(as_text=True)
    # the typed email is kept, the password is not
    assert 'value="nobody@example.org"' in unknown.get_data(as_text=True)
    assert "nope nope" not in unknown.get_data(as_text=True)


def test_sign_in_form_shows_error_summary_and_error_beside_field(client: FlaskClient) -> None:
    resp = submit(client, "/sign-in", {"email": "not-an-email", "password": ""})
    html = resp.get_data(as_text=True)
    assert "There is a problem" in html
    assert 'id="email-error"' in html and 'id="password-error"' in html
    assert 'value="not-an-email"' in html
    assert html.count("Enter your password.") == 2  # in the summary and beside the field


def test_sign_in_is_rate_limited(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client, "/sign-in")
    codes = [
        client.post(
            "/sign-in", data={"email": "x@example.org", "password": "wrong one", "csrf_token": token}
        ).status_code
        for _ in range(12)
    ]
    assert codes[:10] == [200] * 10
    assert codes[10] == 429
    assert "Too many attempts" in client.post(
        "/sign-in", data={"email": "x@example.org", "password": "w", "csrf_token": token}
    ).get_data(as_text=True)


def test_signing_out_invalidates_a_copied_session_cookie(client: FlaskClient, app: Flask) -> None:
    make_user(role="staff", email="grants@example.org")
    db.session.commit()
    submit(client, "/sign-in", {"email": "grants@example.org", "password": PASSWORD})
    assert client.get("/staff/").status_code == 200
    cookie = client.get_cookie("session")
    assert cookie is not None
    copied = cookie.value

    submit(client, "/sign-out", {}, form_url="/staff/")
    assert client.get("/staff/").status_code == 302

    thief = app.test_client()
    thief.set_cookie("session", copied)
    resp = thief.get("/staff/")
    assert resp.status_code == 302
    assert "/sign-in" in resp.headers["Location"]


def test_invitation_link_signs_member_in_once(client: FlaskClient, app: Flask) -> None:
    rnd = make_round()
    member = make_user(role="panel", password=None)
    token = accounts.create_invitation(member, round_id=rnd.id, actor=None)
    db.session.commit()

    page = client.get(f"/invitation/{token}")
    assert page.status_code == 200  # looking at the link does not use it up
    resp = submit(client, f"/invitation/{token}", {})
    assert resp.status_code == 302
    assert client.get("/panel/").status_code == 200

    other = app.test_client()
    again = submit(other, f"/invitation/{token}", {})
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)
    assert other.get("/panel/").status_code == 302


def test_unknown_invitation_link_gets_a_plain_error(client: FlaskClient) -> None:
    resp = submit(client, "/invitation/not-a-real-token", {})
    assert resp.status_code == 400
    assert "not valid" in resp.get_data(as_text=True)


def test_passwords_are_hashed_with_argon2id(app: Flask) -> None:
    user = make_user(role="staff", password="a long enough password")
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$")
    assert "a long enough password" not in user.password_hash


def test_sign_in_and_out_are_audited_without_secrets(client: FlaskClient) -> None:
    make_user(role="staff", email="grants@example.org")
    db.session.commit()
    submit(client, "/sign-in", {"email": "grants@example.org", "password": PASSWORD})
    submit(client, "/sign-out", {}, form_url="/staff/")
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    actions = [e.action for e in events]
    assert "user.signed_in" in actions and "user.signed_out" in actions
    assert all(PASSWORD not in str(e.detail) for e in events)


def test_create_user_command_makes_an_account(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(
        args=["create-user", "--role", "staff", "--email", "new@example.org",
              "--password", "a long password", "--name", "New Person"]
    )
    assert result.exit_code == 0, result.output
    user = accounts.find_user_by_email("new@example.org")
    assert user is not None and user.role == "staff"
    again = runner.invoke(
        args=["create-user", "--role", "staff", "--email", "new@example.org",
              "--password", "a long password", "--name", "New Person"]
    )
    assert again.exit_code != 0
    assert "already has an account" in again.output


def test_the_page_after_signing_out_forgets_unsaved_copies_once(client: FlaskClient) -> None:
    make_user(role="panel", email="member@example.org")
    db.session.commit()
    assert "forget.js" not in client.get("/sign-in").get_data(as_text=True)
    submit(client, "/sign-in", {"email": "member@example.org", "password": PASSWORD})
    submit(client, "/sign-out", {}, form_url="/panel/")
    assert "forget.js" in client.get("/sign-in").get_data(as_text=True)
    assert "forget.js" not in client.get("/sign-in").get_data(as_text=True)
