"""Webhook subscriptions in the admin: a council's admins make them for their own council
(the secret shown once), rotate secrets, read the delivery log, send one again and replay
days; other councils never see them."""

import re

import pytest
from django.utils import timezone

from cases.models import Role
from cases.webhooks import outbox
from cases.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.factories import caseworker, council, new_case
from tests.test_webhooks.conftest import subscribe

pytestmark = pytest.mark.django_db

ADD = "/admin/cases/webhooksubscription/add/"


@pytest.fixture
def north():
    return council(name="Northshire Council", slug="northshire")


@pytest.fixture
def south():
    return council(name="Southshire Council", slug="southshire")


def form(organisation, url, **extra):
    return {
        "organisation": organisation.pk,
        "name": "CRM",
        "url": url,
        "event_types": ["case.created", "case.transitioned"],
        "service": "",
        **extra,
    }


def test_a_council_admin_makes_a_subscription_and_sees_its_secret_once(client, north, receiver):
    client.force_login(caseworker(north, role=Role.ADMIN))
    page = client.post(ADD, form(north, receiver.url))
    assert page.status_code == 200
    secret = re.search(r'value="(whsec_[^"]+)"', page.text).group(1)
    subscription = WebhookSubscription.objects.get()
    assert (subscription.organisation, subscription.event_types) == (
        north,
        ["case.created", "case.transitioned"],
    )
    assert subscription.secret == secret
    assert (
        secret not in client.get(f"/admin/cases/webhooksubscription/{subscription.pk}/change/").text
    )
    new_case(north)
    outbox.pump()
    assert [p["type"] for p in receiver.payloads()] == ["case.created"]


def test_a_target_that_is_not_https_is_refused_outside_a_laptop(client, north, settings):
    settings.WEBHOOKS_LOCAL_TARGETS = False
    client.force_login(caseworker(north, role=Role.ADMIN))
    page = client.post(ADD, form(north, "http://crm.example.org/hooks"))
    assert "The target must be an https:// URL." in page.text
    assert not WebhookSubscription.objects.exists()


def test_only_a_council_admin_of_that_council_makes_one(client, north, south, receiver):
    client.force_login(caseworker(north, role=Role.EDITOR))
    assert client.post(ADD, form(north, receiver.url)).status_code == 403
    client.force_login(caseworker(north, role=Role.ADMIN, username="north-admin"))
    page = client.post(ADD, form(south, receiver.url))
    assert "Select a valid choice" in page.text
    assert not WebhookSubscription.objects.exists()


def test_each_council_sees_only_its_own_subscriptions_and_deliveries(
    client, north, south, receiver
):
    subscribe(north, receiver.url, name="North CRM")
    theirs = subscribe(south, receiver.url, name="South CRM")
    new_case(north)
    new_case(south)
    outbox.pump()
    client.force_login(caseworker(north, role=Role.ADMIN))
    listing = client.get("/admin/cases/webhooksubscription/").text
    assert "North CRM" in listing
    assert "South CRM" not in listing
    assert client.get(f"/admin/cases/webhooksubscription/{theirs.pk}/change/").status_code == 302
    log = client.get("/admin/cases/webhookdelivery/").text
    south_delivery = WebhookDelivery.objects.get(subscription=theirs)
    assert south_delivery.message_id not in log
    assert client.get(f"/admin/cases/webhooksubscription/{theirs.pk}/replay/").status_code == 404


def test_rotating_shows_the_new_secret_once_and_the_old_one_still_signs(client, north, receiver):
    subscription = subscribe(north, receiver.url)
    old = subscription.secret
    client.force_login(caseworker(north, role=Role.ADMIN))
    page = client.post(
        "/admin/cases/webhooksubscription/",
        {"action": "rotate_secret", "_selected_action": [subscription.pk]},
    )
    new = re.search(r'value="(whsec_[^"]+)"', page.text).group(1)
    subscription.refresh_from_db()
    assert (subscription.secret, subscription.previous_secret) == (new, old)


def test_the_delivery_log_sends_one_again_and_replay_sends_days_again(client, north, receiver):
    subscription = subscribe(north, receiver.url)
    new_case(north)
    outbox.pump()
    delivery = WebhookDelivery.objects.get()
    client.force_login(caseworker(north, role=Role.ADMIN))
    page = client.get(f"/admin/cases/webhookdelivery/{delivery.pk}/change/")
    attempts = page.text.split("Webhook attempts", 1)[1]  # the table of attempts
    assert '<td class="field-status_code">204</td>' in attempts
    assert '<td class="field-latency_ms">' in attempts

    client.post(
        "/admin/cases/webhookdelivery/",
        {"action": "redeliver", "_selected_action": [delivery.pk]},
    )
    outbox.pump()
    today = timezone.localdate()
    day = {"day": today.day, "month": today.month, "year": today.year}
    page = client.post(
        f"/admin/cases/webhooksubscription/{subscription.pk}/replay/",
        {**{f"since_{k}": v for k, v in day.items()}, **{f"until_{k}": v for k, v in day.items()}},
    )
    assert page.status_code == 302
    outbox.pump()
    assert len(receiver.received) == 3
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
