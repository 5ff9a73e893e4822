"""Payment providers behind one small interface, chosen per council.

Each provider module is the only one that talks to its service: `stripe.py` (the only
importer of the `stripe` library), `govuk_pay.py` (GOV.UK Pay's REST API) and `local.py`
(a hosted page on this site, for development and demos). Each council has its own
account, so its own keys (`config.secrets`). Without them the local provider stands in
only when LOCAL_BACKENDS is on (a laptop, a demo site), loudly in the log; otherwise
`NotConfigured` is raised and the citizen is told they cannot pay online just now.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings

from config import secrets

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


class NotConfigured(ProviderError):
    """The council has no credentials for its payment provider (and no local stand-in)."""

    def __init__(self, message: str):
        super().__init__(message, retryable=False)


class InvalidSignature(Exception):
    """A webhook whose signature does not check out: answer 400, change nothing."""


class MalformedEvent(Exception):
    """A validly signed webhook without what every event of its kind carries: answer 400,
    change nothing (the provider shows the answer on its side)."""


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
    currency: str = "GBP"  # of paid_pence, as the provider says it


@dataclass(frozen=True)
class WebhookEvent:
    """One verified event: which payment (by our UUID or the provider's ID) and its news."""

    event_id: str
    type: str
    payment_request_id: str = ""
    provider_id: str = ""
    state: ProviderState | None = None
    payload: dict = field(default_factory=dict)


# Which secret each provider needs: its API key, and the secret its webhooks are signed with.
API_KEYS = {"stripe": secrets.STRIPE_SECRET_KEY, "govuk_pay": secrets.GOVUK_PAY_API_KEY}
WEBHOOK_SECRETS = {
    "stripe": secrets.STRIPE_WEBHOOK_SECRET,
    "govuk_pay": secrets.GOVUK_PAY_WEBHOOK_SECRET,
}


def _api_key(name: str, council_slug: str) -> str:
    variable = API_KEYS.get(name, "")
    return secrets.council_secret(variable, council_slug) if variable else ""


def provider_configured(name: str, council_slug: str) -> bool:
    """Whether `provider_for` would give a client (without making one)."""
    return bool(_api_key(name, council_slug)) or settings.LOCAL_BACKENDS


def provider_for(name: str, council_slug: str):
    """The provider's client for a council: Stripe or GOV.UK Pay with the council's own
    key; the local provider where LOCAL_BACKENDS allows it; otherwise NotConfigured."""
    from payments.providers import govuk_pay, local, stripe

    variable = API_KEYS.get(name, "")
    key = _api_key(name, council_slug)
    if key and name == "stripe":
        return stripe.StripeProvider(key)
    if key and name == "govuk_pay":
        return govuk_pay.GovukPayProvider(key, settings.GOVUK_PAY_API_BASE)
    if settings.LOCAL_BACKENDS:
        if name != "local":
            logger.warning(
                "%s is not set: using the local payment provider (LOCAL_BACKENDS is on)",
                secrets.variable(variable, council_slug),
            )
        return local.LocalProvider()
    if not variable:
        raise NotConfigured(
            f"The {name} payment provider is for development and demos (LOCAL_BACKENDS is off)"
        )
    raise NotConfigured(f"{secrets.variable(variable, council_slug)} is not set")


def webhook_secret(name: str, council_slug: str) -> str:
    return secrets.council_secret(WEBHOOK_SECRETS[name], council_slug)
