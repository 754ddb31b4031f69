"""A profile or a resource as the pages and exports read it (a profile without its personal part for
those who may see only that).
"""
from __future__ import annotations

from typing import Any

from ..models import Profile, Resource
from ..territory import gazetteer
from ..vocabulary import LEVELS, label
from .values import PERSONAL_PROFILE_FIELDS, RESOURCE_FIELDS


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


def resource_labels(resource: Resource, lang: str) -> dict[str, Any]:
    """The words, in `lang`, of a resource's coded values and places (its page and the public catalogue)."""
    places = gazetteer()
    return {
        "category_label": label("category", resource.category, lang),
        "condition_label": label("condition", resource.condition, lang),
        "owner_kind_label": label("owner_kind", resource.owner_kind, lang),
        "offer_labels": [label("offer", o, lang) for o in resource.offers],
        "supply_chain_labels": [label("supply_chain", c, lang) for c in resource.supply_chains],
        "region_name": places.name(resource.region, lang), "province_name": places.name(resource.province, lang),
    }


def resource_record(resource: Resource, lang: str) -> dict[str, Any]:
    record = {name: getattr(resource, name) for name in RESOURCE_FIELDS}
    record.update(resource_labels(resource, lang))
    record.update({
        "id": resource.id, "version": resource.version, "updated_at": resource.updated_at,
        "reserved_case_id": resource.reserved_case_id,
        "status_label": label("status", resource.status, lang),
        "files": [{"id": f.id, "kind": f.kind, "sha256": f.sha256, "filename": f.filename,
                   "content_type": f.content_type, "size": f.size, "caption": f.caption, "public": f.public}
                  for f in resource.files],
        "links": [{"case_id": link.case_id, "reserved_at": link.reserved_at, "taken_at": link.taken_at,
                   "released_at": link.released_at, "reserved_by": link.reserved_by} for link in resource.links],
        "text_language": resource.text_language,
        "translations": {t.language: {"title": t.title, "description": t.description}
                         for t in resource.translations},
    })
    return record
