from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from caseworks.core.choices import Role


def _password_field(label):
    """A new password; its strength is checked by the operation (accounts.operations)."""
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(min=10, max=128, message=_l("The password needs at least %(n)s characters.", n=10)),
        ],
    )


def _confirm_field():
    return PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])


PHONE = r"^1[3-9]\d{9}$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
STATUS_CHOICES = [
    SelectChoice(value="", label=_l("All")),
    SelectChoice(value="active", label=_l("Active")),
    SelectChoice(value="inactive", label=_l("Deactivated")),
]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class UserFilterForm(FlaskForm):
    """The filters above the user list (GET, no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Username or name"), filters=[_strip], validators=[Optional(), Length(max=64)])
    role = SelectField(
        _l("Role"), choices=[SelectChoice(value="", label=_l("All roles")), *Role.choices()], validators=[Optional()]
    )
    status = SelectField(_l("Status"), choices=STATUS_CHOICES, validators=[Optional()])


class _UserFields(FlaskForm):
    full_name = StringField(_l("Full name"), filters=[_strip], validators=[DataRequired(), Length(max=64)])
    phone = StringField(
        _l("Mobile phone"),
        filters=[_strip],
        validators=[Optional(), Regexp(PHONE, message=_l("Enter an 11-digit mobile number, e.g. 13800138000."))],
    )
    email = StringField(
        _l("E-mail"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=120),
            Regexp(EMAIL, message=_l("Enter an e-mail address like name@example.cn.")),
        ],
    )
    role = SelectField(_l("Role"), choices=Role.choices(), validators=[DataRequired()])
    #: chosen with a place picker (caseworks.places.picker): the value is the place's code
    place = SelectField(
        _l("Place"),
        validate_choice=False,
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Choose the place where the user works.")),
            Regexp(r"^(\d{10}|\d{12})$", message=_l("Choose the place where the user works.")),
        ],
    )


class CreateUserForm(_UserFields):
    username = StringField(
        _l("Username"),
        filters=[_strip],
        validators=[
            DataRequired(),
            Length(min=3, max=64, message=_l("Use 3 to 64 characters: lower-case letters, digits, _ . -")),
            Regexp(r"^[a-z0-9_.-]+$", message=_l("Use 3 to 64 characters: lower-case letters, digits, _ . -")),
        ],
    )
    password = _password_field(_l("Initial password"))
    confirm = _confirm_field()


class EditUserForm(_UserFields):
    pass


class PasswordForm(FlaskForm):
    password = _password_field(_l("New password"))
    confirm = _confirm_field()


class ChangePasswordForm(PasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
