"""Forms of the designer workbench (the editor posts plain fields: its text is the file itself)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

IDENTIFIER = r"^[a-z][a-z0-9_]{0,62}$"


class CopyPathwayForm(FlaskForm):
    source = SelectField(_l("Copy of"), validators=[DataRequired()])
    new_id = StringField(_l("Identifier of the new pathway"), validators=[
        DataRequired(), Length(max=63),
        Regexp(IDENTIFIER, message=_l("Lower-case letters, digits and _ only, starting with a letter."))])


class UploadPathwayForm(FlaskForm):
    file = FileField(_l("Pathway file (YAML or JSON)"), validators=[FileRequired()])
