"""Public pages: what anyone can see without signing in."""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from grantpanel.extensions import db
from grantpanel.models import User
from grantpanel.services import publication
from tests.app.record_builders import PRIVATE_STRINGS, digest_of, make_published_round
from tests.builders import make_round, make_user


def test_index_lists_published_rounds_with_total_funded(client: FlaskClient) -> None:
    rnd, _ = make_published_round()
    page = client.get("/").get_data(as_text=True)
    assert "Warm Spaces Fund 2026" in page
    assert f"/rounds/{rnd.id}" in page
    assert "£8,500.00" in page  # the final total, after the override


def test_index_shows_seed_commitment_of_round_open_for_scoring(client: FlaskClient) -> None:
    rnd = make_round(name="Food Clubs 2027", state="open", seed="cd" * 32,
                     seed_commitment="sha256:" + "1" * 64)
    make_round(name="Secret Draft Round")
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Food Clubs 2027" in page
    assert "Any random draw in this round was fixed before scoring began" in page
    assert "sha256:" not in page  # the fingerprint itself is explained on the round's page
    assert f"/rounds/{rnd.id}#draw" in page
    round_page = client.get(f"/rounds/{rnd.id}").get_data(as_text=True)
    assert "sha256:" + "1" * 64 in round_page
    assert "cd" * 32 not in page + round_page  # the seed itself stays secret until publication
    assert "Secret Draft Round" not in page
    assert f"/rounds/{rnd.id}" in page


def test_draft_round_page_is_not_found(client: FlaskClient) -> None:
    rnd = make_round(state="draft")
    db.session.commit()
    assert client.get(f"/rounds/{rnd.id}").status_code == 404
    assert client.get("/rounds/9999").status_code == 404


def test_open_round_page_shows_purpose_involvement_state_and_commitment(
    client: FlaskClient,
) -> None:
    rnd = make_round(state="open", involvement="engagement", seed="cd" * 32,
                     seed_commitment="sha256:" + "2" * 64)
    db.session.commit()
    resp = client.get(f"/rounds/{rnd.id}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert rnd.purpose in page
    assert "Panel is scoring" in page
    assert "The panel advised and staff decided" in page
    assert "sha256:" + "2" * 64 in page
    assert "cd" * 32 not in page


def test_decided_round_has_no_record_yet(client: FlaskClient) -> None:
    rnd = make_round(state="decided")
    db.session.commit()
    assert client.get(f"/rounds/{rnd.id}").status_code == 200
    assert client.get(f"/rounds/{rnd.id}/record.json").status_code == 404


def test_outcome_page_shows_funded_override_conflicts_line_and_digest(
    client: FlaskClient,
) -> None:
    rnd, pr = make_published_round()
    page = html.unescape(client.get(f"/rounds/{rnd.id}").get_data(as_text=True))
    for text in ("Warm hub at St Mark's", "Friday food club", "£4,000.00", "£3,000.00"):
        assert text in page
    assert "Staff changed the panel's result" in page
    assert "Only kinship carers' group in the north of the borough" in page
    assert "2 declared by 1 panel member" in page
    assert 'class="funding-line"' in page and "Funding line." in page
    assert "Too few scores to rank" in page and "must score an application for it to be ranked" in page
    assert "settled by the smaller amount asked for" in page
    assert "Co-production" in page and "binding" in page
    assert pr.digest in page
    assert "ab" * 32 in page  # the seed is revealed with the decision
    assert f"python -m voting verify decision-record-round-{rnd.id}.json" in page


def test_outcome_page_renders_from_the_stored_record_not_live_tables(
    client: FlaskClient,
) -> None:
    rnd, _ = make_published_round()
    rnd.applications[0].title = "Edited after publication"
    db.session.commit()
    page = client.get(f"/rounds/{rnd.id}").get_data(as_text=True)
    assert "Edited after publication" not in page
    assert "Warm hub at St Mark" in page


def test_public_pages_never_show_private_details(client: FlaskClient) -> None:
    rnd, _ = make_published_round()
    for url in ("/", f"/rounds/{rnd.id}", f"/rounds/{rnd.id}/record.json",
                f"/api/v1/rounds/{rnd.id}/record", "/api/v1/rounds"):
        body = client.get(url).get_data(as_text=True)
        for secret in PRIVATE_STRINGS:
            assert secret not in body, (url, secret)


def test_record_download_is_the_stored_bytes_and_digest_matches(client: FlaskClient) -> None:
    rnd, pr = make_published_round()
    resp = client.get(f"/rounds/{rnd.id}/record.json")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    assert resp.headers["Content-Disposition"] == (
        f"attachment; filename=decision-record-round-{rnd.id}.json"
    )
    assert resp.data == pr.body.encode("utf-8")
    record = json.loads(resp.data)
    assert digest_of(record) == record["digest"] == pr.digest
    assert hashlib.sha256(resp.data).hexdigest()  # a plain file hash is also computable


def test_outcome_page_links_previous_record_in_the_chain(client: FlaskClient) -> None:
    first, pr1 = make_published_round(name="Round one")
    second, _ = make_published_round(name="Round two", previous_digest=pr1.digest)
    page = client.get(f"/rounds/{second.id}").get_data(as_text=True)
    assert pr1.digest in page
    assert f'href="/rounds/{first.id}"' in page


def test_methods_page_explains_involvement_levels(client: FlaskClient) -> None:
    page = client.get("/how-decisions-are-made").get_data(as_text=True)
    assert "Co-production" in page and "Engagement" in page
    assert "python -m voting verify" in page


def test_method_paragraph_comes_from_the_voting_registry_when_it_has_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from types import SimpleNamespace

    import voting.registry

    rules = {"method": "scores", "aggregation": "median", "quorum": 4, "fit_rule": "stop",
             "tie_break": ["more_scores", "draw"]}
    monkeypatch.setattr(voting.registry, "METHODS", {})
    fallback = publication.method_explanation(rules)
    assert "median" in fallback and "fewer than 4 scores" in fallback
    assert "funding stops at the first application that does not fit" in fallback
    monkeypatch.setattr(
        voting.registry, "METHODS", {"scores": SimpleNamespace(explanation="Plain words.")}
    )
    assert publication.method_explanation(rules) == "Plain words."


def test_outcome_page_content_is_rendered_once_per_record_and_the_frame_per_visitor(
    app: Flask, client: FlaskClient, login_as: Callable[[User], FlaskClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rnd, pr = make_published_round()
    calls: list[str] = []
    real = publication.outcome_view

    def counting(record: Any) -> Any:
        calls.append(record["digest"])
        return real(record)

    monkeypatch.setattr(publication, "outcome_view", counting)
    anonymous = client.get(f"/rounds/{rnd.id}").get_data(as_text=True)
    assert client.get(f"/rounds/{rnd.id}").get_data(as_text=True) == anonymous
    assert calls == [pr.digest]  # the second visit was served from the cache

    staff = login_as(make_user(role="staff")).get(f"/rounds/{rnd.id}").get_data(as_text=True)
    assert calls == [pr.digest]
    assert "Sign out" in staff and "Sign out" not in anonymous  # the frame is per visitor
    assert pr.digest in staff and "<title>" in staff and rnd.name in staff


def test_outcome_page_cache_keeps_at_most_its_size_and_zero_turns_it_off(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from grantpanel.services.page_cache import PageCache

    small = PageCache(1)
    small.get_or_render("a", lambda: "<p>a</p>")
    small.get_or_render("b", lambda: "<p>b</p>")
    assert len(small) == 1 and small.get_or_render("b", lambda: "x") == "<p>b</p>"
    assert small.get_or_render("a", lambda: "<p>new a</p>") == "<p>new a</p>"

    app.extensions["page_cache"] = PageCache(0)
    rnd, _ = make_published_round()
    calls: list[int] = []
    real = publication.outcome_view
    monkeypatch.setattr(publication, "outcome_view", lambda r: calls.append(1) or real(r))
    client.get(f"/rounds/{rnd.id}")
    client.get(f"/rounds/{rnd.id}")
    assert len(calls) == 2


def test_the_glossary_explains_every_word_the_pages_link_to(client: FlaskClient) -> None:
    import re

    rnd, _ = make_published_round()
    open_rnd = make_round(name="Food Clubs 2027", state="open", seed="cd" * 32,
                          seed_commitment="sha256:" + "1" * 64)
    db.session.commit()
    glossary = client.get("/words").get_data(as_text=True)
    anchors = set(re.findall(r'<div id="([-a-z]+)"><dt>', glossary))
    assert {"fingerprint", "seed", "spread", "quorum", "record"} <= anchors
    linked: set[str] = set()
    for url in ("/", f"/rounds/{rnd.id}", f"/rounds/{open_rnd.id}", "/how-decisions-are-made"):
        page = client.get(url).get_data(as_text=True)
        assert 'href="/words"' in page  # every page links the glossary (in the footer)
        linked |= set(re.findall(r'href="/words#([-a-z]+)"', page))
    assert linked and linked <= anchors
