"""A real HTTP receiver on 127.0.0.1 for the webhooks to be delivered to, and the pieces
the tests share: a subscription, a case, and "time passes"."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cases.models import Organisation
from cases.webhooks import outbox, signing
from cases.webhooks.models import EventType, WebhookDelivery, WebhookSubscription


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every POST; answers `status` (or runs `answer(handler)` for odd answers)."""

    url: str = ""
    status: int = 204
    answer: object = None
    received: list[Received] = field(default_factory=list)

    def payloads(self) -> list[dict]:
        import json

        return [json.loads(r.body) for r in self.received]


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            state.received.append(
                Received(self.path, dict(self.headers.items()), self.rfile.read(length))
            )
            if callable(state.answer):
                state.answer(self)
                return
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/hooks/waymark"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _local_targets(settings):
    """The receiver is on loopback over http, as on a laptop; the SSRF tests turn it off."""
    settings.WEBHOOKS_LOCAL_TARGETS = True
    settings.WEBHOOK_TIMEOUT = 2


ALL_TYPES = [choice.value for choice in EventType]


def subscribe(organisation: Organisation, url: str, **fields) -> WebhookSubscription:
    fields.setdefault("event_types", ALL_TYPES)
    subscription = WebhookSubscription.objects.create(
        organisation=organisation,
        name=fields.pop("name", "CRM"),
        url=url,
        secret=signing.new_secret(),
        after_sequence=outbox.feed_end(),
        **fields,
    )
    outbox.forget(organisation.pk)
    return subscription


def time_passes(by: timedelta) -> None:
    """What waits (a retry's next attempt, a lease) becomes due as if `by` had passed."""
    for delivery in WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING):
        changes = {}
        if delivery.next_attempt_at:
            changes["next_attempt_at"] = delivery.next_attempt_at - by
        if delivery.leased_until:
            changes["leased_until"] = delivery.leased_until - by
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**changes)
    for subscription in WebhookSubscription.objects.exclude(failing_since=None):
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            failing_since=subscription.failing_since - by
        )
