"""Resident ID numbers (GB 11643-1999): check digit, birth date, normalisation and masking."""

from datetime import date

import pytest

from caseworks.core import idnumber


def reference_check_char(first17):
    """The check character computed straight from the standard, independently of the code
    under test: weight W_i = 2^(i-1) mod 11 counted from the check position (i = 1), and the
    check value is (12 - sum mod 11) mod 11, written X when it is 10."""
    total = sum(int(digit) * (2 ** (17 - position) % 11) for position, digit in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


#: worked by hand from the standard's weights (7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2)
LITERAL_VALID = [
    "11010519491231002X",  # the standard's own example number
    "440524188001010014",
    "522727201205171018",
    "520102201001010050",
]


@pytest.mark.parametrize("number", LITERAL_VALID)
def test_literal_valid_numbers_pass(number):
    assert idnumber.validate(number) == number
    assert reference_check_char(number[:17]) == number[17]


@pytest.mark.parametrize(
    ("region", "birth", "sequence"),
    [
        ("522727", date(2012, 5, 17), 101),
        ("522728", date(2009, 12, 31), 2),
        ("520102", date(2016, 2, 29), 999),
        ("110105", date(2000, 1, 1), 0),
    ],
)
def test_made_numbers_are_valid_and_agree_with_the_standard(region, birth, sequence):
    number = idnumber.make(region, birth, sequence)
    assert len(number) == 18
    assert number.startswith(f"{region}{birth:%Y%m%d}{sequence:03d}")
    assert number[17] == reference_check_char(number[:17])
    assert idnumber.validate(number) == number
    assert idnumber.birth_date_of(number) == birth


def test_check_char_matches_the_standard_for_every_remainder():
    """Every one of the 11 possible check values occurs, X included."""
    seen = set()
    for sequence in range(200):
        first17 = f"52010220110308{sequence:03d}"
        assert idnumber.check_char(first17) == reference_check_char(first17)
        seen.add(idnumber.check_char(first17))
    assert seen == set("0123456789X")


def test_x_check_character():
    number = "52010220110308005X"
    assert idnumber.check_char(number[:17]) == "X"
    assert idnumber.validate(number) == number


def test_lowercase_x_and_spaces_are_normalised():
    assert idnumber.validate("52010220110308005x") == "52010220110308005X"
    assert idnumber.validate(" 110105 19491231 002x ") == "11010519491231002X"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "11010519491231002",  # 17 characters
        "11010519491231002X1",  # 19 characters
        "110105194912310",  # 15-character first-generation number
        "11010519491231A02X",  # a letter among the digits
        "1101051949123100Y1",  # a letter other than X
        "X10105194912310021",  # X anywhere but last
    ],
)
def test_wrong_length_or_characters_is_a_format_error(value):
    with pytest.raises(idnumber.InvalidIDNumber, match="^format$"):
        idnumber.validate(value)


@pytest.mark.parametrize(
    "value",
    ["１１０１０５１９４９１２３１００２X", "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X"],
    ids=["full-width", "arabic-indic"],
)
def test_non_ascii_digits_are_converted_or_refused(value):
    """Full-width digits from a Chinese IME become ASCII (or are refused): never stored as typed,
    which would let one child be registered twice."""
    try:
        number = idnumber.validate(value)
    except idnumber.InvalidIDNumber as exc:
        assert str(exc) == "format"
    else:
        assert number == "11010519491231002X"


def test_none_is_a_format_error():
    with pytest.raises(idnumber.InvalidIDNumber, match="^format$"):
        idnumber.validate(None)


@pytest.mark.parametrize("birth", ["20230230", "20231301", "20230001", "20230100", "20190229"])
def test_impossible_birth_date(birth):
    first17 = f"522727{birth}101"
    # a correct check character, so that only the date is wrong
    number = first17 + reference_check_char(first17)
    with pytest.raises(idnumber.InvalidIDNumber, match="^birth date$"):
        idnumber.validate(number)


def test_leap_day_is_a_real_birth_date():
    number = idnumber.make("522727", date(2012, 2, 29), 7)
    assert idnumber.birth_date_of(number) == date(2012, 2, 29)


def test_wrong_check_digit():
    good = idnumber.make("522727", date(2012, 5, 17), 101)
    for wrong in "0123456789X":
        if wrong == good[17]:
            continue
        with pytest.raises(idnumber.InvalidIDNumber, match="^check digit$"):
            idnumber.validate(good[:17] + wrong)


def test_a_swapped_pair_of_digits_is_caught():
    good = "11010519491231002X"
    swapped = good[:15] + good[16] + good[15] + good[17:]  # 002X becomes 020X
    assert swapped == "11010519491231020X"
    with pytest.raises(idnumber.InvalidIDNumber, match="check digit"):
        idnumber.validate(swapped)


def test_invalid_id_number_is_a_value_error():
    # forms and importers catch ValueError
    assert issubclass(idnumber.InvalidIDNumber, ValueError)


def test_gender_from_the_17th_digit():
    assert idnumber.gender_of(idnumber.make("522727", date(2012, 5, 17), 101)) == "male"
    assert idnumber.gender_of(idnumber.make("522727", date(2012, 5, 17), 102)) == "female"


def test_mask_keeps_region_and_last_four():
    assert idnumber.mask("11010519491231002X") == "110105********002X"
    assert idnumber.mask("522727201205171018") == "522727********1018"
    masked = idnumber.mask("522727201205171018")
    assert len(masked) == 18
    assert "20120517" not in masked  # the birth date is hidden


@pytest.mark.parametrize("value", [None, ""])
def test_mask_of_nothing_is_empty(value):
    assert idnumber.mask(value) == ""


def test_mask_phone():
    assert idnumber.mask_phone("13800138000") == "138****8000"
    assert idnumber.mask_phone("0854-7221234") == "085****1234"
    assert idnumber.mask_phone("12345") == "*****"
    assert idnumber.mask_phone(None) == ""
    assert idnumber.mask_phone("") == ""
