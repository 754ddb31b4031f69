"""Tables of the databank, on the engine's `Base` (one Alembic history; migrations/env.py lists this module).

- profiles: a person's professional profile, owned by a help desk; its occupations and skills are rows of
  their own (ESCO URI where known, free text otherwise, with a level);
- resources: machines, equipment, plants, areas and sheds left available after a crisis, with their
  photos and documents (bytes in the engine's content-addressed `FileStore`) and the cases they are
  reserved for;
- the ESCO taxonomy (concepts and their labels per language), for the pickers and for matching;
- contact requests from the public catalogue, routed to a desk.

The words the full-text indexes see (see `databank.text`) are in tables of their own (profile texts,
resource texts; labels carry theirs): PostgreSQL indexes them with GIN expression indexes declared here;
SQLite with FTS5 tables that `databank.textindex` keeps beside them.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Mapping

from sqlalchemy import (
    DDL, JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, event, false, func,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from engine.files import refer_to_files
from engine.models import Base, utcnow

from .vocabulary import CHAIN_BITS, OFFER_BITS, codes_of, mask_of


class CodesMask:
    """A list of codes stored as a bit mask in an integer column: `mask & bit` filters and counts the same on
    both databases."""

    def __init__(self, column: str, bits: Mapping[str, int]):
        self.column, self.bits = column, bits

    def __get__(self, record: Any, owner: type | None = None) -> Any:
        return self if record is None else codes_of(getattr(record, self.column) or 0, self.bits)

    def __set__(self, record: Any, codes: list[str]) -> None:
        setattr(record, self.column, mask_of(list(codes), self.bits))


class ChainsMixin:
    chain_mask: Mapped[int] = mapped_column(Integer, default=0)
    supply_chains = CodesMask("chain_mask", CHAIN_BITS)


# A list of integers: an array on PostgreSQL, a JSON array on SQLite.
CODE_LIST = postgresql.ARRAY(Integer).with_variant(JSON(), "sqlite")


class EditedMixin:
    """A record people create and change: its version, which refuses a save based on an older one (optimistic
    locking), and who created and last changed it, when."""

    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805
        return {"version_id_col": cls.__table__.c.version}

    @classmethod
    def new(cls, actor_id: str, at: datetime) -> Any:
        """An empty record created by `actor_id` at `at`."""
        return cls(created_by=actor_id, updated_by=actor_id, created_at=at, updated_at=at)

    def changed_by(self, actor_id: str, at: datetime) -> None:
        self.updated_at, self.updated_by = at, actor_id


class Profile(ChainsMixin, EditedMixin, Base):
    """A person's professional profile. Personal part: name, contacts, summary, person link, municipality
    and coordinates; the rest can be shown to other desks (all of it with the worker's consent)."""

    __tablename__ = "databank_profiles"
    __table_args__ = (
        Index("ix_databank_profiles_territory", "region", "province"),
        # A desk's profiles with what the listing condition reads and what the facets count: found, and counted,
        # from this index alone, not from each profile's wide row.
        Index("ix_databank_profiles_desk", "desk_id", "id", "processing_stopped", "person_id", "region", "province",
              "availability", "mobility", "chain_mask", "occupation_codes", "skill_codes"),
        # Covers the facet counts: they read this narrow index, not the wide rows (with what the listing
        # condition reads: who may see a profile whose processing stopped, and the lists of the codes of its
        # occupations and skills, counted with the other facets). Key columns, not included ones: SQLite has no
        # INCLUDE, and one definition serves both databases.
        # On PostgreSQL it also carries what a search reads of the profiles it joins to the matches of a text
        # within a territory (or of a common word): read from this index alone, the territory's slice of it.
        Index("ix_databank_profiles_facets", "region", "province", "availability", "mobility", "desk_id", "chain_mask",
              "processing_stopped", "person_id", "occupation_codes", "skill_codes",
              postgresql_include=["id", "years_experience", "available_from"]),
        # The supply-chain facet of the whole databank, counted in this order (no sorting of every row).
        Index("ix_databank_profiles_chains", "chain_mask"),
        # The filtered and counted columns by id: the matches of a text or a skill are looked up in this
        # narrow index rather than in the wide rows.
        Index("ix_databank_profiles_lookup", "id", "region", "province", "availability", "mobility", "desk_id",
              "chain_mask", "years_experience", "available_from", "processing_stopped", "person_id",
              "occupation_codes", "skill_codes"),
        # The few profiles whose processing stopped (the counts of the whole databank leave them out): a
        # partial index, so that SQLite too knows them to be few.
        Index("ix_databank_profiles_stopped", "id", sqlite_where=sql_text("processing_stopped = 1"),
              postgresql_where=sql_text("processing_stopped")),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    desk_id: Mapped[str] = mapped_column(ForeignKey("desks.id"))
    person_id: Mapped[str | None] = mapped_column(String(64), index=True)  # the worker's actor id, if any
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    years_experience: Mapped[int | None] = mapped_column(Integer)
    qualifications: Mapped[list[Any]] = mapped_column(default=list)  # ["Diploma perito navale", ...]
    languages: Mapped[list[Any]] = mapped_column(default=list)  # [{"code": "it", "level": "C2"}, ...]
    country: Mapped[str] = mapped_column(String(2), default="")
    region: Mapped[str] = mapped_column(String(16), default="")  # ISO 3166-2, e.g. IT-42
    province: Mapped[str] = mapped_column(String(16), default="")  # ISO 3166-2, e.g. IT-GE
    municipality: Mapped[str] = mapped_column(String(100), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    mobility: Mapped[str] = mapped_column(String(16), default="region")
    availability: Mapped[str] = mapped_column(String(16), default="available")
    available_from: Mapped[date | None] = mapped_column(Date)
    origin_firm: Mapped[str] = mapped_column(String(200), default="")
    origin_firm_nace: Mapped[str] = mapped_column(String(12), default="")
    consent_to_share: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_recorded_at: Mapped[datetime | None] = mapped_column()
    consent_recorded_by: Mapped[str | None] = mapped_column(String(64))
    # The worker withdrew their consent: only their desk (and they) still see the profile; not in the
    # catalogue's counts nor in other desks' searches and matching.
    processing_stopped: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The codes (`CompetenceCode`) of its occupations' and skills' keys, kept from their rows by the database
    # (see `databank.textindex`): a search counts them from the profiles it reads for the other facets,
    # rather than looking up each profile's rows.
    occupation_codes: Mapped[list[int] | None] = mapped_column(CODE_LIST, deferred=True)
    skill_codes: Mapped[list[int] | None] = mapped_column(CODE_LIST, deferred=True)

    occupations: Mapped[list[ProfileOccupation]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="ProfileOccupation.position")
    skills: Mapped[list[ProfileSkill]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="ProfileSkill.position")
    text: Mapped[ProfileText | None] = relationship(cascade="all, delete-orphan", uselist=False)

    @property
    def search_text(self) -> str:
        return self.text.search_text if self.text else ""

    def set_texts(self, search_text: str, personal_text: str) -> None:
        if self.text is None:
            self.text = ProfileText(search_text=search_text, personal_text=personal_text)
        else:
            self.text.search_text, self.text.personal_text = search_text, personal_text


class ProfileText(Base):
    """The words of a profile for the full-text index, apart from the profile's row so that the rows that
    filters and facet counts read stay narrow."""

    __tablename__ = "databank_profile_texts"
    profile_id: Mapped[int] = mapped_column(ForeignKey("databank_profiles.id", ondelete="CASCADE"), primary_key=True,
                                            autoincrement=False)
    search_text: Mapped[str] = mapped_column(Text, default="")  # what everyone may search
    personal_text: Mapped[str] = mapped_column(Text, default="")  # name, contacts, summary, town


class ProfileSearch(Base):
    """PostgreSQL: the row of a profile that its full-text indexes point to, narrow (its id, the version of
    its words, and what a search filters and counts) so that the matches of a common word are read from a
    few hundred pages instead of every page of the texts (the index gives row positions: the ids must be
    read from the rows). The indexed words are those of the profile's texts, read by
    `databank_profile_words()` when an entry is indexed: triggers on the texts add the row and raise its
    version whenever they change, so that it is indexed again. The profile's columns in `SEARCHED` are
    copied here by triggers on the profiles, so that a text's matches are filtered and counted from these
    rows as the index finds them, not looked up one by one in the profiles' index. Derived data: on SQLite
    (FTS5 gives the ids itself) the table stays empty."""

    __tablename__ = "databank_profile_search"
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("databank_profile_texts.profile_id", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True,
        autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # copies of the profile's columns (`SEARCHED`), kept by the database
    region: Mapped[str | None] = mapped_column(String(16))
    province: Mapped[str | None] = mapped_column(String(16))
    availability: Mapped[str | None] = mapped_column(String(16))
    mobility: Mapped[str | None] = mapped_column(String(16))
    desk_id: Mapped[str | None] = mapped_column(String(64))
    chain_mask: Mapped[int | None] = mapped_column(Integer)
    years_experience: Mapped[int | None] = mapped_column(Integer)
    available_from: Mapped[date | None] = mapped_column(Date)
    processing_stopped: Mapped[bool | None] = mapped_column(Boolean)
    person_id: Mapped[str | None] = mapped_column(String(64))
    occupation_codes: Mapped[list[int] | None] = mapped_column(CODE_LIST)
    skill_codes: Mapped[list[int] | None] = mapped_column(CODE_LIST)


# The profile's columns that `ProfileSearch` copies: what a search filters on and counts.
SEARCHED = ("region", "province", "availability", "mobility", "desk_id", "chain_mask", "years_experience",
            "available_from", "processing_stopped", "person_id", "occupation_codes", "skill_codes")


class _Competence:
    """An occupation or a skill of a profile. `key` is the ESCO URI, or `text:<words>` for free text:
    what matching and facets compare."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("databank_profiles.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(300))
    # `key`'s number in `CompetenceCode`, given by the database (see `databank.textindex`): the facets
    # count these narrow integers rather than the keys, tens of bytes each
    code: Mapped[int | None] = mapped_column(Integer)
    esco_uri: Mapped[str | None] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(300))
    level: Mapped[int | None] = mapped_column(Integer)  # 1 basic .. 4 expert
    years: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ProfileOccupation(_Competence, Base):
    __tablename__ = "databank_profile_occupations"
    __table_args__ = (Index("ix_databank_profile_occupations_key", "key", "profile_id"),
                      Index("ix_databank_profile_occupations_profile", "profile_id", "code"))  # covers the facets
    profile: Mapped[Profile] = relationship(back_populates="occupations")


class ProfileSkill(_Competence, Base):
    __tablename__ = "databank_profile_skills"
    __table_args__ = (Index("ix_databank_profile_skills_key", "key", "profile_id"),
                      Index("ix_databank_profile_skills_profile", "profile_id", "code"))
    profile: Mapped[Profile] = relationship(back_populates="skills")


class CompetenceCode(Base):
    """A number for each occupation or skill key ever given to a profile, so that the facet counts group
    integers; derived data, assigned by the database as rows come in (see `databank.textindex`)."""

    __tablename__ = "databank_competence_codes"
    code: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)


class FacetCount(Base):
    """How many profiles have each value of each facet, and how many occupation and skill rows each key has,
    over the whole databank: kept up to date by triggers (see `databank.textindex`), so that the facets of
    the unfiltered list read these rows instead of counting every profile."""

    __tablename__ = "databank_facet_counts"
    facet: Mapped[str] = mapped_column(String(24), primary_key=True)  # a profile column, "occupation", "skill"
    value: Mapped[str] = mapped_column(String(300), primary_key=True)  # as text ("" for none)
    n: Mapped[int] = mapped_column(Integer, default=0)


class ResourceTranslation(Base):
    """A resource's title and description in another language than its owner's, for the public catalogue."""

    __tablename__ = "databank_resource_translations"
    resource_id: Mapped[int] = mapped_column(ForeignKey("databank_resources.id", ondelete="CASCADE"),
                                             primary_key=True)
    language: Mapped[str] = mapped_column(String(2), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


MASKS_INDEX_CARRIES = ["category", "status", "condition", "region", "province", "desk_id", "published",
                       "available_from", "id"]


class Resource(ChainsMixin, EditedMixin, Base):
    """A structural resource. The contact person is personal data: never in the public catalogue."""

    __tablename__ = "databank_resources"
    __table_args__ = (
        Index("ix_databank_resources_category_status", "category", "status"),
        Index("ix_databank_resources_territory", "region", "province"),
        Index("ix_databank_resources_desk", "desk_id", "id"),
        Index("ix_databank_resources_facets", "category", "status", "condition", "region", "province", "desk_id",
              "chain_mask", "offer_mask", "surface_m2", "published"),
        # The supply-chain, offer and size facets of the whole databank, counted in this order (no sorting);
        # on PostgreSQL it carries what a search filters and counts, for the resources of some supply chains
        # or offers (their masks asked as lists: `search._any_bit`), read from it alone.
        Index("ix_databank_resources_masks", "chain_mask", "offer_mask", "surface_m2",
              postgresql_include=MASKS_INDEX_CARRIES),
        # The filtered and counted columns by id, for the matches of a text (see profiles).
        Index("ix_databank_resources_lookup", "id", "category", "status", "condition", "region", "province", "desk_id",
              "chain_mask", "offer_mask", "surface_m2", "published", "available_from"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    desk_id: Mapped[str] = mapped_column(ForeignKey("desks.id"))
    category: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    region: Mapped[str] = mapped_column(String(16), default="")
    province: Mapped[str] = mapped_column(String(16), default="")
    municipality: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    surface_m2: Mapped[float | None] = mapped_column(Float)
    capacity: Mapped[str] = mapped_column(String(200), default="")  # "5 axes, 3000 x 1500 mm", "250 kWp"
    condition: Mapped[str] = mapped_column(String(16), default="good")
    offer_mask: Mapped[int] = mapped_column(Integer, default=0)  # sale / rent / free loan
    offers = CodesMask("offer_mask", OFFER_BITS)
    available_from: Mapped[date | None] = mapped_column(Date)
    terms: Mapped[str] = mapped_column(Text, default="")
    owner_kind: Mapped[str] = mapped_column(String(32), default="firm")
    owner_name: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(50), default="")
    origin_firm: Mapped[str] = mapped_column(String(200), default="")
    origin_firm_nace: Mapped[str] = mapped_column(String(12), default="")
    status: Mapped[str] = mapped_column(String(16), default="available")
    reserved_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    published: Mapped[bool] = mapped_column(Boolean, default=True)  # shown in the public catalogue
    # The owner agreed to show the exact place publicly; otherwise the catalogue shows its municipality's.
    exact_location_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    files: Mapped[list[ResourceFile]] = relationship(
        back_populates="resource", cascade="all, delete-orphan", order_by="ResourceFile.id")
    links: Mapped[list[ResourceLink]] = relationship(
        back_populates="resource", cascade="all, delete-orphan", order_by="ResourceLink.id")
    text: Mapped[ResourceText | None] = relationship(cascade="all, delete-orphan", uselist=False)
    translations: Mapped[list[ResourceTranslation]] = relationship(
        cascade="all, delete-orphan", order_by="ResourceTranslation.language", lazy="selectin")

    @property
    def text_language(self) -> str:
        """The language its owner wrote the title and description in: the one of the country it is in."""
        return {"FR": "fr"}.get(self.country, "it")

    def translated(self, lang: str) -> tuple[str, str, str]:
        """(title, description, language they are in) for a reader of `lang`: a translation when there is one,
        else the owner's text."""
        for t in self.translations:
            if t.language == lang:
                return t.title, t.description, lang
        return self.title, self.description, self.text_language

    @property
    def search_text(self) -> str:
        return self.text.search_text if self.text else ""

    def set_texts(self, search_text: str) -> None:
        if self.text is None:
            self.text = ResourceText(search_text=search_text)
        else:
            self.text.search_text = search_text


class ResourceText(Base):
    """The words of a resource for the full-text index (never its owner's or contact's names)."""

    __tablename__ = "databank_resource_texts"
    resource_id: Mapped[int] = mapped_column(ForeignKey("databank_resources.id", ondelete="CASCADE"),
                                             primary_key=True, autoincrement=False)
    search_text: Mapped[str] = mapped_column(Text, default="")


class ResourceSearch(Base):
    """PostgreSQL: the narrow row of a resource that its full-text index points to (see `ProfileSearch`)."""

    __tablename__ = "databank_resource_search"
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("databank_resource_texts.resource_id", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True,
        autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class ResourceFile(Base):
    """A photo or a document of a resource; the bytes are in the FileStore under `sha256`."""

    __tablename__ = "databank_resource_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("databank_resources.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # photo / document
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    caption: Mapped[str] = mapped_column(String(300), default="")
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    resource: Mapped[Resource] = relationship(back_populates="files")


class ResourceLink(Base):
    """A resource reserved for a case (then taken, or released). The case's own event log records the
    same facts as `reference_linked` / `reference_unlinked` events."""

    __tablename__ = "databank_resource_links"
    __table_args__ = (Index("ix_databank_resource_links_case", "case_id", "resource_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("databank_resources.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    reserved_by: Mapped[str] = mapped_column(String(64))
    reserved_at: Mapped[datetime] = mapped_column(default=utcnow)
    taken_at: Mapped[datetime | None] = mapped_column()
    released_at: Mapped[datetime | None] = mapped_column()
    released_by: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    resource: Mapped[Resource] = relationship(back_populates="links")


class EscoConcept(Base):
    """An ESCO occupation or skill (knowledge, skill/competence), identified by its URI."""

    __tablename__ = "databank_esco_concepts"
    uri: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # occupation / skill
    code: Mapped[str] = mapped_column(String(32), default="")  # ESCO code of an occupation, e.g. 7214.1
    isco_group: Mapped[str] = mapped_column(String(8), default="")
    skill_type: Mapped[str] = mapped_column(String(32), default="")
    reuse_level: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default="released")
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class EscoLabel(Base):
    """One label of a concept in one language: its preferred label (with the description), an alternative
    or a hidden one (hidden labels are searched, never shown)."""

    __tablename__ = "databank_esco_labels"
    __table_args__ = (
        Index("ix_databank_esco_labels_uri_language", "uri", "language"),
        Index("ix_databank_esco_labels_language_kind", "language", "kind"),
        Index("ix_databank_esco_labels_exact", "kind", "search_text"),  # free text -> URI on import
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uri: Mapped[str] = mapped_column(ForeignKey("databank_esco_concepts.uri", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # the concept's kind, copied for the pickers' filter
    language: Mapped[str] = mapped_column(String(8))
    label_type: Mapped[int] = mapped_column(Integer)  # 0 preferred, 1 alternative, 2 hidden
    label: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    search_text: Mapped[str] = mapped_column(Text, default="")


class ContactRequest(Base):
    """A message from the public catalogue (an investor, a firm), routed to a help desk."""

    __tablename__ = "databank_contact_requests"
    __table_args__ = (Index("ix_databank_contact_requests_desk", "desk_id", "created_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    desk_id: Mapped[str] = mapped_column(ForeignKey("desks.id"))
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("databank_resources.id", ondelete="SET NULL"))
    region: Mapped[str] = mapped_column(String(16), default="")
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(5), default="en")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column()
    handled_by: Mapped[str | None] = mapped_column(String(64))


class ContactThrottle(Base):
    """Contact requests counted per sender (a hash of the client's address, never the address itself) within
    a window, in the database so that every server process sees the same counts."""

    __tablename__ = "databank_contact_throttles"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(default=utcnow)


# --- PostgreSQL full-text indexes ---------------------------------------------------------------------
# The query side (databank.search) builds the very same expressions, so the planner uses these indexes.
# The text is already cut into words (databank.text): `databank_words()` makes them the lexemes as they
# are, unparsed, since PostgreSQL's parser would cut some of them again (`1e5x` reads as the number 1e5
# and the word x). It is PL/pgSQL, never inlined, so the planner sees its cost, declared high (it splits a
# text and builds a tsvector: hundreds of operators): the planner then reads the index rather than
# computing it row by row, even for a LIMIT. Created by migration 0010, and here for `create_all()`.
WORDS_FUNCTION = """
CREATE OR REPLACE FUNCTION databank_words(words text) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
BEGIN
    RETURN array_to_tsvector(array_remove(string_to_array(words, ' '), ''));
END
$$"""


def tsvector(expression):  # noqa: ANN001, ANN201
    return func.databank_words(expression, type_=postgresql.TSVECTOR)


# The words of a profile's texts (its public part, or all of it) for the indexes of `ProfileSearch`: read
# from the texts when an entry is indexed (or, should the index's bitmap grow lossy, when a row is
# checked again), never per query. Declared IMMUTABLE as an index expression must be: the version among
# the arguments makes every change of the words a new entry (a row whose indexed columns change is never
# updated in place). The search path is fixed: a restore runs with an empty one.
SEARCH_WORDS_FUNCTIONS = """
CREATE OR REPLACE FUNCTION databank_profile_words(profile integer, version integer) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 SET search_path FROM CURRENT AS $$
BEGIN
    RETURN (SELECT databank_words(t.search_text) FROM databank_profile_texts AS t WHERE t.profile_id = profile);
END
$$;
CREATE OR REPLACE FUNCTION databank_profile_all_words(profile integer, version integer) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 SET search_path FROM CURRENT AS $$
BEGIN
    RETURN (SELECT databank_words(t.search_text) || databank_words(t.personal_text)
            FROM databank_profile_texts AS t WHERE t.profile_id = profile);
END
$$;
CREATE OR REPLACE FUNCTION databank_resource_words(resource integer, version integer) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 SET search_path FROM CURRENT AS $$
BEGIN
    RETURN (SELECT databank_words(t.search_text) FROM databank_resource_texts AS t WHERE t.resource_id = resource);
END
$$"""


def _search_rows_sql(kind: str, changed: str, copied: tuple[str, ...] = ()) -> tuple[str, str]:
    """The function and triggers keeping `databank_<kind>_search` in step with `databank_<kind>_texts`, per
    statement: a row for each new text (with the `copied` columns of its entry), a new version for each text
    whose words changed (`changed`: the condition on n(ew) and o(ld) rows)."""
    columns = "".join(f", {column}" for column in copied)
    entries = "".join(f", e.{column}" for column in copied)
    joined = f" JOIN databank_{kind}s AS e ON e.id = n.{kind}_id" if copied else ""
    function = f"""
CREATE OR REPLACE FUNCTION databank_{kind}_search_sync() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO databank_{kind}_search ({kind}_id, version{columns})
        SELECT n.{kind}_id, 1{entries} FROM new_rows AS n{joined};
    ELSE
        UPDATE databank_{kind}_search AS s SET version = s.version + 1
        FROM new_rows AS n JOIN old_rows AS o ON o.{kind}_id = n.{kind}_id
        WHERE s.{kind}_id = n.{kind}_id{changed};
    END IF;
    RETURN NULL;
END
$$"""
    triggers = f"""
CREATE TRIGGER databank_{kind}_search_insert AFTER INSERT ON databank_{kind}_texts
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION databank_{kind}_search_sync();
CREATE TRIGGER databank_{kind}_search_update AFTER UPDATE ON databank_{kind}_texts
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION databank_{kind}_search_sync()
"""
    return function, triggers


PROFILE_SEARCH_FUNCTION, PROFILE_SEARCH_TRIGGERS = _search_rows_sql("profile", """
          AND (n.search_text IS DISTINCT FROM o.search_text OR n.personal_text IS DISTINCT FROM o.personal_text)""",
                                                                     SEARCHED)


def copy_searched_sql(profiles: str) -> str:
    """The statement that copies the `SEARCHED` columns of these profiles (a table or transition table) to
    their search rows where they differ."""
    targets = ", ".join(SEARCHED)
    values = ", ".join(f"p.{column}" for column in SEARCHED)
    return (f"UPDATE databank_profile_search AS s SET ({targets}) = ROW({values}) FROM {profiles} AS p "
            f"WHERE s.profile_id = p.id AND ({', '.join(f's.{c}' for c in SEARCHED)}) IS DISTINCT FROM ({values})")


# Every change of a profile's searched columns (its codes too: the competences' triggers write them on the
# profile) reaches its search row. Per statement: a trigger with a transition table cannot name columns.
PROFILE_SEARCH_COPY = f"""
CREATE OR REPLACE FUNCTION databank_profile_search_copy() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    {copy_searched_sql("new_rows")};
    RETURN NULL;
END
$$;
CREATE TRIGGER databank_profile_search_copy AFTER UPDATE ON databank_profiles
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION databank_profile_search_copy()
"""
RESOURCE_SEARCH_FUNCTION, RESOURCE_SEARCH_TRIGGERS = _search_rows_sql(
    "resource", " AND n.search_text IS DISTINCT FROM o.search_text")


def profile_public_document():  # noqa: ANN201
    table = ProfileSearch.__table__
    return func.databank_profile_words(table.c.profile_id, table.c.version, type_=postgresql.TSVECTOR)


def profile_personal_document():  # noqa: ANN201
    return tsvector(ProfileText.__table__.c.personal_text)


def profile_full_document():  # noqa: ANN201
    table = ProfileSearch.__table__
    return func.databank_profile_all_words(table.c.profile_id, table.c.version, type_=postgresql.TSVECTOR)


def resource_document():  # noqa: ANN201
    table = ResourceSearch.__table__
    return func.databank_resource_words(table.c.resource_id, table.c.version, type_=postgresql.TSVECTOR)


def esco_label_document():  # noqa: ANN201
    return tsvector(EscoLabel.__table__.c.search_text)


for _table, _name, _expression in (
    (ProfileSearch.__table__, "ix_databank_profile_search_words", profile_public_document()),
    (ProfileSearch.__table__, "ix_databank_profile_search_all_words", profile_full_document()),
    # whether a query's word is anyone's personal word at all (it seldom is: the public part then decides)
    (ProfileText.__table__, "ix_databank_profile_texts_fts_personal", profile_personal_document()),
    (ResourceSearch.__table__, "ix_databank_resource_search_words", resource_document()),
    (EscoLabel.__table__, "ix_databank_esco_labels_fts", esco_label_document()),
):
    # A function of columns is not bound to their table by itself: name the table.
    Index(_name, _expression, postgresql_using="gin", _table=_table).ddl_if(dialect="postgresql")
# The occupations and skills a search asks for, found by their codes in the search rows' lists (see
# `databank.search._coded_competences`): one look in an index, not a look-up of every profile that has them.
# (On SQLite the search rows, and so these indexes, stay empty.)
for _column in ("occupation_codes", "skill_codes"):
    Index(f"ix_databank_profile_search_{_column}", ProfileSearch.__table__.c[_column], postgresql_using="gin")
for _table in (ProfileText.__table__, ResourceText.__table__, EscoLabel.__table__):
    event.listen(_table, "before_create", DDL(WORDS_FUNCTION).execute_if(dialect="postgresql"))
event.listen(ProfileSearch.__table__, "before_create", DDL(SEARCH_WORDS_FUNCTIONS).execute_if(dialect="postgresql"))
event.listen(ResourceSearch.__table__, "before_create", DDL(SEARCH_WORDS_FUNCTIONS).execute_if(dialect="postgresql"))
for _table, _statements in ((ProfileSearch.__table__, (PROFILE_SEARCH_FUNCTION, PROFILE_SEARCH_TRIGGERS,
                                                       PROFILE_SEARCH_COPY)),
                            (ResourceSearch.__table__, (RESOURCE_SEARCH_FUNCTION, RESOURCE_SEARCH_TRIGGERS))):
    for _statement in _statements:
        event.listen(_table, "after_create", DDL(_statement).execute_if(dialect="postgresql"))


refer_to_files(ResourceFile.__table__.c.sha256)
