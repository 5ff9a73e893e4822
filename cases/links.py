"""Signed, expiring links to a case's timeline, put in every message to the citizen."""

from django.conf import settings
from django.core import signing

LINK_SALT = "waymark.track-link"
LINK_MAX_AGE = 60 * 60 * 24 * 60  # links in messages work for 60 days


def signed_link(case) -> str:
    token = signing.TimestampSigner(salt=LINK_SALT).sign(case.process_id)
    return f"{settings.SITE_URL}/track/{case.process_id}/?t={token}"


def link_is_valid(case, token: str) -> bool:
    try:
        value = signing.TimestampSigner(salt=LINK_SALT).unsign(token, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return False
    return value == case.process_id
