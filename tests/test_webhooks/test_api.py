"""Webhook subscriptions managed through the API (`webhooks:manage`): a partner's system
subscribes, keeps the secret it is shown once, verifies what it receives, reads the
delivery log, sends a delivery again, rotates the secret, pauses, replays and removes —
over HTTP against the running app. Every key sees only its own council's subscriptions."""

from datetime import timedelta
from unittest import mock

import pytest
import requests
from django.utils import timezone
from standardwebhooks import Webhook

from cases.models import Service
from cases.webhooks import outbox, transport
from cases.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.factories import council, new_case
from tests.test_api.conftest import STREET, client_for, make_key
from tests.test_webhooks.conftest import subscribe

TYPES = ["case.created", "case.note_added"]


@pytest.fixture
def north(db):
    return council(name="Northshire Council", slug="northshire")


def verified(received, secret: str) -> dict:
    return Webhook(secret).verify(received.body, received.headers)


@pytest.mark.django_db(transaction=True)
def test_a_partner_runs_its_subscription_through_the_api(live_server, north, receiver):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {make_key(north)}"
    api = f"{live_server.url}/api/v1"

    made = session.post(
        f"{api}/webhooks",
        json={"name": "CRM", "url": receiver.url, "event_types": TYPES},
        headers={"Idempotency-Key": "subscribe-1"},
    )
    assert made.status_code == 201, made.text
    body = made.json()
    secret = body.pop("secret")
    assert secret.startswith("whsec_")
    hook = body["links"]["self"]
    assert made.headers["Location"] == hook == f"{api}/webhooks/{body['id']}"
    assert body["event_types"] == TYPES
    assert body["enabled"]
    assert body["service"] is None
    assert "secret" not in session.get(hook).json()  # shown once
    again = session.post(
        f"{api}/webhooks",
        json={"name": "CRM", "url": receiver.url, "event_types": TYPES},
        headers={"Idempotency-Key": "subscribe-1"},
    )
    assert again.json()["id"] == body["id"]
    assert WebhookSubscription.objects.count() == 1

    case = session.post(f"{api}/cases", json=STREET).json()
    session.post(f"{api}/cases/{case['id']}/notes", json={"text": "Rang the reporter"})
    session.post(f"{api}/cases/{case['id']}/transitions/inspect", json={})  # not subscribed
    outbox.pump()
    events = [verified(r, secret) for r in receiver.received]
    assert [(e["type"], e["case"]["id"]) for e in events] == [
        ("case.created", case["id"]),
        ("case.note_added", case["id"]),
    ]

    log = session.get(f"{hook}/deliveries").json()
    assert [(d["event_type"], d["status"], d["attempts"]) for d in log["data"]] == [
        ("case.note_added", "delivered", 1),
        ("case.created", "delivered", 1),
    ]
    assert log["has_more"] is False
    assert log["next_before"] is None
    first = log["data"][1]
    detail = session.get(f"{hook}/deliveries/{first['id']}").json()
    assert detail["payload"] == events[0]
    [attempt] = detail["attempt_log"]
    assert attempt["status_code"] == 204
    assert attempt["error"] is None

    resent = session.post(f"{hook}/deliveries/{first['id']}/redeliver")
    assert resent.status_code == 202
    assert resent.json()["status"] == "pending"
    outbox.pump()
    assert receiver.received[-1].headers["webhook-id"] == first["message_id"]

    rotated = session.post(f"{hook}/rotate-secret").json()
    new_secret = rotated["secret"]
    assert new_secret != secret
    assert rotated["previous_secret_expires_at"] is not None
    session.post(f"{api}/cases/{case['id']}/notes", json={"text": "Crew booked"})
    outbox.pump()
    latest = receiver.received[-1]
    assert verified(latest, new_secret) == verified(latest, secret)  # both sign for a day

    paused = session.patch(hook, json={"enabled": False}).json()
    assert (paused["enabled"], paused["disabled_reason"]) == (False, "Disabled by the council.")
    count = len(receiver.received)
    session.post(f"{api}/cases/{case['id']}/notes", json={"text": "While paused"})
    outbox.pump()
    assert len(receiver.received) == count
    assert session.patch(hook, json={"enabled": True}).json()["enabled"] is True
    outbox.pump()
    assert verified(receiver.received[-1], new_secret)["type"] == "case.note_added"

    count = len(receiver.received)
    replay = session.post(
        f"{hook}/replay", json={"since": (timezone.now() - timedelta(hours=1)).isoformat()}
    )
    assert replay.status_code == 202
    assert replay.json()["deliveries"] == 4
    outbox.pump()
    replayed = [verified(r, new_secret) for r in receiver.received[count:]]
    assert [e["sequence"] for e in replayed] == sorted(e["sequence"] for e in replayed)
    assert [e["type"] for e in replayed] == ["case.created", *["case.note_added"] * 3]

    assert session.delete(hook).status_code == 204
    gone = session.get(hook)
    assert gone.status_code == 404
    assert gone.headers["Content-Type"] == "application/problem+json"
    assert not WebhookDelivery.objects.exists()


@pytest.fixture
def manage(north):
    return client_for(make_key(north, scopes=["webhooks:manage"]))


def made(api, url, **fields):
    answer = api.post(
        "/api/v1/webhooks", {"name": "CRM", "url": url, "event_types": TYPES, **fields}, "json"
    )
    assert answer.status_code == 201, answer.content
    return answer.json()


@pytest.mark.django_db
def test_the_scope_is_needed(north, receiver):
    reader = client_for(make_key(north, scopes=["cases:read", "cases:write"]))
    for answer in (
        reader.get("/api/v1/webhooks"),
        reader.post("/api/v1/webhooks", {"name": "x", "url": receiver.url}, "json"),
    ):
        assert answer.status_code == 403
        assert "webhooks:manage" in answer.json()["detail"]


@pytest.mark.django_db
def test_another_councils_subscriptions_are_not_there(manage, receiver):
    south = council(name="Southshire Council", slug="southshire")
    theirs = subscribe(south, receiver.url)
    new_case(south)
    outbox.pump()
    delivery = WebhookDelivery.objects.get()
    base = f"/api/v1/webhooks/{theirs.pk}"
    answers = [
        manage.get(base),
        manage.patch(base, {"enabled": False}, "json"),
        manage.delete(base),
        manage.post(f"{base}/rotate-secret"),
        manage.post(f"{base}/replay", {"since": "2020-01-01T00:00:00Z"}, "json"),
        manage.get(f"{base}/deliveries"),
        manage.get(f"{base}/deliveries/{delivery.pk}"),
        manage.post(f"{base}/deliveries/{delivery.pk}/redeliver"),
        manage.get(f"/api/v1/webhooks/{2**70}"),
    ]
    assert [a.status_code for a in answers] == [404] * len(answers)
    assert manage.get("/api/v1/webhooks").json() == {"data": []}
    theirs.refresh_from_db()
    assert theirs.enabled
    assert WebhookSubscription.objects.count() == 1
    assert WebhookDelivery.objects.get().attempts == 1


@pytest.mark.django_db
def test_a_key_for_one_service_manages_only_that_services_subscriptions(north, receiver):
    streets = client_for(make_key(north, scopes=["webhooks:manage"], service=Service.STREET_REPORT))
    badges = subscribe(north, receiver.url, service=Service.BLUE_BADGE)
    mine = made(streets, receiver.url)
    assert mine["service"] == "street_report"  # the key's service, unless asked
    assert [s["id"] for s in streets.get("/api/v1/webhooks").json()["data"]] == [mine["id"]]
    assert streets.get(f"/api/v1/webhooks/{badges.pk}").status_code == 404
    refused = [
        streets.post(
            "/api/v1/webhooks",
            {"name": "x", "url": receiver.url, "event_types": TYPES, "service": "blue_badge"},
            "json",
        ),
        streets.patch(f"/api/v1/webhooks/{mine['id']}", {"service": None}, "json"),
    ]
    assert [a.status_code for a in refused] == [403, 403]
    assert WebhookSubscription.objects.count() == 2


@pytest.mark.django_db
def test_what_is_sent_is_checked_and_each_mistake_named(manage, receiver, settings):
    def refused(body, method="post", path="/api/v1/webhooks"):
        answer = getattr(manage, method)(path, body, "json")
        assert answer.status_code == 400, answer.content
        return [(e["attr"], e["detail"]) for e in answer.json()["errors"]]

    good = {"name": "CRM", "url": receiver.url, "event_types": TYPES}
    assert refused({**good, "event_types": []}) == [("event_types", "This list may not be empty.")]
    assert refused({**good, "event_types": ["case.exploded"]}) == [
        ("event_types.0", '"case.exploded" is not a valid choice.')
    ]
    assert refused({"url": receiver.url}) == [
        ("name", "This field is required."),
        ("event_types", "This field is required."),
    ]

    settings.WEBHOOKS_LOCAL_TARGETS = False
    assert refused({**good, "url": "http://crm.example.org/hooks"}) == [
        ("url", "The target must be an https:// URL.")
    ]
    assert refused({**good, "url": "https://127.0.0.1/hooks"}) == [
        ("url", "127.0.0.1 resolves to a non-public address (127.0.0.1).")
    ]
    inside = [(2, 1, 6, "", ("10.0.0.7", 443))]
    with mock.patch("socket.getaddrinfo", return_value=inside):
        assert refused({**good, "url": "https://crm.example.org/hooks"}) == [
            ("url", "crm.example.org resolves to a non-public address (10.0.0.7).")
        ]
    assert not WebhookSubscription.objects.exists()

    settings.WEBHOOKS_LOCAL_TARGETS = True
    hook = made(manage, receiver.url)
    path = f"/api/v1/webhooks/{hook['id']}"
    assert refused(
        {"since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"}, path=f"{path}/replay"
    ) == [("since", "Must not be after until.")]
    assert refused({"since": "yesterday"}, path=f"{path}/replay")[0][0] == "since"
    settings.WEBHOOKS_LOCAL_TARGETS = False
    assert refused({"url": "https://[::1]/"}, method="patch", path=path) == [
        ("url", "::1 resolves to a non-public address (::1).")
    ]
    assert WebhookSubscription.objects.get().url == receiver.url


@pytest.mark.django_db
def test_the_delivery_log_pages_newest_first_and_filters(manage, north, receiver):
    hook = made(manage, receiver.url)
    receiver.status = 500
    for _ in range(3):
        new_case(north)
    outbox.pump()
    path = f"/api/v1/webhooks/{hook['id']}/deliveries"
    first = manage.get(path, {"limit": 2}).json()
    assert first["has_more"] is True
    rest = manage.get(path, {"limit": 2, "before": first["next_before"]}).json()
    ids = [d["id"] for d in first["data"] + rest["data"]]
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == 3
    assert rest["has_more"] is False
    pending = manage.get(path, {"status": "pending"}).json()["data"]
    assert len(pending) == 3
    assert {(d["last_status_code"], d["attempts"]) for d in pending} == {(500, 1)}
    assert all(d["next_attempt_at"] for d in pending)
    assert manage.get(path, {"status": "delivered"}).json()["data"] == []
    assert manage.get(path, {"event_type": "case.note_added"}).json()["data"] == []
    assert manage.get(path, {"colour": "red"}).status_code == 400


@pytest.mark.django_db
def test_a_subscription_removed_while_a_delivery_is_being_sent_is_simply_gone(
    manage, north, receiver
):
    hook = made(manage, receiver.url)
    new_case(north)
    post = transport.post

    def removed_meanwhile(*args, **kwargs):
        assert manage.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 204
        return post(*args, **kwargs)

    with mock.patch("cases.webhooks.transport.post", side_effect=removed_meanwhile):
        assert outbox.pump()["sent"] == 0
    assert len(receiver.received) == 1
    assert not WebhookSubscription.objects.exists()
    assert not WebhookDelivery.objects.exists()
