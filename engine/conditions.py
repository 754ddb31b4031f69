"""The condition language: data, never code.

    {all: [c, ...]}   {any: [c, ...]}   {not: c}
    {field: <stage>.<field> | case.<fact>, <op>: value}   op: eq ne lt lte gt gte in contains exists

A comparison on a field that has no value is false (except `exists: false`), so a condition on a form
that was not filled in simply does not hold.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping

from .i18n import message

OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "exists")
NUMERIC_OPERATORS = ("lt", "lte", "gt", "gte")
COMBINATORS = ("all", "any", "not")

MISSING = object()

Lookup = Callable[[str], Any]  # returns MISSING when the field has no value


def shape_problems(cond: Any) -> Iterator[tuple[tuple, str, dict]]:
    """Structural mistakes in a condition: (relative path, problem code, params)."""
    if not isinstance(cond, Mapping):
        yield (), "condition_shape", {}
        return
    keys = [k for k in cond if k in COMBINATORS or k == "field"]
    ops = [k for k in cond if k in OPERATORS]
    if len(keys) != 1:
        yield (), "condition_shape", {}
        return
    key = keys[0]
    if key == "field":
        if len(ops) != 1:
            yield (), "condition_operator", {"field": cond.get("field")}
        return
    if ops:
        yield (ops[0],), "condition_operator_without_field", {"op": ops[0]}
    if key == "not":
        for sub_path, code, params in shape_problems(cond["not"]):
            yield ("not",) + sub_path, code, params
    else:
        for i, sub in enumerate(cond[key]):
            for sub_path, code, params in shape_problems(sub):
                yield (key, i) + sub_path, code, params


def comparisons(cond: Mapping[str, Any], path: tuple = ()) -> Iterator[tuple[tuple, Mapping[str, Any]]]:
    """Every {field: ..., op: ...} leaf of a (well-shaped) condition, with its path."""
    if "field" in cond:
        yield path, cond
    elif "not" in cond:
        yield from comparisons(cond["not"], path + ("not",))
    else:
        key = "all" if "all" in cond else "any"
        for i, sub in enumerate(cond.get(key, [])):
            yield from comparisons(sub, path + (key, i))


def operator_of(comparison: Mapping[str, Any]) -> str:
    return next(k for k in comparison if k in OPERATORS)


def evaluate(cond: Mapping[str, Any] | None, lookup: Lookup) -> bool:
    if cond is None:
        return True
    if "all" in cond:
        return all(evaluate(c, lookup) for c in cond["all"])
    if "any" in cond:
        return any(evaluate(c, lookup) for c in cond["any"])
    if "not" in cond:
        return not evaluate(cond["not"], lookup)
    op = operator_of(cond)
    expected = cond[op]
    value = lookup(cond["field"])
    if op == "exists":
        present = value is not MISSING and value is not None and value != "" and value != []
        return present == bool(expected)
    if value is MISSING or value is None:
        return False
    try:
        if op == "eq":
            return value == expected
        if op == "ne":
            return value != expected
        if op == "in":
            return value in expected
        if op == "contains":
            return isinstance(value, (list, str)) and expected in value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return {"lt": value < expected, "lte": value <= expected, "gt": value > expected, "gte": value >= expected}[op]
    except TypeError:
        return False


def describe(cond: Mapping[str, Any] | None, lang: str, label_of: Callable[[str], str],
             value_label: Callable[[str, Any], str] | None = None) -> str:
    """A readable rendering of a condition, e.g. 'Number of members ≥ 3 and Viable = yes'."""
    if cond is None:
        return ""
    for key, word in (("all", "condition.and"), ("any", "condition.or")):
        if key in cond:
            joiner = f" {message(word, lang)} "
            return "(" + joiner.join(describe(c, lang, label_of, value_label) for c in cond[key]) + ")"
    if "not" in cond:
        return message("condition.not", lang, condition=describe(cond["not"], lang, label_of, value_label))
    op = operator_of(cond)
    ref = cond["field"]
    shown = value_label or (lambda _ref, v: _show(v, lang))
    symbol = {"eq": "=", "ne": "≠", "lt": "<", "lte": "≤", "gt": ">", "gte": "≥"}.get(op)
    if symbol:
        return f"{label_of(ref)} {symbol} {shown(ref, cond[op])}"
    if op == "in":
        return f"{label_of(ref)} ∈ {{{', '.join(shown(ref, v) for v in cond[op])}}}"
    if op == "contains":
        return f"{label_of(ref)} ∋ {shown(ref, cond[op])}"
    return message("condition.exists" if cond[op] else "condition.absent", lang, field=label_of(ref))


def _show(value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return message("condition.yes" if value else "condition.no", lang)
    return str(value)
