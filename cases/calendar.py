"""UK working-day arithmetic for service-level deadlines.

A working day is Monday to Friday and not a bank holiday. Bank holidays differ between
the three GOV.UK divisions ("england-and-wales", "scotland", "northern-ireland"), so every
function takes the division, defaulting to England and Wales.

Why the bank holidays are shipped as data (``cases/data/bank_holidays.json``) instead of
being fetched from https://www.gov.uk/bank-holidays.json at run time: councils often deploy
Waymark on networks with no outbound access to GOV.UK, and a deadline must never depend on
whether a web request succeeded. The file has the same shape as GOV.UK's feed and covers
2018 to 2035; outside those years only weekends are treated as non-working days.

To refresh it, either regenerate it from the ``holidays`` package::

    python manage.py refresh_bank_holidays

or install a copy of GOV.UK's feed that an operator downloaded (it is validated first)::

    python manage.py refresh_bank_holidays --from-file bank-holidays.json

These functions are pure (no database); the file is read once per process.
"""

import json
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from django.utils import timezone

BANK_HOLIDAYS_PATH = Path(__file__).resolve().parent / "data" / "bank_holidays.json"
DIVISIONS = ("england-and-wales", "scotland", "northern-ireland")
DEFAULT_DIVISION = "england-and-wales"
LONDON = ZoneInfo("Europe/London")


@cache
def _feed() -> dict:
    with BANK_HOLIDAYS_PATH.open(encoding="utf-8") as f:
        return json.load(f)


@cache
def bank_holidays(division: str = DEFAULT_DIVISION) -> frozenset[date]:
    """The bank holidays of a GOV.UK division, e.g. "scotland"."""
    if division not in DIVISIONS:
        raise ValueError(f"Unknown bank holiday division {division!r}; expected one of {DIVISIONS}")
    events = _feed()[division]["events"]
    return frozenset(date.fromisoformat(event["date"]) for event in events)


def clear_cache() -> None:
    """Forget the loaded file, e.g. after refresh_bank_holidays rewrote it."""
    bank_holidays.cache_clear()
    _feed.cache_clear()


def _as_date(day: date | datetime) -> date:
    """A datetime's calendar date in London (aware) or as written (naive); a date unchanged."""
    if isinstance(day, datetime):
        if timezone.is_aware(day):
            day = timezone.localtime(day, LONDON)
        return day.date()
    return day


def is_working_day(day: date, division: str = DEFAULT_DIVISION) -> bool:
    """Monday to Friday and not a bank holiday in the division."""
    day = _as_date(day)
    return day.weekday() < 5 and day not in bank_holidays(division)


def add_working_days(start: date | datetime, days: int, division: str = DEFAULT_DIVISION) -> date:
    """The date ``days`` working days after ``start``.

    The start day itself does not count. ``days=0`` gives the start date when it is a working
    day, otherwise the next working day. An aware datetime is taken as its date in London.
    """
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    holidays = bank_holidays(division)

    def working(day: date) -> bool:
        return day.weekday() < 5 and day not in holidays

    day = _as_date(start)
    if days == 0:
        while not working(day):
            day += timedelta(days=1)
        return day
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if working(day):
            remaining -= 1
    return day


def working_days_between(
    start: date | datetime, end: date | datetime, division: str = DEFAULT_DIVISION
) -> int:
    """The number of working days after ``start`` up to and including ``end``.

    0 if ``end`` is not after ``start``.
    """
    holidays = bank_holidays(division)
    start, end = _as_date(start), _as_date(end)
    if end <= start:
        return 0
    span = (end - start).days
    full_weeks, rest = divmod(span, 7)
    weekdays = full_weeks * 5
    for offset in range(span - rest + 1, span + 1):
        if (start + timedelta(days=offset)).weekday() < 5:
            weekdays += 1
    return weekdays - sum(1 for h in holidays if start < h <= end and h.weekday() < 5)
