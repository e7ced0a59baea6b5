"""Applications: adding, editing, eligibility, and the all-or-nothing CSV import."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from grantpanel.extensions import db
from grantpanel.models import Application, AuditEvent
from grantpanel.services import applications as svc
from tests.builders import make_application, make_round, make_user

HEADER = "reference,applicant_name,contact_email,title,summary,amount,answers\n"


def _count(rnd_id: int) -> int:
    return db.session.scalar(
        select(func.count(Application.id)).where(Application.round_id == rnd_id)
    ) or 0


def _add(rnd, staff, **over):  # type: ignore[no-untyped-def]
    values = {
        "reference": None,
        "applicant_name": "Hillside Tenants",
        "contact_email": None,
        "title": "Warm room",
        "summary": "A warm room on weekday mornings.",
        "answers": "",
        "amount": 150_000,
    }
    values.update(over)
    return svc.add_application(rnd, staff, **values)


def test_an_application_without_a_reference_gets_the_next_free_one(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round(applications=2)
    added = _add(rnd, staff)
    assert added.reference == "A-003"


def test_a_reference_already_used_in_the_round_is_refused(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round(applications=1)
    with pytest.raises(svc.ApplicationError, match="already used in this round"):
        _add(rnd, staff, reference="a-001")


def test_applications_cannot_change_after_scoring_closes(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round(state="closed", applications=1)
    with pytest.raises(svc.ApplicationError, match="scoring has closed"):
        _add(rnd, staff)
    with pytest.raises(svc.ApplicationError, match="scoring has closed"):
        svc.set_eligibility(rnd.applications[0], staff, eligible=True, reason="")


def test_editing_an_application_records_what_changed(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round()
    a = make_application(rnd, amount=100_000)
    changed = svc.update_application(
        a, staff, reference="", applicant_name=a.applicant_name, contact_email=None,
        title="New title", summary=a.summary, answers="", amount=120_000,
    )
    assert sorted(changed) == ["amount", "title"]
    assert a.reference == "A-001"


def test_marking_an_application_ineligible_needs_a_reason(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round(applications=1)
    a = rnd.applications[0]
    with pytest.raises(svc.ApplicationError, match="Give the reason"):
        svc.set_eligibility(a, staff, eligible=False, reason="  ")
    svc.set_eligibility(a, staff, eligible=False, reason="Outside our area")
    assert a.eligible is False and a.eligibility_reason == "Outside our area"


def test_a_good_csv_file_imports_every_row(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round(applications=1)
    data = (
        "\ufeff" + HEADER
        + ",Oak Street Club,club@example.org,Lunch club,Hot lunches.,\"1,500.00\",\n"
        + "B-7,Riverside Group,,Warm bus,A bus to the warm hub.,750,\"Q1: yes\nQ2: no\"\n"
        + ",,,,,,\n"
        + ",Third Group,,Mending café,Repairs.,£99.5,\n"
    ).encode()
    summary = svc.import_csv(rnd, staff, data)
    assert summary == svc.ImportSummary(3, 2, "A-002", "A-003")
    added = db.session.scalars(
        select(Application).where(Application.round_id == rnd.id).order_by(Application.id)
    ).all()[1:]
    assert [(a.reference, a.amount) for a in added] == [
        ("A-002", 150_000), ("B-7", 75_000), ("A-003", 9_950)
    ]
    assert added[1].answers == "Q1: yes\nQ2: no"
    assert added[0].contact_email == "club@example.org"
    assert _count(rnd.id) == 4
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "application.imported")
    ).one()
    assert event.detail["count"] == 3


def test_column_names_may_differ_in_case_spacing_and_order(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round()
    data = b"Title, Applicant Name ,Amount,Summary\nLunch club,Oak Street,1500,Hot food.\n"
    svc.import_csv(rnd, staff, data)
    added = db.session.scalars(select(Application).where(Application.round_id == rnd.id)).one()
    assert added.title == "Lunch club" and added.amount == 150_000


def test_a_file_with_bad_rows_imports_nothing_and_reports_every_problem(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round(applications=1)  # A-001 exists
    data = (
        HEADER
        + "X-1,Good Group,,Fine,Fine.,100,\n"            # line 2: fine
        + "A-001,Clash,,Clash,Clash.,100,\n"             # line 3: reference in the round
        + "X-1,Twin,,Twin,Twin.,100,\n"                  # line 4: duplicate in the file
        + ",Lots Group,not-an-email,Lots,Lots.,lots,\n"  # line 5: email and amount
        + ",,,No name,Summary.,100,\n"                   # line 6: applicant missing
        + "\"Q,1\",Quoted,,Quoted,\"Multi\nline\",100,\n"  # line 7-8: bad reference
        + ",Late,,Late,Late.,5.123,\n"                   # line 9: pence
    ).encode()
    with pytest.raises(svc.ImportRejected) as info:
        svc.import_csv(rnd, staff, data)
    messages = [p.message for p in info.value.problems]
    assert messages == [
        "Line 3: reference 'A-001' is already used by an application in this round: change "
        "it, or leave it empty to get one made for you.",
        "Line 4: reference 'X-1' is also used on line 2: each application needs its own "
        "reference.",
        "Line 5: amount 'lots' is not a number of pounds, like 1500 or 1500.00.",
        "Line 5: contact email 'not-an-email' is not an email address in the right form, "
        "like name@example.org.",
        "Line 6: applicant_name is empty: every application needs one.",
        "Line 7: reference 'Q,1' should use only letters, numbers, spaces, dots, dashes and "
        "slashes, like A-001.",
        "Line 9: amount '5.123' has more than two figures after the decimal point: give "
        "pence (or cents) as two figures, like 1500.50.",
    ]
    assert [p.line for p in info.value.problems] == [3, 4, 5, 5, 6, 7, 9]
    assert _count(rnd.id) == 1


def test_missing_required_columns_are_named(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round()
    with pytest.raises(svc.ImportRejected) as info:
        svc.import_csv(rnd, staff, b"reference,title\nA-1,Hello\n")
    (problem,) = info.value.problems
    assert "'applicant_name', 'summary', 'amount'" in problem.message
    assert problem.line == 1


def test_unknown_and_repeated_columns_are_reported(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round()
    with pytest.raises(svc.ImportRejected) as info:
        svc.import_csv(
            rnd, staff, b"applicant_name,title,titel,summary,amount,amount\nA,B,C,D,1,2\n"
        )
    messages = " ".join(p.message for p in info.value.problems)
    assert "'titel' is not one we use" in messages
    assert "'amount' appears twice" in messages


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "The file is empty"),
        (b"\xef\xbb\xbf  \n", "The file is empty"),
        (HEADER.encode(), "no applications"),
        ("applicant_name,title,summary,amount\nCaf\u00e9,T,S,1\n".encode("cp1252"), "UTF-8"),
    ],
)
def test_empty_or_unreadable_files_get_a_plain_reason(app: Flask, data: bytes, says: str) -> None:
    staff = make_user(role="staff")
    rnd = make_round()
    with pytest.raises(svc.ImportRejected) as info:
        svc.import_csv(rnd, staff, data)
    assert says in info.value.problems[0].message
    assert info.value.problems[0].line is None


def test_a_row_with_too_many_cells_is_reported(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round()
    with pytest.raises(svc.ImportRejected) as info:
        svc.import_csv(rnd, staff, b"applicant_name,title,summary,amount\nA,B,C,1,500\n")
    assert info.value.problems[0].message.startswith("Line 2: there are 5 cells but only 4")


def test_an_amount_of_nothing_is_refused_the_same_way_by_form_and_by_csv(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round()
    with pytest.raises(svc.ApplicationError, match="Enter an amount more than 0"):
        _add(rnd, staff, amount=0)
    data = (HEADER + ",Hillside Tenants,,Warm room,A warm room.,0,\n").encode()
    with pytest.raises(svc.ImportRejected) as info:
        svc.import_csv(rnd, staff, data)
    (problem,) = info.value.problems
    assert problem.message == "Line 2: amount '0' is zero: enter an amount more than 0."
    assert _count(rnd.id) == 0


def test_a_control_character_is_refused_the_same_way_by_form_and_by_csv(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round()
    with pytest.raises(svc.ApplicationError) as info:
        _add(rnd, staff, title="Warm\x00room")
    assert str(info.value) == (
        "The title contains a hidden control character that cannot be saved. Retype it, or "
        "paste it as plain text."
    )
    data = (HEADER + ",Hillside Tenants,,Warm\x00room,A warm room.,100,\n").encode()
    with pytest.raises(svc.ImportRejected) as rejected:
        svc.import_csv(rnd, staff, data)
    (problem,) = rejected.value.problems
    assert problem.message == (
        "Line 2: title contains a hidden control character that cannot be saved. Retype it, "
        "or paste it as plain text."
    )
    assert _count(rnd.id) == 0


def test_summary_and_answers_have_length_limits(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round()
    with pytest.raises(svc.ApplicationError, match=r"The summary must be 2,000 characters"):
        _add(rnd, staff, summary="s" * 2_001)
    with pytest.raises(svc.ApplicationError, match=r"The answers must be 20,000 characters"):
        _add(rnd, staff, answers="a" * 20_001)
    assert _add(rnd, staff, summary="s" * 2_000, answers="a" * 20_000).reference == "A-001"


def test_automatic_references_fill_the_first_gap_and_ignore_case(app: Flask) -> None:
    staff = make_user(role="staff")
    rnd = make_round()
    make_application(rnd, reference="A-001")
    make_application(rnd, reference="a-002")
    make_application(rnd, reference="A-004")
    assert _add(rnd, staff).reference == "A-003"
    assert _add(rnd, staff).reference == "A-005"
    allocator = svc.ReferenceAllocator(["A-001", "a-003"])
    assert [allocator.next() for _ in range(3)] == ["A-002", "A-004", "A-005"]
