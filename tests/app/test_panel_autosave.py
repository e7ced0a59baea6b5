"""The score sheet's automatic draft saving, as the page's script posts it (CSRF on).

``static/autosave.js`` posts the form with the "Save as draft" button's name and value and the
header ``X-Requested-With: fetch``; the server answers 204 (saved) or JSON with a 4xx status,
never a redirect. A submitted sheet is never turned back into a draft this way.
"""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from grantpanel.extensions import db
from grantpanel.models import Round, as_utc
from tests.app.panel_helpers import (
    Login,
    app_url,
    checked_member,
    open_round,
    post_scores,
    score_form,
    sheets,
)
from tests.builders import make_member
from tests.helpers import csrf_token

FETCH = {"X-Requested-With": "fetch"}
DRAFT = {"save_draft": "Save as draft"}
















def autosave(
    client: FlaskClient, rnd: Round, data: dict[str, str], index: int = 0
) -> TestResponse:
    url = app_url(rnd, index)
    token = csrf_token(client, url)
    return client.post(url, data={**data, **DRAFT, "csrf_token": token}, headers=FETCH)


def test_autosave_stores_a_draft_and_answers_204(app: Flask, login_as: Login) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    db.session.commit()
    client = login_as(member.user)

    resp = autosave(client, rnd, score_form(rnd, ["4", ""], panel_note="Strong on reach"))

    assert resp.status_code == 204
    assert resp.get_data() == b""
    [sheet] = sheets()
    assert sheet.status == "draft"
    assert sheet.scores == {"c1": 4}
    assert sheet.panel_note == "Strong on reach"
    assert resp.headers["X-Draft-Version"] == as_utc(sheet.updated_at).isoformat()

    # Saving again updates the one sheet; the page names the same version for its script.
    resp = autosave(client, rnd, score_form(rnd, ["4", "dont-know"]))
    assert resp.status_code == 204
    [sheet] = sheets()
    assert sheet.scores == {"c1": 4, "c2": None}
    page = client.get(app_url(rnd)).get_data(as_text=True)
    assert f'data-sheet-version="{as_utc(sheet.updated_at).isoformat()}"' in page


def test_autosave_never_turns_a_submitted_sheet_back_into_a_draft(
    app: Flask, login_as: Login
) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    db.session.commit()
    client = login_as(member.user)
    post_scores(client, rnd, score_form(rnd, ["4", "4"], submit_scores="Submit my scores"))
    [before] = sheets()
    assert before.status == "submitted"
    submitted_at = before.submitted_at

    resp = autosave(client, rnd, score_form(rnd, ["1", "1"]))

    assert resp.status_code == 409
    body = resp.get_json()
    assert body["saved"] is False
    assert "already submitted" in body["message"]
    [after] = sheets()
    assert after.status == "submitted"
    assert after.scores == {"c1": 4, "c2": 4}
    assert after.submitted_at == submitted_at


def test_score_sheet_page_loads_the_script_and_an_empty_polite_live_region(
    app: Flask, login_as: Login
) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    db.session.commit()
    client = login_as(member.user)

    page = client.get(app_url(rnd)).get_data(as_text=True)

    assert re.search(r'<script src="/static/autosave.js(\?v=[0-9a-f]+)?" defer></script>', page)
    assert '<p class="autosave-status" aria-live="polite"></p>' in page
    assert 'data-autosave="on"' in page
    assert f'data-autosave-key="grantpanel-unsaved:{member.user.id}:{rnd.id}:' in page
    assert "We put back answers you had not saved." in page  # hidden until the script needs it
    assert "<script>" not in page  # no inline script (CSP: script-src 'self')
    # Other panel pages do not load it.
    assert "autosave.js" not in client.get(f"/panel/rounds/{rnd.id}/").get_data(as_text=True)


def test_submitted_sheet_page_turns_autosave_off(app: Flask, login_as: Login) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    db.session.commit()
    client = login_as(member.user)
    post_scores(client, rnd, score_form(rnd, ["4", "4"], submit_scores="Submit my scores"))

    page = client.get(app_url(rnd)).get_data(as_text=True)

    assert 'data-autosave="off"' in page
    assert "autosave-status" not in page


def test_autosave_is_refused_when_scoring_is_closed(app: Flask, login_as: Login) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    db.session.commit()
    client = login_as(member.user)
    token = csrf_token(client, app_url(rnd))
    rnd.state = "closed"
    db.session.commit()

    page = client.get(app_url(rnd)).get_data(as_text=True)
    assert "autosave.js" not in page
    resp = client.post(app_url(rnd), headers=FETCH,
                       data={**score_form(rnd, ["3", "3"]), **DRAFT, "csrf_token": token})

    assert resp.status_code == 409
    assert resp.get_json()["message"].startswith("Scoring has closed")
    assert sheets() == []


def test_autosave_before_the_conflicts_check_is_refused_without_a_redirect(
    app: Flask, login_as: Login
) -> None:
    rnd = open_round()
    member = make_member(rnd)
    db.session.commit()
    client = login_as(member.user)
    token = csrf_token(client, f"/panel/rounds/{rnd.id}/conflicts")

    resp = client.post(app_url(rnd), headers=FETCH,
                       data={**score_form(rnd, ["3", "3"]), **DRAFT, "csrf_token": token})

    assert resp.status_code == 409
    assert resp.get_json()["saved"] is False
    assert sheets() == []


def test_autosave_with_a_problem_answers_422_with_a_plain_message(
    app: Flask, login_as: Login
) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    db.session.commit()
    client = login_as(member.user)

    resp = autosave(client, rnd, score_form(rnd, ["9", ""]))
    assert resp.status_code == 422
    assert "Choose a score from 1 to 5" in resp.get_json()["message"]

    resp = autosave(client, rnd, score_form(rnd, ["3", ""], feedback="x" * 5001))
    assert resp.status_code == 422
    assert "5000 characters" in resp.get_json()["message"]
    assert sheets() == []


def test_autosave_without_the_csrf_token_saves_nothing(app: Flask, login_as: Login) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    db.session.commit()
    client = login_as(member.user)

    resp = client.post(app_url(rnd), headers=FETCH,
                       data={**score_form(rnd, ["3", "3"]), **DRAFT})

    assert resp.status_code == 400
    assert sheets() == []


def test_the_ordinary_draft_button_still_redirects(app: Flask, login_as: Login) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    db.session.commit()
    client = login_as(member.user)

    resp = post_scores(client, rnd, score_form(rnd, ["3", ""], **DRAFT))

    assert resp.status_code == 302
    assert [s.status for s in sheets()] == ["draft"]
