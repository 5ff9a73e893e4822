"""Dates the UK way: typed day first (GOV.UK's date input: day, month and year boxes) and
shown as "1 December 2026" and "9:09pm" (GOV.UK's style), in the active language."""

from __future__ import annotations

from datetime import date, datetime

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_lazy

# Day first, always: 03/01/2027 is 3 January. ISO dates (an API's) are read too.
INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d %B %Y", "%d %b %Y"]
PARTS = ("day", "month", "year")


def long_date(value: date | datetime | None) -> str:
    """`1 December 2026` (`1 Rhagfyr 2026` in Welsh)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return formats.date_format(value, "j F Y")


def iso_date(value) -> date | None:
    """A date kept as ISO text (in a case's answers or details); None if it is not one."""
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def long_iso_date(value) -> str:
    """`long_date` of a date kept as ISO text; the text as it is if it is not a date."""
    found = iso_date(value)
    return long_date(found) if found else str(value or "")


def clock(value: datetime) -> str:
    """`9:09am`, `12:30pm`, `midday`, `midnight` (GOV.UK's style for times)."""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    if (local.hour, local.minute) == (0, 0):
        return gettext("midnight")
    if (local.hour, local.minute) == (12, 0):
        return gettext("midday")
    hour = local.hour % 12 or 12
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{hour}{minutes}{gettext('am') if local.hour < 12 else gettext('pm')}"


def long_datetime(value: datetime | None) -> str:
    """`1 December 2026, 9:09pm`."""
    if value is None:
        return ""
    return f"{long_date(value)}, {clock(value)}"


class DatePartsWidget(forms.MultiWidget):
    """GOV.UK's date input: three labelled boxes. A single value sent under the field's
    own name (an API's ISO date, or a date typed in one box) is read as it is."""

    template_name = "widgets/date_parts.html"

    def __init__(self, attrs=None):
        boxes = {
            part: forms.TextInput(
                attrs={"inputmode": "numeric", "size": 4 if part == "year" else 2}
            )
            for part in PARTS
        }
        super().__init__(boxes, attrs)

    def decompress(self, value):
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def value_from_datadict(self, data, files, name):
        if name in data:
            return data.get(name)
        parts = [str(data.get(f"{name}_{part}", "")).strip() for part in PARTS]
        if not any(parts):
            return None
        return "/".join(parts)

    def value_omitted_from_data(self, data, files, name):
        return name not in data and not any(f"{name}_{part}" in data for part in PARTS)


class UKDateField(forms.DateField):
    """A date typed the UK way, day first, in three boxes or one."""

    widget = DatePartsWidget
    input_formats = INPUT_FORMATS
    default_error_messages = {
        "invalid": gettext_lazy("Enter a real date, with the day first, like 27 3 2027"),
    }
