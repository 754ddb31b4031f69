"""Reading the values of a profile or a resource: checked field by field with localized problems, ESCO
concepts and levels resolved, the territory filled in; then applied to the row and its search text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import Actor
from engine.i18n import DEFAULT_LANGUAGE, LANGUAGES
from engine import policy
from engine.models import Case, CaseMember, Desk

from .. import esco
from ..errors import Problem
from ..fields import Fields, split_list
from ..models import Profile, ProfileOccupation, ProfileSkill, Resource
from ..territory import gazetteer
from ..text import document, normalized
from ..vocabulary import CATEGORY_LABELS, CONDITION_LABELS, LEVELS, OFFER_LABELS, SUPPLY_CHAIN_LABELS, code_of


PROFILE_FIELDS = (
    "desk_id", "person_id", "case_id", "display_name", "email", "phone", "summary", "years_experience",
    "occupations", "skills", "qualifications", "languages", "country", "region", "province", "municipality",
    "latitude", "longitude", "mobility", "availability", "available_from", "supply_chains", "origin_firm",
    "origin_firm_nace", "consent_to_share",
)


# What other desks see of a profile when the worker did not consent to sharing.
PERSONAL_PROFILE_FIELDS = ("display_name", "email", "phone", "summary", "person_id", "case_id", "municipality",
                           "latitude", "longitude")




RESOURCE_FIELDS = (
    "desk_id", "category", "title", "description", "country", "region", "province", "municipality", "address",
    "latitude", "longitude", "surface_m2", "capacity", "condition", "offers", "available_from", "terms",
    "owner_kind", "owner_name", "contact_name", "contact_email", "contact_phone", "origin_firm",
    "origin_firm_nace", "supply_chains", "status", "published", "exact_location_public",
)


MAX_COMPETENCES = 40


class Taxonomy:
    """ESCO look-ups of one operation, cached (an import of a thousand rows asks each thing once)."""

    def __init__(self, session: Session):
        self.session = session
        self._concepts: dict[str, Any] = {}
        self._resolved: dict[tuple[str, str], str | None] = {}
        self._labels: dict[str, list[str]] = {}
        self._preferred: dict[str, str] = {}

    def prefetch(self, kind: str, texts: list[str]) -> None:
        uris = [t for t in texts if esco.is_esco_uri(t) and t not in self._concepts]
        if uris:
            found = esco.concepts(self.session, uris)
            for uri in uris:
                self._concepts[uri] = found.get(uri)
        free = [t for t in texts if not esco.is_esco_uri(t) and (kind, normalized(t)) not in self._resolved]
        if free:
            found_labels = esco.resolve_labels(self.session, kind, free)
            for text in free:
                self._resolved[(kind, normalized(text))] = found_labels.get(normalized(text))

    def concept(self, uri: str) -> Any:
        if uri not in self._concepts:
            self.prefetch("", [uri])
        return self._concepts.get(uri)

    def resolve(self, kind: str, text: str) -> str | None:
        key = (kind, normalized(text))
        if key not in self._resolved:
            self.prefetch(kind, [text])
        return self._resolved.get(key)

    def labels(self, uris: list[str]) -> dict[str, list[str]]:
        missing = [u for u in uris if u not in self._labels]
        if missing:
            found = esco.labels_in_all_languages(self.session, missing)
            for uri in missing:
                self._labels[uri] = found.get(uri, [])
        return {u: self._labels[u] for u in uris}

    def preferred(self, uri: str) -> str:
        if uri not in self._preferred:
            found = esco.preferred_labels(self.session, [uri], DEFAULT_LANGUAGE)
            self._preferred[uri] = found[uri][0] if uri in found else uri
        return self._preferred[uri]


def _competences(fields: Fields, name: str, kind: str, taxonomy: Taxonomy) -> list[dict[str, Any]]:
    """Occupations or skills: each an ESCO URI or a free text, with an optional level (and years).
    Text items are written `label [level]`; a free text that is exactly an ESCO label becomes that concept."""
    items = []
    raw_items = split_list(fields.raw(name))
    if len(raw_items) > MAX_COMPETENCES:
        fields.problem(name, "value.out_of_range", value=len(raw_items), min=0, max=MAX_COMPETENCES)
        raw_items = raw_items[:MAX_COMPETENCES]
    parsed = []
    for item in raw_items:
        if isinstance(item, dict):
            text = str(item.get("uri") or item.get("label") or "").strip()
            level, years = item.get("level"), item.get("years")
        else:
            (text, level), years = split_level(str(item)), None
        parsed.append((text, level, years))
    taxonomy.prefetch(kind, [t for t, _, _ in parsed if t])
    seen: set[str] = set()
    for text, level, years in parsed:
        if not text:
            fields.problem(name, "value.required")
            continue
        uri = None
        if esco.is_esco_uri(text):
            concept = taxonomy.concept(text)
            if concept is None:
                fields.problem(name, "value.unknown_esco", value=text)
                continue
            if concept.kind != kind:
                fields.problem(name, "value.esco_kind", value=text, found=_kind_words(concept.kind),
                               expected=_kind_words(kind))
                continue
            uri = text
        else:
            uri = taxonomy.resolve(kind, text)
        label_text = taxonomy.preferred(uri) if uri else " ".join(text.split())[:300]
        key = uri or "text:" + normalized(text)[:290]
        if key in seen:
            fields.problem(name, "value.duplicate", value=label_text)
            continue
        seen.add(key)
        items.append({"key": key, "esco_uri": uri, "label": label_text[:300],
                      "level": _level(fields, name, level), "years": _years(fields, name, years)})
    return items


def _kind_words(kind: str) -> dict[str, str]:
    return {lang: esco.kind_word(kind, lang) for lang in LANGUAGES}


def split_level(text: str) -> tuple[str, str | None]:
    text = text.strip()
    if text.endswith("]") and "[" in text:
        head, _, level = text[:-1].rpartition("[")
        return head.strip(), level.strip() or None
    return text, None


def _level(fields: Fields, name: str, value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= len(LEVELS):
        return value
    text = str(value).strip()
    if text.isdigit() and 1 <= int(text) <= len(LEVELS):
        return int(text)
    code = code_of("level", text)
    if code is None:
        fields.problem(name, "value.unknown_code", value=value, known=list(LEVELS))
        return None
    return LEVELS.index(code) + 1


def _years(fields: Fields, name: str, value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        years = int(value)
    except (TypeError, ValueError):
        fields.problem(name, "value.not_integer", value=value)
        return None
    if not 0 <= years <= 70:
        fields.problem(name, "value.out_of_range", value=years, min=0, max=70)
        return None
    return years


@dataclass
class ProfileDraft:
    values: dict[str, Any]
    occupations: list[dict[str, Any]] | None  # None: unchanged
    skills: list[dict[str, Any]] | None


def check_profile(session: Session, actor: Actor, data: dict[str, Any], current: Profile | None = None,
                  taxonomy: Taxonomy | None = None, from_file: bool = False,
                  locale: str | None = None) -> tuple[ProfileDraft, list[Problem]]:
    """The values a profile would have with `data` (all of them for a new one, the changed ones for
    `current`), and what is wrong with them. Writes nothing."""
    taxonomy = taxonomy or Taxonomy(session)
    merged = _merged_profile(current, data) if current is not None else dict(data)
    f = Fields(merged, PROFILE_FIELDS, from_file, locale)
    values: dict[str, Any] = {
        "display_name": f.line("display_name", 200, required=True),
        "email": f.email("email"),
        "phone": f.phone("phone"),
        "summary": f.text("summary", 5000),
        "years_experience": f.integer("years_experience", 0, 70),
        "qualifications": f.texts("qualifications", 30, 300),
        "languages": f.languages("languages"),
        **f.territory(),
        "mobility": f.choice("mobility", "mobility", default="region"),
        "availability": f.choice("availability", "availability", default="available"),
        "available_from": f.day("available_from"),
        "supply_chains": f.choices("supply_chains", "supply_chain"),
        "origin_firm": f.line("origin_firm", 200),
        "origin_firm_nace": f.nace("origin_firm_nace"),
        "consent_to_share": f.boolean("consent_to_share"),
        "person_id": f.line("person_id", 64) or None,
        "case_id": f.integer("case_id", 1, 2**31 - 1),
    }
    if values["availability"] == "from_date" and values["available_from"] is None:
        f.problem("available_from", "value.from_date_required")
    desk_id = f.line("desk_id", 64, required=True)
    if desk_id and session.get(Desk, desk_id) is None:
        f.problem("desk_id", "value.unknown_desk", value=desk_id)
    values["desk_id"] = desk_id
    if values["case_id"] is not None:
        case = session.get(Case, values["case_id"])
        # A case of a desk the actor does not serve is as unknown to it as a case that does not exist.
        if case is None or not policy.may_link_profile_to_case(actor, case):
            f.problem("case_id", "value.unknown_case", value=values["case_id"])
    if values["person_id"] is not None and not policy.is_own_profile(actor, values["person_id"]):
        desks = session.scalars(select(Case.desk_id).join(CaseMember, CaseMember.case_id == Case.id).where(
            CaseMember.person_id == values["person_id"], CaseMember.kind == "worker").distinct())
        if not policy.may_link_profile_to_worker(actor, desks):
            f.problem("person_id", "value.unknown_worker", value=values["person_id"])
    occupations = _competences(f, "occupations", "occupation", taxonomy) \
        if current is None or "occupations" in data else None
    skills = _competences(f, "skills", "skill", taxonomy) if current is None or "skills" in data else None
    problems = f.problems
    if current is not None:
        # Only what changes is checked again, so an old value that a stricter rule would refuse does not
        # block an unrelated edit.
        problems = [p for p in problems if p.field in data or p.field in _derived(data)]
        values = {k: v for k, v in values.items() if k in data or k in _derived(data)}
    return ProfileDraft(values, occupations, skills), problems


_TOGETHER = (
    {"country", "region", "province", "municipality", "latitude", "longitude"},  # a town fills in its province
    {"availability", "available_from"},
)


def _derived(data: dict[str, Any]) -> set[str]:
    """Fields checked again with the ones given, because their rules tie them together."""
    return {name for group in _TOGETHER if group & set(data) for name in group}


def _merged_profile(profile: Profile, data: dict[str, Any]) -> dict[str, Any]:
    current = {name: getattr(profile, name) for name in PROFILE_FIELDS
               if name not in ("occupations", "skills")}
    current["occupations"] = [{"uri": c.esco_uri or c.label, "level": c.level, "years": c.years}
                              for c in profile.occupations]
    current["skills"] = [{"uri": c.esco_uri or c.label, "level": c.level, "years": c.years} for c in profile.skills]
    current = {k: v for k, v in current.items() if v not in (None, "", [])}
    current.update(data)
    return current


def apply_profile(profile: Profile, draft: ProfileDraft, taxonomy: Taxonomy) -> None:
    for name, value in draft.values.items():
        setattr(profile, name, value)
    for attribute, items, cls in (("occupations", draft.occupations, ProfileOccupation),
                                  ("skills", draft.skills, ProfileSkill)):
        if items is None:
            continue
        getattr(profile, attribute).clear()
        for position, item in enumerate(items):
            getattr(profile, attribute).append(cls(position=position, **item))
    index_profile(profile, taxonomy)


def index_profile(profile: Profile, taxonomy: Taxonomy) -> None:
    """The words the full-text index sees: occupations and skills in it/fr/en, qualifications, territory,
    supply chains, firm (public part); name, contacts, summary, municipality (personal part)."""
    competences = [*profile.occupations, *profile.skills]
    uris = [c.esco_uri for c in competences if c.esco_uri]
    esco_labels = taxonomy.labels(uris)
    places = gazetteer()
    profile.set_texts(document(
        [c.label for c in competences], [x for u in uris for x in esco_labels.get(u, [])],
        profile.qualifications, [lang["code"] for lang in profile.languages or []],
        [x for code in (profile.region, profile.province) if places.get(code) for x in places.get(code).names.values()],
        [x for chain in profile.supply_chains for x in SUPPLY_CHAIN_LABELS[chain].values()],
        profile.origin_firm, profile.origin_firm_nace,
    ), document(profile.display_name, profile.email, profile.summary, profile.municipality))


@dataclass
class ResourceDraft:
    values: dict[str, Any]


def check_resource(session: Session, actor: Actor, data: dict[str, Any], current: Resource | None = None,
                   from_file: bool = False, locale: str | None = None) -> tuple[ResourceDraft, list[Problem]]:
    merged = dict(data)
    if current is not None:
        merged = {name: getattr(current, name) for name in RESOURCE_FIELDS}
        merged = {k: v for k, v in merged.items() if v not in (None, "", [])}
        merged.update(data)
    f = Fields(merged, RESOURCE_FIELDS, from_file, locale)
    values: dict[str, Any] = {
        "category": f.choice("category", "category", required=True),
        "title": f.line("title", 200, required=True),
        "description": f.text("description", 10000),
        **f.territory(),
        "address": f.line("address", 300),
        "surface_m2": f.number("surface_m2", 0, 100_000_000),
        "capacity": f.line("capacity", 200),
        "condition": f.choice("condition", "condition", default="good"),
        "offers": f.choices("offers", "offer"),
        "available_from": f.day("available_from"),
        "terms": f.text("terms", 2000),
        "owner_kind": f.choice("owner_kind", "owner_kind", default="firm"),
        "owner_name": f.line("owner_name", 200),
        "contact_name": f.line("contact_name", 200),
        "contact_email": f.email("contact_email"),
        "contact_phone": f.phone("contact_phone"),
        "origin_firm": f.line("origin_firm", 200),
        "origin_firm_nace": f.nace("origin_firm_nace"),
        "supply_chains": f.choices("supply_chains", "supply_chain"),
        "status": f.choice("status", "status", default="available"),
        "published": f.boolean("published", default=True),
        "exact_location_public": f.boolean("exact_location_public"),
    }
    desk_id = f.line("desk_id", 64, required=True)
    if desk_id and session.get(Desk, desk_id) is None:
        f.problem("desk_id", "value.unknown_desk", value=desk_id)
    values["desk_id"] = desk_id
    status_before = current.status if current is not None else "available"
    if values["status"] != status_before:
        if status_before == "reserved":
            f.problem("status", "value.status_via_case")
        elif values["status"] == "reserved":
            f.problem("status", "value.status_reserved")
    problems = f.problems
    if current is not None:
        changed = set(data) | _derived(data)
        problems = [p for p in problems if p.field in changed]
        values = {k: v for k, v in values.items() if k in changed}
    return ResourceDraft(values), problems


def apply_resource(resource: Resource, draft: ResourceDraft) -> None:
    for name, value in draft.values.items():
        setattr(resource, name, value)
    index_resource(resource)


def index_resource(resource: Resource) -> None:
    """Words of the resource the full-text index sees (never the owner's or the contact's names: the
    public catalogue searches this text too)."""
    places = gazetteer()
    resource.set_texts(document(
        resource.title, resource.description, resource.capacity, resource.municipality, resource.address,
        list(CATEGORY_LABELS[resource.category].values()),
        [x for code in (resource.region, resource.province) if places.get(code) for x in places.get(code).names.values()],
        [x for chain in resource.supply_chains for x in SUPPLY_CHAIN_LABELS[chain].values()],
        [x for offer in resource.offers for x in OFFER_LABELS[offer].values()],
        list(CONDITION_LABELS.get(resource.condition, {}).values()),
        resource.origin_firm, resource.origin_firm_nace,
    ))
