"""Suggestions for a case: resources and profiles ranked by fit, each with the reasons of its score.

A `Need` says what a case looks for (e.g. a WBO group in Liguria needing a shed and a CNC machine, or a
start-up needing a welder who reads drawings). Each candidate gets points on each criterion that the need
names — category, distance, supply chain, skills, occupation, size, terms, words, availability — weighted
and scaled to 0–100; every criterion gives a `Reason` with the points it brought, so an operator sees
why a suggestion ranks where it does.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from engine import policy
from engine.cases import Actor
from engine.i18n import DEFAULT_LANGUAGE, LANGUAGES
from engine.models import Case, Desk
from engine.numbers import write_number

from . import esco, textindex
from .errors import Explained
from .models import Profile, ProfileOccupation, ProfileSkill, Resource
from .operations import profile_access, profile_record, require_reader, resource_record
from .territory import Point, gazetteer, haversine_km
from .text import normalized, query_words
from .vocabulary import CATEGORY_LABELS, RELATED_CATEGORIES, label

RESOURCE_WEIGHTS = {"category": 35, "distance": 25, "supply_chain": 15, "size": 10, "offer": 5, "words": 10}
PROFILE_WEIGHTS = {"skills": 35, "occupation": 20, "distance": 20, "supply_chain": 10, "availability": 10,
                   "words": 5}
NEAR_KM, FAR_KM = 10.0, 250.0  # full points within NEAR_KM, none beyond FAR_KM
MAX_CANDIDATES = 5000


@dataclass(frozen=True)
class Need:
    categories: tuple[str, ...] = ()
    region: str = ""
    province: str = ""
    municipality: str = ""
    latitude: float | None = None
    longitude: float | None = None
    supply_chains: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()  # keys: ESCO URIs or "text:..."
    occupations: tuple[str, ...] = ()
    min_surface_m2: float | None = None
    offers: tuple[str, ...] = ()  # acceptable terms
    words: str = ""  # e.g. "CNC carroponte"
    needed_by: date | None = None

    def point(self) -> Point | None:
        return gazetteer().point(lat=self.latitude, lon=self.longitude, municipality=self.municipality,
                                 province=self.province, region=self.region)

    def place_name(self, lang: str) -> str:
        places = gazetteer()
        if self.municipality:
            return self.municipality
        return places.name(self.province or self.region, lang)


@dataclass(frozen=True)
class Reason(Explained):
    code: str
    points: float
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Suggestion:
    kind: str  # resource / profile
    id: int
    score: float  # 0..100
    reasons: list[Reason]
    record: dict[str, Any]

    def explain(self, lang: str = DEFAULT_LANGUAGE) -> list[str]:
        return [f"{r.message(lang)} (+{write_number(r.points, lang)})" for r in self.reasons]


def need_for_case(session: Session, case_id: int, **given: Any) -> Need:
    """A need starting from what the case knows (its supply chains, its desk's region), completed or
    overridden by what the operator gives."""
    case = session.get(Case, case_id)
    values: dict[str, Any] = {}
    if case is not None:
        values["supply_chains"] = tuple(case.supply_chains or ())
        desk = session.get(Desk, case.desk_id)
        region = gazetteer().find(desk.region, "region") if desk is not None and desk.region else None
        if region is not None:
            values["region"] = region.code
    values.update({k: tuple(v) if isinstance(v, list) else v for k, v in given.items()})
    return Need(**values)


# --- criteria ----------------------------------------------------------------------------------------

def _distance(need: Need, lat: float | None, lon: float | None, municipality: str, province: str, region: str,
              country: str, mobility: str | None = None) -> tuple[float, str, dict[str, Any]]:
    places = gazetteer()
    here = need.point()
    there = places.point(lat=lat, lon=lon, municipality=municipality, province=province, region=region)
    where = {lang: need.place_name(lang) for lang in LANGUAGES}
    if here is None:
        return 0.0, "", {}
    score, code, params = 0.0, "reason.no_location", {}
    if there is not None and "region" not in (here.precision, there.precision):
        km = haversine_km(here, there)
        score = 1.0 if km <= NEAR_KM else max(0.0, 1 - (km - NEAR_KM) / (FAR_KM - NEAR_KM))
        code, params = "reason.distance", {"km": round(km), "place": where}
    elif need.municipality and municipality and normalized(need.municipality) == normalized(municipality):
        score, code, params = 1.0, "reason.same_municipality", {"place": municipality}
    elif need.province and province == need.province:
        score, code, params = 0.8, "reason.same_province", {"place": places.get(province).names}
    elif need.region and region == need.region:
        score, code, params = 0.6, "reason.same_region", {"place": places.get(region).names}
    elif there is not None:
        need_country = (places.get(need.region) or places.get(need.province))
        if need_country is not None and country == need_country.country:
            score, code = 0.3, "reason.same_country"
        else:
            score, code, params = 0.0, "reason.elsewhere", {"place": where}
    # A person who is willing to move makes up part of the distance.
    if mobility in ("region", "country", "cross_border") and score < 1:
        reach = {"region": 0.5, "country": 0.7, "cross_border": 0.9}[mobility]
        in_reach = mobility != "region" or (need.region and region == need.region)
        if in_reach and reach > score:
            return reach, "reason.mobility", {"mobility": {lang: label("mobility", mobility, lang) for lang in LANGUAGES}}
    return score, code, params


def _chains(need: Need, chains: list[str]) -> tuple[float, str, dict[str, Any]]:
    shared = [c for c in need.supply_chains if c in chains]
    if not shared:
        return 0.0, "reason.chains_none", {}
    return len(shared) / len(need.supply_chains), "reason.chains_shared", {
        "chains": [{lang: label("supply_chain", c, lang) for lang in LANGUAGES} for c in shared]}


def _words(need: Need, search_text: str) -> tuple[float, str, dict[str, Any]]:
    wanted = query_words(need.words)
    indexed = search_text.split()
    found = [w for w in wanted if any(t.startswith(w) for t in indexed)]
    if not found:
        return 0.0, "reason.keywords_none", {"words": wanted}
    return len(found) / len(wanted), "reason.keywords", {"words": found}


def _scored(kind: str, item_id: int, weights: dict[str, int], parts: dict[str, tuple[float, str, dict[str, Any]]],
            record: dict[str, Any]) -> Suggestion:
    total = sum(weights[name] for name in parts)
    reasons = []
    score = 0.0
    for name, (value, code, params) in parts.items():
        points = round(100 * weights[name] * value / total, 1) if total else 0.0
        score += points
        if code:
            reasons.append(Reason(code, points, params))
    reasons.sort(key=lambda r: -r.points)
    return Suggestion(kind, item_id, round(score, 1), reasons, record)


# --- resources ---------------------------------------------------------------------------------------

def suggest_resources(session: Session, actor: Actor, need: Need, lang: str = DEFAULT_LANGUAGE,
                      limit: int = 10) -> list[Suggestion]:
    """Available resources ranked by fit to the need (best first; ties by id)."""
    require_reader(actor)
    stmt = select(Resource).where(Resource.status == "available")
    if need.categories:
        accepted = set(need.categories) | {r for c in need.categories for r in RELATED_CATEGORIES.get(c, ())}
        stmt = stmt.where(Resource.category.in_(sorted(accepted)))
    region = gazetteer().get(need.region)
    if region is not None and (session.scalar(select(func.count()).select_from(stmt.subquery())) or 0) > MAX_CANDIDATES:
        # Too many to weigh one by one: those of the need's country first (distance decides anyway).
        stmt = stmt.where(Resource.country == region.country)
    # Only what the score reads is loaded for every candidate; photos and links only for the chosen few.
    scoring = [selectinload(Resource.text)] if query_words(need.words) else []
    candidates = session.scalars(stmt.order_by(Resource.id).limit(MAX_CANDIDATES).options(*scoring)).all()
    out = []
    for r in candidates:
        parts: dict[str, tuple[float, str, dict[str, Any]]] = {}
        if need.categories:
            names = {lang: CATEGORY_LABELS[r.category][lang] for lang in LANGUAGES}
            if r.category in need.categories:
                parts["category"] = (1.0, "reason.category_exact", {"category": names})
            else:
                stands_for = [c for c in need.categories if r.category in RELATED_CATEGORIES.get(c, ())]
                parts["category"] = (0.5, "reason.category_related", {
                    "category": names, "needed": {lang: label("category", stands_for[0], lang) for lang in LANGUAGES}})
        if need.point() is not None:
            parts["distance"] = _distance(need, r.latitude, r.longitude, r.municipality, r.province, r.region,
                                          r.country)
        if need.supply_chains:
            parts["supply_chain"] = _chains(need, r.supply_chains)
        if need.min_surface_m2 is not None and r.category in ("shed", "industrial_area", "plant"):
            if r.surface_m2 is None:
                parts["size"] = (0.3, "reason.surface_unknown", {})
            elif r.surface_m2 >= need.min_surface_m2:
                parts["size"] = (1.0, "reason.surface_ok", {"surface": r.surface_m2, "needed": need.min_surface_m2})
            else:
                parts["size"] = (r.surface_m2 / need.min_surface_m2 * 0.5, "reason.surface_small",
                                 {"surface": r.surface_m2, "needed": need.min_surface_m2})
        if need.offers:
            matching = [o for o in need.offers if o in r.offers]
            names = [{lang: label("offer", o, lang) for lang in LANGUAGES} for o in (matching or need.offers)]
            parts["offer"] = (1.0, "reason.offers", {"offers": names}) if matching else \
                (0.0, "reason.offers_none", {"offers": names})
        if query_words(need.words):
            parts["words"] = _words(need, r.search_text)
        out.append(_scored("resource", r.id, RESOURCE_WEIGHTS, parts, {}))
    chosen, by_id = _best(session, out, limit, Resource, Resource.files, Resource.links)
    for s in chosen:
        s.record = resource_record(by_id[s.id], lang)
    return chosen


def _best(session: Session, scored: list[Suggestion], limit: int, model: Any,
          *collections: Any) -> tuple[list[Suggestion], dict[int, Any]]:
    """The `limit` best suggestions, and their records by id loaded afresh with these collections."""
    scored.sort(key=lambda s: (-s.score, s.id))
    chosen = scored[:limit]
    records = session.scalars(
        select(model).where(model.id.in_([s.id for s in chosen]))
        .options(*(selectinload(c) for c in collections)).execution_options(populate_existing=True))
    return chosen, {record.id: record for record in records}


# --- profiles ----------------------------------------------------------------------------------------

def suggest_profiles(session: Session, actor: Actor, need: Need, lang: str = DEFAULT_LANGUAGE,
                     limit: int = 10) -> list[Suggestion]:
    """Available profiles ranked by fit (each shown as the actor may see it)."""
    require_reader(actor)
    textindex.ensure_indexes(session)
    stmt = select(Profile).where(Profile.availability != "unavailable", policy.listed_profiles_clause(
        actor, Profile.desk_id, Profile.person_id, Profile.processing_stopped))
    wanted = [*need.skills, *need.occupations]
    if wanted:
        stmt = stmt.where(or_(
            Profile.id.in_(select(ProfileSkill.profile_id).where(ProfileSkill.key.in_(list(need.skills)))),
            Profile.id.in_(select(ProfileOccupation.profile_id).where(
                ProfileOccupation.key.in_(list(need.occupations))))))
    scoring = ([selectinload(Profile.skills)] if need.skills else []) + \
        ([selectinload(Profile.occupations)] if need.occupations else []) + \
        ([selectinload(Profile.text)] if query_words(need.words) else [])
    candidates = session.scalars(stmt.order_by(Profile.id).limit(MAX_CANDIDATES).options(*scoring)).all()
    names = esco.preferred_labels(session, wanted, lang)
    out = []
    for p in candidates:
        parts: dict[str, tuple[float, str, dict[str, Any]]] = {}
        if need.skills:
            levels = {s.key: s.level or 2 for s in p.skills}
            have = [k for k in need.skills if k in levels]
            # an expert counts fully, a beginner a little less
            value = sum(0.7 + 0.1 * min(levels[k], 4) - 0.1 for k in have) / len(need.skills)
            parts["skills"] = (min(1.0, value), "reason.skills", {
                "count": len(have), "total": len(need.skills),
                "skills": [_name(names, k, p.skills) for k in have]}) if have else (0.0, "reason.skills_none", {})
        if need.occupations:
            have = [o.key for o in p.occupations if o.key in need.occupations]
            parts["occupation"] = (1.0, "reason.occupations", {"occupations": [_name(names, k, p.occupations) for k in have]}) \
                if have else (0.0, "reason.occupations_none", {})
        if need.point() is not None:
            parts["distance"] = _distance(need, p.latitude, p.longitude, p.municipality, p.province, p.region,
                                          p.country, p.mobility)
        if need.supply_chains:
            parts["supply_chain"] = _chains(need, p.supply_chains)
        if p.availability == "available":
            parts["availability"] = (1.0, "reason.available_now", {})
        elif p.available_from is not None:
            in_time = need.needed_by is None or p.available_from <= need.needed_by
            parts["availability"] = (0.8 if in_time else 0.2,
                                     "reason.available_from" if in_time else "reason.available_late",
                                     {"date": p.available_from})
        if query_words(need.words):
            parts["words"] = _words(need, p.search_text)
        out.append(_scored("profile", p.id, PROFILE_WEIGHTS, parts, {}))
    chosen, by_id = _best(session, out, limit, Profile, Profile.occupations, Profile.skills)
    uris = [c.esco_uri for s in chosen for c in [*by_id[s.id].occupations, *by_id[s.id].skills] if c.esco_uri]
    labels = esco.preferred_labels(session, uris, lang)
    for s in chosen:
        profile = by_id[s.id]
        access = profile_access(actor, profile) or "limited"
        s.record = profile_record(profile, access, lang, labels)
        if access != "full":
            # the town is personal: say how far, not where
            s.reasons = [r if r.code != "reason.same_municipality" else Reason(r.code, r.points, {"place": "…"})
                         for r in s.reasons]
    return chosen


def _name(names: dict[str, tuple[str, str]], key: str, items: list[Any]) -> str:
    if key in names:
        return names[key][0]
    return next((i.label for i in items if i.key == key), key)
