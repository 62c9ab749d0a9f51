from datetime import date

import pytest
from django.core.exceptions import ValidationError

from welfare.mykad import birth_date, mask_mykad, normalize_mykad, sex_from_mykad, validate_mykad

VALID = [
    # number, date of birth, sex
    ("500101-10-1234", date(1950, 1, 1), "F"),
    ("500101101235", date(1950, 1, 1), "M"),
    ("881231 14 0001", date(1988, 12, 31), "M"),
    ("000229-01-1112", date(2000, 2, 29), "F"),  # 2000 is a leap year
    ("191105-21-0003", date(2019, 11, 5), "M"),
    ("261231-08-4444", date(1926, 12, 31), "F"),  # 2026-12-31 is still to come
    ("450817-59-0009", date(1945, 8, 17), "M"),  # highest state code
    ("620302-71-1110", date(1962, 3, 2), "F"),  # born abroad
    ("700707-82-7777", date(1970, 7, 7), "M"),  # state unknown
]

INVALID = [
    # number, error code, words in the message
    ("12345", "mykad_length", "this one has 5"),
    ("5001011012345", "mykad_length", "this one has 13"),
    ("500101-10-123", "mykad_length", "this one has 11"),
    ("50010110123A", "mykad_format", "only the digits"),
    ("٥٠٠١٠١١٠١٢٣٤", "mykad_format", "only the digits"),  # Arabic-Indic digits
    ("５００１０１１０１２３４", "mykad_format", "only the digits"),  # full-width digits
    ("501301-10-1234", "mykad_date", "501301 is not a possible date"),
    ("500132-10-1234", "mykad_date", "500132 is not a possible date"),
    ("050229-10-1234", "mykad_date", "050229"),  # neither 1905 nor 2005 is a leap year
    ("500101-00-1234", "mykad_place", "00 is not a known code"),
    ("500101-17-1234", "mykad_place", "17 is not a known code"),
    ("500101-70-1234", "mykad_place", "70 is not a known code"),
    ("500101-94-1234", "mykad_place", "94 is not a known code"),
]


@pytest.mark.parametrize("number,born,sex", VALID)
def test_valid_mykad_gives_birth_date_and_sex(number, born, sex):
    validate_mykad(number)
    assert birth_date(number, today=date(2026, 11, 23)) == born
    assert sex_from_mykad(number) == sex


@pytest.mark.parametrize("number,code,words", INVALID)
def test_invalid_mykad_gets_precise_message(number, code, words):
    with pytest.raises(ValidationError) as raised:
        validate_mykad(number)
    assert raised.value.code == code
    assert words in raised.value.messages[0]


def test_empty_mykad_is_allowed():
    validate_mykad("")


def test_mykad_is_stored_without_separators():
    assert normalize_mykad(" 500101-10-1234 ") == "500101101234"


def test_masked_mykad_shows_last_four_digits_only():
    assert mask_mykad("500101101234") == "******-**-1234"
    assert mask_mykad("") == ""
