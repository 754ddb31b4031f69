"""The form of a stage, as a WTForms form built from the pathway's field specs and their JSON Schema.

WTForms only renders and reads the fields: validation is the engine's (jsonschema, with localized messages),
so the same rules hold for the web page, the API and a scenario. Values are converted to JSON types here
(numbers, booleans, lists); what cannot be converted is passed as typed so that the schema names the error.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable, Iterable, Mapping

from flask_babel import gettext
from werkzeug.datastructures import MultiDict
from wtforms import EmailField, Form, RadioField, SelectField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, DateInput, ListWidget

from engine.cases import form_errors
from engine.errors import Unmet
from engine.i18n import localize, message
from engine.numbers import NumberNotRead, read_number, write_number
from engine.pathway import Form as StageFormSpec
from engine.pathway import FormField

from ..i18n import lang as request_language

from .forms import MultiCheckboxField

PREFIX = "field-"
RADIO_LIMIT = 6


class Marked:
    """No check (the engine validates): only marks the field as required for display and the browser."""

    field_flags = {"required": True}

    def __call__(self, form: Any, field: Any) -> None:
        return None


def build_form_class(spec: StageFormSpec, lang: str) -> type[Form]:
    schema = spec.json_schema()["properties"]

    class StageForm(Form):
        pass

    for f in spec.fields:
        setattr(StageForm, f.id, _field(f, schema[f.id], lang))
    return StageForm


def _field(f: FormField, schema: Mapping[str, Any], lang: str) -> Any:
    label = localize(f.label, lang)
    kwargs: dict[str, Any] = {"description": localize(f.help, lang) if f.help else ""}
    validators = [Marked()] if f.required else []
    render_kw: dict[str, Any] = {}
    if "maxLength" in schema:
        render_kw["maxlength"] = schema["maxLength"]
    if f.type == "text":
        return TextAreaField(label, validators=validators, render_kw={**render_kw, "rows": 4}, **kwargs)
    if f.type == "email":
        return EmailField(label, validators=validators, render_kw=render_kw, **kwargs)
    if f.type == "date":
        return StringField(label, validators=validators, widget=DateInput(), **kwargs)
    if f.type in ("integer", "number"):
        # Text, not type="number": people type the number as written in their language ("1.500,5").
        render_kw = {"inputmode": "numeric" if f.type == "integer" else "decimal", "autocomplete": "off"}
        return StringField(label, validators=validators, render_kw=render_kw, **kwargs)
    if f.type == "boolean":
        return RadioField(label, choices=[("true", gettext("Yes")), ("false", gettext("No"))],
                          validators=validators, validate_choice=False, **kwargs)
    options = [(value, localize(text, lang)) for value, text in f.options]
    if f.type == "choice":
        if len(options) <= RADIO_LIMIT:
            return RadioField(label, choices=options, validators=validators, validate_choice=False, **kwargs)
        return SelectField(label, choices=[("", "—")] + options, validators=validators, validate_choice=False,
                           **kwargs)
    if f.type == "choices":
        return MultiCheckboxField(label, choices=options, validators=validators, validate_choice=False, **kwargs)
    return StringField(label, validators=validators, render_kw=render_kw, **kwargs)


def make_form(spec: StageFormSpec, lang: str, formdata: MultiDict | None = None,
              saved: Mapping[str, Any] | None = None) -> Form:
    """The form filled with what was just posted, else with the saved data of the stage."""
    cls = build_form_class(spec, lang)
    if formdata is not None:
        return cls(formdata=formdata, prefix=PREFIX)
    return cls(data=to_form_values(spec, saved or {}), prefix=PREFIX)


def to_form_values(spec: StageFormSpec, data: Mapping[str, Any]) -> dict[str, Any]:
    return form_values(spec.fields, data, boolean_type="boolean", number_types=("integer", "number"))


def form_values(items: Iterable[Any], data: Mapping[str, Any], boolean_type: str,
                number_types: tuple[str, ...]) -> dict[str, Any]:
    """Saved JSON values as the strings a form shows (items have an `id` and a `type`)."""
    out: dict[str, Any] = {}
    for item in items:
        if item.id not in data:
            continue
        value = data[item.id]
        if item.type == boolean_type:
            out[item.id] = "true" if value is True else "false" if value is False else None
        elif item.type in number_types:
            out[item.id] = _plain_number(value)
        else:
            out[item.id] = value
    return out


def _plain_number(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return write_number(value, request_language())
    return str(value)


def collect(spec: StageFormSpec, formdata: MultiDict, prefix: str = PREFIX, lang: str | None = None) -> dict[str, Any]:
    """The posted values as JSON data for the engine (empty fields left out; numbers as written in `lang`, the
    page's language unless given)."""
    return posted_values(spec.fields, formdata, prefix, {
        "integer": partial(posted_integer, lang=lang),
        "number": partial(posted_number, lang=lang),
        "boolean": posted_boolean,
    })


def posted_values(items: Iterable[Any], formdata: MultiDict, prefix: str,
                  converters: Mapping[str, Callable[[str], Any]]) -> dict[str, Any]:
    """The posted values of `items` (each with an `id` and a `type`) as JSON, empty ones left out.

    Type "choices" gives a list; a type in `converters` is converted from the stripped text; any other stays text.
    """
    values: dict[str, Any] = {}
    for item in items:
        key = prefix + item.id
        if item.type == "choices":
            chosen = [v for v in formdata.getlist(key) if v]
            if chosen:
                values[item.id] = chosen
            continue
        raw = (formdata.get(key) or "").strip()
        if raw == "":
            continue
        convert = converters.get(item.type)
        values[item.id] = convert(raw) if convert else raw
    return values


def posted_number(raw: str, lang: str | None = None) -> Any:
    """A number as typed in `lang`, the page's language unless given ("1.500" is 1500 in Italian); what is not
    one stays as typed, for the form's check to refuse."""
    try:
        return read_number(raw, lang or request_language())
    except NumberNotRead:
        return raw


def posted_integer(raw: str, lang: str | None = None) -> Any:
    number = posted_number(raw, lang)
    return number if isinstance(number, int) else raw


def posted_boolean(raw: str) -> Any:
    return True if raw == "true" else False if raw == "false" else raw


def validate(spec: StageFormSpec, data: dict[str, Any]) -> dict[str, list[Unmet]]:
    """The engine's own check (JSON Schema), before any write is attempted."""
    return form_errors(spec.json_schema(), data)


def attach_errors(form: Form, errors: Mapping[str, list[str]]) -> list[str]:
    """Put each message next to its field; return those that belong to no field. Empty required fields are
    marked and named in one message for the form, not told one by one the same sentence."""
    required = message("form.required", request_language())
    general: list[str] = []
    missing: list[str] = []
    for name, messages in errors.items():
        field = form._fields.get(name)  # noqa: SLF001
        if field is None:
            general.extend(messages)
            continue
        if required in messages:
            missing.append(field.label.text)
            field.flags.missing = True
        field.errors = [m for m in messages if m != required]
    if missing:
        general.insert(0, gettext("Fill in the required fields: %(fields)s.", fields=", ".join(missing)))
    return general
