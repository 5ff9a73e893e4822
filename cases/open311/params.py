"""Reading what an Open311 request asks: which council (`jurisdiction_id`), which dates,
which page. An empty parameter means the same as an absent one (the spec's rule); a
parameter the method does not know is ignored (FixMyStreet adds `api_key` to its GETs)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cases.models import Organisation, Service
from cases.open311.errors import bad_request, not_found

MAX_SPAN = timedelta(days=90)  # the spec's longest window of dates
PAGE_SIZE = 1000  # the spec's "first 1000 requests"; also the largest page
MAX_PAGE = 100_000
_WHOLE_NUMBER = re.compile(r"^[0-9]{1,7}$")
EXAMPLE_MOMENT = "2025-01-31T09:00:00Z"


def given(request, name: str) -> str:
    """The parameter's value (the last, if sent more than once), stripped; "" if absent.
    A POST's parameters are its body's, then its query string's."""
    sources = (request.POST, request.GET) if request.method == "POST" else (request.GET,)
    for source in sources:
        value = source.get(name)
        if value is not None and value.strip():
            return value.strip()
    return ""


def offering_councils():
    """The councils whose street reports this endpoint serves: those with the service on."""
    return Organisation.objects.filter(
        service_configs__service=Service.STREET_REPORT, service_configs__enabled=True
    )


def council_for(request) -> Organisation:
    """The council `jurisdiction_id` (its slug) names: needed only while the endpoint
    serves more than one council."""
    slug = given(request, "jurisdiction_id")
    councils = offering_councils()
    if slug:
        found = councils.filter(slug=slug[:50]).first()
        if found is None:
            raise not_found("jurisdiction_id: there is no council here with that ID")
        return found
    only = list(councils.order_by("pk")[:2])
    if len(only) == 1:
        return only[0]
    if not only:
        raise not_found("jurisdiction_id: no council reports street problems here")
    raise bad_request(
        "jurisdiction_id: required here, as this endpoint serves several councils: "
        "give the council's ID"
    )


def moment(request, name: str) -> datetime | None:
    """A W3C date and time with its offset (`2025-01-31T09:00:00Z`), in UTC; None if absent."""
    text = given(request, name)
    if not text:
        return None
    try:
        parsed = parse_datetime(text)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise bad_request(f"{name}: give a date and time with its offset, like {EXAMPLE_MOMENT}")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise bad_request(f"{name}: give a date and time between the years 1 and 9999") from None


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def window(request, *, default: bool = True) -> Window | None:
    """`start_date` to `end_date`, both included, at most 90 days apart. Without either,
    the last 90 days (or None, when `default` is off); with one, the 90 days from it or to it."""
    start, end = moment(request, "start_date"), moment(request, "end_date")
    if start is None and end is None and not default:
        return None
    try:
        if end is None:
            end = timezone.now() if start is None else start + MAX_SPAN
        if start is None:
            start = end - MAX_SPAN
    except OverflowError:
        raise bad_request("start_date, end_date: the window must end by the year 9999") from None
    if start > end:
        raise bad_request("start_date: must not be after end_date")
    if end - start > MAX_SPAN:
        raise bad_request("start_date, end_date: must be at most 90 days apart")
    return Window(start, end)


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def page(request) -> Page:
    """`page` (from 1) of `page_size` (1 to 1000; 1000 unless asked)."""
    return Page(
        _whole(request, "page", default=1, high=MAX_PAGE),
        _whole(request, "page_size", default=PAGE_SIZE, high=PAGE_SIZE),
    )


def _whole(request, name: str, *, default: int, high: int) -> int:
    text = given(request, name)
    if not text:
        return default
    if not _WHOLE_NUMBER.match(text) or not 1 <= int(text) <= high:
        raise bad_request(f"{name}: give a whole number from 1 to {high}")
    return int(text)


def listed(request, name: str) -> list[str]:
    """A comma-separated list, without its empty items and repeats."""
    items = (item.strip() for item in given(request, name).split(","))
    return list(dict.fromkeys(item for item in items if item))
