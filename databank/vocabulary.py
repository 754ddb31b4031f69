"""The closed vocabularies of the databank (codes stored in the database) and their labels in it/fr/en
(the databank's message catalogue).

Import files may use a code or its label in any of the three languages; exports write labels.
"""
from __future__ import annotations

import functools
from typing import Mapping

from engine.i18n import LANGUAGES, localize
from engine.pathway import SUPPLY_CHAINS

from .i18n import MESSAGES
from .text import normalized

Labels = Mapping[str, Mapping[str, str]]


def _labels(vocabulary: str, codes: tuple[str, ...]) -> Labels:
    """The labels of a vocabulary's codes, each {it, fr, en}: `vocabulary.<vocabulary>.<code>` in the databank's
    message catalogue (databank/i18n.py)."""
    return {code: MESSAGES[f"vocabulary.{vocabulary}.{code}"] for code in codes}


SUPPLY_CHAIN_LABELS = _labels("supply_chain", SUPPLY_CHAINS)
assert tuple(SUPPLY_CHAIN_LABELS) == SUPPLY_CHAINS

# Bits of the integer masks stored on profiles and resources: a portable, indexable "any of" filter.
CHAIN_BITS = {chain: 1 << i for i, chain in enumerate(SUPPLY_CHAINS)}

CATEGORY_LABELS = _labels("category", ("machine", "equipment", "plant", "industrial_area", "shed", "other"))
CATEGORIES = tuple(CATEGORY_LABELS)
# Categories that can stand in for one another, for matching (half the points of an exact category).
RELATED_CATEGORIES = {
    "machine": ("equipment", "plant"), "equipment": ("machine",), "plant": ("machine", "industrial_area"),
    "industrial_area": ("shed", "plant"), "shed": ("industrial_area",), "other": (),
}

OFFER_LABELS = _labels("offer", ("sale", "rent", "free_loan"))
OFFERS = tuple(OFFER_LABELS)
OFFER_BITS = {offer: 1 << i for i, offer in enumerate(OFFERS)}

CONDITION_LABELS = _labels("condition", ("new", "good", "fair", "poor"))
CONDITIONS = tuple(CONDITION_LABELS)

STATUS_LABELS = _labels("status", ("available", "reserved", "taken"))
STATUSES = tuple(STATUS_LABELS)

OWNER_KIND_LABELS = _labels("owner_kind", ("firm", "insolvency_administrator", "public_body", "private", "other"))
OWNER_KINDS = tuple(OWNER_KIND_LABELS)

LEVEL_LABELS = _labels("level", ("basic", "intermediate", "advanced", "expert"))
LEVELS = tuple(LEVEL_LABELS)  # stored as 1..4

MOBILITY_LABELS = _labels("mobility", ("local", "province", "region", "country", "cross_border"))
MOBILITY = tuple(MOBILITY_LABELS)

AVAILABILITY_LABELS = _labels("availability", ("available", "from_date", "unavailable"))
AVAILABILITY = tuple(AVAILABILITY_LABELS)

SIZE_BAND_LABELS = _labels("size_band", ("lt_500", "500_2000", "2000_10000", "ge_10000", "unknown"))
SIZE_BANDS = (("lt_500", 0, 500), ("500_2000", 500, 2000), ("2000_10000", 2000, 10000), ("ge_10000", 10000, None))

VOCABULARIES: dict[str, Labels] = {
    "supply_chain": SUPPLY_CHAIN_LABELS, "category": CATEGORY_LABELS, "offer": OFFER_LABELS,
    "condition": CONDITION_LABELS, "status": STATUS_LABELS, "owner_kind": OWNER_KIND_LABELS,
    "level": LEVEL_LABELS, "mobility": MOBILITY_LABELS, "availability": AVAILABILITY_LABELS,
    "size_band": SIZE_BAND_LABELS,
}


def label(vocabulary: str, code: str | None, lang: str) -> str:
    if code is None:
        return ""
    texts = VOCABULARIES[vocabulary].get(code)
    return localize(texts, lang) if texts else code


@functools.cache
def _index(vocabulary: str) -> dict[str, str]:
    # Built at first use, not at import: it reads the Italian and French catalogues.
    found: dict[str, str] = {}
    for code, texts in VOCABULARIES[vocabulary].items():
        found[normalized(code)] = code
        for lang in LANGUAGES:
            found.setdefault(normalized(texts[lang]), code)
    return found


def code_of(vocabulary: str, text: str) -> str | None:
    """The code a text names (the code itself or a label in any language, any case or accents), or None."""
    return _index(vocabulary).get(normalized(text))


def mask_of(codes: list[str] | tuple[str, ...], bits: Mapping[str, int]) -> int:
    mask = 0
    for code in codes:
        mask |= bits[code]
    return mask


def codes_of(mask: int, bits: Mapping[str, int]) -> list[str]:
    return [code for code, bit in bits.items() if mask & bit]
