"""Forms of the worker portal: setting a password from an invitation, asking for a sign-in link."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from ..auth.forms import EMAIL
from ..security import MIN_PASSWORD_LENGTH


class WelcomeForm(FlaskForm):
    way = RadioField(_l("How do you want to sign in?"), default="password", choices=[
        ("password", _l("With a password I choose")),
        ("link", _l("With a link sent to my e-mail each time")),
    ])
    password = PasswordField(
        _l("Your new password"), validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, max=1000)],
        description=_l("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("The same password again"),
                            validators=[EqualTo("password", message=_l("The two passwords are not the same."))],
                            render_kw={"autocomplete": "new-password"})


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Your new password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1000)],
        description=_l("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("The same password again"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The two passwords are not the same."))],
                            render_kw={"autocomplete": "new-password"})


class SignInLinkForm(FlaskForm):
    email = EmailField(_l("Your e-mail"), validators=[DataRequired(), Length(max=254), EMAIL],
                       render_kw={"autocomplete": "email"})


class ConfirmForm(FlaskForm):
    """A button only (and its CSRF token)."""
