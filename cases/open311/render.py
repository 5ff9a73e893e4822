"""One tree of plain values, written as Open311's XML or as its JSON.

A `Document` is a root element and its body: a dict (its keys are child elements, in
order) or a `Many` (a list, each item one `tag` element). JSON follows the Spark convention
GeoReport v2 uses: the root and every list's wrapper are dropped, so `<services><service>`
is a bare array and `<attributes><attribute>` is `"attributes": [...]`. In XML a boolean
is `true`/`false` and None an empty element; in JSON they stay booleans and null.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse

XML, JSON = "xml", "json"
CONTENT_TYPES = {XML: "text/xml; charset=utf-8", JSON: "application/json; charset=utf-8"}
DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
# What XML 1.0 cannot hold (most control characters, lone surrogates): shown as U+FFFD.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Many:
    """A list: in XML one `tag` element per item, inside its parent; in JSON an array."""

    tag: str
    items: Sequence[Any]


@dataclass(frozen=True)
class Document:
    root: str
    body: Mapping[str, Any] | Many
    status: int = 200


class Open311Response(HttpResponse):
    """An answer in Open311's format (so `Open311ErrorMiddleware` leaves it alone)."""


def to_xml(document: Document) -> bytes:
    root = ET.Element(document.root)
    _fill(root, document.body)
    ET.indent(root)
    return DECLARATION + ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n"


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Many):
        for item in value.items:
            _fill(ET.SubElement(element, value.tag), item)
    elif isinstance(value, Mapping):
        for name, child in value.items():
            _fill(ET.SubElement(element, name), child)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _NOT_XML.sub("\ufffd", str(value))


def to_json(document: Document) -> bytes:
    return json.dumps(_plain(document.body), ensure_ascii=False, allow_nan=False).encode(
        "utf-8", "replace"
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Many):
        return [_plain(item) for item in value.items]
    if isinstance(value, Mapping):
        return {name: _plain(child) for name, child in value.items()}
    return value


def respond(document: Document, fmt: str, headers: Mapping[str, str] | None = None):
    body = to_json(document) if fmt == JSON else to_xml(document)
    response = Open311Response(body, status=document.status, content_type=CONTENT_TYPES[fmt])
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def errors_document(status: int, descriptions: Sequence[str]) -> Document:
    """`<errors><error><code/><description/></error>…</errors>`: one per problem."""
    errors = [{"code": status, "description": text} for text in descriptions]
    return Document("errors", Many("error", errors), status=status)


def format_of(path: str) -> str:
    """The format an address asks for: JSON for `….json`, otherwise XML (the spec's
    required format, and the only one FixMyStreet reads)."""
    return JSON if path.lower().endswith(".json") else XML
