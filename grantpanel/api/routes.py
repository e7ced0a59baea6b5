"""JSON API v1: published rounds and their decision records (read-only, no sign-in)."""

from __future__ import annotations

import functools
from importlib import resources

from flask import Response, abort, jsonify, url_for
from flask.typing import ResponseReturnValue

from grantpanel.api import bp
from grantpanel.api.openapi import openapi_document
from grantpanel.extensions import db
from grantpanel.services import publication

#: Every API answer is ``application/json`` (the OpenAPI document promises it); a JSON Schema
#: document is JSON, and clients that look for ``application/schema+json`` read it as well.
SCHEMA_MEDIA_TYPE = "application/json"
#: Where the record's JSON Schema ships: inside the ``voting`` package (package data), so the
#: installed wheel and the stand-alone verifier carry it too.
RECORD_SCHEMA_RESOURCE = ("voting", "schema/decision-record.schema.json")


@functools.cache
def record_schema_bytes() -> bytes:
    """The decision record's JSON Schema, read once from the installed ``voting`` package."""
    package, name = RECORD_SCHEMA_RESOURCE
    return resources.files(package).joinpath(name).read_bytes()


@bp.route("/rounds")
def rounds() -> ResponseReturnValue:
    """Published rounds, newest first, each with a link to its record."""
    items = [
        {
            "id": rnd.id,
            "name": rnd.name,
            "record_url": url_for("api.round_record", round_id=rnd.id, _external=True),
            "page_url": url_for("public.round_page", round_id=rnd.id, _external=True),
            "digest": pr.digest,
            "previous_digest": pr.previous_digest,
            "published_at": publication.iso_utc(pr.published_at),
        }
        for rnd, pr in db.session.execute(publication.published_rounds()).all()
    ]
    return jsonify({"rounds": items})


@bp.route("/rounds/<int:round_id>/record")
def round_record(round_id: int) -> ResponseReturnValue:
    """The decision record: the exact published bytes."""
    pr = publication.published_record(round_id)
    if pr is None:
        abort(404)
    return Response(
        publication.record_bytes(pr),
        mimetype="application/json",
        headers={"X-Record-Digest": pr.digest},
    )


@bp.route("/schema/decision-record.json")
def record_schema() -> ResponseReturnValue:
    """The JSON Schema (draft 2020-12) of the decision record, every schema version."""
    return Response(record_schema_bytes(), mimetype=SCHEMA_MEDIA_TYPE,
                    headers={"Cache-Control": "public, max-age=3600"})


@bp.route("/openapi.json")
def openapi() -> ResponseReturnValue:
    """This API described as an OpenAPI 3.1 document."""
    return jsonify(openapi_document(url_for("api.rounds", _external=True).rsplit("/", 1)[0]))
