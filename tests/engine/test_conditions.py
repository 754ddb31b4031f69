"""The condition language with arithmetic, field comparisons and dates: evaluated as data (never eval),
described in words with the fields' labels, and checked before a pathway is accepted."""
from __future__ import annotations

import textwrap

import pytest

from engine import conditions
from engine.conditions import MISSING, describe, evaluate
from engine.library import load_fragments
from engine.loader import parse_text
from engine.validation import check_source
from tests.conftest import SHIPPED_PATHWAYS

FACTS = {"plan.asking_price": 200_000, "plan.own_capital": 25_000, "plan.loans": 150_000, "plan.grant": 0,
         "plan.start": "2026-03-01", "plan.deadline": "2026-04-15", "case.members": 3, "case.today": "2026-03-20"}
LABELS = {"plan.asking_price": "Asking price", "plan.own_capital": "Own capital", "plan.loans": "Loans",
          "plan.grant": "Grant", "plan.start": "Start", "plan.deadline": "Deadline"}


def lookup(ref: str):  # noqa: ANN201
    return FACTS.get(ref, MISSING)


@pytest.mark.parametrize(("condition", "holds"), [
    ({"field": "plan.own_capital", "gte": {"percent": [10, {"field": "plan.asking_price"}]}}, True),
    ({"field": "plan.own_capital", "gte": {"percent": [15, {"field": "plan.asking_price"}]}}, False),
    ({"value": {"add": [{"field": "plan.own_capital"}, {"field": "plan.loans"}]}, "gte": 175_000}, True),
    ({"value": {"sub": [{"field": "plan.asking_price"}, {"field": "plan.loans"}]}, "lte": 50_000}, True),
    ({"field": "plan.loans", "lt": {"field": "plan.asking_price"}}, True),
    ({"value": {"div": [{"field": "plan.loans"}, {"field": "case.members"}]}, "eq": 50_000}, True),
    ({"value": {"min": [{"field": "plan.loans"}, 100_000]}, "eq": 100_000}, True),
    ({"value": {"max": [{"field": "plan.own_capital"}, {"mul": [2, 10_000]}]}, "eq": 25_000}, True),
    ({"field": "plan.start", "before": {"field": "plan.deadline"}}, True),
    ({"field": "plan.deadline", "after": "2026-05-01"}, False),
    ({"value": {"days_between": [{"field": "plan.start"}, {"field": "plan.deadline"}]}, "eq": 45}, True),
    ({"value": {"days_between": [{"field": "plan.start"}, {"field": "case.today"}]}, "gt": 30}, False),
])
def test_arithmetic_field_comparisons_and_dates_are_evaluated(condition, holds) -> None:  # noqa: ANN001
    assert not list(conditions.shape_problems(condition))
    assert evaluate(condition, lookup) is holds


def test_a_division_by_zero_or_a_field_without_value_makes_the_comparison_false_not_an_error() -> None:
    by_zero = {"value": {"div": [{"field": "plan.loans"}, {"field": "plan.grant"}]}, "gt": 0}
    assert evaluate(by_zero, lookup) is False
    assert evaluate({"not": by_zero}, lookup) is True
    assert evaluate({"field": "plan.loans", "gte": {"percent": [10, {"field": "plan.missing"}]}}, lookup) is False
    assert evaluate({"field": "plan.start", "before": "not a date"}, lookup) is False


def test_a_condition_is_described_with_labels_and_words_never_ids() -> None:
    rule = {"all": [
        {"field": "plan.own_capital", "gte": {"percent": [10, {"field": "plan.asking_price"}]}},
        {"field": "case.members", "gte": 2},
        {"value": {"days_between": [{"field": "plan.start"}, {"field": "case.today"}]}, "lte": 90},
        {"field": "plan.start", "before": {"field": "plan.deadline"}},
        {"value": {"min": [{"field": "plan.loans"}, {"sub": [{"field": "plan.asking_price"}, 1000]}]}, "gt": 5},
    ]}
    english = describe(rule, "en", LABELS.__getitem__)
    assert english == ("(Own capital ≥ 10 % of Asking price and Number of workers ≥ 2 and the days from Start to "
                       "today ≤ 90 and Start before Deadline and the smaller of Loans and (Asking price − 1000) > 5)")
    italian = describe(rule, "it", LABELS.__getitem__)
    assert "il 10 % di Asking price" in italian and "Numero di lavoratori ≥ 2" in italian
    assert "Start prima del Deadline" in italian
    french = describe(rule, "fr", LABELS.__getitem__)
    assert "Nombre de travailleurs ≥ 2" in french and "les jours du Start au aujourd'hui" in french
    for text in (english, italian, french):
        assert "case." not in text and "plan." not in text


PATHWAY = """\
id: buyout_check
version: 1
title: {it: Verifica, fr: Vérification, en: Check}
stages:
  - id: plan
    title: {it: Piano, fr: Plan, en: Plan}
    form:
      fields:
        - {id: asking_price, type: number, label: {it: Prezzo, fr: Prix, en: Asking price}}
        - {id: own_capital, type: number, label: {it: Capitale, fr: Capital, en: Own capital}}
        - {id: name, type: string, label: {it: Nome, fr: Nom, en: Name}}
        - {id: start, type: date, label: {it: Inizio, fr: Début, en: Start}}
    exits:
      - id: go
        label: {it: Avanti, fr: Suite, en: Go}
        outcome: company_created
        when: WHEN
"""


def problems_of(when: str) -> list[tuple[str, str]]:
    text = PATHWAY.replace("WHEN", when)
    checked = check_source(parse_text(text, "buyout_check.yaml"), load_fragments(SHIPPED_PATHWAYS)[0])
    return [(p.code, ".".join(map(str, p.path[4:]))) for p in checked.errors]


def test_a_sound_rule_with_arithmetic_validates() -> None:
    assert problems_of("{field: plan.own_capital, gte: {percent: [10, {field: plan.asking_price}]}}") == []
    assert problems_of("{value: {days_between: [{field: plan.start}, {field: case.today}]}, lt: 30}") == []
    assert problems_of("{field: plan.start, after: '2026-01-01'}") == []


@pytest.mark.parametrize(("when", "expected"), [
    ("{field: plan.own_capital, gte: {percent: [10, {field: plan.asking_prise}]}}",
     [("unknown_field", "when.gte.percent.1.field")]),
    ("{field: plan.own_capital, gte: {add: [{field: plan.name}, 5]}}",
     [("expression_type", "when.gte.add.0")]),
    ("{value: {div: [{field: plan.own_capital}, 0]}, gt: 1}", [("division_by_zero", "when.value.div.1")]),
    ("{field: plan.name, gt: {field: plan.own_capital}}", [("condition_compare_types", "when.gt")]),
    ("{field: plan.own_capital, before: {field: plan.start}}", [("condition_compare_types", "when.before")]),
    ("{value: {days_between: [{field: plan.own_capital}, {field: case.today}]}, gt: 1}",
     [("expression_date", "when.value.days_between.0")]),
    ("{field: plan.start, lt: 3}", [("condition_type", "when.lt")]),
])
def test_unknown_fields_type_mismatches_and_a_division_by_zero_are_located_errors(when, expected) -> None:  # noqa: ANN001
    assert problems_of(when) == expected


def test_each_new_problem_reads_in_three_languages() -> None:
    text = PATHWAY.replace("WHEN", "{value: {div: [{field: plan.own_capital}, 0]}, gt: 1}")
    problem = check_source(parse_text(text, "buyout_check.yaml"), load_fragments(SHIPPED_PATHWAYS)[0]).errors[0]
    assert "division by zero" in problem.message("en")
    assert "divisione per zero" in problem.message("it") and "division par zéro" in problem.message("fr")
    assert textwrap.dedent(problem.format()).startswith("buyout_check.yaml:")


def test_dates_in_a_described_condition_are_written_the_readers_way() -> None:
    rule = {"all": [{"field": "plan.start", "after": "2026-05-30"},
                    {"value": {"days_between": ["2026-01-15", {"field": "plan.deadline"}]}, "lte": 180}]}
    assert describe(rule, "en", LABELS.__getitem__) == (
        "(Start after 30 May 2026 and the days from 15 Jan 2026 to Deadline ≤ 180)")
    assert "Start dopo il 30 mag 2026" in describe(rule, "it", LABELS.__getitem__)
    assert "Start après le 30 mai 2026" in describe(rule, "fr", LABELS.__getitem__)
