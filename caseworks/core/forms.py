"""What views do with refused input: a message by its field, or at the top of the page; the
date field every form uses; and the refusal of input that no database can store."""

from datetime import date

import wtforms
from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.exceptions import BadRequest
from wtforms.validators import StopValidation

#: the dates a form or a filter accepts. Nothing the app records lies outside, and dates at the
#: ends of Python's range overflow as soon as a day is added or a time zone applied.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2199, 12, 31)
DATE_RANGE_MESSAGE = _l("Enter a date between 1900-01-01 and 2199-12-31.")


def in_date_range(value):
    return value is None or MIN_DATE <= value <= MAX_DATE


class DateField(wtforms.DateField):
    """A date between MIN_DATE and MAX_DATE; anything else is refused by the field (and reads as
    no date, so that no cross-field rule computes with it)."""

    def pre_validate(self, form):
        super().pre_validate(form)
        if not in_date_range(self.data):
            self.data = None
            raise StopValidation(DATE_RANGE_MESSAGE)


def date_arg(text):
    """A date typed into a filter (``2026-09-01``): the date, None for nothing, or ValueError
    with the message to show."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise ValueError(_l("Enter a date like 2026-09-01.")) from None
    if not in_date_range(value):
        raise ValueError(DATE_RANGE_MESSAGE)
    return value


class UnstorableInput(BadRequest):
    """A request carrying characters no database stores (a NUL byte, half a surrogate pair)."""

    description = _l(
        "The request contained characters that cannot be stored (a NUL byte or a broken character). "
        "Remove them and try again."
    )
    show_description = True


def _unstorable(text):
    return "\x00" in text or any("\ud800" <= c <= "\udfff" for c in text)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def refuse_unstorable_input(request):
    """Raise :class:`UnstorableInput` (400) when a query parameter, a form field, an upload's
    name or a JSON string holds a character no database stores: every text field, filter and
    the login form are covered at once, before any view reads them."""
    texts = [*request.args.keys(), *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        texts += [*request.form.keys(), *request.form.values()]
        texts += [f.filename or "" for f in request.files.values()]
    elif request.is_json:
        texts += list(_strings(request.get_json(silent=True)))
    if any(_unstorable(t) for t in texts):
        raise UnstorableInput()


class EmptyForm(FlaskForm):
    """For buttons that POST (CSRF only)."""


def attach_error(form, error):
    """Put an operation's refusal (a :class:`caseworks.core.errors.Refused`) next to its field;
    return the message when it belongs to no field of ``form`` (for the page to show)."""
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]
        return None
    return error.message


def show_error(form, error):
    """Like :func:`attach_error`, flashing a message that belongs to no field."""
    message = attach_error(form, error)
    if message is not None:
        flash(message, "error")
