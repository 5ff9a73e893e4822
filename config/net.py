"""The client's address, also behind the load balancer or proxy that runs in front."""

from django.conf import settings


def client_ip(request) -> str:
    """REMOTE_ADDR, or with TRUSTED_PROXIES=N the address N hops back in X-Forwarded-For
    (the one the outermost trusted proxy saw), so rate limits and logs see the citizen,
    not the proxy. Addresses a client wrote into the header itself are never trusted."""
    hops = settings.TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops and forwarded:
        chain = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(chain) >= hops:
            return chain[-hops]
    return request.META.get("REMOTE_ADDR", "")
