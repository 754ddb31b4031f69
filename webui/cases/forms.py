"""Forms of the desk page, the opening of a case and the case page's actions."""
from __future__ import annotations

from flask_babel import LazyString
from markupsafe import Markup, escape
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField, EmailField, FieldList, Form, FormField, HiddenField, RadioField, SelectField,
    SelectMultipleField, StringField, TextAreaField, TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.fields.choices import Choice
from wtforms.widgets import CheckboxInput, ListWidget, Select, html_params

from databank.vocabulary import label
from engine.pathway import SUPPLY_CHAINS

from ..auth.forms import EMAIL
from ..i18n import lang

# The databank's labels (one name per supply chain everywhere), in the language of the request.
SUPPLY_CHAIN_LABELS = {chain: LazyString(lambda chain=chain: label("supply_chain", chain, lang()))
                       for chain in SUPPLY_CHAINS}
STATUS_FILTERS = [
    ("open", _l("Open (active or on hold)")), ("active", _l("Active")), ("on_hold", _l("On hold")),
    ("closed", _l("Closed")), ("all", _l("All")),
]
# Each choice says which way it goes, in words (a column and "ascending" meant little for dates).
SORTS = [
    ("due:asc", _l("Due date, soonest first")), ("due:desc", _l("Due date, latest first")),
    ("opened:desc", _l("Newest cases first")), ("opened:asc", _l("Oldest cases first")),
    ("stage_entered:asc", _l("Longest in their stage first")),
    ("stage_entered:desc", _l("Most recently moved first")),
    ("title:asc", _l("Name, A to Z")), ("title:desc", _l("Name, Z to A")),
    ("id:desc", _l("Number, highest first")), ("id:asc", _l("Number, lowest first")),
]


class PlainSelect(Select):
    """wtforms' menu, its options written with plain string operations rather than one attribute formatter per
    option: the same HTML, for menus of many options (the desk page's hold every stage of every pathway)."""

    def __call__(self, field, **kwargs):  # noqa: ANN001, ANN003, ANN204
        choices = list(field.iter_choices()) if not self.multiple and not field.has_groups() else None
        if choices is None or any(not isinstance(c, Choice) or c.render_kw for c in choices):
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        for choice in choices:
            value = str(choice.value) if isinstance(choice.value, bool) else choice.value
            quoted = escape(value).replace(Markup('"'), Markup("&quot;"))  # as html_params writes a value
            label = escape(choice.label or choice.value)
            html.append(f'<option selected value="{quoted}">{label}</option>' if choice.selected
                        else f'<option value="{quoted}">{label}</option>')
        html.append("</select>")
        return Markup("".join(html))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DeskFilterForm(Form):
    """The desk page's filters: a GET form (no CSRF: it changes nothing)."""

    q = StringField(_l("Worker name"), validators=[Optional(), Length(max=100)])
    pathway = SelectField(_l("Pathway"), choices=[], validate_choice=False, widget=PlainSelect())
    stage = SelectField(_l("Stage"), choices=[], validate_choice=False, widget=PlainSelect())
    status = SelectField(_l("Status"), choices=STATUS_FILTERS, default="open", validate_choice=False,
                         widget=PlainSelect())
    supply_chain = SelectField(_l("Supply chain"), choices=[], validate_choice=False, widget=PlainSelect())
    mentor = SelectField(_l("Mentor"), choices=[], validate_choice=False, widget=PlainSelect())
    overdue = SelectField(_l("Due date"), choices=[("", _l("Any")), ("1", _l("Overdue only"))],
                          validate_choice=False, widget=PlainSelect())
    sort = SelectField(_l("Sort by"), choices=SORTS, default="due:asc", validate_choice=False, widget=PlainSelect())


class WorkerEntry(Form):
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)], render_kw={"autocomplete": "off"})
    email = EmailField(_l("E-mail (optional)"), validators=[Optional(), EMAIL, Length(max=254)],
                       render_kw={"autocomplete": "off"})
    # Optional, for the programme's breakdowns only: an empty choice means the worker prefers not to say.
    sex = SelectField(_l("Sex (optional)"), choices=[("", _l("Prefer not to say")), ("female", _l("Female")),
                                                      ("male", _l("Male")), ("other", _l("Other"))],
                      validators=[Optional()], validate_choice=False)
    birth_year = StringField(_l("Year of birth (optional)"), validators=[Optional()],
                             render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 4})


class OpenCaseForm(FlaskForm):
    desk = SelectField(_l("Help desk"), validators=[DataRequired()])
    pathway = RadioField(_l("Pathway"), validators=[InputRequired()])
    workers = FieldList(FormField(WorkerEntry), min_entries=3, max_entries=40)
    supply_chains = MultiCheckboxField(_l("Supply chains"),
                                       choices=[(s, SUPPLY_CHAIN_LABELS[s]) for s in SUPPLY_CHAINS])
    mentor = SelectField(_l("Mentor"), choices=[], validators=[Optional()])
    title = StringField(_l("Title of the case (optional)"), validators=[Optional(), Length(max=300)],
                        description=_l("By default the names of the workers."))


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=10000)])


class MeetingForm(FlaskForm):
    date = DateField(_l("Date"), validators=[InputRequired()])
    time = TimeField(_l("Time"), validators=[Optional()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    body = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=10000)])


class VersionForm(FlaskForm):
    version = HiddenField()
