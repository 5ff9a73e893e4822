"""API keys: `wm_live_<prefix>.<secret>`. The prefix finds the key (it is shown in the
admin, so a key can be told apart); only a SHA-256 of the secret is kept, and it is
compared in constant time. A key is shown once, when it is made."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import timedelta

from django.utils import timezone

from cases.models import ApiKey

PREFIX = "wm_live_"
LAST_USED_EVERY = timedelta(minutes=1)  # how often a key's "last used" is written
# A key found good is trusted for this long by the process that checked it, without
# asking the database again: a revoked key stops everywhere within this time (at once
# in the process that revoked it).
TRUSTED_FOR = 30.0
_trusted: dict[str, tuple[float, ApiKey]] = {}


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(key: ApiKey) -> str:
    """Gives an unsaved key its prefix and secret; returns its full text (shown once)."""
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    key.prefix, key.hashed_secret = prefix, _digest(secret)
    key.scopes = sorted(set(key.scopes))
    return f"{PREFIX}{prefix}.{secret}"


def api_key_create(*, organisation, name: str, scopes, service: str = "", expires_at=None, by=None):
    """A new key and its full text (shown once: it cannot be read back)."""
    key = ApiKey(
        organisation=organisation,
        name=name,
        scopes=list(scopes),
        service=service,
        expires_at=expires_at,
        created_by=by,
    )
    text = issue(key)
    key.save()
    return key, text


def api_key_revoke(*, key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk, revoked_at=None).update(revoked_at=timezone.now())
    forget(key)


def forget(key: ApiKey) -> None:
    """This process stops trusting the key at once (revoked, or changed)."""
    for digest, (_until, trusted) in list(_trusted.items()):
        if trusted.pk == key.pk:
            _trusted.pop(digest, None)


def verified(text: str) -> ApiKey | None:
    """The usable key whose full text this is, or None (unknown, wrong secret, revoked
    or expired: the caller says only "not valid")."""
    if not text.startswith(PREFIX):
        return None
    prefix, _, secret = text[len(PREFIX) :].partition(".")
    if not prefix or not secret or len(prefix) > 16:
        return None
    found = _trusted.get(text_digest := _digest(text))
    now = time.monotonic()
    key = found[1] if found is not None and found[0] > now else None
    if key is None:
        key = ApiKey.objects.select_related("organisation").filter(prefix=prefix).first()
        if key is None or not hmac.compare_digest(key.hashed_secret, _digest(secret)):
            return None
        _trusted[text_digest] = (now + TRUSTED_FOR, key)
    if not key.is_usable:
        return None
    moment = timezone.now()
    if key.last_used_at is None or moment - key.last_used_at > LAST_USED_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=moment)
        key.last_used_at = moment
    return key
