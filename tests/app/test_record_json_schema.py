"""The decision record's JSON Schema, served by the API, and the app's records against it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import voting
from grantpanel.api.routes import record_schema_bytes
from grantpanel.demo import load_demo
from grantpanel.extensions import db
from grantpanel.models import PublishedRecord, Round
from voting.record import CURRENT_SCHEMA_VERSION

REPO = Path(voting.__file__).resolve().parents[1]
URL = "/api/v1/schema/decision-record.json"


def _validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _errors(schema: dict[str, Any], record: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
            for e in _validator(schema).iter_errors(record)]


def test_the_schema_is_served_as_a_json_schema_document(client: FlaskClient) -> None:
    resp = client.get(URL)
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"  # as every API answer (test_api.py)
    assert resp.data == (REPO / "voting" / "schema" / "decision-record.schema.json").read_bytes()
    schema = json.loads(resp.data)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_served_schema_is_the_one_in_the_docs(client: FlaskClient) -> None:
    assert client.get(URL).data == (REPO / "docs" / "decision-record.schema.json").read_bytes()


def test_the_schema_is_read_from_the_installed_voting_package() -> None:
    """Package data (pyproject ``[tool.setuptools.package-data]``), so a wheel serves it."""
    assert record_schema_bytes() == (Path(voting.__file__).parent / "schema"
                                     / "decision-record.schema.json").read_bytes()


def test_the_openapi_document_lists_the_schema_endpoint(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/schema/decision-record.json"]["get"]
    assert set(operation["responses"]["200"]["content"]) == {"application/json"}


def _published_records(client: FlaskClient) -> list[dict[str, Any]]:
    list(load_demo())
    ids = db.session.scalars(select(PublishedRecord.round_id)).all()
    records = []
    for round_id in ids:
        resp = client.get(f"/api/v1/rounds/{round_id}/record")
        assert resp.status_code == 200
        records.append(json.loads(resp.data))
    return records


def test_the_record_the_app_publishes_validates_against_the_served_schema(
        app: Flask, client: FlaskClient) -> None:
    schema = json.loads(client.get(URL).data)
    records = _published_records(client)
    assert records and db.session.scalar(select(Round).where(Round.state == "published"))
    assert {r["schema_version"] for r in records} == {CURRENT_SCHEMA_VERSION}
    for record in records:
        assert _errors(schema, record) == []
        assert voting.verify_record(record).ok


def test_an_edited_record_fails_the_schema_at_the_edited_field(
        app: Flask, client: FlaskClient) -> None:
    schema = json.loads(client.get(URL).data)
    record = _published_records(client)[0]
    record["round"]["private_note"] = "Should never be published"
    assert _errors(schema, record)
    del record["round"]["private_note"]
    record["applications"][0]["amount"] = "400.00"
    assert _errors(schema, record)


@pytest.mark.parametrize("fixture", ["record-schema-1.json", "record-schema-2.json"])
def test_the_frozen_fixtures_validate_against_the_served_schema(
        client: FlaskClient, fixture: str) -> None:
    schema = json.loads(client.get(URL).data)
    record = json.loads((REPO / "tests" / "fixtures" / fixture).read_bytes())
    assert _errors(schema, record) == []
