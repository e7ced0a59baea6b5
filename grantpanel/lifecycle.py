"""The round lifecycle as data: states, what each allows, and the allowed transitions.

One table says what a round may do in each state (:class:`State`: ``editable``,
``accepts_scores``, ``public``, ...), which transitions exist, and what each state is called
for staff and for the public (the labels live with the keys, :class:`RoundState`). Services,
views and templates ask the table (``rnd.lifecycle.accepts_scores``), never a list of state
names. Only :func:`grantpanel.services.transitions.move` changes ``Round.state``.

A step asked for when the round is already where that step leads (a double click on Confirm,
or a colleague pressing the same button a moment earlier) is refused with
:class:`AlreadyDoneError` and the step's plain ``done`` message, so the second press changes
nothing and is told so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grantpanel.i18n import _, _l
from grantpanel.vocabulary import RoundState


@dataclass(frozen=True)
class State:
    """One lifecycle state and what a round in it allows.

    - ``editable``: the rules and the rubric (criteria) may change (before scoring opens);
    - ``panel_editable``: applications and panel members may be added or changed;
    - ``before_open``: scoring has not opened yet (members may read, not score);
    - ``accepts_scores``: members may save and submit score sheets;
    - ``accepts_ballots``: members may cast ranked or approval ballots (the ranked stage);
    - ``accepts_consents``: members may consent to, or object to, the funded list;
    - ``rescoring``: stage 2 is open: members re-score the applications flagged for
      discussion (``accepts_scores`` stays False: stage-1 sheets are closed);
    - ``accepts_conflicts``: a conflict may still be declared (it could change the count);
    - ``before_close``: scoring has not closed, so a new conflict needs no published reason
      (unless scoring closed once and was reopened; see ``services.conflicts.needs_reason``);
    - ``public`` (also ``seed_public``): the round page is public, with the seed commitment;
    - ``counted``: the count page may run the count (scoring has closed);
    - ``decided``: the decision is confirmed (or published);
    - ``published``: the record is published.
    """

    key: RoundState
    editable: bool = False
    panel_editable: bool = False
    before_open: bool = False
    accepts_scores: bool = False
    accepts_ballots: bool = False
    accepts_consents: bool = False
    rescoring: bool = False
    accepts_conflicts: bool = False
    before_close: bool = False
    public: bool = False
    counted: bool = False
    decided: bool = False
    published: bool = False

    @property
    def seed_public(self) -> bool:
        """The seed commitment is public from the moment the round page is."""
        return self.public

    @property
    def tag(self) -> str:
        """The colour class of the state's tag on staff pages ("" for the plain tag)."""
        return self.key.tag

    @property
    def staff_label(self) -> str:
        return self.key.label

    @property
    def public_label(self) -> str:
        return self.key.public_label


@dataclass(frozen=True)
class Transition:
    name: str  # the action, as shown on the button and logged in the audit log
    source: RoundState
    target: RoundState
    label: Any  # lazy text
    done: Any  # said to whoever asks for this step when the round is already at its target
    draws_seed: bool = False  # a secret seed is drawn and its commitment published
    counts: bool = False  # the counting service takes this step (it stores or drops a count)
    # The decision stage this step opens (``opens``) or finishes (``finishes``), if any;
    # grantpanel.services.stages checks the round declared it and that its turn has come.
    stage: str | None = None
    opens: bool = False
    finishes: bool = False

    @property
    def label_text(self) -> str:
        return str(self.label)

    @property
    def done_text(self) -> str:
        return str(self.done)


S = RoundState

STATES: dict[str, State] = {
    s.key: s
    for s in (
        State(S.DRAFT, editable=True, panel_editable=True, before_open=True,
              accepts_conflicts=True, before_close=True),
        State(S.OPEN, panel_editable=True, accepts_scores=True, accepts_conflicts=True,
              before_close=True, public=True),
        State(S.CLOSED, accepts_conflicts=True, public=True, counted=True),
        # The interactive decision stages (grantpanel.services.stages says which a round has
        # and in what order); each is entered from "closed" and returns to it.
        State(S.RESCORING, rescoring=True, accepts_conflicts=True, public=True, counted=True),
        State(S.VOTING, accepts_ballots=True, accepts_conflicts=True, public=True,
              counted=True),
        State(S.CONSENTING, accepts_consents=True, public=True, counted=True),
        State(S.DECIDED, public=True, counted=True, decided=True),
        State(S.PUBLISHED, public=True, decided=True, published=True),
    )
}

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("open", S.DRAFT, S.OPEN, _l("Open scoring"),
                   _l("Scoring is already open, so nothing was changed."), draws_seed=True),
        Transition("close", S.OPEN, S.CLOSED, _l("Close scoring"),
                   _l("Scoring was already closed, so nothing was changed.")),
        Transition("reopen", S.CLOSED, S.OPEN, _l("Reopen scoring"),
                   _l("Scoring is already open again, so nothing was changed.")),
        Transition("open-rescore", S.CLOSED, S.RESCORING, _l("Open stage 2 re-scoring"),
                   _l("Stage 2 re-scoring is already open, so nothing was changed."),
                   stage="consensus", opens=True),
        Transition("close-rescore", S.RESCORING, S.CLOSED, _l("Close stage 2 re-scoring"),
                   _l("Stage 2 re-scoring was already closed, so nothing was changed."),
                   stage="consensus", finishes=True),
        Transition("open-vote", S.CLOSED, S.VOTING, _l("Open the ranked vote"),
                   _l("The ranked vote is already open, so nothing was changed."),
                   stage="ranked", opens=True),
        Transition("close-vote", S.VOTING, S.CLOSED, _l("Close the ranked vote"),
                   _l("The ranked vote was already closed, so nothing was changed."),
                   stage="ranked", finishes=True),
        Transition("open-consent", S.CLOSED, S.CONSENTING, _l("Ask the panel to consent"),
                   _l("The panel is already being asked to consent, so nothing was changed."),
                   stage="consent", opens=True),
        Transition("close-consent", S.CONSENTING, S.CLOSED, _l("Close the consent step"),
                   _l("The consent step was already closed, so nothing was changed."),
                   stage="consent", finishes=True),
        Transition("decide", S.CLOSED, S.DECIDED, _l("Confirm the decision"),
                   _l("This decision was already confirmed, so nothing was changed."),
                   counts=True),
        Transition("undo-decision", S.DECIDED, S.CLOSED, _l("Withdraw the decision"),
                   _l("The decision was already withdrawn, so nothing was changed."),
                   counts=True),
        Transition("publish", S.DECIDED, S.PUBLISHED, _l("Publish the decision"),
                   _l("This decision was already published, so nothing was changed."),
                   counts=True),
    )
}


def states_where(**flags: bool) -> tuple[RoundState, ...]:
    """The states whose properties have the given values, in lifecycle order, for queries
    (``Round.state.in_(states_where(public=True, published=False))``)."""
    return tuple(s.key for s in STATES.values()
                 if all(getattr(s, name) == value for name, value in flags.items()))


class TransitionError(ValueError):
    """Raised when a transition is not allowed from the round's current state."""


class AlreadyDoneError(TransitionError):
    """Raised when the round is already where the transition leads (the step was taken)."""


def allowed(state: str) -> list[Transition]:
    """The transitions available from ``state``, in table order."""
    return [t for t in TRANSITIONS.values() if t.source == state]


def check(state: str, name: str) -> Transition:
    """Return the named transition if it is allowed from ``state``; raise otherwise
    (:class:`AlreadyDoneError` when ``state`` is already the transition's target)."""
    t = TRANSITIONS.get(name)
    if t is None:
        raise TransitionError(_("There is no step called %(name)r.", name=name))
    if state == t.target and t.source != state:
        raise AlreadyDoneError(t.done_text)
    if t.source != state:
        raise TransitionError(_(
            "You cannot %(step)s while the round is %(state)s.",
            step=t.label_text.lower(), state=STATES[state].staff_label.lower(),
        ))
    return t
