"""Webhooks delivered to a real receiver on loopback: signed as Standard Webhooks, only for
what committed, in each case's order after an outage, retried, and stopped by 410."""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from cases.models import CaseEvent, Role, Service
from cases.services import Actor, case_add_note, case_assign, case_transition
from cases.webhooks import outbox, signing
from cases.webhooks.models import WebhookAttempt, WebhookDelivery
from cases.webhooks.subscriptions import subscription_update
from tests.factories import caseworker, council, new_case
from tests.test_webhooks.conftest import subscribe, time_passes

pytestmark = pytest.mark.django_db


@pytest.fixture
def north():
    return council(fee_pence=1000, name="Northshire Council", slug="northshire")


def _run(case, transition, user, **kwargs):
    return case_transition(
        case=case.pk, transition=transition, actor=Actor.caseworker(user), **kwargs
    )


def test_a_receiver_verifies_the_signature_with_the_standardwebhooks_library(north, receiver):
    subscription = subscribe(north, receiver.url)
    case = new_case(north)
    assert outbox.pump()["sent"] == 1

    [got] = receiver.received
    payload = Webhook(subscription.secret).verify(got.body, got.headers)
    assert got.path == "/hooks/waymark"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["webhook-id"] == payload["id"]
    assert got.headers["webhook-signature"].startswith("v1,")
    entry = CaseEvent.objects.get(case=case).feed_entry
    assert payload == {
        "id": f"evt_{entry.sequence}_case_created",
        "type": "case.created",
        "schema_version": 1,
        "occurred_at": entry.event.created_at.isoformat(),
        "sequence": entry.sequence,
        "case": {
            "id": case.process_id,
            "version": case.version,
            "council": "northshire",
            "service": "blue_badge",
            "state": "submitted",
            "stage": "received",
            "url": f"http://localhost:8000/api/v1/cases/{case.process_id}",
        },
        "data": {"event_id": entry.event.pk, "kind": "created"},
    }
    # Nothing personal travels in a webhook: the API (which logs each read) gives that.
    assert "Ann Example" not in got.body.decode()
    assert "ann@example.com" not in got.body.decode()
    # A body changed on the way, or another secret, fails verification.
    with pytest.raises(WebhookVerificationError):
        Webhook(subscription.secret).verify(got.body.replace(b"created", b"closed"), got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(got.body, got.headers)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered"
    assert delivery.attempts == 1
    [attempt] = delivery.tries.all()
    assert attempt.status_code == 204
    assert attempt.latency_ms >= 0


def test_each_change_is_sent_once_with_its_own_type_and_version(north, receiver):
    user = caseworker(north)
    subscribe(north, receiver.url)
    case = new_case(north)
    _run(case, "request_evidence", user, message="Send a photo of your PIP letter")
    case_transition(case=case.pk, transition="receive_evidence", actor=Actor.citizen(case))
    case_assign(case=case.pk, assignee=user, actor=Actor.caseworker(user))
    case_add_note(case=case.pk, actor=Actor.caseworker(user), text="Phoned the applicant")
    _run(case, "start_assessment", user)
    _run(case, "approve", user)
    case_transition(case=case.pk, transition="payment_received", actor=Actor.system("Stripe"))
    outbox.pump()
    outbox.pump()  # nothing is sent twice

    sent = [(p["type"], p["case"]["state"], p["case"]["version"]) for p in receiver.payloads()]
    assert sent == [
        ("case.created", "submitted", 1),
        ("case.transitioned", "evidence_requested", 2),
        ("case.transitioned", "evidence_received", 3),
        ("evidence.received", "evidence_received", 3),
        ("case.assigned", "evidence_received", 4),
        ("case.note_added", "evidence_received", 4),
        ("case.transitioned", "in_assessment", 5),
        ("case.transitioned", "awaiting_payment", 6),
        ("payment.requested", "awaiting_payment", 6),
        ("case.transitioned", "approved", 7),
        ("payment.paid", "approved", 7),
    ]
    sequences = [p["sequence"] for p in receiver.payloads()]
    assert sequences == sorted(sequences)
    assert len({r.headers["webhook-id"] for r in receiver.received}) == len(sent)


def test_a_subscription_gets_only_the_types_and_service_it_asked_for(north, receiver):
    subscribe(north, receiver.url, event_types=["case.created"], service=Service.STREET_REPORT)
    other = council(slug="southshire")
    new_case(other, Service.STREET_REPORT)  # another council's report: never
    new_case(north, Service.BLUE_BADGE)  # another service
    report = new_case(north, Service.STREET_REPORT)
    case_add_note(case=report.pk, actor=Actor.system("tests"), text="x")  # another type
    outbox.pump()
    assert [(p["type"], p["case"]["id"]) for p in receiver.payloads()] == [
        ("case.created", report.process_id)
    ]


def test_a_rolled_back_transition_sends_nothing(north, receiver):
    user = caseworker(north)
    case = new_case(north)
    subscribe(north, receiver.url)

    def change_that_fails_after_its_event_was_written():
        with transaction.atomic():
            _run(case, "request_evidence", user, message="Send a photo")
            raise RuntimeError("a later step of the same change fails")

    with pytest.raises(RuntimeError):
        change_that_fails_after_its_event_was_written()
    assert outbox.pump() == {"made": 0, "sent": 0, "ladder": 0}
    assert receiver.received == []
    assert not WebhookDelivery.objects.exists()


def test_a_receiver_down_for_a_while_gets_every_event_afterwards_each_case_in_order(
    north, receiver
):
    user = caseworker(north)
    subscribe(north, receiver.url, event_types=["case.created", "case.transitioned"])
    receiver.status = 503
    first, second = new_case(north), new_case(north)
    _run(first, "request_evidence", user, message="Send a photo")
    _run(second, "start_assessment", user)
    _run(first, "receive_evidence", user)
    outbox.pump()
    # While the receiver is down only the earliest event of each case is tried: the later
    # ones wait behind it rather than overtake it.
    assert {p["case"]["id"] for p in receiver.payloads()} == {first.process_id, second.process_id}
    assert [p["type"] for p in receiver.payloads()] == ["case.created", "case.created"]
    for _ in range(3):  # three more failures, each after its wait
        time_passes(timedelta(hours=3))
        outbox.pump()
    assert WebhookDelivery.objects.get(sequence=min_sequence(first)).attempts == 4

    receiver.status = 200
    receiver.received.clear()
    time_passes(timedelta(hours=6))
    outbox.pump()
    by_case: dict[str, list[str]] = {}
    for payload in receiver.payloads():
        by_case.setdefault(payload["case"]["id"], []).append(payload["case"]["state"])
    assert by_case == {
        first.process_id: ["submitted", "evidence_requested", "evidence_received"],
        second.process_id: ["submitted", "in_assessment"],
    }
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert WebhookAttempt.objects.filter(status_code=503).count() == 8


def min_sequence(case) -> int:
    return min(e.feed_entry.sequence for e in CaseEvent.objects.filter(case=case))


def test_failed_attempts_wait_longer_each_time_and_give_up_after_about_three_days(north, receiver):
    receiver.status = 500
    subscribe(north, receiver.url)
    new_case(north)
    outbox.pump()
    delivery = WebhookDelivery.objects.get()
    waits = []
    while delivery.status == "pending":
        wait = delivery.next_attempt_at - timezone.now()
        waits.append(wait)
        time_passes(wait + timedelta(seconds=1))
        outbox.pump()
        delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.attempts == outbox.MAX_ATTEMPTS == 10
    assert len(receiver.received) == 10
    for wait, nominal in zip(waits, outbox.RETRY_AFTER, strict=True):
        assert nominal * 0.75 - timedelta(seconds=1) <= wait <= nominal * 1.25  # jittered
    total = sum(outbox.RETRY_AFTER, timedelta())
    assert timedelta(days=3) <= total <= timedelta(days=3, hours=6)
    # Each receiver saw the same webhook-id every time: its key for dropping repeats.
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1


def test_a_429_with_retry_after_waits_at_least_that_long(north, receiver):
    def busy(handler):
        handler.send_response(429)
        handler.send_header("Retry-After", "3600")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    receiver.answer = busy
    subscribe(north, receiver.url)
    new_case(north)
    outbox.pump()
    delivery = WebhookDelivery.objects.get()
    assert delivery.next_attempt_at - timezone.now() > timedelta(minutes=59)


def test_410_gone_disables_the_subscription_at_once_and_tells_the_councils_admins(north, receiver):
    from notify.models import Notification

    admin = caseworker(north, Role.ADMIN, email="admin@northshire.example")
    caseworker(north, Role.EDITOR, email="editor@northshire.example")
    receiver.status = 410
    subscription = subscribe(north, receiver.url)
    new_case(north)
    new_case(north)
    outbox.pump()

    subscription.refresh_from_db()
    assert not subscription.enabled
    assert subscription.disabled_reason == "The endpoint answered 410 Gone."
    assert len(receiver.received) == 1  # nothing more once it said Gone
    [email] = Notification.objects.filter(event="webhook_failing")
    assert email.recipient == admin.email
    assert email.case is None
    assert "It has been disabled: The endpoint answered 410 Gone." in email.body
    # Enabled again, it picks up where it stopped, the Gone delivery included.
    receiver.status = 204
    subscription_update(subscription, enabled=True)
    outbox.pump()
    assert len(receiver.received) == 3
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_rotated_secret_signs_beside_the_new_one_for_a_day(north, receiver):
    subscription = subscribe(north, receiver.url)
    old = subscription.secret
    new = signing.rotate(subscription)
    new_case(north)
    outbox.pump()
    [got] = receiver.received
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(got.body, got.headers)["type"] == "case.created"
    assert Webhook(new).verify(got.body, got.headers)["type"] == "case.created"

    later = timezone.now() + signing.ROTATION_OVERLAP + timedelta(seconds=1)
    headers = signing.headers(subscription, "evt_1", "{}", later)
    assert len(headers["webhook-signature"].split(" ")) == 1


def test_redeliver_sends_one_delivery_again_with_the_same_webhook_id(north, receiver):
    subscribe(north, receiver.url)
    new_case(north)
    outbox.pump()
    delivery = WebhookDelivery.objects.get()
    with transaction.atomic():
        outbox.redeliver(delivery)
    outbox.pump()
    first, again = receiver.received
    assert first.headers["webhook-id"] == again.headers["webhook-id"]
    assert json.loads(first.body) == json.loads(again.body)
    assert WebhookDelivery.objects.get().attempts == 1  # a fresh set of attempts


def test_replay_sends_a_time_range_again_and_what_came_before_the_subscription(north, receiver):
    user = caseworker(north)
    before = new_case(north)
    _run(before, "start_assessment", user)
    subscription = subscribe(north, receiver.url)  # made after those events
    after = new_case(north)
    outbox.pump()
    assert [p["case"]["id"] for p in receiver.payloads()] == [after.process_id]

    receiver.received.clear()
    now = timezone.now()
    assert outbox.replay(subscription, now - timedelta(hours=1), now) == 3
    outbox.pump()
    sent = [(p["case"]["id"], p["case"]["state"]) for p in receiver.payloads()]
    assert sorted(sent) == sorted(
        [
            (before.process_id, "submitted"),
            (before.process_id, "in_assessment"),
            (after.process_id, "submitted"),
        ]
    )
    assert sent.index((before.process_id, "submitted")) < sent.index(
        (before.process_id, "in_assessment")
    )
    receiver.received.clear()
    assert outbox.replay(subscription, now - timedelta(days=2), now - timedelta(days=1)) == 0
