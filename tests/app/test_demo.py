"""The demo: a published round with a verifiable record, and a round open for scoring."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

import voting
from grantpanel.demo import PANEL_PASSWORD, STAFF_EMAIL, STAFF_PASSWORD, load_demo
from grantpanel.extensions import db
from grantpanel.models import Conflict, PublishedRecord, Round, User
from grantpanel.services.accounts import check_password, find_user_by_email


def _load() -> list[str]:
    return list(load_demo(if_empty=True))


def test_demo_loads_a_published_round_with_a_verifiable_record(app: Flask) -> None:
    lines = _load()
    published = db.session.scalar(select(Round).where(Round.state == "published")
                                  .order_by(Round.id))
    assert published is not None
    assert len(published.applications) >= 30
    amounts = [a.amount for a in published.applications]
    assert min(amounts) >= 50_000 and max(amounts) <= 1_500_000
    assert len(published.memberships) == 8
    pr = db.session.scalar(select(PublishedRecord).where(PublishedRecord.round_id == published.id))
    record = json.loads(pr.body)
    report = voting.verify_record(record)
    assert report.ok, (report.mismatch, report.message)
    assert record["digest"] == pr.digest
    outputs = record["outputs"]["applications"]
    assert sum(1 for o in outputs if o["status"] == "under-quorum") == 1
    assert len(record["conflicts"]) >= 5
    assert record["decision"]["outcome"] == "overridden"
    assert all(o["reason"] for o in record["decision"]["overrides"])
    assert record["decision"]["total"] <= record["round"]["budget"]
    assert any("staff@example.org" in line for line in lines)


def test_demo_has_a_round_decided_in_stages_whose_record_verifies(
    app: Flask, client: FlaskClient
) -> None:
    """Scores, a consensus check with flags and stage-2 re-scores, a ranked vote on a
    shortlist, funding and consent: every stage in the record, recounted by verify, chained
    to the first round's record, and explained on the public page."""
    _load()
    staged = db.session.scalar(select(Round).where(Round.name.like("Community Voices%")))
    assert staged is not None and staged.state == "published"
    pr = db.session.scalar(select(PublishedRecord).where(PublishedRecord.round_id == staged.id))
    record = json.loads(pr.body)
    assert voting.verify_record_bytes(pr.body.encode("utf-8")).ok
    assert [s["kind"] for s in record["rules"]["stages"]] == [
        "scores", "consensus", "ranked", "funding", "consent"]
    outputs = record["outputs"]
    consensus = outputs["consensus"]
    assert len(consensus["flagged"]) >= 2
    reasons = {r for a in consensus["applications"] for r in a["reasons"]}
    assert reasons == {"disagreement", "objection"}
    assert {s["application"] for s in record["sheets"] if s["stage"] == 2} \
        == set(consensus["flagged"])
    ranked = outputs["ranked"]
    assert ranked["method"] == "stv" and len(ranked["winners"]) == 3
    assert len(record["ballots"]) == 8 and ranked["rounds"]
    assert outputs["consent"]["passed"] is True
    first = db.session.scalar(select(PublishedRecord).order_by(PublishedRecord.id))
    assert record["previous_digest"] == first.digest
    page = client.get(f"/rounds/{staged.id}").get_data(as_text=True)
    assert "<svg" in page
    for ref in ranked["winners"]:
        assert ref in page


def test_demo_has_a_round_open_for_scoring_with_a_commitment(app: Flask) -> None:
    _load()
    opened = db.session.scalar(select(Round).where(Round.state == "open"))
    assert opened is not None
    assert opened.seed_commitment == voting.seed_commitment(opened.seed)
    assert len(opened.memberships) == 8


def test_demo_sign_ins_work(app: Flask) -> None:
    lines = _load()
    staff = find_user_by_email(STAFF_EMAIL)
    assert staff is not None and staff.is_staff and check_password(staff, STAFF_PASSWORD)
    panel1 = find_user_by_email("panel1@example.org")
    assert panel1 is not None and panel1.is_panel and check_password(panel1, PANEL_PASSWORD)
    assert any(PANEL_PASSWORD in line for line in lines)
    assert any("http://" in line for line in lines)


def test_loading_twice_if_empty_does_not_duplicate(app: Flask) -> None:
    _load()
    counts = [db.session.scalar(select(func.count(m.id))) for m in (Round, User, Conflict)]
    lines = _load()
    assert [db.session.scalar(select(func.count(m.id))) for m in (Round, User, Conflict)] == counts
    assert any("not loaded again" in line for line in lines)
    assert any(STAFF_EMAIL in line for line in lines)


def test_demo_pages_render_and_keep_private_details_private(
    app: Flask, client: FlaskClient
) -> None:
    _load()
    published = db.session.scalar(
        select(Round).where(Round.state == "published").order_by(Round.id)
    )
    page = client.get(f"/rounds/{published.id}").get_data(as_text=True)
    assert "Winter Warmth and Food Fund 2026" in page
    assert "Staff changed the panel" in page
    for app_ in published.applications:
        assert app_.applicant_name not in page
        assert app_.contact_email not in page
    for m in published.memberships:
        assert m.user.name not in page
    assert client.get("/").status_code == 200
    listed = {r["id"] for r in client.get("/api/v1/rounds").get_json()["rounds"]}
    published_ids = set(db.session.scalars(select(Round.id).where(Round.state == "published")))
    assert len(published_ids) == 2 and published_ids <= listed


def test_demo_command_prints_sign_ins(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert STAFF_EMAIL in result.output and PANEL_PASSWORD in result.output
