"""Applications at scale and under pressure: big imports, hostile cells, limits, the CLI, and
two staff adding applications at the same moment through a served app.

Speed itself is measured in ``benchmarks/imports.py`` (``make bench``), not asserted here.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from config import Config
from grantpanel.extensions import db
from grantpanel.models import Application, User
from grantpanel.services import applications as svc
from tests.builders import make_application, make_round, make_user
from tests.helpers import csrf_token, text
from tests.live import LiveServer, live_server, signed_in_session  # noqa: F401

HEADER = "reference,applicant_name,contact_email,title,summary,amount,answers\n"
PASSWORD = "correct horse battery"
Login = Callable[[User], FlaskClient]


def _references_in_order(round_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(Application.reference)
            .where(Application.round_id == round_id)
            .order_by(Application.id)
        )
    )


def _count(round_id: int) -> int:
    return db.session.scalar(
        select(func.count(Application.id)).where(Application.round_id == round_id)
    ) or 0


def _row(i: int, reference: str = "", **cells: str) -> str:
    values = {
        "reference": reference,
        "applicant_name": f"Group {i}",
        "contact_email": "",
        "title": f"Project {i}",
        "summary": "A short summary.",
        "amount": "100",
        "answers": "",
    }
    values.update(cells)
    return ",".join(f'"{v}"' if ("," in v or "\n" in v) else v for v in values.values()) + "\n"


def _upload(client: FlaskClient, url: str, content: bytes):  # type: ignore[no-untyped-def]
    return client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "file": (io.BytesIO(content), "apps.csv")},
        content_type="multipart/form-data",
    )


@pytest.fixture()
def staff(app: Flask) -> User:
    user = make_user(role="staff", name="Grace Grants")
    db.session.commit()
    return user


# --- automatic references --------------------------------------------------------------------


def test_a_large_import_gets_unique_automatic_references_in_file_order(
    app: Flask, staff: User
) -> None:
    rnd = make_round()
    for ref in ("A-001", "a-003", "A-1002"):  # already in the round, in any case
        make_application(rnd, reference=ref)
    explicit = {5: "A-004", 700: "a-010", 1500: "Z-9"}  # rows that bring their own
    n = 1_600
    data = HEADER + "".join(_row(i, explicit.get(i, "")) for i in range(1, n + 1))
    summary = svc.import_csv(rnd, staff, data.encode())
    assert summary.count == n and summary.automatic_references == n - len(explicit)

    # The rule, written out plainly: the lowest "A-nnn" not taken, in file order.
    taken = {"a-001", "a-003", "a-1002"} | {r.lower() for r in explicit.values()}
    expected, k = [], 1
    for i in range(1, n + 1):
        if i in explicit:
            expected.append(explicit[i])
            continue
        while f"a-{k:03d}" in taken:
            k += 1
        expected.append(f"A-{k:03d}")
        k += 1
    assert _references_in_order(rnd.id)[3:] == expected
    assert expected[:4] == ["A-002", "A-005", "A-006", "A-007"]
    assert "A-1001" in expected and "A-1002" not in expected and "A-1003" in expected
    refs = _references_in_order(rnd.id)
    assert len({r.lower() for r in refs}) == len(refs) == n + 3


def test_an_import_reads_a_stream_and_leaves_it_open(app: Flask, staff: User) -> None:
    rnd = make_round()
    stream = io.BytesIO((HEADER + _row(1) + _row(2)).encode())
    svc.import_csv(rnd, staff, stream)
    assert not stream.closed
    assert _references_in_order(rnd.id) == ["A-001", "A-002"]


# --- hostile cells ---------------------------------------------------------------------------


def test_control_characters_and_over_long_cells_are_refused_with_their_line(
    app: Flask, staff: User
) -> None:
    rnd = make_round()
    data = (
        HEADER
        + _row(1)                                              # line 2: fine
        + _row(2, title="Warm\x00room")                        # line 3
        + _row(3, summary="Bell\x07ringing")                    # line 4
        + _row(4, applicant_name="N" * 201)                     # line 5
        + _row(5, answers="x" * (svc.MAX_ANSWERS + 1))          # line 6
        + _row(6, summary="s" * (svc.MAX_SUMMARY + 1))          # line 7
        + _row(7, reference="A\x00-9")                          # line 8
        + _row(8, contact_email="a\x00b@example.org")          # line 9
        + _row(9, amount="1\x0000")                             # line 10
        + _row(10, amount="9" * 100_000)                       # line 11
    )
    with pytest.raises(svc.ImportRejected) as info:
        svc.import_csv(rnd, staff, data.encode())
    problems = info.value.problems
    assert [p.line for p in problems] == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    messages = [p.message for p in problems]
    assert messages[0] == (
        "Line 3: title contains a hidden control character that cannot be saved. Retype it, "
        "or paste it as plain text."
    )
    assert messages[1].startswith("Line 4: summary contains a hidden control character")
    assert messages[2] == "Line 5: applicant_name must be 200 characters or fewer (it has 201)."
    assert messages[3] == "Line 6: answers must be 20,000 characters or fewer (it has 20,001)."
    assert messages[4] == "Line 7: summary must be 2,000 characters or fewer (it has 2,001)."
    assert messages[5] == (
        "Line 8: reference 'A?-9' should use only letters, numbers, spaces, dots, dashes and "
        "slashes, like A-001."
    )
    assert messages[6].startswith("Line 9: contact email 'a?b@example.org' is not an email")
    assert messages[7] == "Line 10: amount '1?00' is not a number of pounds, like 1500 or 1500.00."
    assert messages[8].startswith("Line 11: amount '99999999999999999999...' is not a number")
    assert all("\x00" not in m and len(m) < 300 for m in messages)
    assert _count(rnd.id) == 0


def test_a_cell_too_long_for_the_csv_reader_is_reported_not_a_server_error(
    app: Flask, staff: User
) -> None:
    rnd = make_round()
    data = HEADER + _row(1) + _row(2, answers="y" * 200_000) + _row(3)
    with pytest.raises(svc.ImportRejected) as info:
        svc.import_csv(rnd, staff, data.encode())
    (problem,) = info.value.problems
    assert problem.line == 3
    assert problem.message.startswith("Line 3 could not be read (a cell is longer than 131,072")


def test_the_problem_report_lists_the_first_hundred_and_counts_the_rest(
    app: Flask, staff: User
) -> None:
    rnd = make_round()
    data = HEADER + "".join(_row(i, amount="lots") for i in range(1, 251))
    with pytest.raises(svc.ImportRejected) as info:
        svc.import_csv(rnd, staff, data.encode())
    rejected = info.value
    assert len(rejected.problems) == svc.MAX_REPORTED_PROBLEMS == 100
    assert rejected.total == 250 and rejected.unlisted == 150
    assert rejected.problems[-1].line == 101
    assert str(rejected) == "Nothing was imported: the file has 250 problems."


def test_the_import_page_shows_the_first_problems_and_how_many_more(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round()
    db.session.commit()
    data = HEADER + "".join(_row(i, amount="lots") for i in range(1, 251))
    resp = _upload(login_as(staff), f"/staff/rounds/{rnd.id}/applications/import",
                   data.encode())
    page = text(resp)
    assert resp.status_code == 400
    assert "Nothing was imported: the file has 250 problems." in page
    assert "the list below shows the first 100." in page
    assert "There are 150 more problems not listed here." in page
    assert page.count("is not a number of pounds") == 100


# --- limits ----------------------------------------------------------------------------------


def test_an_import_over_the_row_limit_is_refused_with_the_limit_and_what_to_do(
    app: Flask, staff: User, login_as: Login
) -> None:
    app.config["IMPORT_MAX_ROWS"] = 5
    rnd = make_round()
    db.session.commit()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/applications/import"
    assert "A file can hold up to 5 applications" in text(client.get(url))
    resp = _upload(client, url, (HEADER + "".join(_row(i) for i in range(1, 7))).encode())
    page = text(resp)
    assert resp.status_code == 400
    assert "The file has more than 5 applications, the most that can be imported here" in page
    assert "Split it into files of 5 applications or fewer" in page
    assert "grantpanel import-applications" in page
    assert _count(rnd.id) == 0
    resp = _upload(client, url, (HEADER + "".join(_row(i) for i in range(1, 6))).encode())
    assert resp.status_code == 302 and _count(rnd.id) == 5


def test_an_upload_over_the_size_limit_gets_a_page_naming_the_limit(
    app: Flask, staff: User, login_as: Login
) -> None:
    app.config["MAX_UPLOAD_MB"] = 1
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    rnd = make_round()
    db.session.commit()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/applications/import"
    content = (HEADER + _row(1, answers="z" * 5_000) * 250).encode()  # ~1.3 MB
    # The multipart body is built here (the test client would spool one this big to a
    # temporary file it never closes).
    boundary = "grantpanel-test-boundary"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
        f"{csrf_token(client, url)}\r\n--{boundary}\r\nContent-Disposition: form-data; "
        f"name=\"file\"; filename=\"apps.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    resp = client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    page = text(resp)
    assert resp.status_code == 413
    assert "That was too large to send" in page
    assert "A file must be smaller than 1 MB" in page
    assert "grantpanel import-applications" in page
    assert _count(rnd.id) == 0


def test_the_upload_and_row_limits_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_UPLOAD_MB", "3")
    monkeypatch.setenv("IMPORT_MAX_ROWS", "500")
    config = Config()
    assert config.MAX_UPLOAD_MB == 3 and config.MAX_CONTENT_LENGTH == 3 * 1024 * 1024
    assert config.IMPORT_MAX_ROWS == 500
    monkeypatch.delenv("MAX_UPLOAD_MB")
    monkeypatch.delenv("IMPORT_MAX_ROWS")
    config = Config()
    assert config.MAX_UPLOAD_MB == 16 and config.IMPORT_MAX_ROWS == 20_000


# --- the command line ------------------------------------------------------------------------


def test_the_cli_imports_a_file_without_the_web_row_limit(
    app: Flask, staff: User, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    app.config["IMPORT_MAX_ROWS"] = 5
    rnd = make_round(name="Big Round")
    db.session.commit()
    path = tmp_path / "apps.csv"
    path.write_text(HEADER + "".join(_row(i) for i in range(1, 31)), encoding="utf-8")
    result = runner.invoke(
        args=["import-applications", str(rnd.id), str(path), "--by", staff.email]
    )
    assert result.exit_code == 0, result.output
    assert (
        "Imported 30 applications into 'Big Round' (A-001 to A-030; 30 references made "
        "automatically)." in result.output
    )
    db.session.expire_all()
    assert _count(rnd.id) == 30


def test_the_cli_lists_the_problems_and_exits_non_zero(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    rnd = make_round()
    db.session.commit()
    path = tmp_path / "apps.csv"
    path.write_text(HEADER + _row(1) + _row(2, amount="lots") + _row(3, title=""),
                    encoding="utf-8")
    result = runner.invoke(args=["import-applications", str(rnd.id), str(path)])
    assert result.exit_code == 1
    assert "Line 3: amount 'lots' is not a number of pounds" in result.output
    assert "Line 4: title is empty: every application needs one." in result.output
    assert "Nothing was imported: the file has 2 problems." in result.output
    db.session.expire_all()
    assert _count(rnd.id) == 0
    result = runner.invoke(args=["import-applications", "99999", str(path)])
    assert result.exit_code != 0 and "There is no round 99999" in result.output


# --- two staff at the same moment ------------------------------------------------------------


def _race(calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    barrier = threading.Barrier(len(calls))
    results: list[requests.Response | None] = [None] * len(calls)
    failures: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            results[i] = calls[i]()
        except BaseException as e:  # noqa: BLE001  (re-raised in the test's thread)
            failures.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    if failures:
        raise failures[0]
    return [r for r in results if r is not None]


def test_staff_adding_and_importing_at_the_same_moment_get_distinct_references(
    app: Flask, live_server: LiveServer  # noqa: F811
) -> None:
    people = [make_user(role="staff", name=f"Staff {i}") for i in range(4)]
    rnd = make_round(state="open", applications=1)
    db.session.commit()
    sessions = [signed_in_session(live_server, p.email, PASSWORD) for p in people]
    base = f"{live_server.url}/staff/rounds/{rnd.id}/applications"
    trials = 6

    def add(s: requests.Session, token: str, title: str) -> Callable[[], requests.Response]:
        form = {"csrf_token": token, "reference": "", "applicant_name": "Race Group",
                "contact_email": "", "title": title, "summary": "Race.", "answers": "",
                "amount": "100"}
        return lambda: s.post(f"{base}/new", data=form, allow_redirects=False, timeout=60)

    def upload(s: requests.Session, token: str) -> Callable[[], requests.Response]:
        files = {"file": ("apps.csv", (HEADER + _row(1) + _row(2)).encode(), "text/csv")}
        return lambda: s.post(f"{base}/import", data={"csrf_token": token}, files=files,
                              allow_redirects=False, timeout=60)

    for trial in range(trials):
        tokens = [csrf_token_of(s, f"{base}/new") for s in sessions]
        calls = [add(sessions[i], tokens[i], f"Trial {trial} by {i}") for i in range(3)]
        responses = _race([*calls, upload(sessions[3], tokens[3])])
        assert [r.status_code for r in responses] == [302, 302, 302, 302], [
            r.text[:300] for r in responses if r.status_code != 302
        ]
    db.session.expire_all()
    refs = _references_in_order(rnd.id)
    assert len(refs) == 1 + trials * 5
    assert len({r.lower() for r in refs}) == len(refs)
    assert sorted(refs) == [f"A-{k:03d}" for k in range(1, len(refs) + 1)]


def csrf_token_of(session: requests.Session, url: str) -> str:
    from tests.live import csrf_token as token_in

    return token_in(session.get(url, timeout=30).text)
