"""The audit log for staff: plain words, references and names instead of ids, filters, paging.

Every action code the code records and every detail key it writes has words in
``grantpanel.services.audit`` (checked here by reading the source), so the log never shows a
raw code to a person.
"""

from __future__ import annotations

import ast
import html
import re
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from grantpanel.extensions import db
from grantpanel.lifecycle import TRANSITIONS
from grantpanel.models import User
from grantpanel.services import audit
from tests.builders import make_application, make_member, make_round, make_user
from tests.helpers import text


def log_of(client: FlaskClient, url: str) -> str:
    """The log's entries (after the filter form), with HTML entities decoded."""
    page = html.unescape(text(client.get(url)))
    return page.split('id="audit-count"', 1)[1]

Login = Callable[[User], FlaskClient]
ROOT = Path(__file__).resolve().parents[2]


def _recorded() -> tuple[set[str], set[str]]:
    """Action codes and detail keys passed to ``audit.record`` anywhere in grantpanel/."""
    codes: set[str] = set()
    keys: set[str] = set()
    for path in (ROOT / "grantpanel").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "record"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"):
                continue
            first = node.args[0] if node.args else None
            options = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
            codes |= {o.value for o in options
                      if isinstance(o, ast.Constant) and isinstance(o.value, str)}
            keys |= {k.arg for k in node.keywords if k.arg not in (None, "actor", "round_id")}
    return codes, keys


def test_every_recorded_action_and_detail_has_words() -> None:
    codes, keys = _recorded()
    assert len(codes) > 20
    assert codes - set(audit.ACTIONS) == set(), "add words for these to audit.ACTIONS"
    assert set(audit.ACTIONS) - codes == set(), "audit.ACTIONS has words nobody records"
    transition_keys = {"source", "target"}
    assert keys - set(audit.DETAIL_LABELS) - transition_keys == set()
    for name in TRANSITIONS:
        assert audit.action_label(f"round.{name}") == TRANSITIONS[name].label_text
    assert audit.action_label("something.new") == "something.new"


def test_ids_are_shown_as_references_and_names(
    app: Flask, login_as: Login
) -> None:
    staff = make_user(role="staff", name="Grace Grants")
    rnd = make_round(state="open")
    application = make_application(rnd, reference="A-042")
    member = make_member(rnd, make_user(name="Amira Hassan"))
    audit.record("conflict.declared", actor=staff, round_id=rnd.id,
                 application_id=application.id, membership_id=member.id, reason="my sister")
    audit.record("application.eligibility", actor=None, round_id=rnd.id,
                 application_id=application.id, eligible=False)
    db.session.commit()
    page = log_of(login_as(staff), f"/staff/rounds/{rnd.id}/audit")
    assert "Recorded a conflict of interest" in page
    assert "A-042" in page
    assert f"Panel member {member.number} (Amira Hassan)" in page
    assert "my sister" in page
    assert "Changed whether an application is eligible" in page
    assert "The system" in page
    assert "application_id" not in page and "membership_id" not in page
    assert re.search(r"<dt>Eligible</dt><dd>No</dd>", page)


def test_filters_by_what_and_by_who_and_pages(app: Flask, login_as: Login) -> None:
    staff = make_user(role="staff", name="Grace Grants")
    panel = make_user(role="panel", name="Dev Patel")
    rnd = make_round(state="open")
    for i in range(audit.AUDIT_PAGE_SIZE + 5):
        audit.record("sheet.saved", actor=panel, round_id=rnd.id, n=i)
    audit.record("round.updated", actor=staff, round_id=rnd.id, changed=["name"])
    db.session.commit()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/audit"
    first = log_of(client, url)
    assert "56 entries" in first and "Page 1 of 2" in first
    assert "Changed the round's details" in first  # newest first
    second = log_of(client, url + "?page=2")
    assert "Page 2 of 2" in second and "Changed the round's details" not in second
    staff_only = log_of(client, url + "?who=staff")
    assert "1 entry" in staff_only and "Saved a draft score sheet" not in staff_only
    saves = log_of(client, url + "?action=sheet.saved&who=panel")
    assert "55 entries" in saves
    nothing = log_of(client, url + "?action=sheet.saved&who=system")
    assert "Nothing in this round's log matches" in nothing
    # hostile or unknown filters are ignored or match nothing, never an error
    for query in ("?who=<x>", "?action=" + "x" * 500, "?page=-3", "?page=abc"):
        assert client.get(url + query).status_code == 200


def test_panel_members_cannot_read_the_log(app: Flask, login_as: Login) -> None:
    rnd = make_round(state="open")
    member = make_member(rnd)
    db.session.commit()
    assert login_as(member.user).get(f"/staff/rounds/{rnd.id}/audit").status_code in (302, 403)
