"""The closed vocabularies of the databank (codes stored in the database) and their labels in it/fr/en.

Import files may use a code or its label in any of the three languages; exports write labels.
"""
from __future__ import annotations

from typing import Mapping

from engine.i18n import LANGUAGES, localize
from engine.pathway import SUPPLY_CHAINS

from .text import normalized

Labels = Mapping[str, Mapping[str, str]]

SUPPLY_CHAIN_LABELS: Labels = {
    "nautical_shipbuilding": {"en": "Nautical and shipbuilding", "it": "Nautica e cantieristica",
                              "fr": "Nautisme et construction navale"},
    "sustainable_tourism": {"en": "Innovative and sustainable tourism", "it": "Turismo innovativo e sostenibile",
                            "fr": "Tourisme innovant et durable"},
    "blue_green_biotech": {"en": "Blue and green biotechnologies", "it": "Biotecnologie blu e verdi",
                           "fr": "Biotechnologies bleues et vertes"},
    "blue_green_energy": {"en": "Blue and green renewable energies", "it": "Energie rinnovabili blu e verdi",
                          "fr": "Énergies renouvelables bleues et vertes"},
}
assert tuple(SUPPLY_CHAIN_LABELS) == SUPPLY_CHAINS

# Bits of the integer masks stored on profiles and resources: a portable, indexable "any of" filter.
CHAIN_BITS = {chain: 1 << i for i, chain in enumerate(SUPPLY_CHAINS)}

CATEGORY_LABELS: Labels = {
    "machine": {"en": "Machine", "it": "Macchinario", "fr": "Machine"},
    "equipment": {"en": "Equipment", "it": "Attrezzatura", "fr": "Équipement"},
    "plant": {"en": "Plant", "it": "Impianto", "fr": "Installation industrielle"},
    "industrial_area": {"en": "Industrial area", "it": "Area industriale", "fr": "Zone industrielle"},
    "shed": {"en": "Shed / warehouse", "it": "Capannone / magazzino", "fr": "Hangar / entrepôt"},
    "other": {"en": "Other", "it": "Altro", "fr": "Autre"},
}
CATEGORIES = tuple(CATEGORY_LABELS)
# Categories that can stand in for one another, for matching (half the points of an exact category).
RELATED_CATEGORIES = {
    "machine": ("equipment", "plant"), "equipment": ("machine",), "plant": ("machine", "industrial_area"),
    "industrial_area": ("shed", "plant"), "shed": ("industrial_area",), "other": (),
}

OFFER_LABELS: Labels = {
    "sale": {"en": "Sale", "it": "Vendita", "fr": "Vente"},
    "rent": {"en": "Rent", "it": "Affitto", "fr": "Location"},
    "free_loan": {"en": "Free loan", "it": "Comodato d'uso gratuito", "fr": "Prêt à usage gratuit"},
}
OFFERS = tuple(OFFER_LABELS)
OFFER_BITS = {offer: 1 << i for i, offer in enumerate(OFFERS)}

CONDITION_LABELS: Labels = {
    "new": {"en": "New", "it": "Nuovo", "fr": "Neuf"},
    "good": {"en": "Good", "it": "Buono", "fr": "Bon"},
    "fair": {"en": "Fair", "it": "Discreto", "fr": "Correct"},
    "poor": {"en": "Needs repair", "it": "Da ripristinare", "fr": "À remettre en état"},
}
CONDITIONS = tuple(CONDITION_LABELS)

STATUS_LABELS: Labels = {
    "available": {"en": "Available", "it": "Disponibile", "fr": "Disponible"},
    "reserved": {"en": "Reserved", "it": "Riservato", "fr": "Réservé"},
    "taken": {"en": "Taken", "it": "Assegnato", "fr": "Attribué"},
}
STATUSES = tuple(STATUS_LABELS)

OWNER_KIND_LABELS: Labels = {
    "firm": {"en": "Firm", "it": "Impresa", "fr": "Entreprise"},
    "insolvency_administrator": {"en": "Insolvency administrator", "it": "Curatore fallimentare",
                                 "fr": "Administrateur judiciaire"},
    "public_body": {"en": "Public body", "it": "Ente pubblico", "fr": "Organisme public"},
    "private": {"en": "Private owner", "it": "Privato", "fr": "Particulier"},
    "other": {"en": "Other", "it": "Altro", "fr": "Autre"},
}
OWNER_KINDS = tuple(OWNER_KIND_LABELS)

LEVEL_LABELS: Labels = {
    "basic": {"en": "Basic", "it": "Base", "fr": "Notions"},
    "intermediate": {"en": "Intermediate", "it": "Intermedio", "fr": "Intermédiaire"},
    "advanced": {"en": "Advanced", "it": "Avanzato", "fr": "Avancé"},
    "expert": {"en": "Expert", "it": "Esperto", "fr": "Expert"},
}
LEVELS = tuple(LEVEL_LABELS)  # stored as 1..4

MOBILITY_LABELS: Labels = {
    "local": {"en": "Own municipality only", "it": "Solo il proprio comune", "fr": "Sa commune seulement"},
    "province": {"en": "Within the province", "it": "Nella provincia", "fr": "Dans le département"},
    "region": {"en": "Within the region", "it": "Nella regione", "fr": "Dans la région"},
    "country": {"en": "Anywhere in the country", "it": "In tutto il paese", "fr": "Dans tout le pays"},
    "cross_border": {"en": "Across the border too", "it": "Anche oltre confine", "fr": "Aussi de l'autre côté de la frontière"},
}
MOBILITY = tuple(MOBILITY_LABELS)

AVAILABILITY_LABELS: Labels = {
    "available": {"en": "Available now", "it": "Disponibile subito", "fr": "Disponible immédiatement"},
    "from_date": {"en": "Available from a date", "it": "Disponibile da una data", "fr": "Disponible à partir d'une date"},
    "unavailable": {"en": "Not available", "it": "Non disponibile", "fr": "Non disponible"},
}
AVAILABILITY = tuple(AVAILABILITY_LABELS)

SIZE_BAND_LABELS: Labels = {
    "lt_500": {"en": "under 500 m²", "it": "meno di 500 m²", "fr": "moins de 500 m²"},
    "500_2000": {"en": "500–2,000 m²", "it": "500–2.000 m²", "fr": "500–2 000 m²"},
    "2000_10000": {"en": "2,000–10,000 m²", "it": "2.000–10.000 m²", "fr": "2 000–10 000 m²"},
    "ge_10000": {"en": "10,000 m² and more", "it": "10.000 m² e oltre", "fr": "10 000 m² et plus"},
    "unknown": {"en": "size not given", "it": "superficie non indicata", "fr": "surface non indiquée"},
}
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


def _index(labels: Labels) -> dict[str, str]:
    found: dict[str, str] = {}
    for code, texts in labels.items():
        found[normalized(code)] = code
        for lang in LANGUAGES:
            found.setdefault(normalized(texts[lang]), code)
    return found


_LOOKUP = {name: _index(labels) for name, labels in VOCABULARIES.items()}


def code_of(vocabulary: str, text: str) -> str | None:
    """The code a text names (the code itself or a label in any language, any case or accents), or None."""
    return _LOOKUP[vocabulary].get(normalized(text))


def mask_of(codes: list[str] | tuple[str, ...], bits: Mapping[str, int]) -> int:
    mask = 0
    for code in codes:
        mask |= bits[code]
    return mask


def codes_of(mask: int, bits: Mapping[str, int]) -> list[str]:
    return [code for code, bit in bits.items() if mask & bit]
