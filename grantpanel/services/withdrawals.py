"""Withdrawing an application: the applicant pulled out, before the decision is confirmed.

A withdrawn application stays in the round (staff can still open it) but is not counted and
cannot be funded: :func:`grantpanel.services.counting.record_inputs` leaves it out of the
record's ``applications`` and lists it, with the reason, in the record's optional
``withdrawn`` section (docs/record-format.md). The reason is published, so it must say why in
plain words without naming anyone.

Both changes take the round's lock first and read its state fresh, so a withdrawal and the
decision being confirmed at the same moment happen one after the other: once the decision is
confirmed a withdrawal is refused, and a decision confirmed after a withdrawal is made on a
count run after it (the stored count's inputs no longer match, so it must be run again).
Undoing a withdrawal is allowed on the same terms.
"""

from __future__ import annotations

from sqlalchemy import delete

from grantpanel.extensions import db
from grantpanel.i18n import _
from grantpanel.models import Application, PendingOverride, User, utcnow
from grantpanel.services import audit, transitions
from grantpanel.textcheck import text_problem
from voting.withdrawn import REASON_MAX_LENGTH


class WithdrawalError(ValueError):
    """A plain-English reason a withdrawal (or undoing one) could not be made."""


def reason_problem(reason: str) -> str | None:
    """A sentence if ``reason`` (already stripped) cannot be published, else ``None``."""
    if not reason:
        return _("Give the reason the application is withdrawn. The reason is published with "
                 "the decision, so do not name anyone.")
    return text_problem(reason, max_length=REASON_MAX_LENGTH, label=_("The reason"))


def _require_undecided(app: Application) -> None:
    transitions.lock(app.round)
    if app.round.lifecycle.decided:
        raise WithdrawalError(_("The decision on this round has been confirmed, so "
                                "application %(reference)s can no longer be withdrawn or put "
                                "back.", reference=app.reference))
    db.session.refresh(app)


def withdraw(app: Application, actor: User, reason: str) -> None:
    """Mark ``app`` withdrawn with a published ``reason``. Raises :class:`WithdrawalError`."""
    reason = reason.strip()
    problem = reason_problem(reason)
    if problem:
        raise WithdrawalError(problem)
    _require_undecided(app)
    if app.withdrawn_at is not None:
        raise WithdrawalError(_("Application %(reference)s is already withdrawn.",
                                reference=app.reference))
    app.withdrawn_at = utcnow()
    app.withdrawal_reason = reason
    # A change staff meant to make to its result no longer has anything to change.
    db.session.execute(delete(PendingOverride).where(
        PendingOverride.round_id == app.round_id,
        PendingOverride.application_ref == app.reference))
    audit.record("application.withdrawn", actor=actor, round_id=app.round_id,
                 reference=app.reference)


def undo(app: Application, actor: User) -> None:
    """Put a withdrawn application back into the round. Raises :class:`WithdrawalError`."""
    _require_undecided(app)
    if app.withdrawn_at is None:
        raise WithdrawalError(_("Application %(reference)s is not withdrawn.",
                                reference=app.reference))
    app.withdrawn_at = None
    app.withdrawal_reason = ""
    audit.record("application.withdrawal_undone", actor=actor, round_id=app.round_id,
                 reference=app.reference)
