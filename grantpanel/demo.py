"""Demo data: two published rounds with verifiable records, and one round open for scoring.

The first published round decides by scores alone; the second runs the whole chain of
decision stages: scores, a consensus check (flags, the meeting, stage-2 re-scores), a ranked
vote (single transferable vote) on a shortlist, funding down the final order, and the panel's
consent to the funded list.

``load_demo(if_empty=...)`` builds everything through the real services (accounts, conflicts,
scoring, the lifecycle and the counting service), so the published round has a genuine,
chained decision record that ``python -m voting verify`` accepts.  Scores come from
``random.Random(2026)``, so the demo is the same every time it is loaded.  It yields lines for
the ``grantpanel demo`` command to print, ending with the demo sign-ins.

The organisations, people and email addresses are invented.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select

import voting
from grantpanel.extensions import db
from grantpanel.models import Application, Criterion, Membership, Round, User, utcnow
from grantpanel.services import (
    accounts,
    ballots,
    conflicts,
    consent,
    counting,
    scoring,
    stages,
    transitions,
)
from grantpanel.vocabulary import RoundState

STAFF_EMAIL = "staff@example.org"
STAFF_PASSWORD = "demo-staff-2026"
PANEL_PASSWORD = "demo-panel-2026"
PANEL_NAMES = [
    "Amira Hassan", "Dev Patel", "Grace Okafor", "Tom Williams",
    "Shona MacLeod", "Bogdan Nowak", "Carys Evans", "Marcus Reid",
]
URL = "http://127.0.0.1:5000/"
REVIEWERS_PER_APPLICATION = 5


def panel_email(number: int) -> str:
    return f"panel{number}@example.org"


@dataclass(frozen=True)
class DemoApplication:
    title: str
    summary: str
    pounds: int
    applicant: str
    eligible_reason: str | None = None  # set for an ineligible application


WINTER_APPLICATIONS = [
    DemoApplication("Warm Welcome at St Aidan's", "Opening the church hall three afternoons a week through the winter as a warm space, with hot soup, phone charging and free Wi-Fi.", 4_800, "St Aidan's Community Hall CIO"),
    DemoApplication("Friday Food Club", "A members' food club where families pay £3.50 a week for groceries worth £15, with cooking sessions for children.", 7_500, "Brookfield Tenants' Association"),
    DemoApplication("Debt advice drop-in at the library", "A qualified debt adviser at the central library every Tuesday, helping people with arrears, bailiffs and benefit deductions.", 12_000, "Northgate Money Advice"),
    DemoApplication("Kinship carers' peer support group", "Monthly meetings, a phone support line and benefits checks for grandparents and other relatives bringing up children.", 3_200, "Grandparents Raising Grandchildren North"),
    DemoApplication("Energy bill help at home", "Trained volunteers visit homes to help people read meters, get onto fairer tariffs and apply for energy grants.", 9_600, "Eastside Energy Champions"),
    DemoApplication("School uniform swap shop", "A permanent swap shop for school uniform and shoes, open after school and free to every family.", 1_800, "Hillcrest Parents' Network"),
    DemoApplication("Hot meals for people sleeping rough", "Cooking and serving 60 hot evening meals a week at the Methodist church, with a nurse visiting monthly.", 14_500, "The Open Door Kitchen"),
    DemoApplication("Period dignity packs", "Free period products in schools, community centres and the food bank, with no questions asked.", 2_400, "Red Box Riverside"),
    DemoApplication("Benefits check clinics for older people", "Fortnightly clinics helping people over 65 claim Pension Credit, Attendance Allowance and council tax support.", 8_900, "Age Together Westfield"),
    DemoApplication("Community fridge at the corner shop", "Saving surplus food from supermarkets and sharing it free through a fridge open seven days a week.", 3_600, "Millbrook Community Fridge"),
    DemoApplication("Holiday hunger lunches", "Lunches and activities for 80 children on free school meals during the Easter and summer holidays.", 11_200, "Parkside Youth Project"),
    DemoApplication("Warm packs for the winter", "Blankets, hot water bottles and thermal socks delivered to 300 households referred by GPs and social workers.", 5_400, "Valley Mutual Aid"),
    DemoApplication("Cooking on a budget at the Men's Shed", "Weekly sessions where men living alone learn to cook cheap, healthy meals and eat together.", 2_100, "Canal Side Men's Shed"),
    DemoApplication("Travel help for hospital visits", "Bus fares and taxi costs for families on low incomes visiting children in hospital.", 4_200, "Friends of the Infirmary Families Fund"),
    DemoApplication("Digital help to claim Universal Credit", "Laptops, mobile data and one-to-one help for people who must manage their Universal Credit claim online.", 6_800, "Get Online Eastside"),
    DemoApplication("Baby bank", "Prams, cots, clothes and nappies for new parents referred by midwives and health visitors.", 9_000, "Little Steps Baby Bank"),
    DemoApplication("Women's sewing and food circle", "A weekly circle where refugee and migrant women cook together, take food home and learn to repair clothes.", 3_900, "Sahara Women's Group"),
    DemoApplication("Free holiday swimming and a hot meal", "Free swimming lessons and a hot meal for children from low-income families who have never learned to swim.", 5_200, "Westfield Swim Together"),
    DemoApplication("Small repairs for warmer homes", "Draught-proofing, curtain fitting and small repairs for older and disabled people living in cold homes.", 13_500, "Handy Helpers CIC"),
    DemoApplication("Community pantry at the mosque", "A weekly pantry open to everyone, with halal, vegetarian and baby food, run by volunteers of all faiths.", 6_000, "Al-Noor Community Pantry"),
    DemoApplication("Young carers' breaks", "Monthly days out and a warm meal for young people who look after a parent, brother or sister.", 4_600, "Riverside Young Carers"),
    DemoApplication("Starter packs for prison leavers", "Bedding, kitchen kits, phone credit and food for people leaving prison to an empty flat.", 7_200, "Fresh Start Resettlement"),
    DemoApplication("Warm spaces map in six languages", "A printed map of every free warm space in the borough, delivered to 20,000 homes in six languages.", 2_800, "Northgate Council for Voluntary Service"),
    DemoApplication("Emergency top-ups for prepayment meters", "Emergency credit for households who have cut themselves off, with follow-up energy and debt advice.", 15_000, "Brookfield Advice Centre"),
    DemoApplication("Cook and eat for new mums", "Weekly cooking classes for new mothers on low incomes, with the ingredients to take home.", 2_600, "Bumps and Babies Hillcrest"),
    DemoApplication("Christmas savings club", "Helping families save small amounts each week with the credit union, so they avoid doorstep lenders at Christmas.", 5_800, "Eastside Credit Union"),
    DemoApplication("Free community laundry", "Washing machines and dryers in the community centre, free for families without a working machine.", 8_400, "Suds Community Laundry"),
    DemoApplication("Legal advice for kinship carers", "Free advice for relatives caring for children under special guardianship orders, including money they are owed.", 10_500, "Family Rights Advice Project"),
    DemoApplication("Tuesday lunch club", "A two-course lunch and company every Tuesday for 40 older people who live alone, with transport.", 3_000, "Trinity Tuesday Lunch Club"),
    DemoApplication("Fuel support on Traveller sites", "Bottled gas and fuel help for families living on sites, with support to apply for grants.", 4_400, "Travellers' Advice Network"),
    DemoApplication("Winter coats for school children", "New winter coats for 250 children, given out through schools so nobody is singled out.", 6_200, "Coats for Kids Westfield"),
    DemoApplication("Energy advocacy for disabled people", "Helping disabled people whose equipment needs power to get priority support and help with bills.", 7_900, "Access Voices"),
    DemoApplication("Winter festival fireworks", "A fireworks display for the Millbrook winter festival.", 500, "Millbrook Events Committee",
                    eligible_reason="This fund pays for work with people facing poverty; a fireworks display is outside what it can pay for."),
]

FAMILIES_APPLICATIONS = [
    DemoApplication("Kinship carers' Saturday club", "A Saturday club for children living with grandparents or other relatives, with lunch and time off for carers.", 4_200, "Grandparents Raising Grandchildren North"),
    DemoApplication("Money advice for kinship families", "An adviser who helps kinship carers claim guardian's allowance, child benefit and council support.", 9_800, "Family Rights Advice Project"),
    DemoApplication("School holiday food and fun", "Breakfasts, lunches and activities for 60 children in the summer holidays.", 8_500, "Parkside Youth Project"),
    DemoApplication("Family cooking nights", "Families cook a meal together each week and take home the ingredients for two more.", 3_300, "Brookfield Tenants' Association"),
    DemoApplication("Bunk beds and bedding", "Beds and bedding for children who share a bed or sleep on the floor.", 7_600, "Little Steps Baby Bank"),
    DemoApplication("Homework club with tea", "A homework club with a hot tea and laptops to borrow, three evenings a week.", 2_900, "Hillcrest Parents' Network"),
    DemoApplication("Dads' group", "A weekly group for fathers on low incomes, with a meal, advice and play for the children.", 1_900, "Canal Side Men's Shed"),
    DemoApplication("Family days out", "Four free days out a year for families who cannot afford trips, planned with the families.", 5_500, "Valley Mutual Aid"),
    DemoApplication("Kinship carers' counselling", "Short-term counselling for relatives who take on children in a crisis.", 11_000, "Riverside Family Counselling"),
    DemoApplication("Warm baby packs", "Sleeping bags, clothes and blankets for babies born in cold homes.", 3_800, "Bumps and Babies Hillcrest"),
    DemoApplication("Teen kitchen", "Teenagers learn to cook cheap meals and take food home to their families.", 2_400, "Parkside Youth Project"),
    DemoApplication("Translation help at the advice centre", "Interpreters at the advice centre so families who speak little English can get help with bills.", 6_100, "Brookfield Advice Centre"),
]

VOICES_APPLICATIONS = [
    DemoApplication("Walk and talk group", "Weekly walks in the park for people feeling low or alone, led by volunteers who have been there themselves.", 2_600, "Northgate Mind Matters"),
    DemoApplication("Peer support for new parents", "Parents who have had postnatal depression support new parents through home visits and a weekly group.", 8_800, "Bumps and Babies Hillcrest"),
    DemoApplication("Men's mental health football", "A weekly football session and a brew afterwards for men who find it hard to talk about how they feel.", 4_100, "Canal Side Men's Shed"),
    DemoApplication("Crisis café on Friday nights", "A safe, warm place to go on Friday nights for anyone in distress, staffed by trained volunteers.", 12_500, "Open Door Evening Café"),
    DemoApplication("Art studio for people in recovery", "An open art studio for people recovering from addiction, with materials, tea and a peer mentor.", 6_300, "Fresh Start Resettlement"),
    DemoApplication("Befriending calls for older people", "Daily phone calls for older people who live alone, from volunteers matched by shared interests.", 3_400, "Age Together Westfield"),
    DemoApplication("Youth wellbeing drop-in", "A drop-in for teenagers after school with a youth worker, games and help to talk about worries.", 9_200, "Parkside Youth Project"),
    DemoApplication("Grief support in many languages", "Bereavement groups in Urdu, Polish, Somali and English, led by people from each community.", 5_700, "Sahara Women's Group"),
    DemoApplication("Allotment for wellbeing", "A shared allotment where people growing food together find company and calm.", 1_900, "Millbrook Community Fridge"),
    DemoApplication("Debt and anxiety help line", "A phone line where a debt adviser and a counsellor work together with people worried about money.", 10_800, "Brookfield Advice Centre"),
]

#: The staged round's chain (rules.stages of the record; see voting.stages).
VOICES_STAGES = [
    {"kind": "scores", "aggregation": "mean", "trim": "0.00", "calibration": "none"},
    {"kind": "consensus", "measure": "sd", "threshold": "6.00", "rescore": True},
    {"kind": "ranked", "method": "stv", "shortlist": "top", "size": 6, "above": None,
     "seats": 3},
    {"kind": "funding", "rule": "in-order", "fit_rule": "skip", "utilities": None,
     "completion": None, "lottery": False},
    {"kind": "consent", "rule": "no-objection", "threshold": None},
]
# Applications the panel splits on (index: the two camps' qualities), so the consensus check
# flags them; member 2's strong objection flags one more.
VOICES_SPLIT = {3: (4.8, 1.6), 9: (4.6, 1.4)}
VOICES_OBJECTION = (6, 2, "I am worried the drop-in has no plan for what happens when a young "
                          "person tells them something serious.")
VOICES_CONFLICTS = [(4, 7, "works-for"), (0, 3, "close-friend")]

RUBRIC = [
    ("Who benefits", 3, "Does it reach people on low incomes, especially people who are often missed?",
     ["Does not show who will benefit", "Says who might benefit, with little detail",
      "Shows who will benefit", "Shows clearly who will benefit and how they will be reached",
      "Shows clearly who will benefit, including people often missed, and how they were involved"]),
    ("The difference it makes", 2, "Will people be better off, warmer, fed or less in debt because of it?",
     ["Does not show a difference", "A small or unclear difference", "A real difference for some people",
      "A clear difference for many people", "A lasting difference, clearly explained"]),
    ("Run by and with the community", 2, "Are the people it serves part of running it?",
     ["Not at all", "A little", "Somewhat", "Mostly", "Led by the people it serves"]),
    ("Good use of money", 1, "Is the amount sensible for what it will do?",
     ["Not sensible", "Hard to tell", "Reasonable", "Good value", "Excellent value"]),
]

PANEL_NOTES = [
    "I know this hall well; the warm space was busy every day last winter.",
    "Budget looks thin for the staff time.",
    "Lovely idea but I am not sure how people will hear about it.",
    "Strong links with the tenants' association.",
]
FEEDBACK = [
    "Tell us more about how people who do not already use the centre will hear about this.",
    "A clear, well-costed plan. Thank you.",
    "It would help to know how you will involve the people who use the service in running it.",
]

# (application index, member number, category, declared by staff?)
WINTER_CONFLICTS = [
    (3, 4, "family", False),
    (3, 6, "close-friend", False),
    (3, 8, "beneficiary", False),
    (6, 2, "works-for", False),
    (10, 3, "works-for", False),
    (19, 5, "trustee", False),
    (23, 1, "other", True),
]
UNDER_QUORUM_INDEX = 3
OVERRIDE_REASON = (
    "Only two panel members could score this application, because three know the group well "
    "and stepped aside. Both scored it highly, and it is the only kinship carers' group in the "
    "north of the borough, so staff have funded it."
)
MAKE_ROOM_REASON = (
    "To fund the kinship carers' group within the budget, staff moved the money from the "
    "lowest-ranked funded application."
)


def _user(email: str, name: str, role: str, password: str) -> User:
    """The demo account for ``email``, created through the accounts service if missing."""
    user = accounts.find_user_by_email(email)
    if user is None:
        user = accounts.create_user(email=email, name=name, role=role, password=password)
    return user


def _transition(rnd: Round, name: str, actor: User) -> None:
    """Take a lifecycle step through the staff engineer's service, or its core if missing."""
    try:
        from grantpanel.services.rounds import apply_transition
    except ImportError:
        if name == "open":
            rnd.seed = secrets.token_hex(32)
            rnd.seed_commitment = voting.seed_commitment(rnd.seed)
        transitions.move(rnd, name, actor)
        return
    apply_transition(rnd, name, actor)


def _round(
    *, name: str, purpose: str, budget_pounds: int, involvement: str,
    items: list[DemoApplication], opens: dt.date, closes: dt.date, decision: dt.date,
    fit_rule: str = "skip",
) -> Round:
    rnd = Round(
        name=name, purpose=purpose, budget=budget_pounds * 100, currency="GBP",
        involvement=involvement, aggregation="mean", quorum=3, fit_rule=fit_rule,
        tie_break=["higher_median", "smaller_amount"], state=RoundState.DRAFT,
        opens_on=opens, closes_on=closes, decision_on=decision,
    )
    db.session.add(rnd)
    for pos, (title, weight, guidance, descriptors) in enumerate(RUBRIC, start=1):
        rnd.criteria.append(Criterion(position=pos, key=f"c{pos}", name=title, guidance=guidance,
                                      weight=weight, scale_min=1, scale_max=5,
                                      descriptors=descriptors))
    for i, item in enumerate(items, start=1):
        slug = "".join(ch for ch in item.applicant.lower() if ch.isalnum())[:20]
        rnd.applications.append(Application(
            reference=f"A-{i:03d}", applicant_name=item.applicant,
            contact_email=f"{slug}@example.org", title=item.title, summary=item.summary,
            answers=f"{item.summary}\n\nWe have run this kind of work for several years "
                    "and our volunteers live locally.",
            amount=item.pounds * 100, eligible=item.eligible_reason is None,
            eligibility_reason=item.eligible_reason or "Meets the fund's rules.",
        ))
    db.session.flush()
    return rnd


def _members(rnd: Round, panel: list[User]) -> list[Membership]:
    for number, user in enumerate(panel, start=1):
        rnd.memberships.append(Membership(user_id=user.id, number=number, hours=0))
    db.session.flush()
    return sorted(rnd.memberships, key=lambda m: m.number)


def _scores(rng: random.Random, quality: float) -> dict[str, int | None]:
    scores: dict[str, int | None] = {}
    for pos in range(1, len(RUBRIC) + 1):
        value = min(5, max(1, round(quality + rng.gauss(0, 0.8))))
        scores[f"c{pos}"] = None if rng.random() < 0.04 else value
    if all(v is None for v in scores.values()):
        scores["c1"] = min(5, max(1, round(quality)))
    return scores


def _score(
    rng: random.Random, membership: Membership, app: Application, quality: float,
    *, submit: bool = True,
) -> None:
    note = rng.choice(PANEL_NOTES) if rng.random() < 0.1 else ""
    feedback = rng.choice(FEEDBACK) if rng.random() < 0.15 else ""
    scoring.save_sheet(membership, app, scores=_scores(rng, quality), panel_note=note,
                       feedback=feedback, submit=submit, actor=membership.user)


def _reviewers(index: int, members: list[Membership]) -> list[Membership]:
    """Each application gets the next five members in turn, so every load is the same."""
    return [members[(index + k) % len(members)] for k in range(REVIEWERS_PER_APPLICATION)]


def _published_round(rng: random.Random, staff: User, panel: list[User]) -> Round:
    today = utcnow().date()
    rnd = _round(
        name="Winter Warmth and Food Fund 2026",
        purpose="Grants of £500 to £15,000 for community groups helping people in poverty "
                "stay warm, fed and out of debt this winter.",
        budget_pounds=120_000, involvement="co-production", items=WINTER_APPLICATIONS,
        fit_rule="stop",
        opens=today - dt.timedelta(days=70), closes=today - dt.timedelta(days=30),
        decision=today - dt.timedelta(days=14),
    )
    members = _members(rnd, panel)
    _transition(rnd, "open", staff)
    apps = list(rnd.applications)
    for index, member_no, category, by_staff in WINTER_CONFLICTS:
        member = members[member_no - 1]
        conflicts.declare_conflict(
            member, apps[index], category=category,
            note="Declared at the panel's first meeting.",
            declared_by=staff if by_staff else member.user,
        )
    for m in members:
        conflicts.mark_conflicts_checked(m)
    conflicted = {(i, n) for i, n, _, _ in WINTER_CONFLICTS}
    for index, app in enumerate(apps):
        quality = 4.4 if index == UNDER_QUORUM_INDEX else rng.uniform(1.8, 4.6)
        if not app.eligible:
            continue
        for m in _reviewers(index, members):
            if (index, m.number) not in conflicted:
                _score(rng, m, app, quality)
    _transition(rnd, "close", staff)
    counting.decide(rnd, staff, _overrides(rnd, apps[UNDER_QUORUM_INDEX].reference))
    counting.publish(rnd, staff)
    return rnd


def _overrides(rnd: Round, fund_ref: str) -> list[dict[str, str]]:
    """Staff fund the under-quorum application, making room in the budget if they must."""
    pv = counting.preview(rnd)
    amounts = {a["id"]: a["amount"] for a in pv.inputs["applications"]}
    overrides = [{"application": fund_ref, "action": "fund", "reason": OVERRIDE_REASON}]
    if amounts[fund_ref] > pv.funding["remaining"] and pv.funding["funded"]:
        overrides.insert(0, {"application": pv.funding["funded"][-1], "action": "unfund",
                             "reason": MAKE_ROOM_REASON})
    return overrides


def _staged_round(rng: random.Random, staff: User, panel: list[User]) -> Round:
    """A published round decided through every stage, by the real services."""
    today = utcnow().date()
    rnd = _round(
        name="Community Voices Wellbeing Fund 2026",
        purpose="Grants of £1,000 to £12,500 for groups run by and with people with lived "
                "experience of mental distress, loneliness or crisis.",
        budget_pounds=30_000, involvement="co-production", items=VOICES_APPLICATIONS,
        opens=today - dt.timedelta(days=60), closes=today - dt.timedelta(days=35),
        decision=today - dt.timedelta(days=10),
    )
    stages.set_stages(rnd, VOICES_STAGES)
    members = _members(rnd, panel)
    _transition(rnd, "open", staff)
    apps = list(rnd.applications)
    for index, member_no, category in VOICES_CONFLICTS:
        member = members[member_no - 1]
        conflicts.declare_conflict(member, apps[index], category=category,
                                   note="Declared before reading.", declared_by=member.user)
    for m in members:
        conflicts.mark_conflicts_checked(m)
    conflicted = {(i, n) for i, n, _ in VOICES_CONFLICTS}
    quality = {i: rng.uniform(2.2, 4.5) for i in range(len(apps))}
    for index, app in enumerate(apps):
        for m in _reviewers(index, members):
            if (index, m.number) in conflicted:
                continue
            q = quality[index]
            if index in VOICES_SPLIT:
                high, low = VOICES_SPLIT[index]
                q = high if m.number % 2 else low
            objecting = (index, m.number) == VOICES_OBJECTION[:2]
            scoring.save_sheet(
                m, app, scores=_scores(rng, q), panel_note=rng.choice(PANEL_NOTES),
                feedback="", submit=True, actor=m.user, objection=objecting,
                objection_reason=VOICES_OBJECTION[2] if objecting else "")
    _transition(rnd, "close", staff)
    # The panel met, talked the flagged applications through, and scored them again.
    flagged = set(stages.flagged(rnd))
    _transition(rnd, "open-rescore", staff)
    for index, app in enumerate(apps):
        if app.reference not in flagged:
            continue
        agreed = quality[index] if index not in VOICES_SPLIT else 3.3
        for m in _reviewers(index, members):
            if (index, m.number) not in conflicted:
                scoring.save_sheet(m, app, scores=_scores(rng, agreed), panel_note="",
                                   feedback="", submit=True, actor=m.user, stage=2)
    _transition(rnd, "close-rescore", staff)
    # The ranked vote on the shortlist: each member ranks what they may, by their own view.
    _transition(rnd, "open-vote", staff)
    for m in members:
        choices = ballots.ballot_applications(m)
        index_of = {a.id: apps.index(a) for a in choices}
        ranking = sorted((a.id for a in choices),
                         key=lambda i: -(quality[index_of[i]] + rng.gauss(0, 0.6)))
        ballots.save_ballot(m, ranking=ranking[: max(2, len(ranking) - 1)], submit=True,
                            actor=m.user)
    _transition(rnd, "close-vote", staff)
    _transition(rnd, "open-consent", staff)
    for m in members:
        consent.save_answer(m, position="consent", application_id=None, reason="",
                            actor=m.user)
    _transition(rnd, "close-consent", staff)
    counting.decide(rnd, staff, [])
    counting.publish(rnd, staff)
    return rnd


def _open_round(rng: random.Random, staff: User, panel: list[User]) -> Round:
    today = utcnow().date()
    rnd = _round(
        name="Kinship Carers and Families Fund 2027",
        purpose="Grants of £500 to £12,000 for groups supporting kinship carers and families "
                "on low incomes with children at home.",
        budget_pounds=45_000, involvement="engagement", items=FAMILIES_APPLICATIONS,
        opens=today - dt.timedelta(days=5), closes=today + dt.timedelta(days=25),
        decision=today + dt.timedelta(days=40),
    )
    members = _members(rnd, panel)
    _transition(rnd, "open", staff)
    apps = list(rnd.applications)
    conflicts.declare_conflict(members[2], apps[1], category="works-for",
                               note="I volunteer at the advice project.",
                               declared_by=members[2].user)
    # Members 1 to 6 have been through the conflicts screen; 7 and 8 have not started.
    for m in members[:6]:
        conflicts.mark_conflicts_checked(m)
    plan = {1: 4, 2: 12, 3: 6, 4: 2, 5: 0, 6: 9}  # member number: sheets submitted so far
    for number, done in plan.items():
        m = members[number - 1]
        queue = [a for a in apps if not conflicts.is_conflicted(m, a)]
        for app in queue[:done]:
            _score(rng, m, app, rng.uniform(2.0, 4.6))
        if done < len(queue):
            _score(rng, m, queue[done], rng.uniform(2.0, 4.6), submit=False)  # a draft
    return rnd


def sign_in_lines(address: str = URL) -> Iterator[str]:
    yield f"Open {address} in a browser."
    yield "Demo sign-ins:"
    yield f"  Staff:  {STAFF_EMAIL}  password: {STAFF_PASSWORD}"
    for number, name in enumerate(PANEL_NAMES, start=1):
        yield f"  Panel member {number} ({name}):  {panel_email(number)}  password: {PANEL_PASSWORD}"


def load_demo(if_empty: bool = False, address: str = URL) -> Iterator[str]:
    """Load the demo and yield lines to print; with ``if_empty`` skip it if rounds exist."""
    rounds = db.session.scalar(select(func.count(Round.id))) or 0
    if if_empty and rounds:
        yield f"The database already has {rounds} round{'s' if rounds != 1 else ''}; " \
              "the demo was not loaded again."
        yield from sign_in_lines(address)
        return
    rng = random.Random(2026)
    try:
        staff = _user(STAFF_EMAIL, "Jo Grants (demo staff)", "staff", STAFF_PASSWORD)
        panel = [_user(panel_email(n), name, "panel", PANEL_PASSWORD)
                 for n, name in enumerate(PANEL_NAMES, start=1)]
        published = _published_round(rng, staff, panel)
        staged = _staged_round(rng, staff, panel)
        opened = _open_round(rng, staff, panel)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    yield (f"Loaded “{published.name}”: published, {len(published.applications)} applications, "
           f"{len(published.memberships)} panel members.")
    yield (f"Loaded “{staged.name}”: published, decided in stages (scores, a consensus "
           "check with stage-2 re-scores, a ranked vote on a shortlist, funding, consent).")
    yield (f"Loaded “{opened.name}”: open for scoring, {len(opened.applications)} "
           "applications.")
    yield from sign_in_lines(address)
