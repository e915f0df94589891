"""Whole numbers typed into URLs and query strings."""

from werkzeug.routing import IntegerConverter

#: the largest id or page number accepted (PostgreSQL's integer)
MAX_INT = 2**31 - 1


def positive_int(text, default=None):
    """``text`` as a whole number from 1 to MAX_INT, or ``default``: ASCII digits only ("²" and
    "٣" pass str.isdigit but are no page numbers), never an overflow."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()):
        return default
    value = int(text)
    return value if 1 <= value <= MAX_INT else default


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` in routes: a number too large for the database is simply no match (404)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INT)
        super().__init__(url_map, *args, **kwargs)
