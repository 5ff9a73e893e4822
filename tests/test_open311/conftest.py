"""Councils with street reports, the key their Open311 client (FixMyStreet) sends, and
readers for both formats: XML as a plain tree for exact comparisons, and as FixMyStreet's
XML::Simple reads it (the root ignored, some elements always lists, empty ones undef)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import ApiKey
from tests.test_api.conftest import (  # noqa: F401 - fixtures used here
    _trust_no_key_from_another_test,
    make_key,
    north,
    south,
)

BASE = "/open311/v2"
WRITE = [ApiKey.Scope.WRITE.value]
XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'

# A report as FixMyStreet sends one (SendReport/Open311.pm): the pin, the reporter split
# into first and last names, the extended description, and its own ID as an attribute.
FMS_REPORT = {
    "service_code": "pothole",
    "lat": "53.480759",
    "long": "-2.242631",
    "email": "sam@example.com",
    "first_name": "Sam",
    "last_name": "Reporter",
    "description": "title: Pothole on Mill Lane\n\ndetail: Deep, by the bus stop\n\n"
    "url: https://fms.example/report/4455\n\nSubmitted via FixMyStreet",
    "attribute[fixmystreet_id]": "4455",
    "attribute[closest_address]": "3 Mill Lane, Northtown",
}


# A Monday in GMT (so UK time is UTC), and what the answers write for it.
FROZEN = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


def frozen(at: datetime):
    """The clock stopped at `at` (every `timezone.now()`, so the answers' times too)."""
    return mock.patch("django.utils.timezone.now", return_value=at)


# The smallest PNG there is: one transparent pixel.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def png(name: str = "hole.png", content: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


@pytest.fixture
def key(north) -> str:  # noqa: F811 - the fixture imported above
    return make_key(north, scopes=WRITE, name="FixMyStreet")


def post(client, data: dict, fmt: str = "xml", **extra):
    return client.post(f"{BASE}/requests.{fmt}", data, **extra)


def tree(content: bytes) -> Any:
    """An XML document as (tag, text) or (tag, [children]), whitespace between elements
    dropped: two documents are the same when their trees are."""
    return _tree(ET.fromstring(content))  # noqa: S314 - our own answers


def _tree(element: ET.Element) -> Any:
    children = list(element)
    if children:
        return (element.tag, [_tree(child) for child in children])
    return (element.tag, element.text or "")


FORCE_ARRAY = {"service", "attribute", "value", "request", "error", "request_update", "group"}


def fms(content: bytes) -> dict:
    """What FixMyStreet's Open311.pm gets from `XMLin(ForceArray => [...], SuppressEmpty =>
    undef)`: the root's children by name, the ForceArray ones always lists, an empty
    element None."""
    found = _simple(ET.fromstring(content))  # noqa: S314 - our own answers
    return found if isinstance(found, dict) else {}  # an empty root is an empty hash


def _simple(element: ET.Element) -> Any:
    children = list(element)
    if not children:
        text = (element.text or "").strip()
        return text or None
    found: dict[str, Any] = {}
    for child in children:
        value = _simple(child)
        if child.tag in FORCE_ARRAY:
            found.setdefault(child.tag, []).append(value)
        elif child.tag in found:  # XML::Simple folds a repeat into a list
            previous = found[child.tag]
            found[child.tag] = (
                [*previous, value] if isinstance(previous, list) else [previous, value]
            )
        else:
            found[child.tag] = value
    return found
