"""Forms of the enrolment register: uploading a file, the attendance sheet, a contact task."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional


class UploadForm(FlaskForm):
    kind = SelectField(_l("What the file holds"), validators=[DataRequired()])
    school_id = SelectField(_l("School"), coerce=int, validators=[InputRequired()])
    school_year = SelectField(_l("School year"), coerce=int, validators=[InputRequired()])
    file = FileField(_l("File (.xlsx, .xls or .csv)"), validators=[FileRequired()])
    partial = BooleanField(_l("The file holds only some pupils: do not mark the others as left"))


class AttendanceForm(FlaskForm):
    """The day of a class attendance sheet; the pupils' marks come as ``mark_<id>`` fields."""

    absence_date = DateField(_l("Date"), validators=[InputRequired()])


class TaskDoneForm(FlaskForm):
    note = TextAreaField(_l("What you found out"), validators=[Optional(), Length(max=2000)])


class MatchOpenForm(FlaskForm):
    """Opening cases from the matching list; the chosen children come as ``child`` values."""

    school_year = SelectField(_l("School year"), coerce=int, validators=[InputRequired()])
