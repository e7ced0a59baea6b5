"""How easy the panel's and the public's pages are to read, per page, in English.

Run with ``python -m benchmarks.readability`` (``make bench`` runs it too). It loads the demo
into a temporary SQLite database, renders each page a panel member or a member of the public
reads through the real app (signed in as the demo's panel member 1 where needed), takes the
visible prose of the page's ``<main>`` (each heading, paragraph, list item and label as its own
sentence; tables of names and numbers, commands and digests left out), and scores it with ``textstat``:

- Flesch-Kincaid grade (US school grade), and the UK reading age (grade + 5);
- Flesch reading ease (higher is easier; 60 to 70 is plain English);
- textstat's consensus grade (``text_standard``) across its formulas.

The issue's aim is a reading age of about 9 to 11 on the panel and applicant pages. Scores are
estimates: names, references and numbers on a page count as words too.

Results: a table on stdout and ``benchmarks/results/readability-latest.json``.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "dt", "dd", "td", "th", "label", "legend",
          "button", "summary", "caption", "figcaption", "a", "option", "div"}
SKIP = {"script", "style", "template", "svg", "table", "pre", "code"}  # prose only: tables of
# names and numbers, commands and digests are not sentences
TERMINAL = re.compile(r"[.!?:;]$")


class MainText(HTMLParser):
    """The visible text inside ``<main>``, one sentence per block element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth_main = 0
        self.skip = 0
        self.blocks: list[str] = []
        self.current: list[str] = []

    def _flush(self) -> None:
        text = " ".join("".join(self.current).split())
        self.current = []
        if text and re.search(r"[A-Za-z]", text):
            self.blocks.append(text if TERMINAL.search(text) else text + ".")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self.depth_main += 1
        elif tag in SKIP:
            self.skip += 1
        elif tag in BLOCKS and self.depth_main:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self._flush()
            self.depth_main -= 1
        elif tag in SKIP:
            self.skip -= 1
        elif tag in BLOCKS and self.depth_main:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self.depth_main and not self.skip:
            self.current.append(data)


def visible_text(html: str) -> str:
    parser = MainText()
    parser.feed(html)
    parser.close()
    return "\n".join(parser.blocks)


def score(text: str) -> dict[str, float]:
    import textstat

    grade = float(textstat.flesch_kincaid_grade(text))
    return {
        "words": float(textstat.lexicon_count(text)),
        "fk_grade": round(grade, 1),
        "reading_age": round(grade + 5, 1),
        "reading_ease": round(float(textstat.flesch_reading_ease(text)), 1),
        "consensus_grade": round(float(textstat.text_standard(text, float_output=True)), 1),
    }


def pages() -> list[tuple[str, str, str]]:
    """(audience, page name, path); panel paths need the demo's panel member 1 signed in."""
    return [
        ("public", "Published decisions (home)", "/"),
        ("public", "Outcome: Winter Warmth and Food Fund", "/rounds/1"),
        ("public", "Outcome: Community Voices (stages)", "/rounds/2"),
        ("public", "Round open for scoring", "/rounds/3"),
        ("public", "How decisions are made", "/how-decisions-are-made"),
        ("public", "What the words mean (glossary)", "/words"),
        ("public", "Raising a concern", "/concerns"),
        ("public", "Sign in", "/sign-in"),
        ("panel", "Panel home", "/panel/"),
        ("panel", "Conflicts", "/panel/rounds/3/conflicts"),
        ("panel", "Queue", "/panel/rounds/3/"),
        ("panel", "Score sheet", "/panel/rounds/3/applications/{first}"),
    ]


def measure() -> list[dict[str, Any]]:
    from sqlalchemy import select

    from config import TestingConfig
    from grantpanel import create_app
    from grantpanel.extensions import db
    from grantpanel.models import Application, User

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/readability.sqlite3"

        app = create_app(TestingConfig(url))
        runner = app.test_cli_runner()
        for command in (["init-db"], ["demo"]):
            result = runner.invoke(args=command)
            if result.exit_code != 0:
                raise RuntimeError(f"grantpanel {command[0]} failed: {result.output}")
        with app.app_context():
            member = db.session.scalar(select(User).where(User.email == "panel1@example.org"))
            first = db.session.scalar(
                select(Application.id).where(Application.round_id == 3).order_by(Application.id)
            )
            assert member is not None and first is not None
            member_id = member.get_id()
        client = app.test_client()  # outside the app context: each request gets its own g
        if True:
            for audience, name, path in pages():
                if audience == "panel":
                    with client.session_transaction() as sess:
                        sess["_user_id"] = member_id
                        sess["_fresh"] = True
                resp = client.get(path.format(first=first), headers={"Accept-Language": "en-GB"})
                if resp.status_code != 200:
                    raise RuntimeError(f"{path}: HTTP {resp.status_code} {resp.headers.get('Location')}")
                text = visible_text(resp.get_data(as_text=True))
                rows.append({"audience": audience, "page": name, "path": path, **score(text)})
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    head = ["audience", "page", "words", "reading age", "FK grade", "ease", "consensus"]
    body = [[r["audience"], r["page"], f"{r['words']:.0f}", f"{r['reading_age']:.1f}",
             f"{r['fk_grade']:.1f}", f"{r['reading_ease']:.1f}", f"{r['consensus_grade']:.1f}"]
            for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in body]
    return "\n".join(lines)


def section(quick: bool = False) -> int:
    rows = measure()
    print("\nReadability (English, the page's <main>; reading age = Flesch-Kincaid grade + 5)")
    print(table(rows))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "rows": rows}
    name = "readability-quick.json" if quick else "readability-latest.json"
    (RESULTS / name).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(section(quick="--quick" in sys.argv[1:]))
