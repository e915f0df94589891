"""Forms of the ladder: a step with its reason, and what some steps need besides (the return,
a closure request, a legal step); notices, their service, and transfers."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from caseworks.cases.forms import not_in_future
from caseworks.core import clock
from caseworks.core.choices import ClosedOutcome, LegalStepKind, NoticeKind, ServiceMethod, option
from caseworks.core.forms import DateField
from caseworks.core.images import MAX_PHOTO_BYTES, image_type


class TransitionForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    evidence = TextAreaField(_l("Evidence"), validators=[Optional(), Length(max=2000)])
    version = HiddenField()


class LinesForm(TransitionForm):
    """A step that takes the case out of its first stage asks for the lines nobody holds yet
    (双线控辍); the view removes the fields of lines the user may not assign."""

    teacher_id = SelectField(_l("Assigned teacher"), coerce=int, validators=[Optional()])
    cadre_id = SelectField(_l("Village cadre"), coerce=int, validators=[Optional()])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for name, message in (
            ("teacher_id", _l("Choose the teacher who takes the case.")),
            ("cadre_id", _l("Choose the village cadre who takes the case.")),
        ):
            if name in self and not self[name].data and not self[name].errors:
                self[name].errors.append(message)
                valid = False
        return valid

    def step_data(self):
        return {name: self[name].data for name in ("teacher_id", "cadre_id") if name in self}


class ReturnForm(TransitionForm):
    return_date = DateField(_l("Back at school on"), validators=[InputRequired(), not_in_future])
    school_id = SelectField(_l("School"), coerce=int, validators=[InputRequired()])
    class_name = StringField(_l("Grade and class"), validators=[DataRequired(), Length(max=32)])
    confirmed_by = StringField(_l("Confirmed by (at the school)"), validators=[DataRequired(), Length(max=100)])

    def step_data(self):
        return {
            "return_date": self.return_date.data,
            "school_id": self.school_id.data,
            "class_name": self.class_name.data.strip(),
            "confirmed_by": self.confirmed_by.data,
        }


#: what each closure outcome needs besides the reason (DESIGN.md "Closure outcomes")
OUTCOME_NEEDS = {
    ClosedOutcome.RETURNED_TO_SCHOOL: (),
    ClosedOutcome.HOME_SCHOOLING: ("home_teacher", "schedule"),
    ClosedOutcome.SPECIAL_SCHOOL: ("destination", "event_date"),
    ClosedOutcome.VOCATIONAL_SCHOOL: ("destination", "event_date"),
    ClosedOutcome.HEALTH_DEFERRAL: ("certificate", "approval_date", "approved_by", "until"),
    ClosedOutcome.TRANSFERRED_OUT: ("destination", "event_date"),
    ClosedOutcome.AGED_OUT: (),
    ClosedOutcome.DECEASED: ("event_date", "certificate"),
    ClosedOutcome.MOVED_ABROAD: ("destination", "event_date"),
    ClosedOutcome.RECORDED_IN_ERROR: (),
}


#: the labels of a closure request's details (on the form, and wherever the request is shown)
DETAIL_LABELS = {
    "destination": _l("Where to (school, place or country)"),
    "event_date": _l("Since"),
    "certificate": _l("Certificate (issuer and number)"),
    "approval_date": _l("Approved on"),
    "approved_by": _l("Approved by (township government or county education bureau)"),
    "until": _l("Deferred until"),
    "home_teacher": _l("Teacher delivering schooling at home"),
    "schedule": _l("Schedule (e.g. 2 visits a week, 3 lessons each)"),
}


class ClosureForm(TransitionForm):
    outcome = SelectField(_l("Outcome"), choices=[option("", "—")] + [option(o.value, o.label) for o in OUTCOME_NEEDS])
    destination = StringField(DETAIL_LABELS["destination"], validators=[Optional(), Length(max=100)])
    event_date = DateField(DETAIL_LABELS["event_date"], validators=[Optional(), not_in_future])
    certificate = StringField(DETAIL_LABELS["certificate"], validators=[Optional(), Length(max=100)])
    approval_date = DateField(DETAIL_LABELS["approval_date"], validators=[Optional(), not_in_future])
    approved_by = StringField(DETAIL_LABELS["approved_by"], validators=[Optional(), Length(max=100)])
    until = DateField(DETAIL_LABELS["until"], validators=[Optional()])
    home_teacher = StringField(DETAIL_LABELS["home_teacher"], validators=[Optional(), Length(max=50)])
    schedule = StringField(DETAIL_LABELS["schedule"], validators=[Optional(), Length(max=100)])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if not self.outcome.data:
            self.outcome.errors.append(_l("Choose the outcome."))
            return False
        for name in OUTCOME_NEEDS.get(self.outcome.data, ()):
            field = self[name]
            if not field.data and not field.errors:
                field.errors.append(_l("Needed for this outcome."))
                valid = False
        if self.outcome.data == ClosedOutcome.HEALTH_DEFERRAL and self.until.data and self.until.data <= clock.today():
            self.until.errors.append(_l("A deferral ends in the future."))
            valid = False
        return valid

    def step_data(self):
        details = {name: self[name].data for name in OUTCOME_NEEDS.get(self.outcome.data, ())}
        return {"outcome": self.outcome.data, "details": details}


class LegalStepForm(FlaskForm):
    kind = SelectField(_l("Legal step"), choices=LegalStepKind.choices(), validators=[DataRequired()])
    step_date = DateField(_l("Date"), validators=[InputRequired(), not_in_future])
    authority = StringField(_l("Court or procuratorate"), validators=[DataRequired(), Length(max=100)])
    document_no = StringField(_l("Document number"), validators=[Optional(), Length(max=60)])
    result = TextAreaField(_l("Result"), validators=[Optional(), Length(max=2000)])


class JudicialForm(TransitionForm, LegalStepForm):
    """Starting the judicial procedure records its first legal step."""

    def step_data(self):
        return {name: self[name].data for name in ("kind", "step_date", "authority", "document_no", "result")}


class NoticeForm(FlaskForm):
    kind = SelectField(_l("Notice"), choices=NoticeKind.choices(), validators=[DataRequired()])
    recipient = StringField(_l("Addressed to (the guardian)"), validators=[DataRequired(), Length(max=50)])
    deadline_days = IntegerField(_l("Deadline, in days from serving"), validators=[InputRequired(), NumberRange(1, 90)])


def _receipt_field(label, required=False):
    validators = [
        FileAllowed(["jpg", "jpeg", "png", "webp"], _l("The receipt must be a JPEG, PNG or WebP photo.")),
        FileSize(max_size=MAX_PHOTO_BYTES, message=_l("The photo may be at most 5 MB.")),
    ]
    if required:
        validators.insert(0, FileRequired(_l("Take or choose a photo of the signed receipt.")))
    return FileField(label, validators=validators)


class ServeForm(FlaskForm):
    served_date = DateField(_l("Served on"), validators=[InputRequired(), not_in_future])
    service_method = SelectField(
        _l("Way of service"),
        choices=[option("", "—"), *ServiceMethod.choices()],
        validators=[DataRequired(message=_l("Choose how the notice was served."))],
    )
    served_to = StringField(_l("Received by"), validators=[DataRequired(), Length(max=50)])
    served_by = StringField(_l("Served by"), validators=[DataRequired(), Length(max=100)])
    receipt = _receipt_field(_l("Photo of the signed receipt (送达回证)"))

    def validate_receipt(self, field):
        check_photo(field)


class ReceiptForm(FlaskForm):
    receipt = _receipt_field(_l("Photo of the signed receipt (送达回证)"), required=True)

    def validate_receipt(self, field):
        check_photo(field)


def check_photo(field):
    """A file that only claims to be a photo is refused (its first bytes decide)."""
    data = getattr(field.data, "filename", None) and field.data
    if data:
        head = data.stream.read(16)
        data.stream.seek(0)
        if image_type(head) is None:
            raise ValidationError(_l("The receipt must be a JPEG, PNG or WebP photo."))


def read_photo(field):
    """``{filename, content_type, data}`` of an uploaded photo, or None."""
    f = field.data
    if not f or not getattr(f, "filename", ""):
        return None
    data = f.read()
    return {"filename": f.filename[:200], "content_type": image_type(data), "data": data}


class TransferForm(FlaskForm):
    """The village and school are chosen with a place picker (caseworks.places.picker): their
    values are codes, looked up by the operation."""

    village_code = SelectField(
        _l("Village of the new household"),
        validate_choice=False,
        validators=[
            DataRequired(message=_l("Choose the village.")),
            Regexp(r"^\d{12}$", message=_l("Choose the village.")),
        ],
    )
    school_code = SelectField(
        _l("New school (if known)"),
        validate_choice=False,
        validators=[Optional(), Regexp(r"^\d{10}$", message=_l("Choose the school."))],
    )
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class AcceptTransferForm(FlaskForm):
    """Accepting a transfer: the school the child attends now (0: not enrolled yet), and the
    village cadre of the receiving township, if one can be named already."""

    school_id = SelectField(_l("School in the new place"), coerce=int, validators=[InputRequired()])
    cadre_id = SelectField(_l("Village cadre"), coerce=int, validators=[Optional()])


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
