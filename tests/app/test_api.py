"""The JSON API v1: published rounds and their records; an OpenAPI 3.1 description."""

from __future__ import annotations

import json
import re

from flask import Flask
from flask.testing import FlaskClient

from grantpanel.extensions import db
from tests.app.record_builders import digest_of, make_published_round
from tests.builders import make_round


def test_rounds_lists_published_rounds_only(client: FlaskClient) -> None:
    rnd, pr = make_published_round()
    hidden = [make_round(name=f"Hidden {state}", state=state)
              for state in ("draft", "open", "closed", "decided")]
    db.session.commit()
    resp = client.get("/api/v1/rounds")
    assert resp.status_code == 200
    rounds = resp.get_json()["rounds"]
    assert [r["id"] for r in rounds] == [rnd.id]
    item = rounds[0]
    assert item["name"] == "Warm Spaces Fund 2026"
    assert item["digest"] == pr.digest
    assert item["record_url"] == f"http://localhost/api/v1/rounds/{rnd.id}/record"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item["published_at"])
    assert not {h.id for h in hidden} & {r["id"] for r in rounds}


def test_record_is_the_exact_stored_bytes(client: FlaskClient) -> None:
    rnd, pr = make_published_round()
    resp = client.get(f"/api/v1/rounds/{rnd.id}/record")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    assert resp.data == pr.body.encode("utf-8")
    assert digest_of(json.loads(resp.data)) == pr.digest


def test_record_url_in_the_list_serves_the_record(client: FlaskClient) -> None:
    make_published_round()
    url = client.get("/api/v1/rounds").get_json()["rounds"][0]["record_url"]
    assert client.get(url.removeprefix("http://localhost")).status_code == 200


def test_unpublished_or_unknown_round_record_is_a_json_404(client: FlaskClient) -> None:
    ids = [make_round(state=state).id for state in ("draft", "open", "closed", "decided")]
    db.session.commit()
    for rid in [*ids, 9999]:
        resp = client.get(f"/api/v1/rounds/{rid}/record")
        assert resp.status_code == 404
        assert resp.get_json()["status"] == 404
    assert client.get("/api/v1/rounds/not-a-number/record").get_json()["status"] == 404


def test_openapi_document_is_3_1_and_resolves_its_references(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["title"] and doc["info"]["version"]
    assert doc["servers"][0]["url"] == "http://localhost/api/v1"
    schemas = doc["components"]["schemas"]
    refs = re.findall(r'"\$ref": "#/components/schemas/([A-Za-z]+)"', json.dumps(doc))
    assert refs and all(name in schemas for name in refs)
    record = schemas["DecisionRecord"]
    for key in ("round", "rules", "applications", "sheets", "conflicts", "outputs",
                "decision", "digest", "previous_digest", "randomness"):
        assert key in record["properties"]
    for path in doc["paths"].values():
        for op in path.values():
            assert op["operationId"] and "200" in op["responses"]


def test_openapi_describes_every_api_route(app: Flask, client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    described = set(doc["paths"])
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        assert path in described, rule.rule
        assert "get" in doc["paths"][path]
        params = {p["name"] for p in doc["paths"][path]["get"].get("parameters", [])}
        assert set(rule.arguments) == params


def test_published_record_validates_against_the_openapi_schema(client: FlaskClient) -> None:
    rnd, _ = make_published_round()
    doc = client.get("/api/v1/openapi.json").get_json()
    record = client.get(f"/api/v1/rounds/{rnd.id}/record").get_json()
    schema = doc["components"]["schemas"]["DecisionRecord"]
    assert set(schema["required"]) <= set(record)
    app_schema = doc["components"]["schemas"]["ApplicationOutput"]
    for out in record["outputs"]["applications"]:
        assert set(app_schema["required"]) <= set(out)


def test_method_not_allowed_answers_name_the_allowed_methods(client: FlaskClient) -> None:
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        resp = client.open("/api/v1/rounds", method=method)
        assert resp.status_code == 405
        allowed = {m.strip() for m in resp.headers["Allow"].split(",")}
        assert "GET" in allowed and method not in allowed
        assert resp.mimetype == "application/json"
        assert resp.get_json()["status"] == 405
    page = client.put("/sign-in")
    assert page.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in page.headers["Allow"].split(",")}
    assert page.mimetype == "text/html"


def test_openapi_documents_the_id_range_and_every_error_answer(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    error_ref = {"$ref": "#/components/schemas/Error"}
    for template, item in doc["paths"].items():
        for op in item.values():
            for param in op.get("parameters", []):
                if param["name"].endswith("_id"):
                    assert param["schema"] == {"type": "integer", "minimum": 1,
                                               "maximum": 2_147_483_647}
                    assert "404" in op["responses"], template
            for code, response in op["responses"].items():
                assert set(response["content"]) == {"application/json"}, (template, code)
                if code.startswith(("4", "5")):
                    assert response["content"]["application/json"]["schema"] == error_ref
