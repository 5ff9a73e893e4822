"""The applicant's details on a new case: validated and normalised for the channel they
chose (an email address for email, a mobile number for texts, an address for letters)."""

from typing import Any

from django.core.exceptions import ValidationError

from cases.errors import CaseValidationError
from cases.models import ContactPreference
from cases.validators import check_email, normalise_phone, normalise_postcode


def clean_applicant(applicant: dict[str, Any]) -> dict[str, Any]:
    """Validates and normalises the applicant's details for their contact preference."""
    errors: dict[str, list[str]] = {}
    data = {}
    for key, value in applicant.items():
        if value is not None and not isinstance(value, str):
            errors[key] = ["Enter text"]
        else:
            data[key] = (value or "").strip()
    if not data.get("contact_preference"):
        data["contact_preference"] = ContactPreference.EMAIL
    preference = data["contact_preference"]
    if not data.get("applicant_name"):
        errors["applicant_name"] = ["Enter your full name"]
    if preference not in ContactPreference.values:
        errors["contact_preference"] = ["Choose how you would like to be contacted"]
    checks = {
        "phone": lambda v: normalise_phone(v, mobile=preference == ContactPreference.SMS),
        "postcode": normalise_postcode,
        "email": check_email,
    }
    for field, check in checks.items():
        if data.get(field):
            try:
                data[field] = check(data[field])
            except ValidationError as exc:
                errors[field] = exc.messages
    needs_for: dict[str, list[tuple[str, str]]] = {
        ContactPreference.EMAIL: [("email", "Enter your email address")],
        ContactPreference.SMS: [("phone", "Enter a mobile phone number")],
        ContactPreference.LETTER: [
            ("address_line_1", "Enter the first line of your address"),
            ("postcode", "Enter your postcode"),
        ],
    }
    for field, message in needs_for.get(preference, []):
        if not data.get(field) and field not in errors:
            errors[field] = [message]
    if errors:
        raise CaseValidationError(errors)
    return data


APPLICANT_FIELDS = (
    "applicant_name",
    "email",
    "phone",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "contact_preference",
)
