"""Every change to the databank: profiles, resources, their files, reservations for cases, contact requests.

Each operation takes the actor as an argument, checks what they may do (below), validates the values
with localized problems, and runs in one transaction. Reserving a resource for a case changes the
resource's status and records a `reference_linked` event on the case, as one step: if the case refuses,
the resource is given back (see "resources and cases" below).

Who may do what is the access policy's (`engine.policy`): an admin everything; an operator creates, edits
and deletes the profiles and resources of their desks, sees every resource, and the profiles of other desks
without their personal part unless the worker consented to sharing, and reserves resources for the cases
they manage; a mentor sees like an operator of another desk and changes nothing; a worker sees and edits
their own profile (the one whose `person_id` is theirs), and may erase it.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterator

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from engine import policy
from engine.cases import Actor, CaseService, Receipt
from engine.files import TYPES, FileStore, detect_type, safe_filename
from engine.i18n import DEFAULT_LANGUAGE, LANGUAGES
from engine.models import Case, Desk, utcnow

from . import esco
from .errors import DatabankError, DatabankNotAllowed, EntryInvalid, EntryNotFound, Problem, StaleEntry
from .fields import Fields, split_list
from .models import (
    ContactRequest, Profile, ProfileOccupation, ProfileSkill, Resource, ResourceFile, ResourceLink,
)
from .territory import gazetteer
from .text import document, normalized
from .vocabulary import (
    CATEGORY_LABELS, CONDITION_LABELS, LEVELS, OFFER_LABELS, SUPPLY_CHAIN_LABELS, code_of, label,
)

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
    "origin_firm_nace", "supply_chains", "status", "published",
)
PHOTO_TYPES = ("jpg", "png")
DOCUMENT_TYPES = ("pdf", "docx", "odt", "xlsx", "ods", "txt", "jpg", "png")
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_COMPETENCES = 40
RESOURCE_KIND = "databank.resource"
RESOURCE_TAKEN_KIND = "databank.resource.taken"


@dataclass(frozen=True)
class Saved:
    """What a create or update did: the entry's id and its new version (pass it to the next update)."""

    id: int
    version: int


# --- who may do what: the access policy's answers, refused with the databank's words ------------------

def may_edit(actor: Actor, desk_id: str) -> bool:
    return policy.may_edit_entry(actor, desk_id)


def profile_access(actor: Actor, profile: Profile) -> str | None:
    """"full", "limited" (no personal part) or None (may not see it at all)."""
    return policy.profile_access(actor, profile.desk_id, profile.person_id, profile.consent_to_share)


def refuse_edit(actor: Actor, desk_id: str, own: bool = False) -> None:
    reason = policy.entry_edit_refusal(actor, desk_id, own=own)
    if reason is not None:
        raise DatabankNotAllowed(reason)


def require_reader(actor: Actor) -> None:
    reason = policy.databank_read_refusal(actor)
    if reason is not None:
        raise DatabankNotAllowed(reason)


# --- reading values -----------------------------------------------------------------------------------

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
                  taxonomy: Taxonomy | None = None, from_file: bool = False) -> tuple[ProfileDraft, list[Problem]]:
    """The values a profile would have with `data` (all of them for a new one, the changed ones for
    `current`), and what is wrong with them. Writes nothing."""
    taxonomy = taxonomy or Taxonomy(session)
    merged = _merged_profile(current, data) if current is not None else dict(data)
    f = Fields(merged, PROFILE_FIELDS, from_file)
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
    if values["case_id"] is not None and session.get(Case, values["case_id"]) is None:
        f.problem("case_id", "value.unknown_case", value=values["case_id"])
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
                   from_file: bool = False) -> tuple[ResourceDraft, list[Problem]]:
    merged = dict(data)
    if current is not None:
        merged = {name: getattr(current, name) for name in RESOURCE_FIELDS}
        merged = {k: v for k, v in merged.items() if v not in (None, "", [])}
        merged.update(data)
    f = Fields(merged, RESOURCE_FIELDS, from_file)
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


# --- views ------------------------------------------------------------------------------------------

def profile_record(profile: Profile, access: str, lang: str, labels: dict[str, tuple[str, str]] | None = None
                   ) -> dict[str, Any]:
    """A profile as the actor may see it: with access "limited" the personal keys are absent."""
    labels = labels or {}
    places = gazetteer()

    def competence(c: Any) -> dict[str, Any]:
        return {"uri": c.esco_uri, "key": c.key, "label": labels.get(c.esco_uri, (c.label,))[0] if c.esco_uri else c.label,
                "level": c.level, "level_label": label("level", LEVELS[c.level - 1], lang) if c.level else "",
                "years": c.years}

    record: dict[str, Any] = {
        "id": profile.id, "desk_id": profile.desk_id, "personal": access == "full",
        "occupations": [competence(c) for c in profile.occupations],
        "skills": [competence(c) for c in profile.skills],
        "years_experience": profile.years_experience, "qualifications": list(profile.qualifications or []),
        "languages": list(profile.languages or []), "country": profile.country,
        "region": profile.region, "region_name": places.name(profile.region, lang),
        "province": profile.province, "province_name": places.name(profile.province, lang),
        "mobility": profile.mobility, "mobility_label": label("mobility", profile.mobility, lang),
        "availability": profile.availability, "availability_label": label("availability", profile.availability, lang),
        "available_from": profile.available_from, "supply_chains": profile.supply_chains,
        "supply_chain_labels": [label("supply_chain", c, lang) for c in profile.supply_chains],
        "origin_firm": profile.origin_firm, "origin_firm_nace": profile.origin_firm_nace,
        "consent_to_share": profile.consent_to_share, "version": profile.version, "updated_at": profile.updated_at,
    }
    if access == "full":
        for name in PERSONAL_PROFILE_FIELDS:
            record[name] = getattr(profile, name)
    return record


def resource_record(resource: Resource, lang: str) -> dict[str, Any]:
    places = gazetteer()
    record = {name: getattr(resource, name) for name in RESOURCE_FIELDS}
    record.update({
        "id": resource.id, "version": resource.version, "updated_at": resource.updated_at,
        "reserved_case_id": resource.reserved_case_id,
        "category_label": label("category", resource.category, lang),
        "condition_label": label("condition", resource.condition, lang),
        "status_label": label("status", resource.status, lang),
        "owner_kind_label": label("owner_kind", resource.owner_kind, lang),
        "offer_labels": [label("offer", o, lang) for o in resource.offers],
        "supply_chain_labels": [label("supply_chain", c, lang) for c in resource.supply_chains],
        "region_name": places.name(resource.region, lang), "province_name": places.name(resource.province, lang),
        "files": [{"id": f.id, "kind": f.kind, "sha256": f.sha256, "filename": f.filename,
                   "content_type": f.content_type, "size": f.size, "caption": f.caption, "public": f.public}
                  for f in resource.files],
        "links": [{"case_id": link.case_id, "reserved_at": link.reserved_at, "taken_at": link.taken_at,
                   "released_at": link.released_at, "reserved_by": link.reserved_by} for link in resource.links],
    })
    return record


# --- the service -------------------------------------------------------------------------------------

class Databank:
    def __init__(self, sessions: sessionmaker[Session], files: FileStore | None = None,
                 cases: CaseService | None = None, clock: Callable[[], datetime] = utcnow):
        self.sessions = sessions
        self.files = files
        self.cases = cases
        self.clock = clock

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        try:
            with self.sessions.begin() as session:
                yield session
        except StaleDataError as exc:  # two saves of the same version at once: the second one loses
            raise StaleEntry(0, 0) from exc

    # --- profiles --------------------------------------------------------------------------------

    def create_profile(self, actor: Actor, data: dict[str, Any]) -> Saved:
        with self._transaction() as session:
            refuse_edit(actor, str(data.get("desk_id") or ""))
            taxonomy = Taxonomy(session)
            draft, problems = check_profile(session, actor, data, taxonomy=taxonomy)
            if problems:
                raise EntryInvalid(problems)
            profile = self._new_profile(session, actor, draft, taxonomy)
            return Saved(profile.id, profile.version)

    def _new_profile(self, session: Session, actor: Actor, draft: ProfileDraft, taxonomy: Taxonomy) -> Profile:
        now = self.clock()
        profile = Profile(created_by=actor.id, updated_by=actor.id, created_at=now, updated_at=now)
        with session.no_autoflush:
            apply_profile(profile, draft, taxonomy)
        if profile.consent_to_share:
            profile.consent_recorded_at, profile.consent_recorded_by = now, actor.id
        session.add(profile)
        session.flush()
        return profile

    def update_profile(self, actor: Actor, profile_id: int, version: int, changes: dict[str, Any]) -> Saved:
        with self._transaction() as session:
            profile = self._profile(session, profile_id)
            own = policy.is_own_profile(actor, profile.person_id)
            refuse_edit(actor, profile.desk_id, own)
            for name in policy.profile_fields_locked_for(actor, profile.desk_id):
                if name in changes:
                    raise DatabankNotAllowed("not_allowed.worker_field", field=name)
            if "desk_id" in changes:
                refuse_edit(actor, str(changes["desk_id"] or ""))
            if profile.version != version:
                raise StaleEntry(version, profile.version)
            taxonomy = Taxonomy(session)
            draft, problems = check_profile(session, actor, changes, profile, taxonomy)
            if problems:
                raise EntryInvalid(problems)
            consent_before = profile.consent_to_share
            with session.no_autoflush:  # one UPDATE, so one new version
                apply_profile(profile, draft, taxonomy)
                now = self.clock()
                if profile.consent_to_share != consent_before:
                    profile.consent_recorded_at, profile.consent_recorded_by = now, actor.id
                profile.updated_at, profile.updated_by = now, actor.id
            session.flush()
            return Saved(profile.id, profile.version)

    def delete_profile(self, actor: Actor, profile_id: int) -> None:
        """Erase a profile (the worker's right to erasure, or the desk's clean-up)."""
        with self._transaction() as session:
            profile = self._profile(session, profile_id)
            refuse_edit(actor, profile.desk_id, policy.is_own_profile(actor, profile.person_id))
            session.delete(profile)

    def get_profile(self, actor: Actor, profile_id: int, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        with self.sessions() as session:
            profile = self._profile(session, profile_id)
            access = profile_access(actor, profile)
            if access is None:
                # As if it did not exist: nothing about other people's profiles leaks to a worker.
                raise EntryNotFound("databank.profile_not_found", id=profile_id)
            uris = [c.esco_uri for c in [*profile.occupations, *profile.skills] if c.esco_uri]
            return profile_record(profile, access, lang, esco.preferred_labels(session, uris, lang))

    def own_profile(self, actor: Actor, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any] | None:
        """The worker's own profile, for the portal (None if the desk has not made one)."""
        with self.sessions() as session:
            profile = session.scalar(select(Profile).where(Profile.person_id == actor.id).order_by(Profile.id))
            if profile is None:
                return None
            uris = [c.esco_uri for c in [*profile.occupations, *profile.skills] if c.esco_uri]
            return profile_record(profile, "full", lang, esco.preferred_labels(session, uris, lang))

    @staticmethod
    def _profile(session: Session, profile_id: int) -> Profile:
        profile = session.get(Profile, profile_id, options=[selectinload(Profile.occupations),
                                                             selectinload(Profile.skills)])
        if profile is None:
            raise EntryNotFound("databank.profile_not_found", id=profile_id)
        return profile

    # --- resources -------------------------------------------------------------------------------

    def create_resource(self, actor: Actor, data: dict[str, Any]) -> Saved:
        with self._transaction() as session:
            refuse_edit(actor, str(data.get("desk_id") or ""))
            draft, problems = check_resource(session, actor, data)
            if problems:
                raise EntryInvalid(problems)
            resource = self._new_resource(session, actor, draft)
            return Saved(resource.id, resource.version)

    def _new_resource(self, session: Session, actor: Actor, draft: ResourceDraft) -> Resource:
        now = self.clock()
        resource = Resource(created_by=actor.id, updated_by=actor.id, created_at=now, updated_at=now)
        apply_resource(resource, draft)
        session.add(resource)
        session.flush()
        return resource

    def update_resource(self, actor: Actor, resource_id: int, version: int, changes: dict[str, Any]) -> Saved:
        with self._transaction() as session:
            resource = self._resource(session, resource_id)
            refuse_edit(actor, resource.desk_id)
            if "desk_id" in changes:
                refuse_edit(actor, str(changes["desk_id"] or ""))
            if resource.version != version:
                raise StaleEntry(version, resource.version)
            draft, problems = check_resource(session, actor, changes, resource)
            if problems:
                raise EntryInvalid(problems)
            with session.no_autoflush:
                apply_resource(resource, draft)
                resource.updated_at, resource.updated_by = self.clock(), actor.id
            session.flush()
            return Saved(resource.id, resource.version)

    def delete_resource(self, actor: Actor, resource_id: int) -> None:
        with self._transaction() as session:
            resource = self._resource(session, resource_id)
            refuse_edit(actor, resource.desk_id)
            if resource.status == "reserved":
                raise EntryInvalid([Problem("status", "value.status_via_case")])
            session.delete(resource)

    def get_resource(self, actor: Actor, resource_id: int, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        require_reader(actor)
        with self.sessions() as session:
            return resource_record(self._resource(session, resource_id), lang)

    @staticmethod
    def _resource(session: Session, resource_id: int) -> Resource:
        resource = session.get(Resource, resource_id, options=[selectinload(Resource.files),
                                                               selectinload(Resource.links)])
        if resource is None:
            raise EntryNotFound("databank.resource_not_found", id=resource_id)
        return resource

    def add_resource_file(self, actor: Actor, resource_id: int, kind: str, filename: str, content: bytes,
                          caption: str = "", public: bool | None = None) -> int:
        """Attach a photo (JPEG, PNG; public by default) or a document (not public by default)."""
        if self.files is None:
            raise RuntimeError("the databank was built without a FileStore")
        name = safe_filename(filename)
        if name is None:
            raise DatabankError("databank.file_name")
        if kind not in ("photo", "document"):
            raise EntryInvalid([Problem("kind", "value.unknown_code", {"value": kind, "known": ["photo", "document"]})])
        if len(content) > MAX_FILE_BYTES:
            raise DatabankError("databank.file_too_large", filename=name, max_mb=MAX_FILE_BYTES // (1024 * 1024))
        accepted = PHOTO_TYPES if kind == "photo" else DOCUMENT_TYPES
        file_type, found = detect_type(name, content, accepted)
        if file_type is None:
            raise DatabankError("databank.file_type", filename=name, kind=kind, found=found, accepted=list(accepted))
        with self._transaction() as session:
            resource = self._resource(session, resource_id)
            refuse_edit(actor, resource.desk_id)
            # The bytes first: the row only ever refers to a file that exists.
            digest = self.files.put(content)
            row = ResourceFile(kind=kind, sha256=digest, filename=name, content_type=TYPES[file_type],
                               size=len(content), caption=" ".join(caption.split())[:300],
                               public=(kind == "photo") if public is None else public,
                               uploaded_by=actor.id, uploaded_at=self.clock())
            resource.files.append(row)
            session.flush()
            return row.id

    def remove_resource_file(self, actor: Actor, resource_id: int, file_id: int) -> None:
        with self._transaction() as session:
            resource = self._resource(session, resource_id)
            refuse_edit(actor, resource.desk_id)
            row = next((f for f in resource.files if f.id == file_id), None)
            if row is None:
                raise EntryNotFound("databank.file_not_found", id=file_id)
            # The bytes stay: the store is content-addressed and another row may share them.
            resource.files.remove(row)

    # --- resources and cases -----------------------------------------------------------------------
    # The resource's status and the case's event are one transaction: the engine claims the case (its
    # version), checks the actor, then the databank's write runs on the same connection (a conditional
    # UPDATE, so two operators cannot both get a resource) before the event is written. A refusal on
    # either side, or a crash, leaves neither.

    def reserve_resource(self, actor: Actor, resource_id: int, case_id: int, case_version: int,
                         reason: str = "") -> Receipt:
        """Reserve an available resource for a case: the resource becomes `reserved` and the case records a
        `reference_linked` event. Returns the case's receipt (its new version)."""
        cases = self._case_service()
        self._refuse_case(actor, case_id)
        now = self.clock()

        def claim(connection: Connection) -> str:
            with self._joined(connection) as session:
                claimed = session.execute(
                    update(Resource).where(Resource.id == resource_id, Resource.status == "available")
                    .values(status="reserved", reserved_case_id=case_id, version=Resource.version + 1,
                            updated_at=now, updated_by=actor.id)
                    .execution_options(synchronize_session=False)).rowcount
                resource = self._resource_fresh(session, resource_id)
                if claimed != 1:
                    raise DatabankError("databank.resource_not_available",
                                        status={lang: label("status", resource.status, lang) for lang in LANGUAGES})
                session.add(ResourceLink(resource_id=resource_id, case_id=case_id, reserved_by=actor.id,
                                         reserved_at=now, reason=reason))
                return resource.title

        return cases.link_reference(case_id, actor, case_version, RESOURCE_KIND, str(resource_id), "",
                                    together=claim)

    def release_resource(self, actor: Actor, resource_id: int, case_id: int, case_version: int,
                         reason: str = "") -> Receipt:
        """Give back a resource reserved (or taken) by a case: available again, `reference_unlinked`."""
        cases = self._case_service()
        self._refuse_case(actor, case_id)
        now = self.clock()

        def give_back(connection: Connection) -> str:
            with self._joined(connection) as session:
                before = self._held_by(session, resource_id, case_id, ("reserved", "taken"))
                self._set_status(session, resource_id, case_id, before, status="available", reserved_case_id=None,
                                 updated_at=now, updated_by=actor.id)
                for link in self._open_links(session, resource_id, case_id):
                    link.released_at, link.released_by, link.reason = now, actor.id, reason or link.reason
                return self._resource_fresh(session, resource_id).title

        return cases.link_reference(case_id, actor, case_version, RESOURCE_KIND, str(resource_id), "",
                                    linked=False, together=give_back)

    def mark_resource_taken(self, actor: Actor, resource_id: int, case_id: int, case_version: int) -> Receipt:
        """The case has taken the resource it reserved (bought, rented, borrowed): `taken`."""
        cases = self._case_service()
        self._refuse_case(actor, case_id)
        now = self.clock()

        def take(connection: Connection) -> str:
            with self._joined(connection) as session:
                self._held_by(session, resource_id, case_id, ("reserved",))
                self._set_status(session, resource_id, case_id, "reserved", status="taken", updated_at=now,
                                 updated_by=actor.id)
                for link in self._open_links(session, resource_id, case_id):
                    link.taken_at = now
                return self._resource_fresh(session, resource_id).title

        return cases.link_reference(case_id, actor, case_version, RESOURCE_TAKEN_KIND, str(resource_id), "",
                                    together=take)

    @staticmethod
    @contextmanager
    def _joined(connection: Connection) -> Iterator[Session]:
        """A session inside the engine operation's transaction: it writes there, the engine commits."""
        session = Session(bind=connection, expire_on_commit=False)
        try:
            yield session
            session.flush()
        finally:
            session.close()

    def _refuse_case(self, actor: Actor, case_id: int) -> None:
        """Refuse early, before claiming anything, when the actor may not act on the case."""
        with self.sessions() as session:
            case = session.get(Case, case_id)
            if case is None:
                raise EntryInvalid([Problem("case_id", "value.unknown_case", {"value": case_id})])
            refusal = policy.manage_refusal(actor, case)
            if refusal is not None:
                raise refusal

    def _held_by(self, session: Session, resource_id: int, case_id: int, statuses: tuple[str, ...]) -> str:
        resource = self._resource_fresh(session, resource_id)
        if resource.status not in statuses or resource.reserved_case_id != case_id:
            raise DatabankError("databank.not_reserved_for_case", case_id=case_id)
        return resource.status

    @staticmethod
    def _set_status(session: Session, resource_id: int, case_id: int, expected: str, **values: Any) -> None:
        changed = session.execute(
            update(Resource).where(Resource.id == resource_id, Resource.status == expected,
                                   Resource.reserved_case_id == case_id)
            .values(version=Resource.version + 1, **values)
            .execution_options(synchronize_session=False)).rowcount
        if changed != 1:
            raise DatabankError("databank.not_reserved_for_case", case_id=case_id)

    def _resource_fresh(self, session: Session, resource_id: int) -> Resource:
        resource = session.get(Resource, resource_id, populate_existing=True)
        if resource is None:
            raise EntryNotFound("databank.resource_not_found", id=resource_id)
        return resource

    @staticmethod
    def _open_links(session: Session, resource_id: int, case_id: int) -> list[ResourceLink]:
        return list(session.scalars(select(ResourceLink).where(
            ResourceLink.resource_id == resource_id, ResourceLink.case_id == case_id,
            ResourceLink.released_at.is_(None))))

    def _case_service(self) -> CaseService:
        if self.cases is None:
            raise RuntimeError("the databank was built without a CaseService")
        return self.cases

    def resources_of_case(self, actor: Actor, case_id: int, lang: str = DEFAULT_LANGUAGE) -> list[dict[str, Any]]:
        """The resources reserved for (or taken by) a case, for the case page."""
        require_reader(actor)
        with self.sessions() as session:
            rows = session.scalars(select(Resource).where(Resource.reserved_case_id == case_id)
                                   .options(selectinload(Resource.files), selectinload(Resource.links))
                                   .order_by(Resource.id))
            return [resource_record(r, lang) for r in rows]

    # --- contact requests from the public catalogue -----------------------------------------------

    def submit_contact_request(self, data: dict[str, Any]) -> int:
        """A message from the public catalogue, routed to the desk of the resource it is about, else to a
        desk of the region it names, else to the first desk."""
        with self._transaction() as session:
            f = Fields(data, ("name", "email", "organisation", "message", "language", "resource_id", "region"))
            values = {
                "name": f.line("name", 200, required=True), "email": f.email("email", required=True),
                "organisation": f.line("organisation", 200), "message": f.text("message", 5000, required=True),
                "language": f.raw("language") if f.raw("language") in LANGUAGES else DEFAULT_LANGUAGE,
            }
            resource_id = f.integer("resource_id", 1, 2**31 - 1)
            region = gazetteer().find(f.line("region", 100), "region") if f.raw("region") else None
            if f.problems:
                raise EntryInvalid(f.problems)
            desk_id = None
            if resource_id is not None:
                resource = session.get(Resource, resource_id)
                if resource is None or not resource.published:
                    raise EntryNotFound("databank.resource_not_found", id=resource_id)
                desk_id = resource.desk_id
                region = gazetteer().get(resource.region) or region
            desks = list(session.scalars(select(Desk).order_by(Desk.id)))
            if desk_id is None and region is not None:
                names = {normalized(n) for n in region.names.values()} | {normalized(region.code)}
                desk_id = next((d.id for d in desks if normalized(d.region) in names), None)
            if desk_id is None and desks:
                desk_id = desks[0].id
            if desk_id is None:
                raise DatabankError("databank.no_desk")
            row = ContactRequest(desk_id=desk_id, resource_id=resource_id, region=region.code if region else "",
                                 created_at=self.clock(), **values)
            session.add(row)
            session.flush()
            return row.id

    def contact_requests(self, actor: Actor, desk_id: str | None = None) -> list[dict[str, Any]]:
        with self.sessions() as session:
            stmt = select(ContactRequest).order_by(ContactRequest.created_at.desc(), ContactRequest.id.desc())
            reason = policy.contact_requests_refusal(actor)
            if reason is not None:
                raise DatabankNotAllowed(reason)
            desks = policy.visible_desk_ids(actor)
            if desks is not None:
                stmt = stmt.where(ContactRequest.desk_id.in_(sorted(desks)))
            if desk_id:
                stmt = stmt.where(ContactRequest.desk_id == desk_id)
            return [{"id": r.id, "desk_id": r.desk_id, "resource_id": r.resource_id, "region": r.region,
                     "name": r.name, "email": r.email, "organisation": r.organisation, "message": r.message,
                     "language": r.language, "created_at": r.created_at, "handled_at": r.handled_at}
                    for r in session.scalars(stmt)]
