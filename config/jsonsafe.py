"""JSON from outside made storable: no database keeps a NUL character (PostgreSQL refuses
one in text and in jsonb), and a lone surrogate ("\\ud800", valid JSON) is not UTF-8."""

from __future__ import annotations

from typing import Any


def storable_text(value: str) -> str:
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def storable(value: Any) -> Any:
    """The same JSON value with every string (keys too) made storable."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {storable_text(str(k)): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value
