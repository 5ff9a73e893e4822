"""The API reads JSON and nothing else. JSON may escape a lone surrogate ("\\ud800"),
which is not text: no database stores it and no answer quoting it can be encoded, so a
body carrying one is refused as unreadable."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not _is_text(data):
            raise ParseError("JSON parse error - a string holds a lone surrogate: not text.")
        return data


def _is_text(value) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_is_text(k) and _is_text(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_text(item) for item in value)
    return True
