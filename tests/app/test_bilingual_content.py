"""Staff-typed content in English and Welsh: staff enter both, panel members and the public read
it in the page's language, the English stands in (marked as English) where no Welsh was given,
and the published record stays in English, byte for byte."""

from __future__ import annotations

import datetime as dt
import html
import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import voting
from grantpanel.extensions import db
from grantpanel.i18n import BY_CODE, DEFAULT
from grantpanel.models import Application, Criterion, Round, ScoreSheet, User, utcnow
from grantpanel.services import counting, publication
from grantpanel.services.content import WELSH, localised, localised_points, with_language
from tests.app.panel_helpers import app_url, checked_member
from tests.builders import make_member, make_round, make_user
from tests.helpers import csrf_token, post_form, text

Login = Callable[[User], FlaskClient]

WELSH_ROUND = {"name": "Cronfa Cartrefi Cynnes", "purpose": "Grantiau i grwpiau sy'n helpu pobl."}
WELSH_CRITERION = {
    "name": "Pwy sy'n elwa",
    "guidance": "Meddyliwch am bwy fydd yn cael yr arian.",
    "descriptors": ["Dim o gwbl", "Ychydig", "Rhywfaint", "Yn dda", "Yn dda iawn"],
}
WELSH_APPLICATION = {"title": "Ystafell gynnes", "summary": "Ystafell gynnes bob bore."}
ENGLISH_GUIDANCE = "Think about who the money will reach."
ENGLISH_DESCRIPTOR = "Shows this very well"

ROUND_FORM = {
    "name": "Warm Homes 2026",
    "purpose": "Grants for groups helping people keep warm.",
    "currency": "GBP",
    "budget": "5,000",
    "involvement": "co-production",
    "quorum": "2",
    "tie_break_1": "more_scores",
    "tie_break_2": "",
    "tie_break_3": "",
    "tie_break_4": "",
}
CRITERION_FORM = {
    "name": "Who benefits",
    "guidance": ENGLISH_GUIDANCE,
    "weight": "2",
    "scale_min": "1",
    "scale_max": "3",
    "descriptors": "1: Not at all\n2: Some\n3: A lot",
}
APPLICATION_FORM = {
    "reference": "",
    "applicant_name": "Hillside Tenants",
    "contact_email": "",
    "title": "Warm room",
    "summary": "A warm room on weekday mornings.",
    "answers": "",
    "amount": "1,250",
}


@pytest.fixture()
def staff(app: Flask) -> User:
    user = make_user(role="staff", name="Grace Grants")
    db.session.commit()
    return user


def in_welsh(client: FlaskClient) -> FlaskClient:
    client.set_cookie("lang", "cy")
    return client


def page(resp: Any) -> str:
    assert resp.status_code == 200, resp.status_code
    return text(resp)


def welsh_world(**round_fields: Any) -> tuple[Round, Application]:
    """An open round whose first criterion, first application and name have Welsh; the second
    criterion and application are English only."""
    rnd = make_round(state="open", applications=2, **round_fields)
    rnd.translations = {WELSH: dict(WELSH_ROUND)}
    rnd.criteria[0].translations = {WELSH: dict(WELSH_CRITERION)}
    first = rnd.applications[0]
    first.translations = {WELSH: dict(WELSH_APPLICATION)}
    db.session.commit()
    return rnd, first


# --- staff enter Welsh ----------------------------------------------------------------------


def test_staff_give_a_round_its_name_and_purpose_in_welsh_and_can_change_them(
    staff: User, login_as: Login
) -> None:
    client = login_as(staff)
    resp = post_form(client, "/staff/rounds/new",
                     {**ROUND_FORM, "name_cy": WELSH_ROUND["name"],
                      "purpose_cy": WELSH_ROUND["purpose"]})
    assert resp.status_code == 302
    rnd = db.session.scalars(select(Round)).one()
    assert rnd.name == "Warm Homes 2026"  # the English stays the source of truth
    assert rnd.translations == {WELSH: WELSH_ROUND}

    edit = html.unescape(page(client.get(f"/staff/rounds/{rnd.id}/edit")))
    assert "Name in Welsh (optional)" in edit and "Purpose in Welsh (optional)" in edit
    assert f'value="{WELSH_ROUND["name"]}"' in edit and WELSH_ROUND["purpose"] in edit

    resp = post_form(client, f"/staff/rounds/{rnd.id}/edit",
                     {**ROUND_FORM, "name_cy": "Cronfa Newydd", "purpose_cy": "  "})
    assert resp.status_code == 302
    db.session.refresh(rnd)
    assert rnd.translations == {WELSH: {"name": "Cronfa Newydd"}}  # an empty box removes it

    post_form(client, f"/staff/rounds/{rnd.id}/edit", {**ROUND_FORM, "name_cy": ""})
    db.session.refresh(rnd)
    assert rnd.translations is None


def test_a_welsh_round_name_that_is_too_long_is_refused_and_the_typing_kept(
    staff: User, login_as: Login
) -> None:
    resp = post_form(login_as(staff), "/staff/rounds/new",
                     {**ROUND_FORM, "name_cy": "C" * 201, "purpose_cy": "Grantiau cynnes"})
    body = text(resp)
    assert "There is a problem" in body
    assert "Keep the name to 200 characters or fewer." in body
    assert "Grantiau cynnes" in body and 'value="Warm Homes 2026"' in body
    assert db.session.scalars(select(Round)).first() is None


def test_staff_give_a_criterion_in_welsh_with_a_descriptor_for_each_point(
    staff: User, login_as: Login
) -> None:
    rnd = make_round(criteria=[{"name": "Existing"}])
    db.session.commit()
    client = login_as(staff)
    resp = post_form(client, f"/staff/rounds/{rnd.id}/criteria/new", {
        **CRITERION_FORM,
        "name_cy": "Pwy sy'n elwa",
        "guidance_cy": "Meddyliwch am bwy.",
        "descriptors_cy": "1: Dim o gwbl\n2: Rhywfaint\n3: Llawer",
    })
    assert resp.status_code == 302
    crit = db.session.scalars(select(Criterion).where(Criterion.name == "Who benefits")).one()
    assert crit.descriptors == ["Not at all", "Some", "A lot"]
    assert crit.translations == {WELSH: {
        "name": "Pwy sy'n elwa", "guidance": "Meddyliwch am bwy.",
        "descriptors": ["Dim o gwbl", "Rhywfaint", "Llawer"],
    }}

    edit = html.unescape(page(client.get(f"/staff/rounds/{rnd.id}/criteria/{crit.id}/edit")))
    assert "1: Dim o gwbl\n2: Rhywfaint\n3: Llawer" in edit
    assert 'value="Pwy sy\'n elwa"' in edit


def test_welsh_descriptors_of_the_wrong_count_are_refused_plainly_and_the_typing_kept(
    staff: User, login_as: Login
) -> None:
    rnd = make_round(criteria=[{"name": "Existing"}])
    db.session.commit()
    resp = post_form(login_as(staff), f"/staff/rounds/{rnd.id}/criteria/new", {
        **CRITERION_FORM, "name_cy": "Pwy sy'n elwa", "descriptors_cy": "Dim o gwbl\nLlawer",
    })
    body = html.unescape(text(resp))
    assert "There is a problem" in body
    assert ("Write one line in Welsh for each point from 1 to 3, as in English: that is 3 "
            "lines, and there are 2.") in body
    assert "Dim o gwbl\nLlawer</textarea>" in body
    assert 'value="Pwy sy\'n elwa"' in body and 'value="Who benefits"' in body
    assert len(db.session.scalars(select(Criterion)).all()) == 1


def test_staff_give_an_application_its_title_and_summary_in_welsh(
    staff: User, login_as: Login
) -> None:
    rnd = make_round()
    db.session.commit()
    client = login_as(staff)
    resp = post_form(client, f"/staff/rounds/{rnd.id}/applications/new",
                     {**APPLICATION_FORM, "title_cy": WELSH_APPLICATION["title"],
                      "summary_cy": WELSH_APPLICATION["summary"]})
    assert resp.status_code == 302
    a = db.session.scalars(select(Application)).one()
    assert a.title == "Warm room" and a.translations == {WELSH: WELSH_APPLICATION}

    url = f"/staff/rounds/{rnd.id}/applications/{a.id}/edit"
    edit = page(client.get(url))
    assert f'value="{WELSH_APPLICATION["title"]}"' in edit
    # Staff pages keep showing the English.
    detail = page(client.get(f"/staff/rounds/{rnd.id}/applications/{a.id}"))
    assert "Warm room" in detail and WELSH_APPLICATION["title"] not in detail

    resp = post_form(client, url, {**APPLICATION_FORM, "reference": a.reference,
                                   "title_cy": "T" * 201, "summary_cy": "Crynodeb newydd"})
    body = text(resp)
    assert "Keep the title to 200 characters or fewer." in body
    assert "Crynodeb newydd" in body
    db.session.refresh(a)
    assert a.translations == {WELSH: WELSH_APPLICATION}


def _upload(client: FlaskClient, url: str, content: bytes) -> Any:
    token = csrf_token(client, url)
    return client.post(url, data={"csrf_token": token, "file": (io.BytesIO(content), "a.csv")},
                       content_type="multipart/form-data")


def test_a_csv_import_takes_the_welsh_title_and_summary(staff: User, login_as: Login) -> None:
    rnd = make_round()
    db.session.commit()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/applications/import"
    listing = page(client.get(url))
    assert "<code>title_cy</code>" in listing and "<code>summary_cy</code>" in listing
    content = (
        "applicant_name,title,summary,amount,title_cy,summary_cy\n"
        "Oak Street,Lunch club,Hot lunches.,1500,Clwb cinio,Ciniawau poeth i deuluoedd â phlant.\n"
        "Riverside,Warm bus,A bus.,2000,,\n"
    ).encode()
    assert _upload(client, url, content).status_code == 302
    apps = db.session.scalars(select(Application).order_by(Application.reference)).all()
    assert [a.title for a in apps] == ["Lunch club", "Warm bus"]
    assert apps[0].translations == {WELSH: {"title": "Clwb cinio", "summary": "Ciniawau poeth i deuluoedd â phlant."}}
    assert apps[1].translations is None


def test_a_csv_import_with_a_welsh_title_too_long_imports_nothing_and_names_the_line(
    staff: User, login_as: Login
) -> None:
    rnd = make_round()
    db.session.commit()
    content = (
        "applicant_name,title,summary,amount,title_cy\n"
        "Oak Street,Lunch club,Hot lunches.,1500,Clwb cinio\n"
        f"Riverside,Warm bus,A bus.,2000,{'T' * 201}\n"
        "Hilltop,Tea,Tea.,10,Te\u0007\n"
    ).encode()
    resp = _upload(login_as(staff), f"/staff/rounds/{rnd.id}/applications/import", content)
    body = text(resp)
    assert resp.status_code == 400
    assert "Nothing was imported: the file has 2 problems." in body
    assert "Line 3: title_cy must be 200 characters or fewer (it has 201)." in body
    assert "Line 4: title_cy contains a hidden control character" in body
    assert db.session.scalars(select(Application)).first() is None


# --- panel members read it -------------------------------------------------------------------


def test_a_member_reading_in_welsh_sees_the_welsh_rubric_and_application(
    app: Flask, login_as: Login
) -> None:
    rnd, first = welsh_world()
    client = in_welsh(login_as(checked_member(rnd).user))

    sheet = html.unescape(page(client.get(app_url(rnd, 0))))
    for words in (WELSH_CRITERION["name"], WELSH_CRITERION["guidance"],
                  *WELSH_CRITERION["descriptors"], WELSH_APPLICATION["title"],
                  WELSH_APPLICATION["summary"], WELSH_ROUND["name"]):
        assert words in sheet
    assert "Who benefits" not in sheet
    assert sheet.count(ENGLISH_GUIDANCE) == 1  # the second criterion's: it has no Welsh
    assert f"5 \u2013 {WELSH_CRITERION['descriptors'][4]}" in sheet
    assert first.title not in sheet and first.summary not in sheet

    queue = html.unescape(page(client.get(f"/panel/rounds/{rnd.id}/")))
    assert WELSH_APPLICATION["title"] in queue and WELSH_ROUND["name"] in queue
    home = html.unescape(page(client.get("/panel/")))
    assert WELSH_ROUND["name"] in home and WELSH_ROUND["purpose"] in home


def test_where_no_welsh_was_given_the_welsh_page_shows_the_english_marked_as_english(
    app: Flask, login_as: Login
) -> None:
    rnd, _first = welsh_world()
    client = in_welsh(login_as(checked_member(rnd).user))

    sheet = page(client.get(app_url(rnd, 1)))  # the English-only application
    second = rnd.applications[1]
    assert f'<h1 class="heading-l"><span lang="en-GB">{second.title}</span>' in sheet
    assert f'<div lang="en-GB"><p class="body">{second.summary}</p></div>' in sheet
    # The second criterion has no Welsh: its name, guidance and descriptors are English,
    # each marked, with a note for screen readers.
    assert '<span lang="en-GB">How the money will be used</span><span class="visually-hidden">' \
        in sheet
    assert f'<span lang="en-GB">{ENGLISH_GUIDANCE}</span>' in sheet
    assert f'5 \u2013 <span lang="en-GB">{ENGLISH_DESCRIPTOR}</span>' in sheet
    # The first criterion has Welsh: it is shown in Welsh, unmarked.
    assert '<legend class="legend legend-m">Pwy sy&#39;n elwa</legend>' in sheet

    queue = page(client.get(f"/panel/rounds/{rnd.id}/"))
    assert f'<span lang="en-GB">{second.title}</span>' in queue


def test_the_english_page_never_shows_the_welsh(app: Flask, login_as: Login) -> None:
    rnd, first = welsh_world()
    client = login_as(checked_member(rnd).user)
    pages = [page(client.get(url)) for url in (app_url(rnd, 0), app_url(rnd, 1),
                                                f"/panel/rounds/{rnd.id}/", "/panel/")]
    together = html.unescape("".join(pages))
    for words in (*WELSH_ROUND.values(), *WELSH_APPLICATION.values(),
                  WELSH_CRITERION["name"], WELSH_CRITERION["guidance"],
                  *WELSH_CRITERION["descriptors"]):
        assert words not in together
    assert first.title in together and "Who benefits" in together
    assert '<span lang="en-GB">' not in together  # English on an English page needs no mark


def test_a_member_reading_in_urdu_sees_the_english_marked_left_to_right(
    app: Flask, login_as: Login
) -> None:
    rnd, first = welsh_world()
    client = login_as(checked_member(rnd).user)
    client.set_cookie("lang", "ur")
    sheet = page(client.get(app_url(rnd, 0)))
    assert f'<span lang="en-GB" dir="ltr">{first.title}</span>' in sheet
    assert WELSH_APPLICATION["title"] not in html.unescape(sheet)


def test_a_welsh_descriptor_list_of_the_wrong_length_is_never_shown_half_and_half(
    app: Flask,
) -> None:
    rnd = make_round()
    crit = rnd.criteria[0]
    crit.translations = {WELSH: {"descriptors": ["Un", "Dau"]}}  # stored before a scale change
    points = localised_points(crit, BY_CODE[WELSH])
    assert [p for p, _t in points] == [1, 2, 3, 4, 5]
    assert all(t.language == DEFAULT for _p, t in points)
    assert localised(crit, "name", BY_CODE[WELSH]).foreign


# --- the public and the meeting --------------------------------------------------------------


def test_the_public_round_page_reads_in_welsh_and_falls_back_to_marked_english(
    client: FlaskClient,
) -> None:
    rnd, _first = welsh_world(seed_commitment="sha256:" + "1" * 64)
    english_only = make_round(name="Food Clubs 2027", state="open",
                              purpose="Help for food clubs.")
    db.session.commit()

    english = html.unescape(page(client.get(f"/rounds/{rnd.id}")))
    assert rnd.name in english and WELSH_ROUND["name"] not in english

    in_welsh(client)
    welsh = html.unescape(page(client.get(f"/rounds/{rnd.id}")))
    assert f"<title>{WELSH_ROUND['name']} –" in welsh
    assert f'<h1 class="heading-l">{WELSH_ROUND["name"]}</h1>' in welsh
    assert WELSH_ROUND["purpose"] in welsh and rnd.purpose not in welsh

    fallback = page(client.get(f"/rounds/{english_only.id}"))
    assert '<h1 class="heading-l"><span lang="en-GB">Food Clubs 2027</span>' in fallback
    assert '<p class="lead"><span lang="en-GB">Help for food clubs.</span>' in fallback


STAGES = [
    {"kind": "scores", "aggregation": "mean", "trim": "0.00", "calibration": "none"},
    {"kind": "consensus", "measure": "range", "threshold": "2.00", "rescore": False},
    {"kind": "funding", "rule": "in-order", "fit_rule": "skip", "utilities": None,
     "completion": None, "lottery": False},
]


def test_the_meeting_view_reads_in_welsh(app: Flask, login_as: Login) -> None:
    rnd = make_round(state="closed", applications=1, seed="0" * 64,
                     seed_commitment="sha256:" + "0" * 64, stages=STAGES)
    a = rnd.applications[0]
    a.translations = {WELSH: dict(WELSH_APPLICATION)}
    rnd.criteria[0].translations = {WELSH: dict(WELSH_CRITERION)}
    for c1 in (1, 5):  # far apart: flagged for discussion
        db.session.add(ScoreSheet(membership_id=make_member(rnd).id, application_id=a.id,
                                  status="submitted", stage=1, scores={"c1": c1, "c2": c1}))
    staff = make_user(role="staff")
    db.session.commit()
    client = in_welsh(login_as(staff))
    body = html.unescape(page(client.get(f"/meeting/rounds/{rnd.id}")))
    assert f"1. A-001: {WELSH_APPLICATION['title']}" in body
    assert WELSH_APPLICATION["summary"] in body and WELSH_CRITERION["name"] in body
    assert '<span lang="en-GB">How the money will be used</span>' in body


# --- the record stays in English -------------------------------------------------------------

SEED = "ab" * 32
PUBLISHED_AT = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


def test_the_published_record_is_the_same_bytes_with_or_without_welsh(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    rnd = make_round(state="closed", applications=3, budget=200_000, quorum=1,
                     seed=SEED, seed_commitment=voting.seed_commitment(SEED))
    members = [make_member(rnd) for _ in range(2)]
    for i, a in enumerate(rnd.applications):
        for m in members:
            db.session.add(ScoreSheet(membership_id=m.id, application_id=a.id,
                                      status="submitted", submitted_at=utcnow(),
                                      scores={"c1": 1 + i, "c2": 2}))
    staff = make_user(role="staff")
    db.session.commit()
    without_welsh = voting.canonical_json(voting.build_record(
        counting.record_inputs(rnd, published_at=PUBLISHED_AT), overrides=[],
        previous_digest=None,
    ))

    rnd.translations = with_language(None, WELSH, WELSH_ROUND)
    for c in rnd.criteria:
        c.translations = with_language(None, WELSH, WELSH_CRITERION)
    for a in rnd.applications:
        a.translations = with_language(None, WELSH, WELSH_APPLICATION)
    db.session.commit()
    monkeypatch.setattr(counting, "utcnow", lambda: PUBLISHED_AT)
    counting.decide(rnd, staff, [])
    pr = counting.publish(rnd, staff)
    db.session.commit()

    published = publication.record_bytes(pr)
    assert published == without_welsh
    for words in (*WELSH_ROUND.values(), *WELSH_APPLICATION.values(), WELSH_CRITERION["name"]):
        assert words.encode() not in published
