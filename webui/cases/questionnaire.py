"""An assessment questionnaire (the common methodology) as a WTForms form, one fieldset per section.

As for stage forms, WTForms renders and reads; the engine checks the answers (complete ones on submission)
and gives the localized messages shown next to the questions.
"""
from __future__ import annotations

from typing import Any, Mapping

from flask_babel import gettext
from werkzeug.datastructures import MultiDict
from wtforms import Form, RadioField, SelectField, StringField, TextAreaField

from engine.assessment import SCALE, Assessment, Question
from engine.i18n import localize

from .forms import MultiCheckboxField
from .stage_form import Marked, form_values, posted_boolean, posted_number, posted_values

PREFIX = "q-"


def build(assessment: Assessment, lang: str, formdata: MultiDict | None = None,
          saved: Mapping[str, Any] | None = None) -> Form:
    class Questionnaire(Form):
        pass

    for q in assessment.questions:
        setattr(Questionnaire, q.id, _field(q, lang))
    if formdata is not None:
        return Questionnaire(formdata=formdata, prefix=PREFIX)
    return Questionnaire(data=_values(assessment, saved or {}), prefix=PREFIX)


def _field(q: Question, lang: str) -> Any:
    label = localize(q.text, lang)
    kwargs: dict[str, Any] = {"description": localize(q.help, lang) if q.help else "",
                              "validators": [Marked()] if q.required else []}
    if q.type == "scale":
        choices = []
        for value in range(SCALE[0], SCALE[1] + 1):
            anchor = q.anchors.get(value)
            choices.append((str(value), f"{value} — {localize(anchor, lang)}" if anchor else str(value)))
        return RadioField(label, choices=choices, validate_choice=False, **kwargs)
    if q.type == "number":
        # Text, not type="number": the number is typed as written in the person's language.
        return StringField(label, render_kw={"inputmode": "decimal", "autocomplete": "off"}, **kwargs)
    if q.type == "yes_no":
        return RadioField(label, choices=[("true", gettext("Yes")), ("false", gettext("No"))], validate_choice=False,
                          **kwargs)
    options = [(value, localize(text, lang)) for value, text, _scores in q.options]
    if q.type == "choice":
        if len(options) <= 6:
            return RadioField(label, choices=options, validate_choice=False, **kwargs)
        return SelectField(label, choices=[("", "—")] + options, validate_choice=False, **kwargs)
    if q.type == "choices":
        return MultiCheckboxField(label, choices=options, validate_choice=False, **kwargs)
    return TextAreaField(label, render_kw={"rows": 3, "maxlength": q.raw.get("max_length", 2000)}, **kwargs)


def _values(assessment: Assessment, answers: Mapping[str, Any]) -> dict[str, Any]:
    return form_values(assessment.questions, answers, boolean_type="yes_no", number_types=("scale", "number"))


def collect(assessment: Assessment, formdata: MultiDict) -> dict[str, Any]:
    """The posted answers as JSON values (unanswered questions left out)."""
    return posted_values(assessment.questions, formdata, PREFIX, {
        "scale": lambda raw: int(raw) if raw.isdigit() else raw,
        "number": posted_number,
        "yes_no": posted_boolean,
    })


def sample_answers(assessment: Assessment, seed: int = 0) -> dict[str, Any]:
    """Plausible complete answers (for the demo data and tests)."""
    import random

    rng = random.Random(seed)
    answers: dict[str, Any] = {}
    for q in assessment.questions:
        if q.type == "scale":
            answers[q.id] = rng.randint(2, 5)
        elif q.type == "number":
            low, high = q.raw.get("minimum", 0), q.raw.get("maximum", 10)
            answers[q.id] = int(min(max(low, 3), high))
        elif q.type == "yes_no":
            answers[q.id] = rng.random() < 0.6
        elif q.type == "choice":
            answers[q.id] = rng.choice(q.options)[0]
        elif q.type == "choices":
            answers[q.id] = [rng.choice(q.options)[0]]
        elif q.required:
            answers[q.id] = "Demo"
    return answers
