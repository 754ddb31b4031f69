"""One word per language for the same person: the mentor is "tutor" in Italian and "mentor" in French, in
every catalogue (web UI, engine, databank) and in the shipped pathways."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ["webui/translations/{lang}/LC_MESSAGES/messages.po", "engine/translations/{lang}/LC_MESSAGES/engine.po",
              "databank/translations/{lang}/LC_MESSAGES/databank.po"]
NOT_THE_WORD = {"it": re.compile(r"\bmentor", re.I), "fr": re.compile(r"\btut(eur|rice)", re.I)}


def _translations(lang: str) -> list[str]:
    texts = []
    for pattern in CATALOGUES:
        with open(ROOT / pattern.format(lang=lang), "rb") as handle:
            for entry in read_po(handle):
                strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
                texts += [s for s in strings if s]
    for path in sorted((ROOT / "pathways").rglob("*.yaml")):
        texts += re.findall(rf"^\s*{lang}:\s*(.+)$", path.read_text(encoding="utf-8"), re.M)
    return texts


def test_the_mentor_has_one_name_per_language():
    for lang, other_word in NOT_THE_WORD.items():
        found = [t for t in _translations(lang) if other_word.search(re.sub(r"%\(\w+\)\w|\{\w+\}", "", t))]
        assert found == [], (lang, found[:5])
