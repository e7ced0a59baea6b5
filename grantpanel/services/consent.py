"""Consent on the funded list: what the panel is asked to agree to, and saving answers.

Rules (each lives here and nowhere else):

- The proposed funded list is what the declared stages fund on the data as it stands
  (:func:`grantpanel.services.counting.preview`, ``funding["funded"]``), in funding order.
- A member answers "I agree" or "I object". An objection names one application on the
  funded list that they have no conflict with, and gives a reason (private to the panel and
  staff; the record publishes the objection, never the reason).
- One answer per member and round; answering again replaces it, until the step closes
  (``rnd.lifecycle.accepts_consents``). Every save takes the round ``FOR SHARE`` and the
  answer row ``FOR UPDATE`` (read fresh), so an answer racing the close either lands
  before it or is refused, and a double submit stores one answer.

Public API: :class:`FundedItem`, :func:`funded_list`, :func:`answer_for`,
:func:`save_answer`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from grantpanel.extensions import db
from grantpanel.i18n import _, _l
from grantpanel.models import Application, ConsentAnswer, Membership, Round, User, utcnow
from grantpanel.services import audit, counting, locks
from grantpanel.services.conflicts import conflicted_application_ids
from grantpanel.vocabulary import ConsentPosition

REASON_MAX_LENGTH = 5000
CLOSED_MESSAGE = _l("The panel is not being asked to consent now, so your answer was not saved.")
NOT_ON_LIST_MESSAGE = _l(
    "Choose the application you object to from the funded list. You cannot object to one "
    "you have a connection to."
)


class ConsentError(ValueError):
    """A plain-English reason a consent answer could not be saved."""


class ConsentClosedError(ConsentError):
    """The round is not asking for consent."""


class ConsentValidationError(ConsentError):
    """Some answers are missing or wrong; ``errors`` maps a field name (``position``,
    ``application``, ``reason``) to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class FundedItem:
    """One application on the proposed funded list, with the amount it would get."""

    application: Application
    amount: int
    conflicted: bool  # the member has a conflict with it (they cannot object to it)


def funded_list(membership: Membership) -> list[FundedItem]:
    """The proposed funded list, in funding order, for ``membership``'s round.

    Raises :class:`grantpanel.services.counting.CountError` if the count cannot run.
    """
    rnd = membership.round
    preview = counting.preview(rnd)
    refs = [str(r) for r in preview.funding.get("funded", [])]
    amounts = {a["id"]: int(a["amount"]) for a in preview.inputs["applications"]}
    by_ref = {
        a.reference: a
        for a in db.session.scalars(
            select(Application).where(Application.round_id == rnd.id)
        )
    }
    conflicted = conflicted_application_ids(membership)
    return [
        FundedItem(application=by_ref[r], amount=amounts.get(r, by_ref[r].amount),
                   conflicted=by_ref[r].id in conflicted)
        for r in refs if r in by_ref
    ]


def answer_for(membership: Membership) -> ConsentAnswer | None:
    return db.session.scalar(
        select(ConsentAnswer).where(
            ConsentAnswer.round_id == membership.round_id,
            ConsentAnswer.membership_id == membership.id,
        )
    )


def _locked_answer(membership: Membership) -> ConsentAnswer | None:
    return locks.lock_one(
        ConsentAnswer,
        ConsentAnswer.round_id == membership.round_id,
        ConsentAnswer.membership_id == membership.id,
    )


def save_answer(
    membership: Membership,
    *,
    position: str,
    application_id: int | None,
    reason: str,
    actor: User,
) -> ConsentAnswer:
    """Store the member's answer (replacing an earlier one). The caller commits.

    Raises :class:`ConsentClosedError` unless the round is asking for consent, and
    :class:`ConsentValidationError` for an unknown position, an objection without an
    application from the member's funded list (not conflicted) or without a reason.
    """
    rnd = locks.lock_one(Round, Round.id == membership.round_id, shared=True)
    if rnd is None or not rnd.lifecycle.accepts_consents:
        raise ConsentClosedError(str(CLOSED_MESSAGE))
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if position not in {p.value for p in ConsentPosition}:
        errors["position"] = _("Choose \u201cI agree\u201d or \u201cI object\u201d.")
    elif position == ConsentPosition.OBJECT:
        allowed = {i.application.id for i in funded_list(membership) if not i.conflicted}
        if application_id is None:
            errors["application"] = _("Choose the application you object to.")
        elif application_id not in allowed:
            errors["application"] = str(NOT_ON_LIST_MESSAGE)
        if not reason:
            errors["reason"] = _("Tell the panel why you object to this application.")
        elif len(reason) > REASON_MAX_LENGTH:
            errors["reason"] = _("Keep your reason to %(max)d characters or fewer.",
                                 max=REASON_MAX_LENGTH)
    if errors:
        raise ConsentValidationError(errors)

    answer = _locked_answer(membership)
    if answer is None:
        try:
            with db.session.begin_nested():
                db.session.add(ConsentAnswer(
                    round_id=rnd.id, membership_id=membership.id,
                    position=ConsentPosition(position),
                ))
        except IntegrityError:
            pass  # another request (a double click) made the answer first
        answer = _locked_answer(membership)
        if answer is None:  # pragma: no cover  (it was made above)
            raise ConsentError(_("Your answer could not be saved. Try again."))
    answer.position = ConsentPosition(position)
    if position == ConsentPosition.OBJECT:
        answer.application_id = application_id
        answer.reason = reason
    else:
        answer.application_id = None
        answer.reason = ""
    answer.created_at = utcnow()  # when the member last answered
    db.session.flush()
    audit.record(
        "consent.answered", actor=actor, round_id=rnd.id, membership_id=membership.id,
        position=str(position),
    )
    return answer
