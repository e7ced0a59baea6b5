"""The panel member's journey through the pages, as a member would use it (CSRF on)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from grantpanel.extensions import db
from grantpanel.models import Conflict, Membership, Round, utcnow
from grantpanel.services import conflicts, scoring
from tests.app.panel_helpers import (
    Login,
    app_url,
    checked_member,
    conflicts_url,
    field,
    open_round,
    post_scores,
    score_form,
    sheets,
)
from tests.builders import make_member, make_round, make_user
from tests.helpers import csrf_token

# --- Conflicts first -----------------------------------------------------------------------


def test_member_must_declare_conflicts_before_opening_an_application(
    app: Flask, login_as: Login
) -> None:
    rnd = open_round()
    member = make_member(rnd)
    db.session.commit()
    client = login_as(member.user)

    home = client.get("/panel/").get_data(as_text=True)
    assert f'href="{conflicts_url(rnd)}"' in home

    resp = client.get(app_url(rnd))
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(conflicts_url(rnd))
    assert client.get(f"/panel/rounds/{rnd.id}/").headers["Location"].endswith(
        conflicts_url(rnd)
    )
    # Posting scores straight to the URL is refused too.
    token = csrf_token(client, conflicts_url(rnd))
    resp = client.post(app_url(rnd), data={field(rnd, 0): "3", "csrf_token": token})
    assert resp.status_code == 302
    assert sheets() == []


def test_conflicts_screen_lists_every_applicant_and_explains_in_plain_words(
    app: Flask, login_as: Login
) -> None:
    rnd = open_round()
    member = make_member(rnd)
    db.session.commit()
    page = login_as(member.user).get(conflicts_url(rnd)).get_data(as_text=True)

    assert "conflict of interest" in page
    for a in rnd.applications:
        assert a.applicant_name in page and a.title in page
    assert "I have no ties to any of these applicants" in page
    assert "I work or volunteer for them" in page


def test_member_with_no_ties_confirms_and_can_then_open_applications(
    app: Flask, login_as: Login
) -> None:
    rnd = open_round()
    member = make_member(rnd)
    db.session.commit()
    client = login_as(member.user)

    token = csrf_token(client, conflicts_url(rnd))
    resp = client.post(conflicts_url(rnd), data={"no_ties": "y", "csrf_token": token})

    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/panel/rounds/{rnd.id}/")
    assert db.session.get(Membership, member.id).conflicts_checked_at is not None
    assert client.get(app_url(rnd)).status_code == 200


def test_conflicts_screen_needs_a_tick_or_no_ties(app: Flask, login_as: Login) -> None:
    rnd = open_round()
    member = make_member(rnd)
    db.session.commit()
    client = login_as(member.user)

    token = csrf_token(client, conflicts_url(rnd))
    resp = client.post(conflicts_url(rnd), data={"csrf_token": token})

    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "There is a problem" in page
    assert 'href="#no_ties"' in page
    assert db.session.get(Membership, member.id).conflicts_checked_at is None


def test_ticking_an_applicant_and_no_ties_together_is_questioned(
    app: Flask, login_as: Login
) -> None:
    rnd = open_round()
    member = make_member(rnd)
    db.session.commit()
    client = login_as(member.user)
    a = rnd.applications[0]

    token = csrf_token(client, conflicts_url(rnd))
    resp = client.post(
        conflicts_url(rnd),
        data={f"tie_{a.id}": "y", f"category_{a.id}": "other", "no_ties": "y",
              "csrf_token": token},
    )

    assert "Untick one of them" in resp.get_data(as_text=True)
    assert db.session.get(Membership, member.id).conflicts_checked_at is None


def test_a_ticked_applicant_needs_a_connection_shown_beside_it_with_note_kept(
    app: Flask, login_as: Login
) -> None:
    rnd = open_round()
    member = make_member(rnd)
    db.session.commit()
    client = login_as(member.user)
    a = rnd.applications[1]

    token = csrf_token(client, conflicts_url(rnd))
    resp = client.post(
        conflicts_url(rnd),
        data={f"tie_{a.id}": "y", f"note_{a.id}": "I sing in their choir", "csrf_token": token},
    )

    page = resp.get_data(as_text=True)
    assert f'href="#category_{a.id}"' in page
    assert f'id="category_{a.id}-error"' in page
    assert "I sing in their choir" in page
    assert db.session.scalar(select(func.count()).select_from(Conflict)) == 0


def test_declaring_ties_removes_those_applications_from_the_queue(
    app: Flask, login_as: Login
) -> None:
    rnd = open_round()
    member = make_member(rnd)
    db.session.commit()
    client = login_as(member.user)
    a = rnd.applications[1]

    token = csrf_token(client, conflicts_url(rnd))
    resp = client.post(
        conflicts_url(rnd),
        data={f"tie_{a.id}": "y", f"category_{a.id}": "family", f"note_{a.id}": "My aunt",
              "csrf_token": token},
        follow_redirects=True,
    )

    page = resp.get_data(as_text=True)
    assert a.title not in page
    assert rnd.applications[0].title in page
    assert "0 of 2 submitted" in page
    conflict = db.session.scalar(select(Conflict))
    assert conflict is not None
    assert (conflict.category, conflict.note) == ("family", "My aunt")
    assert client.get(app_url(rnd, 1)).status_code == 403


def test_conflicted_member_cannot_open_the_application(app: Flask, login_as: Login) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    conflicts.declare_conflict(
        member, rnd.applications[0], category="trustee", declared_by=member.user
    )
    db.session.commit()
    client = login_as(member.user)

    resp = client.get(app_url(rnd))
    assert resp.status_code == 403
    assert "connection to this applicant" in resp.get_data(as_text=True)
    assert rnd.applications[0].summary not in resp.get_data(as_text=True)

    token = csrf_token(client, conflicts_url(rnd))
    resp = client.post(app_url(rnd), data=score_form(rnd, ["3", "3"], csrf_token=token))
    assert resp.status_code == 403
    assert sheets() == []


def test_declaring_a_conflict_later_withdraws_the_sheet_and_leaves_the_queue(
    app: Flask, login_as: Login
) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    db.session.commit()
    client = login_as(member.user)
    post_scores(client, rnd, score_form(rnd, ["4", "4"], submit_scores="Submit my scores"))
    assert [s.status for s in sheets()] == ["submitted"]

    page = client.get(app_url(rnd)).get_data(as_text=True)
    declare_url = app_url(rnd) + "/conflict"
    assert f'href="{declare_url}"' in page
    token = csrf_token(client, declare_url)
    resp = client.post(
        declare_url, data={"category": "close-friend", "note": "", "csrf_token": token},
        follow_redirects=True,
    )

    queue = resp.get_data(as_text=True)
    assert "stepped aside" in queue
    assert f'href="{app_url(rnd)}"' not in queue
    assert "0 of 2 submitted" in queue
    assert [s.status for s in sheets()] == ["withdrawn"]
    assert client.get(app_url(rnd)).status_code == 403


def test_declare_conflict_form_needs_a_connection_type(app: Flask, login_as: Login) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    db.session.commit()
    client = login_as(member.user)
    declare_url = app_url(rnd) + "/conflict"

    token = csrf_token(client, declare_url)
    resp = client.post(declare_url, data={"note": "Not sure", "csrf_token": token})

    page = resp.get_data(as_text=True)
    assert 'href="#category-0"' in page
    assert "Not sure" in page
    assert not conflicts.conflicted_application_ids(member)


# --- Scoring ------------------------------------------------------------------------------


def test_score_sheet_shows_every_descriptor_and_dont_know(app: Flask, login_as: Login) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    db.session.commit()
    page = login_as(member.user).get(app_url(rnd)).get_data(as_text=True)

    a = rnd.applications[0]
    assert a.applicant_name in page and a.summary in page and "£1,000.00" in page
    assert "<legend" in page and "Who benefits" in page
    assert "Think about who the money will reach." in page
    assert "3 – Shows some of this" in page
    assert page.count("Don&#39;t know") >= 2 or page.count("Don't know") >= 2
    assert "Save as draft" in page and "Submit my scores" in page
    assert "may be shown to the applicant" in page


def test_draft_saved_then_submitted(app: Flask, login_as: Login) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    db.session.commit()
    client = login_as(member.user)

    resp = post_scores(
        client, rnd, score_form(rnd, ["2"], panel_note="Half read", save_draft="Save as draft")
    )
    assert resp.status_code == 302
    [sheet] = sheets()
    assert (sheet.status, sheet.scores, sheet.panel_note) == ("draft", {"c1": 2}, "Half read")

    page = client.get(app_url(rnd)).get_data(as_text=True)
    assert "Your draft is saved" in page
    assert "Half read" in page
    assert re.search(rf'<input[^>]*checked[^>]*name="{field(rnd, 0)}"[^>]*value="2"', page) or \
        re.search(rf'name="{field(rnd, 0)}"[^>]*value="2"[^>]*checked', page)
    assert "0 of 3 submitted" in client.get(f"/panel/rounds/{rnd.id}/").get_data(as_text=True)

    resp = post_scores(
        client, rnd,
        score_form(rnd, ["2", "5"], feedback="Lovely idea", submit_scores="Submit my scores"),
    )
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(app_url(rnd) + "/submitted")
    [sheet] = sheets()
    assert (sheet.status, sheet.scores, sheet.feedback) == (
        "submitted", {"c1": 2, "c2": 5}, "Lovely idea"
    )

    confirmation = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Your scores are submitted" in confirmation
    assert f'href="{app_url(rnd, 1)}"' in confirmation  # the next application
    queue = client.get(f"/panel/rounds/{rnd.id}/").get_data(as_text=True)
    assert "1 of 3 submitted" in queue and "Submitted" in queue and "To do" in queue


def test_member_can_change_and_resubmit_until_scoring_closes(
    app: Flask, login_as: Login
) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    db.session.commit()
    client = login_as(member.user)
    post_scores(client, rnd, score_form(rnd, ["2", "2"], submit_scores="Submit my scores"))

    page = client.get(app_url(rnd)).get_data(as_text=True)
    assert "Submit my changed scores" in page
    assert 'name="save_draft"' not in page  # a stray draft must not un-count the scores

    post_scores(client, rnd, score_form(rnd, ["4", "5"], submit_scores="Submit my scores"))
    [sheet] = sheets()
    assert (sheet.status, sheet.scores) == ("submitted", {"c1": 4, "c2": 5})


def test_double_submit_stores_one_sheet(app: Flask, login_as: Login) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    db.session.commit()
    client = login_as(member.user)
    url = app_url(rnd)
    token = csrf_token(client, url)
    data = score_form(rnd, ["4", "3"], submit_scores="Submit my scores", csrf_token=token)

    first = client.post(url, data=data)
    second = client.post(url, data=data)

    assert first.status_code == second.status_code == 302
    assert len(sheets()) == 1


def test_out_of_scale_score_is_rejected_beside_the_field_and_other_answers_kept(
    app: Flask, login_as: Login
) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    db.session.commit()
    client = login_as(member.user)

    resp = post_scores(
        client, rnd,
        score_form(rnd, ["9", "4"], panel_note="Keep this note", feedback="And this",
                   submit_scores="Submit my scores"),
    )

    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "There is a problem" in page
    assert f'href="#{field(rnd, 0)}-0"' in page  # summary links to the question
    assert f'id="{field(rnd, 0)}-error"' in page  # and the error sits beside it
    assert "Choose a score from 1 to 5 for Who benefits" in page
    assert "Keep this note" in page and "And this" in page
    assert re.search(rf'name="{field(rnd, 1)}"[^>]*value="4"[^>]*checked', page) or \
        re.search(rf'checked[^>]*name="{field(rnd, 1)}"[^>]*value="4"', page)
    assert sheets() == []


def test_submitting_with_a_question_unanswered_says_which(app: Flask, login_as: Login) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    db.session.commit()
    client = login_as(member.user)

    resp = post_scores(client, rnd, score_form(rnd, ["3"], submit_scores="Submit my scores"))

    page = resp.get_data(as_text=True)
    assert f'id="{field(rnd, 1)}-error"' in page
    assert "Choose a score for How the money will be used" in page
    assert sheets() == []


def test_dont_know_is_stored_as_none(app: Flask, login_as: Login) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    db.session.commit()
    client = login_as(member.user)

    post_scores(
        client, rnd, score_form(rnd, ["dont-know", "3"], submit_scores="Submit my scores")
    )

    [sheet] = sheets()
    assert sheet.status == "submitted"
    assert sheet.scores == {"c1": None, "c2": 3}
    page = client.get(app_url(rnd)).get_data(as_text=True)
    assert re.search(rf'name="{field(rnd, 0)}"[^>]*value="dont-know"[^>]*checked', page) or \
        re.search(rf'checked[^>]*name="{field(rnd, 0)}"[^>]*value="dont-know"', page)


def test_cannot_score_after_close(app: Flask, login_as: Login) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    db.session.commit()
    client = login_as(member.user)
    url = app_url(rnd)
    token = csrf_token(client, url)
    rnd.state = "closed"
    db.session.commit()

    resp = client.post(
        url, data=score_form(rnd, ["3", "3"], feedback="Typed before it closed",
                             submit_scores="Submit my scores", csrf_token=token)
    )

    page = resp.get_data(as_text=True)
    assert "Scoring has closed for this round, so you cannot change your scores." in page
    assert "Typed before it closed" in page  # nothing typed is lost
    assert sheets() == []
    assert "Scoring has closed" in client.get(f"/panel/rounds/{rnd.id}/").get_data(as_text=True)
    assert 'name="submit_scores"' not in client.get(url).get_data(as_text=True)


def test_before_scoring_opens_the_queue_says_so(app: Flask, login_as: Login) -> None:
    rnd = make_round(applications=2, state="draft")
    member = checked_member(rnd)
    db.session.commit()
    client = login_as(member.user)

    assert "Scoring has not opened yet" in client.get(
        f"/panel/rounds/{rnd.id}/"
    ).get_data(as_text=True)
    page = client.get(app_url(rnd)).get_data(as_text=True)
    assert 'name="submit_scores"' not in page


def test_member_never_sees_others_scores_before_submitting(app: Flask, login_as: Login) -> None:
    rnd = open_round()
    alice = checked_member(rnd)
    bob = checked_member(rnd)
    scoring.save_sheet(
        alice, rnd.applications[0], scores={"c1": 1, "c2": 1}, panel_note="", feedback="",
        submit=True, actor=alice.user,
    )
    db.session.commit()
    client = login_as(bob.user)

    page = client.get(app_url(rnd)).get_data(as_text=True)
    assert "Panel member 1" not in page and "Everyone&#39;s scores" not in page

    post_scores(client, rnd, score_form(rnd, ["5", "5"], submit_scores="Submit my scores"))
    page = client.get(app_url(rnd)).get_data(as_text=True)
    assert "Panel member 1" not in page  # still open: shown only after scoring closes
    assert "after scoring closes" in page

    rnd.state = "closed"
    db.session.commit()
    page = client.get(app_url(rnd)).get_data(as_text=True)
    assert "Panel member 1" in page
    assert alice.user.name not in page


# --- Who may see the panel pages ------------------------------------------------------------


def _panel_urls(rnd: Round) -> list[str]:
    return [
        "/panel/",
        conflicts_url(rnd),
        f"/panel/rounds/{rnd.id}/",
        app_url(rnd),
        app_url(rnd) + "/submitted",
        app_url(rnd) + "/conflict",
    ]


def test_staff_user_gets_403_on_panel_pages(app: Flask, login_as: Login) -> None:
    rnd = open_round()
    staff = make_user(role="staff")
    db.session.commit()
    client = login_as(staff)
    for url in _panel_urls(rnd):
        assert client.get(url).status_code == 403, url


def test_anonymous_is_redirected_to_sign_in(app: Flask, client: FlaskClient) -> None:
    rnd = open_round()
    db.session.commit()
    for url in _panel_urls(rnd):
        resp = client.get(url)
        assert resp.status_code == 302, url
        assert "/sign-in" in resp.headers["Location"]


@pytest.mark.parametrize("index", [1, 2, 3, 4, 5])
def test_member_of_another_round_gets_404(app: Flask, login_as: Login, index: int) -> None:
    rnd = open_round()
    other = make_round(name="Another round", applications=1, state="open")
    outsider = make_member(other, conflicts_checked_at=utcnow())
    db.session.commit()
    client = login_as(outsider.user)
    assert client.get(_panel_urls(rnd)[index]).status_code == 404


def test_an_application_from_another_round_is_not_found(app: Flask, login_as: Login) -> None:
    rnd = open_round()
    other = make_round(name="Another round", applications=1, state="open")
    member = checked_member(rnd)
    db.session.commit()
    url = f"/panel/rounds/{rnd.id}/applications/{other.applications[0].id}"
    assert login_as(member.user).get(url).status_code == 404


def test_a_long_queue_is_shown_a_page_at_a_time_with_counts_for_the_whole_queue(
    app: Flask, login_as: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scoring, "QUEUE_PAGE_SIZE", 2)
    rnd = make_round(applications=5, state="open")
    member = checked_member(rnd)
    apps = sorted(rnd.applications, key=lambda a: a.reference)
    db.session.add(Conflict(membership_id=member.id, application_id=apps[1].id,
                            category="family", declared_by_id=member.user_id))
    db.session.commit()
    client = login_as(member.user)
    post_scores(client, rnd, score_form(rnd, ["2", "5"], submit_scores="Submit my scores"),
                index=4)
    url = f"/panel/rounds/{rnd.id}/"

    first = client.get(url).get_data(as_text=True)
    assert "1 of 4 submitted" in first and "Page 1 of 2" in first
    assert f'href="{app_url(rnd, 0)}"' in first and f'href="{app_url(rnd, 2)}"' in first
    assert f'href="{app_url(rnd, 3)}"' not in first and f'href="{app_url(rnd, 1)}"' not in first
    assert f'href="{url}?page=2#applications"' in first and "Previous page" not in first

    second = client.get(url + "?page=2").get_data(as_text=True)
    assert f'href="{app_url(rnd, 3)}"' in second and f'href="{app_url(rnd, 4)}"' in second
    assert "Page 2 of 2" in second and "Previous page" in second and "Next page" not in second
    assert "1 of 4 submitted" in second

    # Odd page numbers are read as the nearest page there is, never an error.
    for odd in ("0", "-3", "99999999999999999999", "two", ""):
        resp = client.get(f"{url}?page={odd}")
        assert resp.status_code == 200
        assert ("Page 2 of 2" if odd.startswith("9") else "Page 1 of 2") in resp.get_data(
            as_text=True)


def test_queue_page_matches_the_whole_queue(app: Flask) -> None:
    rnd = make_round(applications=7, state="open")
    member = checked_member(rnd)
    apps = sorted(rnd.applications, key=lambda a: a.reference)
    apps[2].eligible = False
    db.session.add(Conflict(membership_id=member.id, application_id=apps[5].id,
                            category="family", declared_by_id=member.user_id))
    db.session.commit()
    whole = scoring.queue(member)
    pages = [scoring.queue_page(member, n, per_page=2) for n in (1, 2, 3)]
    assert [i.application.id for p in pages for i in p.items] == [
        i.application.id for i in whole]
    assert {(p.total, p.pages) for p in pages} == {(5, 3)}


def test_next_to_score_goes_on_in_reference_order_round_to_the_start(app: Flask) -> None:
    from grantpanel.models import ScoreSheet

    rnd = make_round(applications=5, state="open")
    member = checked_member(rnd)
    a = sorted(rnd.applications, key=lambda x: x.reference)
    db.session.add(Conflict(membership_id=member.id, application_id=a[1].id,
                            category="family", declared_by_id=member.user_id))
    db.session.add(ScoreSheet(membership_id=member.id, application_id=a[3].id, stage=1,
                              status="submitted", scores={}, submitted_at=utcnow()))
    db.session.add(ScoreSheet(membership_id=member.id, application_id=a[4].id, stage=1,
                              status="draft", scores={}))
    db.session.commit()
    assert scoring.next_to_score(member, a[2]) == a[4]  # a[3] is submitted; a draft is not
    assert scoring.next_to_score(member, a[4]) == a[0]  # round to the start
    assert scoring.next_to_score(member, a[0]) == a[2]  # a[1] is conflicted
    assert scoring.queue_progress(member) == (1, 4)
    for x in (a[0], a[2]):
        db.session.add(ScoreSheet(membership_id=member.id, application_id=x.id, stage=1,
                                  status="submitted", scores={}, submitted_at=utcnow()))
    draft = db.session.scalars(select(ScoreSheet).where(
        ScoreSheet.application_id == a[4].id)).one()
    draft.status = "submitted"
    db.session.commit()
    assert scoring.next_to_score(member, a[0]) is None
