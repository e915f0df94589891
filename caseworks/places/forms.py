"""Forms for areas and schools. Format rules live here; the rules about the tree (unique codes,
the parent's digits, what may be deactivated) live in the operations."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from caseworks.core.choices import SchoolKind


class AreaForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    code = StringField(
        _l("Division code"),
        validators=[DataRequired(), Regexp(r"^\s*\d{12}\s*$", message=_l("The division code has 12 digits."))],
    )


class RenameAreaForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])


class SchoolForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    code = StringField(
        _l("School identification code"),
        validators=[DataRequired(), Regexp(r"^\s*\d{10}\s*$", message=_l("The school identification code has 10 digits."))],
    )
    kind = SelectField(_l("Kind of school"), choices=SchoolKind.choices(), default=SchoolKind.PRIMARY.value)
