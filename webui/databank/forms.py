"""Forms of the databank pages. The values are checked by the databank's own rules (`databank.operations`),
which give localized problems per field; these forms only carry the values and show those problems."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, FieldList, Form, FormField, HiddenField, SelectField, SelectMultipleField, StringField,
    TextAreaField,
)
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from databank.territory import gazetteer
from databank.vocabulary import (
    AVAILABILITY, CATEGORIES, CONDITIONS, LEVELS, MOBILITY, OFFERS, OWNER_KINDS, SUPPLY_CHAIN_LABELS, label,
)

MAX_ROWS = 40  # the databank's own limit of occupations or skills per profile


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CompetenceEntry(Form):
    """One occupation or skill: the words typed (or picked from the taxonomy, which fills `uri`), a level,
    and the years of practice."""

    text = StringField(_l("Name"), validators=[Optional()], render_kw={"autocomplete": "off"})
    uri = HiddenField()
    level = SelectField(_l("Level"), choices=[], validate_choice=False)
    years = StringField(_l("Years"), validators=[Optional()], render_kw={"inputmode": "numeric", "size": 3})


class ProfileForm(FlaskForm):
    version = HiddenField()
    desk_id = SelectField(_l("Help desk"), choices=[], validate_choice=False)
    display_name = StringField(_l("Name"), render_kw={"autocomplete": "off"})
    email = StringField(_l("E-mail"), render_kw={"autocomplete": "off", "type": "email"})
    phone = StringField(_l("Phone"), render_kw={"autocomplete": "off", "type": "tel"})
    summary = TextAreaField(_l("Summary"), render_kw={"rows": 3})
    years_experience = StringField(_l("Years of experience"), render_kw={"inputmode": "numeric"})
    occupations = FieldList(FormField(CompetenceEntry), min_entries=0, max_entries=MAX_ROWS)
    skills = FieldList(FormField(CompetenceEntry), min_entries=0, max_entries=MAX_ROWS)
    qualifications = TextAreaField(_l("Qualifications"), render_kw={"rows": 2},
                                   description=_l("One per line."))
    languages = StringField(_l("Languages"), description=_l("Codes with an optional level, separated by ';': it:native; en:B1"))
    region = SelectField(_l("Region"), choices=[], validate_choice=False)
    province = SelectField(_l("Province or département"), choices=[], validate_choice=False)
    municipality = StringField(_l("Municipality"))
    latitude = StringField(_l("Latitude"), render_kw={"inputmode": "decimal"})
    longitude = StringField(_l("Longitude"), render_kw={"inputmode": "decimal"})
    mobility = SelectField(_l("Mobility"), choices=[], validate_choice=False)
    availability = SelectField(_l("Availability"), choices=[], validate_choice=False)
    available_from = StringField(_l("Available from"), render_kw={"type": "date"})
    supply_chains = MultiCheckboxField(_l("Preferred supply chains"), choices=[], validate_choice=False)
    origin_firm = StringField(_l("Firm of origin"))
    origin_firm_nace = StringField(_l("Sector of the firm (NACE code)"), description=_l("For example C30.11."))
    consent_to_share = BooleanField(_l("The worker consents to sharing the whole profile with the other help desks"))
    case_id = StringField(_l("Case number (optional)"), render_kw={"inputmode": "numeric"})
    person_id = HiddenField()


class ResourceForm(FlaskForm):
    version = HiddenField()
    desk_id = SelectField(_l("Help desk"), choices=[], validate_choice=False)
    category = SelectField(_l("Category"), choices=[], validate_choice=False)
    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"), render_kw={"rows": 4})
    region = SelectField(_l("Region"), choices=[], validate_choice=False)
    province = SelectField(_l("Province or département"), choices=[], validate_choice=False)
    municipality = StringField(_l("Municipality"))
    address = StringField(_l("Address"))
    latitude = StringField(_l("Latitude"), render_kw={"inputmode": "decimal"})
    longitude = StringField(_l("Longitude"), render_kw={"inputmode": "decimal"})
    surface_m2 = StringField(_l("Surface (m²)"), render_kw={"inputmode": "decimal"})
    capacity = StringField(_l("Size or capacity"), description=_l("For example: 5 axes, 3000 x 1500 mm; 250 kWp."))
    condition = SelectField(_l("Condition"), choices=[], validate_choice=False)
    offers = MultiCheckboxField(_l("Offered for"), choices=[], validate_choice=False)
    available_from = StringField(_l("Available from"), render_kw={"type": "date"})
    terms = TextAreaField(_l("Terms"), render_kw={"rows": 2})
    owner_kind = SelectField(_l("Owner or administrator"), choices=[], validate_choice=False)
    owner_name = StringField(_l("Name of the owner or administrator"))
    contact_name = StringField(_l("Contact person"))
    contact_email = StringField(_l("Contact e-mail"), render_kw={"type": "email"})
    contact_phone = StringField(_l("Contact phone"), render_kw={"type": "tel"})
    origin_firm = StringField(_l("Firm of origin"))
    origin_firm_nace = StringField(_l("Sector of the firm (NACE code)"), description=_l("For example C30.11."))
    supply_chains = MultiCheckboxField(_l("Supply chains"), choices=[], validate_choice=False)
    published = BooleanField(_l("Show in the public catalogue (without the contact person)"), default=True)
    exact_location_public = BooleanField(_l("The owner agrees to show the exact place publicly (otherwise the "
                                            "catalogue shows only the municipality)"), default=False)


class FileForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[("photo", _l("Photo (JPEG, PNG)")),
                                            ("document", _l("Document (PDF, office files, text, images)"))])
    caption = StringField(_l("Caption"))


class ImportForm(FlaskForm):
    kind = SelectField(_l("What the file holds"), choices=[("profiles", _l("Profiles")),
                                                           ("resources", _l("Resources"))])
    desk_id = SelectField(_l("Help desk of the new entries"), choices=[], validate_choice=False)


class MatchingForm(Form):
    """What the case needs (a GET form: it changes nothing)."""

    categories = MultiCheckboxField(_l("Resources needed"), choices=[], validate_choice=False)
    region = SelectField(_l("Region"), choices=[], validate_choice=False)
    province = SelectField(_l("Province or département"), choices=[], validate_choice=False)
    municipality = StringField(_l("Municipality"))
    supply_chains = MultiCheckboxField(_l("Supply chains"), choices=[], validate_choice=False)
    min_surface_m2 = StringField(_l("Minimum surface (m²)"), render_kw={"inputmode": "decimal"})
    offers = MultiCheckboxField(_l("Acceptable terms"), choices=[], validate_choice=False)
    skills = StringField(_l("Skills needed"), description=_l("Separated by ';'."),
                         render_kw={"autocomplete": "off", "data-esco": "skill"})
    occupations = StringField(_l("Occupations needed"), description=_l("Separated by ';'."),
                              render_kw={"autocomplete": "off", "data-esco": "occupation"})
    words = StringField(_l("Key words"), description=_l("For example: CNC crane"))


# --- choices in the user's language -----------------------------------------------------------------

def vocabulary_choices(vocabulary: str, codes: tuple[str, ...], lang: str, empty: str | None = None
                       ) -> list[tuple[str, str]]:
    choices = [(code, label(vocabulary, code, lang)) for code in codes]
    return ([("", empty)] if empty is not None else []) + choices


def region_choices(lang: str, empty: str) -> list[tuple[str, str]]:
    places = gazetteer()
    regions = sorted(places.children(None, "region"), key=lambda p: (p.country, p.name(lang)))
    return [("", empty)] + [(p.code, f"{p.name(lang)} ({p.country})") for p in regions]


def province_choices(lang: str, empty: str) -> list[tuple[str, str]]:
    places = gazetteer()
    out = [("", empty)]
    for region in sorted(places.children(None, "region"), key=lambda p: (p.country, p.name(lang))):
        for province in sorted(places.children(region.code, "province"), key=lambda p: p.name(lang)):
            out.append((province.code, f"{province.name(lang)} – {region.name(lang)}"))
    return out


def level_choices(lang: str, empty: str) -> list[tuple[str, str]]:
    return [("", empty)] + [(str(i), label("level", code, lang)) for i, code in enumerate(LEVELS, 1)]


def fill_profile_choices(form: ProfileForm, lang: str, desks: list[tuple[str, str]], texts: dict[str, str]) -> None:
    form.desk_id.choices = desks
    form.region.choices = region_choices(lang, texts["none"])
    form.province.choices = province_choices(lang, texts["none"])
    form.mobility.choices = vocabulary_choices("mobility", MOBILITY, lang)
    form.availability.choices = vocabulary_choices("availability", AVAILABILITY, lang)
    form.supply_chains.choices = [(c, SUPPLY_CHAIN_LABELS[c][lang]) for c in SUPPLY_CHAIN_LABELS]
    for entry in [*form.occupations.entries, *form.skills.entries]:
        entry.form.level.choices = level_choices(lang, texts["level"])


def fill_resource_choices(form: ResourceForm, lang: str, desks: list[tuple[str, str]], texts: dict[str, str]) -> None:
    form.desk_id.choices = desks
    form.category.choices = vocabulary_choices("category", CATEGORIES, lang, texts["choose"])
    form.region.choices = region_choices(lang, texts["none"])
    form.province.choices = province_choices(lang, texts["none"])
    form.condition.choices = vocabulary_choices("condition", CONDITIONS, lang)
    form.offers.choices = vocabulary_choices("offer", OFFERS, lang)
    form.owner_kind.choices = vocabulary_choices("owner_kind", OWNER_KINDS, lang)
    form.supply_chains.choices = [(c, SUPPLY_CHAIN_LABELS[c][lang]) for c in SUPPLY_CHAIN_LABELS]


def fill_matching_choices(form: MatchingForm, lang: str, texts: dict[str, str]) -> None:
    form.categories.choices = vocabulary_choices("category", CATEGORIES, lang)
    form.region.choices = region_choices(lang, texts["any"])
    form.province.choices = province_choices(lang, texts["any"])
    form.supply_chains.choices = [(c, SUPPLY_CHAIN_LABELS[c][lang]) for c in SUPPLY_CHAIN_LABELS]
    form.offers.choices = vocabulary_choices("offer", OFFERS, lang)


def set_errors(form: Any, errors: dict[str, list[str]]) -> list[str]:
    """Put the databank's problems next to their fields; return those of fields the form does not show."""
    others: list[str] = []
    for name, messages in errors.items():
        field = getattr(form, name, None) if name not in ("version", "csrf_token") else None
        if field is None or not hasattr(field, "errors"):
            others.extend(messages)
            continue
        field.errors = list(field.errors or []) + list(messages) if isinstance(field.errors, (list, tuple)) \
            else list(messages)
    return others


class OwnProfileForm(FlaskForm):
    """What a worker changes in their own profile (the desk keeps the rest up to date with them)."""

    version = HiddenField()
    email = StringField(_l("E-mail"), render_kw={"autocomplete": "email", "type": "email"})
    phone = StringField(_l("Phone"), render_kw={"autocomplete": "tel", "type": "tel"})
    summary = TextAreaField(_l("About me"), render_kw={"rows": 4})
    languages = StringField(_l("Languages"), description=_l("Codes with an optional level, separated by ';': it:native; en:B1"))
    municipality = StringField(_l("Municipality"))
    mobility = SelectField(_l("Mobility"), choices=[], validate_choice=False)
    availability = SelectField(_l("Availability"), choices=[], validate_choice=False)
    available_from = StringField(_l("Available from"), render_kw={"type": "date"})
    consent_to_share = BooleanField(_l("I agree that the other help desks see my whole profile, my name and contacts included"))


OWN_PROFILE_FIELDS = ("email", "phone", "summary", "languages", "municipality", "mobility", "availability",
                      "available_from", "consent_to_share")


def fill_own_profile_choices(form: OwnProfileForm, lang: str) -> None:
    form.mobility.choices = vocabulary_choices("mobility", MOBILITY, lang)
    form.availability.choices = vocabulary_choices("availability", AVAILABILITY, lang)
