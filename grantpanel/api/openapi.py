"""The OpenAPI 3.1 description of the v1 API and of the decision record (schema versions 1-3).

The record schema here follows ``docs/record-format.md``; it describes the fields a reader
needs, and leaves ``additionalProperties`` open so a later minor addition does not break
clients.  The strict, complete schema of every field is the JSON Schema served at
``/schema/decision-record.json`` (``voting/schema/decision-record.schema.json``).
"""

from __future__ import annotations

from typing import Any

from grantpanel.vocabulary import (
    Aggregation,
    ConflictCategory,
    ConsentPosition,
    DeclaredBy,
    DeclaredWhen,
    FitRule,
    Involvement,
    Outcome,
    ResultStatus,
    StageKind,
    TieBreak,
)

DECIMAL = {
    "type": "string",
    "pattern": r"^-?\d+\.\d{2}$",
    "description": "An exact value rounded half-to-even to 2 decimal places, as a string.",
}
NULLABLE_DECIMAL = {"oneOf": [DECIMAL, {"type": "null"}]}
DIGEST = {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"}
MONEY = {"type": "integer", "description": "Integer minor units (pence for GBP)."}
APP_ID = {"type": "string", "examples": ["A-001"]}
PSEUDONYM = {"type": "string", "examples": ["Panel member 3"]}
# Every enum below is read from grantpanel.vocabulary, the one list of keys.
TIE_BREAKS = list(TieBreak.values())
STATUSES = list(ResultStatus.values())
CATEGORIES = list(ConflictCategory.values())
INVOLVEMENT = list(Involvement.values())
# Record ids are database integers: 1 to the largest 32-bit signed integer. A path id outside
# this range is answered 404 like any unknown id (the app-wide URL converter's rule).
ID_MIN = 1
ID_MAX = 2_147_483_647


def _obj(properties: dict[str, Any], required: list[str] | None = None,
         description: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    schema["required"] = required if required is not None else sorted(properties)
    if description:
        schema["description"] = description
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def schemas() -> dict[str, Any]:
    return {
        "Error": _obj(
            {
                "error": {"type": "string", "description": "A short plain-English title."},
                "detail": {"type": "string", "description": "What was wrong, what to do."},
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
            },
            description=(
                "The body of every error the API answers (e.g. 404 unknown record; 405 method "
                "not allowed, with an `Allow` header listing the methods that work)."
            ),
        ),
        "RoundSummary": _obj(
            {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "record_url": {"type": "string", "format": "uri"},
                "page_url": {"type": "string", "format": "uri"},
                "digest": DIGEST,
                "previous_digest": {"oneOf": [DIGEST, {"type": "null"}]},
                "published_at": {"type": "string", "format": "date-time"},
            },
            required=["id", "name", "record_url", "digest", "published_at"],
        ),
        "RoundList": _obj(
            {"rounds": {"type": "array", "items": _ref("RoundSummary")}}
        ),
        "Criterion": _obj(
            {
                "key": {"type": "string"},
                "name": {"type": "string"},
                "guidance": {"type": "string"},
                "weight": {"type": "integer", "minimum": 1},
                "scale_min": {"type": "integer"},
                "scale_max": {"type": "integer"},
                "descriptors": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "One descriptor per point, scale_min to scale_max.",
                },
            }
        ),
        "ApplicationInput": _obj(
            {
                "id": APP_ID,
                "title": {"type": "string"},
                "summary": {"type": "string"},
                "amount": MONEY,
                "eligible": {"type": "boolean"},
                "eligibility_reason": {"type": "string"},
            },
            description="An application's public fields only.",
        ),
        "Sheet": _obj(
            {
                "member": PSEUDONYM,
                "application": APP_ID,
                "stage": {"type": "integer", "enum": [1, 2]},
                "scores": {
                    "type": "object",
                    "additionalProperties": {"type": ["integer", "null"]},
                    "description": "Criterion key to score; null means \"don't know\".",
                },
                "objection": {
                    "type": "boolean",
                    "description": "Schema 3 (required there): the member marked a strong "
                                   "objection (its reason is private).",
                },
            },
            required=["member", "application", "stage", "scores"],
            description="One submitted score sheet, pseudonymous.",
        ),
        "Conflict": _obj(
            {
                "member": PSEUDONYM,
                "application": APP_ID,
                "category": {"type": "string", "enum": CATEGORIES},
                "declared_by": {
                    "type": "string",
                    "enum": list(DeclaredBy.values()),
                    "description": "Schema 2 (required there): who recorded the conflict.",
                },
                "when": {
                    "type": "string",
                    "enum": list(DeclaredWhen.values()),
                    "description": "Schema 2 (required there): before or after scoring closed.",
                },
                "reason": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 1000,
                    "description": "Schema 2, after-close conflicts only: the published reason.",
                },
            },
            required=["member", "application", "category"],
        ),
        "AfterCloseChange": _obj(
            {
                "kind": {"type": "string", "enum": ["conflict"]},
                "member": PSEUDONYM,
                "application": APP_ID,
                "declared_by": {"type": "string", "enum": list(DeclaredBy.values())},
                "reason": {"type": "string", "minLength": 1, "maxLength": 1000},
                "sheet_withdrawn": {"type": "boolean"},
            },
            description=(
                "Schema 2: a change made after scoring closed (a conflict recorded late), "
                "with whether it withdrew a submitted sheet from the count."
            ),
        ),
        "ApplicationOutput": _obj(
            {
                "id": APP_ID,
                "n_scores": {"type": "integer"},
                "n_conflicts": {"type": "integer"},
                "eligible": {"type": "boolean"},
                "quorum_met": {"type": "boolean"},
                "aggregate": NULLABLE_DECIMAL,
                "mean": NULLABLE_DECIMAL,
                "median": NULLABLE_DECIMAL,
                "min": NULLABLE_DECIMAL,
                "max": NULLABLE_DECIMAL,
                "sd": NULLABLE_DECIMAL,
                "criteria": {"type": "object", "additionalProperties": NULLABLE_DECIMAL},
                "rank": {"type": ["integer", "null"], "minimum": 1},
                "status": {"type": "string", "enum": STATUSES},
            }
        ),
        "Override": _obj(
            {
                "application": APP_ID,
                "action": {"type": "string", "enum": ["fund", "unfund"]},
                "reason": {"type": "string", "minLength": 1},
            }
        ),
        "DecisionRecord": {
            "type": "object",
            "description": (
                "A published decision record (schema version 1, 2 or 3, see "
                "docs/record-format.md; every field strictly in the JSON Schema at "
                "/schema/decision-record.json). The file is canonical JSON: "
                "UTF-8, sorted keys, no insignificant whitespace. `digest` is \"sha256:\" + "
                "the SHA-256 of the canonical JSON of the record without `digest`. Check it "
                "with `python -m voting verify RECORD.json`."
            ),
            "required": [
                "schema_version", "voting_version", "organisation", "round", "rules",
                "rubric", "applications", "panel", "sheets", "conflicts", "randomness",
                "outputs", "decision", "previous_digest", "digest",
            ],
            "properties": {
                "schema_version": {"type": "integer", "enum": [1, 2, 3]},
                "voting_version": {"type": "string"},
                "organisation": {"type": "string"},
                "round": _obj(
                    {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "purpose": {"type": "string"},
                        "currency": {"type": "string", "examples": ["GBP"]},
                        "budget": MONEY,
                        "involvement": {"type": "string", "enum": INVOLVEMENT},
                        "binding": {
                            "type": "boolean",
                            "description": "True only for co-production.",
                        },
                        "published_at": {"type": "string", "format": "date-time"},
                    }
                ),
                "rules": _obj(
                    {
                        "method": {"type": "string", "examples": ["scores"],
                                   "description": "Schema 1 and 2 only."},
                        "aggregation": {"type": "string", "enum": list(Aggregation.values()),
                                        "description": "Schema 1 and 2 only."},
                        "quorum": {"type": "integer", "minimum": 0},
                        "fit_rule": {"type": "string", "enum": list(FitRule.values()),
                                     "description": "Schema 1 and 2 only."},
                        "tie_break": {
                            "type": "array",
                            "items": {"type": "string", "enum": TIE_BREAKS},
                            "description": "Applied in order; \"draw\" is always last.",
                        },
                        "stages": {
                            "type": "array",
                            "items": _obj(
                                {"kind": {"type": "string", "enum": list(StageKind.values())}},
                                description="One stage and its parameters.",
                            ),
                            "description": "Schema 3: the declared chain of stages, in order.",
                        },
                    },
                    required=["quorum", "tie_break"],
                ),
                "rubric": {"type": "array", "items": _ref("Criterion")},
                "applications": {"type": "array", "items": _ref("ApplicationInput")},
                "panel": {"type": "array", "items": PSEUDONYM},
                "sheets": {"type": "array", "items": _ref("Sheet")},
                "conflicts": {"type": "array", "items": _ref("Conflict")},
                "ballots": {
                    "type": "array",
                    "items": _obj(
                        {
                            "member": PSEUDONYM,
                            "stage": {"type": "string", "enum": [StageKind.RANKED.value]},
                            "ranking": {"type": "array", "items": APP_ID},
                            "approved": {"type": "array", "items": APP_ID},
                        },
                        required=["member", "stage"],
                        description="A ballot: `ranking` (most preferred first) or "
                                    "`approved` (approval method).",
                    ),
                    "description": "Schema 3 (required there): ballots, in panel order.",
                },
                "consents": {
                    "type": "array",
                    "items": _obj(
                        {
                            "member": PSEUDONYM,
                            "position": {"type": "string",
                                         "enum": list(ConsentPosition.values())},
                            "application": {"oneOf": [APP_ID, {"type": "null"}]},
                        },
                    ),
                    "description": "Schema 3 (required there): answers on the funded list.",
                },
                "randomness": _obj(
                    {
                        "commitment": DIGEST,
                        "seed": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                        "procedure": {"type": "string"},
                    }
                ),
                "outputs": _obj(
                    {
                        "applications": {"type": "array", "items": _ref("ApplicationOutput")},
                        "order": {"type": "array", "items": APP_ID},
                        "ties": {
                            "type": "array",
                            "items": _obj(
                                {
                                    "applications": {"type": "array", "items": APP_ID},
                                    "resolved_by": {"type": "string", "enum": TIE_BREAKS},
                                }
                            ),
                        },
                        "draws": {
                            "type": "array",
                            "items": _obj(
                                {
                                    "purpose": {"type": "string"},
                                    "applications": {"type": "array", "items": APP_ID},
                                    "order": {"type": "array", "items": APP_ID},
                                }
                            ),
                        },
                        "funding": _obj(
                            {
                                "funded": {"type": "array", "items": APP_ID},
                                "skipped": {"type": "array", "items": APP_ID},
                                "stopped_at": {"oneOf": [APP_ID, {"type": "null"}]},
                                "spent": MONEY,
                                "remaining": MONEY,
                                "line_after_rank": {"type": "integer"},
                            }
                        ),
                        "after_close": {
                            "type": "array",
                            "items": _ref("AfterCloseChange"),
                            "description": "Schema 2 (required there); absent in schema 1.",
                        },
                    },
                    required=["applications", "order", "ties", "draws", "funding"],
                ),
                "decision": _obj(
                    {
                        "outcome": {"type": "string", "enum": list(Outcome.values())},
                        "overrides": {"type": "array", "items": _ref("Override")},
                        "funded": {
                            "type": "array",
                            "items": _obj({"application": APP_ID, "amount": MONEY}),
                        },
                        "total": MONEY,
                    }
                ),
                "previous_digest": {"oneOf": [DIGEST, {"type": "null"}]},
                "digest": DIGEST,
            },
        },
    }


def _error(description: str) -> dict[str, Any]:
    """An error response: the JSON body every API error has (see the ``Error`` schema)."""
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _not_found() -> dict[str, Any]:
    return _error(
        "No published record for that round: the id is unknown, out of range, or the round "
        "is not published yet."
    )


def openapi_document(server_url: str = "/api/v1") -> dict[str, Any]:
    """The whole OpenAPI 3.1 document; ``server_url`` is the API's base URL."""
    round_id = {
        "name": "round_id",
        "in": "path",
        "required": True,
        "description": "The round's id, as listed by GET /rounds.",
        "schema": {"type": "integer", "minimum": ID_MIN, "maximum": ID_MAX},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "grantpanel open data API",
            "version": "1.0.0",
            "summary": "Published grant decisions and their verifiable decision records.",
            "description": (
                "Read-only and open to everyone, no sign-in. Only published rounds appear. "
                "Each record can be checked with `python -m voting verify RECORD.json`."
            ),
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/rounds": {
                "get": {
                    "operationId": "listPublishedRounds",
                    "summary": "List published rounds",
                    "description": "Published rounds, newest first, with record links.",
                    "responses": {
                        "200": {
                            "description": "The published rounds.",
                            "content": {"application/json": {"schema": _ref("RoundList")}},
                        }
                    },
                }
            },
            "/rounds/{round_id}/record": {
                "get": {
                    "operationId": "getDecisionRecord",
                    "summary": "Get a round's decision record",
                    "description": (
                        "The exact published bytes of the record (canonical JSON, UTF-8)."
                    ),
                    "parameters": [round_id],
                    "responses": {
                        "200": {
                            "description": "The decision record.",
                            "headers": {
                                "X-Record-Digest": {
                                    "description": "The record's digest (as in the body).",
                                    "schema": DIGEST,
                                }
                            },
                            "content": {
                                "application/json": {"schema": _ref("DecisionRecord")}
                            },
                        },
                        "404": _not_found(),
                    },
                }
            },
            "/schema/decision-record.json": {
                "get": {
                    "operationId": "getDecisionRecordSchema",
                    "summary": "Get the JSON Schema of the decision record",
                    "description": (
                        "The JSON Schema (draft 2020-12) of a published decision record, "
                        "every schema version (one branch per `schema_version`), strict: no "
                        "field it does not list. It checks each field's shape; "
                        "`python -m voting verify RECORD.json` checks the rest. The same file "
                        "is docs/decision-record.schema.json in the source."
                    ),
                    "responses": {
                        "200": {
                            "description": "The JSON Schema document.",
                            "content": {
                                "application/json": {"schema": {"type": "object"}}
                            },
                        }
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenAPIDocument",
                    "summary": "This document",
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.1 description of this API.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {"schemas": schemas()},
    }
