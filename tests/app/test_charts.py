"""The server-rendered SVG charts: well-formed, labelled, escaped and byte-stable."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from flask import Flask

from grantpanel import charts

SVG = "{http://www.w3.org/2000/svg}"

ROUNDS: list[dict[str, Any]] = [
    {"round": 1, "tallies": {"A-001": 3, "A-002": 2, "A-003": 1}, "threshold": 4,
     "elected": [], "eliminated": ["A-003"], "transfers": {"A-003": -1, "A-001": 1},
     "exhausted": 0, "note": ""},
    {"round": 2, "tallies": {"A-001": 4, "A-002": 2}, "threshold": 4,
     "elected": ["A-001"], "eliminated": [], "transfers": {}, "exhausted": 0, "note": ""},
]
TITLES = {"A-001": "Warm hub", "A-002": "Food club", "A-003": "Debt advice"}


def _chart(rounds: list[dict[str, Any]] = ROUNDS, titles: dict[str, str] = TITLES) -> str:
    return str(charts.ranked_rounds_svg(rounds, order=["A-001", "A-002", "A-003"],
                                        titles=titles, chart_id="count-1"))


def test_the_ranked_chart_is_well_formed_svg_with_a_title_and_description(app: Flask) -> None:
    root = ET.fromstring(_chart())
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%" and root.get("viewBox", "").startswith("0 0 480 ")
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "round by round" in (title.text or "")


def test_the_ranked_chart_names_rounds_and_marks_elected_and_excluded_in_words(
    app: Flask,
) -> None:
    root = ET.fromstring(_chart())
    words = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert "Round 1" in words and "Round 2" in words
    assert "1 excluded" in words  # A-003 in round 1: a word, and a hatched bar
    assert "4 elected" in words
    assert "threshold 4" in words
    assert "A-001: Warm hub" in words
    hatched = [r for r in root.iter(f"{SVG}rect") if (r.get("fill") or "").startswith("url(#")]
    assert len(hatched) == 1


def test_hostile_titles_are_escaped_in_the_chart(app: Flask) -> None:
    hostile = {"A-001": '<script>alert("x")</script> & "quotes"', "A-002": "]]><!--",
               "A-003": "</svg><img src=x onerror=alert(1)>"}
    out = _chart(titles=hostile)
    root = ET.fromstring(out)  # still well-formed
    assert "<script>" not in out and "<img" not in out and "]]><!--" not in out
    assert root.find(f"{SVG}script") is None
    words = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "<script>" in words  # shown as text, not run


def test_hostile_chart_ids_become_safe_ids(app: Flask) -> None:
    out = str(charts.ranked_rounds_svg(ROUNDS, order=[], titles={}, chart_id='x" onload="y'))
    root = ET.fromstring(out)
    assert root.get("onload") is None
    assert all(" " not in (el.get("id") or "") for el in root.iter())


def test_the_chart_is_deterministic(app: Flask) -> None:
    assert _chart() == _chart()
    reordered = [dict(r, tallies=dict(reversed(list(r["tallies"].items())))) for r in ROUNDS]
    assert _chart(reordered) == _chart()


def test_decimal_tallies_and_an_empty_count_still_draw(app: Flask) -> None:
    rounds = [{"round": 1, "tallies": {"A-001": "2.50000", "A-002": "1.25000"},
               "threshold": "1.87501", "elected": ["A-001"], "eliminated": [],
               "transfers": {}, "exhausted": "0.00000", "note": ""}]
    ET.fromstring(_chart(rounds))
    ET.fromstring(_chart([]))


def test_the_totals_strip_has_one_dot_per_sheet_and_no_names(app: Flask) -> None:
    out = str(charts.totals_strip_svg([12, 9, 12, "14.5"], low=3, high=15, chart_id="s-1",
                                      title="Totals for A-001"))
    root = ET.fromstring(out)
    assert len(list(root.iter(f"{SVG}circle"))) == 4
    assert root.find(f"{SVG}desc").text == "9, 12, 12, 14.50"  # type: ignore[union-attr]
    assert "Panel member" not in out
    assert out == str(charts.totals_strip_svg([12, 9, 12, "14.5"], low=3, high=15,
                                              chart_id="s-1", title="Totals for A-001"))
