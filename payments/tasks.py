"""Background work for payments: reconciliation, reminders, expiry, the local webhook."""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from payments.models import PaymentRequest
from payments.providers import FAILED, PAID, ProviderError, ProviderState, WebhookEvent
from payments.services import (
    payment_check_with_provider,
    payment_refund_duplicate,
    payment_reminder_send,
    payment_request_expire,
    payment_webhook,
)

logger = logging.getLogger(__name__)
Status = PaymentRequest.Status
RECONCILE_BATCH = 200


def local_webhook(checkout_id: str, outcome: str) -> str:
    """The local provider's webhook, delivered by the worker like a real provider's (only
    where LOCAL_BACKENDS is on)."""
    from payments.models import LocalCheckout

    if not settings.LOCAL_BACKENDS:
        logger.error("local payment webhook refused: LOCAL_BACKENDS is off")
        return "refused"
    checkout = LocalCheckout.objects.select_related("payment_request__case__organisation").get(
        pk=checkout_id
    )
    state = (
        ProviderState(PAID, paid_pence=checkout.amount_pence, payment_id=checkout_id)
        if outcome == "paid"
        else ProviderState(FAILED)
    )
    return payment_webhook(
        provider="local",
        organisation=checkout.payment_request.case.organisation,
        event=WebhookEvent(
            event_id=f"local-{checkout_id}-{outcome}",
            type=f"local.{outcome}",
            payment_request_id=str(checkout.payment_request_id),
            provider_id=checkout_id,
            state=state,
        ),
    )


def refund_duplicate_payment(payment_request_id: str, payment_id: str, amount_pence: int) -> str:
    """Gives back a second payment of a fee already paid (queued by the webhook that
    brought it); safe to run again: a payment is refunded once."""
    refund = payment_refund_duplicate(
        payment_request=payment_request_id, payment_id=payment_id, amount_pence=amount_pence
    )
    return "refunded" if refund else "already refunded"


def reconcile_payments() -> dict:
    """Every PAYMENT_RECONCILE_EVERY_MINUTES: asks the provider about checkouts with no news
    for PAYMENT_RECONCILE_AFTER_MINUTES (a lost webhook must not leave a citizen who paid
    waiting), each at most once in that time, those never asked first; for as long as
    the task may run with one more call to a slow provider (Q_TIMEOUT − PAYMENTS_TIMEOUT −
    5 s), the rest left for the next run."""
    wait = timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES)
    now = timezone.now()
    stale = (
        PaymentRequest.objects.filter(
            status__in=[Status.PENDING, Status.UNKNOWN], updated_at__lt=now - wait
        )
        .filter(Q(reconciled_at__isnull=True) | Q(reconciled_at__lt=now - wait))
        .exclude(provider_id="")
        .order_by(F("reconciled_at").asc(nulls_first=True), "updated_at")
    )
    budget = settings.Q_CLUSTER["timeout"] - settings.PAYMENTS_TIMEOUT - 5
    started = time.monotonic()
    results: dict[str, int] = {}
    for request in stale.select_related("case")[:RECONCILE_BATCH]:
        if time.monotonic() - started >= budget:
            break
        PaymentRequest.objects.filter(pk=request.pk).update(reconciled_at=timezone.now())
        try:
            checked, _state = payment_check_with_provider(
                payment_request=request, source="reconciliation"
            )
            outcome = checked.status
        except ProviderError as exc:
            logger.warning("reconciliation: %s not checked: %s", request.pk, exc)
            outcome = "unreachable"
        results[outcome] = results.get(outcome, 0) + 1
    return results


def remind_and_expire_payments() -> dict:
    """Reminds citizens of unpaid fees after each of PAYMENT_REMINDER_DAYS, and closes a
    request (moving its case on as the workflow says) after PAYMENT_EXPIRY_DAYS."""
    now = timezone.now()
    unpaid = PaymentRequest.objects.filter(status__in=PaymentRequest.PAYABLE_STATUSES)
    too_old = unpaid.filter(created_at__lt=now - timedelta(days=settings.PAYMENT_EXPIRY_DAYS))
    expired = sum(payment_request_expire(payment_request=r) for r in too_old)
    # One reminder a run at most: a request past several reminder days gets the latest.
    reminded = 0
    thresholds = sorted(settings.PAYMENT_REMINDER_DAYS)
    for number in range(len(thresholds), 0, -1):
        cutoff = now - timedelta(days=thresholds[number - 1])
        for request in unpaid.filter(created_at__lt=cutoff, reminders_sent__lt=number):
            reminded += payment_reminder_send(payment_request=request, number=number)
    return {"reminded": reminded, "expired": expired}
