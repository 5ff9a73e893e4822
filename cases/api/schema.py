"""The shapes the API answers with, for the OpenAPI document (drf-spectacular). The views
build their answers as dictionaries (`cases.api.representations`); the schema test runs
every answer against these."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers as s

from cases.api import examples
from cases.api.errors import PROBLEMS, TYPE_BASE
from cases.webhooks.models import EventType, WebhookDelivery


def example(name: str, value, **kw) -> OpenApiExample:
    return OpenApiExample(name, value=value, **kw)


def sent(name: str, value):
    """The input serializer's example: what a partner sends."""
    return extend_schema_serializer(examples=[example(name, value, request_only=True)])


def shows(name: str, value):
    """The serializer's example in the document (its answers: 200 and 201)."""
    return extend_schema_serializer(examples=[example(name, value)])


EVENT_TYPES = EventType.choices


class BearerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "cases.api.auth.BearerKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A council's API key: `Authorization: Bearer wm_live_…`.",
        }


class Bilingual(s.Serializer):
    en = s.CharField()
    cy = s.CharField()


@extend_schema_field({"type": "object", "additionalProperties": True})
class AnyObject(s.JSONField):
    pass


class Applicant(s.Serializer):
    name = s.CharField()
    email = s.CharField(allow_blank=True)
    phone = s.CharField(allow_blank=True)
    address_line_1 = s.CharField(allow_blank=True)
    address_line_2 = s.CharField(allow_blank=True)
    town = s.CharField(allow_blank=True)
    postcode = s.CharField(allow_blank=True)
    contact_preference = s.CharField()


class CaseLinks(s.Serializer):
    self = s.URLField()
    timeline = s.URLField()
    transitions = s.URLField()
    events = s.URLField()


@shows("A street report with a repair booked", examples.CASE)
class CaseSchema(s.Serializer):
    id = s.CharField(help_text="The process ID, canonical: no spaces or hyphens.")
    reference = s.CharField(help_text="The process ID as people read it: BB-4K7M-Q9XA-W3R.")
    service = s.CharField()
    state = s.CharField()
    state_label = Bilingual()
    stage = s.CharField()
    stage_label = Bilingual(allow_null=True)
    closed = s.BooleanField()
    version = s.IntegerField(help_text="Grows with every change: the ETag.")
    due_date = s.DateField(allow_null=True)
    overdue = s.BooleanField()
    assigned_to = s.CharField(allow_null=True)
    language = s.ChoiceField(choices=["en", "cy"])
    applicant = Applicant()
    answers = AnyObject()
    created_at = s.DateTimeField()
    updated_at = s.DateTimeField()
    closed_at = s.DateTimeField(allow_null=True)
    links = CaseLinks()


class ListedCase(CaseSchema):
    sequence = s.IntegerField()


@shows("A page of one case", examples.CASE_PAGE)
class CasePageSchema(s.Serializer):
    data = ListedCase(many=True)
    has_more = s.BooleanField()
    next_after = s.IntegerField(allow_null=True)
    next = s.URLField(required=False)


class Actor(s.Serializer):
    kind = s.CharField()
    label = s.CharField(allow_blank=True)


@shows("A note added", examples.NOTE)
class EventSchema(s.Serializer):
    id = s.IntegerField()
    case = s.CharField()
    kind = s.CharField()
    transition = s.CharField(allow_null=True)
    from_state = s.CharField(allow_null=True)
    to_state = s.CharField(allow_null=True)
    actor = Actor()
    public = s.BooleanField()
    message = s.CharField(allow_null=True)
    created_at = s.DateTimeField()
    reason = s.CharField(allow_null=True, required=False, help_text="With cases:internal.")
    data = AnyObject(required=False, help_text="With cases:internal.")


@shows("A case's events", {"data": [examples.EVENT, examples.NOTE]})
class EventListSchema(s.Serializer):
    data = EventSchema(many=True)


class FeedEvent(EventSchema):
    sequence = s.IntegerField()


@shows("A page of the change feed", examples.FEED_PAGE)
class FeedPageSchema(s.Serializer):
    data = FeedEvent(many=True)
    has_more = s.BooleanField()
    next_after = s.IntegerField()
    next = s.URLField()


class StepSchema(s.Serializer):
    name = s.CharField()
    label = Bilingual()
    actors = s.ListField(child=s.CharField())
    reason_required = s.BooleanField()
    message = s.ChoiceField(choices=["none", "optional", "required"])
    destructive = s.BooleanField()
    data_schema = AnyObject(help_text="A JSON Schema of the data the step takes.")


@shows("The steps open now", {"data": [examples.STEP]})
class StepListSchema(s.Serializer):
    data = StepSchema(many=True)


class WorkflowStep(StepSchema):
    source = s.ListField(child=s.CharField(), help_text="The states it may be taken from.")
    to = s.ListField(child=s.CharField(), help_text="The states it may lead to.")


class StateSchema(s.Serializer):
    state = s.CharField()
    label = Bilingual()
    closed = s.BooleanField()


class StageSchema(s.Serializer):
    stage = s.CharField()
    title = Bilingual()
    states = s.ListField(child=s.CharField())


class ServiceSchema(s.Serializer):
    service = s.CharField()
    title = Bilingual()
    prefix = s.CharField()
    fee_pence = s.IntegerField()
    initial_state = s.CharField()
    states = StateSchema(many=True)
    stages = StageSchema(many=True)
    transitions = WorkflowStep(many=True)
    create_schema = AnyObject(help_text="A JSON Schema of what POST /cases takes.")


# "from" is a keyword in Python: the workflow's step lists its sources under "from".
WorkflowStep._declared_fields["from"] = WorkflowStep._declared_fields.pop("source")


@shows("The street report's workflow, one step of it", examples.SERVICES)
class ServiceListSchema(s.Serializer):
    data = ServiceSchema(many=True)


class TimelineStageSchema(s.Serializer):
    stage = s.CharField()
    title = s.CharField()
    status = s.ChoiceField(choices=["done", "current", "upcoming"])
    completed_at = s.DateTimeField(allow_null=True)
    due_date = s.DateField(allow_null=True)
    doing = s.CharField(allow_null=True)
    next = s.CharField(allow_null=True)


class OutcomeSchema(s.Serializer):
    state = s.CharField()
    title = s.CharField()
    explanation = s.CharField()
    next = s.CharField(allow_null=True)


class EntrySchema(s.Serializer):
    at = s.DateTimeField()
    text = s.CharField(allow_blank=True)
    message = s.CharField(allow_null=True)


@shows("What the reporter sees", examples.TIMELINE)
class TimelineSchema(s.Serializer):
    headline = s.CharField()
    overdue = s.BooleanField()
    expected_completion = s.DateField(allow_null=True)
    stages = TimelineStageSchema(many=True)
    outcome = OutcomeSchema(allow_null=True)
    citizen_actions = s.ListField(child=s.CharField())
    entries = EntrySchema(many=True)


def list_of(row: type[s.Serializer], example_row: dict | None = None) -> type[s.Serializer]:
    listed = type(f"{row.__name__}List", (s.Serializer,), {"data": row(many=True)})
    if example_row is None:
        return listed
    return shows(
        f"A case's {row.__name__.removesuffix('Schema').lower()}s", {"data": [example_row]}
    )(listed)


class SubscriptionLinks(s.Serializer):
    self = s.URLField()
    deliveries = s.URLField()


@shows("The CRM's subscription", examples.SUBSCRIPTION)
class SubscriptionSchema(s.Serializer):
    id = s.IntegerField()
    name = s.CharField()
    url = s.CharField()
    event_types = s.ListField(child=s.ChoiceField(choices=EVENT_TYPES))
    service = s.CharField(allow_null=True, help_text="null: every service of the council.")
    enabled = s.BooleanField()
    disabled_reason = s.CharField(allow_null=True)
    disabled_at = s.DateTimeField(allow_null=True)
    failing_since = s.DateTimeField(
        allow_null=True,
        help_text="Every delivery has failed since (warned after a day, disabled after three).",
    )
    previous_secret_expires_at = s.DateTimeField(
        allow_null=True, help_text="After a rotation: until when the old secret signs too."
    )
    created_at = s.DateTimeField()
    links = SubscriptionLinks()


@shows("Made, with its secret", examples.NEW_SUBSCRIPTION)
class NewSubscriptionSchema(SubscriptionSchema):
    secret = s.CharField(help_text="The signing secret (`whsec_…`): shown this once.")


@shows("One subscription", {"data": [examples.SUBSCRIPTION]})
class SubscriptionListSchema(s.Serializer):
    data = SubscriptionSchema(many=True)


class ListedDelivery(s.Serializer):
    id = s.IntegerField()
    message_id = s.CharField(help_text="The `webhook-id` header: the same on every attempt.")
    event_type = s.ChoiceField(choices=EVENT_TYPES)
    case = s.CharField(help_text="The case's process ID.")
    sequence = s.IntegerField(help_text="The change feed's: a case's events go in this order.")
    status = s.ChoiceField(choices=WebhookDelivery.Status.values)
    attempts = s.IntegerField()
    next_attempt_at = s.DateTimeField(allow_null=True)
    last_status_code = s.IntegerField(allow_null=True)
    last_error = s.CharField(allow_null=True)
    delivered_at = s.DateTimeField(allow_null=True)
    created_at = s.DateTimeField()


@shows("A page of the log", examples.DELIVERY_PAGE)
class DeliveryPageSchema(s.Serializer):
    data = ListedDelivery(many=True)
    has_more = s.BooleanField()
    next_before = s.IntegerField(allow_null=True)


class AttemptSchema(s.Serializer):
    at = s.DateTimeField()
    status_code = s.IntegerField(allow_null=True, help_text="null: no answer (`error` says why).")
    latency_ms = s.IntegerField()
    response_excerpt = s.CharField(allow_blank=True, help_text="The answer's first 500 bytes.")
    error = s.CharField(allow_null=True)


@shows("Delivered at the second attempt", examples.DELIVERY)
class DeliverySchema(ListedDelivery):
    payload = AnyObject(help_text="The event as it is sent (docs/api/webhooks.md).")
    attempt_log = AttemptSchema(many=True, help_text="Newest first.")


@shows("Two days sent again", examples.REPLAYED)
class ReplaySchema(s.Serializer):
    deliveries = s.IntegerField(help_text="How many deliveries will be sent.")
    since = s.DateTimeField()
    until = s.DateTimeField()


class FieldError(s.Serializer):
    attr = s.CharField(allow_null=True)
    code = s.CharField()
    detail = s.CharField()


class ProblemSchema(s.Serializer):
    """RFC 9457 problem details."""

    type = s.CharField()
    title = s.CharField()
    status = s.IntegerField()
    detail = s.CharField()
    instance = s.CharField()
    code = s.CharField()
    errors = FieldError(many=True, required=False)
    allowed = s.ListField(child=s.CharField(), required=False)
    current_version = s.IntegerField(required=False)
    retry_after = s.IntegerField(required=False)


# What each error status adds to a problem, in the examples.
_EXTRAS: dict[int, dict] = {
    400: {"errors": [{"attr": "answers.location", "code": "invalid", "detail": "Enter where"}]},
    412: {"current_version": 5},
    422: {"allowed": ["mark_fixed", "reschedule_repair"]},
}


def _problem(status: int, description: str) -> OpenApiResponse:
    code = next(code for code, (found, _title) in PROBLEMS.items() if found == status)
    body = {
        "type": TYPE_BASE + code,
        "title": PROBLEMS[code][1],
        "status": status,
        "detail": description.split(":")[0].rstrip("."),
        "instance": "urn:waymark:request:9c1e5b0f6a2d4c7e8f3a1b2c3d4e5f60",
        "code": code,
        **_EXTRAS.get(status, {}),
    }
    return OpenApiResponse(
        response=ProblemSchema,
        description=description,
        examples=[example(PROBLEMS[code][1], body)],
    )


PROBLEM = "application/problem+json"


def _errors(**described: str) -> dict:
    """Responses for the error statuses given (`e400="…"`), each an RFC 9457 problem."""
    return {
        (int(status[1:]), PROBLEM): _problem(int(status[1:]), text)
        for status, text in described.items()
    }


ERRORS = _errors(
    e400="Not valid: `errors` says which field and why.",
    e401="No API key, or one that is wrong, revoked or expired.",
    e403="The key does not have the scope, or the service, this needs.",
    e404="No such case for this key.",
    e405="This address does not take that method.",
    e406="Only JSON is answered.",
    e429="Too many requests: `Retry-After` says when to try again.",
    e500="Something went wrong on our side; nothing was changed.",
    e503="The database cannot be reached for a moment: nothing was changed; try again "
    "after `Retry-After` seconds.",
)
WRITE_ERRORS = _errors(
    e409="The case changed while this ran (or a request with this Idempotency-Key is "
    "still running: `Retry-After`).",
    e412="`If-Match` names an old version: `current_version` is the new one.",
    e415="Send JSON.",
    e422="Not possible now: `allowed` lists what is (or this Idempotency-Key was used "
    "with a different request).",
)
IDEMPOTENCY_ERRORS = _errors(
    e409="A request with this Idempotency-Key is still running (`Retry-After`).",
    e415="Send JSON.",
    e422="This Idempotency-Key was used with a different request.",
)
BODY_ERRORS = _errors(e415="Send JSON.")
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "pattern": "^[!-~]{1,255}$"},
    OpenApiParameter.HEADER,
    description="Up to 255 printable characters. A retry with the same key and body gets "
    "the first answer again (`Idempotent-Replayed: true`) for 24 hours.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The version you read (the ETag): 412 if the case has changed since.",
)


# Where a case's ID in one answer leads: the OpenAPI links between operations (what a
# client, and the stateful schema test, follow from a new or read case to its parts).
CASE_LINKS = {
    "GetCase": "cases_retrieve",
    "GetTimeline": "cases_timeline_retrieve",
    "GetEvents": "cases_events_retrieve",
    "GetTransitions": "cases_transitions_retrieve",
    "TakeStep": "cases_transitions_create",
    "AddNote": "cases_notes_create",
    "SetAssignee": "cases_assignee_update",
    "SetContactPreference": "cases_contact_preference_update",
    "GetNotifications": "cases_notifications_list",
    "GetPayments": "cases_payments_list",
}
# And from a new subscription to what may be done with it.
WEBHOOK_LINKS = {
    "GetWebhook": "webhooks_retrieve",
    "ChangeWebhook": "webhooks_partial_update",
    "RemoveWebhook": "webhooks_destroy",
    "RotateSecret": "webhooks_rotate_secret_create",
    "Replay": "webhooks_replay_create",
    "GetDeliveries": "webhooks_deliveries_list",
}
# (path, method, status) → (the links, the parameter they fill, from where in the body)
LINKED_FROM = {
    ("/api/v1/cases", "post", "201"): (CASE_LINKS, "case_id", "$response.body#/id"),
    ("/api/v1/cases/{case_id}", "get", "200"): (CASE_LINKS, "case_id", "$response.body#/id"),
    ("/api/v1/webhooks", "post", "201"): (WEBHOOK_LINKS, "id", "$response.body#/id"),
}


def add_links(result, generator, request, public):
    """drf-spectacular postprocessing hook: the links above on the answers they start from."""
    for (path, method, status), (links, parameter, source) in LINKED_FROM.items():
        response = result["paths"][path][method]["responses"][status]
        response["links"] = {
            name: {"operationId": operation, "parameters": {parameter: source}}
            for name, operation in links.items()
        }
    return result
