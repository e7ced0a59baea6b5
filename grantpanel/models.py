"""Database models (SQLAlchemy 2.x typed mappings).

Words follow ``DESIGN.md``: a *round* has a rubric of *criteria*, *applications*, a panel of
*memberships*, *conflicts*, *score sheets*, a *decision* and, once published, a *published
record*.  Every state change is an *audit event*.  Models never commit: services change
objects and the view or command that owns the request commits once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grantpanel.extensions import db
from grantpanel.lifecycle import STATES, State
from grantpanel.vocabulary import (
    Aggregation,
    AssignmentSource,
    BallotStatus,
    CareStatus,
    ConflictCategory,
    ConsentPosition,
    DeclaredBy,
    DeclaredWhen,
    EnteredBy,
    ExpenseCategory,
    FitRule,
    Involvement,
    Outcome,
    PayBasis,
    Role,
    RoundState,
    SheetStatus,
    column_type,
)

# Staff-typed text in another language, by language code then field name (only non-empty
# values; a list field such as a criterion's descriptors is stored as a list). Read it with
# ``grantpanel.services.content``; assign a new dict to change it (JSON is not mutation-tracked).
Translations = dict[str, dict[str, Any]]
TRANSLATIONS_TYPE = JSON(none_as_null=True)  # no translations is SQL NULL, not JSON null


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC (the one clock services use)."""
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """``value`` as a timezone-aware UTC time.

    SQLite hands back naive datetimes (stored in UTC); PostgreSQL hands back aware ones.
    Compare stored times only after passing them through this.
    """
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class User(db.Model):  # type: ignore[name-defined]
    """A person who signs in: grants staff or a panel member."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A panel member may have none: they sign in by invitation link (a printed letter).
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(column_type(Role, 20, "role"))
    # The language for their emails and letters (a code in grantpanel.i18n.LANGUAGES), if known.
    language: Mapped[str | None] = mapped_column(String(10))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Rotated on sign-out: a copied session cookie then names a nonce that no longer exists.
    session_nonce: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(40))
    access_needs: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set when the person's personal data was erased (services/privacy.py); never cleared.
    erased_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    @property
    def is_staff(self) -> bool:
        return self.role == Role.STAFF

    @property
    def is_panel(self) -> bool:
        return self.role == Role.PANEL


class Invitation(db.Model):  # type: ignore[name-defined]
    """A one-time sign-in link for a panel member. Only the token's SHA-256 is stored."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class Round(db.Model):  # type: ignore[name-defined]
    """One funding round, with its rules declared before scoring opens."""

    __tablename__ = "round"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text, default="")
    budget: Mapped[int] = mapped_column(BigInteger)  # integer minor units (pence)
    currency: Mapped[str] = mapped_column(String(3), default="GBP")
    involvement: Mapped[Involvement] = mapped_column(
        column_type(Involvement, 20, "involvement"), default=Involvement.CO_PRODUCTION
    )
    aggregation: Mapped[Aggregation] = mapped_column(
        column_type(Aggregation, 20, "aggregation"), default=Aggregation.MEAN
    )
    quorum: Mapped[int] = mapped_column(Integer, default=3)
    fit_rule: Mapped[FitRule] = mapped_column(
        column_type(FitRule, 10, "fit_rule"), default=FitRule.SKIP
    )
    tie_break: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The declared decision chain, in the record's ``rules.stages`` shape (voting.stages);
    # fixed when scoring opens. Empty means the default chain: scores then fund down the list
    # (``grantpanel.services.stages.declared_stages`` fills it in from aggregation/fit_rule).
    stages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The interactive stages finished so far ("consensus", "ranked", "consent"), in order.
    stages_done: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Members see others' scores only after scoring closes (never before their own).
    reveal_scores_after_close: Mapped[bool] = mapped_column(Boolean, default=True)
    # What each state allows: grantpanel.lifecycle (ask ``rnd.lifecycle.accepts_scores``).
    state: Mapped[RoundState] = mapped_column(
        column_type(RoundState, 20, "state"), default=RoundState.DRAFT
    )
    opens_on: Mapped[dt.date | None] = mapped_column(db.Date)
    closes_on: Mapped[dt.date | None] = mapped_column(db.Date)
    decision_on: Mapped[dt.date | None] = mapped_column(db.Date)
    # Drawn when scoring opens; secret until the record is published.
    seed: Mapped[str | None] = mapped_column(String(64))
    seed_commitment: Mapped[str | None] = mapped_column(String(80))
    # Readers per application (services/assignment.py): NULL means every member reads every
    # application, as before; a number k means each application is shared out to k members.
    readers_per_application: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Staff-typed text in other languages: {"cy": {"name": ..., "purpose": ...}}. The English
    # columns stay the source of truth, and the only text the decision record publishes.
    translations: Mapped[Translations | None] = mapped_column(TRANSLATIONS_TYPE)
    # How an applicant can question the decision (an email address or a process), shown on
    # their feedback page; editable at any time (services/feedback.py). Welsh in translations.
    question_route: Mapped[str] = mapped_column(Text, default="", server_default="")
    # When staff released the panel's feedback to applicants (after publishing); never cleared.
    feedback_released_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="round", order_by="Criterion.position", cascade="all, delete-orphan"
    )
    applications: Mapped[list[Application]] = relationship(
        back_populates="round", order_by="Application.reference", cascade="all, delete-orphan"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="round", order_by="Membership.number", cascade="all, delete-orphan"
    )

    @property
    def lifecycle(self) -> State:
        """What the round's state allows (``rnd.lifecycle.accepts_scores``)."""
        return STATES[self.state]


class Criterion(db.Model):  # type: ignore[name-defined]
    """One rubric criterion: guidance, a whole-number weight, and a descriptor per point."""

    __tablename__ = "criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"))
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(40))  # stable key used in records: "c1", "c2"...
    name: Mapped[str] = mapped_column(String(200))
    guidance: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[int] = mapped_column(Integer, default=1)
    scale_min: Mapped[int] = mapped_column(Integer, default=1)
    scale_max: Mapped[int] = mapped_column(Integer, default=5)
    # descriptors[i] describes point scale_min + i
    descriptors: Mapped[list[str]] = mapped_column(JSON, default=list)
    # {"cy": {"name": ..., "guidance": ..., "descriptors": [...]}} (see Round.translations)
    translations: Mapped[Translations | None] = mapped_column(TRANSLATIONS_TYPE)

    round: Mapped[Round] = relationship(back_populates="criteria")

    __table_args__ = (UniqueConstraint("round_id", "key"),)

    @property
    def points(self) -> list[tuple[int, str]]:
        return [(self.scale_min + i, text) for i, text in enumerate(self.descriptors)]


class Application(db.Model):  # type: ignore[name-defined]
    """An application: private applicant details, public title and summary, amount asked."""

    __tablename__ = "application"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"))
    reference: Mapped[str] = mapped_column(String(40))  # public id, unique within a round
    applicant_name: Mapped[str] = mapped_column(String(200))  # private (shown to the panel)
    contact_email: Mapped[str | None] = mapped_column(String(254))  # private
    title: Mapped[str] = mapped_column(String(200))  # public
    summary: Mapped[str] = mapped_column(Text, default="")  # public
    answers: Mapped[str] = mapped_column(Text, default="")  # shown to the panel
    amount: Mapped[int] = mapped_column(BigInteger)  # requested, minor units
    eligible: Mapped[bool] = mapped_column(Boolean, default=True)
    eligibility_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set when the applicant's private details were erased (services/privacy.py).
    erased_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # {"cy": {"title": ..., "summary": ...}}: public, like the English (see Round.translations)
    translations: Mapped[Translations | None] = mapped_column(TRANSLATIONS_TYPE)
    # Set when the applicant pulled out (services/withdrawals.py): not counted or funded; the
    # record lists it with the reason. Cleared if the withdrawal is undone before the decision.
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    # A short warning shown to the panel before the text ("mentions suicide"); "" for none.
    content_warning: Mapped[str] = mapped_column(String(200), default="", server_default="")

    round: Mapped[Round] = relationship(back_populates="applications")
    # Staff-only labels (areas, themes): never published. See services/tags.py.
    tags: Mapped[list[Tag]] = relationship(secondary="application_tag", order_by="Tag.name")

    # The staff list sorts a round's applications by these (services/application_list.py).
    __table_args__ = (UniqueConstraint("round_id", "reference"),
                      Index("ix_application_round_id_title", "round_id", "title"),
                      Index("ix_application_round_id_amount", "round_id", "amount"),
                      Index("ix_application_round_id_created_at", "round_id", "created_at"))


class Tag(db.Model):  # type: ignore[name-defined]
    """A staff-defined label for a round's applications, like an area of the city or a theme.
    Staff-only: never shown to the panel or published."""

    __tablename__ = "tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"))
    name: Mapped[str] = mapped_column(String(40))

    __table_args__ = (UniqueConstraint("round_id", "name"),)


class ApplicationTag(db.Model):  # type: ignore[name-defined]
    """An application carries a tag (the primary key serves "tags of an application", the
    index "applications with a tag", for the list's filter)."""

    __tablename__ = "application_tag"

    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id"), primary_key=True)

    __table_args__ = (Index("ix_application_tag_tag_id", "tag_id"),)


class Membership(db.Model):  # type: ignore[name-defined]
    """A panel member's place on one round, with their stable pseudonym number."""

    __tablename__ = "membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    number: Mapped[int] = mapped_column(Integer)  # published as "Panel member <number>"
    hours: Mapped[int] = mapped_column(Integer, default=0)  # hours claimed, for payment
    # Set when the member has been through the conflicts screen for this round.
    conflicts_checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # When a scoring reminder was last emailed: at most one a day (services/messages.py).
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The most applications this member reads when reading is shared out (NULL: no limit;
    # 0: reads nothing more, e.g. after leaving the panel). See services/assignment.py.
    capacity: Mapped[int | None] = mapped_column(Integer)
    # A later deadline for this member alone (services/panel_care.py); NULL: the round's.
    extended_until: Mapped[dt.date | None] = mapped_column(db.Date)

    round: Mapped[Round] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")

    __table_args__ = (
        UniqueConstraint("round_id", "user_id"),
        UniqueConstraint("round_id", "number"),
    )

    @property
    def pseudonym(self) -> str:
        return f"Panel member {self.number}"


class Conflict(db.Model):  # type: ignore[name-defined]
    """A declared conflict of interest between a member and an application."""

    __tablename__ = "conflict"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"))
    category: Mapped[ConflictCategory] = mapped_column(
        column_type(ConflictCategory, 30, "category")
    )
    note: Mapped[str] = mapped_column(Text, default="")  # private
    declared_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    declared_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Published in the decision record (schema 2): who declared it, as a role ("member" or
    # "staff"); whether scoring had closed ("before-close" or "after-close"); and, after
    # close, the written reason (required then, since it can change the count).
    declared_role: Mapped[DeclaredBy] = mapped_column(
        column_type(DeclaredBy, 10, "declared_role"), server_default=DeclaredBy.MEMBER.value
    )
    declared_when: Mapped[DeclaredWhen] = mapped_column(
        column_type(DeclaredWhen, 12, "declared_when"),
        server_default=DeclaredWhen.BEFORE_CLOSE.value,
    )
    reason: Mapped[str] = mapped_column(Text, server_default="")

    membership: Mapped[Membership] = relationship()
    application: Mapped[Application] = relationship()
    declared_by: Mapped[User] = relationship()

    # The unique key serves lookups by member; counts per application use the second index.
    __table_args__ = (UniqueConstraint("membership_id", "application_id"),
                      Index("ix_conflict_application_id", "application_id"))


class ScoreSheet(db.Model):  # type: ignore[name-defined]
    """One member's scores for one application at one stage.

    ``scores`` maps criterion key to an integer, or ``None`` for "don't know" (missing,
    never zero). ``status`` is ``draft``, ``submitted`` or ``withdrawn`` (after a conflict).
    """

    __tablename__ = "score_sheet"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"))
    stage: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[SheetStatus] = mapped_column(
        column_type(SheetStatus, 12, "status"), default=SheetStatus.DRAFT
    )
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    panel_note: Mapped[str] = mapped_column(Text, default="")  # private to staff and panel
    feedback: Mapped[str] = mapped_column(Text, default="")  # for the applicant
    # A strong objection: flags the application for discussion (consensus stage). The flag is
    # published (pseudonymously); the reason is private to the panel and staff.
    objection: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    objection_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Staff who last entered the scores on the member's behalf (assisted entry); NULL when
    # the member saved them. Published as ``"assisted": true`` (services/panel_care.py).
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    membership: Mapped[Membership] = relationship()
    application: Mapped[Application] = relationship()

    __table_args__ = (UniqueConstraint("membership_id", "application_id", "stage"),
                      Index("ix_score_sheet_application_id_status", "application_id", "status"))


class Ballot(db.Model):  # type: ignore[name-defined]
    """One member's ballot in a round's ranked stage: a ranking or an approval set.

    ``ranking`` lists application ids (database ids) most preferred first; ``approved`` the
    ids ticked (approval voting). Only shortlisted applications the member has no conflict
    with may appear; the record publishes references, never these ids.
    """

    __tablename__ = "ballot"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"))
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"))
    ranking: Mapped[list[int]] = mapped_column(JSON, default=list)
    approved: Mapped[list[int]] = mapped_column(JSON, default=list)
    status: Mapped[BallotStatus] = mapped_column(
        column_type(BallotStatus, 12, "status"), default=BallotStatus.DRAFT
    )
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    membership: Mapped[Membership] = relationship()

    __table_args__ = (UniqueConstraint("round_id", "membership_id"),)


class ConsentAnswer(db.Model):  # type: ignore[name-defined]
    """One member's answer on the proposed funded list (the consent stage).

    ``position`` is ``consent`` or ``object``; an objection names one application and gives a
    reason (private to the panel and staff; the record publishes the objection, not the
    reason).
    """

    __tablename__ = "consent_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"))
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"))
    position: Mapped[ConsentPosition] = mapped_column(
        column_type(ConsentPosition, 12, "position")
    )
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    membership: Mapped[Membership] = relationship()
    application: Mapped[Application | None] = relationship()

    __table_args__ = (UniqueConstraint("round_id", "membership_id"),)


class Assignment(db.Model):  # type: ignore[name-defined]
    """A member asked to read (and score) an application, when a round shares reading out.

    ``source`` is ``auto`` (placed by the solver, which may move it on a re-run) or
    ``manual`` (added by staff; kept by every re-run). See ``services/assignment.py``.
    """

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"))
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"))
    source: Mapped[AssignmentSource] = mapped_column(
        column_type(AssignmentSource, 10, "source"), default=AssignmentSource.AUTO
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    membership: Mapped[Membership] = relationship()
    application: Mapped[Application] = relationship()

    # The unique key serves "applications of a member"; the second index "members of an
    # application"; the third a round's whole assignment.
    __table_args__ = (UniqueConstraint("membership_id", "application_id"),
                      Index("ix_assignment_application_id", "application_id"),
                      Index("ix_assignment_round_id", "round_id"))


class AssignmentPreference(db.Model):  # type: ignore[name-defined]
    """A member's wish about reading one application: ``bid`` +1 (would like to read it)
    or -1 (would rather not). The assignment solver honours it when it costs nothing else."""

    __tablename__ = "assignment_preference"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"))
    bid: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("membership_id", "application_id"),
                      CheckConstraint("bid IN (-1, 1)", name="bid"))


class Skip(db.Model):  # type: ignore[name-defined]
    """A member chose not to score an application ("I'd rather not score this one").

    Not a conflict and never published as one: the member simply has no sheet for it. The
    note is private to staff. See ``services/panel_care.py``.
    """

    __tablename__ = "skip"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"))
    note: Mapped[str] = mapped_column(Text, default="")  # private to staff
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    membership: Mapped[Membership] = relationship()
    application: Mapped[Application] = relationship()

    __table_args__ = (UniqueConstraint("membership_id", "application_id"),
                      Index("ix_skip_application_id", "application_id"))


class Decision(db.Model):  # type: ignore[name-defined]
    """Staff confirmation of a count: the computed outcome, and any override with reason."""

    __tablename__ = "decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), unique=True)
    # The record inputs and outputs the count produced (as the voting library returned them).
    count: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcome: Mapped[Outcome] = mapped_column(column_type(Outcome, 12, "outcome"))
    # [{"application": ref, "action": "fund"|"unfund", "reason": str}]
    overrides: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PublishedRecord(db.Model):  # type: ignore[name-defined]
    """The immutable published decision record: canonical JSON bytes and their digest."""

    __tablename__ = "published_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), unique=True)
    body: Mapped[str] = mapped_column(Text)  # canonical JSON (UTF-8 text)
    digest: Mapped[str] = mapped_column(String(80), unique=True)
    previous_digest: Mapped[str | None] = mapped_column(String(80))
    published_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    round: Mapped[Round] = relationship()


class RecordChainHead(db.Model):  # type: ignore[name-defined]
    """The one row (``id`` 1) naming the organisation's latest published record.

    Publishing locks this row (``FOR UPDATE``; the database write lock on SQLite) before it
    reads the latest record to chain to, so two rounds published at the same moment chain one
    after the other, never both to the same previous record. See ``counting.publish``.
    """

    __tablename__ = "record_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str | None] = mapped_column(String(80))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEvent(db.Model):  # type: ignore[name-defined]
    """Append-only log entry: who did what, when. Never updated or deleted."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    actor: Mapped[User | None] = relationship()


class CountRun(db.Model):  # type: ignore[name-defined]
    """The count staff ran and are looking at: stored once, confirmed as it was seen.

    ``inputs_digest`` fingerprints the inputs (without the moment they were read), so
    confirming checks that nothing the count reads has changed since (see
    ``services/count_runs.py``). One per round; running the count again replaces it.
    """

    __tablename__ = "count_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), unique=True)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    problems: Mapped[list[str]] = mapped_column(JSON, default=list)
    inputs_digest: Mapped[str] = mapped_column(String(80))
    made_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    made_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    made_by: Mapped[User | None] = relationship()


class PendingOverride(db.Model):  # type: ignore[name-defined]
    """A change staff mean to make to the count's result for one application, with the reason
    that will be published; applied when the decision is confirmed."""

    __tablename__ = "pending_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"))
    application_ref: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(10))  # "fund" or "unfund"
    reason: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("round_id", "application_ref"),)


class FeedbackLink(db.Model):  # type: ignore[name-defined]
    """An application's secret feedback link (services/feedback.py). Only the token's SHA-256
    is stored; making a new link replaces it, so the old one stops working."""

    __tablename__ = "feedback_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    application: Mapped[Application] = relationship()


class FeedbackEdit(db.Model):  # type: ignore[name-defined]
    """Staff's version of one score sheet's feedback, as the applicant will read it, with who
    changed it, when and why. The sheet's own ``feedback`` is never changed; the newest edit
    of a sheet is the one shown (empty text: left out). Rows are kept as the trace."""

    __tablename__ = "feedback_edit"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheet.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    author: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_feedback_edit_sheet_id", "sheet_id"),)


class Job(db.Model):  # type: ignore[name-defined]
    """A long step (running the count, publishing) done by a background worker, with its
    state for the page that waits for it (``services/jobs.py``)."""

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "count" or "publish"
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))  # queued, running, done, failed
    message: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    created_by: Mapped[User | None] = relationship()


class AppendOnlyError(RuntimeError):
    """Raised on an attempt to change or delete an audit event or published record."""


def _refuse_change(mapper: Any, connection: Any, target: Any) -> None:
    raise AppendOnlyError(f"{type(target).__name__} rows are append-only")


for _model in (AuditEvent, PublishedRecord):
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_change)


# --- panel care: pay, time and expenses (services/care_pay.py) -----------------------------
# Private to the member and staff: never in the decision record, public pages or logs.


class PaySettings(db.Model):  # type: ignore[name-defined]
    """How one round pays its panel members: nothing, a rate per hour, or a fixed fee each
    (money in integer pence), and a note to members ("We can pay in vouchers")."""

    __tablename__ = "pay_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), unique=True)
    basis: Mapped[PayBasis] = mapped_column(column_type(PayBasis, 10, "basis"),
                                            default=PayBasis.NONE)
    rate: Mapped[int | None] = mapped_column(BigInteger)  # pence an hour (basis "hourly")
    fee: Mapped[int | None] = mapped_column(BigInteger)  # pence a member (basis "fee")
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TimeEntry(db.Model):  # type: ignore[name-defined]
    """Time a panel member gave to a round, logged by them or by staff, then decided."""

    __tablename__ = "time_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"))
    worked_on: Mapped[dt.date] = mapped_column(db.Date)
    minutes: Mapped[int] = mapped_column(Integer)
    what_for: Mapped[str] = mapped_column(String(200))
    entered_by: Mapped[EnteredBy] = mapped_column(column_type(EnteredBy, 10, "entered_by"))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    status: Mapped[CareStatus] = mapped_column(column_type(CareStatus, 12, "status"),
                                               default=CareStatus.SUBMITTED)
    reason: Mapped[str] = mapped_column(Text, default="")  # why it was not approved
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    membership: Mapped[Membership] = relationship()

    __table_args__ = (CheckConstraint("minutes > 0", name="minutes"),
                      Index("ix_time_entry_membership_id", "membership_id"))


class ExpenseClaim(db.Model):  # type: ignore[name-defined]
    """Money a panel member spent to take part (travel, childcare, ...), claimed, then decided."""

    __tablename__ = "expense_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"))
    category: Mapped[ExpenseCategory] = mapped_column(
        column_type(ExpenseCategory, 20, "category"))
    amount: Mapped[int] = mapped_column(BigInteger)  # pence
    spent_on: Mapped[dt.date] = mapped_column(db.Date)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[CareStatus] = mapped_column(column_type(CareStatus, 12, "status"),
                                               default=CareStatus.SUBMITTED)
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    membership: Mapped[Membership] = relationship()

    __table_args__ = (CheckConstraint("amount > 0", name="amount"),
                      Index("ix_expense_claim_membership_id", "membership_id"))


# Presence and impact (grantpanel/monitoring.py, services/monitoring.py, services/survey.py).
# Answers are anonymous: a response row has no member, user, time or sequential id (its id is
# random, so even the order rows were written in is lost); what a member has answered is only
# "has answered", in ImpactAnswered, kept apart.


class MonitoringSetup(db.Model):  # type: ignore[name-defined]
    """Which monitoring questions a round asks, and its target make-up.

    ``targets``: {question key: {"answer": answer key, "percent": 1..100}}, meaning "at least
    this share of the people who answer give this answer"."""

    __tablename__ = "monitoring_setup"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), unique=True)
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    targets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MonitoringResponse(db.Model):  # type: ignore[name-defined]
    """One person's anonymous monitoring answers: {question key: answer key, or a list of
    them for a tick-all question}. A question left blank is not in ``answers``."""

    __tablename__ = "monitoring_response"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, not in order
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SurveyResponse(db.Model):  # type: ignore[name-defined]
    """One person's anonymous panel experience survey: {statement key: 1..5} (a statement
    left blank is not in ``ratings``) and the two free-text answers."""

    __tablename__ = "survey_response"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, not in order
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    ratings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    worked_well: Mapped[str] = mapped_column(Text, default="")
    change: Mapped[str] = mapped_column(Text, default="")


class ImpactAnswered(db.Model):  # type: ignore[name-defined]
    """That a member has answered the monitoring questions or the survey for their round,
    and nothing else (no time, no link to the answers): it stops a second answer."""

    __tablename__ = "impact_answered"

    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)

    __table_args__ = (CheckConstraint("kind IN ('monitoring', 'survey')", name="kind"),)
