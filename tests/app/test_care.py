"""Panel care: members log time and claim costs, staff set pay and decide, finance exports.

Members see only their own time and costs; staff approve, or say why not (the member sees the
reason); a second decision on the same item changes nothing; the payments export holds
approved items only; access needs stay on staff pages and never reach the record, the public
pages, the exports or the audit log.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from werkzeug.test import TestResponse

from grantpanel.extensions import db
from grantpanel.models import AuditEvent, ExpenseClaim, Membership, Round, TimeEntry, User
from grantpanel.services import care_pay
from grantpanel.vocabulary import CareStatus, ExpenseCategory, PayBasis
from tests.app.record_builders import make_published_round
from tests.builders import make_member, make_round, make_user
from tests.helpers import submit, text

Login = Callable[[User], FlaskClient]
YESTERDAY = (dt.date.today() - dt.timedelta(days=1)).isoformat()


@pytest.fixture()
def staff(app: Flask) -> User:
    user = make_user(role="staff", name="Grace Grants")
    db.session.commit()
    return user


def _member(rnd: Round, name: str = "Amira Hassan", **fields: object) -> Membership:
    user = make_user(name=name)
    for key, value in fields.items():
        setattr(user, key, value)
    m = make_member(rnd, user)
    db.session.commit()
    return m


def _log_time(client: FlaskClient, rnd: Round, **data: str) -> TestResponse:
    form = {"worked_on": YESTERDAY, "hours": "1", "minutes": "30",
            "what_for": "Reading applications", **data}
    return submit(client, f"/panel/rounds/{rnd.id}/pay/time", form,
                  form_url=f"/panel/rounds/{rnd.id}/pay")


def _claim(client: FlaskClient, rnd: Round, **data: str) -> TestResponse:
    form = {"category": "travel", "amount": "4.50", "spent_on": YESTERDAY,
            "description": "Bus to the meeting", **data}
    return submit(client, f"/panel/rounds/{rnd.id}/pay/expense", form,
                  form_url=f"/panel/rounds/{rnd.id}/pay")


def _get(client: FlaskClient, url: str) -> TestResponse:
    """GET ``url``, read the whole body and close the response (as a server would)."""
    resp = client.get(url)
    resp.get_data()
    resp.close()
    return resp


def _set_pay(client: FlaskClient, rnd: Round, **data: str) -> TestResponse:
    form = {"basis": "hourly", "rate": "12.50", "fee": "", "note": "", **data}
    return submit(client, f"/staff/rounds/{rnd.id}/pay", form)


def _decide(client: FlaskClient, m: Membership, kind: str, item_id: int, *,
            approve: bool, reason: str = "") -> TestResponse:
    url = f"/staff/rounds/{m.round_id}/pay/members/{m.id}"
    data = {"kind": kind, "item_id": str(item_id), "reason": reason,
            ("approve" if approve else "reject"): "1"}
    return submit(client, f"{url}/decide", data, form_url=url)


def test_member_logs_time_and_claims_a_cost_and_sees_them_waiting(
    app: Flask, login_as: Login
) -> None:
    rnd = make_round(state="open")
    m = _member(rnd)
    client = login_as(m.user)
    assert "Your time and costs" in text(client.get("/panel/"))
    assert _log_time(client, rnd).status_code == 302
    assert _claim(client, rnd).status_code == 302
    page = text(client.get(f"/panel/rounds/{rnd.id}/pay"))
    assert "Reading applications" in page and "1 hour 30 minutes" in page
    assert "Bus to the meeting" in page and "£4.50" in page
    assert "Waiting for the grants team" in page
    assert "This round does not pay for time" in page
    entry = db.session.scalar(select(TimeEntry))
    assert entry is not None and entry.minutes == 90 and entry.status == CareStatus.SUBMITTED
    claim = db.session.scalar(select(ExpenseClaim))
    assert claim is not None and claim.amount == 450 and claim.category == ExpenseCategory.TRAVEL


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"worked_on": ""}, "Enter the date."),
        ({"worked_on": "31/02/2026"}, "Enter a real date, like 2026-03-31"),
        ({"worked_on": "2999-01-01"}, "The date is in the future"),
        ({"hours": "two"}, "Hours: enter a whole number from 0 to 24."),
        ({"hours": "0", "minutes": "0"}, "Enter how long you spent"),
        ({"hours": "24", "minutes": "30"}, "That is more than one day"),
        ({"what_for": ""}, "Say what the time was for."),
        ({"what_for": "x" * 201}, "Keep what it was for to 200 characters or fewer."),
    ],
)
def test_time_with_a_mistake_is_refused_plainly_and_the_typing_kept(
    app: Flask, login_as: Login, data: dict[str, str], message: str
) -> None:
    rnd = make_round(state="open")
    m = _member(rnd)
    resp = _log_time(login_as(m.user), rnd, **{"what_for": "My careful words", **data})
    assert resp.status_code == 400
    page = text(resp)
    assert message in page and "There is a problem" in page
    if "what_for" not in data:
        assert 'value="My careful words"' in page
    assert db.session.scalar(select(TimeEntry)) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"category": ""}, "Choose what you spent money on."),
        ({"category": "holiday"}, "Not a valid choice"),
        ({"amount": "lots"}, "The amount &#39;lots&#39; is not a number of pounds"),
        ({"amount": ""}, "The amount is empty"),
        ({"amount": "20000"}, "One claim can be up to £10,000"),
        ({"spent_on": ""}, "Enter the date."),
    ],
)
def test_a_cost_with_a_mistake_is_refused_plainly_and_the_typing_kept(
    app: Flask, login_as: Login, data: dict[str, str], message: str
) -> None:
    rnd = make_round(state="open")
    m = _member(rnd)
    resp = _claim(login_as(m.user), rnd, **{"description": "Two buses there and back", **data})
    assert resp.status_code == 400
    page = text(resp)
    assert message in page
    assert "Two buses there and back" in page
    assert db.session.scalar(select(ExpenseClaim)) is None


@pytest.mark.parametrize("bad", ["\x00", "=HYPERLINK(\"x\")", "9" * 40 + "\u0663",
                                 "<script>alert(1)</script>"])
def test_hostile_input_never_causes_a_server_error(
    app: Flask, login_as: Login, staff: User, bad: str
) -> None:
    rnd = make_round(state="open")
    m = _member(rnd)
    client = login_as(m.user)
    for field in ("worked_on", "hours", "minutes", "what_for"):
        assert _log_time(client, rnd, **{field: bad}).status_code in (302, 400)
    for field in ("category", "amount", "spent_on", "description"):
        assert _claim(client, rnd, **{field: bad}).status_code in (302, 400)
    client = login_as(staff)
    for field in ("basis", "rate", "fee", "note"):
        assert _set_pay(client, rnd, **{field: bad}).status_code in (302, 400)
    url = f"/staff/rounds/{rnd.id}/pay/members/{m.id}"
    for data in ({"kind": bad, "item_id": "1"}, {"kind": "time", "item_id": bad},
                 {"kind": "time", "item_id": "1", "reason": bad}):
        resp = submit(client, f"{url}/decide", {**data, "reject": "1"}, form_url=url)
        assert resp.status_code in (302, 400, 409)
    assert "<script>alert" not in text(client.get(url))


def test_staff_set_an_hourly_rate_approve_time_and_costs_and_totals_add_up(
    app: Flask, login_as: Login, staff: User
) -> None:
    rnd = make_round(state="open")
    m = _member(rnd)
    member = login_as(m.user)
    _log_time(member, rnd)  # 90 minutes
    _log_time(member, rnd, hours="0", minutes="20", what_for="Phone call")
    _claim(member, rnd)  # £4.50 travel
    _claim(member, rnd, category="childcare", amount="30")
    client = login_as(staff)
    assert _set_pay(client, rnd, note="We can pay in vouchers if you prefer.").status_code == 302
    first, second = db.session.scalars(select(TimeEntry).order_by(TimeEntry.id)).all()
    bus, childcare = db.session.scalars(select(ExpenseClaim).order_by(ExpenseClaim.id)).all()
    assert _decide(client, m, "time", first.id, approve=True).status_code == 302
    refused = _decide(client, m, "time", second.id, approve=False)
    assert refused.status_code == 400 and "Say why you are not approving it" in text(refused)
    assert _decide(client, m, "time", second.id, approve=False,
                   reason="That call was about another round").status_code == 302
    assert _decide(client, m, "expense", bus.id, approve=True).status_code == 302
    assert _decide(client, m, "expense", childcare.id, approve=True).status_code == 302
    totals = care_pay.member_totals(db.session.get(Membership, m.id))
    assert totals.minutes_approved == 90 and totals.minutes_submitted == 0
    assert totals.pay == 1875  # 1.5 hours at £12.50
    assert totals.expenses_approved == 3450 and totals.total == 5325
    listing = text(client.get(f"/staff/rounds/{rnd.id}/pay"))
    assert "£53.25" in listing and "Amira Hassan" in listing
    page = text(login_as(m.user).get(f"/panel/rounds/{rnd.id}/pay"))
    assert "£12.50 for each hour" in page and "We can pay in vouchers" in page
    assert "£53.25" in page and "Why: That call was about another round" in page
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"care.pay_set", "care.time_logged", "care.expense_claimed", "care.time_decided",
            "care.expense_decided"} <= actions


def test_a_fixed_fee_is_paid_to_every_member_and_a_rate_or_fee_must_be_given(
    app: Flask, login_as: Login, staff: User
) -> None:
    rnd = make_round(state="open")
    m = _member(rnd)
    client = login_as(staff)
    resp = _set_pay(client, rnd, basis="fee", fee="")
    assert resp.status_code == 400 and "Enter the fee for each member" in text(resp)
    resp = _set_pay(client, rnd, basis="hourly", rate="")
    assert resp.status_code == 400 and "Enter the rate for each hour" in text(resp)
    assert _set_pay(client, rnd, basis="fee", fee="150").status_code == 302
    assert care_pay.member_totals(db.session.get(Membership, m.id)).total == 15000
    page = text(client.get(f"/staff/rounds/{rnd.id}/pay"))
    assert 'value="150"' in page


def test_staff_can_log_time_for_a_member_and_it_is_approved_at_once(
    app: Flask, login_as: Login, staff: User
) -> None:
    rnd = make_round(state="open")
    m = _member(rnd)
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/pay/members/{m.id}"
    resp = submit(client, f"{url}/time", {"worked_on": YESTERDAY, "hours": "2", "minutes": "",
                                          "what_for": "Panel meeting"}, form_url=url)
    assert resp.status_code == 302
    entry = db.session.scalar(select(TimeEntry))
    assert entry is not None and entry.status == CareStatus.APPROVED and entry.minutes == 120
    assert entry.entered_by == "staff"
    bad = submit(client, f"{url}/time", {"worked_on": "", "hours": "x", "what_for": "Kept"},
                 form_url=url)
    assert bad.status_code == 400 and 'value="Kept"' in text(bad)


def test_a_second_decision_on_the_same_item_changes_nothing(
    app: Flask, login_as: Login, staff: User
) -> None:
    rnd = make_round(state="open")
    m = _member(rnd)
    _claim(login_as(m.user), rnd)
    claim = db.session.scalar(select(ExpenseClaim))
    assert claim is not None
    other = make_user(role="staff", name="Omar Other")
    db.session.commit()
    url = f"/staff/rounds/{rnd.id}/pay/members/{m.id}"
    client = login_as(staff)
    page_token = text(client.get(url))  # staff A has the page open ...
    assert "Approve" in page_token
    assert _decide(login_as(other), m, "expense", claim.id, approve=True).status_code == 302
    client = login_as(staff)  # ... and presses "Do not approve" after staff B approved
    late = _decide(client, m, "expense", claim.id, approve=False, reason="Too late")
    assert late.status_code == 409 and "already decided" in text(late)
    db.session.expire_all()
    claim = db.session.get(ExpenseClaim, claim.id)
    assert claim is not None and claim.status == CareStatus.APPROVED and claim.reason == ""
    decided = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "care.expense_decided")).all()
    assert len(decided) == 1


def test_the_service_refuses_a_stale_decision_by_compare_and_set(app: Flask) -> None:
    rnd = make_round(state="open")
    m = _member(rnd)
    staff_a, staff_b = make_user(role="staff"), make_user(role="staff")
    entry = care_pay.log_time(m, m.user, worked_on=dt.date.today(), minutes=60,
                              what_for="Reading")
    db.session.commit()
    care_pay.decide(m, staff_a, kind="time", item_id=entry.id, approve=True)
    with pytest.raises(care_pay.AlreadyDecided):
        care_pay.decide(m, staff_b, kind="time", item_id=entry.id, approve=False, reason="No")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(TimeEntry, entry.id).status == CareStatus.APPROVED  # type: ignore[union-attr]


def test_the_payment_export_holds_approved_items_only_and_opens_in_a_spreadsheet(
    app: Flask, login_as: Login, staff: User
) -> None:
    rnd = make_round(state="open")
    m = _member(rnd, name="=SUM(A1:A9)", access_needs="Wheelchair user, needs step-free")
    waiting = _member(rnd, name="Ben Waiting")
    _log_time(login_as(m.user), rnd)
    _claim(login_as(m.user), rnd)
    _claim(login_as(m.user), rnd, category="data", amount="10")
    _claim(login_as(waiting.user), rnd, amount="99")
    client = login_as(staff)
    exports_page = text(client.get(f"/staff/rounds/{rnd.id}/exports"))
    assert "Payments to panel members" in exports_page and "Nothing to pay yet" in exports_page
    _set_pay(client, rnd)
    entry = db.session.scalar(select(TimeEntry))
    bus, data = db.session.scalars(select(ExpenseClaim).order_by(ExpenseClaim.id)).all()[:2]
    assert entry is not None
    _decide(client, m, "time", entry.id, approve=True)
    _decide(client, m, "expense", bus.id, approve=True)
    _decide(client, m, "expense", data.id, approve=False, reason="No receipt")
    resp = _get(client, f"/staff/rounds/{rnd.id}/exports/payments.csv")
    assert resp.status_code == 200
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["Panel member number", "Name", "Email", "Hours approved",
                          "Pay for time (GBP)"]
    assert "Travel (GBP)" in header and header[-1] == "Total to pay (GBP)"
    assert len(body) == 1  # Ben's claim is waiting: nothing to pay him yet
    row = dict(zip(header, body[0], strict=True))
    assert row["Name"] == "'=SUM(A1:A9)"  # a formula is shown as text
    assert row["Hours approved"] == "1.50" and row["Pay for time (GBP)"] == "18.75"
    assert row["Travel (GBP)"] == "4.50" and row["Phone or internet data (GBP)"] == "0.00"
    assert row["Total to pay (GBP)"] == "23.25"
    assert "Wheelchair" not in resp.get_data(as_text=True)
    xlsx = _get(client, f"/staff/rounds/{rnd.id}/exports/payments.xlsx")
    wb = load_workbook(io.BytesIO(xlsx.get_data()))
    ws = wb["Payments to panel members"]
    values = [c.value for c in ws[2]]
    assert values[1] == "'=SUM(A1:A9)" and float(values[-1]) == 23.25
    assert all(c.data_type != "f" for r in ws.iter_rows() for c in r)
    downloads = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "export.downloaded")).all()
    assert [e.detail["export"] for e in downloads] == ["payments", "payments"]


def test_access_needs_stay_on_staff_pages_and_never_reach_record_public_pages_or_logs(
    app: Flask, client: FlaskClient, login_as: Login, staff: User
) -> None:
    rnd, record = make_published_round()
    needs = "Needs large print and a BSL interpreter"
    member = rnd.memberships[0]
    member.user.access_needs = needs
    db.session.commit()
    assert needs not in record.body
    for url in ("/", f"/rounds/{rnd.id}", f"/rounds/{rnd.id}/record.json"):
        assert needs not in text(client.get(url))
    staff_client = login_as(staff)
    assert needs in text(staff_client.get(f"/staff/rounds/{rnd.id}/pay/members/{member.id}"))
    for table in ("applications", "scores", "notes", "feedback", "ranking"):
        assert needs not in text(_get(staff_client, f"/staff/rounds/{rnd.id}/exports/{table}.csv"))
    _set_pay(staff_client, rnd, basis="fee", fee="100")
    assert needs not in text(_get(staff_client, f"/staff/rounds/{rnd.id}/exports/payments.csv"))
    member_page = text(login_as(member.user).get(f"/panel/rounds/{rnd.id}/pay"))
    assert needs not in member_page
    for ev in db.session.scalars(select(AuditEvent)):
        assert needs not in str(ev.detail)


def test_members_see_only_their_own_and_only_staff_reach_staff_pages(
    app: Flask, client: FlaskClient, login_as: Login, staff: User
) -> None:
    rnd = make_round(state="open")
    amira = _member(rnd)
    ben = _member(rnd, name="Ben Other")
    outsider = make_user(name="Not On Panel")
    db.session.commit()
    _log_time(login_as(amira.user), rnd, what_for="Amira's secret reading")
    page = text(login_as(ben.user).get(f"/panel/rounds/{rnd.id}/pay"))
    assert "Amira's secret reading" not in page and "Amira&#39;s secret reading" not in page
    assert login_as(outsider).get(f"/panel/rounds/{rnd.id}/pay").status_code == 404
    for url in (f"/staff/rounds/{rnd.id}/pay",
                f"/staff/rounds/{rnd.id}/pay/members/{amira.id}"):
        assert login_as(ben.user).get(url).status_code in (302, 403)
    other_round = make_round(state="open", name="Other fund")
    db.session.commit()
    assert login_as(staff).get(
        f"/staff/rounds/{other_round.id}/pay/members/{amira.id}").status_code == 404
    entry = db.session.scalar(select(TimeEntry))
    assert entry is not None
    carl = _member(other_round, name="Carl")
    resp = _decide(login_as(staff), carl, "time", entry.id, approve=True)
    assert resp.status_code == 400  # not Carl's entry: nothing changes
    assert db.session.get(TimeEntry, entry.id).status == CareStatus.SUBMITTED  # type: ignore[union-attr]
    assert PayBasis.NONE == "none"


def test_erasing_a_member_blanks_what_they_wrote_about_time_and_costs(
    app: Flask, staff: User, login_as: Login
) -> None:
    from grantpanel.services import privacy

    rnd = make_round(state="open")
    m = _member(rnd)
    db.session.commit()
    client = login_as(m.user)
    _log_time(client, rnd, what_for="Reading at my sister's flat")
    _claim(client, rnd, description="Taxi from my home on Elm Street")
    privacy.erase_member(m.user, staff, reason="Asked to be forgotten")
    db.session.commit()
    entry = db.session.scalars(select(TimeEntry)).one()
    claim = db.session.scalars(select(ExpenseClaim)).one()
    assert entry.what_for == "" and claim.description == ""
    assert entry.minutes > 0 and claim.amount > 0  # the payment facts stay
