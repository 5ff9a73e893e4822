"""A subscription that keeps failing: its council's admins are warned by email after a
day, and it is disabled after three, with the reason shown; one success starts afresh."""

from datetime import timedelta

import pytest

from cases.models import Role
from cases.webhooks import outbox
from notify.models import Notification
from tests.factories import caseworker, council, new_case
from tests.test_webhooks.conftest import subscribe, time_passes

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing(receiver):
    north = council(name="Northshire Council", slug="northshire")
    caseworker(north, Role.ADMIN, email="admin@northshire.example")
    caseworker(north, Role.EDITOR, email="editor@northshire.example")
    receiver.status = 500
    subscription = subscribe(north, receiver.url, name="Northshire CRM")
    new_case(north)
    outbox.pump()
    subscription.refresh_from_db()
    assert subscription.failing_since is not None
    return subscription


def _warnings():
    return list(Notification.objects.filter(event="webhook_failing"))


def test_the_councils_admins_are_warned_after_a_day_and_only_once(failing):
    time_passes(timedelta(hours=23))
    outbox.pump()
    assert _warnings() == []

    time_passes(timedelta(hours=2))
    outbox.pump()
    outbox.pump()
    [email] = _warnings()
    assert email.recipient == "admin@northshire.example"
    assert email.channel == "email"
    assert email.subject == "Webhook Northshire CRM is failing"
    assert email.body.startswith(
        "Deliveries of Northshire Council's case events to Northshire CRM "
        f"({failing.url}) have failed since "
    )
    assert "If every delivery goes on failing, it will be disabled on " in email.body
    assert f"/admin/cases/webhooksubscription/{failing.pk}/change/" in email.body
    assert "((" not in email.subject + email.body


def test_it_is_disabled_after_three_days_with_the_reason_shown(failing):
    time_passes(timedelta(days=3, minutes=1))
    outbox.pump()
    failing.refresh_from_db()
    assert not failing.enabled
    assert failing.disabled_reason.startswith("Every delivery has failed since ")
    assert failing.disabled_reason.endswith(": disabled after 3 days.")
    [email] = _warnings()
    assert "It has been disabled: Every delivery has failed since " in email.body


def test_a_success_clears_the_failure_so_the_ladder_starts_again(failing, receiver):
    time_passes(timedelta(hours=25))
    outbox.pump()
    assert len(_warnings()) == 1
    receiver.status = 200
    time_passes(timedelta(days=1))
    outbox.pump()
    failing.refresh_from_db()
    assert failing.enabled
    assert failing.failing_since is None
    assert failing.warned_at is None
