"""Staff pages for rounds: dashboard, create and edit, rubric, lifecycle buttons, audit log."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from grantpanel.extensions import db
from grantpanel.models import Round, User
from tests.builders import make_member, make_round, make_user
from tests.helpers import csrf_token, post_form, text

Login = Callable[[User], FlaskClient]

ROUND_FORM = {
    "name": "Warm Homes 2026",
    "purpose": "Grants for groups helping people keep warm.",
    "currency": "GBP",
    "budget": "5,000.50",
    "involvement": "co-production",
    "quorum": "2",
    "tie_break_1": "more_scores",
    "tie_break_2": "smaller_amount",
    "tie_break_3": "",
    "tie_break_4": "",
    "opens_on": "2026-03-01",
    "closes_on": "2026-03-31",
    "decision_on": "2026-04-15",
    "reveal_scores_after_close": "y",
}


@pytest.fixture()
def staff(app: Flask) -> User:
    user = make_user(role="staff", name="Grace Grants")
    db.session.commit()
    return user


def _staff_urls(rnd: Round) -> list[tuple[str, str]]:
    r = f"/staff/rounds/{rnd.id}"
    a = rnd.applications[0].id
    c = rnd.criteria[0].id
    m = rnd.memberships[0].id
    gets = [
        "/staff/", "/staff/rounds/new", r, f"{r}/edit", f"{r}/criteria/new",
        f"{r}/criteria/{c}/edit", f"{r}/applications", f"{r}/applications/new",
        f"{r}/applications/{a}", f"{r}/applications/{a}/edit",
        f"{r}/applications/{a}/eligibility", f"{r}/applications/import", f"{r}/panel",
        f"{r}/panel/new", f"{r}/panel/{m}/invitation", f"{r}/conflicts", f"{r}/conflicts/new",
        f"{r}/progress", f"{r}/count", f"{r}/audit",
    ]
    posts = [
        f"{r}/steps/open", f"{r}/criteria/{c}/remove", f"{r}/criteria/{c}/move/down",
        f"{r}/panel/{m}/invitation", f"{r}/applications/new",
    ]
    return [("GET", u) for u in gets] + [("POST", u) for u in posts]


def test_anonymous_visitors_are_sent_to_sign_in_from_every_staff_page(
    app: Flask, client: FlaskClient
) -> None:
    rnd = make_round(applications=1)
    make_member(rnd)
    db.session.commit()
    token = csrf_token(client, "/sign-in")
    for method, url in _staff_urls(rnd):
        resp = client.open(url, method=method, data={"csrf_token": token})
        assert resp.status_code == 302, (method, url)
        assert "/sign-in" in resp.headers["Location"], (method, url)


def test_panel_members_cannot_use_any_staff_page(app: Flask, login_as: Login) -> None:
    rnd = make_round(applications=1)
    member = make_member(rnd)
    db.session.commit()
    client = login_as(member.user)
    token = csrf_token(client, "/panel/")
    for method, url in _staff_urls(rnd):
        resp = client.open(url, method=method, data={"csrf_token": token})
        assert resp.status_code == 403, (method, url)


def test_staff_can_open_every_staff_page(app: Flask, staff: User, login_as: Login) -> None:
    rnd = make_round(applications=1)
    make_member(rnd)
    db.session.commit()
    client = login_as(staff)
    for method, url in _staff_urls(rnd):
        if method == "GET":
            assert client.get(url).status_code == 200, url


def test_pages_for_a_round_that_does_not_exist_are_not_found(
    app: Flask, staff: User, login_as: Login
) -> None:
    client = login_as(staff)
    for url in ["/staff/rounds/999", "/staff/rounds/999/applications", "/staff/rounds/999/count",
                "/staff/rounds/999/audit", "/staff/rounds/999/panel"]:
        assert client.get(url).status_code == 404, url


def test_the_dashboard_lists_rounds_with_their_stage(
    app: Flask, staff: User, login_as: Login
) -> None:
    make_round(name="Spring Fund", state="open")
    db.session.commit()
    page = text(login_as(staff).get("/staff/"))
    assert "Spring Fund" in page and "Open for scoring" in page
    assert "Create a new round" in page


def test_staff_create_a_round_with_money_in_pounds_and_pence(
    app: Flask, staff: User, login_as: Login
) -> None:
    client = login_as(staff)
    resp = post_form(client, "/staff/rounds/new", ROUND_FORM)
    assert resp.status_code == 302
    rnd = db.session.scalars(db.select(Round)).one()
    assert rnd.budget == 500_050 and rnd.currency == "GBP"
    # How scores combine and the money is shared out are chosen on the decision stages page;
    # a new round starts with the simplest chain.
    assert rnd.aggregation == "mean" and rnd.quorum == 2 and rnd.fit_rule == "skip"
    assert rnd.tie_break == ["more_scores", "smaller_amount", "draw"]
    page = text(client.get(resp.headers["Location"]))
    assert "is created" in page
    assert "£5,000.50" in page
    assert "A draw using the published seed (always last)" in page


def test_a_budget_that_is_not_money_is_explained_beside_the_field_and_kept(
    app: Flask, staff: User, login_as: Login
) -> None:
    client = login_as(staff)
    resp = post_form(client, "/staff/rounds/new", {**ROUND_FORM, "budget": "lots"})
    page = text(resp)
    assert resp.status_code == 200
    assert "There is a problem" in page
    assert "The budget &#39;lots&#39; is not a number of pounds" in page
    assert 'value="lots"' in page
    assert 'value="Warm Homes 2026"' in page
    assert db.session.scalars(db.select(Round)).first() is None


def test_dates_out_of_order_and_repeated_tie_breaks_are_refused(
    app: Flask, staff: User, login_as: Login
) -> None:
    client = login_as(staff)
    data = {**ROUND_FORM, "closes_on": "2026-02-01", "tie_break_2": "more_scores",
            "quorum": "many"}
    page = text(post_form(client, "/staff/rounds/new", data))
    assert "The closing date must be after the opening date" in page
    assert "You chose this tie-break already" in page
    assert "&#39;many&#39; is not a whole number" in page


def test_the_edit_page_shows_the_current_settings(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round(budget=250_000, tie_break=["higher_mean", "draw"])
    db.session.commit()
    page = text(login_as(staff).get(f"/staff/rounds/{rnd.id}/edit"))
    assert 'value="2500"' in page
    assert '<option selected value="higher_mean">' in page


def test_staff_change_a_draft_round(app: Flask, staff: User, login_as: Login) -> None:
    rnd = make_round()
    db.session.commit()
    client = login_as(staff)
    resp = post_form(client, f"/staff/rounds/{rnd.id}/edit", {**ROUND_FORM, "quorum": "4"})
    assert resp.status_code == 302
    db.session.refresh(rnd)
    assert rnd.quorum == 4 and rnd.name == "Warm Homes 2026"


def test_rules_are_fixed_once_scoring_opens(app: Flask, staff: User, login_as: Login) -> None:
    rnd = make_round(state="open", quorum=3)
    db.session.commit()
    client = login_as(staff)
    page = text(client.get(f"/staff/rounds/{rnd.id}/edit"))
    assert "The rules are fixed" in page and "declared in advance" in page
    post_form(client, f"/staff/rounds/{rnd.id}/edit", {**ROUND_FORM, "quorum": "1"},
              page="/staff/")
    db.session.refresh(rnd)
    assert rnd.quorum == 3
    detail = text(client.get(f"/staff/rounds/{rnd.id}"))
    assert "declared in advance" in detail
    assert "Add a criterion" not in detail


def test_staff_add_a_criterion_with_a_line_per_point(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round(criteria=[{"name": "First"}])
    db.session.commit()
    client = login_as(staff)
    resp = post_form(
        client,
        f"/staff/rounds/{rnd.id}/criteria/new",
        {"name": "Reach", "guidance": "Who is helped.", "weight": "3", "scale_min": "0",
         "scale_max": "2", "descriptors": "0: Nobody named\n1: Some people\n2: Clear and wide"},
    )
    assert resp.status_code == 302
    db.session.refresh(rnd)
    crit = rnd.criteria[-1]
    assert (crit.name, crit.weight, crit.scale_min, crit.scale_max) == ("Reach", 3, 0, 2)
    assert crit.descriptors == ["Nobody named", "Some people", "Clear and wide"]
    assert "2: Clear and wide" in text(client.get(resp.headers["Location"]))


def test_a_criterion_missing_descriptors_keeps_what_was_typed(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round()
    db.session.commit()
    resp = post_form(
        login_as(staff),
        f"/staff/rounds/{rnd.id}/criteria/new",
        {"name": "Reach", "guidance": "g", "weight": "11", "scale_min": "1",
         "scale_max": "5", "descriptors": "Poor\nGood"},
    )
    page = text(resp)
    assert "Write one line for each point from 1 to 5" in page
    assert "The weight must be a whole number from 1 to 10" in page
    assert "Poor\nGood" in page


def test_staff_edit_move_and_remove_criteria(app: Flask, staff: User, login_as: Login) -> None:
    rnd = make_round()
    first, second = rnd.criteria
    db.session.commit()
    client = login_as(staff)
    edit_url = f"/staff/rounds/{rnd.id}/criteria/{first.id}/edit"
    assert "1: Does not show this at all" in text(client.get(edit_url))
    resp = post_form(client, edit_url, {
        "name": "Who gains", "guidance": "g", "weight": "2", "scale_min": "1", "scale_max": "2",
        "descriptors": "Unclear\nClear"})
    assert resp.status_code == 302
    post_form(client, f"/staff/rounds/{rnd.id}/criteria/{first.id}/move/down",
              page=f"/staff/rounds/{rnd.id}")
    db.session.expire_all()
    assert [c.name for c in rnd.criteria] == ["How the money will be used", "Who gains"]
    post_form(client, f"/staff/rounds/{rnd.id}/criteria/{second.id}/remove",
              page=f"/staff/rounds/{rnd.id}")
    db.session.expire_all()
    assert [c.name for c in rnd.criteria] == ["Who gains"]


def test_opening_scoring_explains_what_is_missing(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round()
    db.session.commit()
    client = login_as(staff)
    page = text(client.get(f"/staff/rounds/{rnd.id}"))
    assert "Open scoring" in page and "Before scoring can open" in page
    resp = post_form(client, f"/staff/rounds/{rnd.id}/steps/open", page=f"/staff/rounds/{rnd.id}")
    assert resp.status_code == 400
    assert "Add at least one panel member" in text(resp)
    db.session.refresh(rnd)
    assert rnd.state == "draft"


def test_opening_scoring_shows_the_seed_commitment_not_the_seed(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round(applications=1)
    make_member(rnd)
    db.session.commit()
    client = login_as(staff)
    resp = post_form(client, f"/staff/rounds/{rnd.id}/steps/open", page=f"/staff/rounds/{rnd.id}")
    assert resp.status_code == 302
    db.session.refresh(rnd)
    page = text(client.get(f"/staff/rounds/{rnd.id}"))
    assert rnd.state == "open"
    assert rnd.seed_commitment is not None and rnd.seed is not None
    assert rnd.seed_commitment in page
    assert rnd.seed not in page
    assert "Close scoring" in page


def test_a_step_not_allowed_now_is_refused_with_a_reason(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round()
    db.session.commit()
    resp = post_form(login_as(staff), f"/staff/rounds/{rnd.id}/steps/publish",
                     page=f"/staff/rounds/{rnd.id}")
    assert resp.status_code == 400
    assert "You cannot publish the decision while the round is draft" in text(resp)


def test_a_lifecycle_step_without_a_csrf_token_is_refused(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round(state="open")
    db.session.commit()
    resp = login_as(staff).post(f"/staff/rounds/{rnd.id}/steps/close")
    assert resp.status_code == 400
    db.session.refresh(rnd)
    assert rnd.state == "open"


def test_the_audit_log_lists_what_happened_newest_first_in_plain_words(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round(state="open")
    db.session.commit()
    client = login_as(staff)
    post_form(client, f"/staff/rounds/{rnd.id}/steps/close", page=f"/staff/rounds/{rnd.id}")
    post_form(client, f"/staff/rounds/{rnd.id}/steps/reopen", page=f"/staff/rounds/{rnd.id}")
    page = text(client.get(f"/staff/rounds/{rnd.id}/audit")).split('id="audit-count"', 1)[1]
    assert page.index("Reopen scoring") < page.index("Close scoring")
    assert "round.close" not in page  # codes are shown as words
    assert "Grace Grants" in page
