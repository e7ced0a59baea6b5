"""Staff pages for applications: list, add, edit, eligibility and CSV import."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from grantpanel.extensions import db
from grantpanel.models import Application, User
from tests.builders import make_application, make_round, make_user
from tests.helpers import csrf_token, post_form, text

Login = Callable[[User], FlaskClient]

APPLICATION_FORM = {
    "reference": "",
    "applicant_name": "Hillside Tenants",
    "contact_email": "hello@hillside.example.org",
    "title": "Warm room",
    "summary": "A warm room on weekday mornings.",
    "answers": "We have run this for two winters.",
    "amount": "1,250.50",
}


@pytest.fixture()
def staff(app: Flask) -> User:
    user = make_user(role="staff", name="Grace Grants")
    db.session.commit()
    return user


def test_staff_add_an_application_and_get_the_next_reference(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round(applications=1)
    db.session.commit()
    client = login_as(staff)
    resp = post_form(client, f"/staff/rounds/{rnd.id}/applications/new", APPLICATION_FORM)
    assert resp.status_code == 302
    added = db.session.scalars(
        db.select(Application).where(Application.reference == "A-002")
    ).one()
    assert added.amount == 125_050 and added.contact_email == "hello@hillside.example.org"
    page = text(client.get(resp.headers["Location"]))
    assert "Application A-002" in page and "£1,250.50" in page


def test_a_bad_amount_and_a_used_reference_are_explained_and_input_kept(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round(applications=1)
    db.session.commit()
    resp = post_form(
        login_as(staff),
        f"/staff/rounds/{rnd.id}/applications/new",
        {**APPLICATION_FORM, "reference": "A-001", "amount": "lots", "contact_email": "nope"},
    )
    page = text(resp)
    assert "There is a problem" in page
    assert "The amount &#39;lots&#39; is not a number of pounds" in page
    assert "Reference &#39;A-001&#39; is already used in this round" in page
    assert "Contact email &#39;nope&#39; is not an email address in the right form" in page
    assert 'value="Hillside Tenants"' in page
    assert len(db.session.scalars(db.select(Application)).all()) == 1


def test_staff_edit_an_application(app: Flask, staff: User, login_as: Login) -> None:
    rnd = make_round()
    a = make_application(rnd, amount=100_000)
    db.session.commit()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/applications/{a.id}/edit"
    assert 'value="1000"' in text(client.get(url))
    resp = post_form(client, url, {**APPLICATION_FORM, "reference": "A-001", "amount": "900"})
    assert resp.status_code == 302
    db.session.refresh(a)
    assert a.amount == 90_000 and a.title == "Warm room"


def test_an_application_in_another_round_is_not_found(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round()
    other = make_round(name="Other")
    a = make_application(other)
    db.session.commit()
    client = login_as(staff)
    assert client.get(f"/staff/rounds/{rnd.id}/applications/{a.id}").status_code == 404
    assert client.get(f"/staff/rounds/{rnd.id}/applications/999/edit").status_code == 404


def test_applications_are_fixed_after_scoring_closes(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round(state="closed", applications=1)
    db.session.commit()
    client = login_as(staff)
    page = text(client.get(f"/staff/rounds/{rnd.id}/applications"))
    assert "can no longer change" in page and "Add an application" not in page
    resp = post_form(client, f"/staff/rounds/{rnd.id}/applications/new", APPLICATION_FORM,
                     page="/staff/")
    assert "scoring has closed" in text(resp)
    assert len(db.session.scalars(db.select(Application)).all()) == 1


def test_marking_ineligible_needs_a_reason(app: Flask, staff: User, login_as: Login) -> None:
    rnd = make_round(applications=1)
    a = rnd.applications[0]
    db.session.commit()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/applications/{a.id}/eligibility"
    page = text(post_form(client, url, {"eligible": "no", "reason": ""}))
    assert "Give the reason this application is not eligible." in page
    resp = post_form(client, url, {"eligible": "no", "reason": "Outside our area"})
    assert resp.status_code == 302
    db.session.refresh(a)
    assert a.eligible is False and a.eligibility_reason == "Outside our area"
    assert "Not eligible" in text(client.get(f"/staff/rounds/{rnd.id}/applications"))


def _upload(client: FlaskClient, url: str, content: bytes, name: str = "apps.csv"):  # type: ignore[no-untyped-def]
    token = csrf_token(client, url)
    return client.post(
        url,
        data={"csrf_token": token, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_the_import_page_documents_the_columns(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round()
    db.session.commit()
    page = text(login_as(staff).get(f"/staff/rounds/{rnd.id}/applications/import"))
    for column in ("reference", "applicant_name", "contact_email", "title", "summary",
                   "amount", "answers"):
        assert f"<code>{column}</code>" in page


def test_staff_import_a_good_csv_file(app: Flask, staff: User, login_as: Login) -> None:
    rnd = make_round()
    db.session.commit()
    client = login_as(staff)
    content = (
        "\ufeffapplicant_name,title,summary,amount\n"
        "Oak Street,Lunch club,Hot lunches.,1500\n"
        "Riverside,Warm bus,A bus.,\"2,000.00\"\n"
    ).encode()
    resp = _upload(client, f"/staff/rounds/{rnd.id}/applications/import", content)
    assert resp.status_code == 302
    assert "2 applications imported." in text(client.get(resp.headers["Location"]))
    refs = db.session.scalars(db.select(Application.reference).order_by(Application.reference))
    assert list(refs) == ["A-001", "A-002"]


def test_a_bad_csv_file_imports_nothing_and_shows_every_problem(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round()
    db.session.commit()
    content = (
        b"applicant_name,title,summary,amount\n"
        b"Oak Street,Lunch club,Hot lunches.,1500\n"
        b"Riverside,Warm bus,A bus.,lots\n"
        b",Nameless,Something.,10\n"
    )
    resp = _upload(login_as(staff), f"/staff/rounds/{rnd.id}/applications/import", content)
    page = text(resp)
    assert resp.status_code == 400
    assert "There is a problem" in page
    assert "Nothing was imported: the file has 2 problems." in page
    assert "Line 3: amount &#39;lots&#39; is not a number of pounds, like 1500 or 1500.00." in page
    assert "Line 4: applicant_name is empty" in page
    assert db.session.scalars(db.select(Application)).first() is None


def test_an_import_needs_a_csv_file(app: Flask, staff: User, login_as: Login) -> None:
    rnd = make_round()
    db.session.commit()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/applications/import"
    page = text(post_form(client, url, {}))
    assert "Choose a CSV file to upload." in page
    page = text(_upload(client, url, b"a,b\n", name="apps.xlsx"))
    assert "The file must end in .csv" in page
    page = text(_upload(client, url, b""))
    assert "empty" in page


def test_hostile_text_in_the_form_is_explained_not_a_server_error_and_input_kept(
    app: Flask, staff: User, login_as: Login
) -> None:
    rnd = make_round()
    db.session.commit()
    resp = post_form(
        login_as(staff),
        f"/staff/rounds/{rnd.id}/applications/new",
        {**APPLICATION_FORM, "title": "Warm\x00room", "reference": "B\x00-1",
         "answers": "a" * 20_001, "amount": "1\x00"},
    )
    page = text(resp)
    assert resp.status_code == 200
    assert page.count("contains a hidden control character that cannot be saved.") == 6
    assert "The answers must be 20,000 characters or fewer" not in page  # said once, below
    assert "Keep the answers to 20,000 characters or fewer." in page
    assert 'value="Hillside Tenants"' in page and "a" * 20_001 in page
    assert "Up to 2,000 characters." in page  # the limit is stated beside the field
    assert db.session.scalars(db.select(Application)).first() is None
