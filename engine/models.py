"""Database tables of the engine (SQLAlchemy 2.x typed models).

The case row and its append-only event log are the truth; requirement states (ticks, documents, form data,
sign-offs) are rows of their own so that "what is missing" is a cheap query. Schema changes go through the
Alembic migrations in engine/migrations.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from .files import refer_to_files

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timestamps stored as UTC and always given back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value

    def bind_processor(self, dialect: Any) -> Any:
        """On SQLite, `process_bind_param` and the dialect's own text format in one step (every operation
        writes a timestamp or two): the same text, without the dialect's dictionary of parts."""
        if dialect.name == "sqlite" and getattr(self.impl_instance, "_storage_format", None) == _SQLITE_FORMAT:
            return _sqlite_text
        return super().bind_processor(dialect)


# SQLAlchemy's default text of a SQLite DATETIME, and the same written positionally.
_SQLITE_FORMAT = ("%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d"
                  ".%(microsecond)06d")
_SQLITE_POSITIONAL = "%04d-%02d-%02d %02d:%02d:%02d.%06d"
_UTC = timezone.utc


def _sqlite_text(value: datetime | None) -> str | None:
    last = _last_text
    if value is last[0]:  # the same (immutable) object as the last one: an operation's time, written 2-4 times
        return last[1]
    if value is None:
        return None
    given = value
    if value.tzinfo is not _UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(_UTC)
    text = _SQLITE_POSITIONAL % (value.year, value.month, value.day, value.hour, value.minute, value.second,
                                 value.microsecond)
    _remember(given, text)
    return text


def _remember(value: datetime, text: str) -> None:
    global _last_text
    _last_text = (value, text)  # one tuple, swapped whole: a thread reads the old pair or the new one


_last_text: tuple[Any, str | None] = (None, None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Desk(Base):
    """A territorial help desk ("sportello")."""

    __tablename__ = "desks"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))  # IT / FR
    region: Mapped[str] = mapped_column(String(100), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")  # where public enquiries are routed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RevisionMixin:
    """One exact content of a pathway or assessment file, stored once (per id and content hash)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64))
    source_text: Mapped[str] = mapped_column(Text)  # the file as written
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # as read (a pathway's fragments inlined)
    source_file: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PathwayRevision(RevisionMixin, Base):
    __tablename__ = "pathway_revisions"
    __table_args__ = (UniqueConstraint("pathway_id", "content_hash", name="uq_pathway_revisions_content"),)
    pathway_id: Mapped[str] = mapped_column(String(64), index=True)
    created_by: Mapped[str | None] = mapped_column(String(64))


class PathwaySource(Base):
    """The last check of one pathway file: valid or not, with its problems, and its active revision.

    An invalid file never replaces the active revision; its problems stay here for everyone to see.
    """

    __tablename__ = "pathway_sources"
    file: Mapped[str] = mapped_column(String(500), primary_key=True)
    pathway_id: Mapped[str | None] = mapped_column(String(64), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))  # of the raw file
    valid: Mapped[bool] = mapped_column(Boolean)
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    active_revision_id: Mapped[int | None] = mapped_column(ForeignKey("pathway_revisions.id"))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_desk_status_stage", "desk_id", "status", "stage_id"),
        Index("ix_cases_status_due", "status", "due_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pathway_id: Mapped[str] = mapped_column(String(64))  # looked up by ix_cases_pathway_status_outcome, below
    revision_id: Mapped[int] = mapped_column(ForeignKey("pathway_revisions.id"), index=True)
    desk_id: Mapped[str] = mapped_column(ForeignKey("desks.id"))
    title: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")  # active / on_hold / closed
    stage_id: Mapped[str] = mapped_column(String(64))  # the current stage (or the last one, when closed)
    stage_visit: Mapped[int] = mapped_column(Integer, default=1)  # increments at every entry in a stage
    outcome: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic lock; = seq of the last event
    supply_chains: Mapped[list[Any]] = mapped_column(JSON, default=list)
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    stage_entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column()
    held_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    previous_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    next_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))

    members: Mapped[list[CaseMember]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseMember.position")
    # The parties now on the case (a removed party keeps its row, for the events that name it).
    parties: Mapped[list[CaseParty]] = relationship(
        primaryjoin="and_(CaseParty.case_id == Case.id, CaseParty.removed_at.is_(None))",
        order_by="CaseParty.id", viewonly=True)


class CaseMember(Base):
    """A person following the case (worker) or assigned to it (mentor)."""

    __tablename__ = "case_members"
    __table_args__ = (UniqueConstraint("case_id", "person_id", "kind", name="uq_case_members_person"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))  # indexed by the unique key
    person_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # worker / mentor
    display_name: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Optional, for the programme's breakdowns only (never shown publicly): female / male / other.
    sex: Mapped[str | None] = mapped_column(String(16))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    case: Mapped[Case] = relationship(back_populates="members")


class CaseParty(Base):
    """Someone outside the help desk who acts on one case in a role its pathway declares (a bank, a notary):
    an organisation and a person, reached by e-mail, optionally linked to an account."""

    __tablename__ = "case_parties"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(64))
    organisation: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    language: Mapped[str] = mapped_column(String(5), default="en")
    account_id: Mapped[str | None] = mapped_column(String(64), index=True)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column()
    removed_by: Mapped[str | None] = mapped_column(String(64))

    @property
    def actor_id(self) -> str:
        """Who the party is in events and sign-offs when it acts without an account (by a signing link)."""
        return party_actor_id(self.id)


def party_actor_id(party_id: int) -> str:
    return f"party:{party_id}"


class SigningLink(Base):
    """A single-use, expiring link that lets a party decide one sign-off without an account. Only the
    token's SHA-256 is stored; using it marks it used in the transaction of the decision."""

    __tablename__ = "signing_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("case_parties.id", ondelete="CASCADE"), index=True)
    stage_id: Mapped[str] = mapped_column(String(64))
    stage_visit: Mapped[int] = mapped_column(Integer)
    signoff_id: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()


class ChecklistTick(Base):
    __tablename__ = "checklist_ticks"
    __table_args__ = (UniqueConstraint("case_id", "stage_id", "item_id", "member_id", name="uq_checklist_ticks_item"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))  # indexed by the unique key
    stage_id: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[str] = mapped_column(String(64), default="")  # "" when not per member
    ticked_by: Mapped[str] = mapped_column(String(64))
    ticked_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseDocument(Base):
    """A file attached to a requirement; the bytes live in the content-addressed store (sha256)."""

    __tablename__ = "case_documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    stage_id: Mapped[str] = mapped_column(String(64))
    requirement_id: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[str] = mapped_column(String(64), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column()
    removed_by: Mapped[str | None] = mapped_column(String(64))


class FormData(Base):
    __tablename__ = "form_data"
    __table_args__ = (UniqueConstraint("case_id", "stage_id", name="uq_form_data_stage"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))  # indexed by the unique key
    stage_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignOff(Base):
    """A sign-off given during one visit of a stage (coming back to the stage asks for it again)."""

    __tablename__ = "signoffs"
    __table_args__ = (
        UniqueConstraint("case_id", "stage_id", "stage_visit", "signoff_id", "actor_id", name="uq_signoffs_once"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))  # indexed by the unique key
    stage_id: Mapped[str] = mapped_column(String(64))
    stage_visit: Mapped[int] = mapped_column(Integer)
    signoff_id: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text, default="")
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The signer's latest decision (approve, request_changes, decline): only an approval counts toward the
    # sign-off. A party's sign-off names the party; one given on paper, who recorded it and its evidence.
    decision: Mapped[str] = mapped_column(String(16), default="approve", server_default="approve")
    party_id: Mapped[int | None] = mapped_column(Integer)
    recorded_by: Mapped[str | None] = mapped_column(String(64))
    evidence_document_id: Mapped[int | None] = mapped_column(Integer)


class Event(Base):
    """Append-only record of one thing that happened to a case. `seq` is the case version it produced."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_events_case_seq"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))  # indexed by the unique key
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_roles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    stage_id: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")  # the hash of the case's previous event
    hash: Mapped[str] = mapped_column(String(64), default="")
    # The case's desk (a case never changes desk), written with the event from its case's row (engine/events.py),
    # outside what the hash covers: derived, so that the news of a desk are found by desk (webui's
    # ix_events_desk_news) without reading every case of the desk.
    desk_id: Mapped[str | None] = mapped_column(String(64))


class AppendOnlyGate(Base):
    """Empty, except inside the one transaction that may rewrite the append-only logs (GDPR erasure,
    engine/personal_data.py): the triggers refusing UPDATE and DELETE on `events` and `audit_log` let a
    statement through only while this table has a row, which no other transaction can see."""

    __tablename__ = "append_only_gate"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class AssessmentRevision(RevisionMixin, Base):
    """Responses are pinned to the revision they were answered on."""

    __tablename__ = "assessment_revisions"
    __table_args__ = (UniqueConstraint("assessment_id", "content_hash", name="uq_assessment_revisions_content"),)
    assessment_id: Mapped[str] = mapped_column(String(64), index=True)


class AssessmentResponse(Base):
    """One person's answers to one assessment within a case: saved as they go, then submitted with its
    result (scores and ranked recommendations)."""

    __tablename__ = "assessment_responses"
    __table_args__ = (
        UniqueConstraint("case_id", "person_id", "assessment_id", name="uq_assessment_responses_person"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))  # indexed by the unique key
    person_id: Mapped[str] = mapped_column(String(64))
    assessment_id: Mapped[str] = mapped_column(String(64))
    revision_id: Mapped[int] = mapped_column(ForeignKey("assessment_revisions.id"))
    stage_id: Mapped[str] = mapped_column(String(64))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime | None] = mapped_column()


# --- the monitoring projection: small tables folded from the event log for the dashboard ------------------
# Each row copies the scope columns of its case (pathway, desk, opening date: set at opening, never changed)
# so that a dashboard filter is read from the row itself, without a join to `cases`.


class MonitoringCursor(Base):
    """How far the monitoring projection has folded the event log (a single row, id 1)."""

    __tablename__ = "monitoring_cursor"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_event_id: Mapped[int] = mapped_column(BigInteger, default=0)  # every event up to it is folded
    folded_at: Mapped[datetime | None] = mapped_column()


class MonitoredCase(Base):
    """What monitoring needs of a case beyond its row: the jobs recorded at its outcome, and its workers
    counted per sex and per age band at opening (re-counted whenever an event changes its members)."""

    __tablename__ = "monitored_cases"
    __table_args__ = (Index("ix_monitored_cases_desk", "desk_id", "pathway_id"),)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    pathway_id: Mapped[str] = mapped_column(String(64))
    desk_id: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column()
    jobs_created: Mapped[int] = mapped_column(Integer, default=0)
    jobs_kept: Mapped[int] = mapped_column(Integer, default=0)
    sex_female: Mapped[int] = mapped_column(Integer, default=0)
    sex_male: Mapped[int] = mapped_column(Integer, default=0)
    sex_other: Mapped[int] = mapped_column(Integer, default=0)
    sex_not_recorded: Mapped[int] = mapped_column(Integer, default=0)
    age_under_25: Mapped[int] = mapped_column(Integer, default=0)
    age_25_34: Mapped[int] = mapped_column(Integer, default=0)
    age_35_44: Mapped[int] = mapped_column(Integer, default=0)
    age_45_54: Mapped[int] = mapped_column(Integer, default=0)
    age_55_over: Mapped[int] = mapped_column(Integer, default=0)
    age_not_recorded: Mapped[int] = mapped_column(Integer, default=0)


class CaseSupplyChain(Base):
    """One supply chain of a case (as recorded at its opening), one row each, for counting per chain."""

    __tablename__ = "case_supply_chains"
    __table_args__ = (Index("ix_case_supply_chains_chain", "chain", "desk_id"),)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    chain: Mapped[str] = mapped_column(String(64), primary_key=True)
    pathway_id: Mapped[str] = mapped_column(String(64))
    desk_id: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column()


class StageVisit(Base):
    """One stay of a case in a stage: from the event that entered it to the next event that moved the case
    (advanced, reopened, migrated, closed, switched, pathway chosen elsewhere). `days` is set once left."""

    __tablename__ = "stage_visits"
    __table_args__ = (
        # Covering the funnel and the stage times (counts, then the values at given ranks) in one walk.
        Index("ix_stage_visits_times", "pathway_id", "stage_id", "days", "first_in_stage"),
        Index("ix_stage_visits_desk", "desk_id", "pathway_id", "stage_id", "days", "first_in_stage"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    pathway_id: Mapped[str] = mapped_column(String(64))
    desk_id: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column()
    stage_id: Mapped[str] = mapped_column(String(64))
    visit: Mapped[int] = mapped_column(Integer)  # 1 for the first stay of the case anywhere, then 2, 3...
    first_in_stage: Mapped[bool] = mapped_column(Boolean)  # the case's first stay in this stage (funnel)
    entered_at: Mapped[datetime] = mapped_column()
    entered_by_event: Mapped[int] = mapped_column(BigInteger, unique=True)
    left_at: Mapped[datetime | None] = mapped_column()
    left_by_event: Mapped[int | None] = mapped_column(BigInteger)
    days: Mapped[float | None] = mapped_column(Float)


# The dashboard's counts per pathway, status and outcome, read from the index alone.
Index("ix_cases_pathway_status_outcome", Case.pathway_id, Case.status, Case.outcome, Case.desk_id, Case.opened_at)


class AuditEntry(Base):
    """Append-only record of one change to something that is not a case (an account, a desk, a databank
    entry, a pathway save, a note...): the same shape as a case event. `seq` counts the entries of one
    subject; `hash` chains each entry to the previous one of its subject (engine/audit.py)."""

    __tablename__ = "audit_log"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id", "seq", name="uq_audit_log_subject_seq"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(48))
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_roles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), default="")


class StoredFile(Base):
    """A file of the database file store (engine/stored_files.py): written with its chunks in one transaction,
    so a reader never sees half a file. `touched_at` (seconds since the epoch) plays the part of a file's
    modification time: an upload of the same bytes touches it, and a deletion leaves a file touched since."""

    __tablename__ = "stored_files"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    touched_at: Mapped[float] = mapped_column(Float)


class StoredFileChunk(Base):
    """A piece of a stored file (1 MB but the last), by its offset: a large file never sits in one value."""

    __tablename__ = "stored_file_chunks"
    sha256: Mapped[str] = mapped_column(ForeignKey("stored_files.sha256", ondelete="CASCADE"), primary_key=True)
    offset: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


# A document's file stays while the document is not removed (databank/models.py adds the databank's files).
refer_to_files(CaseDocument.__table__.c.sha256, CaseDocument.__table__.c.removed_at.is_(None))


# The tables themselves, for the prebuilt statements that run straight on the driver (engine/driver.py).
CASES = Case.__table__
MEMBERS = CaseMember.__table__
TICKS = ChecklistTick.__table__
DOCUMENTS = CaseDocument.__table__
FORMS = FormData.__table__
SIGNOFFS = SignOff.__table__
EVENTS = Event.__table__
RESPONSES = AssessmentResponse.__table__
DESKS = Desk.__table__
PARTIES = CaseParty.__table__
SIGNING_LINKS = SigningLink.__table__
