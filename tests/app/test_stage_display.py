"""Each stage's outputs on the pages: the macros, the public outcome page of a schema-3 record
(plain-English chain, round-by-round table and chart) and schema-1/2 pages left as they were."""

from __future__ import annotations

import copy
import html
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, render_template_string
from flask.testing import FlaskClient

from grantpanel.extensions import db
from grantpanel.models import PublishedRecord, Round, User
from grantpanel.services import publication
from tests.app.record_builders import canonical, digest_of, make_published_round
from tests.builders import make_round
from tests.helpers import run_count

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

STAGES: list[dict[str, Any]] = [
    {"kind": "scores", "aggregation": "mean", "trim": "0.00", "calibration": "additive"},
    {"kind": "consensus", "measure": "sd", "threshold": "1.50", "rescore": True},
    {"kind": "ranked", "method": "irv", "shortlist": "top", "size": 3, "above": None,
     "seats": None},
    {"kind": "funding", "rule": "in-order", "fit_rule": "skip", "utilities": None,
     "completion": None, "lottery": True},
    {"kind": "consent", "rule": "supermajority", "threshold": "2/3"},
]
TITLES = {"A-001": "Warm hub at St Mark's", "A-002": "Friday food club",
          "A-003": "Debt advice drop-in", "A-004": "Kinship carers' group"}

STAGE_OUTPUTS: dict[str, Any] = {
    "stages": ["scores", "consensus", "ranked", "funding", "consent"],
    "calibration": {"method": "additive", "components": 2, "warning": True},
    "consensus": {
        "alpha": "0.412",
        "flagged": ["A-003", "A-001"],
        "applications": [
            {"id": "A-001", "sd": "1.80", "iqr": "2.00", "range": "4.00", "flagged": True,
             "reasons": ["disagreement"], "stage2_sheets": 2},
            {"id": "A-002", "sd": "0.50", "iqr": "0.50", "range": "1.00", "flagged": False,
             "reasons": [], "stage2_sheets": 0},
            {"id": "A-003", "sd": "2.90", "iqr": "3.00", "range": "6.00", "flagged": True,
             "reasons": ["disagreement", "objection"], "stage2_sheets": 0},
            {"id": "A-004", "sd": None, "iqr": None, "range": None, "flagged": False,
             "reasons": [], "stage2_sheets": 0},
        ],
    },
    "ranked": {
        "method": "irv", "seats": None, "shortlist": ["A-001", "A-002", "A-003"],
        "ballots": 3, "winners": ["A-002", "A-001", "A-003"],
        "order": ["A-002", "A-001", "A-003"],
        "rounds": [
            {"round": 1, "tallies": {"A-001": 1, "A-002": 1, "A-003": 1}, "threshold": 2,
             "elected": [], "eliminated": ["A-003"],
             "transfers": {"A-003": -1, "A-002": 1}, "exhausted": 0,
             "note": "A-003 has the fewest votes and is excluded"},
            {"round": 2, "tallies": {"A-001": 1, "A-002": 2}, "threshold": 2,
             "elected": ["A-002"], "eliminated": [], "transfers": {}, "exhausted": 1,
             "note": "A-002 elected"},
        ],
        "counts": [],
    },
    "funding": {"funded": ["A-002", "A-001"], "skipped": ["A-003"], "stopped_at": None,
                "spent": 700_000, "remaining": 300_000, "line_after_rank": 2,
                "rule": "in-order", "lottery": {"group": ["A-001", "A-003"],
                                                "order": ["A-001", "A-003"]}},
    "consent": {"rule": "supermajority", "threshold": "2/3", "consents": 3,
                "objections": [{"member": "Panel member 3", "application": "A-001"}],
                "passed": True},
    "sensitivity": [
        {"change": "aggregation=median", "funded": ["A-001", "A-002"], "same": True},
        {"change": "method=schulze", "funded": ["A-002", "A-003"], "same": False},
    ],
    "depends": ["A-001", "A-003"],
}

MACROS = """{% import "macros/stages.html" as m %}{{ m[name](*args) }}"""


def _render(name: str, *args: Any) -> str:
    return html.unescape(render_template_string(MACROS, name=name, args=args))


def test_the_calibration_note_warns_of_a_disconnected_design_in_plain_words(
    app: Flask,
) -> None:
    with app.test_request_context():
        staff = _render("calibration", STAGE_OUTPUTS, STAGES, True, "s-")
        public = _render("calibration", STAGE_OUTPUTS, STAGES, False, "p-")
    assert "2 separate groups that never scored the same applications" in staff
    assert "give some applications to reviewers from more than one group" in staff
    assert "give some applications" not in public


def test_the_consensus_table_gives_each_figure_flag_and_reason(app: Flask) -> None:
    with app.test_request_context():
        out = _render("consensus", STAGE_OUTPUTS, STAGES, TITLES, True, "s-")
    assert "more than 1.50" in out
    assert "2 applications were flagged" in out
    assert "Krippendorff's alpha): 0.412" in out and "The panel agreed no more" not in out
    assert "The panel often disagreed." in out
    assert "2.90" in out and "6.00" in out
    assert "The totals were far apart, and a panel member objected strongly." in out
    assert out.index("Flagged applications, most disagreement first") < out.index(
        "A-003: Debt advice drop-in</li>")
    assert "stage-2 scores replaced the first ones" in out


def test_the_ranked_stage_shows_the_round_by_round_table_and_the_chart(app: Flask) -> None:
    with app.test_request_context():
        out = render_template_string(MACROS, name="ranked",
                                     args=(STAGE_OUTPUTS, STAGES, TITLES, True, "s-"))
    assert "Instant runoff" in out
    assert "3 panel members voted." in out
    assert "The count, round by round" in out
    assert "Round 1" in out and "Round 2" in out
    assert "taken out" in out and "chosen" in out
    assert "Exhausted ballots" in out and "moved: -1" in out
    svg = out[out.index("<svg"): out.index("</svg>") + 6]
    ET.fromstring(svg)


def test_funding_consent_and_sensitivity_render(app: Flask) -> None:
    with app.test_request_context():
        funding = _render("funding", STAGE_OUTPUTS, STAGES, TITLES, "GBP", True, "s-")
        consent = _render("consent", STAGE_OUTPUTS, STAGES, TITLES, True, "s-")
        sens = _render("sensitivity", STAGE_OUTPUTS, TITLES, True, "s-")
    assert "Fund down the list" in funding and "£7,000.00 was given" in funding
    assert "The lottery at the funding line" in funding
    assert "A large majority" in consent and "At least 2/3" in consent
    assert "Panel member 3 objected to A-001: Warm hub at St Mark's." in consent
    assert "Passed" in consent
    assert "Results by Median (middle score)" in sens
    assert "Ranked vote by Schulze" in sens and "No, it changes" in sens
    assert "2 applications are funded under some methods but not others" in sens


def test_a_failed_consent_tells_staff_they_may_reopen_a_stage(app: Flask) -> None:
    failed = dict(STAGE_OUTPUTS, consent=dict(STAGE_OUTPUTS["consent"], passed=False))
    with app.test_request_context():
        staff = _render("consent", failed, STAGES, TITLES, True, "s-")
        public = _render("consent", failed, STAGES, TITLES, False, "p-")
    assert "Not passed" in staff and "reopen a stage" in staff
    assert "reopen a stage" not in public


def test_macros_render_nothing_for_stages_the_round_did_not_have(app: Flask) -> None:
    bare = {"stages": ["scores", "funding"], "calibration": None, "consensus": None,
            "ranked": None, "funding": STAGE_OUTPUTS["funding"], "consent": None,
            "sensitivity": []}
    with app.test_request_context():
        out = _render("all_stages", bare, STAGES[:1] + STAGES[3:4], TITLES, "GBP", False, "p-")
    assert "Sharing out the money" in out
    for heading in ("Where the panel disagreed", "The ranked vote", "consent to the funded",
                    "Would another method", "harsh and generous"):
        assert heading not in out


def test_hostile_titles_are_escaped_in_the_stage_tables(app: Flask) -> None:
    hostile = dict(TITLES, **{"A-001": "<script>alert(1)</script>"})
    with app.test_request_context():
        raw = render_template_string(MACROS, name="all_stages",
                                     args=(STAGE_OUTPUTS, STAGES, hostile, "GBP", True, "s-"))
    assert "<script>" not in raw


# --- the public outcome page ---------------------------------------------------------------


def _schema_3_record(record: dict[str, Any]) -> dict[str, Any]:
    r = copy.deepcopy(record)
    r["schema_version"] = 3
    r["rules"] = {"quorum": 3, "tie_break": ["smaller_amount", "draw"], "stages": STAGES}
    r["ballots"] = []
    r["consents"] = []
    r["outputs"].update(copy.deepcopy(STAGE_OUTPUTS))
    r["outputs"]["funding"]["line_after_rank"] = 3
    return r


def _publish(record: dict[str, Any]) -> Round:
    """Publish ``record`` for a new round of its own (records are append-only)."""
    rnd = make_round(name=record["round"]["name"], state="published",
                     seed=record["randomness"]["seed"],
                     seed_commitment=record["randomness"]["commitment"])
    record = dict(record, round=dict(record["round"], id=rnd.id), previous_digest=None)
    record.pop("digest", None)
    record["digest"] = digest_of(record)
    db.session.add(PublishedRecord(round_id=rnd.id, body=canonical(record),
                                   digest=record["digest"], previous_digest=None))
    db.session.commit()
    return rnd


def test_the_outcome_page_of_a_schema_3_record_explains_each_stage_and_shows_the_count(
    client: FlaskClient,
) -> None:
    _, pr = make_published_round()
    rnd = _publish(_schema_3_record(json.loads(pr.body)))
    resp = client.get(f"/rounds/{rnd.id}")
    assert resp.status_code == 200
    page = html.unescape(resp.get_data(as_text=True))
    assert "The panel's decision went through 5 stages, in this order:" in page
    for label in ("Scores", "Consensus check", "Ranked vote", "Funding", "Consent"):
        assert f'<h3 class="heading-s">{label}</h3>' in page
    assert "instant-runoff counts" in page  # the chain's own sentence (voting.stages)
    assert "We counted first choices" in page  # the method's explanation (voting.registry)
    assert "The decision, stage by stage" in page
    assert "The count, round by round" in page and "<svg" in page
    assert 'role="img"' in page
    assert "Would another method have changed the result?" in page
    assert "Result used for ranking" not in page  # a schema-1/2 line with no schema-3 meaning


def test_schema_1_outcome_pages_are_unchanged(client: FlaskClient) -> None:
    rnd, pr = make_published_round()
    page = html.unescape(client.get(f"/rounds/{rnd.id}").get_data(as_text=True))
    assert "Result used for ranking" in page
    assert "The decision, stage by stage" not in page
    assert "<svg" not in page
    view = publication.outcome_view(json.loads(pr.body))
    assert view.stages == [] and view.stage_paragraphs == [] and view.outputs == {}


def test_schema_2_outcome_pages_are_unchanged(client: FlaskClient) -> None:
    rnd = _publish(json.loads((FIXTURES / "record-schema-2.json").read_text(encoding="utf-8")))
    page = html.unescape(client.get(f"/rounds/{rnd.id}").get_data(as_text=True))
    assert "Result used for ranking" in page
    assert "Conflicts of interest recorded after scoring closed" in page
    assert "The decision, stage by stage" not in page and "<svg" not in page


def test_stage_paragraphs_fall_back_to_each_kind_for_an_unknown_chain(app: Flask) -> None:
    with app.test_request_context():
        paras = publication.stage_paragraphs([{"kind": "scores", "aggregation": "mode"}])
    assert [p.kind for p in paras] == ["scores"]
    assert "score each application" in paras[0].text


# --- the staff count page ------------------------------------------------------------------


def test_the_staff_count_page_shows_each_stage_from_the_preview(
    login_as: Callable[[User], FlaskClient],
) -> None:
    from tests.app.test_meeting import _world

    w = _world()
    client = login_as(w["staff"])
    assert run_count(client, w["rnd"].id).status_code == 302
    resp = client.get(f"/staff/rounds/{w['rnd'].id}/count")
    page = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 200, page[:2000]
    assert "What each stage found" in page
    assert "Stages run, in order: Scores, Consensus check, Funding." in page
    assert "Where the panel disagreed" in page
    assert f"/meeting/rounds/{w['rnd'].id}" in page
    assert "Sharing out the money" in page


def test_the_methods_page_lists_every_kind_of_stage(client: FlaskClient) -> None:
    page = html.unescape(client.get("/how-decisions-are-made").get_data(as_text=True))
    assert "Decisions in stages" in page
    for label in ("Scores", "Consensus check", "Ranked vote", "Funding", "Consent"):
        assert f"<dt>{label}</dt>" in page


def test_the_count_page_of_a_confirmed_decision_shows_the_stored_stages(
    login_as: Callable[[User], FlaskClient],
) -> None:
    from grantpanel.services import rounds
    from tests.app.test_meeting import _world

    w = _world()
    rounds.apply_transition(w["rnd"], "decide", w["staff"], overrides=[])
    db.session.commit()
    resp = login_as(w["staff"]).get(f"/staff/rounds/{w['rnd'].id}/count")
    page = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 200
    assert "What each stage found" in page and "Where the panel disagreed" in page
