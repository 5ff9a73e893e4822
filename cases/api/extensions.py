"""What other apps add to a case in the API, without `cases` importing them: `notify`
adds `GET /cases/{id}/notifications`, `payments` adds `/payments`, each from its
`AppConfig.ready()`:

    extensions.add_case_resource(CaseResource("notifications", rows, NotificationSchema))

`rows(case)` returns the list to answer with; `schema` is the serializer that documents
one row in the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CaseResource:
    name: str
    rows: Callable[[Any], list[dict]]
    schema: type
    description: str = ""
    example: dict | None = None  # one row, for the OpenAPI document


CASE_RESOURCES: dict[str, CaseResource] = {}


def add_case_resource(resource: CaseResource) -> None:
    CASE_RESOURCES[resource.name] = resource
