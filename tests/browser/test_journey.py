"""The whole journey in a real browser, through the UI only, with axe on every page visited.

Staff sign in, set up a round (rubric, CSV import with a rejected file first, two panel
members), open scoring. Panel member Alice accepts her invitation, declares a conflict, and
scores her applications (one sheet by keyboard only, one with a validation error first). Panel
member Bob does everything with JavaScript switched off. Staff close scoring, check the count,
fund one application by override with a reason, and publish. An anonymous visitor reads the
outcome, downloads the record, and `python -m voting verify` accepts it and rejects a
tampered copy.

Expected count (quorum 2, mean, skip, budget 5,000): criteria weights 2 and 1.
  Alice: A-001 5,3 = 13; A-002 4,2 = 10; A-003 2,1 = 5; A-004 conflict.
  Bob:   A-001 4,3 = 11; A-002 5,3 = 13; A-003 3,2 = 8; A-004 5,3 = 13.
  Means: A-001 12, A-002 11.5, A-003 6.5; A-004 has one score (below quorum).
  Funded by the count: A-001 (2,000) and A-002 (1,500); A-003 (3,000) does not fit the 1,500
  left and is skipped. Staff fund A-004 (1,000) by override: 4,500 in all.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from grantpanel.extensions import db
from grantpanel.services import accounts
from tests.browser.conftest import LiveServer
from tests.browser.journey_helpers import (
    People,
    Scanner,
    expect_done,
    focused_matches,
    tab_until,
    write_csv,
)

STAFF_EMAIL = "grants@example.org"
STAFF_PASSWORD = "staff password 123"
ROUND_NAME = "Neighbourhood Fund 2026"
OVERRIDE_REASON = (
    "Only one panel member could score A-004 because of a declared conflict; the panel "
    "agreed in discussion that it should be funded."
)

APPLICATIONS = [
    {"reference": "A-001", "applicant_name": "Green Lane Growers",
     "contact_email": "hello@greenlane.example", "title": "Community garden beds",
     "summary": "Raised beds so older residents can grow food together.", "amount": "2000",
     "answers": "We have 30 members and a site agreed with the council."},
    {"reference": "A-002", "applicant_name": "Eastside Juniors FC",
     "title": "Football kit for the girls' team",
     "summary": "Kit and boots so cost is no barrier to playing.", "amount": "1,500.00"},
    {"reference": "A-003", "applicant_name": "Age Well Together",
     "title": "Lunch club minibus",
     "summary": "Hire a minibus so people who cannot walk far can come to lunch club.",
     "amount": "3000"},
    {"reference": "A-004", "applicant_name": "Riverside Kitchen",
     "title": "Cooking on a budget classes",
     "summary": "Six weeks of cooking classes for families on low incomes.", "amount": "1000"},
]

# Criterion name -> (weight, scale, descriptors lowest first)
CRITERIA = [
    ("Who benefits", "2", ["1", "5"], [
        "Does not show who will benefit",
        "Says who benefits, with little detail",
        "Shows who benefits and roughly how many",
        "Shows clearly who benefits and how",
        "Shows clearly who benefits, how, and that they asked for it",
    ]),
    ("Is the plan realistic", "1", ["1", "3"], [
        "The plan is unclear or unlikely to work",
        "The plan could work with some changes",
        "The plan is clear and likely to work",
    ]),
]

ALICE_SCORES = {"A-001": (5, 3), "A-002": (4, 2), "A-003": (2, 1)}
BOB_SCORES = {"A-001": (4, 3), "A-002": (5, 3), "A-003": (3, 2), "A-004": (5, 3)}


def _choose_score(page: Page, criterion: str, point: int) -> None:
    group = page.get_by_role("group", name=criterion)
    group.get_by_role("radio", name=re.compile(rf"^{point} ")).check()


# --- staff: set-up -------------------------------------------------------------------------


def staff_signs_in(page: Page, base: str, scan: Scanner) -> None:
    page.goto(base + "/sign-in")
    scan(page, "sign-in")
    page.get_by_label("Email address").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Funding rounds", level=1)).to_be_visible()
    scan(page, "staff dashboard (empty)")


def staff_creates_round(page: Page, scan: Scanner) -> None:
    page.get_by_role("link", name="Create a new round").click()
    expect(page.get_by_role("heading", name="Create a round")).to_be_visible()
    scan(page, "round form")

    # A mistake first: no name, no budget, and the dates in the wrong order.
    page.get_by_label("Scoring opens on").fill("2026-03-01")
    page.get_by_label("Scoring closes on").fill("2026-02-01")
    page.get_by_role("button", name="Save the round").click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary).to_contain_text("Enter a name for the round.")
    expect(summary).to_contain_text("The closing date must be after the opening date.")
    expect(page).to_have_title(re.compile("^Error: "))
    # The link in the error summary moves focus to the field.
    summary.get_by_role("link", name="Enter a name for the round.").click()
    expect(page.get_by_label("Name of the round")).to_be_focused()
    scan(page, "round form with errors")

    # What was typed is kept; fix the problems.
    expect(page.get_by_label("Scoring opens on")).to_have_value("2026-03-01")
    page.get_by_label("Name of the round").fill(ROUND_NAME)
    page.get_by_label("What the round is for").fill(
        "Small grants for groups that make our neighbourhood a better place to live."
    )
    page.get_by_label("Budget").fill("5,000")
    page.get_by_role("radio", name=re.compile("^Co-production")).check()
    page.get_by_label("Quorum: the fewest scores an application needs").fill("2")
    page.get_by_label("First, prefer").select_option("higher_mean")
    page.get_by_label("Then prefer").nth(0).select_option("more_scores")
    page.get_by_label("Then prefer").nth(1).select_option("smaller_amount")
    page.get_by_label("Scoring closes on").fill("2026-03-31")
    page.get_by_label("Decision expected on").fill("2026-04-15")
    page.get_by_role("button", name="Save the round").click()

    expect(page.get_by_role("heading", name=ROUND_NAME, level=1)).to_be_visible()
    expect_done(page, f"The round '{ROUND_NAME}' is created.")
    expect(page.get_by_text("Add at least one criterion to the rubric")).to_be_visible()
    scan(page, "round page (draft, empty)")


def staff_adds_criteria(page: Page, scan: Scanner) -> None:
    for i, (name, weight, (lo, hi), descriptors) in enumerate(CRITERIA):
        page.get_by_role("link", name="Add a criterion").click()
        expect(page.get_by_role("heading", name="Add a criterion")).to_be_visible()
        scan(page, "criterion form")
        page.get_by_label("Criterion", exact=True).fill(name)
        page.get_by_label("Guidance for the panel", exact=True).fill(
            f"Think about: {name.lower()}."
        )
        page.get_by_label("Weight").fill(weight)
        page.get_by_label("Lowest point on the scale").fill(lo)
        page.get_by_label("Highest point on the scale").fill(hi)
        lines = [f"{lo if j == 0 else int(lo) + j}: {d}" for j, d in enumerate(descriptors)]
        if i == 0:
            # One point left without a descriptor is refused, beside the field.
            page.get_by_label("What each point means", exact=True).fill("\n".join(lines[:-1]))
            page.get_by_role("button", name="Save the criterion").click()
            expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
            expect(page.locator("#descriptors-error")).to_be_visible()
            scan(page, "criterion form with errors")
        page.get_by_label("What each point means", exact=True).fill("\n".join(lines))
        page.get_by_role("button", name="Save the criterion").click()
        expect_done(page, f"The criterion '{name}' is added to the rubric.")
        expect(page.get_by_role("heading", name=re.compile(rf"{i + 1}\. {name}"))).to_be_visible()
    expect(page.get_by_text("5: Shows clearly who benefits, how, and that they asked for it")
           ).to_be_visible()
    scan(page, "round page (draft, with rubric)")


def staff_imports_applications(page: Page, scan: Scanner, tmp_path: Path) -> None:
    page.get_by_role("link", name="Applications", exact=True).click()
    expect(page.get_by_role("heading", name="Applications", level=1)).to_be_visible()
    expect(page.get_by_text("There are no applications yet.")).to_be_visible()
    scan(page, "applications (empty)")
    page.get_by_role("link", name="Import from a CSV file").click()
    expect(page.get_by_role("heading", name="Import applications from a CSV file")
           ).to_be_visible()
    scan(page, "import form")

    # A file with one bad row (line 3: no title, amount not a number): nothing is imported.
    bad = [dict(r) for r in APPLICATIONS]
    bad[1] = {**bad[1], "title": "", "amount": "lots"}
    bad_file = write_csv(tmp_path / "applications-bad.csv", bad)
    page.get_by_label("CSV file").set_input_files(bad_file)
    page.get_by_role("button", name="Check and import").click()
    report = page.get_by_role("table", name="Problems found. Nothing was imported.")
    expect(report).to_be_visible()
    # One row per problem, each with its line number: both are on line 3 (the second row).
    expect(report.locator("tbody tr td:first-child")).to_have_text(["3", "3"])
    expect(report).to_contain_text("title is empty")
    expect(report).to_contain_text("amount")
    expect(page.get_by_role("alert")).to_contain_text("Fix the file and upload it again")
    scan(page, "import report (rejected file)")
    page.get_by_role("navigation", name="This round").get_by_role(
        "link", name="Applications").click()
    expect(page.get_by_text("There are no applications yet.")).to_be_visible()

    # The good file.
    page.get_by_role("link", name="Import from a CSV file").click()
    good_file = write_csv(tmp_path / "applications.csv", APPLICATIONS)
    page.get_by_label("CSV file").set_input_files(good_file)
    page.get_by_role("button", name="Check and import").click()
    expect_done(page, "4 applications imported.")
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(1 + len(APPLICATIONS))
    for a in APPLICATIONS:
        expect(table).to_contain_text(a["title"])
    expect(page.get_by_text("Eligible applications ask for £7,500.00 in all")).to_be_visible()
    scan(page, "applications (imported)")
    page.get_by_role("link", name="A-001").click()
    expect(page.get_by_role("heading", name="Community garden beds")).to_be_visible()
    scan(page, "application detail (staff)")


def staff_adds_member(page: Page, scan: Scanner, name: str, email: str, *,
                      access_needs: str = "") -> str:
    page.get_by_role("navigation", name="This round").get_by_role("link", name="Panel").click()
    expect(page.get_by_role("heading", name="Panel", level=1)).to_be_visible()
    scan(page, "panel (staff)")
    page.get_by_role("link", name="Add a panel member").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    scan(page, "member form")
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email address").fill(email)
    if access_needs:
        page.get_by_label("Access needs (optional)").fill(access_needs)
    page.get_by_role("button", name="Add to the panel").click()
    expect(page.get_by_role("heading", name=f"Invitation link for {name}")).to_be_visible()
    expect_done(page, f"{name} is on the panel as Panel member")
    link = page.locator("#invitation-link").inner_text().strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/invitation/\S+", link), link
    scan(page, "member invitation (link shown)")
    return link


def staff_opens_scoring(page: Page, scan: Scanner) -> str:
    page.get_by_role("navigation", name="This round").get_by_role(
        "link", name=ROUND_NAME).click()
    expect(page.get_by_text("Everything needed is in place.")).to_be_visible()
    page.get_by_role("link", name="Open scoring").click()
    expect(page.get_by_role("heading", name="Open scoring", level=1)).to_be_visible()
    expect(page.get_by_text("Nothing is outstanding.")).to_be_visible()
    scan(page, "open scoring: check")
    page.get_by_role("button", name="Open scoring").click()
    expect_done(page, "Scoring is open.")
    commitment = page.get_by_role("heading", name="Seed commitment").locator(
        "xpath=following-sibling::p[@class='digest']")
    expect(commitment).to_have_text(re.compile(r"^sha256:[0-9a-f]{64}$"))
    scan(page, "round page (open)")
    return commitment.inner_text().strip()


# --- panel member Alice (JavaScript on; one sheet by keyboard only) -------------------------


def alice_joins_and_declares_conflict(page: Page, link: str, scan: Scanner) -> None:
    page.goto(link)
    expect(page.get_by_role("heading", name="Your invitation to the panel")).to_be_visible()
    scan(page, "invitation")
    page.get_by_role("button", name="Sign in and continue").click()
    expect(page.get_by_role("heading", name="Choose a password")).to_be_visible()
    scan(page, "set password")
    page.get_by_label("Choose a password").fill("short")
    page.get_by_label("Type the password again").fill("different")
    page.get_by_role("button", name="Save password").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Choose a password of at least 10 characters.")
    scan(page, "set password with errors")
    page.get_by_label("Choose a password").fill("a long enough password")
    page.get_by_label("Type the password again").fill("a long enough password")
    page.get_by_role("button", name="Save password").click()
    expect_done(page, "Your password is saved.")
    expect(page.get_by_role("heading", name="Your panel work")).to_be_visible()
    expect(page.get_by_text("Panel member 1", exact=True)).to_be_visible()
    scan(page, "panel home")

    page.get_by_role("link", name=re.compile("check the list of applicants")).click()
    expect(page.get_by_role("heading", name="Do you know any of the applicants?")
           ).to_be_visible()
    # The applicants' names are listed before any application can be opened.
    for a in APPLICATIONS:
        expect(page.get_by_label(f"I have a connection to {a['applicant_name']}")).to_be_visible()
    scan(page, "conflicts screen")
    # Submitting without answering is refused with a plain message.
    page.get_by_role("button", name="Confirm and continue", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("I have no ties to any of these")
    scan(page, "conflicts screen with errors")

    riverside = page.get_by_role("listitem").filter(
        has=page.get_by_label("I have a connection to Riverside Kitchen"))
    riverside.get_by_label("I have a connection to Riverside Kitchen").check()
    riverside.get_by_text("Say how you know Riverside Kitchen").click()  # unfold the details
    riverside.get_by_label("How are you connected?").select_option(
        label="A close friend is involved")
    riverside.get_by_label("Anything else we should know (optional)").fill(
        "My neighbour runs the classes.")
    page.get_by_role("button", name="Confirm my answers and continue").click()
    expect_done(page, "You will not see or score the 1 application you have a connection to.")
    expect(page.get_by_role("heading", name="Your applications")).to_be_visible()
    queue = page.get_by_role("table")
    expect(queue.get_by_role("row")).to_have_count(1 + 3)
    expect(queue).not_to_contain_text("Riverside Kitchen")
    expect(page.get_by_text("0 of 3 submitted")).to_be_visible()
    scan(page, "queue")


def alice_scores_first_by_keyboard(page: Page, scan: Scanner) -> None:
    """A-001, with the keyboard only: Tab to the link, Enter; Space and arrows in the radio
    groups; Tab into the note; Tab to the submit button and Enter."""
    tab_until(page, "a[href*='/applications/']")
    assert page.evaluate("document.activeElement.textContent") == "Community garden beds"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Community garden beds", level=1)).to_be_visible()
    expect(page.get_by_text("Raised beds so older residents")).to_be_visible()
    scan(page, "score sheet")

    who = page.get_by_role("group", name="Who benefits")
    plan = page.get_by_role("group", name="Is the plan realistic")
    # Who benefits: 5. Tab reaches the first radio of the group; Space picks 1; four
    # ArrowDowns move the choice to 5.
    tab_until(page, "input[type=radio]")
    expect(who.get_by_role("radio", name=re.compile("^1 "))).to_be_focused()
    page.keyboard.press("Space")
    expect(who.get_by_role("radio", name=re.compile("^1 "))).to_be_checked()
    for _ in range(4):
        page.keyboard.press("ArrowDown")
    expect(who.get_by_role("radio", name=re.compile("^5 "))).to_be_checked()
    # Is the plan realistic: 3. Tab leaves the group for the next one.
    page.keyboard.press("Tab")
    expect(plan.get_by_role("radio", name=re.compile("^1 "))).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(plan.get_by_role("radio", name=re.compile("^3 "))).to_be_checked()
    expect(who.get_by_role("radio", name=re.compile("^5 "))).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Note to the panel (optional)")).to_be_focused()
    page.keyboard.type("Strong local support; keyboard-only sheet.")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Feedback for the applicant (optional)")).to_be_focused()
    page.keyboard.type("A clear plan that people asked for.")
    page.keyboard.press("Tab")
    assert focused_matches(page, "input[type=submit][value='Submit my scores']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your scores are submitted")).to_be_visible()
    expect(page.get_by_text("You have submitted 1 of 3.")).to_be_visible()
    scan(page, "scores submitted")


def alice_scores_rest(page: Page, scan: Scanner) -> None:
    # submit with one answer missing first; the error shows, the answer given is kept.
    page.get_by_role("link", name=re.compile("Go to the next application")).click()
    expect(page.get_by_role("heading", name="Football kit for the girls' team")).to_be_visible()
    _choose_score(page, "Who benefits", ALICE_SCORES["A-002"][0])
    page.get_by_role("button", name="Submit my scores").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Choose a score for Is the plan realistic")
    expect(page.get_by_text("Your answers are on this page but have not been saved yet.")
           ).to_be_visible()
    expect(page.get_by_role("group", name="Who benefits").get_by_role(
        "radio", name=re.compile(rf"^{ALICE_SCORES['A-002'][0]} "))).to_be_checked()
    scan(page, "score sheet with errors")
    summary.get_by_role("link", name=re.compile("Choose a score for Is the plan")).click()
    expect(page.get_by_role("group", name="Is the plan realistic").get_by_role("radio").first
           ).to_be_focused()
    _choose_score(page, "Is the plan realistic", ALICE_SCORES["A-002"][1])
    # Save a draft first: it does not count until submitted.
    page.get_by_label("Note to the panel (optional)").fill("Good, but the costs are vague.")
    page.get_by_role("button", name="Save as draft").click()
    expect_done(page, "Your draft is saved.")
    expect(page.get_by_text(re.compile("You saved a draft on"))).to_be_visible()
    scan(page, "score sheet (draft saved)")
    page.get_by_role("button", name="Submit my scores").click()
    expect(page.get_by_text("You have submitted 2 of 3.")).to_be_visible()

    # A-003 by clicking.
    page.get_by_role("link", name=re.compile("Go to the next application")).click()
    expect(page.get_by_role("heading", name="Lunch club minibus")).to_be_visible()
    _choose_score(page, "Who benefits", ALICE_SCORES["A-003"][0])
    _choose_score(page, "Is the plan realistic", ALICE_SCORES["A-003"][1])
    page.get_by_label("Note to the panel (optional)").fill("Too costly for what it does.")
    page.get_by_role("button", name="Submit my scores").click()
    expect(page.get_by_text("You have submitted 3 of 3.")).to_be_visible()
    expect(page.get_by_text("You have submitted scores for all your applications.")
           ).to_be_visible()
    scan(page, "scores submitted (all done)")
    page.get_by_role("link", name="Back to your applications").click()
    expect(page.get_by_text("3 of 3 submitted")).to_be_visible()
    scan(page, "queue (all submitted)")


# --- panel member Bob (JavaScript off) ------------------------------------------------------


def bob_scores_without_javascript(page: Page, link: str) -> None:
    """Bob's pages are the templates Alice's scans covered. axe is not run here: it waits on
    timers, and timers never fire in a context with JavaScript disabled."""
    page.goto(link)
    page.get_by_role("button", name="Sign in and continue").click()
    expect(page.get_by_role("heading", name="Choose a password")).to_be_visible()
    page.get_by_role("link", name="go straight to your panel work").click()
    page.get_by_role("link", name=re.compile("check the list of applicants")).click()
    expect(page.get_by_role("heading", name="Do you know any of the applicants?")
           ).to_be_visible()
    page.get_by_label("I have no ties to any of these applicants").check()
    page.get_by_role("button", name="Confirm and continue").click()
    expect_done(page, "You have told us you have no ties to any of the applicants.")
    expect(page.get_by_text("0 of 4 submitted")).to_be_visible()
    for n, a in enumerate(APPLICATIONS, start=1):
        page.get_by_role("link", name=a["title"]).click()
        expect(page.get_by_role("heading", name=a["title"], level=1)).to_be_visible()
        who, plan = BOB_SCORES[a["reference"]]
        _choose_score(page, "Who benefits", who)
        _choose_score(page, "Is the plan realistic", plan)
        page.get_by_label("Note to the panel (optional)").fill(f"Bob's note on {a['reference']}.")
        page.get_by_role("button", name="Submit my scores").click()
        expect(page.get_by_text(f"You have submitted {n} of 4.")).to_be_visible()
        page.get_by_role("link", name="Back to your applications").click()
    expect(page.get_by_text("4 of 4 submitted")).to_be_visible()


# --- staff: count, decision, publication -----------------------------------------------------


def staff_closes_and_decides(page: Page, scan: Scanner) -> None:
    page.get_by_role("link", name="Scoring progress").click()
    nav = page.get_by_role("navigation", name="This round")
    expect(page.get_by_role("heading", name=re.compile("progress", re.I), level=1)
           ).to_be_visible()
    scan(page, "progress")
    nav.get_by_role("link", name="Conflicts of interest").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("table", name="Conflicts of interest declared in this round")
           ).to_contain_text("A-004: Cooking on a budget classes")
    scan(page, "conflicts (staff)")
    nav.get_by_role("link", name="Count and decision").click()
    expect(page.get_by_text("The count can be run once scoring has closed.")).to_be_visible()
    scan(page, "count (open: no ranking)")
    nav.get_by_role("link", name=ROUND_NAME).click()
    page.get_by_role("link", name="Close scoring").click()
    expect(page.get_by_role("heading", name="Close scoring", level=1)).to_be_visible()
    scan(page, "close scoring: check")
    page.get_by_role("button", name="Close scoring").click()
    expect_done(page, "Scoring is closed.")
    scan(page, "round page (closed)")

    page.get_by_role("link", name="Check the count and confirm the decision").click()
    page.get_by_role("button", name="Run the count").click()
    expect_done(page, "The count has been run.")
    table = page.get_by_role("table", name="Applications in ranked order")
    expect(table).to_be_visible()
    rows = table.get_by_role("row")
    expect(rows.nth(1)).to_contain_text("A-001: Community garden beds")
    expect(rows.nth(1)).to_contain_text("12")
    expect(rows.nth(1)).to_contain_text("Funded")
    expect(rows.nth(2)).to_contain_text("A-002: Football kit for the girls' team")
    expect(rows.nth(2)).to_contain_text("11.5")
    # With the "skip" rule every ranked application is examined, so the line comes after
    # A-003 (skipped: it asked for more than the 1,500 left).
    expect(rows.nth(3)).to_contain_text("A-003: Lunch club minibus")
    expect(rows.nth(4)).to_contain_text("Funding line:")
    expect(rows.nth(4)).to_contain_text("£3,500.00 spent, £1,500.00 left")
    expect(table.get_by_role("row", name=re.compile("A-003"))).to_contain_text(
        "Does not fit the money left")
    expect(table.get_by_role("row", name=re.compile("A-004"))).to_contain_text(
        "Too few scores to rank")
    expect(page.get_by_text("Spent by the count: £3,500.00 of £5,000.00.")).to_be_visible()
    scan(page, "count (closed: ranked list and funding line)")

    # Override: fund A-004, on a page of its own. Without a reason it is refused.
    table.get_by_role("link", name="Change the result for A-004").click()
    page.get_by_label("Fund it").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Write the reason for the change.")
    expect(page.get_by_label("Fund it")).to_be_checked()
    scan(page, "change one result, with errors")
    page.get_by_label("Reason for the change").fill(OVERRIDE_REASON)
    page.get_by_role("button", name="Save").click()
    expect_done(page, "The change to A-004 is applied when you confirm the decision.")
    expect(page.get_by_text(f"A-004: fund. Reason: {OVERRIDE_REASON}")).to_be_visible()
    page.get_by_role("button", name="Confirm the decision").click()
    expect_done(page, "The decision is confirmed.")
    expect(page.get_by_text("Changed by staff, with reasons")).to_be_visible()
    expect(page.get_by_text(f"A-004: fund. Reason: {OVERRIDE_REASON}")).to_be_visible()
    scan(page, "count (decided)")
    page.get_by_role("link", name="Publish the decision").click()
    expect(page.get_by_role("heading", name="The funded list")).to_be_visible()
    expect(page.get_by_text("A-004: Cooking on a budget classes")).to_be_visible()
    scan(page, "publish: check")
    page.get_by_role("button", name="Publish the decision").click()
    expect_done(page, "The decision is published.")
    expect(page.get_by_text("This round is finished. Its decision record is published")
           ).to_be_visible()
    expect(page.get_by_role("link", name="see the public outcome page")).to_be_visible()
    scan(page, "round page (published)")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    scan(page, "audit log")


def public_checks_outcome(page: Page, scan: Scanner, tmp_path: Path, commitment: str) -> None:
    page.get_by_role("link", name=ROUND_NAME).click()
    expect(page.get_by_role("heading", name=ROUND_NAME, level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Staff changed the panel's result")).to_be_visible()
    expect(page.get_by_text(OVERRIDE_REASON)).to_be_visible()
    funded = page.get_by_role("table", name="Applications funded, in the order they were funded")
    body_rows = funded.locator("tbody tr")
    expect(body_rows).to_have_count(3)
    for ref in ("A-001", "A-002", "A-004"):
        expect(funded).to_contain_text(ref)
    expect(funded).not_to_contain_text("A-003")
    expect(funded.locator("tfoot")).to_contain_text("£4,500.00")
    method = page.get_by_role("heading", name="How the decision was made").locator(
        "xpath=following-sibling::p[1]")
    expect(method).to_contain_text(re.compile(r"\w+.*\w+"))
    expect(page.get_by_role("main")).to_contain_text(commitment)
    expect(page.get_by_role("main")).not_to_contain_text("Riverside Kitchen")  # private
    expect(page.get_by_role("main")).not_to_contain_text("Alice")
    digest = page.get_by_text(re.compile(r"^sha256:[0-9a-f]{64}$")).first.inner_text()
    scan(page, "public outcome")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download the decision record (a data file)").click()
    download = info.value
    record = tmp_path / download.suggested_filename
    download.save_as(record)
    body = json.loads(record.read_text(encoding="utf-8"))
    assert body["digest"] == digest
    assert "Riverside Kitchen" not in record.read_text(encoding="utf-8")

    ok = subprocess.run([sys.executable, "-m", "voting", "verify", str(record)],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    print("\nverify (downloaded):", ok.stdout.strip()[-300:])

    tampered = tmp_path / "tampered.json"
    body["decision"]["funded"][0]["amount"] += 100  # claim a pound more than was decided
    tampered.write_text(json.dumps(body, sort_keys=True, separators=(",", ":")),
                        encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "voting", "verify", str(tampered)],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0, bad.stdout + bad.stderr
    assert "decision.funded[0].amount" in bad.stdout + bad.stderr  # names the first difference
    print("verify (tampered):", (bad.stdout + bad.stderr).strip()[-300:])


# --- the journey ---------------------------------------------------------------------------


@pytest.fixture()
def people(browser: Browser, browser_context_args: dict[str, Any]) -> Iterator[People]:
    made = People(browser, browser_context_args)
    yield made
    made.close_all()


def test_whole_journey(page: Page, people: People, live_server: LiveServer,
                       tmp_path: Path) -> None:
    with live_server.app.app_context():
        accounts.create_user(email=STAFF_EMAIL, name="Sam Staff", role="staff",
                             password=STAFF_PASSWORD)
        db.session.commit()
    base = live_server.url
    scan = Scanner()
    page.set_default_timeout(10_000)

    # 1-5: staff set the round up and open scoring.
    staff_signs_in(page, base, scan)
    staff_creates_round(page, scan)
    staff_adds_criteria(page, scan)
    staff_imports_applications(page, scan, tmp_path)
    alice_link = staff_adds_member(page, scan, "Alice Adeyemi", "alice@example.org",
                                   access_needs="Large text, please.")
    bob_link = staff_adds_member(page, scan, "Bob Brown", "bob@example.org")
    page.get_by_role("link", name="Back to the panel").click()
    expect(page.get_by_role("table")).to_contain_text("Alice Adeyemi")
    expect(page.get_by_role("table")).to_contain_text("Bob Brown")
    scan(page, "panel (two members)")
    commitment = staff_opens_scoring(page, scan)

    # The public round page shows the seed commitment while the panel scores.
    public = people.new_page()
    public.goto(base + "/")
    scan(public, "public index (scoring)")
    public.get_by_role("link", name=ROUND_NAME).click()
    expect(public.get_by_role("main")).to_contain_text(commitment)
    scan(public, "public round page (scoring)")

    # 6: Alice, in her own browser.
    alice = people.new_page()
    alice_joins_and_declares_conflict(alice, alice_link, scan)
    alice_scores_first_by_keyboard(alice, scan)
    alice_scores_rest(alice, scan)

    # 10: Bob, with JavaScript switched off.
    bob = people.new_page(java_script_enabled=False)
    bob_scores_without_javascript(bob, bob_link)

    # 7: staff close scoring, check the count, override with a reason, publish.
    page.get_by_role("link", name="Staff", exact=True).click()
    page.get_by_role("link", name=ROUND_NAME).click()
    staff_closes_and_decides(page, scan)

    # 8: the public outcome and the record, checked by anyone.
    public.goto(base + "/")
    expect(public.get_by_role("link", name=ROUND_NAME)).to_be_visible()
    scan(public, "public index (published)")
    public_checks_outcome(public, scan, tmp_path, commitment)

    print(f"\naxe scanned {len(scan.scanned)} page states at 360 and 1280 px in "
          f"{scan.seconds:.1f} s: "
          + ", ".join(scan.scanned))
