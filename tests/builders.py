"""Plain builders with keyword defaults, for readable tests: ``make_round(budget=1000)``."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import func, select

from grantpanel.extensions import db
from grantpanel.models import Application, Criterion, Membership, Round, User
from grantpanel.services.accounts import hash_password

DEFAULT_DESCRIPTORS = [
    "Does not show this at all",
    "Shows a little of this",
    "Shows some of this",
    "Shows this well",
    "Shows this very well",
]


def make_user(
    *, role: str = "panel", email: str | None = None, name: str = "Sam Example",
    password: str | None = "correct horse battery",
) -> User:
    user = User(
        email=email or f"{role}-{secrets.token_hex(4)}@example.org",
        name=name,
        role=role,
        password_hash=hash_password(password) if password else None,
        session_nonce=secrets.token_hex(16),
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_round(
    *,
    name: str = "Warm Homes Fund 2026",
    budget: int = 1_000_000,
    state: str = "draft",
    criteria: list[dict[str, Any]] | None = None,
    applications: int = 0,
    amount: int = 100_000,
    **fields: Any,
) -> Round:
    rnd = Round(
        name=name,
        purpose=fields.pop("purpose", "Grants for groups helping people keep warm this winter."),
        budget=budget,
        state=state,
        tie_break=fields.pop("tie_break", ["smaller_amount", "draw"]),
        **fields,
    )
    db.session.add(rnd)
    db.session.flush()
    for pos, c in enumerate(
        criteria
        or [
            {"name": "Who benefits", "weight": 2},
            {"name": "How the money will be used", "weight": 1},
        ],
        start=1,
    ):
        db.session.add(
            Criterion(
                round_id=rnd.id,
                position=pos,
                key=c.get("key", f"c{pos}"),
                name=c["name"],
                guidance=c.get("guidance", "Think about who the money will reach."),
                weight=c.get("weight", 1),
                scale_min=c.get("scale_min", 1),
                scale_max=c.get("scale_max", 5),
                descriptors=c.get("descriptors", DEFAULT_DESCRIPTORS),
            )
        )
    for i in range(1, applications + 1):
        make_application(rnd, reference=f"A-{i:03d}", amount=amount)
    db.session.flush()
    db.session.refresh(rnd)
    return rnd


def make_application(rnd: Round, *, reference: str | None = None, amount: int = 100_000,
                     **fields: Any) -> Application:
    # Count in the database: ``rnd.applications`` may be stale while a round is being built.
    n = (db.session.scalar(
        select(func.count()).select_from(Application).where(Application.round_id == rnd.id)
    ) or 0) + 1
    app = Application(
        round_id=rnd.id,
        reference=reference or f"A-{n:03d}",
        applicant_name=fields.pop("applicant_name", f"Applicant Group {n}"),
        title=fields.pop("title", f"Community project {n}"),
        summary=fields.pop("summary", "A warm space and hot meals twice a week."),
        amount=amount,
        **fields,
    )
    db.session.add(app)
    db.session.flush()
    return app


def make_member(rnd: Round, user: User | None = None, **fields: Any) -> Membership:
    user = user or make_user(role="panel")
    number = fields.pop("number", len(rnd.memberships) + 1)
    m = Membership(round_id=rnd.id, user_id=user.id, number=number, **fields)
    db.session.add(m)
    db.session.flush()
    db.session.refresh(rnd)
    return m
