"""Data protection: staff find a person, export everything held, erase it; retention.

Published records hold pseudonyms and public fields only, so erasing a member or an applicant
of a published round leaves the stored record byte-identical and still verifiable.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

import voting
from grantpanel.demo import PANEL_PASSWORD, load_demo
from grantpanel.extensions import db
from grantpanel.models import (
    Application,
    AuditEvent,
    Conflict,
    Invitation,
    Membership,
    PublishedRecord,
    Round,
    ScoreSheet,
    User,
    utcnow,
)
from grantpanel.services import accounts, counting, privacy
from tests.app.record_builders import make_published_round
from tests.builders import make_application, make_member, make_round, make_user
from tests.helpers import csrf_token, post_form, text

Login = Callable[[User], FlaskClient]


@pytest.fixture()
def staff(app: Flask) -> User:
    user = make_user(role="staff", name="Grace Grants", email="grace@fund.example")
    db.session.commit()
    return user


def _member_with_everything() -> tuple[User, Round, Application]:
    """A member with phone, access needs, an invitation, a conflict note, a sheet with a
    panel note and feedback, and an audit trail."""
    rnd = make_round(state="open", applications=2)
    user = make_user(name="Priya Secretname", email="priya@home.example")
    user.phone = "07700 900123"
    user.access_needs = "Large print, please"
    member = make_member(rnd, user, hours=6)
    first, second = rnd.applications
    db.session.add(Conflict(membership_id=member.id, application_id=second.id,
                            category="family", note="My cousin runs this one",
                            declared_by_id=user.id))
    db.session.add(ScoreSheet(membership_id=member.id, application_id=first.id,
                              status="submitted", scores={"c1": 4, "c2": 3},
                              panel_note="Shaky budget, I doubt the numbers",
                              feedback="Say more about who will come."))
    accounts.create_invitation(user, round_id=rnd.id, actor=None)
    db.session.commit()
    return user, rnd, first


def _download(client: FlaskClient, kind: str, person_id: int) -> dict:
    url = f"/staff/people/{kind}/{person_id}"
    resp = post_form(client, f"{url}/export", page=url)
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    assert "attachment" in resp.headers["Content-Disposition"]
    return json.loads(resp.get_data(as_text=True))


def _erase(client: FlaskClient, kind: str, person_id: int, confirm: str = "erase",
           reason: str = "They asked us to erase their data."):
    url = f"/staff/people/{kind}/{person_id}"
    return post_form(client, f"{url}/erase", {"confirm": confirm, "reason": reason}, page=url)


# --- search ----------------------------------------------------------------------------------


def test_staff_find_a_member_and_an_applicant_by_part_of_a_name_or_email(
    app: Flask, staff: User, login_as: Login
) -> None:
    user, rnd, application = _member_with_everything()
    application.applicant_name = "Riverside Priya Trust"
    db.session.commit()
    client = login_as(staff)
    assert "Find a person's data" in text(client.get("/staff/"))
    page = text(client.get("/staff/people?q=PRIYA"))
    assert f'href="/staff/people/members/{user.id}"' in page
    assert f'href="/staff/people/applicants/{application.id}"' in page
    by_email = text(client.get("/staff/people?q=home.example"))
    assert f'href="/staff/people/members/{user.id}"' in by_email
    summary = text(client.get(f"/staff/people/members/{user.id}"))
    assert "Priya Secretname" in summary and "Large print, please" in summary
    assert "Panel member 1" in summary and rnd.name in summary
    assert "This cannot be undone." in summary


def test_search_lists_at_most_fifty_people_and_never_staff_or_everyone(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round()
    for i in range(60):
        make_application(rnd, reference=f"S-{i:03d}", applicant_name=f"Smith group {i}")
    db.session.commit()
    client = login_as(staff)
    page = text(client.get("/staff/people?q=smith"))
    assert page.count('href="/staff/people/applicants/') == privacy.SEARCH_LIMIT
    assert "More people match than can be shown" in page
    assert "/staff/people/members/" not in text(client.get("/staff/people?q=grace"))
    assert "/staff/people/" not in text(client.get("/staff/people?q=s")).replace(
        "/staff/people?", "")
    assert "at least 2 characters" in text(client.get("/staff/people?q=s"))
    assert "/staff/people/applicants/" not in text(client.get("/staff/people?q=%25"))
    hostile = client.get("/staff/people?q=smi%00th")
    assert hostile.status_code == 200 and "hidden control character" in text(hostile)


def test_only_staff_can_find_export_or_erase_people(
    app: Flask, client: FlaskClient, staff: User, login_as: Login
) -> None:
    user, _, _ = _member_with_everything()
    urls = ["/staff/people?q=priya", f"/staff/people/members/{user.id}"]
    posts = [f"/staff/people/members/{user.id}/export", f"/staff/people/members/{user.id}/erase"]
    erase = {"confirm": "erase", "reason": "They asked us to erase it."}
    for url in urls + posts:
        resp = client.get(url) if url in urls else client.post(
            url, data={**erase, "csrf_token": csrf_token(client, "/sign-in")})
        assert resp.status_code == 302 and "/sign-in" in resp.headers["Location"]
    member = login_as(user)
    for url in urls:
        assert member.get(url).status_code == 403
    for url in posts:
        token = csrf_token(member, "/panel/")
        assert member.post(url, data={**erase, "csrf_token": token}).status_code == 403
    assert db.session.get(User, user.id).name == "Priya Secretname"
    staff_client = login_as(staff)
    assert staff_client.get(f"/staff/people/members/{staff.id}").status_code == 404
    assert staff_client.get("/staff/people/members/99999999999999999999").status_code == 404


# --- export ----------------------------------------------------------------------------------


def test_member_export_holds_everything_but_never_the_password_hash_or_tokens(
    app: Flask, staff: User, login_as: Login
) -> None:
    user, rnd, first = _member_with_everything()
    data = _download(login_as(staff), "members", user.id)
    body = json.dumps(data)
    assert data["kind"] == "panel member"
    account = data["account"]
    assert account["name"] == "Priya Secretname" and account["email"] == "priya@home.example"
    assert account["phone"] == "07700 900123" and account["access_needs"] == "Large print, please"
    assert user.password_hash not in body and user.session_nonce not in body
    assert "password_hash" not in account and "session_nonce" not in account
    assert data["secrets_held_not_exported"]["password"].startswith("set")
    token_hash = db.session.scalar(select(Invitation.token_hash))
    assert token_hash not in body
    assert len(data["invitations"]) == 1 and set(data["invitations"][0]) == {
        "round_id", "created_at", "expires_at", "used_at"}
    (membership,) = data["memberships"]
    assert membership["pseudonym"] == "Panel member 1" and membership["hours"] == 6
    assert membership["number"] == 1
    assert membership["round"]["name"] == rnd.name
    assert membership["conflicts"][0]["note"] == "My cousin runs this one"
    assert membership["conflicts"][0]["declared_by"] == "this person"
    sheet = membership["score_sheets"][0]
    assert sheet["application"] == first.reference and sheet["scores"] == {"c1": 4, "c2": 3}
    assert sheet["panel_note"] == "Shaky budget, I doubt the numbers"
    assert sheet["feedback"] == "Say more about who will come."
    assert "invitation.created" in {e["action"] for e in data["audit_events"]}
    exported = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.exported"))
    assert exported is not None and exported.actor_id == staff.id
    assert exported.detail == {"kind": "member", "user_id": user.id}


def test_applicant_export_holds_every_application_with_the_same_email(
    app: Flask, staff: User, login_as: Login
) -> None:
    user, rnd, first = _member_with_everything()
    first.contact_email = "Treasurer@Riverside.example"
    first.answers = "We run a warm space on Tuesdays."
    first.eligible, first.eligibility_reason = False, "Outside the area we fund."
    later = make_application(make_round(name="Spring Fund"), reference="B-001",
                             contact_email="treasurer@riverside.example",
                             applicant_name="Riverside Trust")
    make_application(rnd, reference="Z-999", contact_email="someone@else.example")
    db.session.commit()
    data = _download(login_as(staff), "applicants", later.id)
    assert data["kind"] == "applicant"
    refs = [a["reference"] for a in data["applications"]]
    assert refs == [first.reference, "B-001"]
    a = data["applications"][0]
    assert a["contact_email"] == "Treasurer@Riverside.example"
    assert a["answers"] == "We run a warm space on Tuesdays."
    assert a["eligible"] is False and a["eligibility_reason"] == "Outside the area we fund."
    assert a["feedback_from_the_panel"] == [
        {"stage": 1, "status": "submitted", "feedback": "Say more about who will come."}]
    assert "Shaky budget" not in json.dumps(data)  # the panel's private note is not theirs
    again = _download(login_as(staff), "applicants", first.id)
    assert again["applications"] == data["applications"]
    assert [e["action"] for e in again["audit_events"]].count("person.exported") == 1


# --- erasure ---------------------------------------------------------------------------------


def test_records_hold_no_names_emails_or_notes(app: Flask) -> None:
    rnd, _ = make_published_round()
    inputs = json.dumps(counting.record_inputs(rnd))
    for secret in ["Priya Secretname", "Tomasz Hiddensurname", "Riverside Private Trust Ltd",
                   "treasurer@riverside-private.example", "My cousin runs this one",
                   "Shaky budget, I doubt the numbers", "@example.org"]:
        assert secret not in inputs


def test_erasing_a_member_and_an_applicant_of_a_published_round_keeps_the_record_valid(
    app: Flask, client: FlaskClient, staff: User, login_as: Login
) -> None:
    list(load_demo(if_empty=True))
    published = db.session.scalar(select(Round).where(Round.state == "published"))
    record = db.session.scalar(
        select(PublishedRecord).where(PublishedRecord.round_id == published.id))
    body, digest = record.body, record.digest
    assert voting.verify_record(json.loads(body)).ok
    member = db.session.scalar(select(Membership).where(
        Membership.round_id == published.id, Membership.number == 1))
    user = member.user
    name, email = user.name, user.email
    assert name not in body and email not in body
    sheet = db.session.scalar(select(ScoreSheet).where(ScoreSheet.membership_id == member.id))
    sheet.panel_note = "A private remark"
    conflict = db.session.scalar(select(Conflict).where(Conflict.membership_id == member.id))
    if conflict is not None:
        conflict.note = "I know the treasurer"
    application = published.applications[0]
    applicant_email = application.contact_email
    applicant_name = application.applicant_name
    fed_back = db.session.scalar(select(ScoreSheet).where(
        ScoreSheet.application_id == application.id))
    fed_back.feedback = "A clear plan; say more about volunteers."
    db.session.commit()

    member_client = app.test_client()
    assert post_form(member_client, "/sign-in",
                     {"email": email, "password": PANEL_PASSWORD}).status_code == 302
    assert member_client.get("/panel/").status_code == 200

    client = login_as(staff)
    assert _erase(client, "members", user.id).status_code == 302
    assert _erase(client, "applicants", application.id).status_code == 302

    db.session.expire_all()
    stored = db.session.get(PublishedRecord, record.id)
    assert stored.body == body and stored.digest == digest
    report = voting.verify_record(json.loads(stored.body))
    assert report.ok, (report.mismatch, report.message)

    user = db.session.get(User, user.id)
    assert user.name == privacy.ERASED_NAME and user.email == f"erased-{user.id}@invalid"
    assert user.phone is None and user.access_needs is None and user.password_hash is None
    assert user.erased_at is not None
    assert db.session.scalar(select(Invitation).where(Invitation.user_id == user.id)) is None
    assert db.session.get(ScoreSheet, sheet.id).panel_note == ""
    assert db.session.get(ScoreSheet, sheet.id).scores  # the scores themselves stay
    if conflict is not None:
        assert db.session.get(Conflict, conflict.id).note == ""
    assert member.number == 1 and db.session.get(Membership, member.id) is not None
    assert member_client.get("/panel/").status_code == 302  # signed out everywhere
    assert post_form(member_client, "/sign-in",
                     {"email": email, "password": PANEL_PASSWORD}).status_code != 302

    application = db.session.get(Application, application.id)
    assert application.applicant_name == privacy.ERASED_APPLICANT
    assert application.contact_email is None and application.answers == ""
    assert db.session.get(ScoreSheet, fed_back.id).feedback == ""
    assert application.title and application.summary  # public, and in the record

    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "person.erased")).all()
    assert {e.detail["kind"] for e in events} == {"member", "applicant"}
    assert all(e.actor_id == staff.id and e.detail["reason"] for e in events)
    every_detail = json.dumps([e.detail for e in db.session.scalars(select(AuditEvent))])
    for secret in [name, email, applicant_name, applicant_email, "A private remark"]:
        assert secret not in every_detail
    page = text(client.get(f"/staff/people/members/{user.id}"))
    assert "has been erased" in page and "Erase this person" not in page
    assert _erase(client, "members", user.id).status_code == 400


def test_erasing_needs_the_typed_word_and_a_reason_and_changes_nothing_otherwise(
    app: Flask, staff: User, login_as: Login
) -> None:
    user, _, _ = _member_with_everything()
    client = login_as(staff)
    wrong_word = _erase(client, "members", user.id, confirm="yes please")
    assert wrong_word.status_code == 400
    assert "Type the word erase" in text(wrong_word)
    no_reason = _erase(client, "members", user.id, reason="  ")
    assert no_reason.status_code == 400 and "Write why" in text(no_reason)
    assert "erase" in text(no_reason)  # what was typed is kept
    nul = _erase(client, "members", user.id, reason="asked\x00")
    assert nul.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).name == "Priya Secretname"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.erased")) \
        is None


def test_a_staff_account_cannot_be_erased(app: Flask, staff: User) -> None:
    with pytest.raises(privacy.PrivacyError):
        privacy.erase_member(staff, None, reason="Testing")


# --- retention -------------------------------------------------------------------------------


def _retention_world() -> dict[str, int]:
    """An old published round (two members, four applications), a recent published round,
    and an open round that one old member is also on."""
    old_round, _ = make_published_round(
        name="Old Fund", published_at=utcnow() - dt.timedelta(days=400))
    recent, _ = make_published_round(name="Recent Fund", previous_digest=None,
                                      published_at=utcnow() - dt.timedelta(days=10))
    priya, tomasz = (m.user for m in sorted(old_round.memberships, key=lambda m: m.number))
    newer = make_round(name="Open Fund", state="open")
    make_member(newer, tomasz)
    staff = make_user(role="staff", name="Grace Grants")
    db.session.commit()
    return {"old": old_round.id, "recent": recent.id, "priya": priya.id, "tomasz": tomasz.id,
            "staff": staff.id}


def test_retention_dry_run_counts_without_changing_anything(
    app: Flask, runner: FlaskCliRunner
) -> None:
    ids = _retention_world()
    app.config["RETENTION_DAYS"] = 365
    result = runner.invoke(args=["retention", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Rounds published more than 365 days ago: 1." in result.output
    assert "Panel members would be erased: 1." in result.output
    assert "kept because they are on a newer round: 1." in result.output
    assert "Applications would be erased: 4." in result.output
    assert "Priya" not in result.output and "@" not in result.output
    db.session.expire_all()
    assert db.session.get(User, ids["priya"]).erased_at is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.erased")) \
        is None


def test_retention_erases_old_rounds_and_keeps_newer_members_recent_rounds_and_staff(
    app: Flask, runner: FlaskCliRunner
) -> None:
    ids = _retention_world()
    app.config["RETENTION_DAYS"] = 365
    bodies = {pr.id: pr.body for pr in db.session.scalars(select(PublishedRecord))}
    result = runner.invoke(args=["retention"])
    assert result.exit_code == 0, result.output
    assert "Panel members erased: 1." in result.output
    assert "Applications erased: 4." in result.output
    db.session.expire_all()
    assert db.session.get(User, ids["priya"]).erased_at is not None
    assert db.session.get(User, ids["tomasz"]).name == "Tomasz Hiddensurname"
    assert db.session.get(User, ids["staff"]).name == "Grace Grants"
    old_apps = db.session.scalars(
        select(Application).where(Application.round_id == ids["old"])).all()
    assert {a.applicant_name for a in old_apps} == {privacy.ERASED_APPLICANT}
    recent_apps = db.session.scalars(
        select(Application).where(Application.round_id == ids["recent"])).all()
    assert privacy.ERASED_APPLICANT not in {a.applicant_name for a in recent_apps}
    assert {pr.id: pr.body for pr in db.session.scalars(select(PublishedRecord))} == bodies
    again = runner.invoke(args=["retention"])
    assert "Panel members erased: 0." in again.output
    assert "Applications erased: 0." in again.output


def test_retention_of_zero_days_keeps_everything(app: Flask, runner: FlaskCliRunner) -> None:
    ids = _retention_world()
    app.config["RETENTION_DAYS"] = 0
    result = runner.invoke(args=["retention"])
    assert result.exit_code == 0 and "nothing was erased" in result.output
    db.session.expire_all()
    assert db.session.get(User, ids["priya"]).erased_at is None
