"""The registry of workflows: service name → proxy model of Case with its state machine.

Each module in this package defines one service and registers it with `@register`;
`cases.models` imports them once Case exists, so the registry is full whenever Django is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cases.models import Case

WORKFLOWS: dict[str, type[Case]] = {}

# The part of the workflow contract (declared on `Case`) that has no default.
REQUIRED = ("SERVICE", "PREFIX", "TITLE", "INITIAL_STATE", "AnswersForm")


def register(workflow: type[Case]) -> type[Case]:
    missing = [name for name in REQUIRED if not hasattr(workflow, name)]
    missing += [name for name in ("STAGES", "STATE_LABELS") if not getattr(workflow, name)]
    if missing:
        raise TypeError(f"{workflow.__name__} does not set {', '.join(missing)}")
    WORKFLOWS[workflow.SERVICE] = workflow
    return workflow


def workflow_class(service: str) -> type[Case]:
    try:
        return WORKFLOWS[service]
    except KeyError:
        raise ValueError(f"No workflow for service {service!r}") from None


def closed_states() -> set[str]:
    return {state for workflow in WORKFLOWS.values() for state in workflow.CLOSED_STATES}
