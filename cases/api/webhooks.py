"""Webhook subscriptions through the API (`webhooks:manage`): a council's systems make,
change, rotate and remove their own subscriptions, read the delivery log, send one
delivery again and replay a time range — through `cases.webhooks.subscriptions` and
`cases.webhooks.outbox`, as the admin does, so the checks are the same. A key sees only
its council's subscriptions (and, if it is restricted to a service, only that service's)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from cases.api import examples, schema
from cases.api.auth import key_of
from cases.api.errors import ProblemError
from cases.api.idempotency import idempotent
from cases.api.representations import delivery_repr, subscription_repr
from cases.api.views import MAX_PAGE_SIZE, PAGE_SIZE, ApiView, StrictDateTime, read_query
from cases.models import ApiKey, Service
from cases.webhooks import outbox
from cases.webhooks.models import EventType, WebhookDelivery, WebhookSubscription
from cases.webhooks.subscriptions import (
    subscription_create,
    subscription_rotate_secret,
    subscription_update,
)

MANAGE = ApiKey.Scope.WEBHOOKS
TAGS = ["webhooks"]
MAX_ID = 2**63 - 1  # a larger number in the address is no row's ID (and PostgreSQL's bigint)


@schema.sent("The CRM, told of new reports and their steps", examples.SUBSCRIPTION_CREATE)
class SubscriptionInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="Who receives it, e.g. 'CRM'.")
    url = serializers.URLField(
        max_length=500, help_text="HTTPS, at a public address; events are POSTed to it."
    )
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), allow_empty=False
    )
    service = serializers.ChoiceField(
        choices=Service.choices,
        allow_null=True,
        required=False,
        help_text="Only this service's cases (null: every service of the council).",
    )


@schema.sent("Paused by the partner", examples.SUBSCRIPTION_UPDATE)
class SubscriptionChange(SubscriptionInput):
    enabled = serializers.BooleanField(
        help_text="false pauses it (events wait); true sends what waited and clears the "
        "failure record."
    )


@schema.sent("Two days again", examples.REPLAY)
class ReplayInput(serializers.Serializer):
    since = StrictDateTime(help_text="The first moment, with its offset.")
    until = StrictDateTime(required=False, help_text="The last moment (default: now).")


class DeliveryQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.values, required=False)
    event_type = serializers.ChoiceField(choices=EventType.choices, required=False)
    before = serializers.IntegerField(
        min_value=1, max_value=2**62, required=False, help_text="Older than this delivery."
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE, help_text="How many, at most."
    )


def _valid(make):
    """Runs `make()`; a refusal of `cases.webhooks.subscriptions` is a 400 naming the field."""
    try:
        return make()
    except ValidationError as exc:
        detail = getattr(exc, "message_dict", None) or {"non_field_errors": exc.messages}
        raise serializers.ValidationError(detail) from None


class WebhookView(ApiView):
    required_scopes = {"*": MANAGE}

    def subscriptions(self):
        key = key_of(self.request)
        found = WebhookSubscription.objects.filter(organisation_id=key.organisation_id)
        return found.filter(service=key.service) if key.service else found

    def get_subscription(self, pk: int, *, lock: bool = False) -> WebhookSubscription:
        found = self.subscriptions()
        if lock:
            found = found.select_for_update(of=("self",))
        subscription = found.filter(pk=pk).first() if pk <= MAX_ID else None
        if subscription is None:
            raise NotFound("There is no webhook subscription with that ID that this key can see.")
        return subscription

    def check_service(self, service: str) -> None:
        """A key restricted to a service makes subscriptions to that service only."""
        key = key_of(self.request)
        if key.service and service != key.service:
            raise ProblemError("permission_denied", f"This API key is only for {key.service}.")

    def answer(self, subscription, *, code=status.HTTP_200_OK, **extra) -> Response:
        body = subscription_repr(self.request, subscription, now=timezone.now())
        return Response({**body, **extra}, status=code)


class SubscriptionList(WebhookView):
    @extend_schema(
        summary="The council's webhook subscriptions",
        operation_id="webhooks_list",
        responses={200: schema.SubscriptionListSchema, **schema.ERRORS},
        tags=TAGS,
    )
    def get(self, request):
        now = timezone.now()
        found = self.subscriptions().order_by("pk")
        return Response({"data": [subscription_repr(request, s, now=now) for s in found]})

    @extend_schema(
        summary="Subscribe to events",
        description="Told of events from now on (replay sends earlier ones). The answer "
        "holds the signing `secret`: it is shown this once. The URL must be HTTPS at a "
        "public address; it is checked again before every delivery.",
        request=SubscriptionInput,
        parameters=[schema.IDEMPOTENCY_KEY],
        responses={
            201: schema.NewSubscriptionSchema,
            **schema.ERRORS,
            **schema.IDEMPOTENCY_ERRORS,
        },
        tags=TAGS,
    )
    @idempotent
    def post(self, request):
        given = SubscriptionInput(data=request.data)
        given.is_valid(raise_exception=True)
        key = key_of(request)
        service = given.validated_data.get("service") or key.service
        self.check_service(service)
        subscription, secret = _valid(
            lambda: subscription_create(
                organisation=key.organisation,
                name=given.validated_data["name"],
                url=given.validated_data["url"],
                event_types=given.validated_data["event_types"],
                service=service,
            )
        )
        response = self.answer(subscription, code=status.HTTP_201_CREATED, secret=secret)
        response["Location"] = response.data["links"]["self"]
        return response


class SubscriptionDetail(WebhookView):
    @extend_schema(
        summary="A webhook subscription",
        responses={200: schema.SubscriptionSchema, **schema.ERRORS},
        tags=TAGS,
    )
    def get(self, request, pk: int):
        return self.answer(self.get_subscription(pk))

    @extend_schema(
        summary="Change a subscription, pause it or enable it again",
        description="Only the fields sent change. Enabling a subscription the failures "
        "disabled clears its failure record and sends what waited.",
        request=SubscriptionChange(partial=True),
        responses={200: schema.SubscriptionSchema, **schema.ERRORS, **schema.BODY_ERRORS},
        tags=TAGS,
    )
    def patch(self, request, pk: int):
        given = SubscriptionChange(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        changes = dict(given.validated_data)
        if "service" in changes:
            changes["service"] = changes["service"] or ""
            self.check_service(changes["service"])
        with transaction.atomic():
            subscription = self.get_subscription(pk, lock=True)
            _valid(lambda: subscription_update(subscription, **changes))
        return self.answer(subscription)

    @extend_schema(
        summary="Remove a subscription and its delivery log",
        responses={204: None, **schema.ERRORS},
        tags=TAGS,
    )
    def delete(self, request, pk: int):
        subscription = self.get_subscription(pk)
        subscription.delete()
        outbox.forget(subscription.organisation_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubscriptionRotate(WebhookView):
    @extend_schema(
        summary="A new signing secret",
        description="The answer holds the new `secret`, shown this once. The old secret "
        "signs beside it until `previous_secret_expires_at` (a day), so the receiver can "
        "switch in its own time.",
        request=None,
        parameters=[schema.IDEMPOTENCY_KEY],
        responses={
            200: schema.NewSubscriptionSchema,
            **schema.ERRORS,
            **schema.IDEMPOTENCY_ERRORS,
        },
        tags=TAGS,
    )
    @idempotent
    def post(self, request, pk: int):
        with transaction.atomic():
            subscription = self.get_subscription(pk, lock=True)
            secret = subscription_rotate_secret(subscription)
        return self.answer(subscription, secret=secret)


class DeliveryList(WebhookView):
    query_forms = {"GET": DeliveryQuery}

    @extend_schema(
        summary="The delivery log, newest first",
        operation_id="webhooks_deliveries_list",
        description="Pass the page's `next_before` as `before` for the next one.",
        parameters=[DeliveryQuery],
        responses={200: schema.DeliveryPageSchema, **schema.ERRORS},
        tags=TAGS,
    )
    def get(self, request, pk: int):
        query = read_query(request, DeliveryQuery)
        subscription = self.get_subscription(pk)
        found = WebhookDelivery.objects.filter(subscription=subscription)
        for name in ("status", "event_type"):
            if query.get(name):
                found = found.filter(**{name: query[name]})
        if "before" in query:
            found = found.filter(pk__lt=query["before"])
        limit = query["limit"]
        page = list(found.order_by("-pk")[: limit + 1])
        has_more = len(page) > limit
        page = page[:limit]
        return Response(
            {
                "data": [delivery_repr(delivery) for delivery in page],
                "has_more": has_more,
                "next_before": page[-1].pk if has_more else None,
            }
        )


class DeliveryView(WebhookView):
    def get_delivery(self, pk: int, delivery_id: int) -> WebhookDelivery:
        subscription = self.get_subscription(pk)
        found = WebhookDelivery.objects.filter(subscription=subscription, pk=delivery_id)
        delivery = found.first() if delivery_id <= MAX_ID else None
        if delivery is None:
            raise NotFound("This subscription has no delivery with that ID.")
        return delivery


class DeliveryDetail(DeliveryView):
    @extend_schema(
        summary="One delivery: what was sent, and every attempt",
        responses={200: schema.DeliverySchema, **schema.ERRORS},
        tags=TAGS,
    )
    def get(self, request, pk: int, delivery_id: int):
        delivery = self.get_delivery(pk, delivery_id)
        return Response(delivery_repr(delivery, tries=delivery.tries.all()))


class DeliveryRedeliver(DeliveryView):
    @extend_schema(
        summary="Send one delivery again",
        description="Delivered or given up, it is sent again soon, with the same "
        "`webhook-id` (so a receiver that has it can drop it) and a fresh set of attempts. "
        "A paused subscription sends it once it is enabled.",
        request=None,
        responses={202: schema.DeliverySchema, **schema.ERRORS},
        tags=TAGS,
    )
    def post(self, request, pk: int, delivery_id: int):
        delivery = self.get_delivery(pk, delivery_id)
        with transaction.atomic():
            outbox.redeliver(delivery)
        delivery.refresh_from_db()
        return Response(
            delivery_repr(delivery, tries=delivery.tries.all()), status=status.HTTP_202_ACCEPTED
        )


class SubscriptionReplay(WebhookView):
    @extend_schema(
        summary="Send the events of a time range again",
        description="Every event the subscription wants that happened from `since` to "
        "`until`, sent again in order — or for the first time, for events from before it "
        "was made. Each keeps its `webhook-id`.",
        request=ReplayInput,
        responses={202: schema.ReplaySchema, **schema.ERRORS, **schema.BODY_ERRORS},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        given = ReplayInput(data=request.data)
        given.is_valid(raise_exception=True)
        since = given.validated_data["since"]
        until = given.validated_data.get("until") or timezone.now()
        if since > until:
            raise serializers.ValidationError({"since": ["Must not be after until."]})
        subscription = self.get_subscription(pk)
        with transaction.atomic():
            count = outbox.replay(subscription, since, until)
        return Response(
            {"deliveries": count, "since": since.isoformat(), "until": until.isoformat()},
            status=status.HTTP_202_ACCEPTED,
        )
