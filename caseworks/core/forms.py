"""What views do with refused input: a message by its field, or at the top of the page."""

from flask import flash


def show_error(form, error):
    """Put an operation's refusal (an exception with ``message`` and ``field``) next to its
    field, or flash it when it belongs to no field of ``form``."""
    field = getattr(form, error.field, None) if getattr(error, "field", None) else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")
