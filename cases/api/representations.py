"""What the API answers with, built as plain dictionaries (cheap, and each field chosen on
purpose). The OpenAPI document describes the same shapes (`cases.api.schema`), and the
schema test checks every answer against it."""

from __future__ import annotations

from django.urls import reverse

from cases.api.formschema import form_schema
from cases.models import Case, CaseEvent, ServiceConfig
from cases.workflows.base import Step, Text


def bilingual(text) -> dict[str, str]:
    if isinstance(text, Text):
        return {"en": text.en, "cy": text.cy}
    return {"en": str(text), "cy": str(text)}


def when(value) -> str | None:
    return value.isoformat() if value else None


_ID = "CASE-ID"  # stands for a process ID in a reversed URL (IDs have no hyphen)


def case_url(request, case: Case, name: str = "api:case") -> str:
    """The absolute URL of one of a case's resources. Reversed once a request for each
    name, not once a case: a page of cases would spend most of its time here."""
    urls = request.__dict__.setdefault("_case_urls", {})
    if name not in urls:
        urls[name] = request.build_absolute_uri(reverse(name, args=[_ID])).split(_ID)
    before, after = urls[name]
    return f"{before}{case.process_id}{after}"


def case_repr(request, case: Case) -> dict:
    stage = case.stage_for_state(case.state)
    return {
        "id": case.process_id,
        "reference": case.reference,
        "service": case.service,
        "state": case.state,
        "state_label": bilingual(case.state_label),
        "stage": case.stage,
        "stage_label": bilingual(stage.title) if stage else None,
        "closed": case.is_closed,
        "version": case.version,
        "due_date": when(case.due_date),
        "overdue": case.overdue,
        "assigned_to": case.assigned_to.get_username() if case.assigned_to else None,
        "language": case.language,
        "applicant": {
            "name": case.applicant_name,
            "email": case.email,
            "phone": case.phone,
            "address_line_1": case.address_line_1,
            "address_line_2": case.address_line_2,
            "town": case.town,
            "postcode": case.postcode,
            "contact_preference": case.contact_preference,
        },
        "answers": case.answers,
        "created_at": when(case.created_at),
        "updated_at": when(case.updated_at),
        "closed_at": when(case.closed_at),
        "links": {
            "self": case_url(request, case),
            "timeline": case_url(request, case, "api:case-timeline"),
            "transitions": case_url(request, case, "api:case-transitions"),
            "events": case_url(request, case, "api:case-events"),
        },
    }


def event_repr(event: CaseEvent, *, internal: bool, sequence: int | None = None) -> dict:
    """One event of a case. The staff-only parts (the reason, a note's text) only for
    keys with the `cases:internal` scope."""
    body = {
        "id": event.pk,
        "case": event.case.process_id,
        "kind": event.kind,
        "transition": event.transition or None,
        "from_state": event.from_state or None,
        "to_state": event.to_state or None,
        "actor": {"kind": event.actor_kind, "label": event.actor_label},
        "public": event.public,
        "message": event.message or None,
        "created_at": when(event.created_at),
    }
    if internal:
        body["reason"] = event.reason or None
        body["data"] = event.data
    if sequence is not None:
        body = {"sequence": sequence, **body}
    return body


def step_repr(name: str, step: Step, *, source=None, target=None) -> dict:
    body = {
        "name": name,
        "label": bilingual(step.label),
        "actors": sorted(step.actors),
        "reason_required": step.reason_required,
        "message": step.message,
        "destructive": step.destructive,
        "data_schema": form_schema(step.form),
    }
    if source is not None:
        body["from"] = source
        body["to"] = target
    return body


def service_repr(config: ServiceConfig, workflow: type[Case]) -> dict:
    transitions: dict[str, dict] = {}
    for transition in workflow(state=workflow.INITIAL_STATE).get_all_state_transitions():
        step = transition.custom["step"]
        sources = (
            transition.source
            if isinstance(transition.source, list | tuple)
            else [transition.source]
        )
        found = transitions.setdefault(
            transition.name, step_repr(transition.name, step, source=[], target=[])
        )
        found["from"] = sorted(set(found["from"]) | {s for s in sources if s != "*"})
        found["to"] = sorted(set(found["to"]) | _targets(transition, sources))
    return {
        "service": config.service,
        "title": bilingual(workflow.TITLE),
        "prefix": workflow.PREFIX,
        "fee_pence": config.fee_pence,
        "initial_state": workflow.INITIAL_STATE,
        "states": [
            {"state": state, "label": bilingual(label), "closed": state in workflow.CLOSED_STATES}
            for state, label in workflow.STATE_LABELS.items()
        ],
        "stages": [
            {"stage": stage.slug, "title": bilingual(stage.title), "states": list(stage.states)}
            for stage in workflow.STAGES
        ],
        "transitions": list(transitions.values()),
        "create_schema": create_schema(workflow),
    }


def _targets(transition, sources) -> set[str]:
    """The states a transition may lead to: its target, the states a dynamic target
    (django-fsm's GET_STATE) may choose, or where it started (a target of None)."""
    target = transition.target
    if target is None:
        return {s for s in sources if s != "*"}
    if isinstance(target, str):
        return {target}
    return set(getattr(target, "allowed_states", None) or ())


def create_schema(workflow: type[Case]) -> dict:
    """What POST /cases takes for this service."""
    from cases.applicants import APPLICANT_FIELDS

    return {
        "type": "object",
        "properties": {
            "service": {"type": "string", "const": workflow.SERVICE},
            "language": {"type": "string", "enum": ["en", "cy"]},
            "applicant": {
                "type": "object",
                "properties": {name: {"type": "string"} for name in APPLICANT_FIELDS},
                "required": ["applicant_name"],
            },
            "answers": form_schema(workflow.AnswersForm),
        },
        "required": ["service", "applicant", "answers"],
    }


def timeline_repr(timeline) -> dict:
    """What the citizen's timeline page shows, in the request's language."""
    return {
        "headline": timeline.headline,
        "overdue": timeline.overdue,
        "expected_completion": when(timeline.expected_completion),
        "stages": [
            {
                "stage": item.stage.slug,
                "title": item.title,
                "status": item.status,
                "completed_at": when(item.completed_at),
                "due_date": when(item.due_date),
                "doing": item.doing or None,
                "next": item.next or None,
            }
            for item in timeline.stages
        ],
        "outcome": (
            {
                "state": timeline.outcome.state,
                "title": str(timeline.outcome.title),
                "explanation": timeline.outcome_text,
                "next": timeline.outcome_next or None,
            }
            if timeline.outcome
            else None
        ),
        "citizen_actions": [action["text"] for action in timeline.actions],
        "entries": [
            {"at": when(entry.at), "text": entry.text, "message": entry.message or None}
            for entry in timeline.entries
        ],
    }


def subscription_repr(request, subscription, *, now) -> dict:
    """A webhook subscription, never its secret (`secret` is added once, when made or
    rotated)."""
    until = subscription.previous_secret_until
    self_url = request.build_absolute_uri(reverse("api:webhook", args=[subscription.pk]))
    return {
        "id": subscription.pk,
        "name": subscription.name,
        "url": subscription.url,
        "event_types": subscription.event_types,
        "service": subscription.service or None,
        "enabled": subscription.enabled,
        "disabled_reason": subscription.disabled_reason or None,
        "disabled_at": when(subscription.disabled_at),
        "failing_since": when(subscription.failing_since),
        "previous_secret_expires_at": when(until) if until and until > now else None,
        "created_at": when(subscription.created_at),
        "links": {"self": self_url, "deliveries": f"{self_url}/deliveries"},
    }


def delivery_repr(delivery, *, tries=None) -> dict:
    """One event for one subscription and where its delivery stands; with its attempts
    (newest first) when `tries` is given."""
    body = {
        "id": delivery.pk,
        "message_id": delivery.message_id,
        "event_type": delivery.event_type,
        "case": delivery.payload["case"]["id"],
        "sequence": delivery.sequence,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": when(delivery.next_attempt_at) if delivery.status == "pending" else None,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error or None,
        "delivered_at": when(delivery.delivered_at),
        "created_at": when(delivery.created_at),
    }
    if tries is not None:
        body["payload"] = delivery.payload
        body["attempt_log"] = [
            {
                "at": when(attempt.at),
                "status_code": attempt.status_code,
                "latency_ms": attempt.latency_ms,
                "response_excerpt": attempt.response_excerpt,
                "error": attempt.error or None,
            }
            for attempt in tries
        ]
    return body
