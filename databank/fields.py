"""Reading the values of a profile or a resource, from a form (Python values) or a file cell (text).

One reader for both, so a form and an import accept and refuse the same things, with the same
localized problems. Lists may be given as lists or as text separated by ";" or new lines.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Iterable

from engine.numbers import NumberNotRead, read_number

from .errors import Problem
from .territory import gazetteer
from .vocabulary import VOCABULARIES, code_of

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE = re.compile(r"^\+?[0-9 ().\-/]{5,30}$")
NACE = re.compile(r"^([A-U])?\s*(\d{2}(?:\.\d{1,2}(?:\.\d{1,2})?)?)?$", re.IGNORECASE)
LANGUAGE = re.compile(r"^([a-z]{2,3})(?:\s*[:\- ]\s*([abc][12]|native|madrelingua|langue maternelle))?$", re.IGNORECASE)
COUNTRY = re.compile(r"^[A-Z]{2}$")
TRUE = {"1", "true", "yes", "y", "si", "sì", "oui", "vero", "vrai", "x"}
FALSE = {"0", "false", "no", "n", "non", "falso", "faux"}
# A cell a spreadsheet would run: = or @ first, or + / - followed by anything but a number or a phone number.
_FORMULA_START = ("=", "@", "\t", "\r")
_SIGNED_PLAIN = re.compile(r"^[+\-][0-9 ().,/\-]*$")


def looks_like_formula(value: str) -> bool:
    text = value.lstrip(" ")
    if not text:
        return False
    if text.startswith(_FORMULA_START):
        return True
    return text[0] in "+-" and not _SIGNED_PLAIN.match(text)


def split_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[;\n]", value) if part.strip()]
    if isinstance(value, (list, tuple)):
        return [v.strip() if isinstance(v, str) else v for v in value if v not in (None, "")]
    return [value]


class Fields:
    """Reads typed values out of a dict and collects the problems (never raises)."""

    def __init__(self, data: dict[str, Any], known: Iterable[str], from_file: bool = False,
                 locale: str | None = None):
        self.data = data
        self.locale = locale  # the language typed numbers are read in (None: plain notation)
        self.problems: list[Problem] = []
        known = set(known)
        for name in data:
            if name not in known:
                self.problems.append(Problem(name, "value.unknown_field", {"value": name}))
        if from_file:
            self._refuse_formulas()

    def _refuse_formulas(self) -> None:
        # Only for files: a form's "- item" list is text, but a cell like that may run in a spreadsheet.
        for name, value in self.data.items():
            for item in (value if isinstance(value, (list, tuple)) else [value]):
                if isinstance(item, str) and looks_like_formula(item):
                    self.problems.append(Problem(name, "value.formula", {"value": item[:40]}))
                    break

    def given(self, name: str) -> bool:
        return name in self.data

    def problem(self, name: str, code: str, **params: Any) -> None:
        self.problems.append(Problem(name, code, params))

    def raw(self, name: str) -> Any:
        value = self.data.get(name)
        return value.strip() if isinstance(value, str) else value

    def text(self, name: str, max_length: int, required: bool = False) -> str:
        value = self.raw(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            value = str(value)
        value = value.replace("\r\n", "\n")
        if required and not value:
            self.problem(name, "value.required")
        if len(value) > max_length:
            self.problem(name, "value.too_long", max=max_length, length=len(value))
            value = value[:max_length]
        return value

    def line(self, name: str, max_length: int, required: bool = False) -> str:
        return " ".join(self.text(name, max_length, required).split())

    def email(self, name: str, required: bool = False) -> str:
        value = self.line(name, 254, required).lower()
        if value and not EMAIL.match(value):
            self.problem(name, "value.email", value=value)
        return value

    def phone(self, name: str) -> str:
        value = self.line(name, 50)
        if value and not PHONE.match(value):
            self.problem(name, "value.phone", value=value)
        return value

    def integer(self, name: str, low: int, high: int) -> int | None:
        return self._in_range(name, low, high, whole=True)

    def number(self, name: str, low: float, high: float) -> float | None:
        return self._in_range(name, low, high, whole=False)

    def _in_range(self, name: str, low: float, high: float, whole: bool) -> Any:
        """The value as a number from low to high (typed text read by engine.numbers), else None and a problem."""
        value = self.raw(name)
        if value in (None, ""):
            return None
        try:
            if isinstance(value, bool):
                raise ValueError
            number = value if isinstance(value, (int, float)) else read_number(str(value), self.locale)
            if number != number or (whole and number != int(number)):  # NaN, or a fraction where a whole is due
                raise ValueError
            number = int(number) if whole else float(number)
        except NumberNotRead as unread:
            if unread.suggestions:
                self.problem(name, "value.number_ambiguous", value=value, suggestions=" / ".join(unread.suggestions))
            else:
                self.problem(name, "value.not_integer" if whole else "value.not_number", value=value)
            return None
        except (TypeError, ValueError, OverflowError):
            self.problem(name, "value.not_integer" if whole else "value.not_number", value=value)
            return None
        if not low <= number <= high:
            self.problem(name, "value.out_of_range", value=number, min=low, max=high)
            return None
        return number

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.raw(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        self.problem(name, "value.not_boolean", value=value)
        return default

    def day(self, name: str) -> date | None:
        value = self.raw(name)
        if value in (None, ""):
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = str(value).strip()
        for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"):
            try:
                return datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        self.problem(name, "value.not_date", value=text)
        return None

    def choice(self, name: str, vocabulary: str, default: str | None = None, required: bool = False) -> str | None:
        value = self.raw(name)
        if value in (None, ""):
            if required:
                self.problem(name, "value.required")
            return default
        code = code_of(vocabulary, str(value))
        if code is None:
            self.problem(name, "value.unknown_code", value=value, known=list(VOCABULARIES[vocabulary]))
            return default
        return code

    def choices(self, name: str, vocabulary: str) -> list[str]:
        codes: list[str] = []
        for item in split_list(self.raw(name)):
            code = code_of(vocabulary, str(item))
            if code is None:
                self.problem(name, "value.unknown_code", value=item, known=list(VOCABULARIES[vocabulary]))
            elif code not in codes:
                codes.append(code)
        return codes

    def texts(self, name: str, max_items: int, max_length: int) -> list[str]:
        out: list[str] = []
        for item in split_list(self.raw(name))[:max_items]:
            text = " ".join(str(item).split())
            if len(text) > max_length:
                self.problem(name, "value.too_long", max=max_length, length=len(text))
                text = text[:max_length]
            if text and text not in out:
                out.append(text)
        return out

    def languages(self, name: str) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        for item in split_list(self.raw(name)):
            if isinstance(item, dict):
                text = f"{item.get('code', '')}:{item.get('level') or ''}".rstrip(":")
            else:
                text = str(item)
            match = LANGUAGE.match(text.strip())
            if not match:
                self.problem(name, "value.language", value=text)
                continue
            level = (match.group(2) or "").upper()
            if level in ("NATIVE", "MADRELINGUA", "LANGUE MATERNELLE"):
                level = "native"
            entry = {"code": match.group(1).lower(), "level": level}
            if all(e["code"] != entry["code"] for e in out):
                out.append(entry)
        return out

    def nace(self, name: str) -> str:
        value = self.line(name, 12)
        if not value:
            return ""
        match = NACE.match(value)
        if not match or not (match.group(1) or match.group(2)):
            self.problem(name, "value.nace", value=value)
            return ""
        return ((match.group(1) or "").upper() + (match.group(2) or ""))

    def territory(self, prefix: str = "") -> dict[str, Any]:
        """country, region, province, municipality, latitude, longitude; region and province from their
        code or name, filled in from a known municipality or province when not given."""
        places = gazetteer()
        country = self.line("country", 2).upper()
        region_text = self.line("region", 100)
        province_text = self.line("province", 100)
        municipality = self.line("municipality", 100)
        region = places.find(region_text, "region") if region_text else None
        if region_text and region is None:
            self.problem("region", "value.unknown_region", value=region_text,
                         known=[p.names["en"] for p in places.children(None, "region")])
        province = places.find(province_text, "province") if province_text else None
        if province_text and province is None:
            self.problem("province", "value.unknown_province", value=province_text)
        if province is not None and region is not None and province.parent != region.code:
            self.problem("province", "value.province_region", province=province.names, region=region.names)
        if municipality and province is None:
            town = places.find(municipality, "municipality", region.code if region else None)
            if town is not None:
                province = places.get(town.parent)
        if province is not None and region is None:
            region = places.get(province.parent)
        if country and not COUNTRY.match(country):
            self.problem("country", "value.country", value=country)
            country = ""
        if region is not None:
            country = region.country
        latitude = self.number("latitude", -90, 90)
        longitude = self.number("longitude", -180, 180)
        if (latitude is None) != (longitude is None):
            self.problem("latitude" if latitude is None else "longitude", "value.coordinates")
            latitude = longitude = None
        return {"country": country, "region": region.code if region else "",
                "province": province.code if province else "", "municipality": municipality,
                "latitude": latitude, "longitude": longitude}
