"""The message catalogues: English defined in the code, Italian and French read from the gettext .po files."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from databank.i18n import message as databank_message
from engine.i18n import MESSAGES, Catalogue, localize, message

from ..conftest import ROOT


def _write_po(directory: Path, lang: str, body: str) -> None:
    path = directory / lang / "LC_MESSAGES" / "sample.po"
    path.parent.mkdir(parents=True)
    header = f'msgid ""\nmsgstr ""\n"Language: {lang}\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
    path.write_text(header + textwrap.dedent(body), encoding="utf-8")


def test_engine_messages_come_from_the_catalogues_in_each_language() -> None:
    assert message("case_not_found", "en", case_id=7) == "Case 7 does not exist."
    assert message("case_not_found", "it", case_id=7) == "La pratica 7 non esiste."
    assert message("case_not_found", "fr", case_id=7) == "Le dossier 7 n'existe pas."
    expected = "il faut l'un de ces rôles : operator, admin."
    assert message("not_allowed.role", "fr", roles=["operator", "admin"]) == expected
    # A code nobody defined shows itself rather than nothing.
    assert message("no_such_code", "it", x=1) == "no_such_code {'x': 1}"


def test_an_entry_is_a_localized_text_in_the_three_languages() -> None:
    entry = MESSAGES["status.closed"]
    assert dict(entry) == {"it": "chiusa", "fr": "clos", "en": "closed"}
    assert localize(entry, "fr") == "clos"
    assert MESSAGES.get("no_such_code") is None
    assert "status.closed" in MESSAGES and len(MESSAGES) > 200


def test_the_databank_has_its_own_catalogue_and_reuses_the_engines() -> None:
    assert databank_message("value.not_number", "fr", value="abc") == "« abc » n'est pas un nombre."
    assert databank_message("reason.distance", "it", km=2.5, place="Genova") == "a 2,5 km da Genova"
    assert databank_message("case_not_found", "it", case_id=3) == "La pratica 3 non esiste."


def test_a_translation_counts_only_for_the_current_english_and_when_not_fuzzy(tmp_path: Path) -> None:
    _write_po(tmp_path, "it", """\
        msgctxt "greeting"
        msgid "Hello {name}."
        msgstr "Ciao {name}."

        msgctxt "farewell"
        msgid "Goodbye, old text."
        msgstr "Arrivederci, vecchio testo."

        #, fuzzy
        msgctxt "thanks"
        msgid "Thanks."
        msgstr "Grazie forse."
        """)
    catalogue = Catalogue("sample", tmp_path)
    catalogue.define("greeting", "Hello {name}.")
    catalogue.define("farewell", "Goodbye.")  # the English changed since the catalogue was translated
    catalogue.define("thanks", "Thanks.")
    assert catalogue.text("greeting", "it") == "Ciao {name}."
    assert catalogue.text("farewell", "it") == "Goodbye."
    assert catalogue.text("thanks", "it") == "Thanks."
    assert catalogue.text("greeting", "fr") == "Hello {name}."  # no French catalogue: English
    assert catalogue.text("greeting", "en") == "Hello {name}."
    assert catalogue.text("unknown", "it") is None


def test_a_code_is_defined_once(tmp_path: Path) -> None:
    catalogue = Catalogue("sample", tmp_path)
    catalogue.define("greeting", "Hello.")
    with pytest.raises(ValueError, match="greeting"):
        catalogue.define("greeting", "Hi.")


def test_importing_the_engine_reads_no_catalogue() -> None:
    # The command line starts fast: the .po files (and Babel) are read only when a translated text is needed.
    script = ("import sys, engine, engine.cli, databank.i18n\n"
              "assert not [m for m in sys.modules if m.startswith('babel')], 'babel imported at start'\n"
              "from engine.i18n import MESSAGES, message\n"
              "assert MESSAGES._translations == {}\n"
              "message('case_not_found', 'it', case_id=1)\n"
              "assert list(MESSAGES._translations) == ['it']\n")
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True)


def test_the_compiled_catalogue_is_rebuilt_when_its_source_changes(tmp_path: Path) -> None:
    _write_po(tmp_path, "fr", """\
        msgctxt "greeting"
        msgid "Hello."
        msgstr "Bonjour."
        """)
    first = Catalogue("sample", tmp_path)
    first.define("greeting", "Hello.")
    assert first.text("greeting", "fr") == "Bonjour."
    compiled = tmp_path / "fr" / "LC_MESSAGES" / "sample.mo"
    assert compiled.is_file()

    source = first.po_path("fr")
    source.write_text(source.read_text(encoding="utf-8").replace("Bonjour.", "Salut."), encoding="utf-8")
    later = compiled.stat().st_mtime + 5
    os.utime(source, (later, later))
    second = Catalogue("sample", tmp_path)
    second.define("greeting", "Hello.")
    assert second.text("greeting", "fr") == "Salut."


def test_a_catalogue_that_cannot_be_written_is_compiled_in_memory(tmp_path: Path) -> None:
    _write_po(tmp_path, "it", """\
        msgctxt "greeting"
        msgid "Hello."
        msgstr "Ciao."
        """)
    (tmp_path / "it" / "LC_MESSAGES" / "sample.mo").mkdir()  # stands for a place nobody may write to
    catalogue = Catalogue("sample", tmp_path)
    catalogue.define("greeting", "Hello.")
    assert catalogue.text("greeting", "it") == "Ciao."
