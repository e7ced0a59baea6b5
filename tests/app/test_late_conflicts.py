"""After scoring closes, nothing changes the count without a reason.

A conflict of interest recorded once scoring has closed (by staff or by the member) withdraws a
submitted sheet from a finished count, so it needs a written reason; the reason, who declared
it (a member or staff) and when (before or after close) go into the schema-2 decision record
and onto the public outcome page with the overrides. Once the decision is confirmed, conflicts
are refused in plain words, and the panel conflicts screen answers every round state without a
server error.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import voting
from grantpanel import verifier
from grantpanel.extensions import db
from grantpanel.models import (
    Conflict,
    Membership,
    PublishedRecord,
    Round,
    ScoreSheet,
    User,
    utcnow,
)
from grantpanel.services import conflicts, counting, transitions
from tests.builders import make_member, make_round, make_user
from tests.helpers import confirm_count, csrf_token, text
from voting.record import CURRENT_SCHEMA_VERSION, record_outputs

Login = Callable[[User], FlaskClient]
SEED = "ab" * 32
REASON = "The member told us on Monday that their sister chairs this group."
STATES = ["draft", "open", "closed", "decided", "published"]


@pytest.fixture()
def staff(app: Flask) -> User:
    user = make_user(role="staff", name="Grace Grants")
    db.session.commit()
    return user


def scored_round(state: str = "closed") -> tuple[Round, list[Membership]]:
    """Three £1,000 applications, £2,000 budget, two members who submitted every sheet.

    A-002 scores 5s, A-001 4s, A-003 2s; quorum 1, so withdrawing a sheet keeps it ranked.
    """
    rnd = make_round(
        state=state, budget=200_000, applications=3, amount=100_000, quorum=1,
        fit_rule="stop", seed=SEED, seed_commitment=voting.seed_commitment(SEED),
    )
    members = [make_member(rnd, conflicts_checked_at=utcnow()) for _ in range(2)]
    scores = {"A-001": 4, "A-002": 5, "A-003": 2}
    for a in rnd.applications:
        for m in members:
            db.session.add(ScoreSheet(
                membership_id=m.id, application_id=a.id, status="submitted",
                submitted_at=utcnow(),
                scores={"c1": scores[a.reference], "c2": scores[a.reference]},
            ))
    db.session.commit()
    return rnd, members


def sheet_of(member: Membership, rnd: Round, index: int) -> ScoreSheet:
    return db.session.scalars(
        select(ScoreSheet)
        .where(ScoreSheet.membership_id == member.id,
               ScoreSheet.application_id == rnd.applications[index].id)
        .execution_options(populate_existing=True)
    ).one()


def all_conflicts() -> list[Conflict]:
    return list(db.session.scalars(
        select(Conflict).order_by(Conflict.id).execution_options(populate_existing=True)
    ))


def token(client: FlaskClient, *urls: str) -> str:
    """A CSRF token from the first of ``urls`` that has a form."""
    for url in urls:
        try:
            return csrf_token(client, url)
        except AssertionError:
            continue
    raise AssertionError(f"no form on any of {urls}")


# --------------------------------------------------------------------------- the service


def test_a_conflict_before_close_needs_no_reason_and_is_marked_before_close(app: Flask) -> None:
    rnd, (m1, _) = scored_round("open")
    conflict = conflicts.declare_conflict(
        m1, rnd.applications[0], category="family", declared_by=m1.user, reason="ignored"
    )
    db.session.commit()
    assert (conflict.declared_role, conflict.declared_when, conflict.reason) == (
        "member", "before-close", "")


@pytest.mark.parametrize("by", ["staff", "member"])
def test_a_conflict_after_close_without_a_reason_is_refused_and_changes_nothing(
    app: Flask, staff: User, by: str
) -> None:
    rnd, (m1, _) = scored_round("closed")
    declarer = staff if by == "staff" else m1.user
    with pytest.raises(conflicts.ConflictError, match="Write the reason"):
        conflicts.declare_conflict(m1, rnd.applications[1], category="family",
                                   declared_by=declarer, reason="  ")
    db.session.rollback()
    assert all_conflicts() == []
    assert sheet_of(m1, rnd, 1).status == "submitted"


@pytest.mark.parametrize(("by", "role"), [("staff", "staff"), ("member", "member")])
def test_a_conflict_after_close_with_a_reason_stores_who_when_and_why(
    app: Flask, staff: User, by: str, role: str
) -> None:
    rnd, (m1, _) = scored_round("closed")
    declarer = staff if by == "staff" else m1.user
    conflicts.declare_conflict(m1, rnd.applications[1], category="family",
                               declared_by=declarer, reason=f"  {REASON}\n")
    db.session.commit()
    (conflict,) = all_conflicts()
    assert (conflict.declared_role, conflict.declared_when, conflict.reason) == (
        role, "after-close", REASON)
    assert sheet_of(m1, rnd, 1).status == "withdrawn"


@pytest.mark.parametrize(("reason", "message"), [
    ("x" * (conflicts.REASON_MAX_LENGTH + 1), "1,000 characters or fewer"),
    ("Bad\x00byte", "control character"),
])
def test_a_reason_that_is_too_long_or_holds_control_characters_is_refused(
    app: Flask, staff: User, reason: str, message: str
) -> None:
    rnd, (m1, _) = scored_round("closed")
    with pytest.raises(conflicts.ConflictError, match=message):
        conflicts.declare_conflict(m1, rnd.applications[1], category="family",
                                   declared_by=staff, reason=reason)


def test_a_conflict_while_scoring_is_reopened_after_a_close_needs_a_reason(
    app: Flask, staff: User
) -> None:
    rnd, (m1, _) = scored_round("open")
    transitions.move(rnd, "close", staff)
    transitions.move(rnd, "reopen", staff)
    assert rnd.state == "open"
    with pytest.raises(conflicts.ConflictError, match="Write the reason"):
        conflicts.declare_conflict(m1, rnd.applications[1], category="family",
                                   declared_by=staff)
    conflict = conflicts.declare_conflict(m1, rnd.applications[1], category="family",
                                          declared_by=staff, reason=REASON)
    assert (conflict.declared_when, conflict.reason) == ("after-close", REASON)


@pytest.mark.parametrize("state", ["decided", "published"])
def test_no_conflict_can_be_recorded_once_the_decision_is_confirmed(
    app: Flask, staff: User, state: str
) -> None:
    rnd, (m1, _) = scored_round(state)
    with pytest.raises(conflicts.ConflictError, match="already confirmed"):
        conflicts.declare_conflict(m1, rnd.applications[1], category="family",
                                   declared_by=staff, reason=REASON)


def test_the_record_says_who_declared_each_conflict_when_and_why(
    app: Flask, staff: User
) -> None:
    rnd, (m1, m2) = scored_round("open")
    conflicts.declare_conflict(m1, rnd.applications[0], category="trustee",
                               declared_by=m1.user)
    rnd.state = "closed"
    conflicts.declare_conflict(m2, rnd.applications[1], category="family",
                               declared_by=staff, reason=REASON)
    db.session.commit()

    inputs = counting.record_inputs(rnd)
    assert inputs["schema_version"] == CURRENT_SCHEMA_VERSION
    assert inputs["conflicts"] == [
        {"member": m1.pseudonym, "application": "A-001", "category": "trustee",
         "declared_by": "member", "when": "before-close"},
        {"member": m2.pseudonym, "application": "A-002", "category": "family",
         "declared_by": "staff", "when": "after-close", "reason": REASON},
    ]
    published = {(s["member"], s["application"]) for s in inputs["sheets"]}
    # The sheet withdrawn after close is published (and set aside); the earlier one is not.
    assert (m2.pseudonym, "A-002") in published
    assert (m1.pseudonym, "A-001") not in published
    outputs = record_outputs(inputs)
    assert outputs["after_close"] == [
        {"kind": "conflict", "member": m2.pseudonym, "application": "A-002",
         "declared_by": "staff", "reason": REASON, "sheet_withdrawn": True}]
    a002 = next(r for r in outputs["applications"] if r["id"] == "A-002")
    assert a002["n_scores"] == 1 and a002["n_conflicts"] == 1


# --------------------------------------------------------------------------- staff pages


def staff_conflict_form(rnd: Round, member: Membership, index: int, **extra: str) -> dict[str, str]:
    return {"membership": str(member.id), "application": str(rnd.applications[index].id),
            "category": "family", "note": "Private note", **extra}


def test_staff_see_that_a_reason_is_needed_and_published_after_close(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd, _ = scored_round("closed")
    page = text(login_as(staff).get(f"/staff/rounds/{rnd.id}/conflicts/new"))
    assert "Scoring has closed" in page
    assert "published" in page
    assert 'name="reason"' in page


def test_staff_before_close_are_not_asked_for_a_reason(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd, _ = scored_round("open")
    page = text(login_as(staff).get(f"/staff/rounds/{rnd.id}/conflicts/new"))
    assert 'name="reason"' not in page


def test_staff_form_after_close_without_a_reason_shows_the_problem_and_keeps_the_note(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd, (m1, _) = scored_round("closed")
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/conflicts/new"
    resp = client.post(url, data={**staff_conflict_form(rnd, m1, 1, reason=""),
                                  "csrf_token": csrf_token(client, url)})
    assert resp.status_code == 200
    page = html.unescape(text(resp))
    assert "Write the reason it is being recorded now" in page
    assert "Private note" in page
    assert all_conflicts() == []


def test_staff_form_after_close_with_a_reason_records_it_and_withdraws_the_sheet(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd, (m1, _) = scored_round("closed")
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/conflicts/new"
    resp = client.post(url, data={**staff_conflict_form(rnd, m1, 1, reason=REASON),
                                  "csrf_token": csrf_token(client, url)})
    assert resp.status_code == 302
    (conflict,) = all_conflicts()
    assert (conflict.declared_role, conflict.declared_when, conflict.reason) == (
        "staff", "after-close", REASON)
    assert sheet_of(m1, rnd, 1).status == "withdrawn"
    listing = html.unescape(text(client.get(f"/staff/rounds/{rnd.id}/conflicts")))
    assert "After scoring closed" in listing and REASON in listing


@pytest.mark.parametrize("state", ["decided", "published"])
def test_staff_form_once_decided_explains_and_records_nothing(
    app: Flask, staff: User, login_as: Login, state: str
) -> None:
    rnd, (m1, _) = scored_round(state)
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/conflicts/new"
    page = text(client.get(url))
    assert "already confirmed" in page
    resp = client.post(url, data={**staff_conflict_form(rnd, m1, 1, reason=REASON),
                                  "csrf_token": token(client, url, f"/staff/rounds/{rnd.id}")})
    assert resp.status_code == 200
    assert all_conflicts() == []


# --------------------------------------------------------------------------- panel screens


def conflicts_screen_post(client: FlaskClient, rnd: Round, index: int | None,
                          **extra: str) -> object:
    url = f"/panel/rounds/{rnd.id}/conflicts"
    page = text(client.get(url))
    shown = re.search(r'name="shown"[^>]*value="([^"]*)"', page)
    data = {"csrf_token": token(client, url, "/panel/"),
            "shown": shown.group(1) if shown else ""}
    if index is None:
        data["no_ties"] = "y"
    else:
        a = rnd.applications[index]
        data.update({f"tie_{a.id}": "y", f"category_{a.id}": "family", f"note_{a.id}": ""})
    data.update(extra)
    return client.post(url, data=data)


@pytest.mark.parametrize("state", STATES)
def test_the_panel_conflicts_screen_answers_every_state_without_a_server_error(
    app: Flask, login_as: Login, state: str
) -> None:
    rnd, (m1, _) = scored_round(state)
    client = login_as(m1.user)
    url = f"/panel/rounds/{rnd.id}/conflicts"
    assert client.get(url).status_code == 200
    ticked = conflicts_screen_post(client, rnd, 1)
    assert ticked.status_code in (200, 302)  # type: ignore[attr-defined]
    none = conflicts_screen_post(client, rnd, None)
    assert none.status_code in (200, 302)  # type: ignore[attr-defined]
    single = f"/panel/rounds/{rnd.id}/applications/{rnd.applications[2].id}/conflict"
    assert client.get(single).status_code < 500
    resp = client.post(single, data={"category": "family", "note": "",
                                     "csrf_token": token(client, single, "/panel/")})
    assert resp.status_code < 500


@pytest.mark.parametrize("state", ["draft", "open"])
def test_a_member_ticking_a_conflict_before_close_gives_no_reason(
    app: Flask, login_as: Login, state: str
) -> None:
    rnd, (m1, _) = scored_round(state)
    resp = conflicts_screen_post(login_as(m1.user), rnd, 1)
    assert resp.status_code == 302  # type: ignore[attr-defined]
    (conflict,) = all_conflicts()
    assert (conflict.declared_role, conflict.declared_when) == ("member", "before-close")


def test_a_member_ticking_a_conflict_after_close_must_say_why(
    app: Flask, login_as: Login
) -> None:
    rnd, (m1, _) = scored_round("closed")
    client = login_as(m1.user)
    page = html.unescape(text(client.get(f"/panel/rounds/{rnd.id}/conflicts")))
    assert "Scoring has closed" in page and "Why are you telling us now?" in page
    resp = conflicts_screen_post(client, rnd, 1)
    assert resp.status_code == 200  # type: ignore[attr-defined]
    assert "Write the reason" in html.unescape(text(resp))  # type: ignore[arg-type]
    assert all_conflicts() == []
    assert sheet_of(m1, rnd, 1).status == "submitted"

    resp = conflicts_screen_post(client, rnd, 1, reason=REASON)
    assert resp.status_code == 302  # type: ignore[attr-defined]
    (conflict,) = all_conflicts()
    assert (conflict.declared_role, conflict.declared_when, conflict.reason) == (
        "member", "after-close", REASON)
    assert sheet_of(m1, rnd, 1).status == "withdrawn"


def test_a_member_saying_no_ties_after_close_needs_no_reason(
    app: Flask, login_as: Login
) -> None:
    rnd, (m1, _) = scored_round("closed")
    resp = conflicts_screen_post(login_as(m1.user), rnd, None)
    assert resp.status_code == 302  # type: ignore[attr-defined]
    assert all_conflicts() == []


def test_a_member_stepping_aside_from_one_application_after_close_must_say_why(
    app: Flask, login_as: Login
) -> None:
    rnd, (m1, _) = scored_round("closed")
    client = login_as(m1.user)
    url = f"/panel/rounds/{rnd.id}/applications/{rnd.applications[1].id}/conflict"
    assert "Why are you telling us now?" in html.unescape(text(client.get(url)))
    resp = client.post(url, data={"category": "family", "note": "",
                                  "csrf_token": csrf_token(client, url)})
    assert resp.status_code == 200 and all_conflicts() == []
    resp = client.post(url, data={"category": "family", "note": "", "reason": REASON,
                                  "csrf_token": csrf_token(client, url)})
    assert resp.status_code == 302
    (conflict,) = all_conflicts()
    assert (conflict.declared_role, conflict.declared_when) == ("member", "after-close")


@pytest.mark.parametrize("state", ["decided", "published"])
def test_a_member_ticking_a_conflict_after_the_decision_is_told_to_contact_the_grants_team(
    app: Flask, login_as: Login, state: str
) -> None:
    rnd, (m1, _) = scored_round(state)
    client = login_as(m1.user)
    resp = conflicts_screen_post(client, rnd, 1, reason=REASON)
    assert resp.status_code == 200  # type: ignore[attr-defined]
    page = text(resp)  # type: ignore[arg-type]
    assert "decision for this round has been made" in page
    assert "contact the grants team" in page
    assert "nothing you typed" not in page.lower()
    assert all_conflicts() == []


# --------------------------------------------------------------------------- published


def publish_with_late_conflict(client: FlaskClient, rnd: Round, m2: Membership) -> PublishedRecord:
    url = f"/staff/rounds/{rnd.id}/conflicts/new"
    client.post(url, data={**staff_conflict_form(rnd, m2, 1, reason=REASON),
                           "csrf_token": csrf_token(client, url)})
    count = f"/staff/rounds/{rnd.id}/count"
    assert confirm_count(client, rnd.id).status_code == 302
    db.session.refresh(rnd)
    assert rnd.state == "decided"
    publish = f"/staff/rounds/{rnd.id}/steps/publish"
    resp = client.post(publish, data={"csrf_token": csrf_token(client, count)})
    assert resp.status_code == 302, text(resp)
    return db.session.scalars(select(PublishedRecord)).one()


def test_the_outcome_page_lists_late_conflicts_with_who_and_why_and_the_record_verifies(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd, (_, m2) = scored_round("closed")
    client = login_as(staff)
    pr = publish_with_late_conflict(client, rnd, m2)
    record = json.loads(pr.body)
    assert record["schema_version"] == CURRENT_SCHEMA_VERSION
    assert voting.verify_record(record).ok
    assert record["outputs"]["after_close"][0]["sheet_withdrawn"] is True

    page = html.unescape(text(client.get(f"/rounds/{rnd.id}")))
    assert "Changes made after scoring closed" in page
    assert "Conflicts of interest recorded after scoring closed" in page
    assert "recorded by staff" in page
    assert f"Reason: “{REASON}”" in page
    assert "Their score for it was withdrawn and not counted." in page
    assert "1 declared by 1 panel member" in page  # the conflict counts, as before
    assert m2.user.name not in page and "Private note" not in page


def test_an_outcome_page_with_no_late_changes_has_no_changes_section(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd, _ = scored_round("closed")
    client = login_as(staff)
    count = f"/staff/rounds/{rnd.id}/count"
    confirm_count(client, rnd.id)
    client.post(f"/staff/rounds/{rnd.id}/steps/publish",
                data={"csrf_token": csrf_token(client, count)})
    page = text(client.get(f"/rounds/{rnd.id}"))
    assert "Decision published" in page
    assert "Changes made after scoring closed" not in page
    assert "pip install grantpanel" not in page


# --------------------------------------------------------------------------- the verifier


def test_the_verifier_file_is_the_same_bytes_every_time_it_is_built() -> None:
    assert verifier.build_verifier() == verifier.build_verifier()
    assert verifier.verifier_bytes().startswith(b"#!/usr/bin/env python3\n")


def test_the_served_verifier_matches_the_digest_on_the_page_and_checks_records(
    app: Flask, staff: User, login_as: Login, tmp_path: Path
) -> None:
    rnd, (_, m2) = scored_round("closed")
    client = login_as(staff)
    pr = publish_with_late_conflict(client, rnd, m2)
    page = text(client.get(f"/rounds/{rnd.id}"))
    assert "pip install grantpanel" not in page
    shown = re.search(r'id="verifier-sha256">([0-9a-f]{64})<', page)
    assert shown is not None
    link = re.search(r'href="(/verify/[^"]+\.pyz)"', page)
    assert link is not None

    resp = client.get(link.group(1))
    assert resp.status_code == 200
    assert hashlib.sha256(resp.data).hexdigest() == shown.group(1)
    assert resp.headers["X-Content-SHA256"] == shown.group(1)
    assert f"python3 {verifier.FILENAME} verify" in page and "sha256sum" in page

    pyz = tmp_path / verifier.FILENAME
    pyz.write_bytes(resp.data)
    good = tmp_path / "record.json"
    good.write_bytes(client.get(f"/rounds/{rnd.id}/record.json").data)
    assert good.read_bytes() == pr.body.encode("utf-8")
    # Run from an empty directory, so only the code inside the file is used.
    run_dir = tmp_path / "elsewhere"
    run_dir.mkdir()
    done = subprocess.run([sys.executable, "-I", str(pyz), "verify", str(good)], cwd=run_dir,
                          capture_output=True, text=True, encoding="utf-8", timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "OK: the record verifies." in done.stdout
    assert "1 conflict recorded after scoring closed" in done.stdout

    record = json.loads(good.read_bytes())
    record["conflicts"][-1]["reason"] = "Something else."
    bad = tmp_path / "tampered.json"
    bad.write_bytes(voting.canonical_json(record))
    done = subprocess.run([sys.executable, "-I", str(pyz), "verify", str(bad)], cwd=run_dir,
                          capture_output=True, text=True, encoding="utf-8", timeout=120,
                          check=False)
    assert done.returncode == 1
    assert "MISMATCH at outputs.after_close[0].reason" in done.stderr
