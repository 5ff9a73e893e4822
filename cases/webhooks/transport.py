"""The POST of one webhook delivery, made safe to point at any URL a council types.

- The host is resolved on every attempt and every address it gives must be public
  (`is_global`: no loopback, private, link-local — which holds the cloud metadata
  address —, shared, reserved or multicast), and the connection goes to the address that
  was checked, so a name that changes after its check cannot steer it elsewhere. Only
  with `WEBHOOKS_LOCAL_TARGETS` (a laptop: on with DEBUG) are private addresses and plain
  `http` allowed.
- Redirects are not followed (`http.client` never does): a 3xx is a failed attempt.
- Of the answer only the status and the first `EXCERPT_BYTES` are read.
- `timeout` is a deadline for the whole attempt, not for each read: a timer shuts the
  socket, so a receiver dripping bytes cannot hold the worker longer.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

EXCERPT_BYTES = 500


class TargetRefused(Exception):
    """The URL may not be delivered to (its scheme, or an address it resolves to)."""


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer (refused, unreachable, timed out)
    excerpt: str = ""
    latency_ms: int = 0
    error: str = ""
    retry_after: int = 0  # seconds, from a 429's or 503's Retry-After

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def local_targets() -> bool:
    return bool(getattr(settings, "WEBHOOKS_LOCAL_TARGETS", False))


def check_url(url: str) -> None:
    """What can be said of a URL before resolving it (on save, and before each attempt)."""
    parts = urlsplit(url)
    schemes = ("https", "http") if local_targets() else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise TargetRefused("The target must be an https:// URL.")
    if parts.username or parts.password:
        raise TargetRefused("The target URL must not hold a user name or password.")


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> str:
    """The address to connect to; refuses a host with any address that is not public."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise TargetRefused(f"{host} could not be resolved ({exc.strerror}).") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise TargetRefused(f"{host} has no address.")
    if not local_targets():
        private = [address for address in addresses if not _public(address)]
        if private:
            raise TargetRefused(f"{host} resolves to a non-public address ({private[0]}).")
    return addresses[0]


class _PinnedConnection(http.client.HTTPConnection):
    """Speaks to `host` (its Host header and TLS name) at the address already checked."""

    def __init__(self, host: str, port: int, address: str, tls: bool, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address, self._tls = address, tls

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        if self._tls:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
        self.sock = sock


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    """POSTs `body`; never raises for what the far end does (that is the Answer)."""
    started = time.monotonic()

    def answer(status=None, excerpt="", error="", retry_after=0) -> Answer:
        latency = int((time.monotonic() - started) * 1000)
        return Answer(status, excerpt, latency, error[:300], retry_after)

    try:
        check_url(url)
        parts = urlsplit(url)
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        address = resolve(parts.hostname or "", port)
    except (TargetRefused, ValueError) as exc:
        return answer(error=f"Refused: {exc}")
    connection = _PinnedConnection(parts.hostname or "", port, address, tls, timeout)
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        if connection.sock is not None:
            with contextlib.suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(timeout, cut)
    timer.daemon = True
    timer.start()
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(EXCERPT_BYTES).decode("utf-8", "replace")
        retry_after = response.getheader("Retry-After", "")
        wait = int(retry_after) if retry_after.isdigit() and response.status in (429, 503) else 0
        return answer(response.status, excerpt, retry_after=wait)
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set() or isinstance(exc, TimeoutError):
            return answer(error=f"No answer within {timeout:g} seconds.")
        return answer(error=f"{type(exc).__name__}: {exc}")
    finally:
        timer.cancel()
        connection.close()
