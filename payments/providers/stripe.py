"""Stripe Checkout for one-off GBP payments. The only module that imports `stripe`."""

from __future__ import annotations

import json
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
    MalformedEvent,
    ProviderError,
    ProviderState,
    WebhookEvent,
)

CHECKOUT_LIFETIME = timedelta(hours=1)


def _client(api_key: str) -> stripe.StripeClient:
    base = settings.STRIPE_API_BASE
    return stripe.StripeClient(
        api_key, base_addresses={"api": base} if base else None, max_network_retries=0
    )


def _get(obj, name: str, default=None):
    """A field of a Stripe object, or `default` when the object lacks it (they are not
    dicts: a missing field raises AttributeError)."""
    try:
        value = getattr(obj, name)
    except (AttributeError, KeyError):
        return default
    return default if value is None else value


def _id(value) -> str:
    """An ID that Stripe may send as a string or as an expanded object."""
    value = _get(value, "id", "") if not isinstance(value, str) else value
    return value if isinstance(value, str) else ""


def _pence(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _session_state(session) -> ProviderState:
    payment_intent = _id(_get(session, "payment_intent", ""))
    currency = str(_get(session, "currency", "")).upper()
    if _get(session, "payment_status") == "paid":
        return ProviderState(
            PAID,
            paid_pence=_pence(_get(session, "amount_total")),
            payment_id=payment_intent,
            currency=currency,
        )
    if _get(session, "status") == "expired":
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
        # Stripe leaves `url` out only for embedded sessions and ones no longer open; a
        # hosted session it has just created always has one.
        assert session.url is not None
        return Checkout(provider_id=session.id, url=session.url, expires_at=expires_at)

    def fetch_state(self, request) -> ProviderState:
        try:
            session = self.client.v1.checkout.sessions.retrieve(request.provider_id)
        except stripe.StripeError as exc:
            raise ProviderError(f"Stripe: {exc}", retryable=_retryable(exc)) from exc
        return _session_state(session)

    def refund(
        self, request, *, amount_pence: int, idempotency_key: str, payment_id: str = ""
    ) -> str:
        payment_intent = payment_id or request.provider_payment_id
        if not payment_intent:
            raise ProviderError("Stripe has not told us the payment to refund", retryable=False)
        try:
            refund = self.client.v1.refunds.create(
                params={"payment_intent": payment_intent, "amount": amount_pence},
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


SESSION_EVENTS = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
}


def verify_webhook(payload: bytes, signature: str, secret: str) -> WebhookEvent:
    """Checks `Stripe-Signature` on the raw body with the library (InvalidSignature if it
    does not check out), then reads the event (MalformedEvent if it lacks what its type
    always carries)."""
    if not secret:
        raise InvalidSignature("The council's STRIPE_WEBHOOK_SECRET is not set")
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except stripe.SignatureVerificationError as exc:
        raise InvalidSignature(str(exc)) from exc
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        # A header or body the library cannot even read (not UTF-8, not JSON, an array).
        raise InvalidSignature(f"not a Stripe webhook: {type(exc).__name__}") from exc
    event_id, event_type = _get(event, "id"), _get(event, "type")
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
        raise MalformedEvent("A Stripe event has an id and a type")
    obj = _get(_get(event, "data"), "object")
    state = None
    payment_request_id = provider_id = ""
    if event_type in SESSION_EVENTS:
        provider_id = _id(obj)
        if not provider_id:
            raise MalformedEvent(f"{event_type} without the session it is about")
        reference = _get(obj, "client_reference_id") or _get(
            _get(obj, "metadata"), "payment_request", ""
        )
        payment_request_id = reference if isinstance(reference, str) else ""
        if event_type == "checkout.session.async_payment_failed":
            state = ProviderState(FAILED)
        elif event_type == "checkout.session.expired":
            state = ProviderState(EXPIRED)
        else:
            state = _session_state(obj)
    elif event_type == "charge.refunded":
        provider_id = _id(_get(obj, "payment_intent", ""))
        refunded = _get(obj, "amount_refunded")
        if not provider_id or not isinstance(refunded, int):
            raise MalformedEvent("charge.refunded without its payment intent and amount")
        state = ProviderState(
            PAID,
            paid_pence=_pence(_get(obj, "amount")),
            refunded_pence=refunded,
            payment_id=provider_id,
            currency=str(_get(obj, "currency", "")).upper(),
        )
    return WebhookEvent(
        event_id=event_id,
        type=event_type,
        payment_request_id=payment_request_id,
        provider_id=provider_id,
        state=state,
        payload=json.loads(payload),  # what Stripe sent, as it sent it
    )
