"""The shapes the API answers with, for the OpenAPI document (drf-spectacular). The views
build their answers as dictionaries (`cases.api.representations`); the schema test runs
every answer against these."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field
from rest_framework import serializers as s


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


class CasePageSchema(s.Serializer):
    data = ListedCase(many=True)
    has_more = s.BooleanField()
    next_after = s.IntegerField(allow_null=True)
    next = s.URLField(required=False)


class Actor(s.Serializer):
    kind = s.CharField()
    label = s.CharField(allow_blank=True)


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


class EventListSchema(s.Serializer):
    data = EventSchema(many=True)


class FeedEvent(EventSchema):
    sequence = s.IntegerField()


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


class TimelineSchema(s.Serializer):
    headline = s.CharField()
    overdue = s.BooleanField()
    expected_completion = s.DateField(allow_null=True)
    stages = TimelineStageSchema(many=True)
    outcome = OutcomeSchema(allow_null=True)
    citizen_actions = s.ListField(child=s.CharField())
    entries = EntrySchema(many=True)


def list_of(row: type[s.Serializer]) -> type[s.Serializer]:
    return type(f"{row.__name__}List", (s.Serializer,), {"data": row(many=True)})


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


def _problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ProblemSchema, description=description)


PROBLEM = "application/problem+json"


def _errors(**described: str) -> dict:
    """Responses for the error statuses given (`e400="…"`), each an RFC 9457 problem."""
    return {(int(status[1:]), PROBLEM): _problem(text) for status, text in described.items()}


ERRORS = _errors(
    e400="Not valid: `errors` says which field and why.",
    e401="No API key, or one that is wrong, revoked or expired.",
    e403="The key does not have the scope, or the service, this needs.",
    e404="No such case for this key.",
    e405="This address does not take that method.",
    e406="Only JSON is answered.",
    e429="Too many requests: `Retry-After` says when to try again.",
    e500="Something went wrong on our side; nothing was changed.",
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
LINKED_FROM = {("/api/v1/cases", "post", "201"), ("/api/v1/cases/{case_id}", "get", "200")}


def add_links(result, generator, request, public):
    """drf-spectacular postprocessing hook: the links above on each answer with a case."""
    for path, method, status in LINKED_FROM:
        response = result["paths"][path][method]["responses"][status]
        response["links"] = {
            name: {"operationId": operation, "parameters": {"case_id": "$response.body#/id"}}
            for name, operation in CASE_LINKS.items()
        }
    return result
