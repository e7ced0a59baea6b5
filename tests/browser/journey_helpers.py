"""Small helpers for the whole-journey browser test (tests/browser/test_journey.py)."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import check_accessibility


class Scanner:
    """Runs axe on each distinct page state once, and remembers what it scanned."""

    def __init__(self) -> None:
        self.scanned: dict[str, str] = {}
        self.seconds = 0.0

    def __call__(self, page: Page, key: str) -> None:
        if key in self.scanned:
            return
        start = time.perf_counter()
        check_accessibility(page)
        self.seconds += time.perf_counter() - start
        self.scanned[key] = page.url


class People:
    """Separate people: each a fresh browser context (own cookies), with the suite's viewport
    and CSP bypass. Every context made is closed by :meth:`close_all`, even after a failure."""

    def __init__(self, browser: Browser, context_args: dict[str, Any]) -> None:
        self.browser = browser
        self.context_args = context_args
        self.contexts: list[BrowserContext] = []

    def new_page(self, **extra: Any) -> Page:
        context = self.browser.new_context(**{**self.context_args, **extra})
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        return context.new_page()

    def close_all(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


def tab_until(page: Page, selector: str, *, shift: bool = False, limit: int = 80) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches ``selector``."""
    key = "Shift+Tab" if shift else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
    raise AssertionError(f"Tabbing never reached {selector!r}")


def focused_matches(page: Page, selector: str) -> bool:
    return bool(page.evaluate("s => document.activeElement.matches(s)", selector))


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    columns = ["reference", "applicant_name", "contact_email", "title", "summary", "amount",
               "answers"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def expect_done(page: Page, text: str) -> None:
    """The flash notice after a successful POST says ``text``."""
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()
