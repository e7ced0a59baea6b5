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
    ConflictCategory,
    ConsentPosition,
    DeclaredBy,
    DeclaredWhen,
    FitRule,
    Involvement,
    Outcome,
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

    round: Mapped[Round] = relationship(back_populates="applications")

    __table_args__ = (UniqueConstraint("round_id", "reference"),)


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


class AppendOnlyError(RuntimeError):
    """Raised on an attempt to change or delete an audit event or published record."""


def _refuse_change(mapper: Any, connection: Any, target: Any) -> None:
    raise AppendOnlyError(f"{type(target).__name__} rows are append-only")


for _model in (AuditEvent, PublishedRecord):
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_change)
