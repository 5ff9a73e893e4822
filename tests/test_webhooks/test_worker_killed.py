"""A worker SIGKILLed in the middle of delivering loses nothing and doubles nothing: every
event reaches the receiver, each delivery row exists once, and the only event a receiver
can see twice is one whose attempt was cut off by the kill — with the same `webhook-id`,
so it drops the repeat. Needs a second process on the same database: PostgreSQL."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection

from cases.webhooks import outbox
from cases.webhooks.models import WebhookDelivery
from tests.factories import council, new_case
from tests.test_webhooks.conftest import subscribe, time_passes

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="a second process needs PostgreSQL (CI runs it)"
    ),
]

WORKER = (
    "import django; django.setup()\nfrom cases.webhooks import outbox\nwhile True: outbox.pump()"
)


def test_a_sigkilled_worker_loses_and_doubles_nothing(receiver):
    ten_in = threading.Event()

    def slow(handler):
        time.sleep(0.05)  # the receiver is slow, so the kill lands mid-run
        handler.send_response(204)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        if len(receiver.received) >= 10:
            ten_in.set()

    receiver.answer = slow
    north = council()
    subscribe(north, receiver.url, event_types=["case.created"])
    cases = [new_case(north) for _ in range(40)]

    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "WEBHOOKS_LOCAL_TARGETS": "1",
        "SECRET_KEY": settings.SECRET_KEY,
    }
    worker = subprocess.Popen([sys.executable, "-c", WORKER], env=env, cwd=settings.BASE_DIR)
    try:
        assert ten_in.wait(timeout=60), "the worker delivered nothing"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    delivered_before = WebhookDelivery.objects.filter(status="delivered").count()
    assert 0 < delivered_before < 40  # killed part-way

    time_passes(timedelta(minutes=2))  # the dead worker's leases run out
    outbox.pump()

    assert WebhookDelivery.objects.count() == 40
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    seen = Counter(r.headers["webhook-id"] for r in receiver.received)
    assert {p["case"]["id"] for p in receiver.payloads()} == {c.process_id for c in cases}
    repeated = [message_id for message_id, count in seen.items() if count > 1]
    assert len(repeated) <= 1  # at most the one cut off by the kill
    assert all(seen[m] == 2 for m in repeated)
