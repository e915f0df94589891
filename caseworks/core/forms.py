"""What views do with refused input: a message by its field, or at the top of the page."""

from flask import flash
from flask_wtf import FlaskForm


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
