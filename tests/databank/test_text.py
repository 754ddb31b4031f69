"""The words of a text: the shortcut for text that is ASCII but for its accents cuts the same words as the
character-by-character reading."""
from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from databank.text import _SPELLED, _words_by_character, words


def read_by_character(text: str) -> list[str]:
    return _words_by_character(unicodedata.normalize("NFKD", text.casefold().translate(_SPELLED))) if text else []


def test_accented_words_are_cut_like_the_character_by_character_reading():
    for text in ("Saldatore, soudeur: Gênes à La Spezia", "Città dell'Œuvre", "Straße ŀl ﬁne ᴬB ①²", "ı İ ǅ Å",
                 "a\u034fb", "cafe\u0301 e\u0327", "x" * 80 + "é" + "y" * 10, ""):
        assert words(text) == read_by_character(text), text


def test_every_character_between_letters_is_read_the_same():
    for code in [*range(0x0000, 0x3100), *range(0xfb00, 0xfffe), 0x1d2c, 0x1f600, 0x20000]:
        text = f"a{chr(code)}b {chr(code)}"
        assert words(text) == read_by_character(text), hex(code)


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from("abZ09 ,.-'àéçÀœßæøıǅﬁ①\u034f\u0301\u0327\u200bᴬŀЖ中"), max_size=70))
def test_any_mixture_is_read_the_same(text):
    assert words(text) == read_by_character(text)
