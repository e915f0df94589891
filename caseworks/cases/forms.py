"""Forms of the case register: the child with the case, its changes, assignment and the plan."""

import re

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from caseworks.core import clock, idnumber
from caseworks.core.choices import (
    CaseKind,
    DisabilityType,
    DropoutReason,
    Gender,
    Grade,
    GuardianRelation,
    SpecialGroup,
    option,
)
from caseworks.core.forms import DateField

MOBILE = re.compile(r"^1[3-9]\d{9}$")
#: a landline with area code, e.g. 0854-1234567
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
STUDENT_NO = re.compile(r"^(G\d{17}[\dX]|[LJ][0-9A-Z]{5,29})$")

ID_NUMBER_ERRORS = {
    "format": _l("A resident ID number has 18 characters: 17 digits, then a digit or X."),
    "birth date": _l("Characters 7 to 14 of this ID number are not a real date of birth."),
    "check digit": _l("The last character does not fit the others (check digit): look for a typing error."),
}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def not_in_future(form, field):
    if field.data and field.data > clock.today():
        raise ValidationError(_l("This date lies in the future."))


def phone_number(form, field):
    value = (field.data or "").replace(" ", "")
    field.data = value
    if value and not (MOBILE.match(value) or LANDLINE.match(value)):
        raise ValidationError(_l("Enter an 11-digit mobile number or a landline with its area code."))


class GuardianForm(Form):
    """One guardian; a row left wholly empty is ignored."""

    name = StringField(_l("Guardian's name"), validators=[Optional(), Length(max=50)])
    relation = SelectField(_l("Relation"), choices=GuardianRelation.choices(), validators=[Optional()])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20), phone_number])
    is_working_away = BooleanField(_l("Works away from home (外出务工)"))

    @property
    def is_blank(self):
        return not (self.name.data or "").strip() and not (self.phone.data or "").strip()

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        # name and phone are optional alone (a blank row is ignored) but go together
        if (self.name.data or "").strip() and not self.phone.data and not self.phone.errors:
            self.phone.errors.append(_l("Enter the guardian's phone number."))
            valid = False
        if (self.phone.data or "").strip() and not (self.name.data or "").strip():
            self.name.errors.append(_l("Enter the guardian's name."))
            valid = False
        return valid


class ChildFieldsMixin:
    """Fields and rules of the child, shared by registering and editing."""

    def _check_id_number(self):
        try:
            number = idnumber.validate(self.id_number.data)
        except idnumber.InvalidIDNumber as exc:
            raise ValidationError(ID_NUMBER_ERRORS[str(exc)]) from None
        self.id_number.data = number
        return number

    def validate_id_number(self, field):
        self._check_id_number()

    def validate_birth_date(self, field):
        if not field.data:
            return
        not_in_future(self, field)
        try:
            number = idnumber.validate(self.id_number.data)
        except idnumber.InvalidIDNumber:
            return  # the ID number's own error says what is wrong
        in_number = idnumber.birth_date_of(number)
        if in_number != field.data:
            raise ValidationError(
                _l("The birth date does not match the ID number, which says %(date)s.", date=format_date(in_number))
            )
        today = clock.today()
        years = today.year - field.data.year - ((today.month, today.day) < (field.data.month, field.data.day))
        if not 5 <= years <= 17:
            raise ValidationError(_l("A child registered here must be 5 to 17 years old (compulsory-education age)."))

    def validate_gender(self, field):
        try:
            number = idnumber.validate(self.id_number.data)
        except idnumber.InvalidIDNumber:
            return
        if idnumber.gender_of(number) != field.data:
            raise ValidationError(_l("The gender does not match the ID number (its 17th digit)."))

    def validate_student_no(self, field):
        value = (field.data or "").strip().upper()
        field.data = value or None
        if value and not STUDENT_NO.match(value):
            raise ValidationError(_l('A student registry number is "G" and the ID number, or begins with "L" or "J".'))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if SpecialGroup.DISABLED in (self.groups.data or []) and not self.disability_type.data:
            self.disability_type.errors.append(_l("Choose the type of disability."))
            valid = False
        return valid

    def validate_guardians(self, field):
        filled = [entry for entry in field.entries if not entry.form.is_blank]
        if not filled:
            raise ValidationError(_l("Enter at least one guardian with a phone number."))


def _case_fields(cls):
    """Add the fields shared by both case forms to ``cls``."""
    cls.name = StringField(_l("Child's name"), validators=[DataRequired(), Length(min=2, max=50)])
    cls.id_number = StringField(_l("Resident ID number"), validators=[DataRequired(), Length(max=20)])
    cls.gender = SelectField(_l("Gender"), choices=Gender.choices(), validators=[DataRequired()])
    cls.birth_date = DateField(_l("Date of birth"), validators=[InputRequired()])
    cls.student_no = StringField(_l("Student registry number (学籍号)"), validators=[Optional(), Length(max=30)])
    cls.village_id = SelectField(_l("Household village"), coerce=int, validators=[InputRequired()])
    cls.address = StringField(_l("Address"), validators=[DataRequired(), Length(max=200)])
    cls.groups = MultiCheckboxField(_l("Special groups"), choices=SpecialGroup.choices())
    cls.disability_type = SelectField(
        _l("Type of disability"), choices=[option("", "—"), *DisabilityType.choices()], validators=[Optional()]
    )
    cls.guardians = FieldList(FormField(GuardianForm), min_entries=2, max_entries=4)
    cls.school_id = SelectField(_l("School"), coerce=int, validators=[InputRequired()])
    cls.grade = SelectField(_l("Grade"), choices=[option("", "—"), *Grade.choices()], validators=[Optional()])
    cls.class_name = StringField(_l("Class"), validators=[Optional(), Length(max=16)])
    cls.dropout_date = DateField(_l("Stopped attending on"), validators=[Optional(), not_in_future])
    cls.reasons = MultiCheckboxField(_l("Reasons"), choices=DropoutReason.choices())
    cls.situation = TextAreaField(_l("Situation"), validators=[Optional(), Length(max=4000)])
    cls.plan_summary = TextAreaField(
        _l("Plan (一人一案): goals and approach"), validators=[Optional(), Length(max=4000)]
    )
    return cls


@_case_fields
class RegisterCaseForm(ChildFieldsMixin, FlaskForm):
    """Register a child and open their case. Choices of village and school come from the
    caller, limited to the user's reach."""

    kind = SelectField(_l("Kind of case"), choices=CaseKind.choices(), validators=[DataRequired()])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        # rules that depend on the kind and apply to fields that are otherwise optional
        if self.kind.data == CaseKind.DROPPED_OUT and not self.dropout_date.data and not self.dropout_date.errors:
            self.dropout_date.errors.append(_l("Enter when the child stopped attending."))
            valid = False
        if self.kind.data in (CaseKind.DROPPED_OUT, CaseKind.AT_RISK) and not self.reasons.data:
            self.reasons.errors.append(_l("Choose at least one reason."))
            valid = False
        return valid


@_case_fields
class EditCaseForm(ChildFieldsMixin, FlaskForm):
    """Change the child's and the case's facts; never the stage."""

    #: the case version the form was loaded with (a concurrent change is refused)
    version = HiddenField()


class AssignForm(FlaskForm):
    user_id = SelectField(_l("Person"), coerce=int, validators=[InputRequired()])
    version = HiddenField()


class PlanItemForm(FlaskForm):
    measure = TextAreaField(_l("Measure"), validators=[DataRequired(), Length(max=2000)])
    responsible = StringField(_l("Responsible"), validators=[DataRequired(), Length(max=100)])
    target_date = DateField(_l("By"), validators=[Optional()])


class TransitionForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    evidence = TextAreaField(_l("Evidence"), validators=[Optional(), Length(max=2000)])
    version = HiddenField()
