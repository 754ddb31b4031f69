"""The quick yes/no check of a form's answers agrees with the full validator that gives the errors: whatever the
quick check accepts, the full validator accepts too (the quick check only saves time on valid answers)."""
from __future__ import annotations

import pytest

from engine.cases import form_errors
from engine.pathway import build_pathway

TEXT = {"it": "x", "fr": "x", "en": "x"}


def _form():
    fields = [
        {"id": "start", "type": "date", "label": TEXT},
        {"id": "contact", "type": "email", "label": TEXT},
        {"id": "members", "type": "integer", "label": TEXT, "minimum": 1, "maximum": 9},
        {"id": "amount", "type": "number", "label": TEXT},
        {"id": "viable", "type": "boolean", "label": TEXT, "required": True},
        {"id": "sector", "type": "choice", "label": TEXT,
         "options": [{"value": "blue", "label": TEXT}, {"value": "green", "label": TEXT}]},
    ]
    stage = {"id": "s", "title": TEXT, "form": {"fields": fields},
             "exits": [{"id": "done", "label": TEXT, "outcome": "company_created"}]}
    return build_pathway({"id": "p", "version": 1, "title": TEXT, "stages": [stage]}).stages[0].form


@pytest.mark.parametrize("answers", [
    {"viable": True},
    {"viable": False, "start": "2026-02-28", "contact": "anna@example.org", "members": 3, "amount": 12.5,
     "sector": "blue"},
])
def test_valid_answers_pass_both_checks(answers):
    form = _form()
    assert form.accepts(answers)
    assert form_errors(form.json_schema(), answers, form.validator) == {}


@pytest.mark.parametrize("answers", [
    {},  # the required answer is missing
    {"viable": "yes"},
    {"viable": True, "start": "2026-02-30"},  # no such day
    {"viable": True, "start": "28/02/2026"},
    {"viable": True, "members": 0},
    {"viable": True, "members": True},  # a boolean is not a number of members
    {"viable": True, "members": 2.5},
    {"viable": True, "sector": "grey"},
    {"viable": True, "unknown": 1},
])
def test_invalid_answers_are_refused_by_both_checks(answers):
    form = _form()
    assert not form.accepts(answers)
    assert form_errors(form.json_schema(), answers, form.validator) != {}
