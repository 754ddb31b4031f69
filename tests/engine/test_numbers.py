"""One reader of typed numbers: each language's rules, strict grouping, nothing guessed."""
from __future__ import annotations

import pytest

from engine.numbers import NumberNotRead, read_number, write_number


@pytest.mark.parametrize("text, locale, number", [
    ("1.500", "it", 1500), ("1.500,25", "it", 1500.25), ("2500,5", "it", 2500.5), ("-12,5", "it", -12.5),
    ("1 234,50", "fr", 1234.5), ("1\u00a0234,50", "fr", 1234.5), ("1\u202f234,50", "fr", 1234.5),
    ("1,500.25", "en", 1500.25), ("1500", "en", 1500),
    ("1234.5", None, 1234.5), ("1234,5", None, 1234.5), (" 42 ", None, 42),
])
def test_a_typed_number_is_read_by_its_languages_rules(text, locale, number):
    read = read_number(text, locale)
    assert read == number and type(read) is type(number)


@pytest.mark.parametrize("text, locale, suggestions", [
    ("1.5", "it", ["15", "1,5"]), ("2500,50", "en", ["250,050", "2,500.5"]), ("12.34.567", "it", ["1.234.567"]),
    ("NaN", "it", []), ("1e400", "fr", []), ("abc", None, []), ("1.2.3", None, []),
])
def test_what_cannot_be_read_with_certainty_is_refused_not_guessed(text, locale, suggestions):
    with pytest.raises(NumberNotRead) as refused:
        read_number(text, locale)
    assert refused.value.suggestions == suggestions


@pytest.mark.parametrize("number, locale", [(2500.5, "it"), (1234.5, "fr"), (1500, "en"), (0.125, "it"),
                                            (1500.0, None)])
def test_a_written_number_reads_back_the_same(number, locale):
    assert read_number(write_number(number, locale), locale) == number
