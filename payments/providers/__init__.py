"""Payment providers behind one small interface, chosen per council.

Each provider module is the only one that talks to its service: `stripe.py` (the only
importer of the `stripe` library), `govuk_pay.py` (GOV.UK Pay's REST API) and `local.py`
(a hosted page on this site, for development and demos). A provider whose credentials are
not set falls back to the local provider, loudly in the log.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings

logger = logging.getLogger(__name__)

# What a provider says about a payment, in our words.
PAID, PENDING, FAILED, EXPIRED, CANCELLED, UNKNOWN = (
    "paid",
    "pending",
    "failed",
    "expired",
    "cancelled",
    "unknown",
)


class ProviderError(Exception):
    """The provider could not be reached or refused: the citizen is asked to try again."""

    def __init__(self, message: str, *, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


class InvalidSignature(Exception):
    """A webhook whose signature does not check out: answer 400, change nothing."""


@dataclass(frozen=True)
class Checkout:
    provider_id: str
    url: str
    expires_at: datetime | None


@dataclass(frozen=True)
class ProviderState:
    status: str  # one of PAID, PENDING, FAILED, EXPIRED, CANCELLED, UNKNOWN
    paid_pence: int = 0
    payment_id: str = ""  # Stripe's payment intent, for refunds
    refunded_pence: int | None = None


@dataclass(frozen=True)
class WebhookEvent:
    """One verified event: which payment (by our UUID or the provider's ID) and its news."""

    event_id: str
    type: str
    payment_request_id: str = ""
    provider_id: str = ""
    state: ProviderState | None = None
    payload: dict = field(default_factory=dict)


def secret(variable: str, default_variable: str) -> str:
    return os.environ.get(variable or default_variable, "")


def provider_for(name: str, key_env: str = ""):
    """The provider module's client for a council: Stripe, GOV.UK Pay, or local."""
    from payments.providers import govuk_pay, local, stripe

    if name == "stripe":
        key = secret(key_env, "STRIPE_SECRET_KEY")
        if key:
            return stripe.StripeProvider(key)
    elif name == "govuk_pay":
        key = secret(key_env, "GOVUK_PAY_API_KEY")
        if key:
            return govuk_pay.GovukPayProvider(key, settings.GOVUK_PAY_API_BASE)
    if name != "local":
        logger.warning("No %s key is set (%s): using the local payment provider", name, key_env)
    return local.LocalProvider()
