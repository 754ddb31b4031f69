"""Reading a number as a person typed it: one reader for every form, filter and page.

In a language, a number is read by that language's rules (Babel, with strict grouping): "1.500" is 1500 in
Italian, "1 234,50" is 1234.5 in French, "1,500.25" is 1500.25 in English. What the rules cannot read with
certainty ("1.5" in Italian: 15 or 1,5?) is refused with the readings it may have meant, never guessed.
Without a language (files, the API), the plain notation of machines is read: "1234.5", or "1234,5".
"""
from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation


_PLAIN = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_SPACES = re.compile(r"[ \u00a0\u202f\u2009]")
_LARGEST = Decimal(2) ** 53  # beyond it a float is no longer exact: kept as a fraction-free float


class NumberNotRead(ValueError):
    """`text` is not a number in `locale`; `suggestions` are the numbers it may have meant, as written there."""

    def __init__(self, text: str, locale: str | None, suggestions: list[str] | None = None):
        super().__init__(text)
        self.text, self.locale, self.suggestions = text, locale, list(suggestions or [])


def read_number(text: str, locale: str | None = None) -> int | float:
    """The number `text` says, an int when whole; raises NumberNotRead."""
    raw = text.strip()
    if locale is None:
        compact = _SPACES.sub("", raw)
        if not _PLAIN.match(compact):
            raise NumberNotRead(text, None)
        decimal = Decimal(compact.replace(",", "."))
    else:
        from babel.numbers import NumberFormatError, get_group_symbol, parse_decimal  # loaded when first read

        group = get_group_symbol(locale)
        # People type a plain or no-break space where the language groups with a narrow one.
        typed = _SPACES.sub(group, raw) if _SPACES.match(group) else raw
        try:
            decimal = parse_decimal(typed, locale=locale, strict=True)
        except NumberFormatError as exc:
            raise NumberNotRead(text, locale, getattr(exc, "suggestions", None)) from None
    if not decimal.is_finite():
        raise NumberNotRead(text, locale)
    try:
        if decimal == decimal.to_integral_value() and abs(decimal) < _LARGEST:
            return int(decimal)
        number = float(decimal)
    except (InvalidOperation, OverflowError):
        raise NumberNotRead(text, locale) from None
    if not math.isfinite(number):
        raise NumberNotRead(text, locale)
    return number


def write_number(value: int | float, locale: str | None = None) -> str:
    """A number as a person of `locale` types it, without grouping ("1234,5" in Italian), so that it reads
    back as the same number; plain notation without a locale."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        value = int(value)
    if locale is None or isinstance(value, bool):
        return str(value)
    from babel.numbers import format_decimal

    return format_decimal(value, locale=locale, group_separator=False, decimal_quantization=False)
