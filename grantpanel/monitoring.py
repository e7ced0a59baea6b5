"""Presence and impact: the fixed catalogues, in one place.

- :data:`QUESTIONS`: the optional, anonymous **monitoring questions** a round may ask its panel
  (who is in the room). Every question is optional and has a "Prefer not to say" answer. A
  round chooses which to ask and may set a target make-up ("at least 50% disabled people").
- :data:`STATEMENTS` and :data:`AGREE_SCALE`: the **panel experience survey** after a round
  (5-point agree scale), with its two free-text questions, :data:`FREE_TEXT`.
- :data:`SMALLEST_GROUP`: any count below it is shown as "fewer than 5", never as a number.
- :class:`AnswerKind`: which of the two a "has answered" marker is for.

Keys are stored; labels are lazy text, so a page shows them in its own language. Services
(``services/monitoring.py``, ``services/survey.py``) and forms read these and nothing else.
The ethnicity groups are the five high-level groups of the 2021 census of England and Wales.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grantpanel.i18n import _l
from grantpanel.vocabulary import Vocabulary, Words

SMALLEST_GROUP = 5  # a group (cell) smaller than this is "fewer than 5"; a total too
PREFER_NOT = "prefer-not"


@dataclass(frozen=True)
class Option:
    key: str
    label: Any  # lazy text


@dataclass(frozen=True)
class Question:
    """One monitoring question. ``multiple``: a person may tick more than one answer."""

    key: str
    label: Any
    hint: Any
    options: tuple[Option, ...]
    multiple: bool = False
    target_label: Any = ""  # "people in this group" phrase for targets, e.g. "disabled people"

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(o.key for o in self.options)

    def option_label(self, key: str) -> Any:
        return next((o.label for o in self.options if o.key == key), key)


_PREFER = Option(PREFER_NOT, _l("Prefer not to say"))

QUESTIONS: tuple[Question, ...] = (
    Question(
        "age", _l("How old are you?"), "",
        (Option("under-25", _l("Under 25")), Option("25-34", _l("25 to 34")),
         Option("35-44", _l("35 to 44")), Option("45-54", _l("45 to 54")),
         Option("55-64", _l("55 to 64")), Option("65-plus", _l("65 or over")), _PREFER),
    ),
    Question(
        "disability", _l("Are you a disabled person?"),
        _l("This includes a long-term health condition, physical or mental, that makes "
           "day-to-day life harder."),
        (Option("yes", _l("Yes")), Option("no", _l("No")), _PREFER),
    ),
    Question(
        "ethnicity", _l("What is your ethnic group?"), "",
        (Option("asian", _l("Asian or Asian British")),
         Option("black", _l("Black, Black British, Caribbean or African")),
         Option("mixed", _l("Mixed or multiple ethnic groups")),
         Option("white", _l("White")),
         Option("other", _l("Another ethnic group")), _PREFER),
    ),
    Question(
        "gender", _l("What is your gender?"), "",
        (Option("woman", _l("Woman")), Option("man", _l("Man")),
         Option("non-binary", _l("Non-binary")),
         Option("another", _l("In another way")), _PREFER),
    ),
    Question(
        "lived-experience",
        _l("Which of these have you lived through in the last 2 years?"),
        _l("Tick all that apply."),
        (Option("benefits", _l("Claiming benefits")),
         Option("debt", _l("Debt you found hard to pay")),
         Option("housing", _l("Not having a safe, settled home")),
         Option("food", _l("Going without food or using a food bank")),
         Option("care-experience", _l("Growing up in care (at any time in your life)")),
         Option("single-parent", _l("Bringing up children on your own")), _PREFER),
        multiple=True,
    ),
    Question(
        "region", _l("Where do you live?"), "",
        (Option("north-east", _l("North East England")),
         Option("north-west", _l("North West England")),
         Option("yorkshire", _l("Yorkshire and the Humber")),
         Option("east-midlands", _l("East Midlands")),
         Option("west-midlands", _l("West Midlands")),
         Option("east", _l("East of England")), Option("london", _l("London")),
         Option("south-east", _l("South East England")),
         Option("south-west", _l("South West England")), Option("wales", _l("Wales")),
         Option("scotland", _l("Scotland")), Option("northern-ireland", _l("Northern Ireland")),
         _PREFER),
    ),
)
QUESTION_BY_KEY: dict[str, Question] = {q.key: q for q in QUESTIONS}


def questions_for(keys: list[str]) -> list[Question]:
    """The catalogue's questions named in ``keys``, in the catalogue's order (unknown keys
    are dropped)."""
    wanted = set(keys)
    return [q for q in QUESTIONS if q.key in wanted]


class AnswerKind(Vocabulary):
    """What a member's "has answered" marker is for (never what they answered)."""

    MONITORING = "monitoring", Words(_l("About you"))
    SURVEY = "survey", Words(_l("How it went"))


# The panel experience survey.
AGREE_SCALE: tuple[Option, ...] = (
    Option("5", _l("Strongly agree")),
    Option("4", _l("Agree")),
    Option("3", _l("Neither agree nor disagree")),
    Option("2", _l("Disagree")),
    Option("1", _l("Strongly disagree")),
)
STATEMENTS: tuple[Option, ...] = (
    Option("listened", _l("I felt listened to.")),
    Option("equipped", _l("I had what I needed to take part.")),
    Option("paid", _l("I was paid fairly and on time.")),
    Option("power", _l("The panel's decision was really ours.")),
    Option("again", _l("I would do this again.")),
)
FREE_TEXT: tuple[Option, ...] = (
    Option("worked_well", _l("What worked well?")),
    Option("change", _l("What should we change?")),
)
FREE_TEXT_MAX_LENGTH = 2_000
