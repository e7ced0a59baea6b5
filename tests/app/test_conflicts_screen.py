"""The conflicts screen at any size: "no ties" first, the rest folded away, only the applicants a
member will read when reading is shared out, and a search for anyone else."""

from __future__ import annotations

import html
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from grantpanel.extensions import db
from grantpanel.models import Assignment, User
from grantpanel.services import conflicts
from tests.builders import make_application, make_member, make_round
from tests.helpers import text

Login = Callable[[User], FlaskClient]


def test_no_ties_comes_first_and_each_applicant_is_one_line(
    app: Flask, login_as: Login
) -> None:
    rnd = make_round(state="open", applications=10)
    member = make_member(rnd)
    db.session.commit()
    page = text(login_as(member.user).get(f"/panel/rounds/{rnd.id}/conflicts"))
    assert page.index("I have no ties to any of these applicants") < page.index(
        "I have a connection to")
    assert page.count("<details class=\"tie-details\">") == 10  # folded until needed
    assert page.count('id="submit"') == 1  # one id, though the button is at both ends


def test_a_ticked_applicant_with_a_problem_is_shown_open(app: Flask, login_as: Login) -> None:
    from tests.helpers import post_form

    rnd = make_round(state="open", applications=2)
    member = make_member(rnd)
    db.session.commit()
    url = f"/panel/rounds/{rnd.id}/conflicts"
    first = rnd.applications[0]
    resp = post_form(login_as(member.user), url, {f"tie_{first.id}": "y"})
    page = text(resp)
    assert "How are you connected?" in page and "error" in page  # asked again, not saved
    assert page.count("<details class=\"tie-details\" open>") == 1


def test_a_shared_out_round_asks_only_about_the_members_applications(
    app: Flask, login_as: Login
) -> None:
    rnd = make_round(state="open", applications=30, readers_per_application=1, quorum=1)
    member = make_member(rnd)
    mine = rnd.applications[:3]
    for a in mine:
        db.session.add(Assignment(round_id=rnd.id, membership_id=member.id, application_id=a.id))
    db.session.commit()
    assert {a.id for a in conflicts.applications_to_check(member)} == {a.id for a in mine}
    page = html.unescape(text(login_as(member.user).get(f"/panel/rounds/{rnd.id}/conflicts")))
    assert "The applicants you will read (3)" in page
    assert page.count("I have a connection to") == 3


def test_a_member_finds_any_applicant_by_name_and_steps_aside(
    app: Flask, login_as: Login
) -> None:
    rnd = make_round(state="open", applications=5, readers_per_application=1, quorum=1)
    known = make_application(rnd, reference="B-100", applicant_name="Riverside Food_Bank 100%")
    member = make_member(rnd)
    db.session.commit()
    client = login_as(member.user)
    url = f"/panel/rounds/{rnd.id}/conflicts"
    page = html.unescape(text(client.get(url, query_string={"q": "food_bank 100%"})))
    assert "Riverside Food_Bank 100%" in page
    assert f"/panel/rounds/{rnd.id}/applications/{known.id}/conflict" in page
    # % and _ are letters to search for, not wildcards
    assert conflicts.search_applicants(member, "Food%Bank") == []
    assert conflicts.search_applicants(member, "x") == []  # too short
    page = html.unescape(text(client.get(url, query_string={"q": "nothing like this"})))
    assert "No applicant matches “nothing like this”." in page
    for hostile in ("<script>", "'; DROP TABLE application; --", "\x00", "a" * 5000):
        assert client.get(url, query_string={"q": hostile}).status_code == 200
    conflicts.declare_conflict(member, known, category="family", note="", declared_by=member.user)
    db.session.commit()
    assert conflicts.search_applicants(member, "Riverside") == []  # declared: not offered again
