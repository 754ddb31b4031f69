"""Words for full-text search, the same on SQLite and PostgreSQL.

Both databases index text we have already cut into words here: lower-case ASCII letters and digits
separated by single spaces. Accents are removed, and any other letter is spelled as `x` + 6 hex digits
(prefix-preserving), so FTS5's `unicode61` tokenizer and PostgreSQL's `simple` configuration see exactly
the same tokens and a query matches the same rows on both.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable

MAX_WORD = 64  # longer words are cut (PostgreSQL drops words over 2047 bytes; keep both the same)
MAX_QUERY_WORDS = 8
_SPELLED = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th",
                          "ı": "i", "ŀ": "l"})


_SPELLED_ANY = re.compile("[" + "".join(chr(c) for c in _SPELLED) + "]")
# Text that is ASCII once its accents are taken apart (nearly every Italian, French or English text): the
# accents dropped, its words are runs of ASCII letters and digits, found by one regular expression instead of
# a test of each character. U+034F is in the accents' block but is no accent (a separator, as below).
_ACCENTED_ASCII = re.compile("[\x00-\x7f\u0300-\u034e\u0350-\u036f]*")
_ACCENTS = re.compile("[\u0300-\u034e\u0350-\u036f]+")
_ASCII_WORD = re.compile("[A-Za-z0-9]+")  # (a compatibility letter such as ᴬ folds to a capital)


def words(text: str | None) -> list[str]:
    """The words of a text, in order, as the search indexes store them."""
    if not text:
        return []
    folded = text.casefold()
    if not folded.isascii():
        if _SPELLED_ANY.search(folded):  # (translating looks up every character: only when needed)
            folded = folded.translate(_SPELLED)
        folded = unicodedata.normalize("NFKD", folded)
    if _ACCENTED_ASCII.fullmatch(folded):
        return [word[:MAX_WORD] for word in _ASCII_WORD.findall(_ACCENTS.sub("", folded))]
    return _words_by_character(folded)


def _words_by_character(folded: str) -> list[str]:
    """The words of a case-folded, decomposed text, character by character: accents dropped, ASCII letters and
    digits kept, other letters spelled in hex, anything else a separator."""
    found: list[str] = []
    current: list[str] = []
    for ch in folded:
        if unicodedata.combining(ch):
            continue
        if ch.isascii():
            if ch.isalnum():
                current.append(ch)
                continue
        elif ch.isalnum():
            current.append(f"x{ord(ch):06x}")
            continue
        if current:
            found.append("".join(current)[:MAX_WORD])
            current = []
    if current:
        found.append("".join(current)[:MAX_WORD])
    return found


def normalized(text: str | None) -> str:
    """A text reduced to its words: for comparing labels whatever their case, accents or punctuation."""
    return " ".join(words(text))


def document(*parts: str | Iterable[str] | None) -> str:
    """The indexed form of several texts (each part a string or a list of strings)."""
    out: list[str] = []
    for part in parts:
        if part is None:
            continue
        if isinstance(part, str):
            out.extend(words(part))
        else:
            for item in part:
                out.extend(words(item))
    return " ".join(out)


def query_words(text: str | None) -> list[str]:
    """The words of a search: each must start a word of a matching entry (order and repeats ignored)."""
    seen: list[str] = []
    for word in words(text):
        if word not in seen:
            seen.append(word)
    return seen[:MAX_QUERY_WORDS]


def matches(query: str, indexed: str) -> bool:
    """What both databases compute, in Python: every query word is a prefix of some indexed word."""
    doc = indexed.split()
    return all(any(w.startswith(q) for w in doc) for q in query_words(query))
