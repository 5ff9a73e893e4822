"""Staff sign-in: failed attempts are throttled, and two-factor authentication (TOTP,
django-otp) is required on every admin page when STAFF_TWO_FACTOR is on.

The throttle counts failures per account (as authentication sees the name: the form's
normalised username, so "admin ", "ADMIN" or full-width letters are the same account) and
per address. A stranger's guesses must not lock the owner out: a browser that has signed
in to the account before carries a signed device cookie, and there only that device's own
failures count.
"""

import base64
import hashlib
import io

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.crypto import get_random_string
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.ratelimit import claim, count
from config.net import client_ip

WINDOW_SECONDS = 15 * 60
EXEMPT = ("/admin/login/", "/admin/logout/", "/admin/two-factor/", "/admin/jsi18n/")
DEVICE_COOKIE = "waymark_staff_device"
DEVICE_SALT = "waymark.staff-device"
DEVICE_MAX_AGE = 365 * 24 * 60 * 60


def _key(what: str, value: str) -> str:
    return "signin:" + what + ":" + hashlib.sha256(value.encode()).hexdigest()[:32]


def _account(username: str) -> str:
    """The account a sign-in is for: the one user the name gives whatever its case, or the
    name itself case-folded, so variants of one name share one counter."""
    model = get_user_model()
    lookup = {f"{model.USERNAME_FIELD}__iexact": username}
    users = list(model._default_manager.filter(**lookup).values_list("pk", flat=True)[:2])
    return f"user-{users[0]}" if len(users) == 1 else "name-" + username.casefold()


def _device(request, account: str) -> str:
    """This browser's device ID for the account, if it signed in to it before; else ""."""
    value = request.COOKIES.get(DEVICE_COOKIE, "") if request else ""
    try:
        found = signing.loads(value, salt=DEVICE_SALT, max_age=DEVICE_MAX_AGE)
    except signing.BadSignature:
        return ""
    if not isinstance(found, dict) or found.get("account") != account:
        return ""
    return str(found.get("device", ""))


def remember_device(request, response) -> None:
    """After a good sign-in: mark this browser as one of the account's own devices."""
    account = f"user-{request.user.pk}"
    device = _device(request, account) or get_random_string(16)
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps({"account": account, "device": device}, salt=DEVICE_SALT),
        max_age=DEVICE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
        path="/admin/",
    )


class ThrottledAuthenticationForm(AdminAuthenticationForm):
    """The admin sign-in form, refusing further tries after too many failures in 15 minutes
    for one account or from one address — or, on a device the account has used before,
    from that device."""

    def clean(self):
        # The username field has already normalised the name (NFKC, stripped).
        account = _account(self.cleaned_data.get("username") or "")
        device = _device(self.request, account)
        if device:
            keys = [_key("device", f"{account}:{device}")]
        else:
            address = client_ip(self.request) if self.request else ""
            keys = [_key("user", account), _key("ip", address)]
        limit = settings.STAFF_SIGNIN_ATTEMPTS
        if any(count(key, WINDOW_SECONDS) >= limit for key in keys):
            raise forms.ValidationError(
                "Too many failed sign-in attempts. Wait 15 minutes and try again.",
                code="throttled",
            )
        try:
            return super().clean()
        except forms.ValidationError:
            for key in keys:
                claim(key, WINDOW_SECONDS)
            raise


def staff_login(request, extra_context=None):
    """The admin's own sign-in page, remembering the device once a sign-in succeeds."""
    response = admin.site.login(request, extra_context)
    signed_in = request.method == "POST" and response.status_code == 302
    if signed_in and request.user.is_authenticated:
        remember_device(request, response)
    return response


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
