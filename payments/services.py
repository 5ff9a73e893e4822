"""Writes to payment requests. The provider is asked, never trusted blindly: a return from
the checkout page is checked with the provider, and webhooks (verified, deduplicated) are
the source of truth. A request is marked paid only when the money is what was asked for,
on a checkout issued for it; a paid request moves its case on through `cases.services`.

Every status is written through `_move`, which follows `PaymentRequest.MOVES`: nothing
ever goes back from paid or refunded. Locks follow the order of `cases.services`: a
transaction that changes the case too locks the case first (`_lock_with_case`), then the
payment request; one that needs only the request locks just that.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from cases import hooks
from cases.models import CaseEvent
from cases.money import pounds
from cases.services import (
    Actor,
    CaseError,
    allowed_transitions,
    case_add_note,
    case_lock,
    case_record_refund,
    case_transition,
)
from cases.workflows.base import Notify
from config.jsonsafe import storable, storable_text
from config.tasks import enqueue
from payments.models import PaymentRequest, ProviderEvent, Refund
from payments.providers import (
    CANCELLED,
    EXPIRED,
    FAILED,
    PAID,
    UNKNOWN,
    NotConfigured,
    ProviderError,
    ProviderState,
    WebhookEvent,
    provider_configured,
    provider_for,
)

if TYPE_CHECKING:
    from cases.models import Case, Organisation

logger = logging.getLogger(__name__)
Status = PaymentRequest.Status


class PaymentError(Exception):
    """Something the payer or caseworker should be told in plain English."""


class PaymentInFlight(PaymentError):
    """A checkout the citizen opened may still be paid: no second one is made."""

    def __init__(self, message: str = ""):
        super().__init__(message or gettext("We are checking your payment. Do not pay again."))


def _settle_lapsed_checkout(payment_request: PaymentRequest | str) -> None:
    """Before a new checkout replaces one that has lapsed, ask the provider what became of
    it (the citizen may have paid it in another tab): paid, expired or still going."""
    request = PaymentRequest.objects.select_related("case__organisation").get(
        pk=payment_request.pk if isinstance(payment_request, PaymentRequest) else payment_request
    )
    if request.status != Status.PENDING or not request.provider_id or request.checkout_is_open():
        return
    try:
        payment_check_with_provider(payment_request=request, source="new checkout")
    except ProviderError as exc:  # cannot tell: a new checkout would risk paying twice
        raise PaymentInFlight() from exc


# --- Status: forward only ---------------------------------------------------------------


def _move(request: PaymentRequest, status: str, **fields) -> bool:
    """Gives the request a new status (and the fields that go with it) if `MOVES` allows
    it from the one it has; False, writing nothing, if it does not."""
    if status != request.status and status not in PaymentRequest.MOVES[request.status]:
        logger.info("payment %s: %s → %s refused", request.pk, request.status, status)
        return False
    request.status = status
    for name, value in fields.items():
        setattr(request, name, value)
    request.save()
    return True


def _cancel_open(requests) -> int:
    """Cancels every request in the queryset that may still be cancelled (by `MOVES`)."""
    cancellable = [s for s, moves in PaymentRequest.MOVES.items() if Status.CANCELLED in moves]
    return requests.filter(status__in=cancellable).update(status=Status.CANCELLED)


# --- What the case engine asks of payments (registered in PaymentsConfig.ready) ---------


def request_payment_hook(hook, *, case: Case, event: CaseEvent | None, message: str = ""):
    """A workflow's `RequestPayment` hook."""
    payment_request_create(case=case, case_event=event)


def case_closed_hook(hook, *, case: Case, event: CaseEvent | None, message: str = ""):
    """A case closed: nothing is owed on it any more."""
    payment_requests_cancel_for(case)


def message_values(case: Case) -> dict[str, str]:
    """What a message about the case may say about its fee: how much, and where to pay."""
    payment = (
        case.payment_requests.filter(status__in=PaymentRequest.PAYABLE_STATUSES)
        .order_by("-created_at")
        .first()
    )
    if payment is None:
        return {}
    return {"amount": payment.amount_display, "pay_url": f"{settings.SITE_URL}/pay/{payment.pk}/"}


def payment_request_create(
    *, case: Case, case_event: CaseEvent | None = None
) -> PaymentRequest | None:
    """Asks for the council's fee for this case's service; None when the fee is zero.

    Any request still open for the case is cancelled first, so a citizen is only ever
    asked to pay once at a time. The caller holds the case's lock (a transition)."""
    fee = case.fee_pence()
    if fee <= 0:
        return None
    _cancel_open(PaymentRequest.objects.filter(case=case))
    return PaymentRequest.objects.create(
        case=case,
        case_event=case_event,
        amount_pence=fee,
        description=(f"{case.TITLE.cy} – ffi" if case.language == "cy" else f"{case.TITLE.en} fee"),
        reference=case.process_id,
        provider=case.config.payment_provider,
    )


def payment_requests_cancel_for(case: Case) -> int:
    """Cancels every open request of a case (it has closed: nothing is owed now)."""
    return _cancel_open(PaymentRequest.objects.filter(case=case))


# --- Locks ------------------------------------------------------------------------------


def _lock(request: PaymentRequest | str) -> PaymentRequest:
    """The request alone, locked (for work that takes no case lock after it)."""
    pk = request.pk if isinstance(request, PaymentRequest) else request
    return (
        PaymentRequest.objects.select_for_update(of=("self",))
        .select_related("case__organisation")
        .get(pk=pk)
    )


def _lock_with_case(request: PaymentRequest | str) -> PaymentRequest:
    """The case, then the request, locked in that order; `request.case` is the locked case."""
    pk = request.pk if isinstance(request, PaymentRequest) else request
    case_id = PaymentRequest.objects.filter(pk=pk).values_list("case_id", flat=True).first()
    if case_id is None:
        raise PaymentRequest.DoesNotExist(f"No payment request {pk}")
    case = case_lock(case_id)
    locked = PaymentRequest.objects.select_for_update(of=("self",)).get(pk=pk)
    locked.case = case
    return locked


# --- Paying ------------------------------------------------------------------------------


def provider_of(request: PaymentRequest):
    """The council's provider for this request (NotConfigured when it has no credentials)."""
    return provider_for(request.provider, request.case.organisation.slug)


def payment_can_be_taken(request: PaymentRequest) -> bool:
    """Whether the council can take this payment online now (its provider is set up)."""
    return provider_configured(request.provider, request.case.organisation.slug)


def payment_start_checkout(
    *, payment_request: PaymentRequest | str, return_url: str, cancel_url: str
) -> PaymentRequest:
    """A checkout the citizen can pay on: the open one if there is one (a double click
    reuses it), otherwise a new one with a new idempotency key. The row stays locked while
    the provider is asked, so two clicks at once make one checkout. ProviderError (after
    recording it) when the provider cannot be reached: the citizen is asked to try again;
    NotConfigured when the council cannot take payments online: caseworkers are told."""
    failure = None
    _settle_lapsed_checkout(payment_request)
    with transaction.atomic():
        request = _lock(payment_request)
        if request.status in PaymentRequest.SETTLED_STATUSES:
            raise PaymentError(gettext("This has already been paid."))
        if (
            request.status == Status.PENDING
            and request.checkout_url
            and not request.checkout_is_open()
        ):
            # The provider still says the last checkout is being paid: never a second one.
            raise PaymentInFlight()
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
            _move(
                request,
                Status.PENDING,
                provider_id=checkout.provider_id,
                checkout_ids=[*request.checkout_ids, checkout.provider_id],
                checkout_url=checkout.url,
                checkout_expires_at=checkout.expires_at or (timezone.now() + timedelta(minutes=90)),
                last_error="",
            )
    if isinstance(failure, NotConfigured):
        payment_alert_not_configured(payment_request=request, problem=str(failure))
    if failure is not None:
        raise failure
    return request


def payment_alert_not_configured(*, payment_request: PaymentRequest, problem: str) -> bool:
    """Tells the council's caseworkers (a note needing attention on the case, once per
    request) that a citizen tried to pay but the council cannot take payments online."""
    with transaction.atomic():
        case = case_lock(payment_request.case_id)
        marker = {"payment_request": str(payment_request.pk), "problem": "not_configured"}
        notes = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.NOTE)
        if notes.filter(**{f"data__{k}": v for k, v in marker.items()}).exists():
            return False
        case_add_note(
            case=case,
            actor=Actor.system("payments"),
            text=(
                f"The citizen tried to pay {payment_request.amount_display} online, but the "
                f"council's payment provider is not set up ({problem}). The fee is still owed: "
                "set up the provider, or take the payment another way."
            ),
            needs_attention=True,
            data=marker,
        )
    logger.error("payment %s cannot be taken: %s", payment_request.pk, problem)
    return True


def payment_check_with_provider(
    *, payment_request: PaymentRequest | str, source: str
) -> tuple[PaymentRequest, ProviderState | None]:
    """Asks the provider what happened (the return page, reconciliation) and records it;
    the request as it is now, and what the provider said (None: nothing to ask)."""
    request = PaymentRequest.objects.select_related("case__organisation").get(
        pk=payment_request.pk if isinstance(payment_request, PaymentRequest) else payment_request
    )
    if not request.provider_id:
        return request, None
    state = provider_of(request).fetch_state(request)  # asked outside any lock
    request = payment_apply_state(
        payment_request=request, state=state, source=source, provider_id=request.provider_id
    )
    return request, state


def move_case(case: Case, transition: str | None, source: str, reason: str = "") -> None:
    """Runs the workflow's transition for a payment outcome, if the case can take it."""
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
    """Records what the provider says about a request (see `_apply`)."""
    with transaction.atomic():
        request = _lock_with_case(payment_request)
        _apply(request, state, source, provider_id)
    return request


def _mismatch(request: PaymentRequest, state: ProviderState, provider_id: str) -> str:
    """Why news of a payment does not fit this request ("" when it does)."""
    issued = {request.provider_id, request.provider_payment_id, *request.checkout_ids} - {""}
    if provider_id and provider_id not in issued:
        return f"it is for {provider_id[:60]}, a checkout not issued for this request"
    if state.currency.upper() != request.currency.upper():
        return f"it is in {state.currency[:10] or 'no currency'}, not {request.currency}"
    if state.paid_pence != request.amount_pence:
        return f"{state.paid_pence}p was paid, not the {request.amount_pence}p asked for"
    return ""


def _apply(request: PaymentRequest, state: ProviderState, source: str, provider_id: str) -> str:
    """Records what the provider says, in any order and any number of times: paid is final
    (a late "expired" cannot undo it), a failed or expired checkout can be paid again, and
    money that does not match what was asked is recorded and flagged, never marked paid.
    `provider_id` is the checkout the news is about: bad news about an older checkout than
    the request's current one is ignored (the citizen may be paying on the new one). The
    case and the request are locked. Returns what happened, for the event log."""
    case = request.case
    before = request.status
    stale = bool(provider_id and request.provider_id and provider_id != request.provider_id)
    if state.status == PAID:
        problem = _mismatch(request, state, provider_id)
        if problem:
            _flag_mismatch(case, request, source, problem)
            return f"not marked paid: {problem}"[:200]
        other = bool(
            request.status in PaymentRequest.SETTLED_STATUSES
            and state.payment_id
            and request.provider_payment_id
            and state.payment_id != request.provider_payment_id
        )
        if other and state.refunded_pence is None:
            # A second payment for a fee already paid (two tabs): give it back at once.
            payment_id = state.payment_id
            transaction.on_commit(
                lambda: enqueue(
                    "payments.tasks.refund_duplicate_payment",
                    str(request.pk),
                    payment_id,
                    state.paid_pence,
                )
            )
            return f"a second payment ({payment_id[:40]}): refunding it"[:200]
        if other:
            return "news of the second payment's refund"  # recorded when it was made
    if state.payment_id and not request.provider_payment_id:
        request.provider_payment_id = state.payment_id
    if state.status == PAID and request.status not in PaymentRequest.SETTLED_STATUSES:
        others = PaymentRequest.objects.filter(case=case).exclude(pk=request.pk)
        # Wanted while the case still owes its fee: on this request, or on the one that
        # replaced it (the citizen paid the first one after all).
        was_wanted = not case.is_closed and (
            request.status != Status.CANCELLED
            or others.filter(status__in=PaymentRequest.PAYABLE_STATUSES).exists()
        )
        _move(request, Status.PAID, paid_pence=state.paid_pence, paid_at=timezone.now())
        _cancel_open(others)  # one payment is enough: no other request stays payable
        if was_wanted:
            move_case(case, case.ON_PAYMENT, source)
        else:
            _flag_unwanted_payment(case, request, source)
    elif stale and state.status in (FAILED, CANCELLED, EXPIRED):
        pass
    elif state.status in (FAILED, CANCELLED) and request.status in PaymentRequest.OPEN_STATUSES:
        _move(request, Status.FAILED, checkout_url="")
    elif state.status == EXPIRED and request.status in PaymentRequest.OPEN_STATUSES:
        _move(request, Status.EXPIRED, checkout_url="")
    elif state.status == UNKNOWN and request.status in (Status.REQUESTED, Status.PENDING):
        _move(request, Status.UNKNOWN)
        move_case(
            case,
            case.ON_PAYMENT_UNKNOWN,
            source,
            reason="The payment provider could not say whether the fee was paid",
        )
    else:
        request.save(update_fields=["provider_payment_id", "updated_at"])
    if state.refunded_pence is not None and state.refunded_pence > request.refunded_pence:
        _record_refunded(request, state.refunded_pence)
    return f"{before} → {request.status}"


def _flag_mismatch(case: Case, request: PaymentRequest, source: str, problem: str) -> None:
    case_add_note(
        case=case,
        actor=Actor.system(source),
        text=(
            f"The payment provider reported a payment for this case that does not match the "
            f"{request.amount_display} asked for: {problem}. It has not been marked paid. "
            "Check it with the provider; refund it if it was taken."
        ),
        needs_attention=True,
        data={"payment_request": str(request.pk), "problem": "mismatch"},
    )


def _flag_unwanted_payment(case: Case, request: PaymentRequest, source: str) -> None:
    """Money arrived for a request that was no longer wanted: a caseworker must act."""
    case_add_note(
        case=case,
        actor=Actor.system(source),
        text=(
            f"A payment of {request.amount_display} arrived after the request was cancelled "
            "or the case closed. Refund it, or reopen the case."
        ),
        needs_attention=True,
        data={"payment_request": str(request.pk), "problem": "refund_owed"},
    )


def payment_request_expire(*, payment_request: PaymentRequest) -> bool:
    """Closes a request left unpaid too long and moves its case on as the workflow says;
    False if it was paid or closed meanwhile."""
    with transaction.atomic():
        request = _lock_with_case(payment_request)
        if request.status not in PaymentRequest.PAYABLE_STATUSES:
            return False
        _move(request, Status.CANCELLED)
        move_case(request.case, request.case.ON_PAYMENT_EXPIRED, "payment expiry")
    return True


def payment_reminder_send(*, payment_request: PaymentRequest, number: int) -> bool:
    """Sends the `number`th reminder of an unpaid fee, once; False if it is not due."""
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
        hooks.dispatch(Notify("payment_reminder"), case=request.case)
    return True


def _record_refunded(request: PaymentRequest, refunded_pence: int) -> None:
    refunded = min(refunded_pence, request.paid_pence or refunded_pence)
    _move(
        request,
        Status.REFUNDED if refunded >= request.paid_pence else Status.PARTIALLY_REFUNDED,
        refunded_pence=refunded,
        refunded_at=timezone.now(),
    )


# --- Webhooks ---------------------------------------------------------------------------


def payment_webhook(*, provider: str, organisation: Organisation, event: WebhookEvent) -> str:
    """Handles one verified webhook event of a council once: a redelivery (same event ID)
    does nothing, and only that council's payment requests are looked at."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = ProviderEvent.objects.create(
                    provider=provider,
                    organisation=organisation,
                    event_id=storable_text(event.event_id)[:255],
                    type=storable_text(event.type)[:100],
                    payload=storable(event.payload),
                )
        except IntegrityError:
            return "duplicate"
        found = _find(provider, organisation, event)
        request = None
        if found is None:
            record.outcome = "no matching payment request"
        elif event.state is None:
            record.outcome = "nothing to do for this event type"
            request = found
        else:
            request = _lock_with_case(found)
            record.outcome = _apply(request, event.state, f"{provider} webhook", event.provider_id)
            record.flagged = record.outcome.startswith("not marked paid")
        record.payment_request = request
        record.save(update_fields=["payment_request", "outcome", "flagged"])
        return record.outcome


def _find(provider: str, organisation: Organisation, event: WebhookEvent):
    requests = PaymentRequest.objects.filter(provider=provider, case__organisation=organisation)
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


# --- Refunds ----------------------------------------------------------------------------


def payment_refund_duplicate(
    *, payment_request: PaymentRequest | str, payment_id: str, amount_pence: int
) -> Refund | None:
    """Refunds a second payment of a fee already paid, in full, and says so on the
    timeline; once per payment (None if it was refunded already)."""
    with transaction.atomic():
        request = _lock_with_case(payment_request)
        reason = f"Paid twice: the second payment ({payment_id}) was refunded"
        if request.refunds.filter(duplicate_payment_id=payment_id).exists():
            return None
        return _refund(
            request,
            amount_pence=amount_pence,
            reason=reason,
            idempotency_key=f"waymark-duplicate-{request.pk}-{payment_id}"[:255],
            actor=Actor.system("payments"),
            payment_id=payment_id,
        )


def _refund(
    request: PaymentRequest,
    *,
    amount_pence: int,
    reason: str,
    idempotency_key: str,
    actor: Actor,
    payment_id: str = "",
) -> Refund:
    """A refund through the provider, kept and put on the timeline; `payment_id`: of a
    second payment of the fee (a duplicate), not of the fee's own. Inside the caller's
    transaction, with the request and its case locked."""
    refund_id = provider_of(request).refund(
        request,
        amount_pence=amount_pence,
        idempotency_key=idempotency_key,
        payment_id=payment_id,
    )
    refund = Refund.objects.create(
        payment_request=request,
        amount_pence=amount_pence,
        reason=reason,
        provider_refund_id=refund_id,
        duplicate_payment_id=payment_id,
        created_by=actor.user,
    )
    if not payment_id:
        _record_refunded(request, request.refunded_pence + amount_pence)
    case_record_refund(
        case=request.case,
        actor=actor,
        amount_pence=amount_pence,
        reason=reason,
        duplicate=bool(payment_id),
    )
    return refund


def payment_refund(
    *, payment_request: PaymentRequest | str, amount_pence: int, reason: str, user
) -> Refund:
    """Refunds all or part of a paid fee through the provider, and says so on the timeline."""
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError("Enter a reason for the refund")
    with transaction.atomic():
        request = _lock_with_case(payment_request)
        if request.status not in PaymentRequest.SETTLED_STATUSES:
            raise PaymentError("Only a paid fee can be refunded.")
        if amount_pence <= 0 or amount_pence > request.refundable_pence:
            raise PaymentError(
                f"Enter an amount between £0.01 and {pounds(request.refundable_pence)}"
            )
        number = request.refunds.count() + 1
        return _refund(
            request,
            amount_pence=amount_pence,
            reason=reason,
            idempotency_key=f"waymark-refund-{request.pk}-{number}",
            actor=Actor.caseworker(user),
        )
