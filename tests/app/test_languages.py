"""Languages: the catalogues are complete and current, and every page can be read in each one.

- Welsh (``cy``) covers every string; Urdu (``ur``) covers the panel member's pages (the
  languages' ``scope``). A catalogue with an untranslated or fuzzy entry in its scope fails, as
  does a catalogue or a compiled ``.mo`` that is behind the source.
- The page's language: the language switch (remembered in a cookie), else ``Accept-Language``,
  else English; the address of every page stays the same; ``lang``, ``dir`` and ``hreflang``
  are set; dates and money follow the language.
- The record is language-neutral: it is byte-for-byte the same whatever language staff use.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from grantpanel.extensions import db
from grantpanel.i18n import BY_CODE, COOKIE, DEFAULT, LANGUAGES, date_text, money_text
from grantpanel.models import User
from tests.app.panel_helpers import app_url, checked_member, conflicts_url, open_round
from tests.app.record_builders import make_published_round

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "grantpanel" / "translations"
OTHERS = [lang for lang in LANGUAGES if lang is not DEFAULT]

# The panel member's pages: where the strings of a language with scope "panel" come from
# (sign-in, conflicts, queue, score sheet, ranking, vote and consent, and what they share).
PANEL_SOURCES = re.compile(
    r"^(templates/panel/|grantpanel/panel/|templates/auth/|grantpanel/auth/|templates/base\.html"
    r"|templates/macros/(forms|pager)\.html|grantpanel/errors\.py|templates/errors/"
    r"|grantpanel/forms_base\.py|grantpanel/textcheck\.py|grantpanel/vocabulary\.py"
    r"|grantpanel/services/(scoring|conflicts|ballots|consent)\.py|grantpanel/i18n\.py)"
)


def _read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def _translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(s.strip() for s in strings)


def _in_scope(message: Message, scope: str) -> bool:
    return scope == "all" or any(PANEL_SOURCES.match(path) for path, _ in message.locations)


@pytest.fixture(scope="module")
def template() -> Catalog:
    return _read(TRANSLATIONS / "messages.pot")


def test_the_catalogue_template_is_current(tmp_path: Path, template: Catalog) -> None:
    """``make translations`` has been run since the last string changed."""
    out = tmp_path / "messages.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "N_",
         "-k", "lazy_ngettext:1,2", "--add-comments=TRANSLATORS:", "-o", str(out), str(ROOT)]
    )
    fresh = {m.id for m in _read(out) if m.id}
    kept = {m.id for m in template if m.id}
    assert fresh - kept == set(), "new strings: run make translations"
    assert kept - fresh == set(), "strings no longer used: run make translations"


@pytest.mark.parametrize("language", OTHERS, ids=lambda lang: lang.code)
def test_every_string_in_scope_is_translated_and_none_is_fuzzy(
    language: object, template: Catalog
) -> None:
    lang = BY_CODE[language.code]  # type: ignore[attr-defined]
    catalogue = _read(TRANSLATIONS / lang.code / "LC_MESSAGES" / "messages.po")
    assert {m.id for m in catalogue if m.id} == {m.id for m in template if m.id}, (
        "the catalogue is behind the template: run make translations"
    )
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy and _in_scope(m, lang.scope)]
    missing = [
        m.id for m in catalogue if m.id and _in_scope(m, lang.scope) and not _translated(m)
    ]
    assert fuzzy == [], f"{lang.code}: fuzzy entries to review: {fuzzy[:5]}"
    assert missing == [], f"{lang.code}: {len(missing)} untranslated, e.g. {missing[:5]}"
    if lang.scope == "panel":
        assert sum(1 for m in catalogue if m.id and _in_scope(m, "panel")) > 300


@pytest.mark.parametrize("language", OTHERS, ids=lambda lang: lang.code)
def test_the_compiled_catalogue_matches_its_source(language: object) -> None:
    folder = TRANSLATIONS / language.code / "LC_MESSAGES"  # type: ignore[attr-defined]
    compiled = io.BytesIO()
    write_mo(compiled, _read(folder / "messages.po"))
    assert (folder / "messages.mo").read_bytes() == compiled.getvalue(), (
        "the .mo file is stale: run make translations"
    )


def test_the_placeholders_of_every_translation_match_the_english(template: Catalog) -> None:
    named = re.compile(r"%\(\w+\)[sdf]")
    for lang in OTHERS:
        for m in _read(TRANSLATIONS / lang.code / "LC_MESSAGES" / "messages.po"):
            if not m.id or m.fuzzy or not _translated(m):
                continue
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            want = set(named.findall(" ".join(ids)))
            for s in strings:
                assert set(named.findall(s)) <= want, (lang.code, ids[0])
            if not isinstance(m.id, tuple):
                assert set(named.findall(strings[0])) == want, (lang.code, ids[0])


# --- choosing the language -------------------------------------------------------------


def _lang_attrs(page: str) -> tuple[str, str]:
    found = re.search(r'<html lang="([^"]+)" dir="([^"]+)"', page)
    assert found, "no <html lang dir>"
    return found.group(1), found.group(2)


def test_english_by_default(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert _lang_attrs(page) == ("en-GB", "ltr")
    assert "Published decisions" in page


def test_the_browser_language_is_followed_on_the_first_visit(client: FlaskClient) -> None:
    resp = client.get("/", headers={"Accept-Language": "cy-GB,cy;q=0.9,en;q=0.5"})
    page = resp.get_data(as_text=True)
    assert _lang_attrs(page) == ("cy", "ltr")
    assert "Published decisions" not in page
    assert "Accept-Language" in resp.headers["Vary"] and "Cookie" in resp.headers["Vary"]
    resp = client.get("/", headers={"Accept-Language": "fr, ur;q=0.8"})
    assert _lang_attrs(resp.get_data(as_text=True)) == ("ur", "rtl")
    resp = client.get("/", headers={"Accept-Language": "fr, de"})
    assert _lang_attrs(resp.get_data(as_text=True)) == ("en-GB", "ltr")


def test_the_switch_keeps_the_page_and_is_remembered_over_the_browser(
    client: FlaskClient,
) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    switch = re.search(r'<a href="([^"]+)" lang="cy" hreflang="cy">Cymraeg</a>', page)
    assert switch, "the switch offers Welsh, marked with lang and hreflang"
    resp = client.get(switch.group(1).replace("&amp;", "&"))
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/sign-in"  # the same page, same address
    assert "lang=cy" in resp.headers["Set-Cookie"]
    assert "no-store" in resp.headers["Cache-Control"]
    page = client.get("/sign-in", headers={"Accept-Language": "en-GB"}).get_data(
        as_text=True
    )
    assert _lang_attrs(page) == ("cy", "ltr")  # the choice beats the browser's preference
    assert "Mewngofnodi" in page
    assert '<span lang="cy" aria-current="true">Cymraeg</span>' in page
    assert 'lang="en-GB" hreflang="en-GB">English</a>' in page


def test_the_switch_keeps_the_query_and_refuses_other_sites(client: FlaskClient) -> None:
    resp = client.get("/language/ur?next=/rounds/3?page=2")
    assert resp.headers["Location"] == "/rounds/3?page=2"
    for hostile in ("https://evil.example/", "//evil.example", "/\\evil.example", ""):
        resp = client.get("/language/cy", query_string={"next": hostile})
        assert resp.headers["Location"] == "/"
    assert client.get("/language/xx?next=/").status_code == 404
    assert client.get("/language/../etc?next=/").status_code == 404


def test_a_cookie_naming_no_offered_language_is_ignored(client: FlaskClient) -> None:
    client.set_cookie(COOKIE, "<script>")
    page = client.get("/", headers={"Accept-Language": "cy"}).get_data(as_text=True)
    assert _lang_attrs(page) == ("cy", "ltr")


def test_dates_and_money_follow_the_language(app: Flask) -> None:
    import datetime as dt

    day = dt.date(2026, 12, 2)
    with app.test_request_context():
        with force_locale("cy"):
            assert date_text(day) == "2 Rhagfyr 2026"
            assert money_text(123450) == "£1,234.50"
        with force_locale("en_GB"):
            assert date_text(day) == "2 December 2026"
        with force_locale("ur"):
            assert "2026" in date_text(day) and "December" not in date_text(day)


# --- every page in Welsh ---------------------------------------------------------------


def test_panel_pages_in_urdu_are_right_to_left(
    client: FlaskClient, login_as: Callable[[User], FlaskClient]
) -> None:
    rnd = open_round()
    member = checked_member(rnd)
    db.session.commit()
    login_as(member.user)
    client.set_cookie(COOKIE, "ur")
    for url in ("/panel/", f"/panel/rounds/{rnd.id}/", conflicts_url(rnd), app_url(rnd)):
        resp = client.get(url)
        assert resp.status_code == 200, url
        page = resp.get_data(as_text=True)
        assert _lang_attrs(page) == ("ur", "rtl"), url
        assert "My panel work" not in page and "Sign out" not in page, url


def test_the_outcome_page_reads_in_welsh_and_the_record_stays_the_same(
    client: FlaskClient,
) -> None:
    rnd, pr = make_published_round()
    english = client.get(f"/rounds/{rnd.id}").get_data(as_text=True)
    client.set_cookie(COOKIE, "cy")
    welsh = client.get(f"/rounds/{rnd.id}").get_data(as_text=True)
    assert _lang_attrs(welsh) == ("cy", "ltr")
    assert "Who decided" in english and "Who decided" not in welsh
    assert rnd.name in welsh  # staff-typed text is shown as typed
    record_en = client.get(f"/rounds/{rnd.id}/record.json", headers={"Cookie": ""}).data
    record_cy = client.get(f"/rounds/{rnd.id}/record.json").data
    assert record_cy == record_en
