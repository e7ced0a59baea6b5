"""Shared helpers for the panel member's page tests: URLs, score forms, rounds, members."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from grantpanel.extensions import db
from grantpanel.models import Membership, Round, ScoreSheet, User, utcnow
from tests.builders import make_member, make_round
from tests.helpers import csrf_token

Login = Callable[[User], FlaskClient]


def conflicts_url(rnd: Round) -> str:
    return f"/panel/rounds/{rnd.id}/conflicts"


def app_url(rnd: Round, index: int = 0) -> str:
    return f"/panel/rounds/{rnd.id}/applications/{rnd.applications[index].id}"


def field(rnd: Round, position: int) -> str:
    return f"criterion_{rnd.criteria[position].id}"


def score_form(rnd: Round, answers: list[str], **extra: str) -> dict[str, str]:
    """Form data choosing ``answers`` (point values, "dont-know", or "" to leave unanswered)."""
    data = {field(rnd, i): a for i, a in enumerate(answers) if a}
    data.setdefault("panel_note", "")
    data.setdefault("feedback", "")
    data.update(extra)
    return data


def post_scores(client: FlaskClient, rnd: Round, data: dict[str, str], index: int = 0,
                follow: bool = False, **kwargs: object) -> TestResponse:
    url = app_url(rnd, index)
    token = csrf_token(client, url)
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=follow,
                       **kwargs)  # type: ignore[arg-type]


def sheets() -> list[ScoreSheet]:
    return list(db.session.scalars(select(ScoreSheet).execution_options(populate_existing=True)))


def open_round(**fields: object) -> Round:
    return make_round(applications=3, state="open", **fields)


def checked_member(rnd: Round) -> Membership:
    return make_member(rnd, conflicts_checked_at=utcnow())
