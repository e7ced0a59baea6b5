"""Presence and impact: anonymous monitoring answers and the panel experience survey."""

from __future__ import annotations

import random

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select

from grantpanel.extensions import db
from grantpanel.models import (
    ImpactAnswered,
    Membership,
    MonitoringResponse,
    Round,
    SurveyResponse,
)
from grantpanel.monitoring import AnswerKind
from grantpanel.services import monitoring, survey
from tests.builders import make_member, make_round, make_user
from tests.helpers import post_form, text


def _asking(rnd: Round, questions: list[str] | None = None,
            targets: dict[str, tuple[str, int | None]] | None = None) -> None:
    monitoring.save_setup(rnd, questions or ["disability", "age", "lived-experience"],
                          targets or {})
    db.session.commit()


def _members(rnd: Round, n: int) -> list[Membership]:
    return [make_member(rnd) for _ in range(n)]


def test_answers_are_stored_with_no_link_to_the_member(app: Flask, client: FlaskClient,
                                                       login_as) -> None:  # type: ignore[no-untyped-def]
    rnd = make_round(state="open")
    _asking(rnd)
    m = make_member(rnd)
    db.session.commit()
    login_as(m.user)
    url = f"/panel/rounds/{rnd.id}/monitoring"
    page = client.get(url)
    assert page.status_code == 200
    assert "anonymous" in text(page) and "Prefer not to say" in text(page)
    resp = post_form(client, url, {"q_disability": "yes", "q_age": "35-44",
                                   "q_lived_experience": ["benefits", "debt"]})
    assert resp.status_code == 302

    # The answers table has the round and the answers, and no column that could name anyone.
    columns = {c["name"] for c in inspect(db.engine).get_columns("monitoring_response")}
    assert columns == {"id", "round_id", "answers"}
    assert {c["name"] for c in inspect(db.engine).get_columns("survey_response")} == {
        "id", "round_id", "ratings", "worked_well", "change"}
    row = db.session.scalars(select(MonitoringResponse)).one()
    assert row.answers == {"disability": "yes", "age": "35-44",
                           "lived-experience": ["benefits", "debt"]}
    assert not row.id.isdigit() and len(row.id) == 32  # random: the order is not kept
    # The marker says only that this member has answered.
    assert {c["name"] for c in inspect(db.engine).get_columns("impact_answered")} == {
        "membership_id", "kind"}
    assert monitoring.has_answered(m, AnswerKind.MONITORING)


def test_a_member_answers_only_once(app: Flask, client: FlaskClient, login_as) -> None:  # type: ignore[no-untyped-def]
    rnd = make_round(state="open")
    _asking(rnd)
    m = make_member(rnd)
    db.session.commit()
    login_as(m.user)
    url = f"/panel/rounds/{rnd.id}/monitoring"
    post_form(client, url, {"q_disability": "no"})
    page = client.get(url)
    assert "You have answered these questions" in text(page)
    assert 'name="q_disability"' not in text(page)
    # A second POST (an old tab) changes nothing.
    client.post(url, data={"q_disability": "yes", "csrf_token": "x"})
    with pytest.raises(monitoring.MonitoringError):
        monitoring.record_answers(m, {"disability": "yes"})
    db.session.rollback()
    assert db.session.scalars(select(MonitoringResponse)).all()[0].answers == {
        "disability": "no"}
    assert len(db.session.scalars(select(MonitoringResponse)).all()) == 1


def test_every_question_can_be_skipped_and_bad_answers_are_refused(
        app: Flask, client: FlaskClient, login_as) -> None:  # type: ignore[no-untyped-def]
    rnd = make_round(state="open")
    _asking(rnd)
    m = make_member(rnd)
    db.session.commit()
    login_as(m.user)
    url = f"/panel/rounds/{rnd.id}/monitoring"
    bad = post_form(client, url, {"q_disability": "maybe",
                                  "q_lived_experience": ["prefer-not", "debt"]})
    assert bad.status_code == 200
    assert "Choose one of the answers in the list." in text(bad)
    assert "on its own" in text(bad)
    assert "checked" in text(bad)  # the ticks are kept
    assert not monitoring.has_answered(m, AnswerKind.MONITORING)
    assert post_form(client, url, {}).status_code == 302
    assert db.session.scalars(select(MonitoringResponse)).one().answers == {}


def _answer(rnd: Round, answers: list[dict[str, object]]) -> None:
    for a in answers:
        monitoring.record_answers(make_member(rnd), a)
    db.session.commit()


def test_report_suppresses_groups_under_five_and_checks_targets(
        app: Flask, client: FlaskClient, login_as) -> None:  # type: ignore[no-untyped-def]
    rnd = make_round(state="open")
    _asking(rnd, ["disability", "age"], {"disability": ("yes", 50), "age": ("65-plus", 10)})
    staff = make_user(role="staff")
    login_as(staff)
    _answer(rnd, [{"disability": "yes"}] * 3)
    page = text(client.get(f"/staff/rounds/{rnd.id}/monitoring"))
    assert "Fewer than 5 people have answered so far" in page
    assert "<td class=\"num\">3</td>" not in page

    _answer(rnd, [{"disability": "yes"}] * 3 + [{"disability": "no"}] * 6)  # 12 in all
    report = monitoring.report(rnd)
    assert report.total == 12
    by_question = {qr.question.key: qr for qr in report.questions}
    disability = by_question["disability"]
    by_key = {c.key: c for c in disability.cells}
    assert (by_key["yes"].count, by_key["yes"].state) == (6, "shown")
    assert (by_key["no"].count, by_key["no"].share) == (6, 50)
    assert by_key["prefer-not"].state == "small" and by_key["prefer-not"].count is None
    assert by_key[""].state == "small"  # "did not answer"
    assert disability.target is not None and disability.target.status == "met"
    # Nobody is 65 or over: a target of 10% of 12 needs 2, a small group could hold that.
    age = by_question["age"]
    assert age.target is not None and age.target.status == "unknown"

    page = text(client.get(f"/staff/rounds/{rnd.id}/monitoring"))
    assert "12 people have answered." in page
    assert "Fewer than 5" in page and "Target met" in page


def test_one_small_group_hides_another_so_it_cannot_be_subtracted(app: Flask) -> None:
    cells = monitoring.suppress([("a", "A", 8), ("b", "B", 6), ("c", "C", 3)], 17,
                                partition=True)
    assert [c.state for c in cells] == ["shown", "hidden", "small"]
    assert cells[1].count is None
    # Ticks that need not add up to the total hide nothing extra.
    cells = monitoring.suppress([("a", "A", 8), ("c", "C", 3)], 17, partition=False)
    assert [c.state for c in cells] == ["shown", "small"]


def test_a_target_far_above_a_small_group_is_below(app: Flask) -> None:
    rnd = make_round(state="open")
    _asking(rnd, ["disability"], {"disability": ("yes", 50)})
    _answer(rnd, [{"disability": "no"}] * 9 + [{"disability": "yes"}])
    target = monitoring.report(rnd).questions[0].target
    assert target is not None and target.status == "below"


def test_staff_choose_questions_and_targets_with_plain_errors(
        app: Flask, client: FlaskClient, login_as) -> None:  # type: ignore[no-untyped-def]
    rnd = make_round(state="draft")
    login_as(make_user(role="staff"))
    db.session.commit()
    url = f"/staff/rounds/{rnd.id}/monitoring/questions"
    bad = post_form(client, url, {"ask_disability": "y", "target_disability": "yes",
                                  "percent_disability": "lots"})
    assert bad.status_code == 200
    assert "Enter a whole number from 1 to 100" in text(bad) and 'value="lots"' in text(bad)
    bad = post_form(client, url, {"target_age": "65-plus", "percent_age": "20"})
    assert "to set a target for it" in text(bad)
    ok = post_form(client, url, {"ask_disability": "y", "target_disability": "yes",
                                 "percent_disability": "50%", "ask_region": "y"})
    assert ok.status_code == 302
    setup = monitoring.setup_for(rnd)
    assert setup is not None
    assert setup.questions == ["disability", "region"]
    assert setup.targets == {"disability": {"answer": "yes", "percent": 50}}
    assert 'checked' in text(client.get(url))


def test_survey_opens_when_the_decision_is_published(app: Flask, client: FlaskClient,
                                                     login_as) -> None:  # type: ignore[no-untyped-def]
    rnd = make_round(state="decided")
    m = make_member(rnd)
    db.session.commit()
    login_as(m.user)
    assert client.get(f"/panel/rounds/{rnd.id}/survey").status_code == 404
    assert "Tell us how it went" not in text(client.get("/panel/"))
    rnd.state = "published"  # type: ignore[assignment]
    db.session.commit()
    assert "Tell us how it went" in text(client.get("/panel/"))
    url = f"/panel/rounds/{rnd.id}/survey"
    resp = post_form(client, url, {"q_listened": "5", "q_paid": "2",
                                   "worked_well": "Being paid on the day"})
    assert resp.status_code == 302
    row = db.session.scalars(select(SurveyResponse)).one()
    assert row.ratings == {"listened": 5, "paid": 2}
    assert row.worked_well == "Being paid on the day"
    assert "You have told us how it went" in text(client.get("/panel/"))
    with pytest.raises(survey.SurveyError):
        survey.record_answers(m, {}, "again", "")
    db.session.rollback()
    assert db.session.get(ImpactAnswered, (m.id, "survey")) is not None


def test_survey_summary_waits_for_five_answers_and_shuffles_free_text(
        app: Flask, client: FlaskClient, login_as) -> None:  # type: ignore[no-untyped-def]
    rnd = make_round(state="published")
    login_as(make_user(role="staff"))
    words = [f"Answer number {i}" for i in range(8)]
    for w in words[:4]:
        survey.record_answers(make_member(rnd), {"listened": "5"}, w, "")
    db.session.commit()
    page = text(client.get(f"/staff/rounds/{rnd.id}/survey"))
    assert "Fewer than 5 answers so far" in page and "Answer number" not in page
    for w in words[4:]:
        survey.record_answers(make_member(rnd), {"listened": "4"}, w, "")
    db.session.commit()
    s = survey.summary(rnd, random.Random(7))
    assert s.count == 8
    assert sorted(s.worked_well) == sorted(words)
    assert s.worked_well != words  # not the order answered
    listened = {c.key: c for c in s.statements[0].cells}
    assert listened["5"].state == "small" and listened["4"].state == "small"
    page = text(client.get(f"/staff/rounds/{rnd.id}/survey"))
    assert "8 people have answered." in page and "Answer number 3" in page


def test_panel_members_cannot_see_the_reports(app: Flask, client: FlaskClient,
                                              login_as) -> None:  # type: ignore[no-untyped-def]
    rnd = make_round(state="published")
    m = make_member(rnd)
    db.session.commit()
    login_as(m.user)
    for path in ("monitoring", "monitoring/questions", "survey"):
        assert client.get(f"/staff/rounds/{rnd.id}/{path}").status_code == 403
    # Staff have no panel pages to answer from.
    login_as(make_user(role="staff"))
    assert client.get(f"/panel/rounds/{rnd.id}/survey").status_code == 403


def test_hostile_input_gets_a_plain_answer_not_a_500(app: Flask, client: FlaskClient,
                                                     login_as) -> None:  # type: ignore[no-untyped-def]
    rnd = make_round(state="published")
    _asking(rnd)
    m = make_member(rnd)
    other = make_round(state="published")
    db.session.commit()
    login_as(m.user)
    assert client.get(f"/panel/rounds/{other.id}/survey").status_code == 404
    for url, data in (
        (f"/panel/rounds/{rnd.id}/monitoring",
         {"q_disability": "\x00", "q_lived_experience": ["x" * 5000], "q_age": ["a", "b"]}),
        (f"/panel/rounds/{rnd.id}/survey",
         {"q_listened": "99", "worked_well": "x" * 3000, "change": "bad\x1b"}),
    ):
        resp = post_form(client, url, data)
        assert resp.status_code == 200, url
        assert "There is a problem" in text(resp)
    login_as(make_user(role="staff"))
    resp = post_form(client, f"/staff/rounds/{rnd.id}/monitoring/questions",
                     {"ask_nonsense": "y", "target_age": "\x00", "percent_age": "9" * 50})
    assert resp.status_code == 200
    assert client.get("/staff/rounds/999999/monitoring").status_code == 404
