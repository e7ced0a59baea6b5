"""Hostile input never causes a server error, and no field stores more than it says it takes.

The fuzzer finds every form from ``app.url_map`` (every rule that accepts POST), fills the
URL with ids of real objects from a seeded world (a draft round, an open round, a closed
round with scores), GETs the page to learn the form's fields (inputs, selects, textareas),
and posts generated hostile values with a valid CSRF token: as staff to staff pages, as a
panel member to panel pages, signed out to the sign-in and invitation pages. After the
posts, every text stored in the database is checked against its column's limit and for
control characters. Hypothesis runs derandomized, so CI sees the same posts every time.

The explicit tests below the fuzzer pin each bug it found: NUL bytes, integer overflow in
number fields and URL ids, Unicode digits (``²``, ``٣``) as scores and numbers, 1 MB text,
and a 500 page that claimed nothing was lost.
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import JSON, String, Text, select
from werkzeug.routing import Rule

import voting
from config import TestingConfig
from grantpanel import create_app
from grantpanel.extensions import db, limiter
from grantpanel.forms_base import DEFAULT_MAX_LENGTH
from grantpanel.models import Application, Round, ScoreSheet, User, utcnow
from grantpanel.services import accounts, applications, conflicts, rounds, scoring
from grantpanel.staff import forms as staff_forms
from grantpanel.textcheck import CONTROL_CHARACTERS
from tests.builders import make_member, make_round, make_user
from tests.helpers import csrf_token, submit, text

PASSWORD = "correct horse battery"
SEED = "5" * 64
# The stated limit of each Text column a form writes (String columns have their own length).
TEXT_LIMITS = {
    ("round", "purpose"): rounds.PURPOSE_MAX_LENGTH,
    ("criterion", "guidance"): rounds.GUIDANCE_MAX_LENGTH,
    ("application", "summary"): applications.MAX_SUMMARY,
    ("application", "answers"): applications.MAX_ANSWERS,
    ("application", "eligibility_reason"): staff_forms.ELIGIBILITY_REASON_MAX_LENGTH,
    ("user", "access_needs"): staff_forms.ACCESS_NEEDS_MAX_LENGTH,
    ("conflict", "note"): conflicts.NOTE_MAX_LENGTH,
    ("score_sheet", "panel_note"): scoring.NOTE_MAX_LENGTH,
    ("score_sheet", "feedback"): scoring.NOTE_MAX_LENGTH,
}
LONGEST_TEXT = DEFAULT_MAX_LENGTH  # any other Text column, and text inside JSON columns
# Stored bodies the application computes (canonical JSON, hashes), not text anyone typed.
COMPUTED_COLUMNS = {("published_record", "body"), ("decision", "count")}

# --- the world the fuzzer posts into ---------------------------------------------------------


@dataclass
class World:
    staff: User
    member: User  # on every round, conflicts checked
    newcomer: User  # on the open round, conflicts not yet checked
    draft: Round
    open: Round
    closed: Round
    invitation_token: str


def _scored_closed_round(staff: User, member: User) -> Round:
    rnd = make_round(
        name="Closed round", state="closed", budget=200_000, applications=3, amount=100_000,
        quorum=1, seed=SEED, seed_commitment=voting.seed_commitment(SEED),
    )
    m = make_member(rnd, member, conflicts_checked_at=utcnow())
    for i, a in enumerate(rnd.applications):
        db.session.add(ScoreSheet(membership_id=m.id, application_id=a.id, status="submitted",
                                  scores={"c1": 5 - i, "c2": 3}, submitted_at=utcnow()))
    return rnd


def _world() -> World:
    staff = make_user(role="staff", email="staff@example.org", name="Grace Grants")
    member = make_user(role="panel", email="member@example.org", name="Pat Panel")
    newcomer = make_user(role="panel", email="newcomer@example.org", name="Nia New")
    invited = make_user(role="panel", email="invited@example.org", password=None)
    draft = make_round(name="Draft round", applications=3)
    make_member(draft, member, conflicts_checked_at=utcnow())
    opened = make_round(name="Open round", state="open", applications=3, seed=SEED,
                        seed_commitment=voting.seed_commitment(SEED))
    make_member(opened, member, conflicts_checked_at=utcnow())
    make_member(opened, newcomer)
    make_member(opened, invited)
    closed = _scored_closed_round(staff, member)
    token = accounts.create_invitation(invited, round_id=opened.id, actor=staff)
    db.session.commit()
    return World(staff, member, newcomer, draft, opened, closed, token)


# Which round (and which visitor) each form is posted in. Staff set-up pages need a draft
# round, the count needs a closed one, the panel pages an open one.
_ROUND_FOR = {"staff.count": "closed"}


def _round_for(endpoint: str) -> str:
    if endpoint in _ROUND_FOR:
        return _ROUND_FOR[endpoint]
    return "open" if endpoint.startswith("panel.") else "draft"


def _url_for_rule(rule: Rule, world: World) -> str:
    rnd: Round = getattr(world, _round_for(rule.endpoint))
    member_of = {m.user_id: m for m in rnd.memberships}
    args: dict[str, object] = {
        "round_id": rnd.id,
        "application_id": rnd.applications[0].id,
        "membership_id": member_of[world.member.id].id,
        "member_id": world.member.id,  # the people pages: a panel member's account
        "criterion_id": rnd.criteria[0].id,
        "position": 1,
        "token": world.invitation_token,
        "reference": rnd.applications[0].reference,
        "name": "open",
        "direction": "down",
        "filename": "app.css",
        "kind": "members",
        "person_id": world.member.id,
        "tag_id": 1,  # no such tag: removing it is refused in plain words
    }
    missing = set(rule.arguments) - set(args)
    assert not missing, f"add {missing} to the fuzzer's URL arguments for {rule.rule}"
    built = rule.build({k: args[k] for k in rule.arguments}, append_unknown=False)
    assert built is not None
    return "/" + built[1].lstrip("/")


def _visitor(endpoint: str, world: World) -> User | None:
    if endpoint == "panel.check_conflicts":
        return world.newcomer
    if endpoint.startswith("panel."):
        return world.member
    if endpoint.startswith("staff."):
        return world.staff
    if endpoint in ("auth.sign_in", "auth.invitation"):
        return None
    return world.staff  # other signed-in pages (password, sign-out)


def _post_rules() -> dict[str, str]:
    """Every URL rule that accepts POST, and its endpoint."""
    app = create_app(TestingConfig("sqlite://"))
    return {r.rule: r.endpoint for r in app.url_map.iter_rules()
            if "POST" in (r.methods or set())}


POST_RULES = _post_rules()

# --- reading a form's fields from the page ----------------------------------------------------


@dataclass
class FormField:
    name: str
    kind: str  # text, textarea, select, radio, checkbox, hidden, submit, file, number...
    options: list[str] = field(default_factory=list)
    value: str = ""
    chosen: bool = False  # a select's option is selected, or a radio is checked


class _FormReader(HTMLParser):
    """The fields of every ``<form method=post>`` on a page, keyed by the form's action."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, dict[str, FormField]]] = []
        self._form: dict[str, FormField] | None = None
        self._select: FormField | None = None
        self._textarea: FormField | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._form = {}
            self.forms.append((a.get("action", ""), self._form))
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            f = self._form.setdefault(name, FormField(name, kind))
            if kind in ("radio", "checkbox"):
                f.options.append(a.get("value", "y"))
                if "checked" in a:
                    f.value, f.chosen = a.get("value", "y"), True
            else:
                f.value = a.get("value", "")
        elif tag == "select" and name:
            self._select = self._form.setdefault(name, FormField(name, "select"))
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
            if "selected" in a:
                self._select.value, self._select.chosen = a.get("value", ""), True
        elif tag == "textarea" and name:
            self._textarea = self._form.setdefault(name, FormField(name, "textarea"))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _form_fields(html: str, url: str) -> dict[str, FormField] | None:
    reader = _FormReader()
    reader.feed(html)
    path = urllib.parse.urlsplit(url).path
    for action, fields in reader.forms:
        if action in ("", path) or urllib.parse.urlsplit(action).path == path:
            return fields
    return None


# Plausible values for fields that are empty on a new form, so one hostile field at a time
# can get past the others' checks and reach the service and the database.
_PLAUSIBLE = {
    "email": "someone@example.org",
    "contact_email": "someone@example.org",
    "budget": "5000",
    "amount": "1500",
    "password": PASSWORD,
    "confirm": PASSWORD,
    "reason": "A reason written for the record.",
    "no_ties": "y",  # the conflicts screen: "I have no ties"
    "reference": "",  # the next free one: a typed one is taken after the first success
    "descriptors": "1: None\n2: A little\n3: Some\n4: Well\n5: Very well",
}


def _plausible(f: FormField) -> str:
    if f.value.strip() or f.chosen:
        return f.value
    if f.name in _PLAUSIBLE:
        return _PLAUSIBLE[f.name]
    if f.kind == "select" and f.options:
        return f.options[0]  # what a browser sends when no option is selected
    if f.kind == "radio":
        real = [o for o in f.options if o]
        return real[0] if real else ""
    if f.kind == "checkbox":
        return ""
    if f.name.startswith("reason_"):
        return ""
    if f.kind in ("text", "textarea", "email"):
        return "Something plain"
    return ""


# --- hostile values ---------------------------------------------------------------------------

MEGABYTE = "x" * 1_000_000
NASTY: list[str | bytes] = [
    "\x00",
    "before\x00after",
    "\x00" * 300,
    "\x1b[31mred\x1b[0m",
    "\x07\x08\x0b\x0c\x7f",
    "\u0085next line",
    "\u202eevil.exe\u202c",
    "\u200b\ufeff",
    "²",
    "٣",
    "¹²³",
    "³",
    "১২",
    "1_000",
    " 3 ",
    "0x10",
    "1e309",
    "NaN",
    "-1",
    "0",
    "",
    " ",
    "\t\r\n",
    "99999999999999999999",
    "-99999999999999999999",
    str(2**31),
    str(-(2**31) - 1),
    str(2**63),
    "9" * 5000,
    "£1,000,000,000,000",
    "1,000,000,000.01",
    "😀" * 50,
    "é" * 201,
    "x" * 201,
    "y" * 2_001,
    "z" * 10_001,
    "w" * 100_000,
    MEGABYTE,
    "<script>alert(1)</script>",
    "'; DROP TABLE round; --",
    "%00",
    b"\xed\xa0\x80",  # a lone surrogate, as a hostile client can send it
    b"lone \xed\xb0\x80 low surrogate",
    b"\xff\xfe\xfa not UTF-8",
]

# Each field is first posted every value of its kind's core list: the bugs seen in the wild.
CORE_TEXT: list[str | bytes] = [
    "before\x00after", "\x1b[31mred", "\u202eevil", "w" * 12_000, b"\xed\xa0\x80", "\u00b2",
    "99999999999999999999",
]
CORE_CHOICE: list[str | bytes] = [
    "\u00b2", "\u0663", "99999999999999999999", "-99999999999999999999", "\x00", str(2**31),
]
CORE_VALUES: dict[str, list[str | bytes]] = {"select": CORE_CHOICE, "radio": CORE_CHOICE, "number": CORE_CHOICE,
               "checkbox": ["\x00", "\u00b2"], "date": ["\x00", "99999-01-01", "\u0663"]}
CORE_EXTRAS: list[tuple[str, str | bytes]] = [("\x00", "\x00"), ("name\x00", "x")]
EXAMPLES = 20  # random posts per form, after the core values

_chars = st.characters(codec=None, categories=None)
hostile_value = st.one_of(
    st.sampled_from(NASTY),
    st.sampled_from(NASTY),  # twice: the known-nasty values are drawn most often
    st.text(alphabet=_chars, max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
hostile_name = st.one_of(
    st.sampled_from(["\x00", "name\x00", "criterion_\x00", "csrf_token\x00", "²", "x" * 5000]),
    st.text(alphabet=_chars, min_size=1, max_size=10),
)


def _encode(value: str | bytes) -> bytes:
    if isinstance(value, bytes):
        return value
    return value.encode("utf-8", "surrogatepass")


def _body(pairs: list[tuple[str | bytes, str | bytes]]) -> bytes:
    return urllib.parse.urlencode([(_encode(k), _encode(v)) for k, v in pairs]).encode("ascii")


HOSTILE_CSV = (
    "reference,applicant_name,title,summary,amount\n"
    "A-900,Nul\x00Group,Title,Summary,99999999999999999999\n"
    "²,Group,\u202eTitle,Summary,²\n"
).encode("utf-8")

# --- the fuzzer -------------------------------------------------------------------------------


@dataclass
class Tally:
    posts: int = 0
    failures: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)


def _sign_in_as(client: FlaskClient, user: User | None) -> None:
    """Sign ``user`` in (or out, for None) keeping the session's CSRF secret."""
    with client.session_transaction() as sess:
        for key in ("_user_id", "_fresh", "_id"):
            sess.pop(key, None)
        if user is not None:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True


def _stored_text_problems() -> list[str]:
    """Every text in the database over its column's limit, or holding a control character."""
    problems: list[str] = []

    def check(where: str, value: str, limit: int) -> None:
        if len(value) > limit:
            problems.append(f"{where} holds {len(value):,} characters (limit {limit:,})")
        if CONTROL_CHARACTERS.search(value):
            problems.append(f"{where} holds a control character: {value[:40]!r}")

    def walk(where: str, obj: Any) -> None:
        if isinstance(obj, str):
            check(where, obj, LONGEST_TEXT)
        elif isinstance(obj, dict):
            for k, v in obj.items():
                walk(where, str(k))
                walk(where, v)
        elif isinstance(obj, list):
            for v in obj:
                walk(where, v)

    for table in db.metadata.sorted_tables:
        cols = [c for c in table.columns
                if isinstance(c.type, (String, Text, JSON))
                and (table.name, c.name) not in COMPUTED_COLUMNS]
        if not cols:
            continue
        for row in db.session.execute(select(*cols)):
            for c, value in zip(cols, row, strict=True):
                where = f"{table.name}.{c.name}"
                if value is None:
                    continue
                if isinstance(c.type, JSON):
                    walk(where, value)
                elif isinstance(c.type, Text):
                    check(where, value, TEXT_LIMITS.get((table.name, c.name), LONGEST_TEXT))
                else:
                    check(where, value, getattr(c.type, "length", None) or LONGEST_TEXT)
    return problems


STATS_FILE = os.environ.get("HOSTILE_STATS")  # append one JSON line per form when set


@pytest.fixture()
def world(app: Flask) -> Iterator[World]:
    yield _world()


@pytest.mark.parametrize("rule_path", sorted(POST_RULES))
def test_hostile_posts_to_every_form_never_give_a_server_error(
    app: Flask, client: FlaskClient, world: World, rule_path: str
) -> None:
    rule = next(r for r in app.url_map.iter_rules() if r.rule == rule_path)
    endpoint = rule.endpoint
    url = _url_for_rule(rule, world)
    visitor = _visitor(endpoint, world)
    _sign_in_as(client, visitor)
    # The form is on the URL's own page, or (a POST-only action) on its parent page, like a
    # person's page with its erase form; a bare button's token can come from any page.
    fields: dict[str, FormField] | None = None
    gets = [url] if "GET" in (rule.methods or set()) else [url.rsplit("/", 1)[0]]
    for page_url in gets:
        page = client.get(page_url)
        assert page.status_code < 500, f"GET {page_url} -> {page.status_code}"
        fields = _form_fields(text(page), url) if page.status_code == 200 else None
        if fields is not None:
            unstated = [n for n, f in fields.items()
                        if f.kind in ("text", "textarea", "email", "password", "search")
                        and not re.search(rf'id="{re.escape(n)}-hint">[^<]*Up to [0-9,]+ '
                                          "characters", text(page))]
            assert not unstated, f"{page_url}: no length limit stated for {unstated}"
    if fields is None:
        fields = {"csrf_token": FormField(
            "csrf_token", "hidden", value=csrf_token(client, "/sign-in" if visitor is None
                                                      else "/staff/"))}
    assert "csrf_token" in fields, f"no CSRF token in the form on {url}"
    names = sorted(n for n in fields if n != "csrf_token" and fields[n].kind != "submit")
    buttons = [n for n in fields if fields[n].kind == "submit"]
    has_file = any(f.kind == "file" for f in fields.values())
    tally = Tally()

    def post(hostile: dict[str, str | bytes], extra: tuple[str, str | bytes] | None,
             button: str | None, fetch: bool) -> None:
        pairs: list[tuple[str | bytes, str | bytes]] = [("csrf_token", fields["csrf_token"].value)]
        for n in names:
            f = fields[n]
            value = hostile[n] if n in hostile else _plausible(f)
            if f.kind == "checkbox" and n not in hostile and not value:
                continue
            pairs.append((n, value))
        if button is not None:
            pairs.append((button, fields[button].value))
        if extra is not None:
            pairs.append(extra)
        _sign_in_as(client, visitor)
        limiter.reset()
        headers = {"X-Requested-With": "fetch"} if fetch else {}
        if has_file:
            form: dict[str, Any] = {
                _encode(k).decode("utf-8", "replace"): _encode(v).decode("utf-8", "replace")
                for k, v in pairs
            }
            for f in fields.values():
                if f.kind == "file":
                    form[f.name] = (BytesIO(HOSTILE_CSV), "hostile.csv")
            resp = client.post(url, data=form, headers=headers,
                               content_type="multipart/form-data")
        else:
            resp = client.post(url, data=_body(pairs), headers=headers,
                               content_type="application/x-www-form-urlencoded")
        tally.posts += 1
        tally.statuses[resp.status_code] = tally.statuses.get(resp.status_code, 0) + 1
        if resp.status_code >= 500:
            shown = [(k, v[:60]) for k, v in pairs if k != "csrf_token"]
            tally.failures.append(f"POST {url} -> {resp.status_code} with {shown!r}")
        resp.close()
        db.session.rollback()  # the test's session must see what the requests committed

    # First every field gets each value of its kind's core list (the bugs seen in the wild),
    # then Hypothesis draws hostile values, field names and buttons.
    for n in names:
        for value in CORE_VALUES.get(fields[n].kind, CORE_TEXT):
            post({n: value}, None, buttons[-1] if buttons else None, False)
    for name, value in CORE_EXTRAS:
        post({}, (name, value), buttons[-1] if buttons else None, False)

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(
        hostile=st.dictionaries(st.sampled_from(names), hostile_value, min_size=1, max_size=2)
        if names else st.just({}),
        extra=st.one_of(st.none(), st.tuples(hostile_name, hostile_value)),
        button=st.sampled_from(buttons) if buttons else st.none(),
        fetch=st.booleans() if endpoint == "panel.application" else st.just(False),
    )
    def post_hostile(hostile: dict[str, str | bytes], extra: tuple[str, str | bytes] | None,
                     button: str | None, fetch: bool) -> None:
        post(hostile, extra, button, fetch)

    post_hostile()
    stored = _stored_text_problems()
    if STATS_FILE:
        with open(STATS_FILE, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"rule": rule_path, "posts": tally.posts,
                                 "server_errors": len(tally.failures),
                                 "stored_problems": len(stored),
                                 "statuses": tally.statuses}) + "\n")
    assert not tally.failures, (
        f"{len(tally.failures)} of {tally.posts} hostile posts gave a server error:\n"
        + "\n".join(tally.failures[:10])
    )
    assert not stored, "\n".join(stored[:10])


def test_the_fuzzer_finds_the_forms_it_should() -> None:
    expected = {"staff.round_new", "staff.round_edit", "staff.criterion_new",
                "staff.application_new", "staff.member_new", "staff.conflict_new",
                "staff.count", "panel.application", "panel.check_conflicts",
                "panel.declare_conflict", "auth.sign_in", "auth.set_password"}
    assert expected <= set(POST_RULES.values())


# --- each bug the fuzzer found, pinned -------------------------------------------------------


@pytest.fixture()
def staff(app: Flask) -> User:
    user = make_user(role="staff", email="staff@example.org")
    db.session.commit()
    return user


def _round_form(**changes: str) -> dict[str, str]:
    data = {
        "name": "Warm Homes Fund", "purpose": "Grants to help people keep warm.",
        "currency": "GBP", "budget": "5000", "involvement": "co-production",
        "aggregation": "mean", "quorum": "3", "fit_rule": "skip",
        "tie_break_1": "higher_median", "tie_break_2": "", "tie_break_3": "",
        "tie_break_4": "",
    }
    data.update(changes)
    return data


def _rounds() -> list[Round]:
    return list(db.session.scalars(select(Round)))


@pytest.mark.parametrize("name, value", [
    ("name", "Warm\x00Homes"),
    ("purpose", "Grants\x00 for warmth"),
    ("purpose", "Red \x1b[31malert"),
    ("budget", "5000\x00"),
    ("involvement", "co-production\x00"),
    ("currency", "GBP\x00"),
])
def test_a_control_character_in_any_field_is_refused_with_a_plain_message(
    staff: User, login_as: Any, name: str, value: str
) -> None:
    client = login_as(staff)
    resp = submit(client, "/staff/rounds/new", _round_form(**{name: value}))
    assert resp.status_code == 200
    assert "contains a hidden control character that cannot be saved" in text(resp)
    assert _rounds() == []


def test_a_control_character_in_a_field_name_is_refused(staff: User, login_as: Any) -> None:
    client = login_as(staff)
    resp = submit(client, "/staff/rounds/new", {**_round_form(), "extra\x00": "x"})
    assert resp.status_code == 200
    assert "hidden control character in it, so nothing was saved" in text(resp)
    assert _rounds() == []


@pytest.mark.parametrize("quorum, message", [
    ("99999999999999999999", "not a whole number"),
    ("2147483648", "not a whole number"),
    ("1001", "The quorum must be a whole number from 1 to 1,000."),
    ("\u00b2", "not a whole number"),  # superscript two: str.isdigit() says yes
    ("\u0663", "not a whole number"),  # Arabic-Indic three: int() says 3
    ("1_000", "not a whole number"),  # int() says 1000
])
def test_a_number_out_of_range_or_in_other_digits_is_refused_not_a_server_error(
    staff: User, login_as: Any, quorum: str, message: str
) -> None:
    client = login_as(staff)
    resp = submit(client, "/staff/rounds/new", _round_form(quorum=quorum))
    assert resp.status_code == 200
    assert message in text(resp)
    assert _rounds() == []


@pytest.mark.parametrize("budget", [
    "9" * 5000, "1,000,000,000.01", "\u0663\u0660\u0660", "\u00b2", "1_000", "1e9",
])
def test_a_budget_that_is_not_a_sane_amount_is_refused(
    staff: User, login_as: Any, budget: str
) -> None:
    client = login_as(staff)
    resp = submit(client, "/staff/rounds/new", _round_form(budget=budget))
    assert resp.status_code == 200
    assert "The budget" in text(resp)
    assert _rounds() == []


def test_money_is_read_in_ascii_digits_up_to_one_billion() -> None:
    assert rounds.parse_money("1,000,000,000") == rounds.MAX_MONEY_MINOR
    assert rounds.parse_money("\u00a3 1,500.50") == 150_050
    for bad in ["1,000,000,000.01", "9" * 5000, "\u0663\u0660\u0660", "1_000", "\uff11\uff10"]:
        with pytest.raises(rounds.MoneyError):
            rounds.parse_money(bad)


def test_the_services_refuse_what_the_forms_refuse(staff: User) -> None:
    settings_ = {"name": "Round", "purpose": "Purpose", "budget": 100, "currency": "GBP",
                 "involvement": "co-production", "aggregation": "mean", "fit_rule": "skip",
                 "tie_break": []}
    for bad in ({"quorum": 10**20}, {"quorum": 0, "name": "x"}, {"quorum": 3, "name": "a\x00b"},
                {"quorum": 3, "purpose": "p" * 5_001},
                {"quorum": 3, "budget": rounds.MAX_MONEY_MINOR + 1}):
        with pytest.raises(rounds.RoundError):
            rounds.create_round(staff, **{**settings_, **bad})
    rnd = rounds.create_round(staff, **settings_, quorum=3)
    good = {"name": "Who benefits", "guidance": "Look for reach.", "weight": 1,
            "scale_min": 1, "scale_max": 3, "descriptors": ["Low", "Some", "High"]}
    for bad_c in ({"scale_min": -(10**12), "scale_max": 10**12}, {"guidance": "g\x00"},
                  {"name": "n" * 201}, {"descriptors": ["Low", "S\x1bome", "High"]}):
        with pytest.raises(rounds.RoundError):
            rounds.add_criterion(rnd, staff, **{**good, **bad_c})  # type: ignore[arg-type]


def test_every_text_field_states_its_limit_on_the_page(staff: User, login_as: Any) -> None:
    page = text(login_as(staff).get("/staff/rounds/new"))
    assert "Up to 200 characters." in page  # the round's name: String(200)
    assert f"Up to {rounds.PURPOSE_MAX_LENGTH:,} characters." in page
    assert "maxlength" not in page  # the browser would silently cut a paste


def test_text_over_its_limit_is_refused_and_kept_on_the_page(
    staff: User, login_as: Any
) -> None:
    long_purpose = "p" * (rounds.PURPOSE_MAX_LENGTH + 1)
    resp = submit(login_as(staff), "/staff/rounds/new", _round_form(purpose=long_purpose))
    assert resp.status_code == 200
    assert f"Keep this to {rounds.PURPOSE_MAX_LENGTH:,} characters or fewer." in text(resp)
    assert long_purpose in text(resp)
    assert _rounds() == []


def test_a_megabyte_of_text_is_refused_and_never_published(staff: User, login_as: Any) -> None:
    rnd = make_round(applications=1)
    db.session.commit()
    client = login_as(staff)
    url = f"/staff/rounds/{rnd.id}/applications/new"
    for size in (1_000_000, 100_000):
        resp = submit(client, url, {"applicant_name": "Group", "title": "Title",
                                    "summary": "s" * size, "amount": "100"})
        assert resp.status_code in (200, 413)
    assert [a.summary for a in db.session.scalars(select(Application))] == [
        "A warm space and hot meals twice a week."
    ]


@pytest.mark.parametrize("score", ["\u00b2", "\u0663", "99999999999999999999", "1\x00"])
def test_a_score_in_other_digits_or_too_large_is_refused_not_a_server_error(
    app: Flask, login_as: Any, score: str
) -> None:
    rnd = make_round(state="open", applications=1)
    member = make_member(rnd, conflicts_checked_at=utcnow())
    db.session.commit()
    client = login_as(member.user)
    url = f"/panel/rounds/{rnd.id}/applications/{rnd.applications[0].id}"
    data = {f"criterion_{rnd.criteria[0].id}": score, f"criterion_{rnd.criteria[1].id}": "3",
            "panel_note": "", "feedback": "", "submit_scores": "Submit my scores"}
    resp = submit(client, url, data)
    assert resp.status_code == 200
    assert "Choose one of the answers" in text(resp) or "control character" in text(resp)
    autosave = submit(client, url, {**data, "save_draft": "Save as draft"},
                      headers={"X-Requested-With": "fetch"})
    assert autosave.status_code == 422
    assert db.session.scalars(select(ScoreSheet)).all() == []


@pytest.mark.parametrize("path", [
    "/staff/rounds/99999999999999999999",
    "/staff/rounds/2147483648",
    "/staff/rounds/007",
    "/staff/rounds/%D9%A3",  # an Arabic-Indic digit three
    "/staff/rounds/0",
    "/staff/rounds/1/applications/99999999999999999999",
    "/rounds/99999999999999999999",
    "/panel/rounds/99999999999999999999/",
])
def test_an_id_in_a_url_out_of_range_is_a_plain_404(
    staff: User, login_as: Any, path: str
) -> None:
    make_round()  # round 1 exists
    db.session.commit()
    resp = login_as(staff).get(path)
    assert resp.status_code == 404
    assert "Page not found" in text(resp)


def test_the_api_answers_404_for_a_record_id_beyond_the_integer_range(
    client: FlaskClient,
) -> None:
    resp = client.get("/api/v1/rounds/99999999999999999999/record")
    assert resp.status_code == 404
    assert resp.get_json()["status"] == 404


def test_the_largest_id_still_routes(staff: User, login_as: Any) -> None:
    rnd = make_round()
    db.session.commit()
    client = login_as(staff)
    assert client.get(f"/staff/rounds/{rnd.id}").status_code == 200
    assert client.get(f"/staff/rounds/{2**31 - 1}").status_code == 404  # routed, not found


def test_the_500_page_after_a_form_is_sent_does_not_claim_nothing_was_lost(
    app: Flask, client: FlaskClient
) -> None:
    def boom() -> str:
        raise RuntimeError("a fault after the form was read")

    app.add_url_rule("/boom", "boom", boom, methods=["GET", "POST"])
    token = csrf_token(client, "/sign-in")
    sent = client.post("/boom", data={"csrf_token": token})
    assert sent.status_code == 500
    page = text(sent)
    assert "may not have been saved" in page
    assert "Go back, check whether your change is there" in page
    assert "lost" not in page
    shown = client.get("/boom")
    assert shown.status_code == 500
    assert "could not be shown" in text(shown)
    assert "lost" not in text(shown)


def test_every_form_in_grantpanel_inherits_the_base_form() -> None:
    from flask_wtf import FlaskForm

    import grantpanel.auth.forms
    import grantpanel.panel.forms
    import grantpanel.staff.forms  # noqa: F401
    from grantpanel.forms_base import BaseForm

    def subclasses(cls: type) -> set[type]:
        out: set[type] = set(cls.__subclasses__())
        return out.union(*(subclasses(c) for c in out))

    strays = [c.__qualname__ for c in subclasses(FlaskForm)
              if c.__module__.startswith("grantpanel") and not issubclass(c, BaseForm)]
    assert strays == []


def test_a_text_field_declared_without_a_limit_gets_the_default_one(app: Flask) -> None:
    from wtforms import StringField

    from grantpanel.forms_base import DEFAULT_MAX_LENGTH, BaseForm, max_length

    class Bare(BaseForm):
        class Meta:
            csrf = False

        note = StringField("Note")

    with app.test_request_context("/", method="POST", data={"note": "n" * 10_001}):
        form = Bare()
        assert max_length(form.note) == DEFAULT_MAX_LENGTH
        assert form.note.flags.maxlength == DEFAULT_MAX_LENGTH
        assert not form.validate()
        assert form.note.errors == ["Keep this to 10,000 characters or fewer."]
