"""Search of profiles and resources: full text, filters, facet counts, one page of results.

The same query gives the same results on SQLite and PostgreSQL: the text condition is the one of
`databank.textindex` (every word a prefix, no stemming), filters are plain comparisons, results are
ordered by numbers and ids (never by strings, which the two databases collate differently), facets are
counted over the whole result and sorted by count then code.

Who sees what: the text of a profile's personal part (name, contacts, summary, town) is searched only
where the actor may see it; others find the profile by its public part only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Sequence

from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.elements import ColumnElement

from engine.cases import Actor
from engine.i18n import DEFAULT_LANGUAGE
from engine.models import Desk

from . import esco, textindex
from .models import Profile, ProfileOccupation, ProfileSkill, Resource
from .operations import profile_access, profile_record, require_reader, resource_record
from .territory import gazetteer
from .text import query_words
from .vocabulary import CHAIN_BITS, OFFER_BITS, SIZE_BANDS, label

FACET_TOP = 12
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class ProfileQuery:
    text: str = ""
    occupations: tuple[str, ...] = ()  # ESCO URIs or "text:..." keys; any of them
    skills: tuple[str, ...] = ()  # all of them
    min_skill_level: int | None = None  # for the skills asked (1 basic .. 4 expert)
    regions: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    supply_chains: tuple[str, ...] = ()  # any of them
    availability: tuple[str, ...] = ()
    available_by: date | None = None  # available now, or from a date on or before this one
    mobility: tuple[str, ...] = ()
    min_years: int | None = None
    desks: tuple[str, ...] = ()
    sort: str = "recent"  # recent / experience
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class ResourceQuery:
    text: str = ""
    categories: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    supply_chains: tuple[str, ...] = ()
    offers: tuple[str, ...] = ()  # any of them
    conditions: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    min_surface: float | None = None
    max_surface: float | None = None
    size_bands: tuple[str, ...] = ()
    available_by: date | None = None
    desks: tuple[str, ...] = ()
    published_only: bool = False
    sort: str = "recent"  # recent / surface
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class FacetValue:
    code: str
    label: str
    count: int


@dataclass
class SearchResult:
    total: int
    page: int
    per_page: int
    items: list[dict[str, Any]]
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# --- profiles ----------------------------------------------------------------------------------------

def profile_conditions(session: Session, actor: Actor, query: ProfileQuery) -> list[ColumnElement[bool]]:
    """The WHERE of a profile search for this actor (also used by export and matching)."""
    conditions: list[ColumnElement[bool]] = []
    words = query_words(query.text)
    if words:
        conditions.append(_profile_text(session, actor, words))
    if query.occupations:
        conditions.append(Profile.id.in_(select(ProfileOccupation.profile_id).where(
            ProfileOccupation.key.in_(list(query.occupations)))))
    for key in query.skills:
        wanted = select(ProfileSkill.profile_id).where(ProfileSkill.key == key)
        if query.min_skill_level:
            wanted = wanted.where(ProfileSkill.level >= query.min_skill_level)
        conditions.append(Profile.id.in_(wanted))
    if query.regions:
        conditions.append(Profile.region.in_(list(query.regions)))
    if query.provinces:
        conditions.append(Profile.province.in_(list(query.provinces)))
    if query.supply_chains:
        conditions.append(_any_bit(Profile.chain_mask, query.supply_chains, CHAIN_BITS))
    if query.availability:
        conditions.append(Profile.availability.in_(list(query.availability)))
    if query.available_by is not None:
        conditions.append(or_(Profile.availability == "available",
                              and_(Profile.availability == "from_date", Profile.available_from <= query.available_by)))
    if query.mobility:
        conditions.append(Profile.mobility.in_(list(query.mobility)))
    if query.min_years is not None:
        conditions.append(Profile.years_experience >= query.min_years)
    if query.desks:
        conditions.append(Profile.desk_id.in_(list(query.desks)))
    return conditions


def _profile_text(session: Session, actor: Actor, words: list[str]) -> ColumnElement[bool]:
    dialect = textindex.dialect_of(session)
    public = textindex.PROFILES.condition(dialect, words, "public")
    full = textindex.PROFILES.condition(dialect, words, "full")
    if actor.has("admin"):
        return full
    sees_personal: ColumnElement[bool] = Profile.consent_to_share.is_(True)
    if actor.has("operator") and actor.desks:
        sees_personal = or_(sees_personal, Profile.desk_id.in_(sorted(actor.desks)))
    return or_(public, and_(full, sees_personal))


def _any_bit(column: Any, codes: Sequence[str], bits: dict[str, int]) -> ColumnElement[bool]:
    mask = 0
    for code in codes:
        mask |= bits.get(code, 0)
    return column.op("&")(mask) != 0


def search_profiles(session: Session, actor: Actor, query: ProfileQuery, lang: str = DEFAULT_LANGUAGE,
                    facets: bool = True) -> SearchResult:
    require_reader(actor)
    textindex.ensure_indexes(session)
    where = profile_conditions(session, actor, query)
    per_page = max(1, min(query.per_page, MAX_PER_PAGE))
    page = max(1, query.page)
    found: dict[str, list[FacetValue]] = {}
    if facets:
        found, total = _profile_facets(session, where, lang)
    else:
        total = session.scalar(select(func.count()).select_from(Profile).where(*where)) or 0
    order = [Profile.id.desc()] if query.sort != "experience" else \
        [func.coalesce(Profile.years_experience, -1).desc(), Profile.id.desc()]
    rows = list(session.scalars(select(Profile).where(*where).order_by(*order).limit(per_page)
                                .offset((page - 1) * per_page)
                                .options(selectinload(Profile.occupations), selectinload(Profile.skills))))
    uris = [c.esco_uri for p in rows for c in [*p.occupations, *p.skills] if c.esco_uri]
    labels = esco.preferred_labels(session, uris, lang)
    items = [profile_record(p, profile_access(actor, p) or "limited", lang, labels) for p in rows]
    return SearchResult(total, page, per_page, items, found)


def _profile_facets(session: Session, where: list[ColumnElement[bool]], lang: str
                    ) -> tuple[dict[str, list[FacetValue]], int]:
    counts = _grouped(session, Profile, where, ("region", "province", "availability", "mobility", "desk_id"))
    chains = _grouped(session, Profile, where, ("chain_mask",))["chain_mask"]
    total = sum(counts["region"].values())
    places = gazetteer()
    facets = {
        "region": _facet(counts["region"], lambda c: places.name(c, lang)),
        "province": _facet(counts["province"], lambda c: places.name(c, lang)),
        "availability": _facet(counts["availability"], lambda c: label("availability", c, lang)),
        "mobility": _facet(counts["mobility"], lambda c: label("mobility", c, lang)),
        "supply_chain": _facet(_bits(chains, CHAIN_BITS), lambda c: label("supply_chain", c, lang)),
        "desk": _facet(counts["desk_id"], _desk_names(session, counts["desk_id"])),
    }
    for name, model in (("occupation", ProfileOccupation), ("skill", ProfileSkill)):
        facets[name] = _competence_facet(session, model, where, lang)
    return facets, total


def _competence_facet(session: Session, model: Any, where: list[ColumnElement[bool]], lang: str) -> list[FacetValue]:
    count = func.count().label("n")
    stmt = select(model.key, count, func.min(model.label), func.min(model.esco_uri)).group_by(model.key) \
        .order_by(count.desc(), model.key).limit(FACET_TOP)
    if where:
        stmt = stmt.where(model.profile_id.in_(select(Profile.id).where(*where)))
    rows = session.execute(stmt).all()
    labels = esco.preferred_labels(session, [uri for *_, uri in rows if uri], lang)
    return [FacetValue(key, labels.get(uri, (text,))[0] if uri else text, n) for key, n, text, uri in rows]


# --- resources ---------------------------------------------------------------------------------------

def resource_conditions(session: Session, query: ResourceQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    words = query_words(query.text)
    if words:
        conditions.append(textindex.RESOURCES.condition(textindex.dialect_of(session), words))
    if query.categories:
        conditions.append(Resource.category.in_(list(query.categories)))
    if query.regions:
        conditions.append(Resource.region.in_(list(query.regions)))
    if query.provinces:
        conditions.append(Resource.province.in_(list(query.provinces)))
    if query.supply_chains:
        conditions.append(_any_bit(Resource.chain_mask, query.supply_chains, CHAIN_BITS))
    if query.offers:
        conditions.append(_any_bit(Resource.offer_mask, query.offers, OFFER_BITS))
    if query.conditions:
        conditions.append(Resource.condition.in_(list(query.conditions)))
    if query.statuses:
        conditions.append(Resource.status.in_(list(query.statuses)))
    if query.min_surface is not None:
        conditions.append(Resource.surface_m2 >= query.min_surface)
    if query.max_surface is not None:
        conditions.append(Resource.surface_m2 <= query.max_surface)
    if query.size_bands:
        bands = [_band_condition(code) for code in query.size_bands]
        conditions.append(or_(*bands))
    if query.available_by is not None:
        conditions.append(or_(Resource.available_from.is_(None), Resource.available_from <= query.available_by))
    if query.desks:
        conditions.append(Resource.desk_id.in_(list(query.desks)))
    if query.published_only:
        conditions.append(Resource.published.is_(True))
    return conditions


def _band_condition(code: str) -> ColumnElement[bool]:
    if code == "unknown":
        return Resource.surface_m2.is_(None)
    for name, low, high in SIZE_BANDS:
        if name == code:
            lower = Resource.surface_m2 >= low
            return lower if high is None else and_(lower, Resource.surface_m2 < high)
    return false()


def size_band() -> ColumnElement[str]:
    whens = [((Resource.surface_m2 < high) if high is not None else (Resource.surface_m2 >= low), name)
             for name, low, high in SIZE_BANDS]
    return case((Resource.surface_m2.is_(None), "unknown"), *whens, else_="unknown")


def search_resources(session: Session, actor: Actor | None, query: ResourceQuery, lang: str = DEFAULT_LANGUAGE,
                     facets: bool = True) -> SearchResult:
    """Resources for the operators (every desk's). The public catalogue goes through `databank.public`."""
    if actor is not None:
        require_reader(actor)
    textindex.ensure_indexes(session)
    where = resource_conditions(session, query)
    per_page = max(1, min(query.per_page, MAX_PER_PAGE))
    page = max(1, query.page)
    found: dict[str, list[FacetValue]] = {}
    if facets:
        found, total = resource_facets(session, where, lang)
    else:
        total = session.scalar(select(func.count()).select_from(Resource).where(*where)) or 0
    order = [Resource.id.desc()] if query.sort != "surface" else \
        [func.coalesce(Resource.surface_m2, -1).desc(), Resource.id.desc()]
    rows = session.scalars(select(Resource).where(*where).order_by(*order).limit(per_page)
                           .offset((page - 1) * per_page)
                           .options(selectinload(Resource.files), selectinload(Resource.links)))
    return SearchResult(total, page, per_page, [resource_record(r, lang) for r in rows], found)


def resource_facets(session: Session, where: list[ColumnElement[bool]], lang: str,
                    with_desks: bool = True) -> tuple[dict[str, list[FacetValue]], int]:
    columns = ("category", "status", "condition", "region", "province") + (("desk_id",) if with_desks else ())
    counts = _grouped(session, Resource, where, columns)
    masks = _grouped(session, Resource, where, ("chain_mask", "offer_mask"))
    bands = dict(session.execute(select(size_band(), func.count()).where(*where).group_by(size_band())).all())
    total = sum(counts["category"].values())
    places = gazetteer()
    facets = {
        "category": _facet(counts["category"], lambda c: label("category", c, lang)),
        "status": _facet(counts["status"], lambda c: label("status", c, lang)),
        "condition": _facet(counts["condition"], lambda c: label("condition", c, lang)),
        "region": _facet(counts["region"], lambda c: places.name(c, lang)),
        "province": _facet(counts["province"], lambda c: places.name(c, lang)),
        "supply_chain": _facet(_bits(masks["chain_mask"], CHAIN_BITS), lambda c: label("supply_chain", c, lang)),
        "offer": _facet(_bits(masks["offer_mask"], OFFER_BITS), lambda c: label("offer", c, lang)),
        "size_band": [FacetValue(code, label("size_band", code, lang), bands[code])
                      for code in [b[0] for b in SIZE_BANDS] + ["unknown"] if bands.get(code)],
    }
    if with_desks:
        facets["desk"] = _facet(counts["desk_id"], _desk_names(session, counts["desk_id"]))
    return facets, total


# --- shared ------------------------------------------------------------------------------------------

def _grouped(session: Session, model: Any, where: list[ColumnElement[bool]], columns: Sequence[str]
             ) -> dict[str, dict[Any, int]]:
    """Counts per value of each column over the rows matching `where`, from one GROUP BY of all the
    columns together (one pass over the rows), summed up here."""
    cols = [getattr(model, c) for c in columns]
    out: dict[str, dict[Any, int]] = {c: {} for c in columns}
    for *values, n in session.execute(select(*cols, func.count()).where(*where).group_by(*cols)):
        for name, value in zip(columns, values):
            out[name][value] = out[name].get(value, 0) + n
    return out


def _bits(counts: dict[int, int], bits: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for mask, n in counts.items():
        for code, bit in bits.items():
            if (mask or 0) & bit:
                out[code] = out.get(code, 0) + n
    return out


def _facet(counts: dict[Any, int], name_of: Any) -> list[FacetValue]:
    values = [FacetValue(code, name_of(code), n) for code, n in counts.items() if code not in (None, "") and n]
    return sorted(values, key=lambda v: (-v.count, v.code))


def _desk_names(session: Session, counts: dict[Any, int]) -> Any:
    names = dict(session.execute(select(Desk.id, Desk.name).where(Desk.id.in_([c for c in counts if c]))).all())
    return lambda code: names.get(code, code)
