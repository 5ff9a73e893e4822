"""Who is calling: `Authorization: Bearer <key>` (a council's API key), what it may do
(its scopes), and how often (a limit per key, shared by every process)."""

from __future__ import annotations

import math
import time

from django.conf import settings
from rest_framework import authentication, exceptions, permissions, throttling

from cases.actors import Actor
from cases.api import keys
from cases.models import ApiKey
from cases.ratelimit import claim_some


class ApiKeyUser:
    """What `request.user` is for a key: not a person, never staff."""

    is_authenticated = True
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, key: ApiKey):
        self.key = key

    def __str__(self) -> str:
        return str(self.key)


class BearerKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the key as 'Authorization: Bearer <key>'.")
        try:
            text = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("This API key is not valid.") from None
        key = keys.verified(text)
        if key is None:
            raise exceptions.AuthenticationFailed(
                "This API key is not valid: it may be wrong, revoked or expired."
            )
        return ApiKeyUser(key), key

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


def key_of(request) -> ApiKey:
    return request.auth


def actor_of(request) -> Actor:
    key = key_of(request)
    return Actor.partner(key.organisation, f"API key {key.name} ({key.display_prefix})")


class HasScope(permissions.BasePermission):
    """The key has the scope the view names for the method (`required_scopes`: method →
    scope, "*" for any other)."""

    message = "This API key does not have the scope this needs."

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return False
        wanted = scope_for(view, request.method)
        if wanted and wanted not in key.scopes:
            self.message = f"This API key does not have the '{wanted}' scope this needs."
            return False
        return True


def scope_for(view, method: str) -> str:
    scopes = getattr(view, "required_scopes", {})
    return scopes.get(method, scopes.get("*", ApiKey.Scope.READ))


WINDOW = 60  # seconds: API_REQUESTS_PER_MINUTE is counted a minute at a time


def key_throttled(key: ApiKey) -> int | None:
    """None while the key is within API_REQUESTS_PER_MINUTE, counted in the database so
    every process shares the count (`claim_some`: written every few requests while far
    under the limit, every one near it); else the seconds until it may try again. The
    partner API and Open311 count against the same limit."""
    now = time.time()
    limit = settings.API_REQUESTS_PER_MINUTE
    if claim_some(f"api-key:{key.pk}", WINDOW, limit=limit, now=now) <= limit:
        return None
    return max(1, math.ceil(WINDOW - now % WINDOW))


class PerKeyThrottle(throttling.BaseThrottle):
    """`key_throttled` for the API's views; a refused request is told when to try again
    (`Retry-After`)."""

    def allow_request(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return True
        self.retry_after = key_throttled(key)
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after
