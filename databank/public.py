"""The public catalogue (no login): territorial marketing for investors.

- available resources, with only what is meant for the public (never the owner's or the contact's name,
  e-mail or phone, never a document, only the photos marked public);
- the skills of an area, aggregated: counts of people per occupation, supply chain and territory, never
  a person. A count below the threshold is not shown (it is added to "other", itself shown only when it
  reaches the threshold), and shown counts are rounded, so comparing two areas or two lists does not
  reveal a small group. Free-text occupations are never shown (they are typed by hand and could say too
  much): only ESCO occupations are named;
- an offline SVG map of the cooperation area with the resources on it.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from engine.i18n import DEFAULT_LANGUAGE

from . import esco
from .i18n import message
from .models import Profile, ProfileOccupation, Resource, ResourceFile
from .operations.records import resource_labels
from .search import FacetValue, ResourceQuery, SearchResult, resource_search
from .territory import gazetteer
from .vocabulary import CHAIN_BITS, label

THRESHOLD = 5
ROUNDING = 5
PUBLIC_RESOURCE_FIELDS = (
    "id", "category", "title", "description", "country", "region", "province", "municipality", "latitude",
    "longitude", "surface_m2", "capacity", "condition", "available_from", "owner_kind", "desk_id",
)


# --- resources ---------------------------------------------------------------------------------------

def public_record(resource: Resource, lang: str) -> dict[str, Any]:
    record = {name: getattr(resource, name) for name in PUBLIC_RESOURCE_FIELDS}
    record["title"], record["description"], record["text_language"] = resource.translated(lang)
    record.update(resource_labels(resource, lang))
    record.update({
        "offers": resource.offers, "supply_chains": resource.supply_chains,
        "photos": [{"id": f.id, "sha256": f.sha256, "caption": f.caption, "content_type": f.content_type}
                   for f in resource.files if f.kind == "photo" and f.public],
    })
    if not resource.exact_location_public:
        # Only the municipality's place, never the owner's yard (without a known municipality, no place: the
        # map then shows the province or the region, as for an entry that gave no coordinates).
        town = gazetteer().point(municipality=resource.municipality, province=resource.province, region=resource.region)
        near = town is not None and town.precision == "municipality"
        record["latitude"], record["longitude"] = (town.lat, town.lon) if near else (None, None)
    return record


def catalogue(session: Session, query: ResourceQuery, lang: str = DEFAULT_LANGUAGE, facets: bool = True) -> SearchResult:
    """Published, available resources matching the query, with facet counts (no desks, no statuses)."""
    query = ResourceQuery(**{**query.__dict__, "statuses": ("available",), "published_only": True, "desks": (),
                             "per_page": max(1, min(query.per_page, 100))})
    result = resource_search(session, query, lang, facets, with_desks=False,
                             record=lambda r: public_record(r, lang), options=[selectinload(Resource.files)])
    result.facets.pop("status", None)
    return result


def public_resource(session: Session, resource_id: int, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any] | None:
    resource = session.get(Resource, resource_id, options=[selectinload(Resource.files)])
    if resource is None or not resource.published or resource.status != "available":
        return None
    return public_record(resource, lang)


def public_photo(session: Session, resource_id: int, file_id: int) -> ResourceFile | None:
    """A photo the public may see (to serve its bytes from the FileStore), or None."""
    row = session.get(ResourceFile, file_id)
    if row is None or row.resource_id != resource_id or row.kind != "photo" or not row.public:
        return None
    resource = session.get(Resource, resource_id)
    if resource is None or not resource.published or resource.status != "available":
        return None
    return row


def mapped_resources(session: Session, lang: str = DEFAULT_LANGUAGE, limit: int = 500) -> list[dict[str, Any]]:
    """The public records of the catalogue's resources for a map (the most recent `limit`)."""
    records: list[dict[str, Any]] = []
    page = 1
    while len(records) < limit:
        result = catalogue(session, ResourceQuery(page=page, per_page=100), lang, facets=False)
        records += result.items
        if page >= result.pages:
            break
        page += 1
    return records[:limit]


def slug(text: str, max_length: int = 60) -> str:
    """The words of a title for a URL: ASCII, lower case, hyphens ("Forno per compositi" -> "forno-per-compositi")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return "-".join(re.findall(r"[a-z0-9]+", plain))[:max_length].strip("-") or "resource"


@dataclass
class Overview:
    """The key figures of the cooperation area (or of one region): resources by category, region and supply
    chain; people (suppressed and rounded as everywhere) per supply chain."""

    resources: int
    categories: list[FacetValue]
    regions: list[FacetValue]
    offers: list[FacetValue]
    supply_chains: list[tuple[str, str, int, Count | None]]  # code, label, resources, people (None: not shown)
    skills: AreaSkills


def overview(session: Session, lang: str = DEFAULT_LANGUAGE, area: str = "") -> Overview:
    place = gazetteer().get(area)
    regions = (place.code,) if place is not None and place.level == "region" else ()
    result = catalogue(session, ResourceQuery(regions=regions, per_page=1), lang)
    skills = area_skills(session, area, lang)
    people = {c.code: c for c in skills.supply_chains}
    resources_per_chain = {f.code: f.count for f in result.facets.get("supply_chain", [])}
    chains = [(code, label("supply_chain", code, lang), resources_per_chain.get(code, 0), people.get(code))
              for code in CHAIN_BITS]
    return Overview(result.total, result.facets.get("category", []), result.facets.get("region", []),
                    result.facets.get("offer", []), chains, skills)


# --- the skills of an area ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Count:
    code: str
    label: str
    count: int | None  # None: fewer than the threshold, not shown

    def shown(self, lang: str, threshold: int = THRESHOLD) -> str:
        return str(self.count) if self.count is not None else message("public.fewer_than", lang, threshold=threshold)


@dataclass
class AreaSkills:
    area: str  # region or province code, "" for the whole cooperation area
    area_name: str
    threshold: int
    rounding: int
    people: Count
    occupations: list[Count] = field(default_factory=list)
    supply_chains: list[Count] = field(default_factory=list)
    territories: list[Count] = field(default_factory=list)


def _published(n: int, threshold: int, rounding: int) -> int | None:
    if n < threshold:
        return None
    return max(threshold, int(round(n / rounding)) * rounding) if rounding > 1 else n


def _dimension(counts: Iterable[tuple[str, str, int]], threshold: int, rounding: int, lang: str,
               top: int | None = None, unnamed: int = 0) -> list[Count]:
    """The counts that may be shown, then "other": the rest (too small, beyond `top`, or `unnamed`)."""
    shown: list[Count] = []
    hidden = unnamed
    ranked = sorted(counts, key=lambda c: (-c[2], c[0]))
    for position, (code, name, n) in enumerate(ranked):
        value = _published(n, threshold, rounding)
        if value is None or (top is not None and position >= top):
            hidden += n
            continue
        shown.append(Count(code, name, value))
    other = _published(hidden, threshold, rounding)
    if other is not None:
        shown.append(Count("other", message("public.other", lang), other))
    return shown


def area_skills(session: Session, area: str = "", lang: str = DEFAULT_LANGUAGE, threshold: int = THRESHOLD,
                rounding: int = ROUNDING, top: int = 20) -> AreaSkills:
    """What skills an area offers, in counts of people that identify no one."""
    threshold = max(threshold, 3)
    places = gazetteer()
    place = places.get(area)
    where = [Profile.availability != "unavailable", Profile.processing_stopped.is_(False)]
    if place is not None and place.level == "province":
        where.append(Profile.province == place.code)
        children: list[Any] = [place]
        by = Profile.province
    elif place is not None and place.level == "region":
        where.append(Profile.region == place.code)
        children = places.children(place.code, "province")
        by = Profile.province
    else:
        regions = places.children(None, "region")
        where.append(Profile.region.in_([r.code for r in regions]))
        children = regions
        by = Profile.region
    people = session.scalar(select(func.count()).select_from(Profile).where(*where)) or 0

    by_territory = dict(session.execute(select(by, func.count()).where(*where).group_by(by)).all())
    territories = _dimension(((c.code, c.name(lang), by_territory.get(c.code, 0)) for c in children),
                             threshold, rounding, lang)

    masks = session.execute(select(Profile.chain_mask, func.count()).where(*where).group_by(Profile.chain_mask)).all()
    chains = {code: sum(n for mask, n in masks if (mask or 0) & bit) for code, bit in CHAIN_BITS.items()}
    supply_chains = _dimension(((c, label("supply_chain", c, lang), n) for c, n in chains.items()),
                               threshold, rounding, lang)

    rows = session.execute(
        select(ProfileOccupation.esco_uri, func.count(func.distinct(ProfileOccupation.profile_id)))
        .where(ProfileOccupation.profile_id.in_(select(Profile.id).where(*where)))
        .group_by(ProfileOccupation.esco_uri)).all()
    named = {uri: n for uri, n in rows if uri}
    free_text = sum(n for uri, n in rows if not uri)
    labels = esco.preferred_labels(session, list(named), lang)
    counts = [(uri, labels.get(uri, (uri,))[0], n) for uri, n in named.items()]
    occupations = _dimension(counts, threshold, rounding, lang, top, unnamed=free_text)

    return AreaSkills(place.code if place else "", place.name(lang) if place else "", threshold, rounding,
                      Count("people", "", _published(people, threshold, rounding)),
                      occupations, supply_chains, territories)


# --- the map -----------------------------------------------------------------------------------------

# Simplified outlines of the cooperation area's coasts and islands (longitude, latitude), drawn for this
# schematic map: good enough to place markers, not a survey.
_MAINLAND = [
    (5.45, 43.20), (5.70, 43.17), (5.93, 43.10), (6.15, 43.03), (6.35, 43.10), (6.65, 43.20), (6.75, 43.40),
    (6.95, 43.50), (7.15, 43.60), (7.30, 43.70), (7.50, 43.78), (7.70, 43.79), (8.00, 43.87), (8.20, 44.00),
    (8.40, 44.20), (8.60, 44.35), (8.90, 44.40), (9.20, 44.33), (9.50, 44.18), (9.85, 44.05), (10.10, 43.95),
    (10.25, 43.85), (10.30, 43.60), (10.45, 43.30), (10.50, 43.00), (10.75, 42.90), (11.00, 42.70),
    (11.15, 42.45), (11.45, 42.38), (11.80, 42.20), (11.95, 42.20), (11.95, 44.90), (5.45, 44.90),
]
_CORSICA = [
    (9.40, 43.01), (9.47, 42.80), (9.45, 42.65), (9.53, 42.40), (9.56, 42.10), (9.40, 41.85), (9.40, 41.60),
    (9.25, 41.45), (9.15, 41.38), (8.90, 41.50), (8.80, 41.65), (8.65, 41.80), (8.60, 41.95), (8.62, 42.10),
    (8.55, 42.25), (8.65, 42.40), (8.80, 42.55), (9.00, 42.65), (9.25, 42.72), (9.33, 42.90),
]
_SARDINIA = [
    (9.20, 41.25), (9.45, 41.15), (9.60, 40.95), (9.75, 40.60), (9.70, 40.30), (9.65, 40.00), (9.60, 39.70),
    (9.55, 39.30), (9.35, 39.15), (9.10, 39.20), (8.95, 39.00), (8.65, 38.87), (8.40, 39.05), (8.40, 39.35),
    (8.45, 39.70), (8.50, 40.00), (8.40, 40.30), (8.30, 40.55), (8.15, 40.65), (8.20, 40.95), (8.45, 40.85),
    (8.75, 40.95), (8.95, 41.10),
]
_ELBA = [(10.10, 42.78), (10.25, 42.84), (10.45, 42.86), (10.44, 42.73), (10.22, 42.72)]
_BOUNDS = (5.4, 12.0, 38.7, 44.9)  # lon min, lon max, lat min, lat max
MAP_STYLE = (".sea{fill:#dcecf5}.land{fill:#f4f1e8;stroke:#9aa3a8;stroke-width:1}"
             ".region{font:12px sans-serif;fill:#3d4750}.marker{fill:#c0392b;stroke:#fff;stroke-width:1.5}")


def area_map_svg(resources: Iterable[dict[str, Any]], lang: str = DEFAULT_LANGUAGE, width: int = 640,
                 href: Callable[[dict[str, Any]], str] | None = None, embedded: bool = False) -> str:
    """An SVG map of the cooperation area with one marker per resource (public records), each a link to
    `href(record)` (default: the record's anchor on the same page).

    Self-contained by default (a file of its own, styled inside); `embedded` leaves the style out, for a map
    inside an HTML page whose stylesheet styles the classes (a Content-Security-Policy without inline
    styles refuses a <style> element in the page), as a group of links rather than one image."""
    lon0, lon1, lat0, lat1 = _BOUNDS
    kx = math.cos(math.radians((lat0 + lat1) / 2))
    scale = width / ((lon1 - lon0) * kx)
    height = round((lat1 - lat0) * scale)

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return round((lon - lon0) * kx * scale, 1), round((lat1 - lat) * scale, 1)

    def polygon(points: list[tuple[float, float]]) -> str:
        return '<polygon class="land" points="' + " ".join(f"{x},{y}" for x, y in (xy(*p) for p in points)) + '"/>'

    places = gazetteer()
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="{"group" if embedded else "img"}" aria-labelledby="map-title">',
             f'<title id="map-title">{escape(message("public.map_title", lang))}</title>',
             "" if embedded else f"<style>{MAP_STYLE}</style>",
             f'<rect class="sea" width="{width}" height="{height}"/>',
             polygon(_MAINLAND), polygon(_CORSICA), polygon(_SARDINIA), polygon(_ELBA)]
    for region in places.children(None, "region"):
        x, y = xy(region.lon, region.lat)
        parts.append(f'<text class="region" x="{x}" y="{y}" text-anchor="middle">{escape(region.name(lang))}</text>')
    for record in resources:
        point = places.point(lat=record.get("latitude"), lon=record.get("longitude"),
                             municipality=record.get("municipality"), province=record.get("province"),
                             region=record.get("region"))
        if point is None:
            continue
        x, y = xy(point.lon, point.lat)
        title = f"{record.get('title', '')} — {record.get('category_label', '')}"
        link = href(record) if href is not None else "#resource-" + str(record.get("id"))
        parts.append(f'<a href={quoteattr(link)} aria-label={quoteattr(title)}><circle class="marker" cx="{x}" '
                     f'cy="{y}" r="7"><title>{escape(title)}</title></circle></a>')
    parts.append("</svg>")
    return "\n".join(parts)


__all__ = ["AreaSkills", "Count", "FacetValue", "Overview", "area_map_svg", "area_skills", "catalogue",
           "mapped_resources", "overview", "public_photo", "public_record", "public_resource", "slug"]
