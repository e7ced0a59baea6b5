"""Exports for staff: each table's content, CSV and XLSX files, 360Giving data, who may download.

The tables are built by ``grantpanel.services.exports``; the page and downloads live at
``/staff/rounds/<id>/exports``. Files are read back the way a person's software would: CSV with
the ``csv`` module, XLSX with openpyxl, 360Giving JSON against the standard's own JSON Schema
(``tests/data/360giving/``, CC BY 4.0, ThreeSixtyGiving/standard 1.4.3).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker
from openpyxl import load_workbook
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select

import voting
from grantpanel.extensions import db
from grantpanel.models import AuditEvent, Round, ScoreSheet, User
from grantpanel.services import exports, rounds
from tests.app.record_builders import make_published_round
from tests.builders import make_application, make_member, make_round, make_user
from tests.helpers import text

Login = Callable[[User], FlaskClient]
SEED = "cd" * 32
HOSTILE = '=HYPERLINK("http://x")'
DATA = Path(__file__).resolve().parents[1] / "data" / "360giving"
WHEN = dt.datetime(2026, 11, 20, 14, 30, 5, tzinfo=dt.UTC)


@pytest.fixture()
def staff(app: Flask) -> User:
    user = make_user(role="staff", name="Grace Grants")
    db.session.commit()
    return user


def _closed_round(state: str = "closed") -> Round:
    """Three applications, two members. Criterion "Fit" is scored from -2 to 2.

    - A-001 (hostile title): member 1 submitted (4, -2) with a note, feedback and an
      objection; member 2 submitted (3, "don't know") with feedback.
    - A-002: member 1 saved a draft (c1 = 2, c2 not answered) with feedback (not sent);
      member 2 submitted (5, 1).
    - A-003: nobody.
    """
    rnd = make_round(
        name="Warm Homes Fund 2026", state=state, budget=300_000, quorum=1,
        seed=SEED, seed_commitment=voting.seed_commitment(SEED),
        criteria=[
            {"name": "Who benefits", "weight": 2},
            {"name": "Fit", "weight": 1, "scale_min": -2, "scale_max": 2},
        ],
    )
    a1 = make_application(rnd, reference="A-001", amount=100_000, title=HOSTILE,
                          applicant_name="Riverside Trust",
                          contact_email="treasurer@riverside.example",
                          answers="We run a warm space.")
    a2 = make_application(rnd, reference="A-002", amount=150_050, title="Friday food club",
                          applicant_name="+Food Club", eligibility_reason="")
    make_application(rnd, reference="A-003", amount=50_000, title="Debt advice",
                     eligible=False, eligibility_reason="Outside our area")
    m1 = make_member(rnd, make_user(name="Priya Member"))
    m2 = make_member(rnd, make_user(name="Tomasz Member"))
    db.session.add_all([
        ScoreSheet(membership_id=m1.id, application_id=a1.id, status="submitted",
                   scores={"c1": 4, "c2": -2}, panel_note="-Shaky budget",
                   feedback="@Tell us more about costs", objection=True,
                   objection_reason="Double funding", submitted_at=WHEN),
        ScoreSheet(membership_id=m2.id, application_id=a1.id, status="submitted",
                   scores={"c1": 3, "c2": None}, feedback="A clear plan.", submitted_at=WHEN),
        ScoreSheet(membership_id=m1.id, application_id=a2.id, status="draft",
                   scores={"c1": 2}, feedback="Draft words, never sent"),
        ScoreSheet(membership_id=m2.id, application_id=a2.id, status="submitted",
                   scores={"c1": 5, "c2": 1}, submitted_at=WHEN),
    ])
    db.session.commit()
    return rnd


def _get(client: FlaskClient, url: str, **kwargs: Any) -> Any:
    """GET ``url``, read the whole body and close the response (as a server would)."""
    resp = client.get(url, **kwargs)
    resp.get_data()
    resp.close()
    return resp


def _rows(table: exports.Table) -> list[list[Any]]:
    return [list(r) for r in table.rows]


# --- the tables ------------------------------------------------------------------------------


def test_the_applications_table_lists_every_application_with_its_private_details(
    app: Flask,
) -> None:
    rnd = _closed_round()
    table = exports.applications_table(rnd)
    assert table.header == ["Reference", "Title", "Summary", "Applicant", "Contact email",
                            "Amount asked (GBP)", "Eligible", "Eligibility reason", "Answers",
                            "Added (UTC)"]
    rows = _rows(table)
    assert [r[0] for r in rows] == ["A-001", "A-002", "A-003"]
    first = rows[0]
    assert first[1:5] == [HOSTILE, "A warm space and hot meals twice a week.",
                          "Riverside Trust", "treasurer@riverside.example"]
    assert first[5] == Decimal("1000.00") and rows[1][5] == Decimal("1500.50")
    assert first[6] == "Yes" and rows[2][6:8] == ["No", "Outside our area"]
    assert first[8] == "We run a warm space."
    assert isinstance(first[9], dt.datetime) and first[9].tzinfo is None


def test_the_scores_table_has_a_row_for_each_criterion_of_each_sheet(app: Flask) -> None:
    rnd = _closed_round()
    table = exports.scores_table(rnd)
    assert table.header == ["Reference", "Title", "Panel member number", "Panel member name",
                            "Stage", "Criterion", "Points", "Score sheet", "Submitted (UTC)"]
    rows = _rows(table)
    assert [(r[0], r[2], r[5], r[6], r[7]) for r in rows] == [
        ("A-001", 1, "Who benefits", 4, "Submitted"),
        ("A-001", 1, "Fit", -2, "Submitted"),
        ("A-001", 2, "Who benefits", 3, "Submitted"),
        ("A-001", 2, "Fit", "don't know", "Submitted"),
        ("A-002", 1, "Who benefits", 2, "Draft saved"),
        ("A-002", 1, "Fit", None, "Draft saved"),  # not answered yet: empty, not zero
        ("A-002", 2, "Who benefits", 5, "Submitted"),
        ("A-002", 2, "Fit", 1, "Submitted"),
    ]
    assert rows[0][3] == "Priya Member" and rows[2][3] == "Tomasz Member"
    assert rows[0][8] == dt.datetime(2026, 11, 20, 14, 30, 5)
    assert rows[4][8] is None  # a draft was never submitted


def test_the_notes_table_holds_notes_and_objections_only(app: Flask) -> None:
    rnd = _closed_round()
    rows = _rows(exports.notes_table(rnd))
    assert rows == [["A-001", HOSTILE, 1, "Priya Member", 1, "Submitted", "-Shaky budget",
                     "Yes", "Double funding"]]


def test_the_feedback_table_has_a_row_per_application_with_each_submitted_sheets_words(
    app: Flask,
) -> None:
    rnd = _closed_round()
    table = exports.feedback_table(rnd)
    assert table.header == ["Reference", "Title", "Applicant", "Contact email", "Feedback 1",
                            "Feedback 2"]
    rows = _rows(table)
    # A-002's only feedback is on a draft, which was never sent: not exported.
    assert rows == [["A-001", HOSTILE, "Riverside Trust", "treasurer@riverside.example",
                     "@Tell us more about costs", "A clear plan."]]
    assert "Priya Member" not in json.dumps(rows)


def test_the_feedback_table_groups_rows_across_database_chunks(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "CHUNK", 3)
    rnd = make_round(state="closed")
    members = [make_member(rnd) for _ in range(3)]
    for i in range(1, 6):
        a = make_application(rnd, reference=f"A-{i:03d}")
        for m in members[: 1 + i % 3]:
            db.session.add(ScoreSheet(membership_id=m.id, application_id=a.id,
                                      status="submitted", scores={"c1": 3, "c2": 3},
                                      feedback=f"Words for {a.reference} from {m.number}"))
    db.session.commit()
    rows = _rows(exports.feedback_table(rnd))
    assert [r[0] for r in rows] == ["A-001", "A-002", "A-003", "A-004", "A-005"]
    assert rows[1][4:] == ["Words for A-002 from 1", "Words for A-002 from 2",
                           "Words for A-002 from 3"]
    assert rows[2][4:] == ["Words for A-003 from 1", None, None]


def test_the_ranked_list_is_read_from_the_published_record(app: Flask) -> None:
    rnd, _pr = make_published_round()
    table = exports.ranking_table(rnd)
    assert table.header == ["Rank", "Reference", "Title", "Applicant", "Amount asked (GBP)",
                            "Result", "Number of scores", "Status", "Amount funded (GBP)",
                            "Changed by staff", "Reason for the change"]
    rows = _rows(table)
    assert [(r[0], r[1]) for r in rows] == [(1, "A-001"), (2, "A-002"), (3, "A-003"),
                                           (None, "A-004")]
    a1, _a2, a3, a4 = rows
    assert a1[2:5] == ["Warm hub at St Mark's", "Riverside Private Trust Ltd",
                       Decimal("4000.00")]
    assert a1[5:10] == [Decimal("12.00"), 3, "Funded", Decimal("4000.00"), "No"]
    assert a3[7:9] == ["Does not fit the money left", None]
    assert a4[7:11] == ["Too few scores to rank", Decimal("1500.00"), "Yes: funded",
                        "Only kinship carers' group in the north of the borough"]


def test_the_ranked_list_is_read_from_the_confirmed_decision_before_publication(
    app: Flask, staff: User
) -> None:
    rnd = make_round(state="closed", budget=200_000, quorum=2, fit_rule="stop",
                     seed=SEED, seed_commitment=voting.seed_commitment(SEED))
    apps = [make_application(rnd, reference=f"A-00{i}", amount=100_000) for i in (1, 2, 3)]
    members = [make_member(rnd) for _ in range(2)]
    for a, points in zip(apps, (4, 5, 2), strict=True):
        for m in members:
            db.session.add(ScoreSheet(membership_id=m.id, application_id=a.id,
                                      status="submitted", scores={"c1": points, "c2": points}))
    db.session.commit()
    assert exports.EXPORTS["ranking"].problem(rnd) == (
        "The count has not been confirmed yet. This is ready once the decision is confirmed "
        "on the Count and decision page.")
    rounds.apply_transition(rnd, "decide", staff, overrides=[
        {"application": "A-001", "action": "unfund", "reason": "Already funded by the council"}
    ])
    db.session.commit()
    assert exports.EXPORTS["ranking"].ready(rnd)
    rows = _rows(exports.ranking_table(rnd))
    assert [(r[0], r[1], r[7], r[8], r[9]) for r in rows] == [
        (1, "A-002", "Funded", Decimal("1000.00"), "No"),
        (2, "A-001", "Funded", None, "Yes: not funded"),
        (3, "A-003", "Below the funding line", None, "No"),
    ]
    assert rows[1][10] == "Already funded by the council"
    assert rows[0][5] == Decimal("15.00") and rows[0][6] == 2


# --- safe cells and file names ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", HOSTILE])
def test_formula_like_text_gets_a_single_quote(value: str) -> None:
    assert exports.safe_text(value) == "'" + value


def test_plain_text_and_numbers_are_left_alone() -> None:
    assert exports.safe_text("Friday food club") == "Friday food club"
    assert exports.safe_text("") == ""
    rows = list(csv.reader(io.StringIO(
        b"".join(exports.csv_chunks(exports.Table(
            "t", "T", [exports.Column("N"), exports.Column("M")],
            [[-3, Decimal("-12.50")], ["-3", None]],
        ))).decode("utf-8-sig"))))
    assert rows == [["N", "M"], ["-3", "-12.50"], ["'-3", ""]]


def test_a_download_name_is_plain_ascii_whatever_the_round_is_called(app: Flask) -> None:
    rnd = make_round(name='Côte "quoted"; name\r\n/../ Fund')
    name = exports.download_name(rnd, "scores", "csv")
    assert name == f"round-{rnd.id}-c-te-quoted-name-fund-scores.csv"
    assert re.fullmatch(r"[a-z0-9.-]+", name)


# --- the page and downloads ------------------------------------------------------------------


def _page(rnd: Round) -> str:
    return f"/staff/rounds/{rnd.id}/exports"


def test_the_exports_page_lists_each_export_with_its_links(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _closed_round()
    resp = login_as(staff).get(_page(rnd))
    page = text(resp)
    assert resp.status_code == 200
    for key in ("applications", "scores", "notes", "feedback"):
        for fmt in ("csv", "xlsx"):
            assert f'href="/staff/rounds/{rnd.id}/exports/{key}.{fmt}"' in page
    assert "Scores as a CSV file" in page and "Scores as an XLSX file" in page
    assert f"/staff/rounds/{rnd.id}/exports/all.xlsx" in page
    # Not decided, not published: the ranked list and 360Giving say why they are not ready.
    assert "/exports/ranking.csv" not in page
    assert "The count has not been confirmed yet." in page
    assert "Ready once the decision is published." in page
    assert "360giving.json" not in page
    assert f'href="/staff/rounds/{rnd.id}/exports"' in page  # the round's navigation links it


def test_scores_are_not_exported_while_the_panel_is_still_scoring(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _closed_round(state="open")
    client = login_as(staff)
    page = text(client.get(_page(rnd)))
    assert "/exports/scores.csv" not in page
    assert "Ready once scoring has closed" in page
    assert "/exports/applications.csv" in page
    resp = _get(client, f"/staff/rounds/{rnd.id}/exports/scores.csv")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(_page(rnd))
    assert "Ready once scoring has closed" in text(client.get(_page(rnd)))
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "export.downloaded")).all() == []


def test_the_ranked_list_download_says_when_the_count_is_not_confirmed(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _closed_round()
    client = login_as(staff)
    resp = _get(client, f"/staff/rounds/{rnd.id}/exports/ranking.xlsx", follow_redirects=True)
    assert "The count has not been confirmed yet." in text(resp)


@pytest.mark.parametrize("url", ["/exports/nothing.csv", "/exports/scores.pdf",
                                 "/exports/all.csv", "/exports/360giving.xml"])
def test_an_unknown_export_or_format_is_not_found(
    app: Flask, staff: User, login_as: Login, url: str
) -> None:
    rnd = _closed_round()
    assert login_as(staff).get(f"/staff/rounds/{rnd.id}{url}").status_code == 404


def test_a_csv_download_parses_back_with_formulas_neutralised(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _closed_round()
    resp = _get(login_as(staff), f"/staff/rounds/{rnd.id}/exports/applications.csv")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.headers["Content-Disposition"] == (
        f'attachment; filename="round-{rnd.id}-warm-homes-fund-2026-applications.csv"')
    assert resp.headers["Cache-Control"] == "no-store"
    body = resp.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs for UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "Reference" and len(rows) == 4
    assert rows[1][1] == "'" + HOSTILE
    assert rows[2][3] == "'+Food Club"
    assert rows[1][5] == "1000.00" and rows[2][5] == "1500.50"


def test_a_scores_csv_keeps_negative_points_as_numbers(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _closed_round()
    body = _get(login_as(staff), f"/staff/rounds/{rnd.id}/exports/scores.csv").get_data()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[2][5:8] == ["Fit", "-2", "Submitted"]
    assert rows[4][6] == "don't know"
    assert rows[1][8] == "2026-11-20 14:30:05"


def _workbook(resp: Any) -> Any:
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == exports.XLSX_MIME
    return load_workbook(io.BytesIO(resp.get_data()))


def test_an_xlsx_download_opens_with_a_bold_frozen_header_and_real_numbers(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _closed_round()
    client = login_as(staff)
    resp = _get(client, f"/staff/rounds/{rnd.id}/exports/scores.xlsx")
    assert resp.headers["Content-Disposition"] == (
        f'attachment; filename="round-{rnd.id}-warm-homes-fund-2026-scores.xlsx"')
    wb = _workbook(resp)
    assert wb.sheetnames == ["Scores"]
    ws = wb["Scores"]
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert header[:3] == ["Reference", "Title", "Panel member number"]
    assert all(c.font.b for c in ws[1])
    assert ws.column_dimensions["B"].width == 40
    fit = [c for c in ws[3]]
    assert fit[1].value == "'" + HOSTILE and fit[1].data_type == "s"
    assert fit[6].value == -2 and fit[6].data_type == "n"  # a negative number stays a number
    assert fit[2].value == 1 and fit[2].data_type == "n"
    assert ws.cell(row=5, column=7).value == "don't know"
    assert ws.cell(row=2, column=9).value == dt.datetime(2026, 11, 20, 14, 30, 5)

    apps = _workbook(_get(client, f"/staff/rounds/{rnd.id}/exports/applications.xlsx"))
    sheet = apps["Applications"]
    amount = sheet.cell(row=3, column=6)
    assert amount.value == pytest.approx(1500.5) and amount.data_type == "n"
    assert amount.number_format == "#,##0.00"
    assert sheet.cell(row=3, column=4).value == "'+Food Club"


def test_a_hostile_title_never_becomes_a_formula_in_any_file(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _closed_round()
    client = login_as(staff)
    for key in ("applications", "scores", "notes", "feedback"):
        body = _get(client, f"/staff/rounds/{rnd.id}/exports/{key}.csv").get_data()
        cells = [c for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for c in row]
        assert "'" + HOSTILE in cells, key
        for c in cells:  # only numbers (negative points) may start with a formula sign
            if c.startswith(exports.FORMULA_STARTS):
                assert re.fullmatch(r"-\d+(\.\d+)?", c), (key, c)
        wb = _workbook(_get(client, f"/staff/rounds/{rnd.id}/exports/{key}.xlsx"))
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    assert c.data_type != "f", (key, c.coordinate, c.value)


def test_everything_in_one_workbook_has_a_sheet_for_each_ready_table(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd, _pr = make_published_round()
    wb = _workbook(_get(login_as(staff), f"/staff/rounds/{rnd.id}/exports/all.xlsx"))
    assert wb.sheetnames == ["Applications", "Scores", "Notes to the panel",
                             "Feedback for applicants", "Ranked list and decision"]
    assert [c.value for c in wb["Ranked list and decision"][2]][:2] == [1, "A-001"]


def test_each_download_is_written_in_the_audit_log_without_personal_data(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _closed_round()
    client = login_as(staff)
    _get(client, f"/staff/rounds/{rnd.id}/exports/feedback.csv")
    _get(client, f"/staff/rounds/{rnd.id}/exports/scores.xlsx")
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "export.downloaded").order_by(AuditEvent.id)).all()
    assert [(e.round_id, e.actor_id, e.detail) for e in events] == [
        (rnd.id, staff.id, {"export": "feedback", "format": "csv"}),
        (rnd.id, staff.id, {"export": "scores", "format": "xlsx"}),
    ]


def test_the_exports_are_for_staff_only(app: Flask, client: FlaskClient, login_as: Login) -> None:
    rnd = _closed_round()
    member = rnd.memberships[0].user
    urls = [_page(rnd), f"/staff/rounds/{rnd.id}/exports/applications.csv",
            f"/staff/rounds/{rnd.id}/exports/all.xlsx",
            f"/staff/rounds/{rnd.id}/exports/360giving.json"]
    for url in urls:
        resp = client.get(url)
        assert resp.status_code == 302 and "/sign-in" in resp.headers["Location"], url
    login_as(member)
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "export.downloaded")).all() == []


# --- 360Giving -------------------------------------------------------------------------------


def _schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return data


def _giving_validator() -> Draft202012Validator:
    """The package schema, with its reference to the grant schema served from the local copy
    (offline), and checks of the date-time and uri formats."""
    package, grant = _schema("360-giving-package-schema.json"), _schema("360-giving-schema.json")
    grant_resource = DRAFT202012.create_resource(grant)
    ref = package["properties"]["grants"]["items"]["$ref"]
    registry: Registry[Any] = Registry().with_resources([
        (package["$id"], DRAFT202012.create_resource(package)),
        (grant["$id"], grant_resource),
        (ref, grant_resource),
    ])
    checker = FormatChecker()

    @checker.checks("date-time")
    def _date_time(value: object) -> bool:
        return not isinstance(value, str) or bool(re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value))

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        return not isinstance(value, str) or bool(re.fullmatch(r"https?://[^\s/]+/\S*", value))

    return Draft202012Validator(package, registry=registry, format_checker=checker)


def _known_titles() -> set[str]:
    """Every column title a 360Giving flat file may use, from the schema's ``title`` fields:
    a top-level field's title, and "Parent:Child" for the fields of a rolled-up list."""
    grant = _schema("360-giving-schema.json")
    defs = grant["$defs"]

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in node:
            return {**defs[node["$ref"].split("/")[-1]], **{k: v for k, v in node.items()
                                                            if k != "$ref"}}
        return node

    titles: set[str] = set()
    for prop in grant["properties"].values():
        prop = resolve(prop)
        title = prop.get("title")
        if not title:
            continue
        titles.add(title)
        child = resolve(prop.get("items", {})) if prop.get("type") == "array" else prop
        for sub in child.get("properties", {}).values():
            sub_title = resolve(sub).get("title")
            if sub_title:
                titles.add(f"{title}:{sub_title}")
        for name in prop.get("rollUp", []):
            assert name in child.get("properties", {}), name
    return titles


def test_the_known_titles_come_from_the_schema() -> None:
    known = _known_titles()
    assert {"Identifier", "Amount Awarded", "Recipient Org:Identifier",
            "Funding Org:Name", "Grant Programme:Title", "Currency"} <= known
    assert "Recipient Org:Nonsense" not in known


def test_360giving_json_is_a_valid_package_of_the_funded_grants(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd, _pr = make_published_round(name="Warm Spaces Fund 2026")
    resp = _get(login_as(staff), f"/staff/rounds/{rnd.id}/exports/360giving.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert resp.headers["Content-Disposition"] == (
        f'attachment; filename="round-{rnd.id}-warm-spaces-fund-2026-360giving.json"')
    package = json.loads(resp.get_data())
    errors = sorted(_giving_validator().iter_errors(package), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    grants = package["grants"]
    # Funded after the override: by the count, A-004 by staff.
    assert [g["id"] for g in grants] == [f"360G-example-{rnd.id}-A-001",
                                         f"360G-example-{rnd.id}-A-002",
                                         f"360G-example-{rnd.id}-A-004"]
    first = grants[0]
    assert first["amountAwarded"] == 4000 and first["amountAppliedFor"] == 4000
    assert first["currency"] == "GBP" and first["awardDate"] == "2026-11-21"
    assert first["title"] == "Warm hub at St Mark's"
    assert first["recipientOrganization"] == [{
        "id": f"360G-example-applicant-{rnd.id}-A-001", "name": "Riverside Private Trust Ltd"}]
    assert first["fundingOrganization"] == [{"id": "360G-example", "name": "Community Fund"}]
    assert first["grantProgramme"][0]["title"] == "Warm Spaces Fund 2026"
    assert first["dataSource"].endswith(f"/rounds/{rnd.id}/record.json")
    assert "treasurer@" not in resp.get_data(as_text=True)  # no contact details
    assert package["version"] == "1.4"


def test_360giving_identifiers_follow_the_settings(
    app: Flask, staff: User, login_as: Login
) -> None:
    app.config.update(GRANT_ID_PREFIX="360G-warmfund", GRANT_ID_PREFIX_IS_DEFAULT=False,
                      FUNDING_ORG_ID="GB-CHC-1234567", FUNDING_ORG_NAME="Warm Fund")
    rnd, _pr = make_published_round()
    client = login_as(staff)
    page = text(client.get(_page(rnd)))
    assert "example prefix" not in page and "360G-warmfund" in page
    package = json.loads(_get(client, f"/staff/rounds/{rnd.id}/exports/360giving.json").data)
    grant = package["grants"][0]
    assert grant["id"] == f"360G-warmfund-{rnd.id}-A-001"
    assert grant["fundingOrganization"] == [{"id": "GB-CHC-1234567", "name": "Warm Fund"}]
    assert package["publisher"] == {"identifier": "GB-CHC-1234567", "name": "Warm Fund"}


def test_360giving_csv_uses_only_known_column_titles(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd, _pr = make_published_round()
    resp = _get(login_as(staff), f"/staff/rounds/{rnd.id}/exports/360giving.csv")
    assert resp.status_code == 200
    rows = list(csv.DictReader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
    assert set(rows[0]) <= _known_titles(), set(rows[0]) - _known_titles()
    assert [r["Identifier"] for r in rows] == [f"360G-example-{rnd.id}-A-00{i}"
                                              for i in (1, 2, 4)]
    assert rows[2]["Amount Awarded"] == "1500"
    assert rows[0]["Recipient Org:Name"] == "Riverside Private Trust Ltd"
    assert rows[0]["Award Date"] == "2026-11-21"


def test_360giving_is_offered_only_for_a_published_round(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = _closed_round()
    client = login_as(staff)
    resp = _get(client, f"/staff/rounds/{rnd.id}/exports/360giving.json", follow_redirects=True)
    assert "Ready once the decision is published." in text(resp)
    published, _pr = make_published_round()
    page = text(client.get(_page(published)))
    assert f"/staff/rounds/{published.id}/exports/360giving.json" in page
    assert "example prefix 360G-example" in page  # the default prefix is flagged
    assert "agreed to be named" in page


def test_config_refuses_a_grant_prefix_that_is_not_a_360giving_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from config import Config, ConfigError

    monkeypatch.setenv("GRANT_ID_PREFIX", "communityfund")
    with pytest.raises(ConfigError, match="360G-"):
        Config()
    monkeypatch.setenv("GRANT_ID_PREFIX", "360G-communityfund")
    monkeypatch.setenv("ORGANISATION_NAME", "Community Fund North")
    cfg = Config()
    assert cfg.GRANT_ID_PREFIX == "360G-communityfund" and not cfg.GRANT_ID_PREFIX_IS_DEFAULT
    assert cfg.FUNDING_ORG_ID == "360G-communityfund"
    assert cfg.FUNDING_ORG_NAME == "Community Fund North"


# --- size ------------------------------------------------------------------------------------


def test_tables_are_read_lazily_in_chunks(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows come from the database a chunk at a time, and the CSV leaves in chunks."""
    monkeypatch.setattr(exports, "CHUNK", 4)
    rnd = make_round(state="closed")
    for i in range(1, 11):
        make_application(rnd, reference=f"A-{i:03d}")
    db.session.commit()
    table = exports.applications_table(rnd)
    assert isinstance(table.rows, Iterator)
    chunks = list(exports.csv_chunks(table, rows_per_chunk=3))
    assert len(chunks) == 4  # 3 + 3 + 3 + 1 rows (the header rides with the first)
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == [f"A-{i:03d}" for i in range(1, 11)]
