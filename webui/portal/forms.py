"""Forms of the worker portal: setting a password from an invitation, asking for a sign-in link."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField
from wtforms.validators import DataRequired, Length

from ..auth.forms import EMAIL, new_password_field, repeated_password_field


class WelcomeForm(FlaskForm):
    way = RadioField(_l("How do you want to sign in?"), default="password", choices=[
        ("password", _l("With a password I choose")),
        ("link", _l("With a link sent to my e-mail each time")),
    ])
    password = new_password_field(_l("Your new password"), required=False)  # none for a sign-in by link
    confirm = repeated_password_field(_l("The same password again"), "password",
                                      _l("The two passwords are not the same."), required=False)


class NewPasswordForm(FlaskForm):
    password = new_password_field(_l("Your new password"))
    confirm = repeated_password_field(_l("The same password again"), "password",
                                      _l("The two passwords are not the same."))


class SignInLinkForm(FlaskForm):
    email = EmailField(_l("Your e-mail"), validators=[DataRequired(), Length(max=254), EMAIL],
                       render_kw={"autocomplete": "email"})


class ConfirmForm(FlaskForm):
    """A button only (and its CSRF token)."""
