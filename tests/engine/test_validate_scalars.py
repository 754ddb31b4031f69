"""The loader reads a plain scalar as text without asking the YAML resolver when no resolver pattern starts with
its first character; what it reads must be exactly what the resolver would have typed it as."""
from __future__ import annotations

import pytest
import yaml

from engine.loader import LoadError, _Loader, parse_text

PLAIN = [
    "text", "Operator", "a b c", "yes", "no", "on", "off", "Yes", "y", "n", "true", "True", "TRUE", "tRUE",
    "false", "False", "null", "Null", "NULL", "nULL", "~", "none", "0", "17", "017", "-3", "+4", "1_000", "0x1F",
    "0o17", "1.5", ".5", "-.5", "+1.", "1e3", "1E-5", "1.0e+3", ".inf", "-.Inf", ".NaN", "2026-12-06",
    "2026-12-06T10:00:00Z", "1:30", "12:30:45", "=", "<", "<<", "é", "Ça va", "--", "-a", ".", "..",
    "0.", "00", "9" * 20, "t", "f", "nan", "inf", "0b101",
]


def _resolved_as(value: str) -> object:
    """What the YAML 1.2 resolver of `_Loader` makes of a plain scalar, with the loader's rules on top: dates
    stay text, integers beyond what JSON holds and NaN or infinities are refused."""
    tag = _Loader("").resolve(yaml.ScalarNode, value, (True, False))
    if tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"):
        return value
    if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
                   "tag:yaml.org,2002:null"):
        return ("refused", "tag")
    if tag == "tag:yaml.org,2002:int":
        number = int(value, 10)
        return number if abs(number) <= 2**53 - 1 else ("refused", "out_of_range")
    loaded = _Loader("").construct_object(yaml.ScalarNode(tag, value), deep=False)
    if isinstance(loaded, float) and (loaded != loaded or loaded in (float("inf"), float("-inf"))):
        return ("refused", "not_a_number")
    return loaded


def _read(value: str) -> object:
    try:
        return parse_text(f"k: {value}\n", "s.yaml").data["k"]
    except LoadError as refused:
        return ("refused", refused.problem.code)


def test_the_resolver_has_no_patterns_for_every_first_character_nor_for_paths() -> None:
    # The loader's shortcut looks resolvers up by first character only: patterns for any character (key
    # None) or resolvers by path would be skipped.
    assert None not in _Loader.yaml_implicit_resolvers
    assert not _Loader.yaml_path_resolvers


@pytest.mark.parametrize("value", PLAIN)
def test_a_plain_scalar_is_read_as_the_resolver_types_it(value: str) -> None:
    read, expected = _read(value), _resolved_as(value)
    assert read == expected and type(read) is type(expected)


@pytest.mark.parametrize("value", ["yes", "017", "true", "null", "1.5", "x"])
def test_a_quoted_scalar_is_always_text(value: str) -> None:
    for quoted in (f"'{value}'", f'"{value}"'):
        assert parse_text(f"k: {quoted}\n", "s.yaml").data["k"] == value


def test_keys_stay_names_and_parts_are_located_when_asked() -> None:
    text = "017: a\n0E0: b\ntrue: c\n~: d\nlist:\n  - 1\n  - x\n  - {y: [true, 'z']}\n"
    doc = parse_text(text, "s.yaml")
    assert doc.data == {"017": "a", "0E0": "b", "true": "c", "null": "d", "list": [1, "x", {"y": [True, "z"]}]}
    assert doc.where(("list", 2, "y", 1)) == ("s.yaml", 8, 16)
    assert doc.where(("list", 1)) == ("s.yaml", 7, 5)
    assert doc.where(("null",)) == ("s.yaml", 4, 1)
    with pytest.raises(LoadError) as twice:
        parse_text("null: a\n~: b\n", "s.yaml")
    assert (twice.value.problem.code, twice.value.problem.line) == ("duplicate_key", 2)
