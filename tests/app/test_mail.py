"""Messages by email, reminders and printed invitation letters, against a real SMTP server.

An ``aiosmtpd`` server runs on 127.0.0.1 on a free port for each test that needs one; the app's
``MAIL_SERVER``/``MAIL_PORT`` point at it, and the tests read what it received: recipients,
subjects, the links in the bodies and the language. A recipient can be refused (``550``) to
prove one failure is reported by name and the others still get theirs.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import socket
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

import voting
from grantpanel.extensions import db
from grantpanel.models import AuditEvent, Membership, Round, ScoreSheet, User, utcnow
from tests.builders import make_member, make_round, make_user
from tests.helpers import confirm_count, post_form, text

Login = Callable[[User], FlaskClient]
SEED = "ab" * 32
LINK = re.compile(r"https?://localhost/invitation/[A-Za-z0-9_-]+")


class Inbox:
    """An aiosmtpd handler keeping every message it accepts; refuses addresses in ``refuse``."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    @property
    def recipients(self) -> list[str]:
        return sorted(str(m["To"]) for m in self.messages)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def inbox(app: Flask) -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1, and the app's email settings pointing at it."""
    handler = Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False,
                      MAIL_USE_SSL=False, MAIL_USERNAME=None, MAIL_PASSWORD=None,
                      MAIL_DEFAULT_SENDER="Community Fund <grants@example.org>")
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture()
def staff(app: Flask) -> User:
    user = make_user(role="staff", email="grace@example.org", name="Grace Grants")
    db.session.commit()
    return user


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _panel_round(state: str = "open", closes_in_days: int | None = 3, **fields: Any) -> Round:
    closes_on = utcnow().date() + dt.timedelta(days=closes_in_days) \
        if closes_in_days is not None else None
    return make_round(state=state, applications=2, closes_on=closes_on, **fields)


def _member(rnd: Round, name: str, email: str | None, language: str | None = None,
            password: bool = True) -> Membership:
    user = make_user(role="panel", name=name, email=email,
                     password="correct horse battery" if password else None)
    if email is None:
        user.email = None
    user.language = language
    return make_member(rnd, user, conflicts_checked_at=utcnow())


def _sheet(m: Membership, index: int, status: str) -> None:
    rnd = m.round
    db.session.add(ScoreSheet(membership_id=m.id, application_id=rnd.applications[index].id,
                              status=status, scores={"c1": 3, "c2": 3}))


def _letter_text(resp: Any) -> str:
    """A letter page's HTML without the line-break hints put in its written-out link."""
    return text(resp).replace("<wbr>", "")


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    """What the app logged (the test's SMTP server, aiosmtpd's "mail.log", is not the app)."""
    return "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
                     if not r.name.startswith("mail.log"))


# --- email off ----------------------------------------------------------------------------------


def test_with_email_off_the_pages_say_so_and_offer_the_link_and_the_letter(
    app: Flask, staff: User, login_as: Login
) -> None:
    assert not app.config.get("MAIL_SERVER")
    rnd = _panel_round()
    m = _member(rnd, "Sam Example", "sam@example.org")
    db.session.commit()
    client = login_as(staff)

    page = text(client.get(f"/staff/rounds/{rnd.id}/panel/{m.id}/invitation"))
    assert "Email is off on this site" in page
    assert "Send invitation by email" not in page
    assert "Make a new link" in page
    assert f'href="/staff/rounds/{rnd.id}/panel/{m.id}/letter"' in page

    panel = text(client.get(f"/staff/rounds/{rnd.id}/panel"))
    assert "reminders cannot be emailed" in panel and "Email reminders now" not in panel

    resp = post_form(client, f"/staff/rounds/{rnd.id}/panel/{m.id}/invitation/email",
                     page=f"/staff/rounds/{rnd.id}/panel/{m.id}/invitation",
                     follow_redirects=True)
    assert resp.status_code == 200
    assert "Email is off on this site, so nothing was sent" in text(resp)

    letter_page = f"/staff/rounds/{rnd.id}/panel/{m.id}/letter"
    assert "Make the letter" in text(client.get(letter_page))
    shown = _letter_text(post_form(client, letter_page, follow_redirects=True))
    assert LINK.search(shown) and 'role="img"' in shown


def test_the_command_says_email_is_off_and_fails(app: Flask, runner: FlaskCliRunner) -> None:
    rnd = _panel_round()
    _member(rnd, "Sam Example", "sam@example.org")
    db.session.commit()
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 1
    assert json.loads(result.stdout.splitlines()[0]) == {
        "sent": 0, "skipped": 1, "failed": [], "dry_run": False}
    assert "Email is off" in result.stderr
    assert db.session.scalars(select(Membership.reminded_at)).one() is None


# --- the invitation ----------------------------------------------------------------------------


def test_staff_email_an_invitation_in_the_members_language(
    app: Flask, staff: User, login_as: Login, inbox: Inbox
) -> None:
    rnd = make_round(state="open", applications=1, closes_on=dt.date(2026, 12, 20),
                     translations={"cy": {"name": "Cronfa Cartrefi Cynnes"}})
    welsh = _member(rnd, "Elin Jones", "elin@example.org", language="cy")
    english = _member(rnd, "Sam Example", "sam@example.org")
    db.session.commit()
    client = login_as(staff)
    for m in (welsh, english):
        page = f"/staff/rounds/{rnd.id}/panel/{m.id}/invitation"
        assert "Send invitation by email" in text(client.get(page))
        resp = post_form(client, f"{page}/email", page=page, follow_redirects=True)
        assert f"The invitation is emailed to {m.user.name}" in text(resp)

    assert inbox.recipients == ["elin@example.org", "sam@example.org"]
    [cy] = inbox.to("elin@example.org")
    [en] = inbox.to("sam@example.org")
    assert cy["Content-Language"] == "cy" and en["Content-Language"] == "en-GB"
    assert "Cronfa Cartrefi Cynnes" in cy["Subject"] and "Warm Homes Fund 2026" in en["Subject"]
    assert "20 Rhagfyr 2026" in _body(cy)  # dates written in Welsh
    assert "20 December 2026" in _body(en)
    assert cy["From"] == "Community Fund <grants@example.org>"
    assert "Helo Elin Jones," in _body(cy)  # written in Welsh
    assert "Hello Sam Example," in _body(en)

    # The emailed link signs the member in; it was never stored or shown to staff.
    link = LINK.search(_body(en))
    assert link is not None
    member_browser = app.test_client()
    path = link.group(0).removeprefix("http://localhost")
    resp = post_form(member_browser, path)
    assert resp.status_code == 302
    assert link.group(0) not in text(client.get(
        f"/staff/rounds/{rnd.id}/panel/{english.id}/invitation"))
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "messages.sent")).first() is not None


def test_the_language_a_member_picks_is_kept_for_their_emails(
    app: Flask, staff: User, login_as: Login, inbox: Inbox
) -> None:
    rnd = _panel_round()
    m = _member(rnd, "Elin Jones", "elin@example.org")
    db.session.commit()
    client = login_as(staff)
    page = f"/staff/rounds/{rnd.id}/panel/{m.id}/invitation"
    post_form(client, f"{page}/email", page=page)
    link = LINK.search(_body(inbox.messages[0]))
    assert link is not None and inbox.messages[0]["Content-Language"] == "en-GB"

    member_browser = app.test_client()
    member_browser.get("/language/cy")  # the language switch: a cookie, no account needed
    assert post_form(member_browser, link.group(0).removeprefix("http://localhost")
                     ).status_code == 302
    db.session.refresh(m.user)
    assert m.user.language == "cy"
    post_form(client, f"{page}/email", page=page)
    assert inbox.messages[1]["Content-Language"] == "cy"


def test_a_member_without_email_is_told_to_get_a_letter(
    app: Flask, staff: User, login_as: Login, inbox: Inbox
) -> None:
    rnd = _panel_round()
    m = _member(rnd, "Pat Nomail", None)
    db.session.commit()
    page = f"/staff/rounds/{rnd.id}/panel/{m.id}/invitation"
    client = login_as(staff)
    shown = text(client.get(page))
    assert "Pat Nomail has no email address" in shown and "Send invitation by email" not in shown
    resp = post_form(client, f"{page}/email", page=page, follow_redirects=True)
    assert "has no email address. Print them an invitation letter" in text(resp)
    assert inbox.messages == []


# --- members without email, and the printed letter ----------------------------------------------


def test_a_member_with_no_email_can_be_added_and_gets_a_letter_with_a_qr_code(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _panel_round()
    db.session.commit()
    client = login_as(staff)
    form = f"/staff/rounds/{rnd.id}/panel/new"
    assert "Email address (optional)" in text(client.get(form))
    resp = post_form(client, form, {"name": "Pat Nomail", "email": "", "phone": "07700 900123",
                                    "access_needs": "Large print", "language": ""})
    assert resp.status_code == 302
    m = db.session.scalars(select(Membership).where(Membership.round_id == rnd.id)).one()
    assert m.user.email is None and m.user.name == "Pat Nomail"
    invitation = text(client.get(resp.headers["Location"]))
    assert LINK.search(invitation)  # the link is still shown once, to copy
    assert "Print an invitation letter" in invitation

    second = post_form(client, form, {"name": "Lee Nomail", "email": "", "language": "cy"})
    assert second.status_code == 302  # a second person without email: their own account
    lee = db.session.scalars(select(User).where(User.name == "Lee Nomail")).one()
    assert lee.email is None and lee.language == "cy"
    assert "No email" in text(client.get(f"/staff/rounds/{rnd.id}/panel"))

    letter_page = f"/staff/rounds/{rnd.id}/panel/{m.id}/letter"
    before = text(client.get(letter_page))
    assert "Make the letter" in before and not LINK.search(before)
    letter = _letter_text(post_form(client, letter_page, follow_redirects=True))
    link = LINK.search(letter)
    assert link is not None
    assert "Pat Nomail" in letter and rnd.name in letter
    assert 'href="/static/letter.css' in letter or "letter.css" in letter
    svg = re.search(r"<svg [^>]*>", letter)
    assert svg is not None
    assert 'role="img"' in svg.group(0) and 'aria-label="QR code of the sign-in link"' in svg.group(0)
    assert "<title>QR code of the sign-in link</title>" in letter
    assert "<script" not in letter.split('<article class="letter"')[1]
    # Shown once: reloading offers a new letter instead of showing the link again.
    again = text(client.get(letter_page))
    assert link.group(0) not in again and "Make the letter" in again
    # The printed link works.
    resp = post_form(app.test_client(), link.group(0).removeprefix("http://localhost"))
    assert resp.status_code == 302


def test_the_letter_is_written_in_the_members_language(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round(state="open", applications=1, closes_on=dt.date(2026, 12, 20))
    m = _member(rnd, "Elin Jones", None, language="cy")
    db.session.commit()
    client = login_as(staff)
    letter = _letter_text(post_form(client, f"/staff/rounds/{rnd.id}/panel/{m.id}/letter",
                                    follow_redirects=True))
    assert '<article class="letter" lang="cy" dir="ltr"' in letter
    assert "20 Rhagfyr 2026" in letter
    assert '<html lang="en-GB"' in letter  # the page around it stays in the staff's language


# --- reminders ------------------------------------------------------------------------------------


def _reminder_world() -> tuple[Round, dict[str, Membership]]:
    rnd = _panel_round(closes_in_days=3)
    people = {
        "done": _member(rnd, "Dana Done", "done@example.org"),
        "draft": _member(rnd, "Dev Draft", "draft@example.org"),
        "new": _member(rnd, "Nia New", "new@example.org", language="cy", password=False),
        "nomail": _member(rnd, "Pat Nomail", None),
    }
    _sheet(people["done"], 0, "submitted")
    _sheet(people["done"], 1, "submitted")
    _sheet(people["draft"], 0, "submitted")
    _sheet(people["draft"], 1, "draft")
    db.session.commit()
    return rnd, people


def test_reminders_go_only_to_members_with_scoring_left_and_not_twice_a_day(
    app: Flask, runner: FlaskCliRunner, inbox: Inbox
) -> None:
    rnd, people = _reminder_world()
    far = _panel_round(name="Later Fund", closes_in_days=30)  # outside the 7-day window
    _member(far, "Fay Far", "far@example.org")
    db.session.commit()

    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"sent": 2, "skipped": 1, "failed": [],
                                         "dry_run": False}
    assert "@" not in result.stdout
    assert inbox.recipients == ["draft@example.org", "new@example.org"]
    [draft] = inbox.to("draft@example.org")
    assert "You have 1 application left to score" in _body(draft)
    closes = rnd.closes_on
    assert closes is not None
    assert f"Scoring closes on {closes.day} {closes:%B} {closes.year}." in _body(draft)
    assert "http://localhost/panel/" not in _body(draft)  # no SITE_URL: no link to give
    assert "You have not chosen a password yet" not in _body(draft)
    [new] = inbox.to("new@example.org")
    assert "Mae gennych chi 2 gais ar ôl i'w sgorio" in _body(new)  # in Welsh
    assert new["Content-Language"] == "cy"
    assert "Dydych chi ddim wedi dewis cyfrinair eto, felly mewngofnodwch gyda'ch dolen wahodd" \
        in " ".join(_body(new).split())
    reminded = {m.id: m.reminded_at for m in db.session.scalars(
        select(Membership).execution_options(populate_existing=True))}
    assert reminded[people["draft"].id] is not None and reminded[people["done"].id] is None

    again = runner.invoke(args=["send-reminders"])
    assert again.exit_code == 0
    assert json.loads(again.stdout) == {"sent": 0, "skipped": 3, "failed": [], "dry_run": False}
    assert len(inbox.messages) == 2

    # Naming a round sends for it whatever its closing date; a dry run sends nothing.
    dry = runner.invoke(args=["send-reminders", "--round", str(far.id), "--dry-run"])
    assert json.loads(dry.stdout) == {"sent": 1, "skipped": 0, "failed": [], "dry_run": True}
    assert len(inbox.messages) == 2
    now = runner.invoke(args=["send-reminders", "--round", str(far.id)])
    assert json.loads(now.stdout)["sent"] == 1 and inbox.to("far@example.org")


def test_reminders_carry_a_link_when_site_url_is_set(
    app: Flask, runner: FlaskCliRunner, inbox: Inbox
) -> None:
    app.config["SITE_URL"] = "https://grants.example.org"
    _reminder_world()
    assert runner.invoke(args=["send-reminders"]).exit_code == 0
    assert "https://grants.example.org/panel/" in _body(inbox.to("draft@example.org")[0])


def test_the_command_names_an_unknown_round(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["send-reminders", "--round", "999"])
    assert result.exit_code == 1 and "There is no round 999" in result.output


def test_staff_can_send_reminders_now_once_a_day(
    app: Flask, staff: User, login_as: Login, inbox: Inbox
) -> None:
    rnd, _people = _reminder_world()
    client = login_as(staff)
    panel = f"/staff/rounds/{rnd.id}/panel"
    assert "Email reminders now" in text(client.get(panel))
    page = text(post_form(client, f"/staff/rounds/{rnd.id}/reminders", page=panel,
                          follow_redirects=True))
    assert "2 reminders are sent." in page
    assert "1 panel member has no email address" in page and "Panel member 4" in page
    assert "http://localhost/panel/" in _body(inbox.to("draft@example.org")[0])
    page = text(post_form(client, f"/staff/rounds/{rnd.id}/reminders", page=panel,
                          follow_redirects=True))
    assert "0 reminders are sent." in page
    assert "2 members already had a reminder today" in page
    assert len(inbox.messages) == 2


# --- scoring closed, decision published ---------------------------------------------------------


def _scored_round() -> tuple[Round, list[Membership]]:
    """Open, three applications fully scored by three members (one with no email)."""
    rnd = make_round(state="open", budget=200_000, applications=3, amount=100_000, quorum=2,
                     fit_rule="stop", seed=SEED, seed_commitment=voting.seed_commitment(SEED))
    members = [_member(rnd, "Ann One", "ann@example.org"),
               _member(rnd, "Bo Two", "bo@example.org", language="cy"),
               _member(rnd, "Cy Three", None)]
    for a in rnd.applications:
        for m in members:
            db.session.add(ScoreSheet(membership_id=m.id, application_id=a.id,
                                      status="submitted", scores={"c1": 4, "c2": 3}))
    db.session.commit()
    return rnd, members


def test_closing_and_publishing_tell_the_panel(
    app: Flask, staff: User, login_as: Login, inbox: Inbox
) -> None:
    rnd, _members = _scored_round()
    client = login_as(staff)
    round_page = f"/staff/rounds/{rnd.id}"
    resp = post_form(client, f"/staff/rounds/{rnd.id}/steps/close", page=round_page,
                     follow_redirects=True)
    page = text(resp)
    assert "Scoring is closed" in page and "The panel is told by email: 2 members." in page
    assert "1 panel member has no email address" in page
    assert inbox.recipients == ["ann@example.org", "bo@example.org"]
    assert inbox.to("ann@example.org")[0]["Subject"] == f"Scoring has closed for {rnd.name}"
    [bo] = inbox.to("bo@example.org")
    assert bo["Content-Language"] == "cy"
    assert bo["Subject"] == f"Mae'r sgorio wedi cau ar gyfer {rnd.name}"

    count = f"/staff/rounds/{rnd.id}/count"
    assert confirm_count(client, rnd.id).status_code == 302
    resp = post_form(client, f"/staff/rounds/{rnd.id}/steps/publish", page=count,
                     follow_redirects=True)
    assert "The panel is told by email: 2 members." in text(resp)
    published = inbox.messages[-2:]
    assert sorted(str(m["To"]) for m in published) == ["ann@example.org", "bo@example.org"]
    assert any("is published" in str(m["Subject"]) for m in published)
    assert f"http://localhost/rounds/{rnd.id}" in _body(published[0])
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "messages.sent").order_by(AuditEvent.id)).all()
    assert [(e.detail["kind"], e.detail["count"]) for e in events] == [
        ("scoring-closed", 2), ("decision-published", 2)]


def test_other_steps_send_nothing(
    app: Flask, staff: User, login_as: Login, inbox: Inbox
) -> None:
    rnd = make_round(state="draft", applications=1)
    _member(rnd, "Ann One", "ann@example.org")
    db.session.commit()
    client = login_as(staff)
    post_form(client, f"/staff/rounds/{rnd.id}/steps/open", page=f"/staff/rounds/{rnd.id}")
    assert inbox.messages == []


# --- failures ---------------------------------------------------------------------------------------


def test_one_refused_recipient_is_reported_and_the_others_get_theirs(
    app: Flask, staff: User, login_as: Login, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rnd, _members = _scored_round()
    inbox.refuse.add("ann@example.org")
    client = login_as(staff)
    resp = post_form(client, f"/staff/rounds/{rnd.id}/steps/close",
                     page=f"/staff/rounds/{rnd.id}", follow_redirects=True)
    page = text(resp)
    assert resp.status_code == 200
    assert "Scoring is closed" in page
    assert "1 email could not be sent. Tell them another way, or try again later:" in page
    assert ("Panel member 1 (Ann One): The mail server would not take this email address. "
            "Check it is right.") in page
    assert inbox.recipients == ["bo@example.org"]
    db.session.refresh(rnd)
    assert rnd.state == "closed"  # the step is done whatever happened to the emails
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "messages.sent")).one()
    assert event.detail == {"kind": "scoring-closed", "count": 1, "failed": 1}
    logged = _log_text(caplog)
    assert "mail.failed" in logged and "SMTPRecipientsRefused 550" in logged
    assert "@example.org" not in logged and "Ann One" not in logged


def test_a_refused_reminder_is_reported_by_the_command_and_can_be_retried(
    app: Flask, runner: FlaskCliRunner, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rnd, people = _reminder_world()
    inbox.refuse.add("draft@example.org")
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["sent"] == 1 and summary["skipped"] == 1
    assert summary["failed"] == [{
        "round": rnd.id, "member": people["draft"].pseudonym,
        "reason": "The mail server would not take this email address. Check it is right."}]
    assert "@" not in result.stdout and "Dev Draft" not in result.stdout
    assert inbox.recipients == ["new@example.org"]
    assert "@example.org" not in _log_text(caplog)
    # The failed one was given back: fixed, the next run today sends it (and only it).
    inbox.refuse.clear()
    retry = runner.invoke(args=["send-reminders"])
    assert json.loads(retry.stdout) == {"sent": 1, "skipped": 2, "failed": [], "dry_run": False}
    assert inbox.recipients == ["draft@example.org", "new@example.org"]


def test_an_unreachable_server_fails_every_email_without_losing_the_step(
    app: Flask, staff: User, login_as: Login
) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port(), MAIL_USE_TLS=False,
                      MAIL_DEFAULT_SENDER="grants@example.org")
    rnd, _members = _scored_round()
    resp = post_form(login_as(staff), f"/staff/rounds/{rnd.id}/steps/close",
                     page=f"/staff/rounds/{rnd.id}", follow_redirects=True)
    page = text(resp)
    assert "2 emails could not be sent" in page and "could not be reached" in page
    db.session.refresh(rnd)
    assert rnd.state == "closed"


def test_an_address_that_cannot_be_written_fails_alone_and_no_header_is_injected(
    app: Flask, inbox: Inbox
) -> None:
    from grantpanel.services import mail

    emails = [
        mail.Email(to="a@example.org\nBcc: thief@example.net", subject="Hi", body="Hello\n",
                   language="en-GB", key="bad"),
        mail.Email(to="b@example.org", subject="Two\nlines", body="Hello\n",
                   language="en-GB", key="good"),
    ]
    report = mail.send_all(emails, kind="test")
    assert [f.email.key for f in report.failed] == ["bad"]
    assert [e.key for e in report.sent] == ["good"]
    assert inbox.recipients == ["b@example.org"]
    assert inbox.messages[0]["Subject"] == "Two lines"


# --- settings -------------------------------------------------------------------------------------


def test_email_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from config import Config, ConfigError, TestingConfig

    for name in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL",
                 "MAIL_DEFAULT_SENDER"):
        monkeypatch.delenv(name, raising=False)
    assert Config().MAIL_SERVER is None
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.org")
    with pytest.raises(ConfigError, match="MAIL_DEFAULT_SENDER is not"):
        Config()
    monkeypatch.setenv("MAIL_DEFAULT_SENDER", "Community Fund <grants@example.org>")
    cfg = Config()
    assert (cfg.MAIL_PORT, cfg.MAIL_USE_TLS, cfg.MAIL_USE_SSL) == (587, True, False)
    monkeypatch.setenv("MAIL_USE_TLS", "off")
    assert Config().MAIL_PORT == 25
    monkeypatch.setenv("MAIL_USE_SSL", "on")
    assert Config().MAIL_PORT == 465
    monkeypatch.setenv("MAIL_USE_TLS", "on")
    with pytest.raises(ConfigError, match="both on"):
        Config()
    monkeypatch.setenv("MAIL_USE_TLS", "off")
    assert TestingConfig().MAIL_SERVER is None  # a test run never emails anyone
