"""GOV.UK Pay over its REST API (there is no official Python client)."""

from __future__ import annotations

import hashlib
import hmac
import json

import requests
from django.conf import settings

from payments.providers import (
    CANCELLED,
    EXPIRED,
    FAILED,
    PAID,
    PENDING,
    UNKNOWN,
    Checkout,
    InvalidSignature,
    ProviderError,
    ProviderState,
    WebhookEvent,
)

# Pay's states → ours. `capturable` and `submitted` are still in progress.
STATES = {
    "created": PENDING,
    "started": PENDING,
    "submitted": PENDING,
    "capturable": PENDING,
    "success": PAID,
    "failed": FAILED,
    "cancelled": CANCELLED,
    "error": UNKNOWN,
}


def _state(payment: dict) -> ProviderState:
    state = payment.get("state") or {}
    status = STATES.get(state.get("status"), UNKNOWN)
    if status == FAILED and state.get("code") == "P0020":  # the citizen's session expired
        status = EXPIRED
    refund = payment.get("refund_summary") or {}
    return ProviderState(
        status,
        paid_pence=payment.get("amount", 0) if status == PAID else 0,
        payment_id=payment.get("payment_id", ""),
        refunded_pence=refund.get("amount_submitted"),
    )


class GovukPayProvider:
    name = "govuk_pay"

    def __init__(self, api_key: str, base_url: str):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        )

    def _call(self, method: str, path: str, *, body=None, idempotency_key: str = "") -> dict:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        try:
            response = self.session.request(
                method,
                f"{self.base_url}{path}",
                data=json.dumps(body) if body is not None else None,
                headers=headers,
                timeout=settings.PAYMENTS_TIMEOUT,
            )
        except requests.RequestException as exc:
            raise ProviderError(f"GOV.UK Pay did not answer: {exc}") from exc
        if response.status_code >= 400:
            try:
                detail = response.json().get("description", response.text)
            except ValueError:
                detail = response.text
            retryable = response.status_code == 429 or response.status_code >= 500
            raise ProviderError(
                f"GOV.UK Pay answered {response.status_code}: {detail}", retryable=retryable
            )
        return response.json() if response.content else {}

    def create_checkout(self, request, *, return_url: str, cancel_url: str, idempotency_key: str):
        payment = self._call(
            "POST",
            "/v1/payments",
            body={
                "amount": request.amount_pence,
                "reference": request.reference,
                "description": request.description,
                "return_url": return_url,
                "language": "cy" if request.case.language == "cy" else "en",
                "metadata": {"payment_request": str(request.pk)},
            },
            idempotency_key=idempotency_key,
        )
        return Checkout(
            provider_id=payment["payment_id"],
            url=payment["_links"]["next_url"]["href"],
            expires_at=None,
        )

    def fetch_state(self, request) -> ProviderState:
        return _state(self._call("GET", f"/v1/payments/{request.provider_id}"))

    def refund(self, request, *, amount_pence: int, idempotency_key: str) -> str:
        payment = self._call("GET", f"/v1/payments/{request.provider_id}")
        available = (payment.get("refund_summary") or {}).get("amount_available", 0)
        refund = self._call(
            "POST",
            f"/v1/payments/{request.provider_id}/refunds",
            body={"amount": amount_pence, "refund_amount_available": available},
            idempotency_key=idempotency_key,
        )
        return refund.get("refund_id", "")


def verify_webhook(payload: bytes, signature: str) -> WebhookEvent:
    """Checks `Pay-Signature` (hex HMAC-SHA256 of the raw body) in constant time."""
    secret = settings.GOVUK_PAY_WEBHOOK_SECRET
    if not secret:
        raise InvalidSignature("GOVUK_PAY_WEBHOOK_SECRET is not set")
    expected = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    if not signature or not hmac.compare_digest(expected, signature.strip().lower()):
        raise InvalidSignature("Pay-Signature does not match")
    try:
        message = json.loads(payload)
        resource = message["resource"]
        event_id = message["webhook_message_id"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidSignature(f"not a GOV.UK Pay webhook message: {exc}") from exc
    state = _state(resource) if message.get("resource_type", "payment") == "payment" else None
    return WebhookEvent(
        event_id=event_id,
        type=message.get("event_type", ""),
        payment_request_id=(resource.get("metadata") or {}).get("payment_request", ""),
        provider_id=message.get("resource_id") or resource.get("payment_id", ""),
        state=state,
        payload=message,
    )
