"""Staff pages for the panel: members with progress, one-time invitation links, conflicts."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from grantpanel.extensions import db
from grantpanel.models import AuditEvent, Conflict, Membership, ScoreSheet, User
from tests.builders import make_member, make_round, make_user
from tests.helpers import csrf_token, post_form, text

Login = Callable[[User], FlaskClient]
LINK_RE = re.compile(r"http://localhost/invitation/([A-Za-z0-9_\-]+)")


@pytest.fixture()
def staff(app: Flask) -> User:
    user = make_user(role="staff", name="Grace Grants")
    db.session.commit()
    return user


def test_staff_add_a_member_and_see_the_invitation_link_once(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round()
    db.session.commit()
    client = login_as(staff)
    resp = post_form(
        client,
        f"/staff/rounds/{rnd.id}/panel/new",
        {"name": "Ada Lovel", "email": "ada@example.org", "phone": "", "access_needs": ""},
    )
    assert resp.status_code == 302
    first = text(client.get(resp.headers["Location"]))
    assert "is on the panel as Panel member 1" in first
    assert "by text message, phone or email" in first and "It works once" in first
    match = LINK_RE.search(first)
    assert match is not None
    token = match.group(1)
    again = text(client.get(resp.headers["Location"]))
    assert token not in again and "cannot be shown again" in again
    assert token not in text(client.get(f"/staff/rounds/{rnd.id}/panel"))
    events = db.session.scalars(select(AuditEvent)).all()
    assert token not in str([(e.action, e.detail) for e in events])


def test_the_invitation_link_signs_the_member_in_once(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round()
    db.session.commit()
    client = login_as(staff)
    resp = post_form(client, f"/staff/rounds/{rnd.id}/panel/new",
                     {"name": "Ada", "email": "ada@example.org"})
    link = LINK_RE.search(text(client.get(resp.headers["Location"])))
    assert link is not None
    path = f"/invitation/{link.group(1)}"
    member_client = app.test_client()
    used = member_client.post(path, data={"csrf_token": csrf_token(member_client, path)})
    assert used.status_code == 302
    other = app.test_client()
    again = other.post(path, data={"csrf_token": csrf_token(other, "/sign-in")})
    assert again.status_code == 400 and "already been used" in text(again)


def test_a_new_link_replaces_the_old_one(app: Flask, staff: User, login_as: Login) -> None:
    rnd = make_round()
    db.session.commit()
    client = login_as(staff)
    resp = post_form(client, f"/staff/rounds/{rnd.id}/panel/new",
                     {"name": "Ada", "email": "ada@example.org"})
    old = LINK_RE.search(text(client.get(resp.headers["Location"])))
    membership = db.session.scalars(select(Membership)).one()
    url = f"/staff/rounds/{rnd.id}/panel/{membership.id}/invitation"
    resp = post_form(client, url, page=url)
    page = text(client.get(resp.headers["Location"]))
    new = LINK_RE.search(page)
    assert old and new and old.group(1) != new.group(1)
    assert "Earlier unused links for this round no longer work" in page
    member_client = app.test_client()
    path = f"/invitation/{old.group(1)}"
    stale = member_client.post(path, data={"csrf_token": csrf_token(member_client, path)})
    assert "expired" in text(stale)


def test_adding_a_member_twice_is_explained(app: Flask, staff: User, login_as: Login) -> None:
    rnd = make_round()
    make_member(rnd, make_user(email="sam@example.org", name="Sam"))
    db.session.commit()
    page = text(post_form(login_as(staff), f"/staff/rounds/{rnd.id}/panel/new",
                          {"name": "Sam", "email": "sam@example.org"}))
    assert "already on this round&#39;s panel" in page
    assert 'value="sam@example.org"' in page


def test_the_member_form_checks_name_and_email(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round()
    db.session.commit()
    page = text(post_form(login_as(staff), f"/staff/rounds/{rnd.id}/panel/new",
                          {"name": "", "email": "not an email"}))
    assert "Enter the person&#39;s name." in page
    assert "Enter an email address in the right form" in page


def test_the_panel_list_shows_each_members_progress(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round(applications=3)
    m = make_member(rnd, make_user(name="Ada Lovel"))
    a1, a2, _ = rnd.applications
    db.session.add(ScoreSheet(membership_id=m.id, application_id=a1.id, status="submitted",
                              scores={"c1": 3, "c2": 3}))
    db.session.add(Conflict(membership_id=m.id, application_id=a2.id, category="family",
                            declared_by_id=m.user_id))
    db.session.commit()
    page = text(login_as(staff).get(f"/staff/rounds/{rnd.id}/panel"))
    assert "Panel member 1" in page and "Ada Lovel" in page
    row = page[page.index("Ada Lovel"):]
    cells = re.findall(r'<td class="num">(\d+)</td>', row)[:4]
    assert cells == ["1", "0", "1", "1"]


def test_staff_record_a_conflict_for_a_member(app: Flask, staff: User, login_as: Login) -> None:
    rnd = make_round(state="open", applications=2)
    m = make_member(rnd, make_user(name="Ada Lovel"))
    a = rnd.applications[1]
    sheet = ScoreSheet(membership_id=m.id, application_id=a.id, status="submitted",
                       scores={"c1": 5, "c2": 5})
    db.session.add(sheet)
    db.session.commit()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/conflicts/new"
    form_page = text(client.get(url))
    assert "Works or volunteers for the applicant" in form_page
    resp = post_form(client, url, {"membership": str(m.id), "application": str(a.id),
                                   "category": "trustee", "note": "Chair of their board"})
    assert resp.status_code == 302
    db.session.refresh(sheet)
    assert sheet.status == "withdrawn"
    page = text(client.get(f"/staff/rounds/{rnd.id}/conflicts"))
    assert "Panel member 1" in page and "Ada Lovel" in page and "A-002" in page
    assert "Chair of their board" in page and "Grace Grants (staff)" in page


def test_a_conflict_needs_a_category(app: Flask, staff: User, login_as: Login) -> None:
    rnd = make_round(applications=1)
    m = make_member(rnd)
    db.session.commit()
    page = text(post_form(login_as(staff), f"/staff/rounds/{rnd.id}/conflicts/new",
                          {"membership": str(m.id), "application": str(rnd.applications[0].id),
                           "note": "kept"}))
    assert "Choose how the member is connected to the applicant." in page
    assert "kept" in page
    assert db.session.scalars(select(Conflict)).first() is None


def test_the_progress_page_flags_applications_short_of_quorum(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round(state="open", applications=1, quorum=2)
    m = make_member(rnd)
    db.session.add(ScoreSheet(membership_id=m.id, application_id=rnd.applications[0].id,
                              status="submitted", scores={"c1": 3, "c2": 3}))
    db.session.commit()
    page = text(login_as(staff).get(f"/staff/rounds/{rnd.id}/progress"))
    assert "1 more needed" in page


def test_the_progress_page_shows_50_applications_and_50_members_a_page(
    app: Flask, login_as: Login
) -> None:
    staff = make_user(role="staff")
    rnd = make_round(state="open", applications=55)
    for _ in range(52):
        make_member(rnd)
    db.session.commit()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/progress"
    first = text(client.get(url))
    assert "A-050" in first and "A-051" not in first
    assert "apage=2" in first and "mpage=2" in first  # each list has its own next page
    second = text(client.get(url + "?apage=2&mpage=1"))
    assert "A-051" in second and "A-055" in second and "A-001:" not in second
    for hostile in ("?apage=-1", "?mpage=abc", "?apage=99999"):
        assert client.get(url + hostile).status_code == 200
