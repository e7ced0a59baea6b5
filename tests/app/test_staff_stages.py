"""Staff choose a round's decision stages in plain English, see what will happen, and take
the panel's steps in order from the round page; the public round page shows the stages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from grantpanel.extensions import db
from grantpanel.models import AuditEvent, Decision, Round, User
from tests.app.test_service_stages import (
    CONSENSUS,
    CONSENT,
    RANKED,
    cast_ballots,
    chain,
    scored_round,
)
from tests.builders import make_member, make_round, make_user
from tests.helpers import confirm_count, post_form, run_count, text
from tests.live import LiveServer, live_server  # noqa: F401

Login = Callable[[User], FlaskClient]

# The stages form as a browser sends it with every optional stage switched off.
PLAIN = {
    "aggregation": "mean", "trim": "0.10", "calibration": "none",
    "measure": "sd", "threshold": "1.50",
    "method": "irv", "shortlist": "top", "size": "5", "above": "", "seats": "",
    "funding_rule": "in-order", "fit_rule": "skip", "utilities": "scores",
    "completion": "add1",
    "consent_rule": "no-objection", "consent_threshold": "2/3",
    "submit": "Save the decision stages",
}


@pytest.fixture()
def staff(app: Flask) -> User:
    user = make_user(role="staff", name="Grace Grants")
    db.session.commit()
    return user


def _url(rnd: Round) -> str:
    return f"/staff/rounds/{rnd.id}/stages"


def _draft() -> Round:
    rnd = make_round(applications=2)
    make_member(rnd)
    db.session.commit()
    return rnd


# --- who may see and change the stages --------------------------------------------------------


def test_staff_see_every_stage_in_plain_english(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _draft()
    page = text(login_as(staff).get(_url(rnd)))
    for heading in ("1. Scores", "2. Consensus check (optional)", "3. Ranked vote (optional)",
                    "4. Funding", "5. Consent on the funded list (optional)"):
        assert heading in page
    assert "Trimmed mean" in page and "Instant-runoff voting" in page
    assert "disconnected" in page  # the additive model's warning, in plain words
    assert "Strong objections are always allowed" in page
    assert "What will happen, as saved" in page
    assert "Save the decision stages" in page


@pytest.mark.parametrize("who", ["anonymous", "panel"])
def test_only_staff_may_open_the_stages_page(
    app: Flask, client: FlaskClient, login_as: Login, who: str
) -> None:
    rnd = _draft()
    if who == "panel":
        member = make_user(role="panel")
        db.session.commit()
        client = login_as(member)
    resp = client.get(_url(rnd))
    if who == "anonymous":
        assert resp.status_code == 302 and "/sign-in" in resp.headers["Location"]
    else:
        assert resp.status_code == 403
    resp = client.post(_url(rnd), data={**PLAIN, "ranked_on": "y"})
    assert resp.status_code in (302, 400, 403)
    db.session.refresh(rnd)
    assert rnd.stages == []


def test_the_round_page_and_its_menu_link_to_the_stages(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _draft()
    client = login_as(staff)
    page = text(client.get(f"/staff/rounds/{rnd.id}"))
    assert "Choose the decision stages" in page and _url(rnd) in page
    assert _url(rnd) in text(client.get(f"/staff/rounds/{rnd.id}/applications"))


# --- saving -----------------------------------------------------------------------------------


def test_staff_save_a_chain_with_every_stage(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _draft()
    client = login_as(staff)
    resp = post_form(client, _url(rnd), {
        **PLAIN, "aggregation": "trimmed-mean", "trim": "0.2", "calibration": "zscore",
        "consensus_on": "y", "measure": "iqr", "threshold": "2", "rescore": "y",
        "ranked_on": "y", "method": "stv", "seats": "2",
        "lottery": "y",
        "consent_on": "y", "consent_rule": "supermajority", "consent_threshold": "3/4",
    })
    assert resp.status_code == 302, text(resp)
    db.session.refresh(rnd)
    assert rnd.stages == [
        {"kind": "scores", "aggregation": "trimmed-mean", "trim": "0.20",
         "calibration": "zscore"},
        {"kind": "consensus", "measure": "iqr", "threshold": "2.00", "rescore": True},
        {"kind": "ranked", "method": "stv", "shortlist": "top", "size": 5, "above": None,
         "seats": 2},
        {"kind": "funding", "rule": "in-order", "fit_rule": "skip", "utilities": None,
         "completion": None, "lottery": True},
        {"kind": "consent", "rule": "supermajority", "threshold": "3/4"},
    ]
    assert rnd.aggregation == "trimmed-mean"
    page = text(client.get(resp.headers["Location"]))
    assert "The decision stages are saved." in page
    assert 'id="stages"' in page
    # The form shows the saved chain when opened again.
    again = text(client.get(_url(rnd)))
    assert 'value="0.20"' in again and 'value="3/4"' in again


def test_the_fields_of_a_stage_that_is_off_are_ignored(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _draft()
    resp = post_form(login_as(staff), _url(rnd), {
        **PLAIN, "threshold": "lots", "size": "many", "consent_threshold": "most"})
    assert resp.status_code == 302
    db.session.refresh(rnd)
    assert [s["kind"] for s in rnd.stages] == ["scores", "funding"]
    assert rnd.stages[0]["trim"] == "0.00"  # a share is used only by the trimmed mean


def test_a_number_that_is_not_a_number_is_refused_beside_its_field(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _draft()
    resp = post_form(login_as(staff), _url(rnd), {
        **PLAIN, "consensus_on": "y", "threshold": "a lot"})
    assert resp.status_code == 400
    page = text(resp)
    assert "Enter the disagreement as a number like 1.50." in page
    assert 'value="a lot"' in page  # what was typed is kept
    db.session.refresh(rnd)
    assert rnd.stages == []


def test_an_invalid_combination_is_refused_with_the_reason_and_the_typing_kept(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _draft()
    # The Method of Equal Shares on ticks needs an approval vote; here there is no vote.
    resp = post_form(login_as(staff), _url(rnd), {
        **PLAIN, "funding_rule": "equal-shares", "utilities": "approvals",
        "consensus_on": "y", "threshold": "2.75"})
    assert resp.status_code == 400
    page = text(resp)
    assert "There is a problem" in page
    summary = page.split("There is a problem", 1)[1].split("</div>", 1)[0]
    assert "needs a ranked stage with approval voting" in summary
    assert 'href="#utilities-0"' in summary  # beside the field it is about
    assert 'value="2.75"' in page
    assert re.search(r'<input checked[^>]*value="equal-shares"', page)
    assert "Put right the problems above" in page
    db.session.refresh(rnd)
    assert rnd.stages == []


def test_preview_describes_the_typed_chain_without_saving_it(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _draft()
    resp = post_form(login_as(staff), _url(rnd), {
        **PLAIN, "ranked_on": "y", "submit": None, "preview": "Preview without saving"})
    assert resp.status_code == 200
    page = text(resp)
    assert "What will happen, as typed (not saved yet)" in page
    assert page.count("<li>", page.index('id="preview"')) >= 3
    db.session.refresh(rnd)
    assert rnd.stages == []


def test_the_stages_are_fixed_once_scoring_opens(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _draft()
    client = login_as(staff)
    assert post_form(client, _url(rnd), {**PLAIN, "ranked_on": "y"}).status_code == 302
    assert post_form(client, f"/staff/rounds/{rnd.id}/steps/open", {},
                     page=f"/staff/rounds/{rnd.id}").status_code == 302
    db.session.refresh(rnd)
    assert rnd.state == "open"
    page = text(client.get(_url(rnd)))
    assert "can no longer change" in page and "Save the decision stages" not in page
    resp = post_form(client, _url(rnd), {**PLAIN}, page=f"/staff/rounds/{rnd.id}")
    assert resp.status_code == 200
    db.session.refresh(rnd)
    assert [s["kind"] for s in rnd.stages] == ["scores", "ranked", "funding"]
    assert "The stages were fixed when scoring opened." in text(
        client.get(f"/staff/rounds/{rnd.id}"))


# --- the panel's steps from the round page ----------------------------------------------------


def _step(client: FlaskClient, rnd: Round, name: str) -> Any:
    return post_form(client, f"/staff/rounds/{rnd.id}/steps/{name}", {},
                     page=f"/staff/rounds/{rnd.id}")


def test_the_round_page_shows_only_the_steps_the_chain_has(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = scored_round(RANKED)
    page = text(login_as(staff).get(f"/staff/rounds/{rnd.id}"))
    assert "Open the ranked vote" in page
    assert "Members put the shortlist in order" in page
    assert "Open stage 2 re-scoring" not in page and "Ask the panel to consent" not in page
    assert "Check the count so far" in page  # not ready to confirm
    assert "Not done yet: open the ranked vote, then close the ranked vote." in page


def test_a_step_out_of_turn_is_refused_with_the_reason(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = scored_round(CONSENSUS, RANKED)
    client = login_as(staff)
    resp = _step(client, rnd, "open-vote")
    assert resp.status_code == 400
    assert "First open stage 2 re-scoring" in text(resp)
    db.session.refresh(rnd)
    assert rnd.state == "closed"
    resp = _step(client, rnd, "open-rescore")
    assert resp.status_code == 302
    page = text(client.get(resp.headers["Location"]))
    assert "Stage 2 re-scoring is open." in page
    assert "0 of 1 flagged applications have a stage 2 score so far." in page
    assert "Close stage 2 re-scoring" in page


def test_staff_run_the_vote_and_consent_then_confirm(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = scored_round(RANKED, CONSENT)
    client = login_as(staff)
    resp = run_count(client, rnd.id)
    assert resp.status_code == 400
    assert "cannot be run yet" in text(resp)
    assert _step(client, rnd, "open-vote").status_code == 302
    cast_ballots(rnd)
    for name in ("close-vote", "open-consent"):
        assert _step(client, rnd, name).status_code == 302, name
    page = text(client.get(f"/staff/rounds/{rnd.id}"))
    assert "0 of 2 members have answered." in page
    assert _step(client, rnd, "close-consent").status_code == 302
    page = text(client.get(f"/staff/rounds/{rnd.id}"))
    assert "Check the count and confirm the decision" in page
    assert confirm_count(client, rnd.id).status_code == 302
    db.session.refresh(rnd)
    assert rnd.state == "decided"
    assert db.session.scalars(select(Decision)).one().outcome == "confirmed"


def test_reopening_a_finished_stage_is_offered_and_explained(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = scored_round(RANKED)
    client = login_as(staff)
    _step(client, rnd, "open-vote")
    cast_ballots(rnd)
    _step(client, rnd, "close-vote")
    page = text(client.get(f"/staff/rounds/{rnd.id}"))
    assert "This stage is done; opening it again" in page
    assert "Check the count and confirm the decision" in page


# --- the public round page --------------------------------------------------------------------


def test_the_public_round_page_shows_the_stages_once_the_round_is_public(
    app: Flask, client: FlaskClient
) -> None:
    rnd = make_round(state="open", stages=chain(CONSENSUS, RANKED))
    db.session.commit()
    page = text(client.get(f"/rounds/{rnd.id}"))
    assert "How the panel decides" in page
    start = page.index('id="stages"')
    assert page.count("<li>", start, page.index("</ol>", start)) == 4


def test_a_draft_round_is_not_public(app: Flask, client: FlaskClient) -> None:
    rnd = make_round(stages=chain(RANKED))
    db.session.commit()
    assert client.get(f"/rounds/{rnd.id}").status_code == 404


# --- two presses at once ----------------------------------------------------------------------


def test_two_presses_of_open_the_vote_at_once_open_it_once(
    app: Flask, live_server: LiveServer  # noqa: F811
) -> None:
    from tests.app.test_races import PASSWORD, fresh, poster, race, sign_in

    staff = make_user(role="staff", password=PASSWORD)
    rnd = scored_round(RANKED)
    page = f"/staff/rounds/{rnd.id}"
    boss = sign_in(live_server, staff, page)
    tabs = [boss.tab(), boss.tab()]

    results = race([poster(boss, f"{live_server.url}{page}/steps/open-vote", tab=t)
                    for t in tabs])

    assert [r.status_code for r in results] == [302, 302]
    opened = [e for e in fresh(select(AuditEvent)) if e.action == "round.open-vote"]
    assert len(opened) == 1
    assert fresh(select(Round))[0].state == "voting"
    pages = [tabs[i].get(live_server.url + page, timeout=60).text for i in range(2)]
    assert any("already open, so nothing was changed" in p for p in pages)


@pytest.mark.parametrize(("field", "typed", "message"), [
    ("seats", "0", "How many winners does the vote choose? (optional): "),
    ("size", "1", "How many of the top applications: "),
    ("threshold", "1.5\x00", "control character"),
    ("seats", "12345678901", "is not a whole number"),
])
def test_odd_input_in_a_switched_on_stage_is_refused_beside_its_field(
    app: Flask, staff: User, login_as: Login, field: str, typed: str, message: str
) -> None:
    rnd = _draft()
    resp = post_form(login_as(staff), _url(rnd), {
        **PLAIN, "consensus_on": "y", "ranked_on": "y", field: typed})
    assert resp.status_code == 400
    assert message in text(resp)
    db.session.refresh(rnd)
    assert rnd.stages == []
