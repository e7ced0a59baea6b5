"""The append-only audit log: one call records who did what, when."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from grantpanel.extensions import db
from grantpanel.models import AuditEvent, User


def record(
    action: str,
    *,
    actor: User | None,
    round_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add an audit event to the session (the caller commits). Never put secrets in detail."""
    ev = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        round_id=round_id,
        detail=detail,
    )
    db.session.add(ev)
    return ev


def events_for_round(round_id: int) -> Select[tuple[AuditEvent]]:
    """Statement for a round's audit events, oldest first."""
    return select(AuditEvent).where(AuditEvent.round_id == round_id).order_by(AuditEvent.id)
