"""The ranked vote: which applications a member ranks (or ticks), and saving their ballot.

Rules (each lives here and nowhere else):

- A member's ballot lists the applications on the ranked stage's shortlist
  (:func:`grantpanel.services.stages.shortlist`, in score order) that they have no conflict
  with; nothing else may be ranked or ticked (a posted id outside that list is refused).
- A ranking is typed as a number per application: 1 is the first choice, a blank box means
  no preference. The numbers used must be whole numbers 1, 2, 3 ... with no number used
  twice and none skipped (:func:`ranking_from_numbers`). Submitting needs at least one
  number. An approval ballot (declared method ``approval``) is a set of ticks; it may be
  empty (the member supports none of them).
- One ballot per member and round. Saving again updates it; a double submit stores one
  ballot. Ballots change only while the round accepts them (``rnd.lifecycle.
  accepts_ballots``). Every save takes the round ``FOR SHARE`` and the ballot row
  ``FOR UPDATE`` (read fresh), as score sheets do, so a save racing the close of the vote
  either lands before it or is refused, and two saves of one ballot never mix.
- A submitted ballot counts, and may be changed and submitted again until the vote closes.
  Saving a draft over it is refused (:class:`AlreadySubmittedError`): a member who moves
  things around after submitting keeps their submitted vote until they submit again.

Public API: :func:`method`, :func:`is_approval`, :func:`ballot_applications`,
:func:`ballot_for`, :func:`ranking_from_numbers`, :func:`order_for_display`, :func:`move`,
:func:`check_ballot_ids`, :func:`save_ballot`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from grantpanel.extensions import db
from grantpanel.i18n import _, _l, ngettext
from grantpanel.models import Application, Ballot, Membership, Round, User, utcnow
from grantpanel.services import audit, locks, stages
from grantpanel.services.conflicts import conflicted_application_ids
from grantpanel.vocabulary import BallotStatus, MethodKey, StageKind

CLOSED_MESSAGE = _l("The ranked vote is not open, so you cannot change your vote.")
ALREADY_SUBMITTED_MESSAGE = _l(
    "You have already submitted your vote, so changes are not saved as a draft. To change "
    "your vote, use the Submit button."
)
NOT_ON_BALLOT_MESSAGE = _l(
    "One of the applications you sent is not on your list, so nothing was saved. Reload the "
    "page and try again."
)
#: The key of a problem with the whole ballot (not one box) in :class:`BallotValidationError`.
WHOLE_BALLOT = 0

_NUMBER = re.compile(r"[0-9]{1,4}")


class BallotError(ValueError):
    """A plain-English reason a ballot could not be saved."""


class BallotClosedError(BallotError):
    """The round is not taking ballots."""


class AlreadySubmittedError(BallotError):
    """A draft save would have turned a submitted ballot back into a draft."""


class BallotValidationError(BallotError):
    """Some numbers are not acceptable; ``errors`` maps application id (or
    :data:`WHOLE_BALLOT`) to a message."""

    def __init__(self, errors: dict[int, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def method(rnd: Round) -> str | None:
    """The ranked stage's method key (``"borda"``), or ``None`` without a ranked stage."""
    ranked = stages.stage(rnd, StageKind.RANKED)
    return str(ranked["method"]) if ranked else None


def is_approval(rnd: Round) -> bool:
    """The ranked stage is an approval vote (ticks, not numbers)."""
    return method(rnd) == MethodKey.APPROVAL


def ballot_applications(membership: Membership) -> list[Application]:
    """The shortlisted applications the member may rank, in shortlist (score) order:
    eligible, in their round, and not conflicted."""
    rnd = membership.round
    refs = stages.shortlist(rnd)
    if not refs:
        return []
    conflicted = conflicted_application_ids(membership)
    by_ref = {
        a.reference: a
        for a in db.session.scalars(
            select(Application).where(
                Application.round_id == rnd.id, Application.reference.in_(refs)
            )
        )
    }
    return [
        by_ref[r] for r in refs
        if r in by_ref and by_ref[r].eligible and by_ref[r].id not in conflicted
    ]


def ballot_for(membership: Membership) -> Ballot | None:
    return db.session.scalar(
        select(Ballot).where(
            Ballot.round_id == membership.round_id, Ballot.membership_id == membership.id
        )
    )


def ranking_from_numbers(numbers: Mapping[int, str]) -> list[int]:
    """The ranking (application ids, first choice first) that typed numbers describe.

    ``numbers`` maps application id to what was typed in its box. A blank box is no
    preference. Every other box needs a whole number; together they must be 1, 2, 3 ... up
    to how many boxes are filled, each once. Raises :class:`BallotValidationError` naming
    each box with a problem::

        >>> ranking_from_numbers({7: "2", 8: "", 9: "1"})
        [9, 7]
    """
    errors: dict[int, str] = {}
    given: dict[int, int] = {}
    for app_id, raw in numbers.items():
        text = (raw or "").strip()
        if not text:
            continue
        if not _NUMBER.fullmatch(text):
            errors[app_id] = _(
                "Type a whole number, like 1 for your first choice, or leave the box empty."
            )
            continue
        given[app_id] = int(text)
    filled = len(given) + len(errors)
    seen: dict[int, list[int]] = {}
    for app_id, n in given.items():
        seen.setdefault(n, []).append(app_id)
    for n, ids in seen.items():
        if n < 1:
            message = _("Use 1 for your first choice, 2 for your second, and so on. 0 is not "
                        "a choice.")
        elif n > filled:
            # A gap (1 and 3 but no 2) always leaves a number higher than the boxes filled.
            message = ngettext(
                "You filled in %(num)d box, so use the number 1. %(number)d is too high.",
                "You filled in %(num)d boxes, so use each of the numbers 1 to %(num)d once. "
                "%(number)d is too high.",
                filled, number=n,
            )
        elif len(ids) > 1:
            message = _("You used %(number)d more than once. Give each application a "
                        "different number.", number=n)
        else:
            continue
        for app_id in ids:
            errors[app_id] = message
    if errors:
        raise BallotValidationError(errors)
    return [app_id for app_id, _n in sorted(given.items(), key=lambda kv: kv[1])]


def order_for_display(ranking: Sequence[int], applications: Sequence[Application]
                      ) -> list[Application]:
    """``applications`` in ballot order: the ranked ones first (first choice first), then
    the others in shortlist order."""
    by_id = {a.id: a for a in applications}
    first = [by_id[i] for i in ranking if i in by_id]
    ranked = {a.id for a in first}
    return first + [a for a in applications if a.id not in ranked]


def move(ranking: Sequence[int], application_id: int, direction: str) -> list[int]:
    """The ranking after moving one application ``"up"`` or ``"down"`` one place.

    Moving up an application with no number gives it the next number (it joins the end of
    the ranking); moving down the last ranked one takes its number away. Anything else swaps
    it with its neighbour. An unknown direction or id leaves the ranking as it was.
    """
    out = list(ranking)
    if direction == "up":
        if application_id not in out:
            return [*out, application_id]
        i = out.index(application_id)
        if i > 0:
            out[i - 1], out[i] = out[i], out[i - 1]
    elif direction == "down" and application_id in out:
        i = out.index(application_id)
        if i == len(out) - 1:
            out.pop()
        else:
            out[i + 1], out[i] = out[i], out[i + 1]
    return out


def check_ballot_ids(membership: Membership, ids: Sequence[int]) -> list[int]:
    """``ids`` as a list, if each is on the member's ballot (shortlisted, not conflicted)
    and none is given twice; otherwise :class:`BallotError`."""
    allowed = {a.id for a in ballot_applications(membership)}
    out = [int(i) for i in ids]
    if any(i not in allowed for i in out) or len(set(out)) != len(out):
        raise BallotError(str(NOT_ON_BALLOT_MESSAGE))
    return out


def _check_open(rnd: Round) -> None:
    if not rnd.lifecycle.accepts_ballots or method(rnd) is None:
        raise BallotClosedError(str(CLOSED_MESSAGE))


def _locked_ballot(membership: Membership) -> Ballot | None:
    return locks.lock_one(
        Ballot, Ballot.round_id == membership.round_id, Ballot.membership_id == membership.id
    )


def save_ballot(
    membership: Membership,
    *,
    ranking: Sequence[int] = (),
    approved: Sequence[int] = (),
    submit: bool,
    actor: User,
) -> Ballot:
    """Save the member's ballot as a draft, or submit it. The caller commits.

    ``ranking`` (application ids, first choice first) for a ranked method, ``approved``
    (ids ticked) for approval. Raises :class:`BallotClosedError` unless the round takes
    ballots now, :class:`BallotError` for an id not on the member's list or used twice,
    :class:`BallotValidationError` for a ranking submitted empty, and
    :class:`AlreadySubmittedError` for a draft over a submitted ballot.

    Atomic, like :func:`grantpanel.services.scoring.save_sheet`: the round ``FOR SHARE``
    (its state read fresh), then the ballot ``FOR UPDATE``; two requests making the same new
    ballot at once meet in a savepoint, and the second locks and re-reads the first's.
    """
    rnd = locks.lock_one(Round, Round.id == membership.round_id, shared=True)
    if rnd is None:  # pragma: no cover  (a membership's round exists)
        raise BallotClosedError(str(CLOSED_MESSAGE))
    _check_open(rnd)
    approval = is_approval(rnd)
    ids = check_ballot_ids(membership, approved if approval else ranking)
    if submit and not approval and not ids:
        raise BallotValidationError({WHOLE_BALLOT: _(
            "Give at least one application a number: 1 for your first choice."
        )})

    ballot = _locked_ballot(membership)
    if ballot is None:
        try:
            with db.session.begin_nested():
                db.session.add(Ballot(round_id=rnd.id, membership_id=membership.id))
        except IntegrityError:
            pass  # another request (a double click) made the ballot first
        ballot = _locked_ballot(membership)
        if ballot is None:  # pragma: no cover  (it was made above)
            raise BallotError(_("Your vote could not be saved. Try again."))
    if not submit and ballot.status == BallotStatus.SUBMITTED:
        raise AlreadySubmittedError(str(ALREADY_SUBMITTED_MESSAGE))

    now = utcnow()
    if approval:
        ballot.approved = sorted(ids)
        ballot.ranking = []
    else:
        ballot.ranking = ids
        ballot.approved = []
    ballot.updated_at = now
    if submit:
        ballot.status = BallotStatus.SUBMITTED
        ballot.submitted_at = now
    else:
        ballot.status = BallotStatus.DRAFT
        ballot.submitted_at = None
    db.session.flush()
    audit.record(
        "ballot.submitted" if submit else "ballot.saved",
        actor=actor,
        round_id=rnd.id,
        ballot_id=ballot.id,
        membership_id=membership.id,
    )
    return ballot
