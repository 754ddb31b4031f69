"""One register of address per language: Italian speaks to the reader as "Lei" (a group as "voi"), French as
"vous". A word of the familiar register in a catalogue translation or in the it/fr text of a pathway or an
assessment fails; a hit that is not an address at all goes into ALLOWED with the reason."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest
import yaml
from babel.messages.pofile import read_po

from .conftest import ROOT
from .test_translations import DOMAINS

FAMILIAR = {
    "it": re.compile(r"\b(tu|tuo|tua|tuoi|tue|te|ti|puoi|hai|devi|sei|vuoi|sai|fai|vai|intendevi|avevi|appartieni)\b",
                     re.IGNORECASE),
    "fr": re.compile(r"\b(tu|ton|ta|tes|toi|te|peux|veux|dois|as|es)\b|\bt'", re.IGNORECASE),
}
# (language, text containing the word): why the word is no address.
ALLOWED = {
    ("it", "Incontro dopo sei mesi"): "'sei' is the number six",
    ("it", "Nei primi sei mesi ci vediamo regolarmente"): "'sei' is the number six",
    ("fr", "Je veux devenir associé(e)"): "the worker speaks: 'je veux'",
}
TEXT_FILES = sorted([*(ROOT / "pathways").glob("*.yaml"), *(ROOT / "pathways" / "shared").glob("*.yaml"),
                     *(ROOT / "assessments").glob("*.yaml")])


def _allowed(lang: str, text: str) -> bool:
    return any(lang == allowed_lang and start in text for allowed_lang, start in ALLOWED)


def _familiar_words(lang: str, text: str) -> list[str]:
    if _allowed(lang, text):
        return []
    return [match.group(0) for match in FAMILIAR[lang].finditer(text)]


def _catalogue_texts(domain, lang: str) -> Iterator[str]:  # noqa: ANN001
    with domain.po_path(lang).open("rb") as fh:
        for entry in read_po(fh, locale=lang):
            if entry.id:
                yield from (entry.string if isinstance(entry.string, tuple) else (entry.string,))


def _localized_texts(node: object, lang: str) -> Iterator[str]:
    """Every `lang:` string of a pathway or assessment file, wherever it is nested."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == lang and isinstance(value, str):
                yield value
            else:
                yield from _localized_texts(value, lang)
    elif isinstance(node, list):
        for item in node:
            yield from _localized_texts(item, lang)


@pytest.mark.parametrize("lang", sorted(FAMILIAR))
@pytest.mark.parametrize("domain", DOMAINS, ids=lambda d: d.package.name)
def test_a_catalogue_keeps_one_register(domain, lang: str) -> None:  # noqa: ANN001
    hits = [(words, text) for text in _catalogue_texts(domain, lang) if (words := _familiar_words(lang, text))]
    assert hits == [], f"familiar address in {domain.po_path(lang).relative_to(ROOT)}: {hits}"


@pytest.mark.parametrize("lang", sorted(FAMILIAR))
@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_pathway_or_assessment_file_keeps_one_register(path: Path, lang: str) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    texts = list(_localized_texts(document, lang))
    hits = [(words, text) for text in texts if (words := _familiar_words(lang, text))]
    assert hits == [], f"familiar address in the {lang} texts of {path.relative_to(ROOT)}: {hits}"


def test_the_check_finds_the_familiar_register() -> None:
    assert _familiar_words("it", "Puoi cambiare il tuo profilo.") == ["Puoi", "tuo"]
    assert _familiar_words("it", "Può cambiare il suo profilo.") == []
    assert _familiar_words("fr", "Tu peux changer ton profil.") == ["Tu", "peux", "ton"]
    assert _familiar_words("fr", "Vous pouvez changer votre profil.") == []
    assert list(_localized_texts({"a": [{"title": {"it": "x", "fr": "y"}}]}, "fr")) == ["y"]
