"""Validation and normalisation of what citizens type: phone numbers, postcodes."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# The shape of a UK postcode (GOV.UK's pattern, spaces optional); BFPO and overseas are
# out of scope for council services.
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def normalise_phone(value: str, *, mobile: bool = False) -> str:
    """A UK (or international, with +) phone number in E.164 form, e.g. +447700900123."""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("Enter a telephone number, like 01632 960 001 or 07700 900 982"), code="invalid"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("Enter a telephone number, like 01632 960 001 or 07700 900 982"), code="invalid"
        )
    if mobile and phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValidationError(
            _("Enter a mobile phone number to get text messages, like 07700 900 982"),
            code="not_mobile",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_postcode(value: str) -> str:
    """A UK postcode in upper case with one space, e.g. SW1A 1AA."""
    compact = re.sub(r"\s+", "", value or "").upper()
    match = _POSTCODE.match(compact)
    if not match:
        raise ValidationError(_("Enter a real postcode, like SW1A 1AA"), code="invalid")
    return f"{match.group(1)} {match.group(2)}"
