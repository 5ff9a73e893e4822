"""The citizen's pages: start, find your case, and its timeline."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from cases import process_id, services
from cases.audit import record_access
from cases.links import link_is_valid, short_link_case
from cases.models import AccessLog, Case, Organisation
from cases.portal import access
from cases.portal.forms import LinkRequestForm, TrackForm
from cases.selectors import case_timeline
from cases.validators import normalise_phone, normalise_postcode
from config.net import client_ip

NOT_FOUND = _(
    "We could not find a case with that reference number and postcode or email address. "
    "Check them and try again."
)


@require_safe
def start(request):
    """The start page: what Waymark does for citizens, and which councils use it (with
    their services, fetched in one query for every council)."""
    organisations = Organisation.objects.order_by("name").prefetch_related("service_configs")
    return render(request, "portal/start.html", {"organisations": organisations})


@require_safe
def choose_language(request, code: str):
    """The language toggle: a plain link (no JavaScript, no form) that remembers the choice."""
    if code not in dict(settings.LANGUAGES):
        raise Http404("No such language")
    next_url = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=365 * 24 * 60 * 60,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=False,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def _matches(case: Case, second_factor: str) -> bool:
    """The postcode, email address or phone number the citizen gave, however typed."""
    value = second_factor.strip()
    if "@" in value:
        return bool(case.email) and case.email.lower() == value.lower()
    try:
        if case.postcode and normalise_postcode(value) == case.postcode:
            return True
    except ValidationError:  # not the shape of a postcode: perhaps a phone number
        pass
    try:
        return bool(case.phone) and normalise_phone(value) == case.phone
    except ValidationError:
        return False


@require_http_methods(["GET", "HEAD", "POST"])
def track(request):
    """Find a case by its reference number and a second factor. The answer is the same
    whether the reference does not exist or the second factor is wrong."""
    form = TrackForm(request.POST or None)
    if request.method == "POST":
        reference = process_id.normalise(request.POST.get("reference", ""))
        if access.too_many_attempts(ip=client_ip(request), reference=reference):
            return render(request, "portal/too_many_attempts.html", status=429)
        if form.is_valid():
            case = Case.objects.filter(process_id=form.cleaned_data["reference"]).first()
            if case is not None and _matches(case, form.cleaned_data["postcode_or_email"]):
                access.grant(request, case)
                return HttpResponseRedirect(reverse("portal:timeline", args=[case.process_id]))
            form.add_error("reference", NOT_FOUND)
    return render(request, "portal/track.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "HEAD", "POST"])
def send_link(request):
    """Send me a link to my case: the reference in, and the signed link goes to the contact
    details on record, by the citizen's chosen channel. The answer is the same whether or
    not the reference exists; it has limits of its own (per address, and per reference so
    a stranger cannot flood the owner's phone), separate from the lookup's, so guesses on
    the lookup never stop the owner getting their link."""
    form = LinkRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reference = form.cleaned_data["reference"]
        if access.too_many_link_requests(ip=client_ip(request)):
            return render(request, "portal/too_many_attempts.html", status=429)
        case = Case.objects.select_related("organisation").filter(process_id=reference).first()
        if case is not None and access.link_may_be_sent(reference):
            services.case_send_link(case=case)
        shown = process_id.format_display(reference)
        return render(request, "portal/link_sent.html", {"reference": shown})
    status = 400 if form.errors else 200
    return render(request, "portal/send_link.html", {"form": form}, status=status)


@require_safe
def short_link(request, token: str):
    """The short link in a text message: opens the timeline, like the long one."""
    reference = short_link_case(token)
    case = Case.objects.filter(process_id=reference).first() if reference else None
    if case is None:
        return HttpResponseRedirect(reverse("portal:track"))
    access.grant(request, case)
    return HttpResponseRedirect(reverse("portal:timeline", args=[case.process_id]))


@require_safe
def timeline(request, reference: str):
    """The centre of the product: where the case is, what happens next, what you owe."""
    canonical = process_id.normalise(reference)
    case = Case.objects.select_related("organisation").filter(process_id=canonical).first()
    if case is None:
        return HttpResponseRedirect(reverse("portal:track"))
    token = request.GET.get("t")
    if token and link_is_valid(case, token):
        access.grant(request, case)
        return HttpResponseRedirect(reverse("portal:timeline", args=[case.process_id]))
    if not access.allowed(request, case):
        return HttpResponseRedirect(reverse("portal:track"))
    from cases.portal.manage import timeline_links  # the citizen's actions on the case
    from cases.portal.sent import files_sent, what_you_sent

    context = {
        "case": case,
        "timeline": case_timeline(case),
        "sent_rows": what_you_sent(case),
        "sent_files": files_sent(case),
        **timeline_links(case),
    }
    record_access(request, [case.pk], AccessLog.Action.CITIZEN_VIEWED)
    return render(request, "portal/timeline.html", context)
