"""Forms for areas and schools. Format rules live here; the rules about the tree (unique codes,
the parent's digits, what may be deactivated) live in the operations."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

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
        validators=[
            DataRequired(),
            Regexp(r"^\s*\d{10}\s*$", message=_l("The school identification code has 10 digits.")),
        ],
    )
    kind = SelectField(_l("Kind of school"), choices=SchoolKind.choices(), default=SchoolKind.PRIMARY.value)


def _known_placeholders(form, field):
    from caseworks.core.policy import notice_text_problem

    problem = notice_text_problem(field.data)
    if problem is not None:
        raise ValidationError(problem)


def _text(value):
    """A text field left out of the request is an empty text, never None."""
    return (value or "").strip()


def _days(label, low=1, high=365):
    return IntegerField(label, validators=[InputRequired(), NumberRange(low, high)])


def _own_days(label):
    """Days of the village cadre's own cadence: empty means the same as the teacher's."""
    return IntegerField(label, validators=[Optional(), NumberRange(1, 365)])


class PolicyForm(FlaskForm):
    """A county's policy profile (DOMAIN.md: every duration, threshold and document name is a
    setting of the jurisdiction)."""

    visit_interval_days = _days(_l("Days between visits of an open case (月家访)"))
    ladder_visit_interval_days = _days(_l("Days between visits while on the persuasion ladder"))
    monitoring_check_interval_days = _days(_l("Days between attendance checks during monitoring"))
    cadre_visit_interval_days = _own_days(_l("Village cadre: days between visits of an open case"))
    cadre_ladder_visit_interval_days = _own_days(_l("Village cadre: days between visits on the persuasion ladder"))
    cadre_monitoring_check_interval_days = _own_days(_l("Village cadre: days between checks during monitoring"))
    county_look_interval_days = _days(_l("Days between county looks at orphans and unsupported children (每月一看)"))
    stale_after_days = _days(_l("A case without contact for this many days is stale"))
    min_persuasion_contacts = _days(_l("Persuasion contacts needed before leaving school persuasion"), 0, 50)
    min_home_visits = _days(_l("Home visits among them"), 0, 50)
    notice_deadline_days = _days(_l("Deadline of a notice, in days from serving (7–15)"), 1, 90)
    monitoring_days = _days(_l("Monitoring period after a return, in days"))
    max_days_school_persuasion = _days(_l("Longest stay in school persuasion, in days"))
    max_days_township_persuasion = _days(_l("Longest stay in township persuasion, in days"))
    max_days_administrative = _days(_l("Longest stay in the administrative procedure, in days"))
    max_days_judicial = _days(_l("Longest stay in the judicial procedure, in days"), 1, 730)
    notice_number_prefix = StringField(
        _l("Notice number prefix (e.g. 义劝通字)"), validators=[DataRequired(), Length(max=20)]
    )
    notice_issuer = StringField(
        _l("Issuing authority on notices"), filters=[_text], validators=[Optional(), Length(max=100)]
    )
    urge_notice_title = StringField(_l("Title of the urging notice"), validators=[DataRequired(), Length(max=60)])
    urge_notice_text = TextAreaField(
        _l("Text of the urging notice"), validators=[DataRequired(), Length(max=4000), _known_placeholders]
    )
    order_notice_title = StringField(_l("Title of the order to correct"), validators=[DataRequired(), Length(max=60)])
    order_notice_text = TextAreaField(
        _l("Text of the order to correct"), validators=[DataRequired(), Length(max=4000), _known_placeholders]
    )
    spot_check_percent = _days(_l("Share of approved returns drawn for spot checks (%)"), 1, 100)
    school_age_min = _days(_l("Youngest school age, in years on the cut-off date"), 3, 10)
    school_age_max = _days(_l("Oldest school age, in years on the cut-off date"), 10, 20)
    school_year_cutoff_month = _days(_l("Cut-off date of the school year: month"), 1, 12)
    school_year_cutoff_day = _days(_l("Cut-off date of the school year: day"), 1, 31)
    absence_contact_days = _days(_l("School days absent in a row before the teacher contacts the family"), 1, 10)
    absence_report_days = _days(
        _l("School days absent in a row before a suspected dropout is reported with a joint home visit"), 1, 20
    )

    def validate_school_year_cutoff_day(self, field):
        from datetime import date

        month = self.school_year_cutoff_month.data
        if month and field.data:
            try:
                date(2025, month, field.data)  # not a leap year: no 29 February
            except ValueError:
                raise ValidationError(_l("No such day in that month.")) from None

    def validate_absence_report_days(self, field):
        contact = self.absence_contact_days.data
        if contact and field.data is not None and field.data < contact:
            raise ValidationError(_l("Cannot be fewer days than the family contact."))

    def validate_min_home_visits(self, field):
        if (
            self.min_persuasion_contacts.data is not None
            and field.data is not None
            and field.data > self.min_persuasion_contacts.data
        ):
            raise ValidationError(_l("Cannot exceed the persuasion contacts needed."))
