"""Background work for notifications. Every task is safe to run twice."""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from notify import dispatch
from notify.models import Notification, Status
from notify.services import enqueue_delivery

logger = logging.getLogger(__name__)

SWEEP_LIMIT = 3000  # about a minute of sending at Notify's limit
SETTLE_LIMIT = 500  # rows one sweep reads; its time budget may stop it sooner


def send_notification(notification_id: str) -> str:
    """Delivers one notification (enqueued when the change that created it committed)."""
    return dispatch.deliver(notification_id)


def queue_due_notifications() -> int:
    """Every minute: queues retries that are due, and any queued row whose task was lost."""
    now = timezone.now()
    due = Notification.objects.filter(status=Status.QUEUED).filter(
        Q(next_attempt_at__lte=now)
        | Q(next_attempt_at__isnull=True, created_at__lte=now - timedelta(minutes=1))
    )
    ids = list(due.order_by("created_at").values_list("pk", flat=True)[:SWEEP_LIMIT])
    for pk in ids:
        enqueue_delivery(pk)
    return len(ids)


def settle_expired_claims() -> dict:
    """Every minute: messages still `sending` after their worker's claim ran out
    (NOTIFY_CLAIM_LEASE_SECONDS: the worker died or hung) are asked about at Notify, and
    each Notify never got is queued and sent again at once."""
    cutoff = timezone.now() - timedelta(seconds=settings.NOTIFY_CLAIM_LEASE_SECONDS)
    expired = Notification.objects.filter(status=Status.SENDING, last_attempt_at__lt=cutoff)
    return _settle(expired.order_by("last_attempt_at"))


def settle_stuck_notifications() -> dict:
    """Every 10 minutes: asks Notify about messages it accepted that have had no final
    status for NOTIFY_STUCK_AFTER_MINUTES, in case a delivery receipt was lost."""
    cutoff = timezone.now() - timedelta(minutes=settings.NOTIFY_STUCK_AFTER_MINUTES)
    stuck = Notification.objects.filter(
        status__in=[Status.CREATED, Status.PENDING, Status.ACCEPTED], sent_at__lt=cutoff
    )
    return _settle(stuck.order_by("sent_at"))


def _settle(rows) -> dict:
    """Settles the rows one at a time for at most NOTIFY_SWEEP_SECONDS (however slowly
    Notify answers, the task ends well within its timeout; the next run goes on)."""
    started = time.monotonic()
    results: dict[str, int] = {}
    # Read first, then asked about one at a time: no cursor stays open across the calls.
    for row in list(rows.select_related("organisation")[:SETTLE_LIMIT]):
        if time.monotonic() - started >= settings.NOTIFY_SWEEP_SECONDS:
            results["left for the next run"] = 1
            break
        outcome = dispatch.settle_stuck(row)
        if outcome == "requeued":
            enqueue_delivery(row.pk)
        results[outcome] = results.get(outcome, 0) + 1
    return results


def process_pending_inbound_sms() -> int:
    """Every 5 minutes: processes inbound texts whose task was lost (safe to run twice)."""
    from notify.inbound import process_inbound_sms
    from notify.models import InboundSms

    cutoff = timezone.now() - timedelta(minutes=5)
    ids = list(
        InboundSms.objects.filter(outcome=InboundSms.Outcome.PENDING, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        process_inbound_sms(pk)
    return len(ids)
