"""Applicant feedback: secret links, release, what the applicant reads, staff edits with a
trace, the round's route to question a decision, the concerns page, and who may do what."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from grantpanel.extensions import db
from grantpanel.models import (
    Application,
    AuditEvent,
    FeedbackEdit,
    FeedbackLink,
    Round,
    ScoreSheet,
    User,
)
from grantpanel.security import redact
from tests.app.record_builders import make_published_round
from tests.app.test_mail import Inbox, _body
from tests.app.test_mail import inbox as inbox  # noqa: F401  (the SMTP fixture)
from tests.builders import make_member, make_user
from tests.helpers import submit, text

Login = Callable[[User], FlaskClient]
LINK = re.compile(r"https?://localhost/feedback/([A-Za-z0-9_-]+)")
KIND_WORDS = "Ask for a review: write to decisions@example.org within 28 days."


@pytest.fixture()
def world(app: Flask) -> Iterator[dict[str, object]]:
    rnd, _pr = make_published_round()
    apps = {a.reference: a for a in rnd.applications}
    m3 = make_member(rnd, make_user(name="Olu Privatename"))
    m1 = rnd.memberships[0]
    for m, words in ((m1, "Clear plan. Say more about who will come."),
                     (m3, "Lovely idea, but the budget needs more detail.")):
        db.session.add(ScoreSheet(membership_id=m.id, application_id=apps["A-003"].id,
                                  status="submitted", scores={"c1": 4, "c2": 4},
                                  feedback=words))
    db.session.add(ScoreSheet(membership_id=m3.id, application_id=apps["A-002"].id,
                              status="draft", scores={}, feedback="Draft words never shown"))
    staff = make_user(role="staff", email="grace@example.org", name="Grace Grants")
    db.session.commit()
    yield {"round": rnd, "apps": apps, "staff": staff, "member": m3.user}


def _make_link(client: FlaskClient, rnd: Round, app: Application) -> str:
    resp = submit(client, f"/staff/rounds/{rnd.id}/applications/{app.id}/feedback-link",
                  form_url=f"/staff/rounds/{rnd.id}/feedback", follow_redirects=True)
    assert resp.status_code == 200
    found = LINK.search(html.unescape(text(resp)))
    assert found, "the new link is shown once"
    return found.group(1)


def _release(client: FlaskClient, rnd: Round) -> None:
    resp = submit(client, f"/staff/rounds/{rnd.id}/feedback-release", follow_redirects=True)
    assert "Feedback is released" in text(resp)


def test_link_is_secret_hashed_and_only_opens_after_release(
    client: FlaskClient, login_as: Login, world: dict[str, object]
) -> None:
    rnd, apps = world["round"], world["apps"]
    assert isinstance(rnd, Round) and isinstance(apps, dict)
    login_as(world["staff"])  # type: ignore[arg-type]
    token = _make_link(client, rnd, apps["A-003"])
    stored = db.session.scalar(select(FeedbackLink))
    assert stored is not None
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash
    assert "feedback" not in str([e.detail for e in db.session.scalars(select(AuditEvent))])
    # Shown once: the list page no longer has it.
    assert token not in text(client.get(f"/staff/rounds/{rnd.id}/feedback"))

    anon = client.application.test_client()
    before = anon.get(f"/feedback/{token}")
    assert before.status_code == 404, "not before release"
    _release(client, rnd)
    page = anon.get(f"/feedback/{token}")
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in page.headers["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex' in text(page)
    # A wrong or near-miss token is the same "not found" page as an unknown one.
    wrong = anon.get(f"/feedback/{token[:-1]}x")
    unknown = anon.get("/feedback/nothing-here")
    assert wrong.status_code == unknown.status_code == 404
    assert text(wrong).replace(f"{token[:-1]}x", "T") == text(unknown).replace(
        "nothing-here", "T")
    # A new link stops the old one.
    newer = _make_link(client, rnd, apps["A-003"])
    assert anon.get(f"/feedback/{token}").status_code == 404
    assert anon.get(f"/feedback/{newer}").status_code == 200
    assert redact(f"GET /feedback/{newer} HTTP/1.1") == "GET /feedback/[redacted] HTTP/1.1"


def test_page_shows_outcome_quotes_scores_and_distance_without_identity(
    client: FlaskClient, login_as: Login, world: dict[str, object]
) -> None:
    rnd, apps = world["round"], world["apps"]
    assert isinstance(rnd, Round) and isinstance(apps, dict)
    rnd.question_route = KIND_WORDS
    db.session.commit()
    login_as(world["staff"])  # type: ignore[arg-type]
    token = _make_link(client, rnd, apps["A-003"])
    funded_token = _make_link(client, rnd, apps["A-001"])
    _release(client, rnd)
    anon = client.application.test_client()
    page = html.unescape(text(anon.get(f"/feedback/{token}")))
    assert "not funded this time" in page
    assert "Clear plan. Say more about who will come." in page
    assert "Lovely idea, but the budget needs more detail." in page
    assert "Draft words never shown" not in page
    for secret in ("Priya Secretname", "Olu Privatename", "Panel member 1", "Panel member 3",
                   "Shaky budget", "Riverside Private Trust"):
        assert secret not in page
    # Ranked 3rd of 3; the last funded came 2nd; £12,000 asked down to it vs £10,000.
    assert "came number 3 out of 3" in page
    assert "The last application to get money came number 2." in page
    assert "1 place below it" in page
    assert "£2,000.00 more" in page
    assert "Who benefits" in page and "4.00 to 4.00" in page
    assert KIND_WORDS in page
    assert "/concerns" in page
    funded = html.unescape(text(anon.get(f"/feedback/{funded_token}")))
    assert "you will get £4,000.00" in funded


def test_staff_edit_keeps_the_original_and_a_trace(
    client: FlaskClient, login_as: Login, world: dict[str, object]
) -> None:
    rnd, apps = world["round"], world["apps"]
    assert isinstance(rnd, Round) and isinstance(apps, dict)
    app = apps["A-003"]
    login_as(world["staff"])  # type: ignore[arg-type]
    url = f"/staff/rounds/{rnd.id}/applications/{app.id}/feedback"
    sheets = list(db.session.scalars(select(ScoreSheet).where(
        ScoreSheet.application_id == app.id, ScoreSheet.feedback != "")
        .order_by(ScoreSheet.id)))
    first, second = sheets
    typed = {f"sheet_{first.id}": "Clear plan. Tell us more about who will come.",
             f"sheet_{second.id}": second.feedback}
    refused = submit(client, url, {**typed, "reason": ""})
    assert refused.status_code == 400
    assert "Write a short reason" in text(refused)
    assert "Tell us more about who will come." in text(refused), "the typing is kept"
    saved = submit(client, url, {**typed, "reason": "Kinder wording"}, follow_redirects=True)
    assert saved.status_code == 200
    db.session.expire_all()
    assert db.session.get(ScoreSheet, first.id).feedback == \
        "Clear plan. Say more about who will come."  # the original is unchanged
    edit = db.session.scalar(select(FeedbackEdit))
    assert edit is not None and edit.sheet_id == first.id and edit.reason == "Kinder wording"
    assert edit.author_id == world["staff"].id  # type: ignore[attr-defined]
    page = html.unescape(text(client.get(url)))
    assert "Grace Grants" in page and "Kinder wording" in page
    assert "Say more about who will come." in page  # the original, shown to staff
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "feedback.edited"))
    token = _make_link(client, rnd, app)
    _release(client, rnd)
    public = text(client.application.test_client().get(f"/feedback/{token}"))
    assert "Tell us more about who will come." in public
    assert "Say more about who will come." not in public


def test_release_needs_publishing_and_says_how_many_have_no_feedback(
    client: FlaskClient, login_as: Login, world: dict[str, object]
) -> None:
    rnd = world["round"]
    assert isinstance(rnd, Round)
    login_as(world["staff"])  # type: ignore[arg-type]
    confirm = html.unescape(text(client.get(f"/staff/rounds/{rnd.id}/feedback-release")))
    assert "3 applications have no feedback from the panel." in confirm
    rnd.state = "decided"  # type: ignore[assignment]
    db.session.commit()
    refused = submit(client, f"/staff/rounds/{rnd.id}/feedback-release",
                     form_url=f"/staff/rounds/{rnd.id}/feedback", follow_redirects=True)
    assert "Publish the decision first" in text(refused)
    db.session.refresh(rnd)
    assert rnd.feedback_released_at is None


def test_question_route_is_saved_with_welsh(
    client: FlaskClient, login_as: Login, world: dict[str, object]
) -> None:
    rnd = world["round"]
    assert isinstance(rnd, Round)
    login_as(world["staff"])  # type: ignore[arg-type]
    resp = submit(client, f"/staff/rounds/{rnd.id}/feedback-route",
                  {"question_route": KIND_WORDS, "question_route_cy": "Gofynnwch am adolygiad."},
                  form_url=f"/staff/rounds/{rnd.id}/feedback", follow_redirects=True)
    assert "is saved" in text(resp)
    db.session.refresh(rnd)
    assert rnd.question_route == KIND_WORDS
    assert rnd.translations and rnd.translations["cy"]["question_route"] == \
        "Gofynnwch am adolygiad."
    assert rnd.translations["cy"].get("name") is None or rnd.translations["cy"]["name"]


def test_panel_members_and_visitors_cannot_use_staff_feedback_pages(
    client: FlaskClient, login_as: Login, world: dict[str, object]
) -> None:
    rnd, apps = world["round"], world["apps"]
    assert isinstance(rnd, Round) and isinstance(apps, dict)
    urls = [f"/staff/rounds/{rnd.id}/feedback", f"/staff/rounds/{rnd.id}/feedback-release",
            f"/staff/rounds/{rnd.id}/applications/{apps['A-003'].id}/feedback"]
    for url in urls:
        resp = client.get(url)
        assert resp.status_code == 302 and "/sign-in" in resp.headers["Location"]
    login_as(world["member"])  # type: ignore[arg-type]
    for url in urls:
        assert client.get(url).status_code == 403
    resp = client.post(f"/staff/rounds/{rnd.id}/applications/{apps['A-003'].id}/feedback-link")
    assert resp.status_code in (400, 403)
    assert db.session.scalar(select(FeedbackLink)) is None


def test_concerns_page_and_links(client: FlaskClient, app: Flask, login_as: Login,
                                 world: dict[str, object]) -> None:
    app.config["CONCERNS_CONTACT"] = "concerns@example.org"
    page = text(client.get("/concerns"))
    assert "concerns@example.org" in page and "give your name" in page
    assert 'href="/concerns"' in text(client.get("/"))
    login_as(world["member"])  # type: ignore[arg-type]
    assert 'href="/concerns"' in text(client.get("/panel/"))


def test_staff_can_email_the_link(client: FlaskClient, login_as: Login,
                                  world: dict[str, object], inbox: Inbox) -> None:  # noqa: F811
    rnd, apps = world["round"], world["apps"]
    assert isinstance(rnd, Round) and isinstance(apps, dict)
    app = apps["A-001"]  # has contact_email treasurer@riverside-private.example
    login_as(world["staff"])  # type: ignore[arg-type]
    resp = submit(client, f"/staff/rounds/{rnd.id}/applications/{app.id}/feedback-email",
                  form_url=f"/staff/rounds/{rnd.id}/feedback", follow_redirects=True)
    assert "is emailed" in text(resp)
    (message,) = inbox.to("treasurer@riverside-private.example")
    found = LINK.search(_body(message))
    assert found
    _release(client, rnd)
    assert client.application.test_client().get(f"/feedback/{found.group(1)}").status_code \
        == 200
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "feedback.emailed"))
