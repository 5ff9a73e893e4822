"""Which webhook event types a case event is, and the thin payload sent for each.

A payload names the case as it was just after the event (its process ID, `version`,
council, service, state and stage) and links to the API resource, so a receiver that
already holds a newer version can drop an older event, and one that wants more reads it
with its API key. It carries no personal data: the API, which logs each read, gives that.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from cases.models import CaseEvent, FeedEntry
from cases.services import step_of
from cases.webhooks.models import EventType
from cases.workflows.base import RequestPayment

SCHEMA_VERSION = 1

_BY_KIND = {
    CaseEvent.Kind.CREATED: EventType.CASE_CREATED,
    CaseEvent.Kind.ASSIGNED: EventType.CASE_ASSIGNED,
    CaseEvent.Kind.NOTE: EventType.CASE_NOTE_ADDED,
    CaseEvent.Kind.OVERDUE: EventType.CASE_OVERDUE,
    CaseEvent.Kind.REFUNDED: EventType.PAYMENT_REFUNDED,
    CaseEvent.Kind.NOTIFICATION_FAILED: EventType.NOTIFICATION_FAILED,
}


def types_of(event: CaseEvent) -> list[str]:
    """A transition is `case.transitioned`, and whatever its step announces besides
    (`payment.paid`, `evidence.received`), and `payment.requested` when it asked for a fee."""
    if event.kind != CaseEvent.Kind.TRANSITION:
        kind = _BY_KIND.get(CaseEvent.Kind(event.kind))
        return [kind.value] if kind else []
    types = [EventType.CASE_TRANSITIONED.value]
    step = step_of(event.case, event.transition)
    if step is None:
        return types
    if any(
        isinstance(hook, RequestPayment) and hook.when in (None, event.to_state)
        for hook in step.hooks
    ):
        types.append(EventType.PAYMENT_REQUESTED.value)
    return types + [announced for announced in step.announces if announced not in types]


def message_id(entry: FeedEntry, event_type: str) -> str:
    """The `webhook-id`: one per event and type, the same on every attempt and replay."""
    return f"evt_{entry.sequence}_{event_type.replace('.', '_')}"


def payload(entry: FeedEntry, event_type: str) -> dict:
    event = entry.event
    case = event.case
    stage = case.stage_for_state(event.to_state)
    data: dict = {"event_id": event.pk, "kind": event.kind}
    if event.kind == CaseEvent.Kind.TRANSITION:
        data.update(
            transition=event.transition, from_state=event.from_state, to_state=event.to_state
        )
    return {
        "id": message_id(entry, event_type),
        "type": event_type,
        "schema_version": SCHEMA_VERSION,
        "occurred_at": event.created_at.isoformat(),
        "sequence": entry.sequence,
        "case": {
            "id": case.process_id,
            "version": event.case_version,
            "council": case.organisation.slug,
            "service": case.service,
            "state": event.to_state or case.state,
            "stage": stage.slug if stage else None,
            "url": settings.SITE_URL + reverse("api:case", args=[case.process_id]),
        },
        "data": data,
    }
