"""Writes payment requests. Called by `cases.services` inside its transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from payments.models import PaymentRequest

if TYPE_CHECKING:
    from cases.models import Case, CaseEvent


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
    PaymentRequest.objects.filter(case=case, status__in=PaymentRequest.OPEN_STATUSES).update(
        status=PaymentRequest.Status.CANCELLED
    )
    return PaymentRequest.objects.create(
        case=case,
        case_event=case_event,
        amount_pence=fee,
        description=f"{case.TITLE.en} fee",
        reference=case.process_id,
        provider=case.config.payment_provider,
    )
