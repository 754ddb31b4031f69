"""Forms of the login, logout and personal settings pages."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from ..security import MIN_PASSWORD_LENGTH

# A plain check (the address is confirmed by use, not by the form): something@domain.tld, no spaces.
EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Write a valid e-mail address."))
LANGUAGE_CHOICES = [("", _l("The browser's language")), ("it", "Italiano"), ("fr", "Français"), ("en", "English")]


def new_password_field(label: Any, required: bool = True) -> PasswordField:
    """A password being chosen (at least MIN_PASSWORD_LENGTH characters; the browser may offer one)."""
    return PasswordField(label, validators=[DataRequired() if required else Optional(),
                                            Length(min=MIN_PASSWORD_LENGTH, max=1000)],
                         description=_l("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
                         render_kw={"autocomplete": "new-password"})


def repeated_password_field(label: Any, chosen: str, differ: Any, required: bool = True) -> PasswordField:
    """The chosen password typed again (`chosen`: the name of its field; `differ`: the message when not equal)."""
    validators = [DataRequired()] if required else []
    return PasswordField(label, validators=[*validators, EqualTo(chosen, message=differ)],
                         render_kw={"autocomplete": "new-password"})


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)],
                             render_kw={"autocomplete": "current-password"})


class SettingsForm(FlaskForm):
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)],
                               render_kw={"autocomplete": "name"})
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, validators=[Optional()])


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = new_password_field(_l("New password"))
    confirm = repeated_password_field(_l("New password again"), "new_password", _l("The passwords differ."))
