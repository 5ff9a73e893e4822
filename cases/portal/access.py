"""Who may see a case's timeline: a browser session that proved it (reference number plus
postcode or email), or a signed, expiring link from one of our messages (`cases.links`,
never subject to the lookup limits: the owner always has a way in)."""

import hashlib

from django.conf import settings

from cases.ratelimit import claim

SESSION_KEY = "waymark_tracked_cases"
WINDOW_SECONDS = 15 * 60


def grant(request, case) -> None:
    tracked = set(request.session.get(SESSION_KEY, []))
    tracked.add(case.pk)
    request.session[SESSION_KEY] = sorted(tracked)
    request.session.cycle_key()  # a new session ID once it unlocks personal data


def allowed(request, case) -> bool:
    return case.pk in request.session.get(SESSION_KEY, [])


def _bucket(what: str, value: str) -> str:
    return "track:" + what + ":" + hashlib.sha256(value.encode()).hexdigest()[:32]


def too_many_attempts(*, ip: str, reference: str) -> bool:
    """Counts a lookup; True once this address or this reference has tried too often in
    the current quarter of an hour (so guessing postcodes is slow)."""
    by_ip = claim(_bucket("ip", ip), WINDOW_SECONDS)
    by_reference = claim(_bucket("ref", reference), WINDOW_SECONDS) if reference else 0
    return (
        by_ip > settings.TRACK_ATTEMPTS_PER_IP
        or by_reference > settings.TRACK_ATTEMPTS_PER_REFERENCE
    )


LINK_WINDOW_SECONDS = 60 * 60


def too_many_link_requests(*, ip: str) -> bool:
    """Counts a "send me a link" request from this address; True once it has asked too often
    in a quarter of an hour."""
    return claim(_bucket("link-ip", ip), WINDOW_SECONDS) > settings.LINK_REQUESTS_PER_IP


def link_may_be_sent(reference: str) -> bool:
    """Counts a link sent for this reference; False once it has had its links for the hour
    (the request is answered the same way: no one learns anything from it)."""
    sent = claim(_bucket("link-ref", reference), LINK_WINDOW_SECONDS)
    return sent <= settings.LINK_REQUESTS_PER_REFERENCE
