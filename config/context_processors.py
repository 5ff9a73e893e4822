from django.conf import settings

from cases.portal import access


def waymark(request):
    """Values every page template needs."""
    session = getattr(request, "session", None)
    return {
        "SITE_URL": settings.SITE_URL,
        "FEEDBACK_URL": settings.FEEDBACK_URL,
        # The citizen opened a case in this browser: the header offers "Sign out".
        "TRACKING_CASES": bool(session is not None and session.get(access.SESSION_KEY)),
    }
