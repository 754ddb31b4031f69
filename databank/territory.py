"""The territory of the cooperation area: regions, provinces (départements) and main municipalities, with
their names in it/fr/en and coordinates (centres, for distances when an entry gives no coordinates).

Regions and provinces are stored as ISO 3166-2 codes (IT-42 Liguria, IT-GE Genova, FR-06
Alpes-Maritimes...); municipalities as written, matched to the gazetteer by name when possible.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from engine.i18n import localize

from .text import normalized

DATA = Path(__file__).resolve().parent / "data" / "territory.csv"
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Place:
    code: str
    level: str  # country / region / province / municipality
    parent: str | None
    country: str
    lat: float
    lon: float
    names: Mapping[str, str]

    def name(self, lang: str) -> str:
        return localize(dict(self.names), lang)


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float
    precision: str  # coordinates / municipality / province / region


class Gazetteer:
    def __init__(self, places: list[Place]):
        self.places = {p.code: p for p in places}
        self._by_name: dict[tuple[str, str], list[Place]] = {}
        for p in places:
            for text in {p.code, *p.names.values()}:
                self._by_name.setdefault((p.level, normalized(text)), []).append(p)

    def get(self, code: str | None) -> Place | None:
        return self.places.get(code or "")

    def find(self, text: str | None, level: str, within: str | None = None) -> Place | None:
        """The place of `level` a code or a name (any language, any case) designates, inside `within`."""
        if not text:
            return None
        exact = self.places.get(text.strip().upper()) or self.places.get(text.strip())
        if exact is not None and exact.level == level:
            return exact if within is None or self.contains(within, exact.code) else None
        for place in self._by_name.get((level, normalized(text)), []):
            if within is None or self.contains(within, place.code):
                return place
        return None

    def contains(self, outer: str, inner: str) -> bool:
        place = self.places.get(inner)
        while place is not None:
            if place.code == outer:
                return True
            place = self.places.get(place.parent or "")
        return False

    def children(self, code: str | None, level: str) -> list[Place]:
        return [p for p in self.places.values() if p.level == level and (code is None or p.parent == code)]

    def name(self, code: str | None, lang: str) -> str:
        place = self.get(code)
        return place.name(lang) if place else (code or "")

    def point(self, *, lat: float | None = None, lon: float | None = None, municipality: str | None = None,
              province: str | None = None, region: str | None = None) -> Point | None:
        """Where an entry is, as precisely as it says: its coordinates, else its municipality's, else the
        centre of its province or region."""
        if lat is not None and lon is not None:
            return Point(lat, lon, "coordinates")
        town = self.find(municipality, "municipality", province or region) if municipality else None
        if town is not None:
            return Point(town.lat, town.lon, "municipality")
        for code, precision in ((province, "province"), (region, "region")):
            place = self.get(code)
            if place is not None:
                return Point(place.lat, place.lon, precision)
        return None


def haversine_km(a: Point, b: Point) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    with DATA.open(encoding="utf-8", newline="") as fh:
        places = [Place(row["code"], row["level"], row["parent"] or None, row["country"], float(row["lat"]),
                        float(row["lon"]), {"it": row["name_it"], "fr": row["name_fr"], "en": row["name_en"]})
                  for row in csv.DictReader(fh)]
    return Gazetteer(places)
