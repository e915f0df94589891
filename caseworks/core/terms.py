"""School years and terms. A school year starts in September and is named by the year it starts
in (2026 = the 2026–2027 school year); its autumn term runs to January, the spring term from
February."""

from datetime import date

from flask_babel import gettext as _

#: the month a school year starts
FIRST_MONTH = 9


def school_year_of(day: date) -> int:
    """The school year ``day`` falls in (summer belongs to the year about to start)."""
    return day.year if day.month >= 8 else day.year - 1


def is_autumn_term(day: date) -> bool:
    return day.month >= 8 or day.month == 1


def term_label(day: date) -> str:
    """ "2026秋季" / "2026 autumn": the term ``day`` falls in."""
    if is_autumn_term(day):
        return _("%(year)s autumn", year=day.year if day.month >= 8 else day.year - 1)
    return _("%(year)s spring", year=day.year)


def school_year_label(school_year: int) -> str:
    return _("%(start)s–%(end)s school year", start=school_year, end=school_year + 1)
