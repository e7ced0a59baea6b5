"""Real concurrent requests against a served app: nothing that counts is lost, mixed or doubled.

Each race starts its requests from threads released together by a ``threading.Barrier``, against
the ``live_server`` (a threaded HTTP server on the test database), so the requests really meet
in the database. On PostgreSQL the score sheet race runs at least 200 autosave-against-Submit
pairs; on SQLite (which lets one writer in at a time) it runs fewer. Either way: no server error,
and no sheet a member was told is submitted ends up a draft or holding anything but what they
submitted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import requests
from flask import Flask
from sqlalchemy import Select, select

import voting
from grantpanel.extensions import db
from grantpanel.models import (
    Application,
    AuditEvent,
    CountRun,
    Decision,
    Membership,
    PendingOverride,
    PublishedRecord,
    RecordChainHead,
    Round,
    ScoreSheet,
    User,
    utcnow,
)
from grantpanel.services import count_runs, counting, scoring
from tests.builders import make_member, make_round, make_user
from tests.live import LiveServer, csrf_token, live_server, signed_in_session  # noqa: F401

PASSWORD = "correct horse battery"
SEED = "cd" * 32
FETCH = {"X-Requested-With": "fetch"}
T = TypeVar("T")


# --- helpers ---------------------------------------------------------------------------------


def race(calls: list[Callable[[], T]]) -> list[T]:
    """Run ``calls`` in threads released at the same moment; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[T | None] = [None] * len(calls)
    failures: list[BaseException] = []

    def run(i: int, call: Callable[[], T]) -> None:
        try:
            barrier.wait(timeout=60)
            results[i] = call()
        except BaseException as e:  # noqa: BLE001  (re-raised below, in the test's thread)
            failures.append(e)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    if failures:
        raise failures[0]
    return cast(list[T], results)  # every call returned: none failed


def clone(session: requests.Session) -> requests.Session:
    """Another browser tab of the same signed-in person (same cookies, own connection)."""
    other = requests.Session()
    other.cookies.update(session.cookies)
    return other


@dataclass
class Browser:
    """A signed-in person with the CSRF token of their session."""

    session: requests.Session
    token: str

    def tab(self) -> requests.Session:
        return clone(self.session)


def sign_in(server: LiveServer, user: User, page: str) -> Browser:
    s = signed_in_session(server, user.email, PASSWORD)
    resp = s.get(f"{server.url}{page}", timeout=60)
    assert resp.status_code == 200, (page, resp.status_code)
    return Browser(session=s, token=csrf_token(resp.text))


def post(tab: requests.Session, url: str, data: dict[str, str], token: str,
         **kwargs: object) -> requests.Response:
    return tab.post(url, data={**data, "csrf_token": token}, allow_redirects=False,
                    timeout=120, **kwargs)  # type: ignore[arg-type]


def poster(browser: Browser, url: str, data: dict[str, str] | None = None, *,
           tab: requests.Session | None = None,
           **kwargs: object) -> Callable[[], requests.Response]:
    """A POST of ``data`` to ``url`` from ``tab`` (default: a new tab of ``browser``), to run
    in a race."""
    use = tab or browser.tab()
    return lambda: post(use, url, data or {}, browser.token, **kwargs)


def said_submitted(resp: requests.Response) -> bool:
    return resp.status_code in (302, 303) and resp.headers.get("Location", "").endswith(
        "/submitted"
    )


def fresh(stmt: Select[Any]) -> Sequence[Any]:
    """Rows as committed now (the test's session may hold older copies)."""
    db.session.rollback()
    return db.session.scalars(stmt.execution_options(populate_existing=True)).all()


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def scored_round(name: str, *, state: str, applications: int = 3) -> Round:
    """A round with a seed, three members and every sheet submitted."""
    rnd = make_round(
        name=name, state=state, budget=200_000, applications=applications, amount=100_000,
        quorum=2, seed=SEED, seed_commitment=voting.seed_commitment(SEED),
    )
    members = [make_member(rnd) for _ in range(3)]
    for i, a in enumerate(rnd.applications):
        for m in members:
            db.session.add(ScoreSheet(
                membership_id=m.id, application_id=a.id, status="submitted",
                scores={"c1": 1 + (i + m.number) % 5, "c2": 1 + i % 5}, submitted_at=utcnow(),
            ))
    db.session.flush()
    return rnd


# --- score sheets: autosave against Submit ---------------------------------------------------


@dataclass
class Pair:
    """One raced pair: a member's autosave and their Submit of the same sheet."""

    member: Membership
    application: Application
    index: int

    def submit_answers(self, rnd: Round) -> dict[str, object]:
        return {"c1": 5, "c2": 1 + self.index % 5, "note": f"Submitted note {self.index}",
                "feedback": f"Submitted feedback {self.index}"}

    def form(self, rnd: Round, answers: dict[str, object]) -> dict[str, str]:
        c1, c2 = rnd.criteria
        return {
            f"criterion_{c1.id}": str(answers["c1"]),
            f"criterion_{c2.id}": str(answers["c2"]),
            "panel_note": str(answers["note"]),
            "feedback": str(answers["feedback"]),
        }


def test_an_autosave_racing_submit_never_leaves_a_submitted_sheet_wrong(
    app: Flask, live_server: LiveServer  # noqa: F811
) -> None:
    # PostgreSQL: 10 members x 20 applications = 200 pairs; SQLite: 4 x 5 = 20 pairs.
    members_n, apps_n, wave = (10, 20, 20) if is_postgresql() else (4, 5, 5)
    rnd = make_round(state="open", applications=apps_n)
    members = [
        make_member(rnd, make_user(role="panel", password=PASSWORD), conflicts_checked_at=utcnow())
        for _ in range(members_n)
    ]
    pairs = [Pair(m, a, i) for i, (m, a) in
             enumerate((m, a) for m in members for a in rnd.applications)]
    # Half the sheets already hold an earlier draft (the update path); half are new (insert).
    for p in pairs[::2]:
        db.session.add(ScoreSheet(
            membership_id=p.member.id, application_id=p.application.id, status="draft",
            scores={"c1": 3, "c2": 3}, panel_note="An earlier draft",
        ))
    db.session.commit()
    first_app = f"/panel/rounds/{rnd.id}/applications/{rnd.applications[0].id}"
    browsers = {m.id: sign_in(live_server, m.user, first_app) for m in members}

    def url(p: Pair) -> str:
        return f"{live_server.url}/panel/rounds/{rnd.id}/applications/{p.application.id}"

    def autosave(p: Pair) -> Callable[[], requests.Response]:
        answers = {"c1": 1, "c2": "dont-know", "note": f"Autosaved note {p.index}",
                   "feedback": ""}
        data = {**p.form(rnd, answers), "save_draft": "Save as draft"}
        return poster(browsers[p.member.id], url(p), data, headers=FETCH)

    def submit(p: Pair) -> Callable[[], requests.Response]:
        data = {**p.form(rnd, p.submit_answers(rnd)), "submit_scores": "Submit my scores"}
        return poster(browsers[p.member.id], url(p), data)

    responses: dict[int, tuple[requests.Response, requests.Response]] = {}
    for start in range(0, len(pairs), wave):
        batch = pairs[start:start + wave]
        calls: list[Callable[[], requests.Response]] = []
        for p in batch:
            calls += [autosave(p), submit(p)]
        results = race(calls)
        for n, p in enumerate(batch):
            responses[p.index] = (results[2 * n], results[2 * n + 1])

    server_errors = [(i, r.status_code) for i, pair in responses.items() for r in pair
                     if r.status_code >= 500]
    unexpected: list[tuple[int, object]] = [(i, a.status_code) for i, (a, _) in responses.items()
                  if a.status_code not in (204, 409)]
    stored = {(s.membership_id, s.application_id): s for s in fresh(select(ScoreSheet))}
    wrong = []
    for p in pairs:
        autosave_resp, submit_resp = responses[p.index]
        if not said_submitted(submit_resp):
            wrong.append((p.index, f"submit answered {submit_resp.status_code}"))
            continue
        sheet = stored[(p.member.id, p.application.id)]
        want = p.submit_answers(rnd)
        if sheet.status != "submitted":
            wrong.append((p.index, f"stored as {sheet.status}"))
        elif (sheet.scores != {"c1": want["c1"], "c2": want["c2"]}
              or sheet.panel_note != want["note"] or sheet.feedback != want["feedback"]):
            wrong.append((p.index, f"holds {sheet.scores} {sheet.panel_note!r}"))
        if autosave_resp.status_code == 409 and autosave_resp.json() != {
            "saved": False, "message": scoring.ALREADY_SUBMITTED_MESSAGE
        }:
            unexpected.append((p.index, autosave_resp.text))
    print(f"\nraced autosave/submit pairs: {len(pairs)}, wrong sheets: {len(wrong)}, "
          f"server errors: {len(server_errors)}")
    assert len(pairs) >= (200 if is_postgresql() else 20)
    assert server_errors == []
    assert unexpected == []
    assert wrong == []


def test_a_submit_racing_close_either_counts_before_the_close_or_is_refused(
    app: Flask, live_server: LiveServer  # noqa: F811
) -> None:
    staff = make_user(role="staff", password=PASSWORD)
    rounds_n, members_n = (3, 12) if is_postgresql() else (2, 5)
    people = [make_user(role="panel", password=PASSWORD) for _ in range(members_n)]
    rnds = []
    for r in range(rounds_n):
        rnd = make_round(name=f"Round {r}", state="open", applications=1,
                         seed=SEED, seed_commitment=voting.seed_commitment(SEED))
        for person in people:
            make_member(rnd, person, conflicts_checked_at=utcnow())
        rnds.append(rnd)
    db.session.commit()
    boss = sign_in(live_server, staff, "/staff/")
    browsers = {p.id: sign_in(live_server, p, "/panel/") for p in people}

    outcomes: list[tuple[Round, Membership, requests.Response]] = []
    for rnd in rnds:
        url = f"{live_server.url}/panel/rounds/{rnd.id}/applications/{rnd.applications[0].id}"
        c1, c2 = rnd.criteria
        data = {f"criterion_{c1.id}": "4", f"criterion_{c2.id}": "2", "panel_note": "",
                "feedback": "", "submit_scores": "Submit my scores"}
        members = list(rnd.memberships)
        calls = [poster(browsers[m.user_id], url, data) for m in members]
        calls.append(poster(boss, f"{live_server.url}/staff/rounds/{rnd.id}/steps/close"))
        results = race(calls)
        assert results[-1].status_code in (302, 303), results[-1].status_code
        outcomes += [(rnd, m, r) for m, r in zip(members, results[:-1], strict=True)]

    events = fresh(select(AuditEvent).order_by(AuditEvent.id))
    close_id = {e.round_id: e.id for e in events if e.action == "round.close"}
    submitted_event = {
        e.detail["membership_id"]: e.id for e in events if e.action == "sheet.submitted"
    }
    sheets = {sheet.membership_id: sheet for sheet in fresh(select(ScoreSheet))}
    counted = refused = 0
    for rnd, m, resp in outcomes:
        assert resp.status_code < 500
        sheet = sheets.get(m.id)
        if said_submitted(resp):
            counted += 1
            assert sheet is not None and sheet.status == "submitted"
            assert submitted_event[m.id] < close_id[rnd.id], "a submit was stored after close"
        else:
            refused += 1
            assert resp.status_code == 200
            assert str(scoring.CLOSED_MESSAGE) in resp.text
            assert sheet is None or sheet.status != "submitted"
    print(f"\nsubmits racing close: {counted} counted before the close, {refused} refused")
    assert all(r.state == "closed" for r in fresh(select(Round)))


# --- confirm and publish ---------------------------------------------------------------------


def test_a_double_click_on_confirm_makes_one_decision_and_no_error(
    app: Flask, live_server: LiveServer  # noqa: F811
) -> None:
    staff = make_user(role="staff", password=PASSWORD)
    rnd = scored_round("Confirm twice", state="closed")
    db.session.commit()
    digest = count_runs.run(rnd, staff).inputs_digest
    db.session.commit()
    url = f"/staff/rounds/{rnd.id}/count"
    boss = sign_in(live_server, staff, url)
    tabs = [boss.tab(), boss.tab()]

    results = race([poster(boss, live_server.url + url, {"count_digest": digest}, tab=t)
                    for t in tabs])

    assert [r.status_code for r in results] == [302, 302]
    assert len(fresh(select(Decision))) == 1
    decides = [e for e in fresh(select(AuditEvent)) if e.action == "round.decide"]
    assert len(decides) == 1
    pages = [tabs[i].get(live_server.url + url, timeout=60).text for i in range(2)]
    assert any("already confirmed" in p for p in pages)


def test_two_staff_running_the_count_and_changing_one_application_at_once_store_one_of_each(
    app: Flask, live_server: LiveServer  # noqa: F811
) -> None:
    staff = make_user(role="staff", password=PASSWORD)
    rnd = scored_round("Run twice", state="closed")
    db.session.commit()
    url = f"/staff/rounds/{rnd.id}/count"
    boss = sign_in(live_server, staff, url)
    tabs = [boss.tab(), boss.tab()]

    results = race([poster(boss, live_server.url + url + "/run", tab=t) for t in tabs])

    assert [r.status_code for r in results] == [302, 302]
    (stored,) = fresh(select(CountRun))
    reference = next(r["id"] for r in stored.outputs["applications"] if r["status"] != "funded")
    change = f"{live_server.url}{url}/applications/{reference}"
    results = race([poster(boss, change, {"action": action, "reason": f"Reason {i}"}, tab=t)
                    for i, (t, action) in enumerate(zip(tabs, ("fund", "fund"), strict=True))])
    assert [r.status_code for r in results] == [302, 302]
    pending = fresh(select(PendingOverride))
    assert len(pending) == 1 and pending[0].reason in ("Reason 0", "Reason 1")


def test_a_double_click_on_publish_makes_one_record_and_no_error(
    app: Flask, live_server: LiveServer  # noqa: F811
) -> None:
    staff = make_user(role="staff", password=PASSWORD)
    rnd = scored_round("Publish twice", state="closed")
    counting.decide(rnd, staff, [])
    db.session.commit()
    page = f"/staff/rounds/{rnd.id}"
    boss = sign_in(live_server, staff, page)
    tabs = [boss.tab(), boss.tab()]

    results = race([poster(boss, f"{live_server.url}{page}/steps/publish", tab=t) for t in tabs])

    assert [r.status_code for r in results] == [302, 302]
    assert len(fresh(select(PublishedRecord))) == 1
    publishes = [e for e in fresh(select(AuditEvent)) if e.action == "round.publish"]
    assert len(publishes) == 1
    pages = [tabs[i].get(live_server.url + page, timeout=60).text for i in range(2)]
    assert any("already published" in p for p in pages)


def test_rounds_published_at_the_same_moment_make_one_chain_without_a_fork(
    app: Flask, live_server: LiveServer  # noqa: F811
) -> None:
    staff = make_user(role="staff", password=PASSWORD)
    # The first wave starts the chain (nobody has published before); the second extends it.
    waves = [[scored_round(f"Round {w}.{i}", state="closed") for i in range(n)]
             for w, n in enumerate((2, 3))]
    for rnd in waves[0] + waves[1]:
        counting.decide(rnd, staff, [])
    db.session.commit()
    boss = sign_in(live_server, staff, "/staff/")

    for rnds in waves:
        urls = [f"{live_server.url}/staff/rounds/{rnd.id}/steps/publish" for rnd in rnds]
        results = race([poster(boss, u) for u in urls])
        assert [r.status_code for r in results] == [302] * len(rnds)

    records = fresh(select(PublishedRecord).order_by(PublishedRecord.published_at))
    assert len(records) == 5
    previous = [r.previous_digest for r in records]
    assert len(set(previous)) == len(previous), "two records chain to the same record"
    assert previous[0] is None
    for earlier, later in zip(records, records[1:], strict=False):
        assert later.previous_digest == earlier.digest
    assert fresh(select(RecordChainHead))[0].digest == records[-1].digest


# --- adding panel members ----------------------------------------------------------------------


def _member_form(i: int, email: str) -> dict[str, str]:
    return {"name": f"Member {i}", "email": email, "phone": "", "access_needs": ""}


def test_staff_adding_members_at_the_same_moment_all_get_distinct_numbers(
    app: Flask, live_server: LiveServer  # noqa: F811
) -> None:
    staff = make_user(role="staff", password=PASSWORD)
    rnd = make_round(state="open")
    other = make_round(name="Another round", state="open")
    db.session.commit()
    url = f"/staff/rounds/{rnd.id}/panel/new"
    boss = sign_in(live_server, staff, url)

    new = [(url, _member_form(i, f"new-{i}@example.org")) for i in range(6)]
    # The same new person, added to this round twice and to another round, at once.
    same = [(url, _member_form(9, "twice@example.org"))] * 2
    same.append((f"/staff/rounds/{other.id}/panel/new", _member_form(9, "twice@example.org")))
    results = race([poster(boss, live_server.url + u, d) for u, d in new + same])

    assert all(r.status_code < 500 for r in results), [r.status_code for r in results]
    assert [r.status_code for r in results[:6]] == [302] * 6
    twice_here = results[6:8]
    assert sorted(r.status_code for r in twice_here) == [200, 302]
    refusal = next(r for r in twice_here if r.status_code == 200)
    assert "already on this round" in refusal.text
    assert results[8].status_code == 302
    memberships = fresh(select(Membership).where(Membership.round_id == rnd.id))
    assert sorted(m.number for m in memberships) == list(range(1, 8))
    users = fresh(select(User).where(User.email == "twice@example.org"))
    assert len(users) == 1
    assert len(fresh(select(Membership).where(Membership.user_id == users[0].id))) == 2


def test_a_double_click_on_close_closes_once(
    app: Flask, live_server: LiveServer  # noqa: F811
) -> None:
    clicks = 2
    staff = make_user(role="staff", password=PASSWORD)
    rnd = make_round(state="open", seed=SEED, seed_commitment=voting.seed_commitment(SEED))
    db.session.commit()
    page = f"/staff/rounds/{rnd.id}"
    boss = sign_in(live_server, staff, page)
    results = race([poster(boss, f"{live_server.url}{page}/steps/close") for _ in range(clicks)])
    assert [r.status_code for r in results] == [302] * clicks
    closes = [e for e in fresh(select(AuditEvent)) if e.action == "round.close"]
    assert len(closes) == 1
