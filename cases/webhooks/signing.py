"""Standard Webhooks signatures (https://www.standardwebhooks.com/), made with the
`standardwebhooks` library: `webhook-signature` is `v1,<base64 HMAC-SHA256 of
"{webhook-id}.{webhook-timestamp}.{body}">`. After a rotation the old secret signs too,
space-separated, for `ROTATION_OVERLAP`, so a receiver can switch secrets in its own time."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta

from django.utils import timezone
from standardwebhooks import Webhook

from cases.webhooks.models import WebhookSubscription

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
ROTATION_OVERLAP = timedelta(hours=24)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signing_secrets(subscription: WebhookSubscription, now: datetime) -> list[str]:
    keys = [subscription.secret]
    until = subscription.previous_secret_until
    if subscription.previous_secret and until and until > now:
        keys.append(subscription.previous_secret)
    return keys


def headers(
    subscription: WebhookSubscription, message_id: str, body: str, now: datetime | None = None
) -> dict[str, str]:
    now = now or timezone.now()
    signature = " ".join(
        Webhook(key).sign(msg_id=message_id, timestamp=now, data=body)
        for key in signing_secrets(subscription, now)
    )
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


def rotate(subscription: WebhookSubscription, now: datetime | None = None) -> str:
    """A new secret (returned: it is shown once); the one it replaces signs on beside it
    for a day. Saves the subscription."""
    now = now or timezone.now()
    secret = new_secret()
    subscription.previous_secret, subscription.secret = subscription.secret, secret
    subscription.previous_secret_until = now + ROTATION_OVERLAP
    subscription.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    return secret
