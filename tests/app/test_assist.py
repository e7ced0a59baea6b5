"""Panel care (issue 9): assisted entry, a member's own deadline, content warnings, skipping."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import voting
from grantpanel.extensions import db
from grantpanel.models import (
    Application,
    Assignment,
    AuditEvent,
    Conflict,
    Membership,
    Round,
    ScoreSheet,
    Skip,
    User,
    utcnow,
)
from grantpanel.services import applications as apps_service
from grantpanel.services import assignment, counting, panel_admin, panel_care, scoring, step_checks
from grantpanel.vocabulary import SheetStatus
from tests.app.panel_helpers import Login, field, score_form
from tests.builders import make_member, make_round, make_user
from tests.helpers import csrf_token, submit, text

SEED = "ab" * 32
SCHEMA = Path(voting.__file__).parent / "schema" / "decision-record.schema.json"


@pytest.fixture()
def staff(app: Flask) -> User:
    user = make_user(role="staff", email="staff@example.org", name="Grace Grants")
    db.session.commit()
    return user


def care_round(*, members: int = 2, applications: int = 2, **fields: Any
               ) -> tuple[Round, list[Membership]]:
    rnd = make_round(state="open", applications=applications, quorum=1, budget=300_000,
                     seed=SEED, seed_commitment=voting.seed_commitment(SEED), **fields)
    panel = [make_member(rnd, make_user(email=f"m{i}@example.org", name=f"Member {i}"),
                         conflicts_checked_at=utcnow()) for i in range(1, members + 1)]
    db.session.commit()
    return rnd, panel


def assist_url(rnd: Round, m: Membership, a: Application) -> str:
    return f"/staff/rounds/{rnd.id}/panel/{m.id}/applications/{a.id}/assist"


def care_url(rnd: Round, m: Membership) -> str:
    return f"/staff/rounds/{rnd.id}/panel/{m.id}/care"


def skip_url(rnd: Round, a: Application) -> str:
    return f"/panel/rounds/{rnd.id}/applications/{a.id}/skip"


def fresh_sheet(m: Membership, a: Application) -> ScoreSheet | None:
    return db.session.scalar(select(ScoreSheet).where(
        ScoreSheet.membership_id == m.id, ScoreSheet.application_id == a.id)
        .execution_options(populate_existing=True))


# --- assisted entry ---------------------------------------------------------------------------


def test_staff_enter_a_members_scores_and_the_audit_log_says_so(
        staff: User, client: FlaskClient, login_as: Login) -> None:
    rnd, panel = care_round()
    a = rnd.applications[0]
    login_as(staff)
    page = client.get(care_url(rnd, panel[0]))
    assert page.status_code == 200 and "Enter scores" in text(page)
    resp = submit(client, assist_url(rnd, panel[0], a),
                  {**score_form(rnd, ["4", "3"]), "submit_scores": "Submit my scores"})
    assert resp.status_code == 302
    sheet = fresh_sheet(panel[0], a)
    assert sheet is not None and sheet.status == SheetStatus.SUBMITTED
    assert sheet.entered_by_id == staff.id
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "sheet.assisted")).all()
    assert len(events) == 1 and events[0].actor_id == staff.id
    assert events[0].detail["membership_id"] == panel[0].id
    # The member's own later save clears the mark.
    scoring.save_sheet(panel[0], a, scores={"c1": 5, "c2": 3}, panel_note="", feedback="",
                       submit=True, actor=panel[0].user)
    db.session.commit()
    assert fresh_sheet(panel[0], a).entered_by_id is None  # type: ignore[union-attr]


def test_bad_scores_on_an_assisted_sheet_keep_the_typing(
        staff: User, client: FlaskClient, login_as: Login) -> None:
    rnd, panel = care_round()
    login_as(staff)
    resp = submit(client, assist_url(rnd, panel[0], rnd.applications[0]),
                  {**score_form(rnd, ["4", ""], panel_note="Phoned in on Tuesday"),
                   "submit_scores": "Submit my scores"})
    body = text(resp)
    assert resp.status_code == 200 and "Choose a score for" in body
    assert "Phoned in on Tuesday" in body
    assert fresh_sheet(panel[0], rnd.applications[0]) is None


def test_staff_cannot_enter_a_sheet_the_member_is_conflicted_on(
        staff: User, client: FlaskClient, login_as: Login) -> None:
    rnd, panel = care_round()
    a = rnd.applications[0]
    db.session.add(Conflict(membership_id=panel[0].id, application_id=a.id,
                            category="family", declared_by_id=panel[0].user_id))
    db.session.commit()
    login_as(staff)
    page = client.get(assist_url(rnd, panel[0], a))
    assert "You cannot enter scores for this member here" in text(page)
    resp = submit(client, assist_url(rnd, panel[0], a),
                  {**score_form(rnd, ["4", "3"]), "submit_scores": "Submit my scores"},
                  form_url=care_url(rnd, panel[0]))
    assert resp.status_code == 200 and fresh_sheet(panel[0], a) is None
    with pytest.raises(scoring.ConflictedError):
        panel_care.assisted_save(panel[0], a, scores={"c1": 4, "c2": 3}, panel_note="",
                                 feedback="", submit=True, actor=staff)


def test_staff_cannot_enter_a_sheet_for_an_application_not_assigned_to_the_member(
        staff: User) -> None:
    rnd, panel = care_round(members=3, applications=3, readers_per_application=1)
    assignment.run(rnd, staff)
    db.session.commit()
    theirs = {p.application_id for p in db.session.scalars(
        select(Assignment).where(Assignment.membership_id == panel[0].id))}
    other = next(a for a in rnd.applications if a.id not in theirs)
    with pytest.raises(scoring.NotAssignedError):
        panel_care.assisted_save(panel[0], other, scores={"c1": 4, "c2": 3}, panel_note="",
                                 feedback="", submit=True, actor=staff)


def publish(rnd: Round, staff: User) -> dict[str, Any]:
    rnd.state = "closed"
    db.session.commit()
    counting.decide(rnd, staff, [])
    published = counting.publish(rnd, staff)
    db.session.commit()
    return dict(json.loads(published.body))


def test_the_record_marks_assisted_sheets_and_verifies(staff: User) -> None:
    rnd, panel = care_round()
    a, b = rnd.applications
    panel_care.assisted_save(panel[0], a, scores={"c1": 4, "c2": 3}, panel_note="",
                             feedback="", submit=True, actor=staff)
    for app_ in (a, b):
        scoring.save_sheet(panel[1], app_, scores={"c1": 2, "c2": 3}, panel_note="",
                           feedback="", submit=True, actor=panel[1].user)
    db.session.commit()
    record = publish(rnd, staff)
    flags = [(s["member"], s["application"], s.get("assisted")) for s in record["sheets"]]
    assert ("Panel member 1", "A-001", True) in flags
    assert all(s.get("assisted") is None for s in record["sheets"]
               if s["member"] == "Panel member 2")
    assert voting.verify_record(record).ok
    schema = json.loads(SCHEMA.read_bytes())
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(record)) == []
    assert voting.record.verify_record_bytes(voting.canonical_json(record)).ok
    record["sheets"][0]["assisted"] = "yes"
    record["digest"] = voting.record_digest(record)
    report = voting.verify_record(record)
    assert not report.ok and report.mismatch == "sheets[0].assisted"


# --- a member's own deadline ------------------------------------------------------------------


def test_an_extended_member_can_score_after_the_closing_date_and_sees_their_date(
        staff: User, client: FlaskClient, login_as: Login) -> None:
    today = utcnow().date()
    rnd, panel = care_round(closes_on=today - dt.timedelta(days=2))
    later = today + dt.timedelta(days=5)
    login_as(staff)
    resp = submit(client, care_url(rnd, panel[0]),
                  {"extended_until": later.isoformat(), "save": "Save the date"})
    assert resp.status_code == 302
    db.session.refresh(panel[0])
    assert panel[0].extended_until == later
    assert panel_care.member_deadline(panel[0]) == later
    login_as(panel[0].user)
    queue = text(client.get(f"/panel/rounds/{rnd.id}/"))
    assert "You have until" in queue
    url = f"/panel/rounds/{rnd.id}/applications/{rnd.applications[0].id}"
    resp = submit(client, url, {**score_form(rnd, ["4", "3"]),
                                "submit_scores": "Submit my scores"})
    assert resp.status_code == 302
    assert fresh_sheet(panel[0], rnd.applications[0]).status == SheetStatus.SUBMITTED  # type: ignore[union-attr]


def test_the_close_page_lists_running_extensions(
        staff: User, client: FlaskClient, login_as: Login) -> None:
    today = utcnow().date()
    rnd, panel = care_round(closes_on=today)
    panel_care.set_extension(panel[1], today + dt.timedelta(days=3), staff, today=today)
    db.session.commit()
    check = step_checks.check(rnd, "close")
    assert any("1 panel member has an extension until" in line for line in check.outstanding)
    page = text(login_as(staff).get(f"/staff/rounds/{rnd.id}/steps/close"))
    assert "has an extension until" in page


def test_a_bad_extension_date_is_refused_plainly(
        staff: User, client: FlaskClient, login_as: Login) -> None:
    today = utcnow().date()
    rnd, panel = care_round(closes_on=today + dt.timedelta(days=10))
    login_as(staff)
    resp = submit(client, care_url(rnd, panel[0]),
                  {"extended_until": (today + dt.timedelta(days=3)).isoformat(),
                   "save": "Save the date"})
    assert resp.status_code == 200 and "Choose a date after the round closes" in text(resp)
    resp = submit(client, care_url(rnd, panel[0]),
                  {"extended_until": "31-31-2027", "save": "Save the date"})
    assert resp.status_code == 200 and "enter a real date" in text(resp)
    assert 'value="31-31-2027"' in text(resp)
    rnd.state = "closed"
    db.session.commit()
    with pytest.raises(panel_care.CareError):
        panel_care.set_extension(panel[0], today + dt.timedelta(days=20), staff, today=today)


def test_a_reminder_uses_the_members_own_deadline(staff: User) -> None:
    from grantpanel.services import messages

    today = utcnow().date()
    rnd, panel = care_round(closes_on=today)
    panel[0].extended_until = today + dt.timedelta(days=4)
    db.session.commit()
    assert "You have until" in messages._closing_sentence(rnd, panel[0])
    assert "Scoring closes on" in messages._closing_sentence(rnd, panel[1])


# --- content warnings -------------------------------------------------------------------------


def test_the_warning_comes_before_the_text(client: FlaskClient, login_as: Login) -> None:
    rnd, panel = care_round()
    a = rnd.applications[0]
    a.content_warning = "Mentions suicide"
    a.answers = "The distressing details of the application."
    db.session.commit()
    login_as(panel[0].user)
    queue = text(client.get(f"/panel/rounds/{rnd.id}/"))
    assert "Content warning: Mentions suicide" in queue
    page = text(client.get(f"/panel/rounds/{rnd.id}/applications/{a.id}"))
    warning = page.index("Mentions suicide")
    details = page.index('<details class="care-details">')
    assert warning < details < page.index("The distressing details")
    assert "<details class=\"care-details\" open" not in page
    assert "Show the application" in page and "rather not score this one" in page
    plain = text(client.get(f"/panel/rounds/{rnd.id}/applications/{rnd.applications[1].id}"))
    assert "<details class=\"care-details\"" not in plain


def test_the_csv_column_sets_the_warning_all_or_nothing(staff: User) -> None:
    rnd = make_round(state="draft")
    good = (b"applicant_name,title,summary,amount,content_warning\n"
            b"Group A,Warm rooms,Heating,100,Mentions abuse\n"
            b"Group B,Hot meals,Food,200,\n")
    apps_service.import_csv(rnd, staff, good)
    db.session.commit()
    warnings = {a.title: a.content_warning for a in db.session.scalars(
        select(Application).where(Application.round_id == rnd.id))}
    assert warnings == {"Warm rooms": "Mentions abuse", "Hot meals": ""}
    bad = ("applicant_name,title,summary,amount,content_warning\n"
           f"Group C,Coats,Clothes,100,{'x' * 201}\n"
           "Group D,Boots,Shoes,100,\n").encode()
    with pytest.raises(apps_service.ImportRejected) as e:
        apps_service.import_csv(rnd, staff, bad)
    assert "content_warning" in e.value.problems[0].message
    db.session.rollback()
    assert db.session.scalar(select(Application).where(Application.title == "Boots")) is None


def test_staff_set_the_warning_on_the_application_form(
        staff: User, client: FlaskClient, login_as: Login) -> None:
    rnd = make_round(state="draft", applications=1)
    db.session.commit()
    a = rnd.applications[0]
    login_as(staff)
    url = f"/staff/rounds/{rnd.id}/applications/{a.id}/edit"
    resp = submit(client, url, {"reference": a.reference, "applicant_name": a.applicant_name,
                                "title": a.title, "summary": a.summary, "amount": "1000",
                                "content_warning": "Mentions self-harm"})
    assert resp.status_code == 302
    db.session.refresh(a)
    assert a.content_warning == "Mentions self-harm"


# --- skipping ---------------------------------------------------------------------------------


def test_a_skip_removes_the_application_without_penalty_and_is_not_a_conflict(
        staff: User, client: FlaskClient, login_as: Login) -> None:
    rnd, panel = care_round()
    a, b = rnd.applications
    scoring.save_sheet(panel[0], a, scores={"c1": 1, "c2": 1}, panel_note="", feedback="",
                       submit=True, actor=panel[0].user)
    db.session.commit()
    login_as(panel[0].user)
    assert "rather not score this one" in text(client.get(skip_url(rnd, a)))
    resp = submit(client, skip_url(rnd, a), {"note": "Too close to home"},
                  follow_redirects=True)
    assert "It is no longer in your list" in text(resp)
    assert [i.application.id for i in scoring.queue(panel[0])] == [b.id]
    assert scoring.queue_progress(panel[0]) == (0, 1)
    assert fresh_sheet(panel[0], a).status == SheetStatus.WITHDRAWN  # type: ignore[union-attr]
    assert client.get(f"/panel/rounds/{rnd.id}/applications/{a.id}").status_code == 404
    progress = {p.membership.id: p for p in panel_admin.progress(rnd)}
    assert progress[panel[0].id].to_do == 1 and progress[panel[0].id].skipped == 1
    assert progress[panel[0].id].conflicts == 0
    staff_page = text(login_as(staff).get(f"/staff/rounds/{rnd.id}/progress"))
    assert "Too close to home" in staff_page and "chose not to score" in staff_page
    scoring.save_sheet(panel[1], a, scores={"c1": 3, "c2": 3}, panel_note="", feedback="",
                       submit=True, actor=panel[1].user)
    db.session.commit()
    record = publish(rnd, staff)
    assert record["conflicts"] == []
    assert [s["member"] for s in record["sheets"] if s["application"] == "A-001"] \
        == ["Panel member 2"]
    assert "Too close to home" not in json.dumps(record)
    assert voting.verify_record(record).ok


def test_a_skip_frees_the_slot_when_reading_is_shared_out(staff: User) -> None:
    rnd, panel = care_round(members=3, applications=3, readers_per_application=1)
    assignment.run(rnd, staff)
    db.session.commit()
    pair = db.session.scalars(select(Assignment).where(
        Assignment.membership_id == panel[0].id)).first()
    assert pair is not None
    a = pair.application
    panel_care.skip(panel[0], a, note="", actor=panel[0].user)
    db.session.commit()
    readers = {p.membership_id for p in db.session.scalars(
        select(Assignment).where(Assignment.application_id == a.id))}
    assert panel[0].id not in readers and len(readers) == 1
    assert db.session.scalar(select(Skip).where(Skip.membership_id == panel[0].id))
    assignment.run(rnd, staff)
    db.session.commit()
    assert panel[0].id not in {p.membership_id for p in db.session.scalars(
        select(Assignment).where(Assignment.application_id == a.id))}


def test_a_skip_needs_scoring_open_and_a_short_clean_note(
        client: FlaskClient, login_as: Login) -> None:
    rnd, panel = care_round()
    a = rnd.applications[0]
    login_as(panel[0].user)
    resp = submit(client, skip_url(rnd, a), {"note": "x" * 501})
    assert resp.status_code == 200 and "500 characters or fewer" in text(resp)
    resp = submit(client, skip_url(rnd, a), {"note": "bad\x00byte"})
    assert resp.status_code == 200
    assert db.session.scalar(select(Skip)) is None
    rnd.state = "closed"
    db.session.commit()
    page = text(client.get(skip_url(rnd, a)))
    assert "Scoring is not open" in page and "<form" not in page.split("<main")[-1]


# --- roles and hostile input ------------------------------------------------------------------


def test_panel_members_cannot_use_the_staff_care_pages(
        client: FlaskClient, login_as: Login) -> None:
    rnd, panel = care_round()
    login_as(panel[0].user)
    for url in (care_url(rnd, panel[0]), assist_url(rnd, panel[0], rnd.applications[0])):
        assert client.get(url).status_code in (302, 403, 404)
    login_as(make_user(role="panel"))
    assert client.get(skip_url(rnd, rnd.applications[0])).status_code == 404


def test_staff_cannot_reach_another_rounds_member_or_application(
        staff: User, client: FlaskClient, login_as: Login) -> None:
    rnd, panel = care_round()
    other = make_round(state="open", applications=1)
    db.session.commit()
    login_as(staff)
    assert client.get(f"/staff/rounds/{other.id}/panel/{panel[0].id}/care").status_code == 404
    assert client.get(assist_url(rnd, panel[0], other.applications[0])).status_code == 404


@pytest.mark.parametrize("value", ["<script>alert(1)</script>", "9" * 40, "2027-02-30",
                                   "\u202e2027-01-01"])
def test_hostile_extension_dates_are_refused(
        staff: User, client: FlaskClient, login_as: Login, value: str) -> None:
    rnd, panel = care_round()
    login_as(staff)
    resp = submit(client, care_url(rnd, panel[0]), {"extended_until": value,
                                                    "save": "Save the date"})
    assert resp.status_code == 200 and "<script>alert" not in text(resp)
    db.session.refresh(panel[0])
    assert panel[0].extended_until is None


def test_hostile_scores_on_an_assisted_sheet_are_refused(
        staff: User, client: FlaskClient, login_as: Login) -> None:
    rnd, panel = care_round()
    login_as(staff)
    url = assist_url(rnd, panel[0], rnd.applications[0])
    resp = client.post(url, data={field(rnd, 0): "99", field(rnd, 1): "-1",
                                  "submit_scores": "x", "csrf_token": csrf_token(client, url)})
    assert resp.status_code == 200
    assert fresh_sheet(panel[0], rnd.applications[0]) is None
    assert client.post(url, data={field(rnd, 0): "3"}).status_code == 400  # no CSRF token


def test_a_conflicted_member_is_turned_away_from_the_skip_page(
        client: FlaskClient, login_as: Login) -> None:
    rnd, panel = care_round()
    a = rnd.applications[0]
    db.session.add(Conflict(membership_id=panel[0].id, application_id=a.id,
                            category="family", declared_by_id=panel[0].user_id))
    db.session.commit()
    login_as(panel[0].user)
    assert client.get(skip_url(rnd, a)).status_code == 403
