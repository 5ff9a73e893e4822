"""Security headers Django 5.2 does not set itself.

`SecurityHeadersMiddleware` (listed right after Django's SecurityMiddleware) adds to every
response that is not a static file:

- Content-Security-Policy: the citizen's pages and the API run no inline script or style,
  so the policy allows only this site's own files (and, when the street report's map is
  on, images from the map tile server in MAP_TILE_URL). The Django admin and the API
  documentation (Redoc from the drf-spectacular sidecar) rely on inline scripts and
  styles, so the paths in `RELAXED_PATHS` get a policy that allows those, and nothing else
  extra beyond what Redoc needs.
- Permissions-Policy: no camera, microphone or Payment Request API; location for this site
  only (reporting where a street problem is).
- Cross-Origin-Resource-Policy: same-origin, so other sites cannot embed our pages' data.

A response that already carries one of these headers (a view that knows better) keeps it.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponseBadRequest

SELF = "'self'"
NONE = "'none'"
UNSAFE_INLINE = "'unsafe-inline'"

# form-action: the pay form posts to this site, which redirects (303) to the payment
# provider's hosted page. Chromium checks form-action against every redirect of a form
# submission, so the providers' checkout hosts must be listed or the redirect is blocked.
PAYMENT_CHECKOUT_HOSTS = (
    "https://checkout.stripe.com",
    "https://card.payments.service.gov.uk",
)

STRICT: dict[str, tuple[str, ...]] = {
    "default-src": (SELF,),
    "script-src": (SELF,),
    "style-src": (SELF,),
    "img-src": (SELF, "data:"),
    "font-src": (SELF,),
    "connect-src": (SELF,),
    "form-action": (SELF, *PAYMENT_CHECKOUT_HOSTS),
    "frame-ancestors": (NONE,),
    "base-uri": (SELF,),
    "object-src": (NONE,),
}

# The admin and the API documentation: inline <script> and <style> (and style attributes).
# Redoc also builds a search worker from a blob: URL, shows Redocly's logo from their CDN,
# and its page template (drf-spectacular's) links to Google Fonts.
RELAXED: dict[str, tuple[str, ...]] = {
    **STRICT,
    "script-src": (SELF, UNSAFE_INLINE),
    "style-src": (SELF, UNSAFE_INLINE, "https://fonts.googleapis.com"),
    "img-src": (SELF, "data:", "https://cdn.redoc.ly"),
    "font-src": (SELF, "data:", "https://fonts.gstatic.com"),
    "worker-src": (SELF, "blob:"),
}
RELAXED_PATHS = ("/admin/", "/api/v1/docs/")

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(self), payment=()"


def policy_header(directives: dict[str, tuple[str, ...]]) -> str:
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


STRICT_POLICY = policy_header(STRICT)
RELAXED_POLICY = policy_header(RELAXED)


def tile_origin(tile_url: str) -> str:
    """The source img-src needs for a Leaflet tile URL template: its scheme and host, with
    a subdomain placeholder as a wildcard ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
    → "https://*.tile.openstreetmap.org"). "" for none, or for this site's own tiles."""
    if not tile_url:
        return ""
    parts = urlsplit(tile_url)
    if not parts.netloc:
        return ""  # a path on this site: 'self' allows it
    labels = parts.netloc.split(".")
    if "{" in labels[0]:
        labels[0] = "*"  # {s}, or a label like tiles-{s}: one subdomain level
    host = ".".join(labels)
    if parts.scheme not in ("http", "https") or "{" in host or "}" in host:
        raise ImproperlyConfigured(
            f"MAP_TILE_URL {tile_url!r}: an http(s) address whose placeholders in the host "
            "are only in the first part, like https://{s}.tile.example.org/{z}/{x}/{y}.png"
        )
    return f"{parts.scheme}://{host}"


@lru_cache(maxsize=4)
def strict_policy(tile_url: str = "") -> str:
    """The citizen's pages' policy; with a map tile server, its images are allowed."""
    origin = tile_origin(tile_url)
    if not origin:
        return STRICT_POLICY
    return policy_header({**STRICT, "img-src": (*STRICT["img-src"], origin)})


def content_security_policy(path: str) -> str:
    """The policy for a request path (path_info, without any script prefix)."""
    if path.startswith(RELAXED_PATHS):
        return RELAXED_POLICY
    return strict_policy(settings.MAP_TILE_URL)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        # Static files served by this app (WhiteNoise) are not pages: leave them alone.
        static_url = settings.STATIC_URL or ""
        self.static_prefix = static_url if static_url.startswith("/") else ""

    def __call__(self, request):
        response = self.get_response(request)
        if self.static_prefix and request.path.startswith(self.static_prefix):
            return response
        policy = content_security_policy(request.path_info)
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class NullCharacterMiddleware:
    """A NUL character in the address or the query string is never meant: answer 400
    rather than let it reach a query (PostgreSQL refuses it in text). Forms refuse it in
    what they are sent with their own message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            return HttpResponseBadRequest(
                "The address has a character that is never part of one.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
