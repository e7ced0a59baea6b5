"""Walk every URL in ``app.url_map`` as each kind of visitor and check each refusal.

Visitors: anonymous, a panel member on the round, a panel member conflicted on the
application in the URL, and grants staff.  Rules:
- staff pages: anonymous -> sign-in redirect; panel members -> 403; staff -> allowed.
- panel pages: anonymous -> sign-in redirect; staff -> 403; member -> allowed, except
  an application they are conflicted on -> 403.
- public, api and auth pages: never a 403 or a 500 for anyone.
A new URL argument must be added to ARGS, so no page escapes the sweep.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from grantpanel.extensions import db
from grantpanel.models import User
from grantpanel.services.conflicts import declare_conflict
from tests.builders import make_member, make_round, make_user

ALLOWED = {200, 301, 302, 303, 400, 404, 405, 409}  # a refusal is only 403 or a sign-in redirect


@pytest.fixture()
def world(app: Flask) -> Iterator[dict[str, object]]:
    staff = make_user(role="staff", email="staff@example.org")
    rnd = make_round(state="open", applications=3, seed="0" * 64,
                     seed_commitment="sha256:" + "0" * 64)
    member = make_member(rnd, make_user(role="panel", email="member@example.org"))
    conflicted = make_member(rnd, make_user(role="panel", email="conflicted@example.org"))
    target = rnd.applications[0]
    from grantpanel.models import utcnow

    member.conflicts_checked_at = utcnow()
    conflicted.conflicts_checked_at = utcnow()
    declare_conflict(conflicted, target, category="family", note="my sister runs it",
                     declared_by=conflicted.user)
    db.session.commit()
    yield {
        "staff": staff,
        "member": member.user,
        "conflicted": conflicted.user,
        "args": {
            "round_id": rnd.id,
            "application_id": target.id,
            "membership_id": member.id,
            "member_id": member.id,
            "criterion_id": rnd.criteria[0].id,
            "position": 1,
            "token": "not-a-real-token",
            "filename": "app.css",
            "code": "cy",
            "name": "close",
            "reference": "A-001",
            "table": "applications",
            "fmt": "csv",
        },
    }


def _urls(app: Flask, args: dict[str, object]) -> list[tuple[str, str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()):
            continue
        missing = set(rule.arguments) - set(args)
        assert not missing, f"add {missing} to the sweep's ARGS for {rule.rule}"
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", str(args[name])).replace(
                f"<{name}>", str(args[name])).replace(f"<path:{name}>", str(args[name]))
        out.append((rule.endpoint, rule.rule, url))
    return out


def _as(client: FlaskClient, user: User | None) -> FlaskClient:
    with client.session_transaction() as sess:
        sess.clear()
        if user is not None:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
    return client


def test_every_url_refuses_the_wrong_visitor(app: Flask, client: FlaskClient,
                                              world: dict[str, object]) -> None:
    urls = _urls(app, world["args"])  # type: ignore[arg-type]
    assert len(urls) > 15
    failures: list[str] = []
    visitors: dict[str, User | None] = {
        "anonymous": None,
        "member": world["member"],  # type: ignore[dict-item]
        "conflicted": world["conflicted"],  # type: ignore[dict-item]
        "staff": world["staff"],  # type: ignore[dict-item]
    }
    for who, user in visitors.items():
        for endpoint, rule, url in urls:
            resp = _as(client, user).get(url)
            code, location = resp.status_code, resp.headers.get("Location", "")
            resp.close()
            audience = endpoint.split(".")[0]
            if audience in ("staff", "panel"):
                if who == "anonymous":
                    ok = code == 302 and "/sign-in" in location
                    want = "a sign-in redirect"
                elif (audience == "staff") != (who == "staff"):
                    ok, want = code == 403, "403"
                elif who == "conflicted" and "application_id" in rule:
                    ok, want = code == 403, "403 (conflicted on this application)"
                else:
                    ok, want = code in ALLOWED, "allowed"
            else:
                ok, want = code in ALLOWED, "no refusal"
            if not ok:
                failures.append(f"{who:10} GET {url} ({endpoint}) -> {code}, wanted {want}")
    assert not failures, "\n".join(failures)
