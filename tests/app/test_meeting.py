"""The facilitator's meeting view: who may see it, and what it shows (anonymised)."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from grantpanel.extensions import db
from grantpanel.models import Conflict, Membership, Round, ScoreSheet, User
from tests.builders import make_member, make_round, make_user

STAGES = [
    {"kind": "scores", "aggregation": "mean", "trim": "0.00", "calibration": "none"},
    {"kind": "consensus", "measure": "range", "threshold": "2.00", "rescore": False},
    {"kind": "funding", "rule": "in-order", "fit_rule": "skip", "utilities": None,
     "completion": None, "lottery": False},
]
NAMES = ["Priya Secretname", "Tomasz Hiddensurname", "Ola Quietname", "Ben Privatename"]


def _sheet(m: Membership, app_id: int, c1: int, c2: int, **fields: Any) -> None:
    db.session.add(ScoreSheet(membership_id=m.id, application_id=app_id, status="submitted",
                              stage=1, scores={"c1": c1, "c2": c2}, **fields))


def _world(state: str = "closed") -> dict[str, Any]:
    """A round with a consensus stage: A-001 split (totals 6 and 15), A-002 close, A-003
    carries a strong objection; member 4 has a conflict with A-001."""
    rnd = make_round(state=state, applications=3, seed="0" * 64,
                     seed_commitment="sha256:" + "0" * 64, stages=STAGES)
    members = [make_member(rnd, make_user(name=n)) for n in NAMES]
    a1, a2, a3 = sorted(rnd.applications, key=lambda a: a.reference)
    a1.title = "Warm hub <b>at</b> St Mark's"
    _sheet(members[0], a1.id, 1, 4, panel_note="Budget looks thin")
    _sheet(members[1], a1.id, 5, 5, panel_note="Brilliant reach")
    _sheet(members[2], a1.id, 3, 3)
    _sheet(members[0], a2.id, 4, 4)
    _sheet(members[1], a2.id, 4, 3)
    _sheet(members[0], a3.id, 4, 4)
    _sheet(members[1], a3.id, 4, 4, objection=True,
           objection_reason="They already hold our other grant")
    db.session.add(Conflict(membership_id=members[3].id, application_id=a1.id,
                            category="family", note="my sister", declared_by_id=members[3].user_id))
    other = make_round(name="Another round", state="closed")
    outsider = make_member(other, make_user(name="Outside Person")).user
    staff = make_user(role="staff")
    db.session.commit()
    return {"rnd": rnd, "members": [m.user for m in members], "staff": staff,
            "outsider": outsider, "apps": (a1, a2, a3)}


@pytest.fixture()
def world(app: Flask) -> dict[str, Any]:
    return _world()


def _page(client: FlaskClient, rnd: Round, **query: str) -> str:
    resp = client.get(f"/meeting/rounds/{rnd.id}", query_string=query)
    assert resp.status_code == 200
    return html.unescape(resp.get_data(as_text=True))


def test_staff_see_flagged_applications_most_disagreement_first(
    login_as: Callable[[User], FlaskClient], world: dict[str, Any],
) -> None:
    page = _page(login_as(world["staff"]), world["rnd"])
    assert "Applications to discuss" in page
    assert "2 applications are flagged for discussion" in page
    first = page.index("1. A-001: Warm hub <b>at</b> St Mark's")
    second = page.index("2. A-003")
    assert first < second
    assert "A-002:" not in page  # close scores, no objection: not flagged


def test_the_view_is_anonymised_totals_spread_notes_and_reasons_without_names(
    login_as: Callable[[User], FlaskClient], world: dict[str, Any],
) -> None:
    page = _page(login_as(world["staff"]), world["rnd"])
    assert "lowest 6, highest 15" in page  # totals: (1*2+4)=6, 9, 15
    assert "Totals, lowest first: 6, 9, 15." in page
    assert "1, 3, 5" in page  # criterion c1's scores, sorted
    assert "Budget looks thin" in page and "Brilliant reach" in page
    assert "They already hold our other grant" in page
    for name in NAMES:
        assert name not in page
    assert "Panel member 1" not in page and "Panel member 2" not in page
    assert "<svg" in page and 'role="img"' in page


def test_hostile_titles_are_escaped(login_as: Callable[[User], FlaskClient],
                                    world: dict[str, Any]) -> None:
    raw = login_as(world["staff"]).get(f"/meeting/rounds/{world['rnd'].id}").get_data(
        as_text=True)
    assert "<b>at</b>" not in raw and "&lt;b&gt;at&lt;/b&gt;" in raw


def test_a_member_of_the_round_may_see_it(login_as: Callable[[User], FlaskClient],
                                          world: dict[str, Any]) -> None:
    page = _page(login_as(world["members"][0]), world["rnd"])
    assert "Warm hub" in page and "Budget looks thin" in page


def test_a_conflicted_member_sees_the_application_hidden(
    login_as: Callable[[User], FlaskClient], world: dict[str, Any],
) -> None:
    page = _page(login_as(world["members"][3]), world["rnd"])
    assert "You have a link to this application, so it is hidden for you" in page
    assert "Warm hub" not in page and "Budget looks thin" not in page
    assert "Brilliant reach" not in page
    assert "They already hold our other grant" in page  # A-003 is not hidden


def test_a_member_of_another_round_is_refused(login_as: Callable[[User], FlaskClient],
                                              world: dict[str, Any]) -> None:
    resp = login_as(world["outsider"]).get(f"/meeting/rounds/{world['rnd'].id}")
    assert resp.status_code == 403
    assert login_as(world["outsider"]).get("/meeting/rounds/99999").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client: FlaskClient,
                                                 world: dict[str, Any]) -> None:
    resp = client.get(f"/meeting/rounds/{world['rnd'].id}")
    assert resp.status_code == 302 and "/sign-in" in resp.headers["Location"]


def test_before_scoring_closes_the_view_says_when_it_opens(
    app: Flask, login_as: Callable[[User], FlaskClient],
) -> None:
    w = _world(state="open")
    page = _page(login_as(w["staff"]), w["rnd"])
    assert "The meeting view opens when scoring closes" in page
    assert "Warm hub" not in page


def test_big_text_toggle_for_a_projector(login_as: Callable[[User], FlaskClient],
                                         world: dict[str, Any]) -> None:
    page = _page(login_as(world["staff"]), world["rnd"], big="1")
    assert 'class="meeting meeting-big"' in page
    assert "Normal size text" in page


def test_a_round_without_a_consensus_stage_says_so(
    app: Flask, login_as: Callable[[User], FlaskClient],
) -> None:
    rnd = make_round(state="closed", seed="0" * 64, seed_commitment="sha256:" + "0" * 64)
    staff = make_user(role="staff")
    db.session.commit()
    page = _page(login_as(staff), rnd)
    assert "no consensus check" in page


def test_each_item_gives_its_disagreement_figure_and_why_it_is_flagged(
    login_as: Callable[[User], FlaskClient], world: dict[str, Any],
) -> None:
    page = _page(login_as(world["staff"]), world["rnd"])
    assert "9.00 by Gap between the highest and lowest total (range) (flagged above 2.00)" in page
    assert "The totals were far apart." in page
    assert "A panel member objected strongly." in page
