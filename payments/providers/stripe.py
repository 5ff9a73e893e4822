"""Stripe Checkout for one-off GBP payments. The only module that imports `stripe`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import stripe
from django.conf import settings
from django.utils import timezone

from payments.providers import (
    EXPIRED,
    FAILED,
    PAID,
    PENDING,
    Checkout,
    InvalidSignature,
    ProviderError,
    ProviderState,
    WebhookEvent,
)

CHECKOUT_LIFETIME = timedelta(hours=1)


def _client(api_key: str) -> stripe.StripeClient:
    base = settings.STRIPE_API_BASE
    addresses = {"api": base} if base else None
    return stripe.StripeClient(api_key, base_addresses=addresses, max_network_retries=0)


def _session_state(session) -> ProviderState:
    payment_intent = session.payment_intent or ""
    if not isinstance(payment_intent, str):
        payment_intent = payment_intent.id
    if session.payment_status == "paid":
        return ProviderState(PAID, paid_pence=session.amount_total or 0, payment_id=payment_intent)
    if session.status == "expired":
        return ProviderState(EXPIRED, payment_id=payment_intent)
    return ProviderState(PENDING, payment_id=payment_intent)


class StripeProvider:
    name = "stripe"

    def __init__(self, api_key: str):
        self.client = _client(api_key)

    def create_checkout(self, request, *, return_url: str, cancel_url: str, idempotency_key: str):
        expires = timezone.now() + CHECKOUT_LIFETIME
        try:
            session = self.client.v1.checkout.sessions.create(
                params={
                    "mode": "payment",
                    "line_items": [
                        {
                            "quantity": 1,
                            "price_data": {
                                "currency": request.currency.lower(),
                                "unit_amount": request.amount_pence,
                                "product_data": {"name": request.description},
                            },
                        }
                    ],
                    "client_reference_id": str(request.pk),
                    "metadata": {"payment_request": str(request.pk), "case": request.reference},
                    "success_url": return_url,
                    "cancel_url": cancel_url,
                    "expires_at": int(expires.timestamp()),
                    "locale": "auto",
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise ProviderError(
                f"Stripe: {exc.user_message or exc}", retryable=_retryable(exc)
            ) from exc
        expires_at = (
            datetime.fromtimestamp(session.expires_at, tz=UTC) if session.expires_at else expires
        )
        return Checkout(provider_id=session.id, url=session.url, expires_at=expires_at)

    def fetch_state(self, request) -> ProviderState:
        try:
            session = self.client.v1.checkout.sessions.retrieve(request.provider_id)
        except stripe.StripeError as exc:
            raise ProviderError(f"Stripe: {exc}", retryable=_retryable(exc)) from exc
        return _session_state(session)

    def refund(self, request, *, amount_pence: int, idempotency_key: str) -> str:
        if not request.provider_payment_id:
            raise ProviderError("Stripe has not told us the payment to refund", retryable=False)
        try:
            refund = self.client.v1.refunds.create(
                params={"payment_intent": request.provider_payment_id, "amount": amount_pence},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise ProviderError(
                f"Stripe: {exc.user_message or exc}", retryable=_retryable(exc)
            ) from exc
        return refund.id


def _retryable(exc: stripe.StripeError) -> bool:
    status = getattr(exc, "http_status", None)
    return status is None or status == 429 or status >= 500


def verify_webhook(payload: bytes, signature: str) -> WebhookEvent:
    """Checks `Stripe-Signature` on the raw body with the library; raises InvalidSignature."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise InvalidSignature("STRIPE_WEBHOOK_SECRET is not set")
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise InvalidSignature(str(exc)) from exc
    obj = event.data.object
    state = None
    payment_request_id = ""
    provider_id = ""
    if event.type.startswith("checkout.session."):
        provider_id = obj.id
        metadata = obj.metadata
        from_metadata = (
            metadata["payment_request"] if metadata and "payment_request" in metadata else ""
        )
        payment_request_id = obj.client_reference_id or from_metadata
        if event.type in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
            state = _session_state(obj)
        elif event.type == "checkout.session.async_payment_failed":
            state = ProviderState(FAILED)
        elif event.type == "checkout.session.expired":
            state = ProviderState(EXPIRED)
    elif event.type == "charge.refunded":
        payment_intent = obj.payment_intent
        provider_id = payment_intent if isinstance(payment_intent, str) else payment_intent.id
        state = ProviderState(PAID, refunded_pence=obj.amount_refunded, payment_id=provider_id)
    return WebhookEvent(
        event_id=event.id,
        type=event.type,
        payment_request_id=payment_request_id,
        provider_id=provider_id,
        state=state,
        payload=event.to_dict(),
    )
