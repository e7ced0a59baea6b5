"""Applications at scale: the staff list's search, filters, sort and pages; the round's tags
(by form and by CSV); withdrawing an application, in the count and the published record."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select

import voting
from grantpanel.extensions import db
from grantpanel.models import Application, AuditEvent, PublishedRecord, Round, ScoreSheet, Tag, User
from grantpanel.services import applications as apps_service
from grantpanel.services import counting, withdrawals
from grantpanel.services import tags as tags_service
from grantpanel.services.application_list import ListQuery, list_page
from tests.builders import make_member, make_round, make_user
from tests.helpers import confirm_count, post_form, text

Login = Callable[[User], FlaskClient]
SEED = "cd" * 32


@pytest.fixture()
def staff(app: Flask) -> User:
    user = make_user(role="staff", name="Grace Grants")
    db.session.commit()
    return user


def _big_round(n: int = 120) -> Round:
    """``n`` applications in one INSERT: A-001 ... with amounts 1..n pounds; every third one
    from 'Hillside' and not eligible every fifth; tagged 'North' every fourth."""
    rnd = make_round(name="Big round")
    db.session.execute(insert(Application), [
        {"round_id": rnd.id, "reference": f"A-{i:03d}", "title": f"Project {i:03d}",
         "applicant_name": "Hillside Tenants" if i % 3 == 0 else f"Group {i}",
         "summary": "", "amount": i * 100, "eligible": i % 5 != 0}
        for i in range(1, n + 1)
    ])
    north = Tag(round_id=rnd.id, name="North")
    db.session.add(north)
    db.session.flush()
    ids = dict(db.session.execute(select(Application.reference, Application.id)).all())
    db.session.execute(insert(tags_service.ApplicationTag), [
        {"application_id": ids[f"A-{i:03d}"], "tag_id": north.id} for i in range(4, n + 1, 4)])
    db.session.commit()
    return rnd


def _refs(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="[^"]+">(A-\d+)</a>', html)


# --- the list -------------------------------------------------------------------------------


def test_a_long_list_is_shown_fifty_at_a_time_with_the_query_kept_across_pages(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _big_round()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/applications"
    page = text(client.get(url))
    assert _refs(page) == [f"A-{i:03d}" for i in range(1, 51)]
    assert "120 applications." in page and "Page 1 of 3" in page
    # sorted by amount, largest first, not eligible only: 24 rows, one page
    page = text(client.get(url, query_string={"sort": "amount-high", "eligible": "no"}))
    assert _refs(page) == [f"A-{i:03d}" for i in range(120, 0, -5)]
    assert "24 applications match, of 120." in page and "Page 1 of" not in page
    page = text(client.get(url, query_string={"q": "hillside", "sort": "title"}))
    assert "40 applications match" in page and _refs(page)[:2] == ["A-003", "A-006"]
    # search on the applicant's name; the next page's link keeps the search and the sort
    groups = [f"A-{i:03d}" for i in range(1, 121) if i % 3]
    page = text(client.get(url, query_string={"q": "GROUP", "sort": "title"}))
    assert "80 applications match" in page and _refs(page) == groups[:50]
    nxt = re.search(r'rel="next" href="([^"]+)"', page)
    assert nxt is not None
    link = nxt.group(1).replace("&amp;", "&")
    assert "q=GROUP" in link and "sort=title" in link and "page=2" in link
    assert _refs(text(client.get(link))) == groups[50:]
    # the tag filter and the search on a reference
    page = text(client.get(url, query_string={"tag": str(_tag_id(rnd, "North")), "q": "A-01"}))
    assert _refs(page) == ["A-012", "A-016"]


def _tag_id(rnd: Round, name: str) -> int:
    return db.session.scalars(select(Tag.id).where(Tag.round_id == rnd.id, Tag.name == name)).one()


def test_the_list_service_counts_in_sql_and_a_page_past_the_end_shows_the_last(
    app: Flask,
) -> None:
    rnd = _big_round()
    listing = list_page(rnd.id, ListQuery(page=99))
    assert (listing.page, listing.pages, listing.total) == (3, 3, 120)
    assert [a.reference for a in listing.rows] == [f"A-{i:03d}" for i in range(101, 121)]
    assert listing.tags[listing.rows[3].id] == ["North"]
    newest = list_page(rnd.id, ListQuery.from_args({"sort": "newest"}))
    assert newest.rows[0].reference == "A-120"


@pytest.mark.parametrize("query", [
    {"q": "%"}, {"q": "_"}, {"q": "\\"}, {"q": "x" * 5000}, {"q": "\x00\x1b"},
    {"sort": "'; DROP TABLE application; --"}, {"page": "-1"}, {"page": "9" * 40},
    {"page": "1e9"}, {"tag": "99999999999999999999"}, {"tag": "-3"}, {"eligible": "maybe"},
    {"withdrawn": "☃"}, {"q": "ü", "sort": "amount-low", "tag": "0"},
])
def test_hostile_query_strings_get_a_page_never_a_server_error(
    app: Flask, staff: User, login_as: Login, query: dict[str, str]
) -> None:
    rnd = make_round(applications=3)
    db.session.commit()
    resp = login_as(staff).get(f"/staff/rounds/{rnd.id}/applications", query_string=query)
    assert resp.status_code == 200
    if query.get("q") in ("%", "_", "\\"):  # LIKE's wildcards are searched for as text
        assert "0 applications match, of 3." in text(resp)


# --- tags -----------------------------------------------------------------------------------


def test_staff_define_tags_and_give_an_application_some(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round(applications=2)
    db.session.commit()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/tags"
    assert post_form(client, url, {"name": "  North   side "}).status_code == 302
    assert post_form(client, url, {"name": "Food"}).status_code == 302
    resp = post_form(client, url, {"name": "north SIDE"})
    assert resp.status_code == 400 and "already has the tag &#39;North side&#39;" in text(resp)
    resp = post_form(client, url, {"name": "a;b"})
    assert resp.status_code == 400 and "semicolon" in text(resp)
    assert 'value="a;b"' in text(resp)  # the typing is kept
    app_a = rnd.applications[0]
    tags_url = f"/staff/rounds/{rnd.id}/applications/{app_a.id}/tags"
    food, north = (_tag_id(rnd, "Food"), _tag_id(rnd, "North side"))
    assert post_form(client, tags_url, {"tags": [food, north]}).status_code == 302
    db.session.refresh(app_a)
    assert [t.name for t in app_a.tags] == ["Food", "North side"]
    detail = text(client.get(f"/staff/rounds/{rnd.id}/applications/{app_a.id}"))
    assert "Food, North side" in detail
    assert post_form(client, tags_url, {"tags": ["nonsense"]}).status_code == 400
    # removing a tag takes it off the application too
    resp = post_form(client, f"{url}/{food}/remove", page=url)
    assert resp.status_code == 302
    db.session.expire_all()
    assert [t.name for t in db.session.get(Application, app_a.id).tags] == ["North side"]
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"tag.added", "tag.removed", "application.tags"} <= actions


CSV_HEAD = "applicant_name,title,summary,amount,tags\n"


def test_the_csv_tags_column_attaches_known_tags_and_refuses_unknown_ones(
    app: Flask, staff: User
) -> None:
    rnd = make_round()
    tags_service.add_tag(rnd, staff, "North")
    tags_service.add_tag(rnd, staff, "Food")
    db.session.commit()
    bad = (CSV_HEAD + "A,One,S,10,north; food\nB,Two,S,10,Sotuh\nC,Three,S,10,\n").encode()
    with pytest.raises(apps_service.ImportRejected) as e:
        apps_service.import_csv(rnd, staff, bad)
    assert [p.line for p in e.value.problems] == [3]
    assert "'Sotuh', which is not one of this round's tags (Food, North)" in \
        e.value.problems[0].message
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(Application.id))) == 0  # all or nothing
    good = (CSV_HEAD + "A,One,S,10,north; food;\nB,Two,S,10,Food\nC,Three,S,10,\n").encode()
    apps_service.import_csv(rnd, staff, good)
    db.session.commit()
    got = {a.reference: [t.name for t in a.tags] for a in
           db.session.scalars(select(Application).where(Application.round_id == rnd.id))}
    assert got == {"A-001": ["Food", "North"], "A-002": ["Food"], "A-003": []}


# --- withdrawing ----------------------------------------------------------------------------


def _scored_round() -> Round:
    """Three applications of £1,000, a £2,000 budget; A-002 scores highest, then A-001."""
    rnd = make_round(state="closed", budget=200_000, applications=3, amount=100_000, quorum=2,
                     fit_rule="stop", seed=SEED, seed_commitment=voting.seed_commitment(SEED))
    members = [make_member(rnd) for _ in range(2)]
    scores = {"A-001": 4, "A-002": 5, "A-003": 2}
    for a in rnd.applications:
        for m in members:
            db.session.add(ScoreSheet(membership_id=m.id, application_id=a.id,
                                      status="submitted",
                                      scores={"c1": scores[a.reference],
                                              "c2": scores[a.reference]}))
    db.session.commit()
    return rnd


def _app(rnd: Round, reference: str) -> Application:
    return next(a for a in rnd.applications if a.reference == reference)


def test_a_withdrawn_application_is_not_counted_and_the_record_lists_it_and_verifies(
    app: Flask, staff: User
) -> None:
    rnd = _scored_round()
    before = counting.record_inputs(rnd)
    assert "withdrawn" not in before  # records without a withdrawal are as they were
    withdrawals.withdraw(_app(rnd, "A-002"), staff, "  The group found other funding. ")
    db.session.commit()
    inputs = counting.record_inputs(rnd)
    assert inputs["withdrawn"] == [{"application": "A-002",
                                    "reason": "The group found other funding."}]
    assert [a["id"] for a in inputs["applications"]] == ["A-001", "A-003"]
    assert {s["application"] for s in inputs["sheets"]} == {"A-001", "A-003"}
    record = voting.build_record(inputs)
    assert record["outputs"]["funding"]["funded"] == ["A-001", "A-003"]
    report = voting.verify_record(record)
    assert report.ok, report.message
    assert any("withdrawn before the decision" in c for c in report.checks)
    assert voting.verify_record_bytes(voting.canonical_json(record)).ok

    def broken(change: Callable[[dict], None]) -> voting.VerifyReport:
        bad = copy.deepcopy(record)
        change(bad)
        bad["digest"] = voting.record_digest(bad)  # even resealed, the rules catch it
        return voting.verify_record(bad)

    def also_counted(r: dict) -> None:
        r["withdrawn"][0]["application"] = "A-001"

    def no_reason(r: dict) -> None:
        r["withdrawn"][0]["reason"] = "   "

    def empty(r: dict) -> None:
        r["withdrawn"] = []

    def extra_key(r: dict) -> None:
        r["withdrawn"][0]["title"] = "x"

    def twice(r: dict) -> None:
        r["withdrawn"].append(dict(r["withdrawn"][0]))

    for change, path in ((also_counted, "withdrawn[0].application"),
                         (no_reason, "withdrawn[0].reason"), (empty, "withdrawn"),
                         (extra_key, "withdrawn[0].title"),
                         (twice, "withdrawn[1].application")):
        report = broken(change)
        assert not report.ok and report.mismatch == path, (change.__name__, report)
    tampered = copy.deepcopy(record)
    tampered["withdrawn"][0]["reason"] = "Edited afterwards."
    report = voting.verify_record(tampered)
    assert not report.ok and report.mismatch == "digest"


def test_the_record_schema_accepts_the_withdrawn_section(app: Flask, staff: User) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    rnd = _scored_round()
    withdrawals.withdraw(_app(rnd, "A-003"), staff, "Pulled out.")
    db.session.commit()
    record = voting.build_record(counting.record_inputs(rnd))
    schema = json.loads((Path(voting.__file__).parent / "schema" /
                         "decision-record.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(record, schema)
    record["withdrawn"][0]["reason"] = ""
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(record, schema)


def test_staff_withdraw_with_a_reason_undo_it_and_then_publish_a_record_listing_it(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _scored_round()
    client = login_as(staff)
    a2 = _app(rnd, "A-002")
    detail = f"/staff/rounds/{rnd.id}/applications/{a2.id}"
    url = f"{detail}/withdraw"
    resp = post_form(client, url, {"reason": "   "})
    assert resp.status_code == 400 and "Give the reason the application is withdrawn" in text(resp)
    assert post_form(client, url, {"reason": "Pulled out."}).status_code == 302
    page = text(client.get(detail))
    assert "Withdrawn" in page and "Pulled out." in page and "Undo the withdrawal" in page
    assert post_form(client, f"{url}/undo", page=detail).status_code == 302
    db.session.refresh(a2)
    assert a2.withdrawn_at is None and a2.withdrawal_reason == ""
    assert post_form(client, url, {"reason": "The group found other funding."}).status_code == 302
    listing = text(client.get(f"/staff/rounds/{rnd.id}/applications",
                              query_string={"withdrawn": "yes"}))
    assert _refs(listing) == ["A-002"]
    # the count leaves it out; the decision funds the next two
    assert confirm_count(client, rnd.id).status_code == 302
    db.session.refresh(rnd)
    assert rnd.state == "decided"
    # after the decision it can be neither withdrawn nor put back
    a1 = _app(rnd, "A-001")
    resp = post_form(client, f"/staff/rounds/{rnd.id}/applications/{a1.id}/withdraw",
                     {"reason": "Too late."})
    assert resp.status_code == 400 and "has been confirmed" in text(resp)
    count_url = f"/staff/rounds/{rnd.id}/count"
    assert post_form(client, f"/staff/rounds/{rnd.id}/steps/publish",
                     page=count_url).status_code == 302
    published = db.session.scalars(select(PublishedRecord)).one()
    record = json.loads(published.body)
    assert record["withdrawn"] == [{"application": "A-002",
                                    "reason": "The group found other funding."}]
    assert [f["application"] for f in record["decision"]["funded"]] == ["A-001", "A-003"]
    assert voting.verify_record(record).ok
    outcome = text(client.get(f"/rounds/{rnd.id}"))
    assert "Withdrawn applications" in outcome
    assert "A-002: The group found other funding." in outcome
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("application.withdrawn") == 2
    assert "application.withdrawal_undone" in actions


def test_the_list_total_leaves_out_withdrawn_applications(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round(applications=3, amount=100_000)
    db.session.commit()
    withdrawals.withdraw(rnd.applications[0], staff, "Pulled out.")
    with pytest.raises(withdrawals.WithdrawalError):
        withdrawals.withdraw(rnd.applications[0], staff, "Again.")
    db.session.commit()
    page = text(login_as(staff).get(f"/staff/rounds/{rnd.id}/applications"))
    assert "ask for £2,000" in page
