"""Forms of the county review."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from caseworks.core.choices import option
from caseworks.core.forms import DateField
from caseworks.review.models import SpotCheckResult


class ApproveForm(FlaskForm):
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])
    #: the case version the page was loaded with (a concurrent change is refused)
    version = HiddenField()


class SendBackForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for sending back"),
        validators=[DataRequired(message=_l("Give the reason for sending the case back.")), Length(max=2000)],
    )
    version = HiddenField()


class DrawSpotCheckForm(FlaskForm):
    start_date = DateField(_l("Approved from"), validators=[InputRequired(message=_l("Enter a date like 2026-09-01."))])
    end_date = DateField(_l("Approved until"), validators=[InputRequired(message=_l("Enter a date like 2026-09-01."))])
    percent = IntegerField(
        _l("Sample size (percent)"),
        validators=[
            InputRequired(message=_l("Enter a percentage from 1 to 100.")),
            NumberRange(min=1, max=100, message=_l("Enter a percentage from 1 to 100.")),
        ],
    )

    def validate_end_date(self, field):
        from wtforms.validators import ValidationError

        if self.start_date.data and field.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end of the period lies before its start."))


class SpotCheckResultForm(FlaskForm):
    #: nothing chosen in advance: a result is recorded only for a field check that happened
    result = SelectField(
        _l("Result of the field check"),
        choices=[option("", "—"), *SpotCheckResult.choices()],
        validators=[DataRequired(message=_l("Choose what the field check found."))],
    )
    checked_date = DateField(_l("Checked on"), validators=[InputRequired(message=_l("Enter a date like 2026-09-01."))])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
