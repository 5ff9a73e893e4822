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
    MalformedEvent,
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


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _state(payment: dict) -> ProviderState:
    state = _dict(payment.get("state"))
    status = STATES.get(str(state.get("status")), UNKNOWN)
    if status == FAILED and state.get("code") == "P0020":  # the citizen's session expired
        status = EXPIRED
    payment_id = payment.get("payment_id")
    return ProviderState(
        status,
        paid_pence=(_int(payment.get("amount")) or 0) if status == PAID else 0,
        payment_id=payment_id if isinstance(payment_id, str) else "",
        refunded_pence=_int(_dict(payment.get("refund_summary")).get("amount_submitted")),
        currency="GBP",  # GOV.UK Pay takes payments in pounds only
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
        try:
            answer = response.json() if response.content else {}
        except ValueError as exc:
            raise ProviderError(f"GOV.UK Pay answered with something not JSON: {exc}") from exc
        if not isinstance(answer, dict):
            raise ProviderError("GOV.UK Pay answered with something not a JSON object")
        return answer

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
        payment_id = payment.get("payment_id")
        url = _dict(_dict(payment.get("_links")).get("next_url")).get("href")
        if not isinstance(payment_id, str) or not isinstance(url, str):
            raise ProviderError("GOV.UK Pay did not give a payment ID and a payment page")
        return Checkout(provider_id=payment_id, url=url, expires_at=None)

    def fetch_state(self, request) -> ProviderState:
        return _state(self._call("GET", f"/v1/payments/{request.provider_id}"))

    def refund(
        self, request, *, amount_pence: int, idempotency_key: str, payment_id: str = ""
    ) -> str:
        paid = payment_id or request.provider_id
        payment = self._call("GET", f"/v1/payments/{paid}")
        available = (payment.get("refund_summary") or {}).get("amount_available", 0)
        refund = self._call(
            "POST",
            f"/v1/payments/{paid}/refunds",
            body={"amount": amount_pence, "refund_amount_available": available},
            idempotency_key=idempotency_key,
        )
        return refund.get("refund_id", "")


def verify_webhook(payload: bytes, signature: str, secret: str) -> WebhookEvent:
    """Checks `Pay-Signature` (hex HMAC-SHA256 of the raw body) in constant time
    (InvalidSignature), then reads the message (MalformedEvent)."""
    if not secret:
        raise InvalidSignature("The council's GOVUK_PAY_WEBHOOK_SECRET is not set")
    expected = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest().encode()
    supplied = (signature or "").strip().lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected, supplied):
        raise InvalidSignature("Pay-Signature does not match")
    try:
        message = json.loads(payload)
    except ValueError as exc:  # UnicodeDecodeError included
        raise MalformedEvent(f"not JSON: {exc}") from exc
    if not isinstance(message, dict):
        raise MalformedEvent("A GOV.UK Pay webhook message is a JSON object")
    resource, event_id = message.get("resource"), message.get("webhook_message_id")
    if not isinstance(resource, dict) or not isinstance(event_id, str) or not event_id:
        raise MalformedEvent("A GOV.UK Pay webhook message has a resource and a message ID")
    is_payment = message.get("resource_type", "payment") == "payment"
    resource_id = message.get("resource_id") or resource.get("payment_id")
    reference = _dict(resource.get("metadata")).get("payment_request")
    event_type = message.get("event_type")
    return WebhookEvent(
        event_id=event_id,
        type=event_type if isinstance(event_type, str) else "",
        payment_request_id=reference if isinstance(reference, str) else "",
        provider_id=resource_id if isinstance(resource_id, str) else "",
        state=_state(resource) if is_payment else None,
        payload=message,
    )
