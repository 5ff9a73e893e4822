"""The local payment provider: a hosted page on this site where you choose to pay, fail
or abandon. For development and demos; nothing leaves the machine."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from payments.providers import (
    EXPIRED,
    FAILED,
    PAID,
    PENDING,
    Checkout,
    ProviderError,
    ProviderState,
)

CHECKOUT_LIFETIME = timedelta(hours=1)
STATES = {"created": PENDING, "paid": PAID, "failed": FAILED, "abandoned": PENDING}


class LocalProvider:
    name = "local"

    def create_checkout(self, request, *, return_url: str, cancel_url: str, idempotency_key: str):
        from payments.models import LocalCheckout

        checkout, _ = LocalCheckout.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={
                "payment_request": request,
                "amount_pence": request.amount_pence,
                "return_url": return_url,
                "cancel_url": cancel_url,
            },
        )
        return Checkout(
            provider_id=str(checkout.pk),
            url=f"{settings.SITE_URL}/payments/local/{checkout.pk}/",
            expires_at=checkout.created_at + CHECKOUT_LIFETIME,
        )

    def fetch_state(self, request) -> ProviderState:
        from payments.models import LocalCheckout

        checkout = (
            LocalCheckout.objects.filter(pk=request.provider_id).first()
            if request.provider_id
            else None
        )
        if checkout is None:
            raise ProviderError("The local provider has no such checkout", retryable=False)
        if (
            checkout.status == "created"
            and checkout.created_at + CHECKOUT_LIFETIME < timezone.now()
        ):
            return ProviderState(EXPIRED)
        status = STATES[checkout.status]
        return ProviderState(
            status,
            paid_pence=checkout.amount_pence if status == PAID else 0,
            payment_id=str(checkout.pk),
            refunded_pence=checkout.refunded_pence,
        )

    def refund(
        self, request, *, amount_pence: int, idempotency_key: str, payment_id: str = ""
    ) -> str:
        from django.db.models import F

        from payments.models import LocalCheckout

        checkout = payment_id or request.provider_id
        if not checkout:
            raise ProviderError("The local provider has no checkout to refund", retryable=False)
        updated = LocalCheckout.objects.filter(
            pk=checkout,
            status="paid",
            refunded_pence__lte=F("amount_pence") - amount_pence,
        ).update(refunded_pence=F("refunded_pence") + amount_pence)
        if not updated:
            raise ProviderError("The local provider cannot refund that much", retryable=False)
        return f"local-refund-{idempotency_key}"
