"""The panel member's pages for the decision stages: strong objections on the score sheet,
the stage-2 re-score, the ranked (and approval) vote, and consent on the funded list.

Which applications are flagged, shortlisted or funded comes from ``voting`` through
``services.stages`` and ``services.counting``; most tests here fix those lists (monkeypatch)
so each test reads as one page state. ``test_real_*`` tests run the real count.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from grantpanel.extensions import db
from grantpanel.models import (
    Application,
    Ballot,
    Conflict,
    ConsentAnswer,
    Membership,
    Round,
    ScoreSheet,
    utcnow,
)
from grantpanel.services import counting, stages
from grantpanel.vocabulary import RoundState
from tests.app.panel_helpers import Login, app_url, checked_member, score_form, sheets
from tests.builders import make_member, make_round, make_user
from tests.helpers import csrf_token

SCORES = {"kind": "scores", "aggregation": "mean", "trim": "0.00", "calibration": "none"}
CONSENSUS = {"kind": "consensus", "measure": "range", "threshold": "2.00", "rescore": True}
FUNDING = {"kind": "funding", "rule": "in-order", "fit_rule": "skip", "utilities": None,
           "completion": None, "lottery": False}
CONSENT = {"kind": "consent", "rule": "no-objection", "threshold": None}


def ranked(method: str = "borda") -> dict[str, Any]:
    return {"kind": "ranked", "method": method, "shortlist": "top", "size": 3, "above": None,
            "seats": None}


def stage_round(state: str, chain: list[dict[str, Any]], applications: int = 4) -> Round:
    rnd = make_round(applications=applications, state=state, stages=chain, seed="0" * 64,
                     seed_commitment="sha256:" + "0" * 64)
    for a in rnd.applications:
        a.title = f"Project {a.reference}"
    return rnd


def page(resp: Any) -> str:
    return html.unescape(resp.get_data(as_text=True))


def post(client: FlaskClient, url: str, data: dict[str, Any], **kw: Any) -> Any:
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)}, **kw)


def input_tag(text: str, **attr: str) -> str:
    """The ``<input>`` tag with the given attribute (``name="rank_3"``)."""
    (key, value), = attr.items()
    m = re.search(rf'<input [^>]*\b{key}="{re.escape(value)}"[^>]*>', text)
    assert m is not None, f"no input with {key}={value!r}"
    return m.group(0)


def typed_in(text: str, name: str) -> str:
    """What a text box shows."""
    m = re.search(r'value="([^"]*)"', input_tag(text, name=name))
    return m.group(1) if m else ""


def declare(m: Membership, a: Application) -> None:
    db.session.add(Conflict(membership_id=m.id, application_id=a.id, category="family",
                            declared_by_id=m.user_id))


@pytest.fixture()
def fixed(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Fix the flagged and shortlisted references (the count's answers) for a test."""
    lists: dict[str, list[str]] = {"flagged": [], "shortlist": []}
    monkeypatch.setattr(stages, "flagged", lambda rnd: list(lists["flagged"]))
    monkeypatch.setattr(stages, "shortlist", lambda rnd: list(lists["shortlist"]))
    return lists


@dataclass
class FakePreview:
    inputs: dict[str, Any]
    funding: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)


def fix_funded(monkeypatch: pytest.MonkeyPatch, rnd: Round, refs: list[str]) -> None:
    apps = [{"id": a.reference, "amount": a.amount} for a in rnd.applications]
    monkeypatch.setattr(counting, "preview",
                        lambda r: FakePreview(inputs={"applications": apps},
                                              funding={"funded": list(refs)}))


def vote_url(rnd: Round) -> str:
    return f"/panel/rounds/{rnd.id}/vote"


def consent_url(rnd: Round) -> str:
    return f"/panel/rounds/{rnd.id}/consent"


def rescore_url(rnd: Round, index: int = 0) -> str:
    return app_url(rnd, index) + "/score-again"


def ballots() -> list[Ballot]:
    return list(db.session.scalars(select(Ballot).execution_options(populate_existing=True)))


def answers() -> list[ConsentAnswer]:
    return list(db.session.scalars(
        select(ConsentAnswer).execution_options(populate_existing=True)))


# --- Strong objection on the score sheet ---------------------------------------------------


def test_sheet_offers_a_strong_objection_only_when_the_round_has_a_consensus_stage(
    app: Flask, login_as: Login
) -> None:
    with_consensus = stage_round("open", [SCORES, CONSENSUS, FUNDING])
    without = stage_round("open", [SCORES, FUNDING])
    m1, m2 = checked_member(with_consensus), checked_member(without)
    db.session.commit()

    text = page(login_as(m1.user).get(app_url(with_consensus)))
    assert "I strongly object to this application" in text
    assert "Only the panel and the grants team see this. It is never published" in text
    assert "I strongly object" not in page(login_as(m2.user).get(app_url(without)))


def test_objection_submitted_without_a_reason_is_refused_and_everything_typed_is_kept(
    app: Flask, login_as: Login
) -> None:
    rnd = stage_round("open", [SCORES, CONSENSUS, FUNDING])
    m = checked_member(rnd)
    db.session.commit()
    client = login_as(m.user)

    resp = post(client, app_url(rnd), score_form(rnd, ["4", "3"], objection="y",
                                                 panel_note="Kind people",
                                                 submit_scores="Submit"))

    text = page(resp)
    assert resp.status_code == 200
    assert "Tell us why you strongly object to this application" in text
    assert 'href="#objection_reason"' in text
    assert "Kind people" in text
    assert "checked" in input_tag(text, name="objection")
    assert sheets() == []


def test_objection_with_a_reason_is_saved_with_the_submitted_sheet(
    app: Flask, login_as: Login
) -> None:
    rnd = stage_round("open", [SCORES, CONSENSUS, FUNDING])
    m = checked_member(rnd)
    db.session.commit()
    client = login_as(m.user)

    resp = post(client, app_url(rnd), score_form(
        rnd, ["4", "3"], objection="y", objection_reason="They hold our other grant",
        submit_scores="Submit"))

    assert resp.status_code == 302
    (sheet,) = sheets()
    assert sheet.status == "submitted"
    assert sheet.objection is True
    assert sheet.objection_reason == "They hold our other grant"
    # The page shows it back, ticked, with its reason.
    text = page(client.get(app_url(rnd)))
    assert "They hold our other grant" in text


def test_objection_is_kept_by_the_automatic_draft_save(app: Flask, login_as: Login) -> None:
    rnd = stage_round("open", [SCORES, CONSENSUS, FUNDING])
    m = checked_member(rnd)
    db.session.commit()
    client = login_as(m.user)
    token = csrf_token(client, app_url(rnd))

    resp = client.post(app_url(rnd), data={**score_form(rnd, ["4"]), "objection": "y",
                                           "objection_reason": "Half typed",
                                           "csrf_token": token},
                       headers={"X-Requested-With": "fetch"})

    assert resp.status_code == 204
    (sheet,) = sheets()
    assert (sheet.status, sheet.objection, sheet.objection_reason) == ("draft", True,
                                                                       "Half typed")


def test_unticking_the_objection_and_submitting_keeps_no_reason(
    app: Flask, login_as: Login
) -> None:
    rnd = stage_round("open", [SCORES, CONSENSUS, FUNDING])
    m = checked_member(rnd)
    db.session.commit()
    client = login_as(m.user)

    post(client, app_url(rnd), score_form(rnd, ["4", "3"], objection_reason="On second thoughts",
                                          submit_scores="Submit"))

    (sheet,) = sheets()
    assert (sheet.objection, sheet.objection_reason) == (False, "")


# --- Stage 2: score again after the discussion ---------------------------------------------


def _rescoring_world(fixed: dict[str, list[str]]) -> tuple[Round, Membership]:
    rnd = stage_round("rescoring", [SCORES, CONSENSUS, FUNDING])
    m = checked_member(rnd)
    a1, a2, a3, a4 = rnd.applications
    db.session.add(ScoreSheet(membership_id=m.id, application_id=a1.id, stage=1,
                              status="submitted", scores={"c1": 2, "c2": 5},
                              panel_note="Unsure about the budget", submitted_at=utcnow()))
    declare(m, a3)
    fixed["flagged"] = [a3.reference, a1.reference, a2.reference]
    db.session.commit()
    return rnd, m


def test_home_and_queue_show_the_flagged_applications_to_score_again(
    app: Flask, login_as: Login, fixed: dict[str, list[str]]
) -> None:
    rnd, m = _rescoring_world(fixed)
    client = login_as(m.user)

    home = page(client.get("/panel/"))
    assert "2 applications to score again after the discussion." in home
    assert "Score again after the discussion" in home

    queue = page(client.get(f"/panel/rounds/{rnd.id}/"))
    assert 'id="score-again"' in queue
    assert "0 of 2 scored again" in queue
    assert rescore_url(rnd, 0) in queue and rescore_url(rnd, 1) in queue
    assert rescore_url(rnd, 2) not in queue  # conflicted
    assert rescore_url(rnd, 3) not in queue  # not flagged


def test_home_and_queue_link_to_the_meeting_view_while_the_panel_talks(
    app: Flask, login_as: Login, fixed: dict[str, list[str]]
) -> None:
    rnd, m = _rescoring_world(fixed)
    client = login_as(m.user)
    meeting = f"/meeting/rounds/{rnd.id}"
    for url in ("/panel/", f"/panel/rounds/{rnd.id}/"):
        text = page(client.get(url))
        assert "See the applications to talk about" in text and f'href="{meeting}' in text
    assert client.get(meeting).status_code == 200


@pytest.mark.parametrize(("state", "shown"), [
    (RoundState.OPEN, False), (RoundState.CLOSED, True), (RoundState.DECIDED, False)])
def test_the_meeting_link_shows_from_close_to_decision_even_without_a_re_score(
    app: Flask, login_as: Login, state: str, shown: bool
) -> None:
    no_rescore = {**CONSENSUS, "rescore": False}
    rnd = stage_round(state, [SCORES, no_rescore, FUNDING])
    m = checked_member(rnd)
    db.session.commit()
    home = page(login_as(m.user).get("/panel/"))
    assert ("See the applications to talk about" in home) is shown
    assert (f"/meeting/rounds/{rnd.id}" in home) is shown


def test_staff_round_pages_link_to_the_meeting_view_only_with_a_consensus_stage(
    app: Flask, login_as: Login
) -> None:
    with_consensus = stage_round(RoundState.OPEN, [SCORES, CONSENSUS, FUNDING])
    without = stage_round(RoundState.OPEN, [SCORES, FUNDING])
    client = login_as(make_user(role="staff"))
    assert f"/meeting/rounds/{with_consensus.id}" in page(
        client.get(f"/staff/rounds/{with_consensus.id}/progress"))
    assert "/meeting/rounds/" not in page(client.get(f"/staff/rounds/{without.id}/progress"))


def test_stage_two_sheet_starts_from_stage_one_and_shows_it_for_reference(
    app: Flask, login_as: Login, fixed: dict[str, list[str]]
) -> None:
    rnd, m = _rescoring_world(fixed)
    client = login_as(m.user)

    text = page(client.get(rescore_url(rnd, 0)))

    assert "Your first scores (for reference)" in text
    assert "Unsure about the budget" in text
    assert "We have filled in your first scores to start from" in text
    c1 = f"criterion_{rnd.criteria[0].id}"
    assert "checked" in input_tag(text, id=f"{c1}-1")  # the second point: 2
    assert "checked" not in input_tag(text, id=f"{c1}-0")
    assert "I strongly object" not in text  # objections belong to stage 1
    assert [s.stage for s in sheets()] == [1]  # nothing stored until they save


def test_stage_two_submit_makes_a_new_sheet_and_leaves_stage_one_alone(
    app: Flask, login_as: Login, fixed: dict[str, list[str]]
) -> None:
    rnd, m = _rescoring_world(fixed)
    client = login_as(m.user)

    resp = post(client, rescore_url(rnd, 0), score_form(rnd, ["4", "4"], submit_scores="Submit"))

    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/panel/rounds/{rnd.id}/#score-again")
    by_stage = {s.stage: s for s in sheets()}
    assert by_stage[1].scores == {"c1": 2, "c2": 5} and by_stage[1].status == "submitted"
    assert by_stage[2].scores == {"c1": 4, "c2": 4} and by_stage[2].status == "submitted"
    assert "1 of 2 scored again" in page(client.get(f"/panel/rounds/{rnd.id}/"))


def test_stage_two_is_refused_for_an_application_that_was_not_flagged(
    app: Flask, login_as: Login, fixed: dict[str, list[str]]
) -> None:
    rnd, m = _rescoring_world(fixed)
    client = login_as(m.user)

    assert client.get(rescore_url(rnd, 3)).status_code == 404
    token = csrf_token(client, app_url(rnd, 3))
    resp = client.post(rescore_url(rnd, 3), data={**score_form(rnd, ["4", "4"]),
                                                  "submit_scores": "y", "csrf_token": token})
    assert resp.status_code == 404
    assert [s.stage for s in sheets()] == [1]


def test_stage_one_cannot_be_changed_while_re_scoring(
    app: Flask, login_as: Login, fixed: dict[str, list[str]]
) -> None:
    rnd, m = _rescoring_world(fixed)
    client = login_as(m.user)

    text = page(client.get(app_url(rnd, 0)))
    assert "Score it again after the discussion" in text
    resp = post(client, app_url(rnd, 0), score_form(rnd, ["5", "5"], submit_scores="Submit"))

    assert "Scoring has closed for this round" in page(resp)
    assert [(s.stage, s.scores) for s in sheets()] == [(1, {"c1": 2, "c2": 5})]


def test_stage_two_page_is_read_only_once_re_scoring_closes(
    app: Flask, login_as: Login, fixed: dict[str, list[str]]
) -> None:
    rnd, m = _rescoring_world(fixed)
    client = login_as(m.user)
    post(client, rescore_url(rnd, 0), score_form(rnd, ["4", "4"], submit_scores="Submit"))
    rnd.state = RoundState.CLOSED
    db.session.commit()

    text = page(client.get(rescore_url(rnd, 0)))
    assert "Re-scoring after the discussion has closed" in text
    resp = client.post(rescore_url(rnd, 0), data={
        **score_form(rnd, ["1", "1"]), "submit_scores": "y",
        "csrf_token": csrf_token(client, app_url(rnd, 0))})
    assert "Re-scoring after the discussion is not open" in page(resp)
    assert {s.stage: s.scores for s in sheets()}[2] == {"c1": 4, "c2": 4}


# --- The ranked vote -----------------------------------------------------------------------


def _voting_world(fixed: dict[str, list[str]], method: str = "borda",
                  state: str = "voting") -> tuple[Round, Membership, list[Application]]:
    rnd = stage_round(state, [SCORES, ranked(method), FUNDING], applications=5)
    m = checked_member(rnd)
    apps = sorted(rnd.applications, key=lambda a: a.reference)
    declare(m, apps[1])
    fixed["shortlist"] = [apps[2].reference, apps[1].reference, apps[0].reference,
                          apps[3].reference]
    db.session.commit()
    return rnd, m, apps


def test_vote_lists_the_shortlist_without_conflicted_or_other_applications(
    app: Flask, login_as: Login, fixed: dict[str, list[str]]
) -> None:
    rnd, m, apps = _voting_world(fixed)
    text = page(login_as(m.user).get(vote_url(rnd)))

    assert "Rank the shortlist" in text
    shown = [a for a in apps if f'name="rank_{a.id}"' in text]
    assert shown == [apps[0], apps[2], apps[3]]
    # In shortlist order, each with a link to its page and a labelled number box.
    assert text.index(apps[2].title) < text.index(apps[0].title) < text.index(apps[3].title)
    assert app_url(rnd, rnd.applications.index(apps[2])) in text
    assert f'<label class="label" for="rank_{apps[2].id}">Choice number' in text
    assert "draggable" not in text


def test_member_ranks_by_typing_numbers_and_submits(
    app: Flask, login_as: Login, fixed: dict[str, list[str]]
) -> None:
    rnd, m, apps = _voting_world(fixed)
    client = login_as(m.user)

    resp = post(client, vote_url(rnd), {f"rank_{apps[0].id}": "1", f"rank_{apps[3].id}": "2",
                                        f"rank_{apps[2].id}": "", "submit_vote": "y"})

    assert resp.status_code == 302
    (ballot,) = ballots()
    assert ballot.status == "submitted" and ballot.ranking == [apps[0].id, apps[3].id]
    text = page(client.get(vote_url(rnd)))
    assert "Your vote is submitted and will count" in text
    assert "You can change it and submit again until the vote closes." in text
    assert text.index(apps[0].title) < text.index(apps[3].title) < text.index(apps[2].title)


@pytest.mark.parametrize(
    ("numbers", "message"),
    [
        (("1", "1", ""), "You used 1 more than once"),
        (("1", "3", ""), "3 is too high"),
        (("first", "", ""), "Type a whole number"),
        (("0", "", ""), "0 is not a choice"),
    ],
)
def test_duplicate_or_gapped_numbers_are_refused_keeping_what_was_typed(
    app: Flask, login_as: Login, fixed: dict[str, list[str]], numbers: tuple[str, ...],
    message: str,
) -> None:
    rnd, m, apps = _voting_world(fixed)
    client = login_as(m.user)
    ids = [apps[0].id, apps[2].id, apps[3].id]

    resp = post(client, vote_url(rnd), {**{f"rank_{i}": t for i, t in zip(ids, numbers, strict=True)},
                                        "submit_vote": "y"})

    text = page(resp)
    assert resp.status_code == 200
    assert "There is a problem" in text and message in text
    assert "What you typed is still on this page" in text
    for i, t in zip(ids, numbers, strict=True):
        assert typed_in(text, f"rank_{i}") == t
    assert ballots() == []


def test_submitting_an_empty_ranking_asks_for_a_first_choice(
    app: Flask, login_as: Login, fixed: dict[str, list[str]]
) -> None:
    rnd, m, _apps = _voting_world(fixed)
    resp = post(login_as(m.user), vote_url(rnd), {"submit_vote": "y"})
    assert "Give at least one application a number" in page(resp)
    assert ballots() == []


def test_move_buttons_reorder_and_save_a_draft_without_javascript(
    app: Flask, login_as: Login, fixed: dict[str, list[str]]
) -> None:
    rnd, m, apps = _voting_world(fixed)
    client = login_as(m.user)
    a0, a2, a3 = apps[0], apps[2], apps[3]

    # Nothing ranked: "Add as my next choice" on the third gives it number 1.
    resp = post(client, vote_url(rnd), {"move": f"up-{a3.id}"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"#choice-{a3.id}")
    assert [(b.status, b.ranking) for b in ballots()] == [("draft", [a3.id])]
    text = page(client.get(vote_url(rnd)))
    assert f"{a3.title} is now your choice number 1. Your draft is saved." in text
    assert typed_in(text, f"rank_{a3.id}") == "1"

    post(client, vote_url(rnd), {f"rank_{a3.id}": "1", "move": f"up-{a2.id}"})
    post(client, vote_url(rnd), {f"rank_{a3.id}": "1", f"rank_{a2.id}": "2",
                                 "move": f"up-{a2.id}"})
    assert ballots()[0].ranking == [a2.id, a3.id]
    # Move down on the last ranked takes its number away.
    post(client, vote_url(rnd), {f"rank_{a2.id}": "1", f"rank_{a3.id}": "2",
                                 "move": f"down-{a3.id}"})
    assert ballots()[0].ranking == [a2.id]
    # A move uses what is typed now, too.
    post(client, vote_url(rnd), {f"rank_{a2.id}": "2", f"rank_{a0.id}": "1",
                                 "move": f"down-{a0.id}"})
    assert ballots()[0].ranking == [a2.id, a0.id]
    assert ballots()[0].status == "draft"


def test_a_move_with_bad_numbers_moves_nothing_and_keeps_what_was_typed(
    app: Flask, login_as: Login, fixed: dict[str, list[str]]
) -> None:
    rnd, m, apps = _voting_world(fixed)
    resp = post(login_as(m.user), vote_url(rnd), {f"rank_{apps[0].id}": "2",
                                                  f"rank_{apps[2].id}": "2",
                                                  "move": f"up-{apps[3].id}"})
    assert "You used 2 more than once" in page(resp)
    assert ballots() == []


def test_sort_button_saves_the_numbers_and_sorts_the_list(
    app: Flask, login_as: Login, fixed: dict[str, list[str]]
) -> None:
    rnd, m, apps = _voting_world(fixed)
    client = login_as(m.user)
    resp = post(client, vote_url(rnd), {f"rank_{apps[3].id}": "1", f"rank_{apps[0].id}": "2",
                                        "sort": "yes"})
    assert resp.status_code == 302
    assert [(b.status, b.ranking) for b in ballots()] == [("draft", [apps[3].id, apps[0].id])]
    text = page(client.get(vote_url(rnd)))
    assert text.index(apps[3].title) < text.index(apps[0].title) < text.index(apps[2].title)


def test_moving_after_submitting_never_quietly_withdraws_the_vote(
    app: Flask, login_as: Login, fixed: dict[str, list[str]]
) -> None:
    rnd, m, apps = _voting_world(fixed)
    client = login_as(m.user)
    post(client, vote_url(rnd), {f"rank_{apps[0].id}": "1", f"rank_{apps[2].id}": "2",
                                 "submit_vote": "y"})

    resp = post(client, vote_url(rnd), {f"rank_{apps[0].id}": "1", f"rank_{apps[2].id}": "2",
                                        "move": f"up-{apps[2].id}"})

    text = page(resp)
    assert resp.status_code == 200
    assert "Your changes are not saved yet." in text
    assert typed_in(text, f"rank_{apps[2].id}") == "1"
    assert [(b.status, b.ranking) for b in ballots()] == [("submitted",
                                                           [apps[0].id, apps[2].id])]
    post(client, vote_url(rnd), {f"rank_{apps[0].id}": "2", f"rank_{apps[2].id}": "1",
                                 "submit_vote": "y"})
    assert [(b.status, b.ranking) for b in ballots()] == [("submitted",
                                                           [apps[2].id, apps[0].id])]


def test_double_submit_stores_one_ballot(
    app: Flask, login_as: Login, fixed: dict[str, list[str]]
) -> None:
    rnd, m, apps = _voting_world(fixed)
    client = login_as(m.user)
    data = {f"rank_{apps[0].id}": "1", "submit_vote": "y",
            "csrf_token": csrf_token(client, vote_url(rnd))}
    client.post(vote_url(rnd), data=data)
    client.post(vote_url(rnd), data=data)
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1


def test_hostile_posts_cannot_rank_conflicted_or_unlisted_applications(
    app: Flask, login_as: Login, fixed: dict[str, list[str]]
) -> None:
    rnd, m, apps = _voting_world(fixed)
    client = login_as(m.user)
    conflicted, unlisted = apps[1], apps[4]

    for target in (conflicted, unlisted):
        resp = post(client, vote_url(rnd), {f"rank_{target.id}": "1", "submit_vote": "y"})
        assert "Give at least one application a number" in page(resp)  # the box is ignored
        resp = post(client, vote_url(rnd), {"move": f"up-{target.id}"})
        assert "is not on your list" in page(resp)
    assert ballots() == []


def test_approval_vote_has_support_boxes(
    app: Flask, login_as: Login, fixed: dict[str, list[str]]
) -> None:
    rnd, m, apps = _voting_world(fixed, method="approval")
    client = login_as(m.user)
    text = page(client.get(vote_url(rnd)))
    assert "Which applications do you support?" in text
    assert f"I support {apps[0].title}" in text
    assert "Move up" not in text and 'name="rank_' not in text

    resp = post(client, vote_url(rnd), {f"approve_{apps[3].id}": "y",
                                        f"approve_{apps[0].id}": "y", "submit_vote": "y"})
    assert resp.status_code == 302
    (ballot,) = ballots()
    assert ballot.status == "submitted"
    assert ballot.approved == sorted([apps[0].id, apps[3].id]) and ballot.ranking == []


def test_vote_page_is_read_only_when_the_vote_is_closed(
    app: Flask, login_as: Login, fixed: dict[str, list[str]]
) -> None:
    rnd, m, apps = _voting_world(fixed, state="closed")
    db.session.add(Ballot(round_id=rnd.id, membership_id=m.id, ranking=[apps[2].id],
                          status="submitted", submitted_at=utcnow()))
    db.session.commit()
    client = login_as(m.user)

    text = page(client.get(vote_url(rnd)))
    assert "The ranked vote is not open now" in text
    assert "Your vote" in text and apps[2].title in text
    assert 'name="rank_' not in text
    client.post(vote_url(rnd), data={f"rank_{apps[0].id}": "1", "submit_vote": "y",
                                     "csrf_token": csrf_token(client, "/panel/")})
    assert [b.ranking for b in ballots()] == [[apps[2].id]]


def test_home_shows_the_open_vote_and_whether_it_is_done(
    app: Flask, login_as: Login, fixed: dict[str, list[str]]
) -> None:
    rnd, m, apps = _voting_world(fixed)
    client = login_as(m.user)
    home = page(client.get("/panel/"))
    assert "The ranked vote is open. You have not voted yet." in home
    assert vote_url(rnd) in home
    post(client, vote_url(rnd), {f"rank_{apps[0].id}": "1", "submit_vote": "y"})
    assert "You have voted. You can change your vote until the vote closes." in page(
        client.get("/panel/"))


def test_a_round_without_a_ranked_stage_has_no_vote_page(
    app: Flask, login_as: Login
) -> None:
    rnd = stage_round("voting", [SCORES, FUNDING])
    m = checked_member(rnd)
    db.session.commit()
    assert login_as(m.user).get(vote_url(rnd)).status_code == 404


# --- Consent on the funded list ------------------------------------------------------------


def _consent_world(monkeypatch: pytest.MonkeyPatch, state: str = "consenting"
                   ) -> tuple[Round, Membership, list[Application]]:
    rnd = stage_round(state, [SCORES, FUNDING, CONSENT])
    m = checked_member(rnd)
    apps = sorted(rnd.applications, key=lambda a: a.reference)
    declare(m, apps[1])
    fix_funded(monkeypatch, rnd, [apps[2].reference, apps[1].reference, apps[0].reference])
    db.session.commit()
    return rnd, m, apps


def test_consent_page_shows_the_funded_list_with_amounts(
    app: Flask, login_as: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    rnd, m, apps = _consent_world(monkeypatch)
    text = page(login_as(m.user).get(consent_url(rnd)))

    assert "Do you agree with the funded list?" in text
    assert text.index(apps[2].title) < text.index(apps[1].title) < text.index(apps[0].title)
    assert "£3,000.00" in text  # the total of three £1,000 applications
    assert "I agree with this list" in text and "I object to one application on it" in text
    # The conflicted application is listed but cannot be chosen to object to.
    assert f'<option value="{apps[1].id}"' not in text
    assert f'<option value="{apps[0].id}"' in text
    assert apps[3].title not in text


def test_member_agrees_and_can_change_to_an_objection(
    app: Flask, login_as: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    rnd, m, apps = _consent_world(monkeypatch)
    client = login_as(m.user)

    resp = post(client, consent_url(rnd), {"position": "consent"})
    assert resp.status_code == 302
    assert [(a.position, a.application_id) for a in answers()] == [("consent", None)]
    assert "You agreed with the list" in page(client.get(consent_url(rnd)))

    post(client, consent_url(rnd), {"position": "object", "application": str(apps[0].id),
                                    "reason": "It duplicates a council service"})
    (answer,) = answers()
    assert (answer.position, answer.application_id, answer.reason) == (
        "object", apps[0].id, "It duplicates a council service")
    assert f"You objected to {apps[0].title}" in page(client.get(consent_url(rnd)))


def test_objection_needs_an_application_and_a_reason_keeping_what_was_typed(
    app: Flask, login_as: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    rnd, m, apps = _consent_world(monkeypatch)
    client = login_as(m.user)

    resp = post(client, consent_url(rnd), {"position": "object", "reason": "Not sure why"})
    text = page(resp)
    assert "Choose the application you object to." in text
    assert "Not sure why" in text
    resp = post(client, consent_url(rnd), {"position": "object", "application": str(apps[0].id)})
    assert "Tell the panel why you object to this application." in page(resp)
    resp = post(client, consent_url(rnd), {})
    assert "Choose \u201cI agree\u201d or \u201cI object\u201d." in page(resp)
    assert answers() == []


def test_objecting_to_a_conflicted_or_unfunded_application_is_refused(
    app: Flask, login_as: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    rnd, m, apps = _consent_world(monkeypatch)
    client = login_as(m.user)
    for target in (apps[1], apps[3]):
        resp = post(client, consent_url(rnd), {"position": "object", "application":
                                               str(target.id), "reason": "No"})
        assert "You cannot object to one you have a connection to" in page(resp)
    assert answers() == []


def test_consent_double_submit_stores_one_answer_and_closed_step_is_read_only(
    app: Flask, login_as: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    rnd, m, _apps = _consent_world(monkeypatch)
    client = login_as(m.user)
    data = {"position": "consent", "csrf_token": csrf_token(client, consent_url(rnd))}
    client.post(consent_url(rnd), data=data)
    client.post(consent_url(rnd), data=data)
    assert len(answers()) == 1
    home = page(client.get("/panel/"))
    assert "You have answered. You can change your answer until this step closes." in home

    rnd.state = RoundState.CLOSED
    db.session.commit()
    text = page(client.get(consent_url(rnd)))
    assert "The panel is not being asked to agree to the funded list now." in text
    assert 'name="position"' not in text
    client.post(consent_url(rnd), data={"position": "object", "csrf_token": data["csrf_token"]})
    assert [a.position for a in answers()] == ["consent"]


def test_home_asks_for_consent_while_the_step_is_open(
    app: Flask, login_as: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    rnd, m, _apps = _consent_world(monkeypatch)
    home = page(login_as(m.user).get("/panel/"))
    assert "The panel is asked to agree to the funded list. You have not answered yet." in home
    assert consent_url(rnd) in home


# --- Who may see these pages ---------------------------------------------------------------


def test_stage_pages_refuse_other_rounds_members_staff_and_the_signed_out(
    app: Flask, client: FlaskClient, login_as: Login, fixed: dict[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rnd = stage_round("voting", [SCORES, CONSENSUS, ranked(), FUNDING, CONSENT])
    checked_member(rnd)
    fixed["shortlist"] = [a.reference for a in rnd.applications[:3]]
    fixed["flagged"] = [rnd.applications[0].reference]
    outsider = make_member(make_round(name="Another round", state="voting"),
                           conflicts_checked_at=utcnow())
    staff = make_user(role="staff")
    db.session.commit()
    urls = [vote_url(rnd), consent_url(rnd), rescore_url(rnd, 0)]

    for url in urls:
        resp = client.get(url)
        assert resp.status_code == 302 and "/sign-in" in resp.headers["Location"]
    login_as(outsider.user)
    for url in urls:
        assert client.get(url).status_code == 404
    login_as(staff)
    for url in urls:
        assert client.get(url).status_code == 403


# --- With the real count -------------------------------------------------------------------


def _score(m: Membership, a: Application, c1: int, c2: int, **extra: Any) -> None:
    db.session.add(ScoreSheet(membership_id=m.id, application_id=a.id, stage=1,
                              status="submitted", scores={"c1": c1, "c2": c2},
                              submitted_at=utcnow(), **extra))


def test_real_count_flags_split_and_objected_applications_for_re_scoring(
    app: Flask, login_as: Login
) -> None:
    rnd = stage_round("rescoring", [SCORES, CONSENSUS, FUNDING], applications=3)
    rnd.quorum = 2
    members = [checked_member(rnd) for _ in range(3)]
    a1, a2, a3 = sorted(rnd.applications, key=lambda a: a.reference)
    for m, (x, y) in zip(members, [(1, 1), (5, 5), (3, 3)], strict=True):
        _score(m, a1, x, y)  # far apart: flagged
    for m in members:
        _score(m, a2, 4, 4)  # agreed: not flagged
    _score(members[0], a3, 4, 4)
    _score(members[1], a3, 4, 4, objection=True, objection_reason="Private reason")
    db.session.commit()

    queue = page(login_as(members[2].user).get(f"/panel/rounds/{rnd.id}/"))
    assert f"/applications/{a1.id}/score-again" in queue
    assert f"/applications/{a3.id}/score-again" in queue
    assert f"/applications/{a2.id}/score-again" not in queue


def test_real_count_gives_the_shortlist_and_the_funded_list(
    app: Flask, login_as: Login
) -> None:
    rnd = stage_round("voting", [SCORES, ranked(), FUNDING, CONSENT], applications=4)
    rnd.quorum = 2
    members = [checked_member(rnd) for _ in range(2)]
    apps = sorted(rnd.applications, key=lambda a: a.reference)
    for m in members:
        for a, s in zip(apps, [5, 2, 4, 3], strict=True):
            _score(m, a, s, s)
    db.session.commit()
    client = login_as(members[0].user)

    text = page(client.get(vote_url(rnd)))
    shown = [a for a in apps if f'name="rank_{a.id}"' in text]
    assert shown == [apps[0], apps[2], apps[3]]  # the top 3 by score

    post(client, vote_url(rnd), {f"rank_{apps[2].id}": "1", "submit_vote": "y"})
    rnd.state = RoundState.CONSENTING
    db.session.commit()
    text = page(client.get(consent_url(rnd)))
    assert "Applications the rules would fund" in text
    for a in apps:
        assert a.title in text  # the budget (£10,000) covers all four
