"""MyKad numbers: validation with a precise message for each fault, built on
python-stdnum's `stdnum.my.nric`."""

import functools
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import InvalidComponent
from stdnum.my import nric
from stdnum.util import isdigits


def normalize_mykad(value):
    """The canonical stored form: 12 digits, no dashes or spaces. Asked for
    many times over by a form, a model and an import, for 20,000 rows at once:
    a number in the stored form already is given back as it is."""
    if value and len(value) == 12 and value.isascii() and value.isdigit():
        return value
    return compact(value or "")


@functools.lru_cache(maxsize=1024)
def compact(value):
    return nric.compact(value)


@functools.cache
def place_of_birth(code):
    """What digits 7-8 of a MyKad name (stdnum's get_birth_place), or None:
    a hundred codes, each looked up in stdnum's table once."""
    try:
        return nric.get_birth_place(f"000000{code}0000")
    except InvalidComponent:
        return None


def birth_date(value, today=None):
    """The date of birth in digits 1-6 (YYMMDD). The century is the latest one
    that does not put the birth in the future (stdnum always tries 1900 first)."""
    number = normalize_mykad(value)
    today = today or date.today()
    yy, mm, dd = int(number[0:2]), int(number[2:4]), int(number[4:6])
    for century in (2000, 1900):
        try:
            born = date(century + yy, mm, dd)
        except ValueError:
            continue
        if born <= today:
            return born
    return None


def sex_from_mykad(value):
    return "M" if int(normalize_mykad(value)[-1]) % 2 else "F"


def validate_mykad(value):
    if fault := mykad_fault(value):
        message, code, params = fault
        raise ValidationError(message, code=code, params=params)


@functools.lru_cache(maxsize=1024)
def mykad_fault(value):
    """(message, code, params) of what is wrong with a MyKad typed, or None.
    Cached like normalize_mykad(): a form checks the number it looks up again."""
    number = normalize_mykad(value)
    if not number:
        return None
    # Only ASCII 0-9: str.isdigit(), \d and int() also take other scripts' digits,
    # and stdnum folds full-width digits to ASCII before it checks.
    if not (value.isascii() and isdigits(number)):
        return (
            _("A MyKad number may contain only the digits 0-9 (and dashes)."),
            "mykad_format",
            None,
        )
    if len(number) != 12:
        return (
            _("A MyKad number has 12 digits; this one has %(count)d."),
            "mykad_length",
            {"count": len(number)},
        )
    if birth_date(number) is None:
        return (
            _(
                "The first six digits of a MyKad number are the date of birth "
                "(YYMMDD); %(digits)s is not a possible date."
            ),
            "mykad_date",
            {"digits": number[:6]},
        )
    if place_of_birth(number[6:8]) is None:
        return (
            _("Digits 7-8 of a MyKad number are the place of birth; %(code)s is not a known code."),
            "mykad_place",
            {"code": number[6:8]},
        )
    return None


def mask_mykad(value):
    """For lists: only the last four digits show."""
    number = normalize_mykad(value)
    if not number:
        return ""
    return f"******-**-{number[-4:]}"


def format_mykad(value):
    number = normalize_mykad(value)
    return nric.format(number) if len(number) == 12 else number


def birth_place(value):
    """The state (or, for those born abroad, the country) that digits 7-8 name."""
    number = normalize_mykad(value)
    if len(number) != 12:
        return ""
    place = place_of_birth(number[6:8])
    if place is None:
        return ""
    return place.get("state") or place.get("country", "").title()


class MyKadFormField(forms.CharField):
    """Takes a MyKad with or without dashes or spaces and cleans it to 12 digits."""

    def __init__(self, **kwargs):
        kwargs["max_length"] = 20  # room for dashes and spaces: 630415-08-5521
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        # Checked as typed: normalising folds full-width digits to ASCII.
        value = super().to_python(value)
        validate_mykad(value)
        return normalize_mykad(value)


class MyKadField(models.CharField):
    """A MyKad number stored as 12 digits (or empty); forms, the admin included,
    accept it with dashes or spaces (MyKadFormField)."""

    def __init__(self, *args, **kwargs):
        kwargs["max_length"] = 12
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        del kwargs["max_length"]
        return name, path, args, kwargs

    default_validators = [validate_mykad]

    def to_python(self, value):
        # Also the value saved and looked up (get_prep_value): "630415-08-5521" finds it.
        return normalize_mykad(super().to_python(value))

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": MyKadFormField, **kwargs})
