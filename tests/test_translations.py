"""Every gettext catalogue (web UI, engine, databank) is complete in Italian and French and up to date with the
code: nothing untranslated, nothing fuzzy, no text of the code missing from a catalogue, no entry the code no
longer has, the same placeholders in a translation as in its English. Fixing what fails: `make messages`, then
translate what it added or marked fuzzy (README, "Languages")."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_from_file
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

from .conftest import ROOT

TRANSLATED = ("it", "fr")
# The same keywords as `make messages`.
WEBUI_KEYWORDS = {**DEFAULT_KEYWORDS, **parse_keywords(["_l", "lazy_gettext", "lazy_pgettext:1c,2"])}
DEFINE_KEYWORDS = parse_keywords(["define:1c,2"])
# {name} in the engine's and the databank's texts, %(name)s in the web UI's.
PLACEHOLDERS = (re.compile(r"\{(\w+)\}"), re.compile(r"%\((\w+)\)[sdif]"))

Key = tuple[str | None, str]  # (msgctxt, msgid)


@dataclass(frozen=True)
class Domain:
    name: str
    package: Path

    def po_path(self, lang: str) -> Path:
        return self.package / "translations" / lang / "LC_MESSAGES" / f"{self.name}.po"

    def texts_in_code(self) -> set[Key]:
        return _texts_in_code(self)


DOMAINS = (Domain("messages", ROOT / "webui"), Domain("engine", ROOT / "engine"), Domain("databank", ROOT / "databank"))


def _key(context: str | None, msgid: str | tuple[str, ...]) -> Key:
    return context, msgid if isinstance(msgid, str) else msgid[0]


@functools.cache
def _texts_in_code(domain: Domain) -> set[Key]:
    if domain.name == "messages":
        with (domain.package / "babel.cfg").open(encoding="utf-8") as fh:
            method_map, options_map = parse_mapping_cfg(fh)
        found = extract_from_dir(domain.package, method_map, options_map, keywords=WEBUI_KEYWORDS)
        return {_key(context, msgid) for _file, _line, msgid, _comments, context in found}
    found = extract_from_file("python", domain.package / "i18n.py", keywords=DEFINE_KEYWORDS)
    return {_key(context, msgid) for _line, msgid, _comments, context in found}


@functools.cache
def _catalogue(domain: Domain, lang: str):  # noqa: ANN202
    with domain.po_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang, domain=domain.name)


def _entries(domain: Domain, lang: str) -> list:
    return [entry for entry in _catalogue(domain, lang) if entry.id]


CATALOGUES = [pytest.param(domain, lang, id=f"{domain.package.name}-{lang}") for domain in DOMAINS
              for lang in TRANSLATED]


def test_the_engine_and_the_databank_define_their_texts_in_the_code() -> None:
    # The check below is only as good as the extraction: it must find every defined message.
    from databank.i18n import MESSAGES as DATABANK_MESSAGES
    from engine.i18n import MESSAGES as ENGINE_MESSAGES

    for name, messages in (("engine", ENGINE_MESSAGES), ("databank", DATABANK_MESSAGES)):
        domain = next(d for d in DOMAINS if d.name == name)
        assert domain.texts_in_code() == {(code, messages[code]["en"]) for code in messages}


@pytest.mark.parametrize(("domain", "lang"), CATALOGUES)
def test_every_entry_is_translated_and_none_is_fuzzy(domain: Domain, lang: str) -> None:
    catalogue = _catalogue(domain, lang)
    assert str(catalogue.locale) == lang, f"{domain.po_path(lang)} says Language: {catalogue.locale}"
    path = domain.po_path(lang).relative_to(ROOT)
    untranslated = [_key(e.context, e.id) for e in _entries(domain, lang)
                    if not (all(e.string) if isinstance(e.string, tuple) else e.string)]
    fuzzy = [_key(e.context, e.id) for e in _entries(domain, lang) if e.fuzzy]
    assert untranslated == [], f"untranslated in {path}: {untranslated}"
    assert fuzzy == [], f"fuzzy in {path} (check the translation, then remove the 'fuzzy' flag): {fuzzy}"


@pytest.mark.parametrize(("domain", "lang"), CATALOGUES)
def test_the_catalogue_is_up_to_date_with_the_code(domain: Domain, lang: str) -> None:
    in_code = domain.texts_in_code()
    in_catalogue = {_key(e.context, e.id) for e in _entries(domain, lang)}
    path = domain.po_path(lang).relative_to(ROOT)
    assert sorted(in_code - in_catalogue, key=str) == [], f"texts of the code missing from {path}: run make messages"
    assert sorted(in_catalogue - in_code, key=str) == [], f"entries of {path} the code no longer has: run make messages"


@pytest.mark.parametrize(("domain", "lang"), CATALOGUES)
def test_a_translation_has_the_placeholders_of_its_english(domain: Domain, lang: str) -> None:
    wrong = []
    for entry in _entries(domain, lang):
        sources = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        translations = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for pattern in PLACEHOLDERS:
            expected = set(pattern.findall(sources[0])) | set(pattern.findall(sources[-1]))
            for text in filter(None, translations):
                found = set(pattern.findall(text))
                # A plural form may leave the count out; a single text keeps every parameter.
                if found - expected or (len(sources) == 1 and found != expected):
                    wrong.append((entry.context, entry.id, text))
    assert wrong == [], f"placeholders differ from the English in {domain.po_path(lang).relative_to(ROOT)}: {wrong}"
