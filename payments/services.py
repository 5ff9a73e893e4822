"""Writes to payment requests. The provider is asked, never trusted blindly: a return from
the checkout page is checked with the provider, and webhooks (verified, deduplicated) are
the source of truth. A paid request moves its case on through `cases.services`."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from payments.models import PaymentRequest, ProviderEvent, Refund
from payments.providers import (
    CANCELLED,
    EXPIRED,
    FAILED,
    PAID,
    UNKNOWN,
    ProviderError,
    ProviderState,
    WebhookEvent,
    provider_for,
)

if TYPE_CHECKING:
    from cases.models import Case, CaseEvent

logger = logging.getLogger(__name__)
Status = PaymentRequest.Status


class PaymentError(Exception):
    """Something the payer or caseworker should be told in plain English."""


def payment_request_create(
    *, case: Case, case_event: CaseEvent | None = None
) -> PaymentRequest | None:
    """Asks for the council's fee for this case's service; None when the fee is zero.

    Any request still open for the case is cancelled first, so a citizen is only ever
    asked to pay once at a time.
    """
    fee = case.fee_pence()
    if fee <= 0:
        return None
    PaymentRequest.objects.filter(case=case, status__in=PaymentRequest.PAYABLE_STATUSES).update(
        status=Status.CANCELLED
    )
    return PaymentRequest.objects.create(
        case=case,
        case_event=case_event,
        amount_pence=fee,
        description=(f"{case.TITLE.cy} – ffi" if case.language == "cy" else f"{case.TITLE.en} fee"),
        reference=case.process_id,
        provider=case.config.payment_provider,
    )


def provider_of(request: PaymentRequest):
    return provider_for(request.provider, request.case.config.payment_api_key_env)


def _lock(request: PaymentRequest | str) -> PaymentRequest:
    pk = request.pk if isinstance(request, PaymentRequest) else request
    return PaymentRequest.objects.select_for_update().select_related("case").get(pk=pk)


def payment_start_checkout(
    *, payment_request: PaymentRequest | str, return_url: str, cancel_url: str
) -> PaymentRequest:
    """A checkout the citizen can pay on: the open one if there is one (a double click
    reuses it), otherwise a new one with a new idempotency key. The row stays locked while
    the provider is asked, so two clicks at once make one checkout. ProviderError (after
    recording it) when the provider cannot be reached: the citizen is asked to try again."""
    failure = None
    with transaction.atomic():
        request = _lock(payment_request)
        if request.status in PaymentRequest.SETTLED_STATUSES:
            raise PaymentError(gettext("This has already been paid."))
        if request.status not in PaymentRequest.PAYABLE_STATUSES or request.case.is_closed:
            raise PaymentError(gettext("This payment is no longer needed."))
        if request.checkout_is_open():
            return request
        request.checkouts += 1  # a new key: a failed attempt's key is never reused
        try:
            checkout = provider_of(request).create_checkout(
                request,
                return_url=return_url,
                cancel_url=cancel_url,
                idempotency_key=f"waymark-{request.pk}-{request.checkouts}",
            )
        except ProviderError as exc:
            failure = exc
            request.last_error = str(exc)[:2000]
            request.save(update_fields=["checkouts", "last_error", "updated_at"])
        else:
            request.provider_id = checkout.provider_id
            request.checkout_url = checkout.url
            request.checkout_expires_at = checkout.expires_at or (
                timezone.now() + timezone.timedelta(minutes=90)
            )
            request.status = Status.PENDING
            request.last_error = ""
            request.save()
    if failure is not None:
        raise failure
    return request


def payment_check_with_provider(
    *, payment_request: PaymentRequest | str, source: str
) -> PaymentRequest:
    """Asks the provider what happened (the return page, reconciliation) and records it."""
    request = PaymentRequest.objects.select_related("case").get(
        pk=payment_request.pk if isinstance(payment_request, PaymentRequest) else payment_request
    )
    if not request.provider_id:
        return request
    state = provider_of(request).fetch_state(request)
    return payment_apply_state(payment_request=request, state=state, source=source)


def move_case(case: Case, transition: str | None, source: str, reason: str = "") -> None:
    """Runs the workflow's transition for a payment outcome, if the case can take it."""
    from cases.services import Actor, CaseError, allowed_transitions, case_transition

    actor = Actor.system(source)
    if not transition or transition not in {n for n, _ in allowed_transitions(case, actor)}:
        logger.info(
            "case %s: no %s after payment news (%s)", case.process_id, transition, case.state
        )
        return
    try:
        case_transition(case=case.pk, transition=transition, actor=actor, reason=reason)
    except CaseError as exc:  # e.g. the case moved on meanwhile
        logger.warning("case %s: %s not run: %s", case.process_id, transition, exc)


def payment_apply_state(
    *,
    payment_request: PaymentRequest | str,
    state: ProviderState,
    source: str,
    provider_id: str = "",
) -> PaymentRequest:
    """Records what the provider says, in any order and any number of times: paid is final
    (a late "expired" cannot undo it), a failed or expired checkout can be paid again.
    `provider_id` is the checkout the news is about: bad news about an older checkout than
    the request's current one is ignored (the citizen may be paying on the new one)."""
    with transaction.atomic():
        request = _lock(payment_request)
        case = request.case
        now = timezone.now()
        if state.payment_id and not request.provider_payment_id:
            request.provider_payment_id = state.payment_id
        stale = bool(provider_id and request.provider_id and provider_id != request.provider_id)
        if state.status == PAID and request.status not in PaymentRequest.SETTLED_STATUSES:
            was_wanted = request.status != Status.CANCELLED and not case.is_closed
            request.status = Status.PAID
            request.paid_pence = state.paid_pence or request.amount_pence
            request.paid_at = now
            request.save()
            # One payment is enough: no other request for this case stays payable.
            PaymentRequest.objects.filter(
                case=case, status__in=PaymentRequest.PAYABLE_STATUSES
            ).exclude(pk=request.pk).update(status=Status.CANCELLED)
            if was_wanted:
                move_case(case, getattr(case, "ON_PAYMENT", None), source)
            else:
                _flag_unwanted_payment(case, request, source)
        elif stale and state.status in (FAILED, CANCELLED, EXPIRED):
            pass
        elif state.status in (FAILED, CANCELLED) and request.status in PaymentRequest.OPEN_STATUSES:
            request.status = Status.FAILED
            request.checkout_url = ""
            request.save()
        elif state.status == EXPIRED and request.status in PaymentRequest.OPEN_STATUSES:
            request.status = Status.EXPIRED
            request.checkout_url = ""
            request.save()
        elif state.status == UNKNOWN and request.status in (Status.REQUESTED, Status.PENDING):
            request.status = Status.UNKNOWN
            request.save()
            move_case(
                case,
                getattr(case, "ON_PAYMENT_UNKNOWN", None),
                source,
                reason="The payment provider could not say whether the fee was paid",
            )
        else:
            request.save(update_fields=["provider_payment_id", "updated_at"])
        if state.refunded_pence is not None and state.refunded_pence > request.refunded_pence:
            _record_refunded(request, state.refunded_pence)
    return request


def _flag_unwanted_payment(case: Case, request: PaymentRequest, source: str) -> None:
    """Money arrived for a request that was no longer wanted: a caseworker must act."""
    from cases.services import Actor, case_add_note

    case_add_note(
        case=case,
        actor=Actor.system(source),
        text=(
            f"A payment of {request.amount_display} arrived after the request was cancelled "
            "or the case closed. Refund it, or reopen the case."
        ),
        needs_attention=True,
        data={"payment_request": str(request.pk)},
    )


def payment_request_expire(*, payment_request: PaymentRequest) -> bool:
    """Closes a request left unpaid too long and moves its case on as the workflow says;
    False if it was paid or closed meanwhile."""
    with transaction.atomic():
        request = _lock(payment_request)
        if request.status not in PaymentRequest.PAYABLE_STATUSES:
            return False
        request.status = Status.CANCELLED
        request.save(update_fields=["status", "updated_at"])
        move_case(request.case, getattr(request.case, "ON_PAYMENT_EXPIRED", None), "payment expiry")
    return True


def payment_reminder_send(*, payment_request: PaymentRequest, number: int) -> bool:
    """Sends the `number`th reminder of an unpaid fee, once; False if it is not due."""
    from notify.services import notifications_create_for_event

    with transaction.atomic():
        request = _lock(payment_request)
        if (
            request.status not in PaymentRequest.PAYABLE_STATUSES
            or request.reminders_sent >= number
            or request.case.is_closed
        ):
            return False
        request.reminders_sent = number
        request.save(update_fields=["reminders_sent", "updated_at"])
        notifications_create_for_event(case=request.case, event="payment_reminder")
    return True


def payment_requests_cancel_for(case: Case) -> int:
    """Cancels every payable request of a case (it has closed: nothing is owed now)."""
    return PaymentRequest.objects.filter(
        case=case, status__in=PaymentRequest.PAYABLE_STATUSES
    ).update(status=Status.CANCELLED)


def _record_refunded(request: PaymentRequest, refunded_pence: int) -> None:
    request.refunded_pence = min(refunded_pence, request.paid_pence or refunded_pence)
    request.refunded_at = timezone.now()
    request.status = (
        Status.REFUNDED
        if request.refunded_pence >= request.paid_pence
        else Status.PARTIALLY_REFUNDED
    )
    request.save()


def payment_webhook(*, provider: str, event: WebhookEvent) -> str:
    """Handles one verified webhook event once: a redelivery (same event ID) does nothing."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = ProviderEvent.objects.create(
                    provider=provider,
                    event_id=event.event_id,
                    type=event.type,
                    payload=event.payload,
                )
        except IntegrityError:
            return "duplicate"
        request = _find(provider, event)
        if request is None:
            record.outcome = "no matching payment request"
        elif event.state is None:
            record.outcome = "nothing to do for this event type"
        else:
            before = request.status
            request = payment_apply_state(
                payment_request=request,
                state=event.state,
                source=f"{provider} webhook",
                provider_id=event.provider_id,
            )
            record.outcome = f"{before} → {request.status}"
        record.payment_request = request
        record.save(update_fields=["payment_request", "outcome"])
        return record.outcome


def _find(provider: str, event: WebhookEvent) -> PaymentRequest | None:
    requests = PaymentRequest.objects.filter(provider=provider)
    if event.payment_request_id:
        try:
            found = requests.filter(pk=uuid.UUID(str(event.payment_request_id))).first()
        except ValueError:  # not one of our IDs
            found = None
        if found:
            return found
    if event.provider_id:
        return (
            requests.filter(provider_id=event.provider_id).first()
            or requests.filter(provider_payment_id=event.provider_id).first()
        )
    return None


def payment_refund(
    *, payment_request: PaymentRequest | str, amount_pence: int, reason: str, user
) -> Refund:
    """Refunds all or part of a paid fee through the provider, and says so on the timeline."""
    from cases.services import Actor, case_record_refund

    reason = (reason or "").strip()
    if not reason:
        raise PaymentError("Enter a reason for the refund")
    with transaction.atomic():
        request = _lock(payment_request)
        if request.status not in PaymentRequest.SETTLED_STATUSES:
            raise PaymentError("Only a paid fee can be refunded.")
        if amount_pence <= 0 or amount_pence > request.refundable_pence:
            raise PaymentError(
                f"Enter an amount between £0.01 and £{request.refundable_pence / 100:.2f}"
            )
        number = request.refunds.count() + 1
        refund_id = provider_of(request).refund(
            request,
            amount_pence=amount_pence,
            idempotency_key=f"waymark-refund-{request.pk}-{number}",
        )
        refund = Refund.objects.create(
            payment_request=request,
            amount_pence=amount_pence,
            reason=reason,
            provider_refund_id=refund_id,
            created_by=user,
        )
        _record_refunded(request, request.refunded_pence + amount_pence)
        case_record_refund(
            case=request.case,
            actor=Actor.caseworker(user),
            amount_pence=amount_pence,
            reason=reason,
        )
    return refund
