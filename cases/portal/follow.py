"""Following a report someone else made: asked for on the "already reported" page, with
an email address or a mobile number; confirmed, and stopped, from links in the messages
(`cases.links.follow_link`). Each link opens a page with a button, so a mail scanner that
opens links confirms nothing."""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from cases import links, services
from cases.models import Follower
from cases.portal import access
from cases.validators import check_email, normalise_phone
from config.net import client_ip


class FollowForm(forms.Form):
    contact = forms.CharField(
        label=_("Email address or UK mobile number"),
        help_text=_("For example, name@example.com or 07700 900 982"),
        max_length=254,
        error_messages={
            "required": _("Enter an email address or a mobile number"),
            "max_length": _("Email address must be 254 characters or fewer"),
        },
    )

    def clean_contact(self) -> str:
        value = self.cleaned_data["contact"].strip()
        return check_email(value) if "@" in value else normalise_phone(value, mobile=True)


def ask(request, report, form: FollowForm):
    """The "already reported" page's form was sent: the link to confirm goes out (within
    limits per address and per contact, answered the same way either side of them)."""
    if access.too_many_link_requests(ip=client_ip(request)):
        return render(request, "portal/too_many_attempts.html", status=429)
    contact = form.cleaned_data["contact"]
    if access.link_may_be_sent(f"follow:{report.pk}:{contact}"):
        services.follower_add(case=report, contact=contact, language=get_language() or "en")
    channel = "email" if "@" in contact else "sms"
    return render(
        request,
        "portal/follow/asked.html",
        {"report": report, "channel": channel, "organisation": report.organisation},
    )


def _follower(token: str) -> Follower:
    pk = links.follower_id(token)
    follower = (
        Follower.objects.select_related("case__organisation").filter(pk=pk).first() if pk else None
    )
    if follower is None:
        raise Http404
    return follower


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request, token: str):
    """Start the updates this link's follower asked for."""
    follower = _follower(token)
    if request.method == "POST" and follower.stopped_at is None:
        services.follower_confirm(follower=follower)
        follower.refresh_from_db()
    return _page(request, follower, "confirm", token)


@require_http_methods(["GET", "HEAD", "POST"])
def stop(request, token: str):
    """Stop this link's follower's updates."""
    follower = _follower(token)
    if request.method == "POST":
        services.follower_stop(follower=follower)
        follower.refresh_from_db()
    return _page(request, follower, "stop", token)


HEADINGS = {
    "stopped": _("You will not get any more updates about this report"),
    "ask_stop": _("Stop updates about this report?"),
    "following": _("You will get updates about this report"),
    "ask_confirm": _("Confirm you want updates about this report"),
}


def _page(request, follower: Follower, action: str, token: str):
    from cases.portal.report import describe

    if follower.stopped_at:
        state = "stopped"
    elif action == "stop":
        state = "ask_stop"
    else:
        state = "following" if follower.confirmed_at else "ask_confirm"
    context = {
        "state": state,
        "heading": HEADINGS[state],
        "token": token,
        "report": describe(follower.case),
        "organisation": follower.case.organisation,
    }
    return render(request, "portal/follow/page.html", context)
