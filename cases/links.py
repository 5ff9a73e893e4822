"""Signed, expiring links to a case's timeline, put in every message to the citizen, and
the links a report's followers confirm and stop their updates with.

`signed_link` is the full form for emails and letters; `short_link` the short one for text
messages (`/t/<reference>.<time>.<signature>`: about 50 characters with the address, so a
text stays in as few fragments as it can). Both open the timeline for 60 days, are
checked in constant time, and are never subject to the lookup limits: the owner always
has a way in.

`media_link` is the link an Open311 answer gives to a street report's photo
(`cases.open311`): signed the same way, it names the file (not the case) and works for
MEDIA_MAX_AGE.
"""

import base64
import hmac
import time

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac

LINK_SALT = "waymark.track-link"
LINK_MAX_AGE = 60 * 60 * 24 * 60  # links in messages work for 60 days
MEDIA_MAX_AGE = 60 * 60 * 24 * 7  # a photo's link in an Open311 answer works for 7 days
SHORT_SIGNATURE_LENGTH = 16  # base64 characters: 96 bits of HMAC-SHA256


def signed_link(case) -> str:
    token = signing.TimestampSigner(salt=LINK_SALT).sign(case.process_id)
    return f"{settings.SITE_URL}/track/{case.process_id}/?t={token}"


def link_is_valid(case, token: str) -> bool:
    try:
        value = signing.TimestampSigner(salt=LINK_SALT).unsign(token, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return False
    return value == case.process_id


def _signature(message: str, purpose: str, secret=None) -> str:
    digest = salted_hmac(f"{LINK_SALT}.{purpose}", message, secret, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode()[:SHORT_SIGNATURE_LENGTH]


def _signed(signature: str, message: str, purpose: str) -> bool:
    """Whether `signature` is ours: by the secret key, or one it replaced (a key rotated
    through SECRET_KEY_FALLBACKS keeps every link sent working)."""
    return any(
        hmac.compare_digest(signature.encode(), _signature(message, purpose, secret).encode())
        for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    )


def _stamped(subject: str, purpose: str, now: float | None) -> str:
    """`<subject>.<time>.<signature>`: what a short or photo link carries."""
    stamp = signing.b62_encode(int(time.time() if now is None else now))
    return f"{subject}.{stamp}.{_signature(f'{subject}.{stamp}', purpose)}"


def _unstamped(token: str, purpose: str, max_age: int, now: float | None) -> str | None:
    """The subject of a `_stamped` token, if its signature is right and it is not too old."""
    subject, _, rest = token.partition(".")
    stamp, _, signature = rest.partition(".")
    if not (subject and stamp and signature):
        return None
    if not _signed(signature, f"{subject}.{stamp}", purpose):
        return None
    try:
        issued = signing.b62_decode(stamp)
    except (ValueError, KeyError):
        return None
    age = (time.time() if now is None else now) - issued
    return subject if 0 <= age <= max_age else None


def short_link(case, *, now: float | None = None) -> str:
    return f"{settings.SITE_URL}/t/{_stamped(case.process_id, 'short', now)}"


def short_link_case(token: str, *, now: float | None = None) -> str | None:
    """The process ID a short link opens, if its signature is right and it is not too old."""
    return _unstamped(token, "short", LINK_MAX_AGE, now)


def media_link(evidence, *, now: float | None = None) -> str:
    return f"{settings.SITE_URL}/open311/v2/media/{_stamped(str(evidence.pk), 'media', now)}"


def media_link_evidence(token: str, *, now: float | None = None) -> int | None:
    """The evidence file a photo link names, if its signature is right and it is not too old."""
    pk = _unstamped(token, "media", MEDIA_MAX_AGE, now)
    return int(pk) if pk is not None and pk.isascii() and pk.isdigit() and len(pk) <= 18 else None


def follow_link(follower, action: str) -> str:
    """The link a follower confirms (`confirm`) or stops (`stop`) their updates with. It
    names the follower, not the report, and does not expire: a stop link must always work."""
    token = f"{follower.pk}.{_signature(str(follower.pk), 'follow')}"
    return f"{settings.SITE_URL}/follow/{token}/{action}/"


def follower_id(token: str) -> int | None:
    """The follower a follow link names, if its signature is right."""
    pk, _, signature = token.partition(".")
    if not pk.isdigit() or len(pk) > 18:
        return None
    if not _signed(signature, pk, "follow"):
        return None
    return int(pk)
