"""Background work for notifications. Every task is safe to run twice."""

import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from notify import dispatch
from notify.models import Notification, Status
from notify.services import enqueue_delivery

logger = logging.getLogger(__name__)

STUCK_AFTER = timedelta(minutes=15)
SWEEP_LIMIT = 3000  # about a minute of sending at Notify's limit


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


def settle_stuck_notifications() -> dict:
    """Every 10 minutes: asks Notify about rows stuck in `sending` or without a receipt, in
    case a worker died or a callback was lost."""
    cutoff = timezone.now() - STUCK_AFTER
    stuck = Notification.objects.filter(
        Q(status=Status.SENDING, last_attempt_at__lt=cutoff)
        | Q(status__in=[Status.CREATED, Status.PENDING, Status.ACCEPTED], sent_at__lt=cutoff)
    )
    results: dict[str, int] = {}
    for row in stuck.select_related("organisation").order_by("last_attempt_at")[:500]:
        outcome = dispatch.settle_stuck(row)
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
