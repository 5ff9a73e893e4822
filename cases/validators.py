"""Validation and normalisation of what citizens type: phone numbers, postcodes."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from phonenumbers import ValidationResult

# The shape of a UK postcode (GOV.UK's pattern, spaces optional); BFPO and overseas are
# out of scope for council services.
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def check_email(value: str) -> str:
    """An email address as Django's validator takes it, with GOV.UK's message if not."""
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError(
            _("Enter an email address in the correct format, like name@example.com")
        ) from None
    return value


def normalise_phone(value: str, *, mobile: bool = False) -> str:
    """A UK (or international, with +) phone number in E.164 form, e.g. +447700900982.

    Like GOV.UK Notify, this checks the shape of the number (its length for the country,
    and 07 for a UK mobile), not whether the range has been handed out.
    """
    invalid = ValidationError(
        _("Enter a telephone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192"),
        code="invalid",
    )
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        raise invalid from None
    if phonenumbers.is_possible_number_with_reason(number) != ValidationResult.IS_POSSIBLE:
        raise invalid
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if mobile and number.country_code == 44 and not (e164.startswith("+447") and len(e164) == 13):
        raise ValidationError(
            _("Enter a mobile phone number to get text messages, like 07700 900 982"),
            code="not_mobile",
        )
    return e164


def normalise_postcode(value: str) -> str:
    """A UK postcode in upper case with one space, e.g. SW1A 1AA."""
    compact = re.sub(r"\s+", "", value or "").upper()
    match = _POSTCODE.match(compact)
    if not match:
        raise ValidationError(_("Enter a real postcode, like SW1A 1AA"), code="invalid")
    return f"{match.group(1)} {match.group(2)}"
