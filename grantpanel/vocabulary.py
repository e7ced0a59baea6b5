"""Every set of keys grantpanel stores, publishes or offers, with its words: defined once.

Each key set is an :class:`enum.StrEnum` (a member *is* its key: ``Aggregation.MEAN ==
"mean"``), carrying its plain-English words like Django's ``TextChoices``:

- ``label``: the name shown to staff and members (lazy gettext, translated when shown);
- ``explanation``: one sentence saying what the choice does (forms and help text);
- ``public_label`` / ``public_explanation``: the words on the public pages, where they differ
  (a tie-break read in a sentence, "settled by the higher mean score");
- ``tag``: the colour class of the tag a status is shown in.

Forms take ``Enum.choices()``; services compare with members; templates get every enum by name
(``{{ Vocabulary.RoundState.DRAFT }}``, see :func:`register`); the OpenAPI document takes
``Enum.values()``; database columns get a CHECK constraint from :func:`column_type`. Keys that
``voting`` also knows (aggregations, fit rules, tie-breaks, involvement levels, conflict
categories, result statuses, outcomes, method keys) must equal ``voting``'s own tuples exactly;
``tests/app/test_vocabulary.py`` fails if one side knows a key the other does not.

Keys never change once published (records carry them); labels may.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Self

from flask import Flask
from flask_babel import LazyString
from sqlalchemy import Enum as SAEnum

from grantpanel.i18n import _, _l

__all__ = [
    "Aggregation",
    "AssignmentSource",
    "BallotStatus",
    "CareStatus",
    "EnteredBy",
    "ExpenseCategory",
    "PayBasis",
    "Calibration",
    "Completion",
    "ConsensusMeasure",
    "ConsentPosition",
    "ConsentRule",
    "FundingRule",
    "ShortlistRule",
    "StageKind",
    "Utilities",
    "ConflictCategory",
    "DeclaredBy",
    "DeclaredWhen",
    "FitRule",
    "Involvement",
    "MethodKey",
    "Outcome",
    "QueueStatus",
    "ResultStatus",
    "Role",
    "RoundState",
    "SheetStatus",
    "TieBreak",
    "Vocabulary",
    "Words",
    "column_type",
    "register",
]


@dataclass(frozen=True)
class Words:
    """The words that go with one key (see the module docstring)."""

    label: Any
    explanation: Any = ""
    public_label: Any = None
    public_explanation: Any = ""
    tag: str = ""
    staff_label: Any = None


class Vocabulary(enum.StrEnum):
    """Base of every key set: a member is ``key, Words(...)``; it compares equal to its key."""

    _words: Words

    def __new__(cls, value: str, words: Words | None = None) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member._words = words or Words(value)
        return member

    @property
    def key(self) -> str:
        """The stored and published key (the member's value)."""
        return self.value

    @property
    def label(self) -> str:
        """The translated name shown on screens."""
        return str(self._words.label)

    @property
    def explanation(self) -> str:
        """One translated sentence saying what this choice means ("" if none)."""
        return str(self._words.explanation)

    @property
    def public_label(self) -> str:
        """The translated words used on public pages (the label unless they differ)."""
        words = self._words
        return str(words.label if words.public_label is None else words.public_label)

    @property
    def staff_label(self) -> str:
        """The translated words on staff screens (the label unless they differ)."""
        words = self._words
        return str(words.label if words.staff_label is None else words.staff_label)

    @property
    def explanation_text(self) -> Any:
        """The explanation as lazy text (for module-level constants)."""
        return self._words.explanation

    @property
    def public_explanation(self) -> str:
        """The translated public explanation ("" if none)."""
        return str(self._words.public_explanation)

    @property
    def tag(self) -> str:
        """The CSS class of the tag this key is shown in ("" if none)."""
        return self._words.tag

    def lazy(self, attr: str = "label") -> LazyString:
        """Property ``attr`` (``label``, ``public_label``, ...) as lazy text, translated when
        shown (for module-level tables)."""
        return LazyString(lambda: getattr(self, attr))

    @classmethod
    def lazy_map(cls, attr: str = "label") -> dict[str, LazyString]:
        """``{key: lazy text of attr}`` for every key (``TieBreak.lazy_map("public_label")``)."""
        return {m.value: m.lazy(attr) for m in cls}

    @classmethod
    def values(cls) -> tuple[str, ...]:
        """Every key, in declaration order (the order shown on screens)."""
        return tuple(m.value for m in cls)

    @classmethod
    def get(cls, key: object) -> Self | None:
        """The member for ``key``, or ``None`` for an unknown key (never raises)."""
        if not isinstance(key, str):
            return None
        try:
            return cls(key)
        except ValueError:
            return None

    @classmethod
    def choices(cls, *, exclude: tuple[str, ...] = ()) -> list[tuple[str, Any]]:
        """WTForms ``choices``: ``(key, lazy label)`` pairs in declaration order."""
        return [(m.value, m._words.label) for m in cls if m.value not in exclude]

    @property
    def explained(self) -> LazyString:
        """"Label: explanation", translated when shown (an option that explains itself)."""
        return LazyString(lambda: _("%(label)s: %(explanation)s", label=self.label,
                                    explanation=self.explanation))

    @classmethod
    def explained_choices(cls, *, exclude: tuple[str, ...] = ()) -> list[tuple[str, Any]]:
        """``(key, "Label: explanation")`` pairs (lazy), for options that explain themselves."""
        return [(m.value, m.explained) for m in cls if m.value not in exclude]

    @classmethod
    def staff_choices(cls, *, exclude: tuple[str, ...] = ()) -> list[tuple[str, Any]]:
        """``(key, staff label)`` pairs (lazy) for staff forms."""
        return [(m.value, LazyString(lambda m=m: m.staff_label)) for m in cls
                if m.value not in exclude]

    @classmethod
    def label_of(cls, key: str) -> str:
        """The label of ``key``, or ``key`` itself if unknown (old data shown as stored)."""
        member = cls.get(key)
        return member.label if member is not None else key


def _column_values(enum_cls: type[Vocabulary]) -> list[str]:
    return list(enum_cls.values())


def column_type(enum_cls: type[Vocabulary], length: int, name: str) -> SAEnum:
    """A string column of ``length`` holding only ``enum_cls``'s keys (a CHECK constraint
    named ``ck_<table>_<name>`` by the metadata's naming convention).

    Stored as the key itself (``VARCHAR(length)``), never as a native database enum, so a new
    key is a new CHECK constraint, not a type migration."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        values_callable=_column_values,
        validate_strings=True,
        length=length,
        create_constraint=True,
        name=name,
    )


class RoundState(Vocabulary):
    """Where a round is in its lifecycle (what each state allows: :mod:`grantpanel.lifecycle`)."""

    DRAFT = "draft", Words(_l("Draft: being set up"), public_label=_l("Not open yet"),
                           tag="tag-grey")
    OPEN = "open", Words(_l("Open for scoring"), public_label=_l("Panel is scoring"))
    CLOSED = "closed", Words(_l("Scoring closed"),
                             public_label=_l("Panel has finished scoring"))
    DECIDED = "decided", Words(_l("Decided: ready to publish"),
                               public_label=_l("Decision being prepared"))
    PUBLISHED = "published", Words(_l("Published"), public_label=_l("Decision published"),
                                   tag="tag-green")
    # The interactive decision stages, each entered from "closed" and back to it when done.
    RESCORING = "rescoring", Words(_l("Stage 2: re-scoring split decisions"),
                                   public_label=_l("Panel is re-scoring after discussion"),
                                   tag="tag-yellow")
    VOTING = "voting", Words(_l("Ranked vote open"),
                             public_label=_l("Panel is voting on the shortlist"),
                             tag="tag-yellow")
    CONSENTING = "consenting", Words(_l("Asking the panel to consent"),
                                     public_label=_l("Panel is checking the funded list"),
                                     tag="tag-yellow")


class StageKind(Vocabulary):
    """The kinds of stage a round's decision can go through, in the order they run."""

    SCORES = "scores", Words(
        _l("Scores"), _l("Panel members score each application against the scoring guide."))
    CONSENSUS = "consensus", Words(
        _l("Consensus check"),
        _l("Find the applications the panel disagrees about, discuss them, and optionally "
           "score them again."))
    RANKED = "ranked", Words(
        _l("Ranked vote"),
        _l("Panel members put a shortlist in order (or tick the ones they support)."))
    FUNDING = "funding", Words(
        _l("Funding"), _l("Share out the money by the rule you choose."))
    CONSENT = "consent", Words(
        _l("Consent"),
        _l("Each panel member agrees to the funded list or objects, with a reason."))


class Calibration(Vocabulary):
    """Whether scores are adjusted for members who score high or low overall."""

    NONE = "none", Words(_l("No adjustment"), _l("Use the scores as members gave them."))
    ZSCORE = "zscore", Words(
        _l("Adjust for each member's scoring habits"),
        _l("Each member's scores are compared with their own average, so a member who scores "
           "everyone high or low counts the same as the others."))
    ADDITIVE = "additive", Words(
        _l("Adjust for harsh and generous scorers together"),
        _l("A statistical model works out how harsh or generous each member is and takes it "
           "out. It needs members' reading to overlap."))


class ConsensusMeasure(Vocabulary):
    """How disagreement about one application is measured."""

    SD = "sd", Words(_l("How far apart the totals are (standard deviation)"))
    IQR = "iqr", Words(_l("How far apart the middle half of the totals are (IQR)"))
    RANGE = "range", Words(_l("Gap between the highest and lowest total (range)"))


class ShortlistRule(Vocabulary):
    """Which applications go on the shortlist for a ranked vote."""

    TOP = "top", Words(_l("The top applications after scoring"),
                       _l("A number you choose, highest scores first."))
    ABOVE = "above", Words(_l("Every application scoring at least a set score"),
                           _l("Every application whose result is at or above the score you "
                              "choose."))


class FundingRule(Vocabulary):
    """How the money is shared out once the order is known."""

    IN_ORDER = "in-order", Words(
        _l("Fund down the list"),
        _l("Give money in order, first place first, until the money runs out."))
    EQUAL_SHARES = "equal-shares", Words(
        _l("Method of Equal Shares"),
        _l("Each panel member gets an equal share of the budget to spend on the applications "
           "they support, so every group's preferences get a fair part of the money."))


class Utilities(Vocabulary):
    """What the Method of Equal Shares reads as each member's support."""

    SCORES = "scores", Words(_l("Members' scores"))
    APPROVALS = "approvals", Words(_l("Members' ticks in an approval vote"))


class Completion(Vocabulary):
    """How the Method of Equal Shares spends money it could not place at first."""

    NONE = "none", Words(_l("Leave it unspent"))
    ADD1 = "add1", Words(
        _l("Raise everyone's share step by step (as real participatory budgets do)"))


class ConsentRule(Vocabulary):
    """How the panel's consent to the funded list is decided."""

    NO_OBJECTION = "no-objection", Words(
        _l("No objections"), _l("The list stands if no panel member objects."))
    SUPERMAJORITY = "supermajority", Words(
        _l("A large majority"),
        _l("The list stands if at least the share you choose of those answering agree."))


class ConsentPosition(Vocabulary):
    """A member's answer on the funded list."""

    CONSENT = "consent", Words(_l("I agree with this list"))
    OBJECT = "object", Words(_l("I object to one application on it"))


class BallotStatus(Vocabulary):
    """A ranked or approval ballot's status."""

    DRAFT = "draft", Words(_l("Draft saved"))
    SUBMITTED = "submitted", Words(_l("Submitted"))


class Role(Vocabulary):
    """What an account may do: run rounds (staff) or sit on panels (panel)."""

    STAFF = "staff", Words(_l("Staff"))
    PANEL = "panel", Words(_l("Panel member"))


class Involvement(Vocabulary):
    """How far the panel decides (the public explanation is shown with the decision)."""

    CO_PRODUCTION = "co-production", Words(
        _l("Co-production"),
        _l("The panel decides. Its decision is binding: staff can change it only with a "
           "published reason."),
        public_explanation=_l(
            "The panel's decision is binding. Staff checked the count and could change it only "
            "by writing a reason, which is published on this page."),
    )
    CO_DESIGN = "co-design", Words(
        _l("Co-design"),
        _l("The panel and staff shape the round together; staff confirm the panel's result."),
        public_explanation=_l(
            "The panel and staff designed this round together and the panel scored the "
            "applications. Staff confirmed the decision; any change to the panel's result is "
            "published on this page with its reason."),
    )
    ENGAGEMENT = "engagement", Words(
        _l("Engagement"),
        _l("The panel advises and staff make the decision."),
        public_explanation=_l(
            "The panel advised and staff decided. The panel's scores set the order shown here; "
            "staff made the final decision, and any change they made is published on this page "
            "with its reason."),
    )
    CONSULTATION = "consultation", Words(
        _l("Consultation"),
        _l("Staff ask the panel for its views and then decide."),
        public_explanation=_l(
            "Staff asked the panel for its views and staff decided. The panel's scores are "
            "shown here; any difference between them and the final decision is published on this "
            "page with its reason."),
    )

    @property
    def binding(self) -> bool:
        """Whether the panel's decision binds staff (only co-production)."""
        return self is Involvement.CO_PRODUCTION


class Aggregation(Vocabulary):
    """How an application's sheet totals become its result."""

    MEAN = "mean", Words(_l("Mean (average)"),
                         _l("Add up the panel's totals and divide by how many."))
    MEDIAN = "median", Words(
        _l("Median (middle score)"),
        _l("The middle total when they are put in order; one very high or low score moves it "
           "less."),
    )
    TRIMMED_MEAN = "trimmed-mean", Words(
        _l("Trimmed mean"),
        _l("Leave out the highest and lowest totals (a share you choose), then take the "
           "average of the rest."),
    )


class FitRule(Vocabulary):
    """What happens when the next application in the order does not fit the money left."""

    SKIP = "skip", Words(
        _l("Skip it and carry on"),
        _l("If the next application does not fit in the money left, pass over it and fund the "
           "next one that fits."),
    )
    STOP = "stop", Words(
        _l("Stop there"),
        _l("If the next application does not fit in the money left, stop funding at that "
           "point."),
    )


class TieBreak(Vocabulary):
    """How applications with equal results are put in order; ``draw`` is always last.

    ``public_label`` completes the sentence "settled by ..."."""

    HIGHER_MEAN = "higher_mean", Words(
        _l("Higher mean"), _l("The application with the higher average total."),
        public_label=_l("the higher mean score"))
    HIGHER_MEDIAN = "higher_median", Words(
        _l("Higher median"), _l("The application with the higher middle total."),
        public_label=_l("the higher median score"))
    MORE_SCORES = "more_scores", Words(
        _l("More scores"), _l("The application scored by more panel members."),
        public_label=_l("more panel members scoring it"))
    SMALLER_AMOUNT = "smaller_amount", Words(
        _l("Smaller amount"), _l("The application asking for less money."),
        public_label=_l("the smaller amount asked for"))
    DRAW = "draw", Words(
        _l("Random draw"),
        _l("A draw using the round's published random seed. This is always the last step, so "
           "every tie is settled, and anyone can re-run it."),
        public_label=_l("a random draw from the published seed"))

    @classmethod
    def chosen(cls) -> tuple[TieBreak, ...]:
        """The tie-breaks staff may choose (every one but the draw, which always comes last)."""
        return tuple(m for m in cls if m is not cls.DRAW)


class ConflictCategory(Vocabulary):
    """Why a member may not score an application, in the member's own words."""

    WORKS_FOR = "works-for", Words(
        _l("I work or volunteer for them"),
        staff_label=_l("Works or volunteers for the applicant"))
    TRUSTEE = "trustee", Words(
        _l("I am a trustee or board member"),
        staff_label=_l("Is a trustee or board member of the applicant"))
    FAMILY = "family", Words(_l("A family member is involved"))
    CLOSE_FRIEND = "close-friend", Words(_l("A close friend is involved"))
    BENEFICIARY = "beneficiary", Words(
        _l("I or my family would benefit"),
        staff_label=_l("They or their family would benefit"))
    OTHER = "other", Words(_l("Another reason"),
                           staff_label=_l("Another reason (say in the note)"))


class DeclaredBy(Vocabulary):
    """Who declared a conflict, as published: the member themself, or staff for them."""

    MEMBER = "member", Words(_l("A panel member"))
    STAFF = "staff", Words(_l("Staff"))


class DeclaredWhen(Vocabulary):
    """When a conflict was recorded, as published: before scoring closed, or after."""

    BEFORE_CLOSE = "before-close", Words(_l("Before scoring closed"))
    AFTER_CLOSE = "after-close", Words(_l("After scoring closed"))


class SheetStatus(Vocabulary):
    """A score sheet's status (``withdrawn``: set aside by a conflict, kept for the record)."""

    DRAFT = "draft", Words(_l("Draft saved"))
    SUBMITTED = "submitted", Words(_l("Submitted"))
    WITHDRAWN = "withdrawn", Words(_l("Withdrawn"))


class AssignmentSource(Vocabulary):
    """How a reader came to be assigned an application (``services/assignment.py``)."""

    AUTO = "auto", Words(_l("Assigned by grantpanel"))
    MANUAL = "manual", Words(_l("Added by staff"))


class QueueStatus(Vocabulary):
    """Where an application is in a member's queue."""

    TO_DO = "to do", Words(_l("To do"), tag="tag-grey")
    DRAFT_SAVED = "draft saved", Words(_l("Draft saved"), tag="tag-yellow")
    SUBMITTED = "submitted", Words(_l("Submitted"), tag="tag-green")


class Outcome(Vocabulary):
    """Staff's confirmation of a count: as counted, or changed with published reasons."""

    CONFIRMED = "confirmed", Words(_l("Confirmed as counted"))
    OVERRIDDEN = "overridden", Words(_l("Changed by staff, with reasons"))


class ResultStatus(Vocabulary):
    """An application's result in the record (``outputs.results[].status``)."""

    FUNDED = "funded", Words(_l("Funded"), tag="tag-green")
    SKIPPED = "skipped", Words(_l("Did not fit the money left"), tag="tag-yellow",
                               staff_label=_l("Does not fit the money left"))
    BELOW_LINE = "below-line", Words(_l("Below the funding line"), tag="tag-grey")
    UNDER_QUORUM = "under-quorum", Words(_l("Too few scores to rank"), tag="tag-red")
    INELIGIBLE = "ineligible", Words(_l("Not eligible"), tag="tag-grey")


class MethodKey(Vocabulary):
    """The counting methods ``voting`` knows (``python -m voting methods``).

    A round uses ``scores`` today; the others become choices as the decision stages arrive."""

    SCORES = "scores", Words(_l("Scores"))
    IRV = "irv", Words(_l("Instant runoff"))
    STV = "stv", Words(_l("Single transferable vote"))
    BORDA = "borda", Words(_l("Borda count"))
    SCHULZE = "schulze", Words(_l("Schulze"))
    RANKED_PAIRS = "ranked-pairs", Words(_l("Ranked pairs"))
    APPROVAL = "approval", Words(_l("Approval"))
    GREEDY = "greedy", Words(_l("Fund the most supported first"))
    EQUAL_SHARES = "equal-shares", Words(_l("Method of Equal Shares"))


class PayBasis(Vocabulary):
    """How a round pays its panel members for their time (``services/care_pay.py``)."""

    NONE = "none", Words(_l("No pay for time"),
                         explanation=_l("Members are not paid for their time in this round."))
    HOURLY = "hourly", Words(_l("A rate for each hour"),
                             explanation=_l("Each approved hour is paid at the rate you set."))
    FEE = "fee", Words(_l("A fixed fee for each member"),
                       explanation=_l("Every member on the panel is paid the same fee."))


class ExpenseCategory(Vocabulary):
    """What a panel member spent money on to take part (an expense claim's category)."""

    TRAVEL = "travel", Words(_l("Travel"))
    CHILDCARE = "childcare", Words(_l("Childcare"))
    CARE = "care", Words(_l("Care for someone else"))
    INTERPRETER = "interpreter", Words(_l("Interpreter or support worker"))
    DATA = "data", Words(_l("Phone or internet data"))
    OTHER = "other", Words(_l("Something else"))


class CareStatus(Vocabulary):
    """Where logged time or an expense claim is: waiting for staff, approved or not."""

    SUBMITTED = "submitted", Words(_l("Waiting for the grants team"), tag="tag-yellow")
    APPROVED = "approved", Words(_l("Approved"), tag="tag-green")
    REJECTED = "rejected", Words(_l("Not approved"), tag="tag-red")


class EnteredBy(Vocabulary):
    """Who wrote down a member's time: the member, or staff for them."""

    MEMBER = "member", Words(_l("The member"))
    STAFF = "staff", Words(_l("Staff"))


#: Every key set, by class name (templates see them under these names).
ALL: dict[str, type[Vocabulary]] = {
    cls.__name__: cls
    for cls in (Aggregation, AssignmentSource, BallotStatus, Calibration, Completion,
                ConflictCategory, ConsensusMeasure, ConsentPosition, ConsentRule, DeclaredBy, DeclaredWhen, FitRule,
                FundingRule, Involvement, MethodKey, Outcome, QueueStatus, ResultStatus, Role,
                RoundState, SheetStatus, ShortlistRule, StageKind, TieBreak, Utilities,
                PayBasis, ExpenseCategory, CareStatus, EnteredBy)
}


def register(app: Flask) -> None:
    """Give templates every key set by name (``{% if sheet.status == SheetStatus.DRAFT %}``)
    and the ``label`` filter (``{{ key|label("ResultStatus") }}``)."""

    @app.context_processor
    def vocabulary() -> dict[str, object]:
        return dict(ALL)

    def label(key: str, enum_name: str) -> str:
        return ALL[enum_name].label_of(key)

    app.add_template_filter(label, "label")
