"""Where other apps add to the case work pages without `cases` importing them.

`notify` and `payments` call these from their admin modules: the case page shows their
inlines (messages, payments), and the dashboard's "needs attention" list their counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.admin.options import InlineModelAdmin


@dataclass(frozen=True)
class Attention:
    """One line of the dashboard's "needs attention" list, linked to what it counts."""

    count: int
    text: str
    url: str
    testid: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Table:
    """A table the dashboard shows under the list (a template and its rows)."""

    template: str
    rows: Any


# panel(user, scoped) → a list of Attention and Table items; `scoped(queryset, field)`
# filters a queryset to the user's councils through `field`.
Panel = Callable[[Any, Callable], list[Attention | Table]]

CASE_INLINES: list[type[InlineModelAdmin]] = []
DASHBOARD_PANELS: list[Panel] = []


def add_case_inline(inline: type[InlineModelAdmin]) -> None:
    if inline not in CASE_INLINES:
        CASE_INLINES.append(inline)


def add_dashboard_panel(panel: Panel) -> None:
    if panel not in DASHBOARD_PANELS:
        DASHBOARD_PANELS.append(panel)
