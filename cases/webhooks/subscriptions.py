"""Making and changing webhook subscriptions: the admin and the API (`webhooks:manage`)
both come through here, so the checks are the same for both."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cases.webhooks import outbox, signing, transport
from cases.webhooks.models import EventType, WebhookSubscription


def validate_target(url: str) -> None:
    """HTTPS (outside a laptop), no credentials in it, and a host whose every address is
    public today. Each attempt checks again: a name may change after it was saved."""
    try:
        transport.check_url(url)
        parts = urlsplit(url)
        transport.resolve(parts.hostname or "", parts.port or 443)
    except (transport.TargetRefused, ValueError) as problem:
        raise ValidationError({"url": str(problem)}) from None


def validate_event_types(event_types) -> list[str]:
    if not isinstance(event_types, list | tuple) or not event_types:
        raise ValidationError({"event_types": "Choose at least one event type."})
    unknown = sorted({str(t) for t in event_types} - set(EventType.values))
    if unknown:
        raise ValidationError({"event_types": f"Not an event type: {', '.join(unknown)}."})
    return [t for t in EventType.values if t in event_types]  # in the documented order


def subscription_create(
    *, organisation, name: str, url: str, event_types, service: str = "", by=None
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its signing secret (shown once). It is told of events from
    now on; `outbox.replay` sends earlier ones."""
    validate_target(url)
    subscription = WebhookSubscription(
        organisation=organisation,
        name=name,
        url=url,
        event_types=validate_event_types(event_types),
        service=service,
        secret=signing.new_secret(),
        after_sequence=outbox.feed_end(),
        created_by=by if by is not None and by.pk else None,
    )
    subscription.full_clean(exclude=["organisation", "created_by"])
    subscription.save()
    outbox.forget(organisation.pk)
    return subscription, subscription.secret


def subscription_update(subscription: WebhookSubscription, **changes) -> WebhookSubscription:
    """Name, URL, event types, service or enabled. Enabling again clears the failure
    record, so the ladder starts afresh; what waited is sent."""
    if "url" in changes:
        validate_target(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = validate_event_types(changes["event_types"])
    enabling = changes.get("enabled") is True and not subscription.enabled
    for field, value in changes.items():
        setattr(subscription, field, value)
    if enabling:
        subscription.disabled_reason, subscription.disabled_at = "", None
        subscription.failing_since = subscription.warned_at = None
    elif changes.get("enabled") is False and not subscription.disabled_reason:
        subscription.disabled_reason = "Disabled by the council."
        subscription.disabled_at = timezone.now()
    subscription.full_clean(exclude=["organisation", "created_by"])
    subscription.save()
    outbox.forget(subscription.organisation_id)
    if enabling:
        transaction.on_commit(outbox.pump_soon)
    return subscription


def subscription_rotate_secret(subscription: WebhookSubscription) -> str:
    return signing.rotate(subscription)
