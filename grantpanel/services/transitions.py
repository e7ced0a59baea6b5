"""The one place a round changes state: check the lifecycle table, move, log it."""

from __future__ import annotations

from typing import Any

from grantpanel import lifecycle
from grantpanel.models import Round, User
from grantpanel.services import audit


def move(rnd: Round, name: str, actor: User | None, **detail: Any) -> lifecycle.Transition:
    """Apply transition ``name`` to ``rnd`` (raises lifecycle.TransitionError) and audit it."""
    t = lifecycle.check(rnd.state, name)
    rnd.state = t.target
    audit.record(
        f"round.{t.name}", actor=actor, round_id=rnd.id, source=t.source, target=t.target, **detail
    )
    return t
