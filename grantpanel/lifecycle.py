"""The round lifecycle as data: states, their labels, and the allowed transitions.

One table says which transitions exist and what each state is called for staff and for the
public. Only :func:`grantpanel.services.transitions.move` changes ``Round.state``.

A step asked for when the round is already where that step leads (a double click on Confirm,
or a colleague pressing the same button a moment earlier) is refused with
:class:`AlreadyDoneError` and the step's plain ``done`` message, so the second press changes
nothing and is told so.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class State:
    key: str
    staff_label: str
    public_label: str


@dataclass(frozen=True)
class Transition:
    name: str  # the action, as shown on the button and logged in the audit log
    source: str
    target: str
    label: str
    done: str  # said to whoever asks for this step when the round is already at its target


STATES: dict[str, State] = {
    s.key: s
    for s in (
        State("draft", "Draft: being set up", "Not open yet"),
        State("open", "Open for scoring", "Panel is scoring"),
        State("closed", "Scoring closed", "Panel has finished scoring"),
        State("decided", "Decided: ready to publish", "Decision being prepared"),
        State("published", "Published", "Decision published"),
    )
}

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("open", "draft", "open", "Open scoring",
                   "Scoring is already open, so nothing was changed."),
        Transition("close", "open", "closed", "Close scoring",
                   "Scoring was already closed, so nothing was changed."),
        Transition("reopen", "closed", "open", "Reopen scoring",
                   "Scoring is already open again, so nothing was changed."),
        Transition("decide", "closed", "decided", "Confirm the decision",
                   "This decision was already confirmed, so nothing was changed."),
        Transition("undo-decision", "decided", "closed", "Withdraw the decision",
                   "The decision was already withdrawn, so nothing was changed."),
        Transition("publish", "decided", "published", "Publish the decision",
                   "This decision was already published, so nothing was changed."),
    )
}


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
        raise TransitionError(f"There is no step called {name!r}.")
    if state == t.target and t.source != state:
        raise AlreadyDoneError(t.done)
    if t.source != state:
        raise TransitionError(
            f"You cannot {t.label.lower()} while the round is "
            f"{STATES[state].staff_label.lower()}."
        )
    return t
