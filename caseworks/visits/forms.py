"""Forms for visits and contacts, planning them, and support measures."""

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileSize, MultipleFileField
from wtforms import FloatField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from caseworks.cases.forms import MultiCheckboxField, not_in_future
from caseworks.core import images
from caseworks.core.choices import Attitude, SupportKind, VisitMethod, Visitor, VisitOutcome, Willingness, option
from caseworks.core.forms import DateField
from caseworks.core.images import MAX_PHOTO_BYTES, image_type

MAX_PHOTOS = 4
__all__ = ["MAX_PHOTO_BYTES", "image_type"]  # used by the visit views


class LogVisitForm(FlaskForm):
    """A visit or contact that has been done."""

    #: generated when the form is shown; a resubmission (double tap, retried sync) is recognised
    client_uuid = HiddenField()
    visit_date = DateField(_l("Date of the visit"), validators=[InputRequired(), not_in_future])
    method = SelectField(_l("Method"), choices=VisitMethod.choices(), validators=[DataRequired()])
    visitors = MultiCheckboxField(_l("Who went"), choices=Visitor.choices())
    visitor_names = StringField(_l("Names of those who went"), validators=[Optional(), Length(max=200)])
    met_with = StringField(_l("Whom you met"), validators=[Optional(), Length(max=200)])
    findings = TextAreaField(_l("What you found"), validators=[Optional(), Length(max=4000)])
    guardian_attitude = SelectField(
        _l("Guardian's attitude"), choices=[option("", "—"), *Attitude.choices()], validators=[Optional()]
    )
    child_willingness = SelectField(
        _l("Child's willingness"), choices=[option("", "—"), *Willingness.choices()], validators=[Optional()]
    )
    outcome = SelectField(
        _l("Outcome"),
        choices=[option("", "—"), *VisitOutcome.choices()],
        validators=[DataRequired(message=_l("Choose the outcome of the visit."))],
    )
    agreed_return_date = DateField(_l("Agreed return date"), validators=[Optional()])
    next_step = TextAreaField(_l("Next step"), validators=[Optional(), Length(max=2000)])
    latitude = FloatField(validators=[Optional(), NumberRange(-90, 90)])
    longitude = FloatField(validators=[Optional(), NumberRange(-180, 180)])
    photos = MultipleFileField(
        _l("Photos"),
        validators=[
            FileAllowed(["jpg", "jpeg", "png", "webp"], _l("Photos must be JPEG, PNG or WebP images.")),
            FileSize(max_size=MAX_PHOTO_BYTES, message=_l("Each photo may be at most 5 MB.")),
        ],
    )

    #: the photos as they are stored (re-encoded), once the form has validated
    stored_photos = ()

    def validate_client_uuid(self, field):
        """The key a resent form is recognised by: a UUID, as the page made it."""
        if not field.data:
            return
        try:
            field.data = str(uuid.UUID(field.data))
        except ValueError:
            field.data = None
            raise ValidationError(_l("This form was damaged: reload the page and enter the visit again.")) from None

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.outcome.data == VisitOutcome.AGREED_TO_RETURN:
            if not self.agreed_return_date.data:
                self.agreed_return_date.errors.append(_l("Enter the date the family agreed the child returns."))
                valid = False
            elif self.visit_date.data and self.agreed_return_date.data < self.visit_date.data:
                self.agreed_return_date.errors.append(_l("The agreed return date lies before the visit."))
                valid = False
        files = [f for f in (self.photos.data or []) if getattr(f, "filename", "")]
        if len(files) > MAX_PHOTOS:
            self.photos.errors.append(_l("At most %(n)s photos per visit.", n=MAX_PHOTOS))
            valid = False
        elif not self.photos.errors:
            self.stored_photos = []
            for f in files:
                try:
                    data = images.reencode(f.stream.read(MAX_PHOTO_BYTES + 1))
                except images.BadImage as bad:
                    self.photos.errors.append(bad.message)
                    valid = False
                    break
                name = (f.filename.rsplit(".", 1)[0] or "photo") + ".jpg"
                self.stored_photos.append({"filename": name, "content_type": "image/jpeg", "data": data})
        return valid


class PlanVisitForm(FlaskForm):
    due_date = DateField(_l("Due by"), validators=[InputRequired()])
    assignee_id = SelectField(_l("Who should go"), coerce=int, validators=[InputRequired()])


class AssignLookForm(FlaskForm):
    assignee_id = SelectField(_l("County staff member"), coerce=int, validators=[InputRequired()])


class CancelVisitForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])


class SupportForm(FlaskForm):
    kind = SelectField(_l("Kind of support"), choices=SupportKind.choices(), validators=[DataRequired()])
    detail = TextAreaField(_l("What is provided"), validators=[DataRequired(), Length(max=2000)])
    department = StringField(_l("Department (for a referral)"), validators=[Optional(), Length(max=100)])
    responsible = StringField(_l("Responsible"), validators=[DataRequired(), Length(max=100)])
    start_date = DateField(_l("From"), validators=[InputRequired()])
    end_date = DateField(_l("Until"), validators=[Optional()])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.kind.data == SupportKind.REFERRAL and not (self.department.data or "").strip():
            self.department.errors.append(_l("Name the department the case is referred to."))
            valid = False
        return valid
