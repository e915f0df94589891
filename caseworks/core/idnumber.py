"""Resident ID numbers (居民身份证号, GB 11643-1999)."""

import re
import unicodedata
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_PATTERN = re.compile(r"^[0-9]{17}[0-9X]$")


class InvalidIDNumber(ValueError):
    pass


def normalise(value: str) -> str:
    """Upper case, no spaces, and full-width characters typed with a Chinese IME made ASCII."""
    return unicodedata.normalize("NFKC", value or "").strip().upper().replace(" ", "")


def check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def birth_date_of(number: str) -> date:
    """The birth date written at positions 7-14; raises InvalidIDNumber if it is no date."""
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIDNumber("birth date") from None


def validate(value: str) -> str:
    """Return the normalised number or raise InvalidIDNumber naming what is wrong.

    The reason is one of ``format``, ``birth date`` or ``check digit``.
    """
    number = normalise(value)
    if not _PATTERN.match(number):
        raise InvalidIDNumber("format")
    birth_date_of(number)
    if check_char(number[:17]) != number[17]:
        raise InvalidIDNumber("check digit")
    return number


def gender_of(number: str) -> str:
    """'male' or 'female' from the 17th digit."""
    return "male" if int(number[16]) % 2 else "female"


def mask(number: str | None) -> str:
    """Show the region and the check character only: 520102***********X.

    Pages and answers that show a masked number often show the birth date and the gender too,
    and the region follows from the household village. The three sequence digits are what is
    left to hide: with them hidden (and the gender known) about 500 numbers fit, of which the
    check character leaves about 45, so the whole number cannot be rebuilt from what is shown.
    (Showing the last four, as before, hid exactly the birth date.)
    """
    if not number:
        return ""
    return number[:6] + "*" * (len(number) - 7) + number[-1:]


#: a whole ID number inside a text (a notice's body)
_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


def mask_in_text(text: str | None) -> str:
    """``text`` with every whole ID number in it masked."""
    return _IN_TEXT.sub(lambda m: mask(m.group(0)), text or "")


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "****" + phone[-4:]


def make(region: str, birth: date, sequence: int) -> str:
    """Build a valid number (demo data and tests)."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
