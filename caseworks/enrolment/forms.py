"""Forms of the enrolment register: uploading a file, the attendance sheet, a contact task."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
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


class PupilForm(FlaskForm):
    """A pupil entered by hand; the roster's row rules check it (caseworks.enrolment.pupils)."""

    school_id = SelectField(_l("School"), coerce=int, validators=[InputRequired()])
    name = StringField(_l("Child's name"), validators=[DataRequired(), Length(max=50)])
    id_number = StringField(_l("Resident ID number"), validators=[DataRequired(), Length(max=20)])
    grade = SelectField(_l("Grade"), validators=[DataRequired()])
    class_name = StringField(_l("Class"), validators=[Optional(), Length(max=16)])
    student_no = StringField(_l("Student registry number"), validators=[Optional(), Length(max=30)])
    guardian_name = StringField(_l("Guardian"), validators=[Optional(), Length(max=50)])
    guardian_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])
    household_place = StringField(_l("Household registration place"), validators=[Optional(), Length(max=200)])
