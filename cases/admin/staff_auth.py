"""Staff sign-in: failed attempts are throttled, and two-factor authentication (TOTP,
django-otp) is required on every admin page when STAFF_TWO_FACTOR is on."""

import base64
import hashlib
import io
import time

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.net import client_ip
from notify.limiter import claim, count

WINDOW_SECONDS = 15 * 60
EXEMPT = ("/admin/login/", "/admin/logout/", "/admin/two-factor/", "/admin/jsi18n/")


def _key(what: str, value: str) -> str:
    return "signin:" + what + ":" + hashlib.sha256(value.lower().encode()).hexdigest()[:32]


class ThrottledAuthenticationForm(AdminAuthenticationForm):
    """The admin sign-in form, refusing further tries after too many failures in 15 minutes
    for one account or from one address."""

    def clean(self):
        window = int(time.time() // WINDOW_SECONDS)
        username = self.data.get("username", "")
        address = client_ip(self.request) if self.request else ""
        keys = [_key("user", username), _key("ip", address)]
        limit = settings.STAFF_SIGNIN_ATTEMPTS
        if any(count(key, window) >= limit for key in keys):
            raise forms.ValidationError(
                "Too many failed sign-in attempts. Wait 15 minutes and try again.",
                code="throttled",
            )
        try:
            return super().clean()
        except forms.ValidationError:
            for key in keys:
                claim(key, window)
            raise


class TwoFactorMiddleware:
    """Sends a signed-in staff user without a verified device to set one up or verify it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.STAFF_TWO_FACTOR
            and request.path.startswith("/admin/")
            and not request.path.startswith(EXEMPT)
            and user is not None
            and user.is_authenticated
            and user.is_staff
            and not user.is_verified()
        ):
            return HttpResponseRedirect(f"{reverse('two-factor')}?next={request.path}")
        return self.get_response(request)


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@login_required(login_url="admin:login")
@require_http_methods(["GET", "HEAD", "POST"])
def two_factor(request):
    """Verify with an existing device, or set one up (shown as a QR code and a key)."""
    user = request.user
    devices = TOTPDevice.objects.filter(user=user, confirmed=True)
    setting_up = not devices.exists()
    device = None
    if setting_up:
        device = TOTPDevice.objects.filter(
            user=user, confirmed=False
        ).first() or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].replace(" ", "")
        matched = device if setting_up and device.verify_token(code) else None
        matched = matched or (None if setting_up else match_token(user, code))
        if matched is not None:
            if setting_up:
                matched.confirmed = True
                matched.save(update_fields=["confirmed"])
            otp_login(request, matched)
            next_url = request.GET.get("next", "")
            return HttpResponseRedirect(next_url if next_url.startswith("/admin/") else "/admin/")
        form.add_error("code", "That code is not right. Enter the 6-digit code your app shows now.")
    context = {
        **admin.site.each_context(request),
        "title": "Set up two-factor authentication" if setting_up else "Enter your code",
        "form": form,
        "setting_up": setting_up,
    }
    if setting_up:
        context["secret"] = base64.b32encode(device.bin_key).decode()
        context["qr"] = mark_safe(_qr_svg(device.config_url))  # noqa: S308 - SVG we generated
    return render(request, "admin/two_factor.html", context)
