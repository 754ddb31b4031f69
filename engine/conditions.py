"""The condition language: data, never code.

    {all: [c, ...]}   {any: [c, ...]}   {not: c}
    {field: <stage>.<field> | case.<fact>, <op>: operand}
    {value: <expression>, <op>: operand}
      op: eq ne lt lte gt gte in contains exists before after

An operand of eq ne lt lte gt gte is a value or an expression; of before/after, a date ('YYYY-MM-DD') or
{field: <a date field>}. An expression is a number, {field: ref}, or one of

    {add: [e, e, ...]} {sub: [e, e]} {mul: [e, e, ...]} {div: [e, e]} {min: [e, e, ...]} {max: [e, e, ...]}
    {percent: [p, e]}  (p % of e)      {days_between: [date, date]}  (days from the first to the second)

e.g. "own capital ≥ 10 % of the asking price":
    {field: financing.own_capital, gte: {percent: [10, {field: business_plan.asking_price}]}}

A comparison on a field that has no value is false (except `exists: false`), so a condition on a form
that was not filled in simply does not hold; so is an expression that divides by zero or reads a field
without a value.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable, Iterator, Mapping

from .i18n import format_day, message

OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "exists", "before", "after")
NUMERIC_OPERATORS = ("lt", "lte", "gt", "gte")
DATE_OPERATORS = ("before", "after")
COMBINATORS = ("all", "any", "not")
# Expression functions: name -> (fewest operands, most operands or None)
FUNCTIONS = {"add": (2, None), "sub": (2, 2), "mul": (2, None), "div": (2, 2), "min": (2, None),
             "max": (2, None), "percent": (2, 2), "days_between": (2, 2)}
SUBJECTS = ("field", "value")  # what a comparison compares: a field or fact, or an expression

MISSING = object()

Lookup = Callable[[str], Any]  # returns MISSING when the field has no value


def shape_problems(cond: Any) -> Iterator[tuple[tuple, str, dict]]:
    """Structural mistakes in a condition: (relative path, problem code, params)."""
    if not isinstance(cond, Mapping):
        yield (), "condition_shape", {}
        return
    keys = [k for k in cond if k in COMBINATORS or k in SUBJECTS]
    ops = [k for k in cond if k in OPERATORS]
    if len(keys) != 1:
        yield (), "condition_shape", {}
        return
    key = keys[0]
    if key in SUBJECTS:
        if len(ops) != 1:
            yield (), "condition_operator", {"field": subject_ref(cond)}
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
    """Every comparison leaf of a (well-shaped) condition, with its path."""
    if any(k in cond for k in SUBJECTS):
        yield path, cond
    elif "not" in cond:
        yield from comparisons(cond["not"], path + ("not",))
    else:
        key = "all" if "all" in cond else "any"
        for i, sub in enumerate(cond.get(key, [])):
            yield from comparisons(sub, path + (key, i))


def operator_of(comparison: Mapping[str, Any]) -> str:
    return next(k for k in comparison if k in OPERATORS)


def subject_ref(comparison: Mapping[str, Any]) -> str:
    """The field a comparison is about ('' when it compares an expression)."""
    field = comparison.get("field")
    return field if isinstance(field, str) else ""


def is_expression(operand: Any) -> bool:
    return isinstance(operand, Mapping) and len(operand) == 1 and next(iter(operand)) in ("field", *FUNCTIONS)


def references(expression: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Every {field: ref} inside an expression, with its path."""
    if isinstance(expression, Mapping) and len(expression) == 1:
        (key, arg), = expression.items()
        if key == "field":
            yield path + ("field",), arg
        elif key in FUNCTIONS and isinstance(arg, list):
            for i, sub in enumerate(arg):
                yield from references(sub, path + (key, i))


def compute(expression: Any, lookup: Lookup) -> Any:
    """The value of an expression: a number or a date, or MISSING (a field without a value, a division by
    zero, a text that is not a date)."""
    if isinstance(expression, bool):
        return MISSING
    if isinstance(expression, (int, float)):
        return expression
    if isinstance(expression, str):
        return as_date(expression)
    if not is_expression(expression):
        return MISSING
    (key, arg), = expression.items()
    if key == "field":
        return lookup(arg)
    if key == "days_between":
        first, second = (as_date(compute(a, lookup)) for a in arg)
        return MISSING if first is MISSING or second is MISSING else (second - first).days
    values = [compute(a, lookup) for a in arg]
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in values):
        return MISSING
    if key == "add":
        return sum(values)
    if key == "sub":
        return values[0] - values[1]
    if key == "mul":
        product = 1
        for v in values:
            product *= v
        return product
    if key == "div":
        return MISSING if values[1] == 0 else values[0] / values[1]
    if key == "min":
        return min(values)
    if key == "max":
        return max(values)
    return values[0] * values[1] / 100  # percent


def as_date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return MISSING
    return MISSING


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
    value = lookup(cond["field"]) if "field" in cond else compute(cond["value"], lookup)
    if op == "exists":
        present = value is not MISSING and value is not None and value != "" and value != []
        return present == bool(expected)
    if value is MISSING or value is None:
        return False
    if op in DATE_OPERATORS:
        mine, other = as_date(value), as_date(compute(expected, lookup))
        if mine is MISSING or other is MISSING:
            return False
        return mine < other if op == "before" else mine > other
    if is_expression(expected):
        expected = compute(expected, lookup)
        if expected is MISSING or expected is None:
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


def fact_label(ref: str, lang: str) -> str | None:
    """The words for a case fact ('case.members' → 'Number of workers'), None if `ref` is not one."""
    owner, _, name = ref.partition(".")
    return message("fact." + name, lang) if owner == "case" else None


def describe(cond: Mapping[str, Any] | None, lang: str, label_of: Callable[[str], str],
             value_label: Callable[[str, Any], str] | None = None) -> str:
    """A readable rendering of a condition, e.g. 'Number of workers ≥ 3 and Viable = yes', with the labels
    of fields and facts, never their ids."""
    if cond is None:
        return ""

    def label(ref: str) -> str:
        return fact_label(ref, lang) or label_of(ref)

    for key, word in (("all", "condition.and"), ("any", "condition.or")):
        if key in cond:
            joiner = f" {message(word, lang)} "
            return "(" + joiner.join(describe(c, lang, label_of, value_label) for c in cond[key]) + ")"
    if "not" in cond:
        return message("condition.not", lang, condition=describe(cond["not"], lang, label_of, value_label))
    op = operator_of(cond)
    ref = subject_ref(cond)
    subject = label(ref) if ref else describe_expression(cond["value"], lang, label)
    shown = value_label or (lambda _ref, v: _show(v, lang))

    def operand(value: Any) -> str:
        if op in DATE_OPERATORS and isinstance(value, str):
            return format_day(value, lang)
        return describe_expression(value, lang, label) if is_expression(value) else shown(ref, value)

    symbol = {"eq": "=", "ne": "≠", "lt": "<", "lte": "≤", "gt": ">", "gte": "≥"}.get(op)
    if symbol:
        return f"{subject} {symbol} {operand(cond[op])}"
    if op in DATE_OPERATORS:
        return message("condition." + op, lang, field=subject, date=operand(cond[op]))
    if op == "in":
        return f"{subject} ∈ {{{', '.join(shown(ref, v) for v in cond[op])}}}"
    if op == "contains":
        return f"{subject} ∋ {shown(ref, cond[op])}"
    return message("condition.exists" if cond[op] else "condition.absent", lang, field=subject)


def describe_expression(expression: Any, lang: str, label: Callable[[str], str], nested: bool = False) -> str:
    """An expression in words: 'Own capital + Loans', '10 % of Asking price', 'days from Start to Today'."""
    if isinstance(expression, str):
        return format_day(expression, lang)  # a date literal of days_between
    if not is_expression(expression):
        return _show(expression, lang)
    (key, arg), = expression.items()
    if key == "field":
        return label(arg)
    parts = [describe_expression(a, lang, label, nested=True) for a in arg]
    symbol = {"add": " + ", "sub": " − ", "mul": " × ", "div": " ÷ "}.get(key)
    if symbol:
        text = symbol.join(parts)
        return f"({text})" if nested else text
    if key in ("min", "max"):
        return message("expression." + key, lang, values=f" {message('condition.and', lang)} ".join(parts))
    if key == "percent":
        return message("expression.percent", lang, percent=parts[0], value=parts[1])
    return message("expression.days_between", lang, first=parts[0], second=parts[1])


def _show(value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return message("condition.yes" if value else "condition.no", lang)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
