"""One vocabulary: the app's key sets equal ``voting``'s, and the database refuses other keys.

A key known to one side only (a new tie-break added to ``voting`` but not to the app's labels,
or the other way round) fails here, before a record with a key nobody can explain is published.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError

import voting.panel
import voting.record
import voting.stages
from grantpanel import vocabulary as v
from grantpanel.api.openapi import openapi_document
from grantpanel.extensions import db
from grantpanel.models import Round
from tests.builders import make_round
from voting.cli import main as voting_main
from voting.registry import METHODS

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "record-schema-1.json"


@pytest.mark.parametrize(
    ("voting_keys", "enum_cls"),
    [
        (voting.stages.AGGREGATIONS_3, v.Aggregation),
        (voting.stages.STAGE_KINDS, v.StageKind),
        (voting.stages.CALIBRATIONS, v.Calibration),
        (voting.stages.CONSENSUS_MEASURES, v.ConsensusMeasure),
        (voting.stages.SHORTLIST_RULES, v.ShortlistRule),
        (voting.stages.FUNDING_RULES, v.FundingRule),
        (voting.stages.UTILITIES, v.Utilities),
        (voting.stages.COMPLETIONS, v.Completion),
        (voting.stages.CONSENT_RULES, v.ConsentRule),
        (voting.stages.CONSENT_POSITIONS, v.ConsentPosition),
        (voting.panel.FIT_RULES, v.FitRule),
        (voting.panel.TIE_BREAKS, v.TieBreak),
        (voting.panel.INVOLVEMENT_LEVELS, v.Involvement),
        (voting.panel.CONFLICT_CATEGORIES, v.ConflictCategory),
        (voting.panel.STATUSES, v.ResultStatus),
        (voting.record.DECLARED_BY, v.DeclaredBy),
        (voting.record.WHEN, v.DeclaredWhen),
        (voting.record.OUTCOMES, v.Outcome),
        (tuple(METHODS), v.MethodKey),
    ],
    ids=lambda x: x.__name__ if isinstance(x, type) else None,
)
def test_each_key_set_voting_knows_is_exactly_the_apps(
    voting_keys: tuple[str, ...], enum_cls: type[v.Vocabulary]
) -> None:
    assert set(enum_cls.values()) == set(voting_keys)
    assert len(enum_cls.values()) == len(voting_keys)


def test_schema_1_aggregations_are_still_known_to_the_app() -> None:
    assert set(voting.panel.AGGREGATIONS) <= set(v.Aggregation.values())


def test_the_stage_kinds_are_in_the_order_the_stages_run() -> None:
    assert v.StageKind.values() == voting.stages.STAGE_KINDS


def test_the_ranked_methods_staff_can_choose_are_voting_s(app: Flask) -> None:
    from grantpanel.staff.forms import ranked_method_choices

    with app.test_request_context():
        offered = [c.value for c in ranked_method_choices()]
    assert offered == list(voting.stages.RANKED_METHODS)
    assert set(offered) <= set(v.MethodKey.values())
    assert all({"ranked", "approval"} & set(METHODS[k].ballots) for k in offered)


def test_the_method_keys_are_what_python_m_voting_methods_prints() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert voting_main(["methods"]) == 0
    printed = [line.split()[0] for line in out.getvalue().splitlines() if line.strip()]
    assert printed == list(v.MethodKey.values())


def test_every_status_in_the_frozen_schema_1_record_has_a_label(app: Flask) -> None:
    record = json.loads(FIXTURE.read_bytes())
    statuses = {a["status"] for a in record["outputs"]["applications"]}
    assert statuses <= set(v.ResultStatus.values())
    with app.test_request_context():
        for key in statuses:
            assert v.ResultStatus(key).label and v.ResultStatus(key).tag.startswith("tag-")


@pytest.mark.parametrize("enum_cls", list(v.ALL.values()), ids=list(v.ALL))
def test_every_key_has_a_plain_label_and_keys_are_unique(
    app: Flask, enum_cls: type[v.Vocabulary]
) -> None:
    with app.test_request_context():
        labels = [m.label for m in enum_cls]
    assert all(label.strip() and label != "None" for label in labels)
    assert len(set(enum_cls.values())) == len(enum_cls.values())


def test_a_member_is_its_key_so_records_and_json_carry_plain_strings() -> None:
    assert v.TieBreak.DRAW == "draw"
    assert json.dumps({"k": v.Involvement.CO_DESIGN}) == '{"k": "co-design"}'
    assert v.Aggregation.get("mode") is None
    assert v.Aggregation.get("median") is v.Aggregation.MEDIAN


def test_choices_list_every_key_in_order_with_its_label(app: Flask) -> None:
    with app.test_request_context():
        choices = [(k, str(label)) for k, label in v.FitRule.choices()]
        explained = [(k, str(label)) for k, label in v.Aggregation.explained_choices()]
    assert choices == [("skip", "Skip it and carry on"), ("stop", "Stop there")]
    assert explained[0] == ("mean", "Mean (average): Add up the panel's totals and divide by "
                                    "how many.")
    assert "draw" not in dict(v.TieBreak.explained_choices(exclude=(v.TieBreak.DRAW,)))


def test_the_openapi_document_lists_the_vocabulary_keys(app: Flask) -> None:
    with app.test_request_context():
        doc = json.dumps(openapi_document())
    for enum_cls in (v.TieBreak, v.ResultStatus, v.ConflictCategory, v.Involvement,
                     v.Aggregation, v.FitRule, v.Outcome, v.DeclaredBy, v.DeclaredWhen):
        assert json.dumps(list(enum_cls.values())) in doc, enum_cls.__name__


@pytest.mark.parametrize(
    ("column", "bad"),
    [("state", "archived"), ("involvement", "tokenism"), ("aggregation", "mode"),
     ("fit_rule", "squeeze")],
)
def test_the_database_refuses_a_key_outside_the_vocabulary(
    app: Flask, column: str, bad: str
) -> None:
    rnd = make_round()
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(text(f"UPDATE round SET {column} = :bad WHERE id = :id"),
                           {"bad": bad, "id": rnd.id})
    db.session.rollback()


def test_the_model_refuses_an_unknown_key_before_it_reaches_the_database(app: Flask) -> None:
    rnd = make_round()
    rnd.aggregation = "mode"  # type: ignore[assignment]
    with pytest.raises(StatementError):
        db.session.flush()
    db.session.rollback()


def test_a_stored_key_comes_back_as_its_enum_member(app: Flask) -> None:
    rnd_id = make_round(state="open", aggregation="median").id
    db.session.commit()
    db.session.expire_all()
    rnd: Any = db.session.get(Round, rnd_id)
    assert rnd.state is v.RoundState.OPEN
    assert rnd.aggregation is v.Aggregation.MEDIAN
    assert rnd.lifecycle.accepts_scores
