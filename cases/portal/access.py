"""Who may see a case's timeline: a browser session that proved it (reference number plus
postcode or email), or a signed, expiring link from one of our messages."""

import hashlib
import time

from django.conf import settings
from django.core import signing

from notify.limiter import claim

SESSION_KEY = "waymark_tracked_cases"
LINK_SALT = "waymark.track-link"
LINK_MAX_AGE = 60 * 60 * 24 * 60  # links in messages work for 60 days
WINDOW_SECONDS = 15 * 60


def grant(request, case) -> None:
    tracked = set(request.session.get(SESSION_KEY, []))
    tracked.add(case.pk)
    request.session[SESSION_KEY] = sorted(tracked)
    request.session.cycle_key()  # a new session ID once it unlocks personal data


def allowed(request, case) -> bool:
    return case.pk in request.session.get(SESSION_KEY, [])


def signed_link(case) -> str:
    token = signing.TimestampSigner(salt=LINK_SALT).sign(case.process_id)
    return f"{settings.SITE_URL}/track/{case.process_id}/?t={token}"


def link_is_valid(case, token: str) -> bool:
    try:
        value = signing.TimestampSigner(salt=LINK_SALT).unsign(token, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return False
    return value == case.process_id


def _bucket(what: str, value: str) -> str:
    return "track:" + what + ":" + hashlib.sha256(value.encode()).hexdigest()[:32]


def too_many_attempts(*, ip: str, reference: str) -> bool:
    """Counts a lookup; True once this address or this reference has tried too often in
    the current quarter of an hour (so guessing postcodes is slow)."""
    window = int(time.time() // WINDOW_SECONDS)
    by_ip = claim(_bucket("ip", ip), window)
    by_reference = claim(_bucket("ref", reference), window) if reference else 0
    return (
        by_ip > settings.TRACK_ATTEMPTS_PER_IP
        or by_reference > settings.TRACK_ATTEMPTS_PER_REFERENCE
    )
