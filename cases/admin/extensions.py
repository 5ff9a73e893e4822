"""Where other apps add to the case work pages without `cases` importing them.

`notify` and `payments` call these from their admin modules: the case page shows their
inlines (messages, payments), the dashboard's "needs attention" list their counts, and a
council's pages their actions and links (Notify's template linking).
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


@dataclass(frozen=True)
class CouncilLink:
    """A link on a council's admin page: `url_name` is reversed with the council's slug."""

    text: str
    url_name: str


CASE_INLINES: list[type[InlineModelAdmin]] = []
DASHBOARD_PANELS: list[Panel] = []
COUNCIL_ACTIONS: list[Callable] = []
COUNCIL_LINKS: list[CouncilLink] = []


def add_case_inline(inline: type[InlineModelAdmin]) -> None:
    if inline not in CASE_INLINES:
        CASE_INLINES.append(inline)


def add_dashboard_panel(panel: Panel) -> None:
    if panel not in DASHBOARD_PANELS:
        DASHBOARD_PANELS.append(panel)


def add_council_action(action: Callable) -> None:
    """An admin action on the council list."""
    if action not in COUNCIL_ACTIONS:
        COUNCIL_ACTIONS.append(action)


def add_council_link(link: CouncilLink) -> None:
    if link not in COUNCIL_LINKS:
        COUNCIL_LINKS.append(link)
