"""Forms of the public catalogue: the filters of the resource list (GET, no CSRF) and the contact form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, Form, SearchField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..auth.forms import EMAIL

MESSAGE_MIN, MESSAGE_MAX = 10, 5000


class ResourceFilterForm(Form):
    """Read from the query string; every choice is filled by the view in the page's language."""

    q = SearchField(_l("Words"), validators=[Optional(), Length(max=200)])
    category = SelectField(_l("Category"), validators=[Optional()], validate_choice=False)
    region = SelectField(_l("Region"), validators=[Optional()], validate_choice=False)
    chain = SelectField(_l("Supply chain"), validators=[Optional()], validate_choice=False)
    offer = SelectField(_l("Availability"), validators=[Optional()], validate_choice=False)


class ContactForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[
        DataRequired(message=_l("Write your name.")), Length(max=200, message=_l("At most %(max)d characters."))],
        render_kw={"autocomplete": "name"})
    email = EmailField(_l("Your e-mail"), validators=[
        DataRequired(message=_l("Write your e-mail address, so the help desk can answer.")), Length(max=254), EMAIL],
        render_kw={"autocomplete": "email"})
    organisation = StringField(_l("Organisation (optional)"), validators=[
        Optional(), Length(max=200, message=_l("At most %(max)d characters."))],
        render_kw={"autocomplete": "organization"})
    region = SelectField(_l("The area you are interested in"), validators=[Optional()], validate_choice=False)
    message = TextAreaField(_l("Your message"), validators=[
        DataRequired(message=_l("Write your message.")),
        Length(min=MESSAGE_MIN, max=MESSAGE_MAX,
               message=_l("Between %(min)d and %(max)d characters, please."))],
        render_kw={"rows": 6})
    # Left empty by people (it is out of sight and out of the tab order); filled by spam robots.
    website = StringField(_l("Leave this field empty"), validators=[Optional()],
                          render_kw={"autocomplete": "off", "tabindex": "-1"})
