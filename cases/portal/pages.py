"""The pages every GOV.UK service has: the accessibility statement, the privacy notice and
the cookies page (linked from the footer), the feedback page the phase banner links to
(unless FEEDBACK_URL points elsewhere), and signing out of the cases opened in this
browser."""

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_safe

from cases.admin.staff_auth import DEVICE_COOKIE
from cases.models import Organisation
from cases.portal import access


def _councils():
    """The councils that give citizens a way to contact them (any of email, phone or
    website), for the pages that tell citizens to contact the council."""
    return Organisation.objects.exclude(contact_email="", contact_phone="", website="").order_by(
        "name"
    )


@require_safe
def accessibility(request):
    """The accessibility statement, after GOV.UK's model statement."""
    return render(request, "portal/pages/accessibility.html", {"councils": _councils()})


@require_safe
def privacy(request):
    """The privacy notice: the council that runs the service is the data controller."""
    return render(request, "portal/pages/privacy.html", {"councils": _councils()})


def cookie_names() -> dict[str, str]:
    """The name of every cookie the site sets, as the code that sets it names it."""
    return {
        "session": settings.SESSION_COOKIE_NAME,
        "csrf": settings.CSRF_COOKIE_NAME,
        "language": settings.LANGUAGE_COOKIE_NAME,
        "messages": CookieStorage.cookie_name,
        "staff_device": DEVICE_COOKIE,
    }


def _breakable(name: str) -> str:
    """A cookie's name that may wrap after its underscores, so the table fits a phone."""
    return mark_safe("_<wbr>".join(escape(part) for part in name.split("_")))  # noqa: S308 - escaped


@require_safe
def cookies(request):
    """The cookies the site sets: all essential, so there is no consent banner."""
    names = {key: _breakable(name) for key, name in cookie_names().items()}
    return render(request, "portal/pages/cookies.html", {"cookie": names})


@require_safe
def feedback(request):
    """Where the phase banner's feedback link goes by default: each council runs its own
    services, so feedback goes to the council (Waymark itself has no inbox to promise)."""
    return render(request, "portal/pages/feedback.html", {"councils": _councils()})


@require_GET
def sign_out(request):
    """Ends this browser's tracking session: forgets the cases it opened and flushes the
    session (its data deleted, a new, empty session key), then says so.

    A plain link (GET), as GOV.UK's service navigation shows sign-out: it works without
    JavaScript and needs no form or CSRF token in the header of every page. It only ever
    takes access away, so a forged request can at worst sign a citizen out; and the session
    cookie is SameSite=Lax, so another site's images or frames never carry it here. HEAD is
    refused (a link checker's HEAD must not sign anyone out), and the URL is wrapped in
    never_cache in urls.py (Cache-Control: no-store). Flushing also ends anything else the
    session held: an application in progress, or a staff sign-in in the same browser."""
    request.session.pop(access.SESSION_KEY, None)
    request.session.flush()
    return render(request, "portal/pages/signed_out.html")
