"""The partner API's views: thin. Each reads through the key's council (and service, if
the key is restricted), writes through `cases.services` as `Actor.partner`, and answers
with `cases.api.representations`. Errors are problems (`cases.api.errors`)."""

from __future__ import annotations

from datetime import UTC

from django.urls import reverse
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ErrorDetail, NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import feed, process_id, services
from cases.actors import assignable_users
from cases.api import examples, schema
from cases.api.auth import BearerKeyAuthentication, HasScope, PerKeyThrottle, actor_of, key_of
from cases.api.errors import ProblemError
from cases.api.idempotency import idempotent
from cases.api.parsers import JSONParser
from cases.api.representations import (
    case_repr,
    event_repr,
    service_repr,
    step_repr,
    timeline_repr,
)
from cases.audit import record_access
from cases.errors import CaseValidationError
from cases.models import AccessLog, ApiKey, Case, CaseEvent, FeedEntry, Service
from cases.selectors import case_timeline
from cases.workflows import workflow_class

READ, INTERNAL = ApiKey.Scope.READ, ApiKey.Scope.INTERNAL
WRITE, TRANSITION = ApiKey.Scope.WRITE, ApiKey.Scope.TRANSITION
PAGE_SIZE, MAX_PAGE_SIZE = 50, 200


class ApiView(APIView):
    authentication_classes = [BearerKeyAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [PerKeyThrottle]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    required_scopes: dict[str, str] = {"*": READ}

    # The query parameters each method takes (as a serializer); any other is refused.
    query_forms: dict[str, type[serializers.Serializer]] = {}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not hasattr(self, request.method.lower()):
            return  # 405 follows
        form = self.query_forms.get(request.method)
        known = set(form().fields) if form else set()
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            raise serializers.ValidationError(
                {name: ErrorDetail("This is not a parameter here.", "unknown") for name in unknown}
            )

    def cases(self):
        """The cases this key may see: its council's, and only its service if restricted."""
        key = key_of(self.request)
        found = Case.objects.filter(organisation_id=key.organisation_id)
        return found.filter(service=key.service) if key.service else found

    def get_case(self, case_id: str, *, related=("assigned_to",)) -> Case:
        """The case, by its process ID however it is written (spaces, hyphens, case)."""
        found = self.cases().select_related(*related)
        try:
            return found.get(process_id=process_id.normalise(case_id)[:32])
        except Case.DoesNotExist:
            raise NotFound("There is no case with that ID that this key can see.") from None

    def log_read(self, case_ids) -> None:
        record_access(
            self.request, case_ids, AccessLog.Action.API_READ, api_key=key_of(self.request)
        )

    def may(self, scope: str) -> bool:
        return scope in key_of(self.request).scopes


def _version_in(header: str | None) -> int | None:
    """The version an `If-Match` names (`3`, `"3"` or `W/"3"`); None without one."""
    if not header:
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit() or len(value) > 9:
        raise ProblemError("invalid", "If-Match must be the case's version, as its ETag gives it.")
    return int(value)


def _etag(case: Case) -> str:
    return f'"{case.version}"'


# --- Services -----------------------------------------------------------------------------


class ServiceList(ApiView):
    @extend_schema(
        summary="The council's services and their workflows",
        responses={200: schema.ServiceListSchema, **schema.ERRORS},
        tags=["services"],
    )
    def get(self, request):
        key = key_of(request)
        configs = key.organisation.service_configs.filter(enabled=True).order_by("service")
        if key.service:
            configs = configs.filter(service=key.service)
        return Response({"data": [service_repr(c, workflow_class(c.service)) for c in configs]})


# --- Cases --------------------------------------------------------------------------------


@schema.sent("A pothole report", examples.CREATE)
class CaseCreateInput(serializers.Serializer):
    service = serializers.ChoiceField(choices=Service.choices)
    language = serializers.ChoiceField(choices=["en", "cy"], default="en")
    applicant = serializers.DictField(child=serializers.CharField(allow_blank=True))
    answers = serializers.DictField()


class StrictDateTime(serializers.DateTimeField):
    """An ISO 8601 date and time with its offset (RFC 3339), nothing looser."""

    def to_internal_value(self, value):
        try:
            parsed = parse_datetime(str(value))
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            self.fail("invalid", format="an ISO 8601 date and time with its offset")
        try:  # in UTC: the database takes offsets only up to 15:59
            return parsed.astimezone(UTC)
        except OverflowError:  # the first or last moments of the calendar, moved past it
            self.fail("invalid", format="a date and time between the years 1 and 9999")


class PageQuery(serializers.Serializer):
    after = serializers.IntegerField(
        min_value=0, max_value=2**62, default=0, help_text="Start after this (0: the start)."
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE, help_text="How many, at most."
    )


class CaseListQuery(PageQuery):
    service = serializers.ChoiceField(choices=Service.values, required=False)
    state = serializers.CharField(required=False, allow_blank=True, max_length=40)
    stage = serializers.CharField(required=False, allow_blank=True, max_length=40)
    overdue = serializers.ChoiceField(choices=["true", "false"], required=False)
    assigned = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=150,
        help_text="A caseworker's username, or `none`.",
    )
    reference = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="A process ID, written any way."
    )
    updated_since = StrictDateTime(required=False, help_text="With its offset, e.g. `Z`.")
    created_since = StrictDateTime(required=False, help_text="With its offset, e.g. `Z`.")


class FeedQuery(PageQuery):
    service = serializers.ChoiceField(choices=Service.values, required=False)


def read_query(request, form: type[serializers.Serializer]) -> dict:
    # A plain dict, not the QueryDict: DRF would read an empty value as "not given".
    given = form(data=request.query_params.dict())
    given.is_valid(raise_exception=True)
    return given.validated_data


class CaseList(ApiView):
    required_scopes = {"GET": READ, "POST": WRITE}
    query_forms = {"GET": CaseListQuery}

    @extend_schema(
        summary="List cases, oldest first, a page at a time",
        operation_id="cases_list",
        description="Keyset pages: pass the page's `next_after` as `after` for the next one. "
        "The order (by `sequence`, which only grows) is stable while cases are added.",
        parameters=[CaseListQuery],
        responses={200: schema.CasePageSchema, **schema.ERRORS},
        tags=["cases"],
    )
    def get(self, request):
        query = read_query(request, CaseListQuery)
        found = self.cases().select_related("assigned_to")
        for name in ("service", "state", "stage"):
            if query.get(name):
                found = found.filter(**{name: query[name]})
        if "overdue" in query:
            found = found.filter(overdue=query["overdue"] == "true")
        assigned = query.get("assigned")
        if assigned:
            found = (
                found.filter(assigned_to=None)
                if assigned == "none"
                else found.filter(assigned_to__username=assigned)
            )
        if query.get("reference"):
            found = found.filter(process_id=process_id.normalise(query["reference"])[:32])
        if "updated_since" in query:
            found = found.filter(updated_at__gte=query["updated_since"])
        if "created_since" in query:
            found = found.filter(created_at__gte=query["created_since"])
        limit = query["limit"]
        page = list(found.filter(pk__gt=query["after"]).order_by("pk")[: limit + 1])
        has_more = len(page) > limit
        page = page[:limit]
        self.log_read([case.pk for case in page])
        body = {
            "data": [{"sequence": case.pk, **case_repr(request, case)} for case in page],
            "has_more": has_more,
            "next_after": page[-1].pk if has_more else None,
        }
        if has_more:
            params = request.query_params.copy()
            params["after"] = str(page[-1].pk)
            body["next"] = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        return Response(body)

    @extend_schema(
        summary="Open a case",
        description="Validated as the citizen's own pages validate it. Send an "
        "`Idempotency-Key` so a retry never opens a second case.",
        request=CaseCreateInput,
        parameters=[schema.IDEMPOTENCY_KEY],
        responses={201: schema.CaseSchema, **schema.ERRORS, **schema.IDEMPOTENCY_ERRORS},
        tags=["cases"],
    )
    @idempotent
    def post(self, request):
        given = CaseCreateInput(data=request.data)
        given.is_valid(raise_exception=True)
        key = key_of(request)
        if key.service and given.validated_data["service"] != key.service:
            raise ProblemError("permission_denied", f"This API key is only for {key.service}.")
        try:
            case = services.case_create(
                organisation=key.organisation,
                service=given.validated_data["service"],
                applicant=given.validated_data["applicant"],
                answers=given.validated_data["answers"],
                language=given.validated_data["language"],
                actor=actor_of(request),
            )
        except CaseValidationError as exc:  # name the applicant's fields as they were sent
            raise CaseValidationError(
                {
                    k if k == "service" or k.startswith("answers.") else f"applicant.{k}": v
                    for k, v in exc.errors.items()
                }
            ) from None
        body = case_repr(request, case)
        return Response(
            body,
            status=status.HTTP_201_CREATED,
            headers={"Location": body["links"]["self"], "ETag": _etag(case)},
        )


class CaseDetail(ApiView):
    @extend_schema(
        summary="A case",
        description="By its process ID, written any way (`st-wyt9-upex-q73`, `ST WYT9…`); "
        "the answer gives the canonical one. `ETag` is the case's version: send it as "
        "`If-None-Match` to get 304 when nothing changed, or as `If-Match` to a write.",
        responses={200: schema.CaseSchema, 304: None, **schema.ERRORS},
        tags=["cases"],
    )
    def get(self, request, case_id: str):
        case = self.get_case(case_id)
        etag = _etag(case)
        if request.headers.get("If-None-Match") in (etag, f"W/{etag}"):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        self.log_read([case.pk])
        return Response(case_repr(request, case), headers={"ETag": etag})


class CaseTimeline(ApiView):
    @extend_schema(
        summary="What the citizen sees of a case",
        description="In the language `Accept-Language` asks for (English or Welsh).",
        responses={200: schema.TimelineSchema, **schema.ERRORS},
        tags=["cases"],
    )
    def get(self, request, case_id: str):
        case = self.get_case(case_id, related=("organisation",))
        self.log_read([case.pk])
        return Response(timeline_repr(case_timeline(case)))


class CaseEvents(ApiView):
    required_scopes = {"*": INTERNAL}

    @extend_schema(
        summary="Everything that happened to a case, staff-only record included",
        responses={200: schema.EventListSchema, **schema.ERRORS},
        tags=["cases"],
    )
    def get(self, request, case_id: str):
        case = self.get_case(case_id)
        events = list(CaseEvent.objects.filter(case=case).order_by("created_at", "id"))
        for event in events:
            event.case = case
        self.log_read([case.pk])
        return Response({"data": [event_repr(e, internal=True) for e in events]})


class CaseTransitions(ApiView):
    @extend_schema(
        summary="The steps this key may take on the case now",
        responses={200: schema.StepListSchema, **schema.ERRORS},
        tags=["transitions"],
    )
    def get(self, request, case_id: str):
        case = self.get_case(case_id)
        allowed = (
            services.allowed_transitions(case, actor_of(request)) if self.may(TRANSITION) else []
        )
        return Response({"data": [step_repr(name, step) for name, step in allowed]})


@schema.sent("A new repair date", examples.TRANSITION)
class TransitionInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    message = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    data = serializers.DictField(required=False, default=dict)


class CaseTransitionRun(ApiView):
    required_scopes = {"*": TRANSITION}

    @extend_schema(
        summary="Take a step",
        description="Send `If-Match` with the version you read: 412 if the case has changed "
        "since. 409 if it changed while this ran; 422 if the step is not possible now (the "
        "problem lists the ones that are).",
        request=TransitionInput,
        parameters=[schema.IF_MATCH, schema.IDEMPOTENCY_KEY],
        responses={200: schema.CaseSchema, **schema.ERRORS, **schema.WRITE_ERRORS},
        tags=["transitions"],
    )
    @idempotent
    def post(self, request, case_id: str, name: str):
        case = self.get_case(case_id)
        if services.step_of(case, name) is None:
            raise NotFound(f"A {case.TITLE.en} has no step called '{name}'.")
        given = TransitionInput(data=request.data)
        given.is_valid(raise_exception=True)
        case = services.case_transition(
            case=case.pk,
            transition=name,
            actor=actor_of(request),
            reason=given.validated_data["reason"],
            message=given.validated_data["message"],
            data=given.validated_data["data"],
            expected_version=_version_in(request.headers.get("If-Match")),
        )
        return Response(case_repr(request, case), headers={"ETag": _etag(case)})


@schema.sent("A note of a phone call", examples.NOTE_TEXT)
class NoteInput(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class CaseNotes(ApiView):
    required_scopes = {"*": WRITE}

    @extend_schema(
        summary="Add a note (staff only: never shown to the citizen)",
        request=NoteInput,
        parameters=[schema.IDEMPOTENCY_KEY],
        responses={201: schema.EventSchema, **schema.ERRORS, **schema.IDEMPOTENCY_ERRORS},
        tags=["cases"],
    )
    @idempotent
    def post(self, request, case_id: str):
        case = self.get_case(case_id)
        given = NoteInput(data=request.data)
        given.is_valid(raise_exception=True)
        event = services.case_add_note(
            case=case.pk, actor=actor_of(request), text=given.validated_data["text"]
        )
        return Response(
            event_repr(event, internal=self.may(INTERNAL)), status=status.HTTP_201_CREATED
        )


@schema.sent("To a caseworker", examples.ASSIGNEE)
class AssigneeInput(serializers.Serializer):
    username = serializers.CharField(allow_null=True, max_length=150)


class CaseAssignee(ApiView):
    required_scopes = {"*": WRITE}

    @extend_schema(
        summary="Give the case to a caseworker of the council (or to nobody: null)",
        request=AssigneeInput,
        parameters=[schema.IF_MATCH],
        responses={200: schema.CaseSchema, **schema.ERRORS, **schema.WRITE_ERRORS},
        tags=["cases"],
    )
    def put(self, request, case_id: str):
        case = self.get_case(case_id)
        given = AssigneeInput(data=request.data)
        given.is_valid(raise_exception=True)
        username = given.validated_data["username"]
        assignee = None
        if username is not None:
            # Only the council's own people: whether a name exists elsewhere is not told.
            assignee = assignable_users(case.organisation_id).filter(username=username).first()
            if assignee is None:
                raise CaseValidationError({"username": ["No caseworker of the council has it"]})
        case = services.case_assign(
            case=case.pk,
            assignee=assignee,
            actor=actor_of(request),
            expected_version=_version_in(request.headers.get("If-Match")),
        )
        return Response(case_repr(request, case), headers={"ETag": _etag(case)})


@schema.sent("Texts from now on", examples.CONTACT)
class ContactInput(serializers.Serializer):
    contact_preference = serializers.CharField(max_length=20)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class CaseContactPreference(ApiView):
    required_scopes = {"*": WRITE}

    @extend_schema(
        summary="Change how the citizen is contacted",
        request=ContactInput,
        parameters=[schema.IF_MATCH],
        responses={200: schema.CaseSchema, **schema.ERRORS, **schema.WRITE_ERRORS},
        tags=["cases"],
    )
    def put(self, request, case_id: str):
        case = self.get_case(case_id)
        given = ContactInput(data=request.data)
        given.is_valid(raise_exception=True)
        case = services.case_set_contact_preference(
            case=case.pk,
            preference=given.validated_data["contact_preference"],
            reason=given.validated_data["reason"],
            actor=actor_of(request),
            expected_version=_version_in(request.headers.get("If-Match")),
        )
        return Response(case_repr(request, case), headers={"ETag": _etag(case)})


def case_resource_view(resource):
    """The view of a sub-resource another app adds (`cases.api.extensions`)."""

    class CaseResourceView(ApiView):
        @extend_schema(
            summary=resource.description or f"The case's {resource.name}",
            responses={200: schema.list_of(resource.schema, resource.example), **schema.ERRORS},
            tags=["cases"],
            operation_id=f"cases_{resource.name}_list",
        )
        def get(self, request, case_id: str):
            case = self.get_case(case_id)
            self.log_read([case.pk])
            return Response({"data": resource.rows(case)})

    CaseResourceView.__name__ = f"Case{resource.name.title()}"
    return CaseResourceView.as_view()


# --- The change feed ----------------------------------------------------------------------


class EventFeed(ApiView):
    query_forms = {"GET": FeedQuery}

    @extend_schema(
        summary="Every case event this key may see, in the order they happened",
        description="Pass the last `sequence` you have as `after` (0 to start). Sequences "
        "only grow, in commit order: an event is never added before one you have read. The "
        "staff-only record (`reason`, `data`) is included for keys with `cases:internal`.",
        parameters=[FeedQuery],
        responses={200: schema.FeedPageSchema, **schema.ERRORS},
        tags=["events"],
    )
    def get(self, request):
        query = read_query(request, FeedQuery)
        after, limit = query["after"], query["limit"]
        key = key_of(request)
        feed.publish()
        entries = FeedEntry.objects.filter(organisation_id=key.organisation_id, sequence__gt=after)
        service = key.service or query.get("service")
        if service:
            entries = entries.filter(service=service)
        page = list(entries.select_related("event__case").order_by("sequence")[: limit + 1])
        has_more = len(page) > limit
        page = page[:limit]
        self.log_read(sorted({entry.event.case_id for entry in page}))  # messages, notes
        internal = self.may(INTERNAL)
        last = page[-1].sequence if page else after
        query = request.query_params.copy()
        query["after"] = str(last)
        return Response(
            {
                "data": [event_repr(e.event, internal=internal, sequence=e.sequence) for e in page],
                "has_more": has_more,
                "next_after": last,
                "next": request.build_absolute_uri(f"{reverse('api:events')}?{query.urlencode()}"),
            }
        )


class Root(ApiView):
    permission_classes: list = []
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(exclude=True)
    def get(self, request):
        def url(name):
            return request.build_absolute_uri(reverse(name))

        return Response(
            {
                "version": "1",
                "services": url("api:services"),
                "cases": url("api:cases"),
                "events": url("api:events"),
                "webhooks": url("api:webhooks"),
                "schema": url("api:schema"),
                "documentation": url("api:docs"),
                "problems": url("api:problems"),
                "guide": "docs/api/README.md in the source",
            }
        )


class Problems(Root):
    @extend_schema(exclude=True)
    def get(self, request):
        from cases.api.errors import PROBLEMS

        return Response(
            {
                code: {"status": status_code, "title": title}
                for code, (status_code, title) in PROBLEMS.items()
            }
        )
