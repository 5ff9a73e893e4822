"""Fan-out, delivery and retries of webhooks (see `cases.webhooks` for the whole path).

Order: a delivery is sent only when no earlier delivery of the same case to the same
subscription is still pending, so each case's events reach a receiver in order, even
after it was down for a while; different cases do not wait for each other. A failed
attempt is retried after `RETRY_AFTER` (with a quarter's jitter either way), about three
days in all, then given up. `410 Gone` disables the subscription at once; one whose every
delivery has failed for `WARN_AFTER` warns the council's admins, and is disabled after
`DISABLE_AFTER`, with the reason shown in the admin and the API.

Locks: a subscription's row (fan-out) or a delivery's row (recording an attempt, which
then updates the subscription); nothing locks a delivery while holding its subscription.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from cases import feed, hooks
from cases.models import FeedEntry
from cases.ukdates import long_datetime
from cases.webhooks import events, signing, transport
from cases.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from config.tasks import enqueue

logger = logging.getLogger(__name__)

RETRY_AFTER = tuple(
    timedelta(seconds=s)
    for s in (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 24 * 3600)
)
MAX_ATTEMPTS = len(RETRY_AFTER) + 1  # the first attempt and one after each wait: ~3 days
WARN_AFTER = timedelta(days=1)
DISABLE_AFTER = timedelta(days=3)
FAN_OUT_BATCH = 500  # feed entries a subscription takes at a time
SEND_BATCH = 20
SEND_BUDGET = 30.0  # seconds a pump goes on claiming deliveries (the worker's timeout is 60)
USER_AGENT = "Waymark-Webhooks/1"
PENDING = WebhookDelivery.Status.PENDING

# Whether a council has an enabled subscription, as this process last found (for
# `announce`, which runs after every commit that wrote case events).
KNOWN_FOR = 30.0
_known: dict[int, tuple[float, bool]] = {}


@dataclass(frozen=True)
class WebhookFailing:
    """Hook raised for a council's admins (`notify` emails them): a subscription has
    failed for a day, or was disabled (`reason` says why)."""

    subscription_id: int
    reason: str = ""


def timeout() -> float:
    return float(getattr(settings, "WEBHOOK_TIMEOUT", 10))


def announce(organisation_id: int) -> None:
    now = time.monotonic()
    known = _known.get(organisation_id)
    if known is None or now - known[0] > KNOWN_FOR:
        subscribed = WebhookSubscription.objects.filter(
            organisation_id=organisation_id, enabled=True
        ).exists()
        known = _known[organisation_id] = (now, subscribed)
    if known[1]:
        pump_soon()


def pump_soon() -> None:
    enqueue("cases.webhooks.outbox.pump", name="webhooks-pump", keep_result=False)


def forget(organisation_id: int) -> None:
    """A subscription of the council was made or enabled: `announce` asks again."""
    _known.pop(organisation_id, None)


def pump() -> dict[str, int]:
    """Everything that is due: publish the feed, fan out, send, and the failure ladder."""
    feed.publish()
    made = fan_out()
    sent = deliver_due()
    return {"made": made, "sent": sent, "ladder": ladder()}


# --- Fan-out -----------------------------------------------------------------------------


def fan_out() -> int:
    made = 0
    for pk in WebhookSubscription.objects.filter(enabled=True).values_list("pk", flat=True):
        while True:
            taken, rows = _fan_out_one(pk)
            made += rows
            if taken < FAN_OUT_BATCH:
                break
    return made


def _fan_out_one(pk: int) -> tuple[int, int]:
    """Deliveries for the next entries of one subscription; (entries taken, rows made)."""
    with transaction.atomic():
        subscription = (
            WebhookSubscription.objects.select_for_update(
                skip_locked=True, no_key=True, of=("self",)
            )
            .filter(pk=pk, enabled=True)
            .first()
        )
        if subscription is None:
            return 0, 0  # another pump has it, or it was disabled
        entries = _entries(subscription).filter(sequence__gt=subscription.after_sequence)
        taken = list(entries[:FAN_OUT_BATCH])
        rows = _deliveries(subscription, taken, timezone.now())
        WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
        if taken:
            subscription.after_sequence = taken[-1].sequence
            subscription.save(update_fields=["after_sequence"])
    return len(taken), len(rows)


def _entries(subscription: WebhookSubscription):
    """The feed entries of the subscription's council (and service), in feed order."""
    entries = FeedEntry.objects.filter(organisation_id=subscription.organisation_id)
    if subscription.service:
        entries = entries.filter(service=subscription.service)
    return entries.select_related("event__case__organisation").order_by("sequence")


def _deliveries(subscription, entries, now: datetime) -> list[WebhookDelivery]:
    """One delivery for each type of each entry's event that the subscription wants."""
    return [
        _delivery(subscription, entry, event_type, now)
        for entry in entries
        for event_type in events.types_of(entry.event)
        if event_type in subscription.event_types
    ]


def _delivery(subscription, entry: FeedEntry, event_type: str, now: datetime) -> WebhookDelivery:
    return WebhookDelivery(
        subscription=subscription,
        entry=entry,
        case_id=entry.event.case_id,
        sequence=entry.sequence,
        event_type=event_type,
        message_id=events.message_id(entry, event_type),
        payload=events.payload(entry, event_type),
        next_attempt_at=now,
    )


def feed_end() -> int:
    """Where a new subscription starts: after every event that has happened."""
    feed.publish()
    return FeedEntry.objects.aggregate(end=Max("sequence"))["end"] or 0


# --- Delivery ----------------------------------------------------------------------------


def deliver_due() -> int:
    """Sends what is due, for up to `SEND_BUDGET` seconds; how many attempts it made."""
    started, done = time.monotonic(), 0
    while time.monotonic() - started < SEND_BUDGET:
        claimed = claim(SEND_BATCH)
        for index, pk in enumerate(claimed):
            if time.monotonic() - started >= SEND_BUDGET:
                release(claimed[index:])
                return done
            done += attempt(pk) is not None
        if not claimed:  # (each round frees the next event of the cases it delivered)
            break
    return done


def claim(limit: int, now: datetime | None = None) -> list[int]:
    """Leases up to `limit` due deliveries to this worker: each the earliest pending one of
    its case for its subscription. A lease outlives one attempt; a worker that died with
    one leaves it to be taken again when it runs out."""
    now = now or timezone.now()
    earlier = WebhookDelivery.objects.filter(
        subscription=OuterRef("subscription"),
        case=OuterRef("case"),
        status=PENDING,
        sequence__lt=OuterRef("sequence"),
    )
    with transaction.atomic():
        due = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=PENDING, next_attempt_at__lte=now, subscription__enabled=True)
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
            .filter(~Exists(earlier))
            .order_by("next_attempt_at", "sequence", "pk")
        )
        ids = list(due.values_list("pk", flat=True)[:limit])
        lease = now + timedelta(seconds=timeout() + 30)
        WebhookDelivery.objects.filter(pk__in=ids).update(leased_until=lease)
    return ids


def release(ids) -> None:
    WebhookDelivery.objects.filter(pk__in=ids, status=PENDING).update(leased_until=None)


def body_of(delivery: WebhookDelivery) -> str:
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)


def attempt(pk: int) -> WebhookAttempt | None:
    """One POST of a delivery, and what came of it (None: its subscription was disabled
    since the delivery was claimed, and it waits; or removed, and it is gone)."""
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=pk).first()
    if delivery is None:
        return None
    subscription = delivery.subscription
    if not subscription.enabled:
        release([pk])
        return None
    body = body_of(delivery)
    now = timezone.now()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **signing.headers(subscription, delivery.message_id, body, now),
    }
    answer = transport.post(subscription.url, body.encode(), headers, timeout=timeout())
    return _record(delivery.pk, subscription, answer, now)


def _backoff(attempts: int, answer: transport.Answer) -> timedelta:
    wait = RETRY_AFTER[min(attempts, len(RETRY_AFTER)) - 1] * random.uniform(0.75, 1.25)
    if answer.retry_after:
        wait = max(wait, min(timedelta(seconds=answer.retry_after), timedelta(days=1)))
    return wait


def _record(
    pk: int, subscription, answer: transport.Answer, now: datetime
) -> WebhookAttempt | None:
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update(of=("self",)).filter(pk=pk).first()
        if delivery is None:  # removed with its subscription while it was being sent
            return None
        tried = WebhookAttempt.objects.create(
            delivery=delivery,
            at=now,
            status_code=answer.status,
            latency_ms=answer.latency_ms,
            response_excerpt=answer.excerpt,
            error=answer.error,
        )
        delivery.attempts += 1
        delivery.last_status_code, delivery.last_error = answer.status, answer.error
        delivery.leased_until = None
        if answer.ok:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.delivered_at, delivery.next_attempt_at = now, None
            WebhookSubscription.objects.filter(
                pk=subscription.pk, failing_since__isnull=False
            ).update(failing_since=None, warned_at=None)
        else:
            WebhookSubscription.objects.filter(
                pk=subscription.pk, failing_since__isnull=True
            ).update(failing_since=now)
            if answer.status == 410:
                # Gone: nothing more is sent; this one goes again if it is enabled again.
                delivery.next_attempt_at = now
                disable(subscription, "The endpoint answered 410 Gone.", now)
            elif delivery.attempts >= MAX_ATTEMPTS:
                delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
            else:
                delivery.next_attempt_at = now + _backoff(delivery.attempts, answer)
        delivery.save()
    return tried


# --- The failure ladder ------------------------------------------------------------------


def disable(subscription: WebhookSubscription, reason: str, now: datetime | None = None) -> bool:
    """Disables an enabled subscription and tells the council's admins; False if it was not."""
    now = now or timezone.now()
    changed = WebhookSubscription.objects.filter(pk=subscription.pk, enabled=True).update(
        enabled=False, disabled_reason=reason[:300], disabled_at=now
    )
    if changed:
        subscription.enabled, subscription.disabled_reason = False, reason[:300]
        subscription.disabled_at = now
        hooks.dispatch_council(WebhookFailing(subscription.pk, reason))
    return bool(changed)


def ladder(now: datetime | None = None) -> int:
    """Warns about subscriptions failing for a day, disables those failing for three."""
    now = now or timezone.now()
    acted = 0
    failing = WebhookSubscription.objects.filter(enabled=True, failing_since__lte=now - WARN_AFTER)
    for subscription in failing:
        failing_since = subscription.failing_since or now
        if failing_since <= now - DISABLE_AFTER:
            since = long_datetime(failing_since)
            reason = f"Every delivery has failed since {since}: disabled after 3 days."
            acted += disable(subscription, reason, now)
        elif subscription.warned_at is None:
            with transaction.atomic():
                if WebhookSubscription.objects.filter(
                    pk=subscription.pk, warned_at__isnull=True
                ).update(warned_at=now):
                    hooks.dispatch_council(WebhookFailing(subscription.pk))
                    acted += 1
    return acted


# --- Redeliver and replay ----------------------------------------------------------------


def _send_again(deliveries, now: datetime) -> None:
    """Due now, with a fresh set of attempts and the same `webhook-id`."""
    deliveries.update(status=PENDING, attempts=0, next_attempt_at=now, leased_until=None)
    transaction.on_commit(pump_soon)


def redeliver(delivery: WebhookDelivery) -> None:
    """Sends one delivery again, delivered or given up."""
    _send_again(WebhookDelivery.objects.filter(pk=delivery.pk), timezone.now())


def replay(subscription: WebhookSubscription, since: datetime, until: datetime) -> int:
    """Every event of the subscription's council from `since` to `until` (when they
    happened) that it wants, sent again — or for the first time, if it was made after
    them; how many deliveries that is."""
    feed.publish()
    fanned_out_to = WebhookSubscription.objects.values_list("after_sequence", flat=True).get(
        pk=subscription.pk
    )
    entries = _entries(subscription).filter(
        event__created_at__gte=since,
        event__created_at__lte=until,
        sequence__lte=fanned_out_to,  # later ones are on their way anyway
    )
    now = timezone.now()
    rows = _deliveries(subscription, entries, now)
    with transaction.atomic():
        made_before = WebhookDelivery.objects.filter(
            subscription=subscription,
            entry__in=entries.values("pk"),
            event_type__in=subscription.event_types,
        )
        _send_again(made_before, now)
        WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)  # the rest
    return len(rows)
