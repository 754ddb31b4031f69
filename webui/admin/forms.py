"""Forms of the administration pages: desks, users, mentors."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..auth.forms import EMAIL, LANGUAGE_CHOICES
from ..cases.forms import MultiCheckboxField
from ..security import MIN_PASSWORD_LENGTH

ROLE_CHOICES = [("admin", _l("Administrator")), ("operator", _l("Operator")), ("mentor", _l("Mentor")),
                ("designer", _l("Methodology designer")), ("worker", _l("Worker"))]
IDENTIFIER = Regexp(r"^[a-z0-9][a-z0-9_.-]*$", message=_l("Lower-case letters, digits, dots, dashes and underscores."))


class DeskForm(FlaskForm):
    id = StringField(_l("Identifier"), validators=[DataRequired(), Length(max=64), IDENTIFIER],
                     description=_l("Short and permanent, e.g. genova."))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    country = SelectField(_l("Country"), choices=[("IT", _l("Italy")), ("FR", _l("France"))])
    region = StringField(_l("Region"), validators=[Optional(), Length(max=100)])


class UserForm(FlaskForm):
    id = StringField(_l("Identifier"), validators=[DataRequired(), Length(max=64), IDENTIFIER],
                     description=_l("Recorded in the history of the cases; it cannot change."))
    email = EmailField(_l("E-mail"), validators=[DataRequired(), EMAIL, Length(max=254)])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    roles = MultiCheckboxField(_l("Roles"), choices=ROLE_CHOICES, validators=[DataRequired()])
    desks = MultiCheckboxField(_l("Help desks (for operators)"), choices=[])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, validators=[Optional()])
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, max=1000)],
                             description=_l("At least %(n)d characters. Leave empty to keep it unchanged.",
                                            n=MIN_PASSWORD_LENGTH),
                             render_kw={"autocomplete": "new-password"})
    disabled = BooleanField(_l("Account disabled"))
    unlock = BooleanField(_l("Clear the failed logins (unlock)"))


class AssignMentorForm(FlaskForm):
    case_id = IntegerField(_l("Case number"), validators=[DataRequired(), NumberRange(min=1)])
    mentor = SelectField(_l("Mentor"), choices=[], validators=[DataRequired()])
