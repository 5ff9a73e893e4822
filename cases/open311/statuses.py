"""A street report's state in Open311's words: `open`/`closed` for GeoReport v2, and the
extended status FixMyStreet reads from `servicerequestupdates` (its `map_state`), with the
report's stage as `external_status_code` so a council's FixMyStreet response templates
can pick the stage."""

from __future__ import annotations

from dataclasses import dataclass

from cases.workflows import street_report as sr
from cases.workflows.street_report import StreetReportCase

OPEN, CLOSED = "open", "closed"


@dataclass(frozen=True)
class Status:
    open311: str  # GeoReport v2's status: open or closed
    fixmystreet: str  # the extended status of an update


# One line per state of the street report's workflow. Open311's "closed" means resolved,
# so a fixed report is closed there (while its reporter may still reopen it).
STATUSES: dict[str, Status] = {
    sr.REPORTED: Status(OPEN, "open"),
    sr.INSPECTED: Status(OPEN, "investigating"),
    sr.REPAIR_SCHEDULED: Status(OPEN, "action_scheduled"),
    sr.REPAIR_OVERDUE: Status(OPEN, "in_progress"),
    sr.FIXED: Status(CLOSED, "fixed"),
    sr.CLOSED: Status(CLOSED, "closed"),
    sr.DUPLICATE: Status(CLOSED, "duplicate"),
    sr.NOT_RESPONSIBLE: Status(CLOSED, "not_councils_responsibility"),
}

if set(STATUSES) != set(StreetReportCase.STATE_LABELS):  # pragma: no cover - a new state
    raise RuntimeError("Every street report state needs its Open311 status in STATUSES")


def status_of(state: str) -> Status:
    return STATUSES.get(state, Status(OPEN, "open"))


def states_with(open311: str) -> list[str]:
    """The states GeoReport v2 calls `open311` (open or closed)."""
    return sorted(state for state, status in STATUSES.items() if status.open311 == open311)


def stage_code(state: str) -> str:
    """The stage a state belongs to (`repair`), or the state itself for an outcome off the
    timeline (`duplicate`), as `Case.stage` records it."""
    return next((stage.slug for stage in StreetReportCase.STAGES if state in stage.states), state)
