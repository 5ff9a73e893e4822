"""The background jobs (reconciliation, reminders, expiry) and the local provider end to end,
without a browser."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case, CaseEvent
from notify.models import Notification
from payments.models import LocalCheckout, PaymentRequest, ProviderEvent
from payments.tasks import reconcile_payments, remind_and_expire_payments

pytestmark = pytest.mark.django_db


def state_of(case) -> str:
    return Case.objects.get(pk=case.pk).state


def start_local_checkout(client, request) -> LocalCheckout:
    response = client.post(f"/pay/{request.pk}/")
    assert response.status_code == 303
    checkout = LocalCheckout.objects.get(payment_request=request)
    assert response["Location"] == f"http://testserver/payments/local/{checkout.pk}/"
    return checkout


def backdate(request, **fields):
    PaymentRequest.objects.filter(pk=request.pk).update(**fields)


# --- Reconciliation -------------------------------------------------------------------------


def test_reconciliation_settles_a_stale_pending_payment_the_provider_says_is_paid(
    client, site, awaiting_payment
):
    site.PAYMENT_RECONCILE_AFTER_MINUTES = 30
    stale_case, stale = awaiting_payment("local")
    fresh_case, fresh = awaiting_payment("local")
    for request in (stale, fresh):
        checkout = start_local_checkout(client, request)
        # The payer paid, but the webhook was lost.
        LocalCheckout.objects.filter(pk=checkout.pk).update(status="paid")
    backdate(stale, updated_at=timezone.now() - timedelta(minutes=31))
    backdate(fresh, updated_at=timezone.now() - timedelta(minutes=29))

    assert reconcile_payments() == {"paid": 1}

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, stale.paid_pence) == ("paid", 1000)
    assert fresh.status == "pending"
    assert state_of(stale_case) == "approved"
    assert state_of(fresh_case) == "awaiting_payment"
    event = CaseEvent.objects.get(case=stale_case, transition="payment_received")
    assert (event.actor_kind, event.actor_label) == ("system", "reconciliation")
    assert reconcile_payments() == {}


def test_with_the_defaults_a_lost_webhook_is_made_good_within_ten_minutes(
    client, site, awaiting_payment
):
    from django.conf import settings

    from config.schedules import JOBS

    [job] = [j for j in JOBS if j.func == "payments.tasks.reconcile_payments"]
    # The request is asked about after AFTER minutes, by a run at most EVERY minutes later.
    assert settings.PAYMENT_RECONCILE_AFTER_MINUTES + job.minutes <= 10
    case, request = awaiting_payment("local")
    checkout = start_local_checkout(client, request)
    LocalCheckout.objects.filter(pk=checkout.pk).update(status="paid")  # no webhook came
    minutes = settings.PAYMENT_RECONCILE_AFTER_MINUTES
    backdate(request, updated_at=timezone.now() - timedelta(minutes=minutes - 1))
    assert reconcile_payments() == {}  # not yet
    backdate(request, updated_at=timezone.now() - timedelta(minutes=minutes, seconds=1))
    assert reconcile_payments() == {"paid": 1}
    assert state_of(case) == "approved"


def test_a_checkout_still_open_is_asked_about_again_only_after_the_wait(
    client, site, awaiting_payment
):
    site.PAYMENT_RECONCILE_AFTER_MINUTES = 5
    _case, request = awaiting_payment("local")
    start_local_checkout(client, request)  # the citizen is still on the payment page
    long_ago = timezone.now() - timedelta(minutes=20)
    backdate(request, updated_at=long_ago)

    assert reconcile_payments() == {"pending": 1}
    backdate(request, updated_at=long_ago)
    assert reconcile_payments() == {}  # asked a moment ago
    backdate(request, updated_at=long_ago, reconciled_at=timezone.now() - timedelta(minutes=6))
    assert reconcile_payments() == {"pending": 1}


def test_the_requests_never_asked_about_go_first(client, site, awaiting_payment, monkeypatch):
    from payments import tasks

    site.PAYMENT_RECONCILE_AFTER_MINUTES = 5
    monkeypatch.setattr(tasks, "RECONCILE_BATCH", 1)
    long_ago = timezone.now() - timedelta(minutes=20)
    asked, never = awaiting_payment("local")[1], awaiting_payment("local")[1]
    for request in (asked, never):
        start_local_checkout(client, request)
    backdate(asked, updated_at=long_ago, reconciled_at=long_ago)
    backdate(never, updated_at=long_ago + timedelta(minutes=1))

    reconcile_payments()
    never.refresh_from_db()
    asked.refresh_from_db()
    assert never.reconciled_at is not None
    assert asked.reconciled_at == long_ago


def test_reconciliation_expires_a_stale_checkout_nobody_paid(client, site, awaiting_payment):
    case, request = awaiting_payment("local")
    checkout = start_local_checkout(client, request)
    LocalCheckout.objects.filter(pk=checkout.pk).update(
        created_at=timezone.now() - timedelta(hours=2)
    )
    backdate(request, updated_at=timezone.now() - timedelta(hours=2))

    assert reconcile_payments() == {"expired": 1}

    request.refresh_from_db()
    assert request.status == "expired"
    assert request.is_payable
    assert state_of(case) == "awaiting_payment"


def test_reconciliation_leaves_requests_without_a_checkout_alone(site, awaiting_payment):
    _case, request = awaiting_payment("local")
    backdate(request, updated_at=timezone.now() - timedelta(days=1))

    assert reconcile_payments() == {}
    request.refresh_from_db()
    assert request.status == "requested"


# --- Reminders and expiry -------------------------------------------------------------------


@pytest.fixture
def reminder_settings(site):
    site.PAYMENT_REMINDER_DAYS = [7, 21]
    site.PAYMENT_EXPIRY_DAYS = 42
    return site


def reminders(case):
    return Notification.objects.filter(case=case, event="payment_reminder").order_by("created_at")


def test_a_reminder_after_each_reminder_day_exactly_once(reminder_settings, awaiting_payment):
    case, request = awaiting_payment("local")
    now = timezone.now()

    assert remind_and_expire_payments() == {"reminded": 0, "expired": 0}
    backdate(request, created_at=now - timedelta(days=6, hours=23))
    assert remind_and_expire_payments() == {"reminded": 0, "expired": 0}

    backdate(request, created_at=now - timedelta(days=7, hours=1))
    assert remind_and_expire_payments() == {"reminded": 1, "expired": 0}
    assert remind_and_expire_payments() == {"reminded": 0, "expired": 0}
    request.refresh_from_db()
    assert request.reminders_sent == 1

    backdate(request, created_at=now - timedelta(days=21, hours=1))
    assert remind_and_expire_payments() == {"reminded": 1, "expired": 0}
    assert remind_and_expire_payments() == {"reminded": 0, "expired": 0}

    request.refresh_from_db()
    assert request.reminders_sent == 2
    assert request.status == "requested"
    rows = list(reminders(case))
    assert len(rows) == 2
    for row in rows:
        assert row.channel == "email"
        assert row.recipient == "ann@example.com"
        assert row.personalisation["amount"] == "£10.00"
        assert row.personalisation["pay_url"] == f"http://testserver/pay/{request.pk}/"
        assert f"http://testserver/pay/{request.pk}/" in row.body
    assert state_of(case) == "awaiting_payment"


def test_a_paid_request_gets_no_reminder(reminder_settings, awaiting_payment):
    case, request = awaiting_payment("local")
    backdate(request, created_at=timezone.now() - timedelta(days=8), status="paid")

    assert remind_and_expire_payments() == {"reminded": 0, "expired": 0}
    assert not reminders(case).exists()


def test_an_unpaid_request_is_closed_after_the_expiry_days(reminder_settings, awaiting_payment):
    case, request = awaiting_payment("local")
    backdate(request, created_at=timezone.now() - timedelta(days=41, hours=23))
    remind_and_expire_payments()
    request.refresh_from_db()
    assert request.status == "requested"
    assert state_of(case) == "awaiting_payment"

    backdate(request, created_at=timezone.now() - timedelta(days=42, hours=1))
    result = remind_and_expire_payments()

    assert result == {"reminded": 0, "expired": 1}
    request.refresh_from_db()
    assert request.status == "cancelled"
    assert not request.is_payable
    assert state_of(case) == "withdrawn"
    closed = CaseEvent.objects.get(case=case, transition="close_unpaid")
    assert (closed.actor_kind, closed.actor_label) == ("system", "payment expiry")
    assert (closed.from_state, closed.to_state) == ("awaiting_payment", "withdrawn")
    assert Notification.objects.filter(case=case, event="application_closed_unpaid").count() == 1

    assert remind_and_expire_payments() == {"reminded": 0, "expired": 0}
    assert CaseEvent.objects.filter(case=case, transition="close_unpaid").count() == 1
    assert Notification.objects.filter(case=case, event="application_closed_unpaid").count() == 1


def test_a_failed_checkout_still_expires(reminder_settings, awaiting_payment):
    case, request = awaiting_payment("local")
    backdate(request, created_at=timezone.now() - timedelta(days=43), status="failed")

    assert remind_and_expire_payments() == {"reminded": 0, "expired": 1}
    assert state_of(case) == "withdrawn"


# --- The local provider, end to end ---------------------------------------------------------


@pytest.fixture
def local_case(site, sync_tasks, awaiting_payment):
    return awaiting_payment("local")


def test_local_pay_then_return_shows_payment_received(
    client, local_case, django_capture_on_commit_callbacks
):
    case, request = local_case
    checkout = start_local_checkout(client, request)
    page = client.get(f"/payments/local/{checkout.pk}/")
    assert page.status_code == 200
    assert "Pay £10.00" in page.text
    assert 'value="paid"' in page.text

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/payments/local/{checkout.pk}/", {"outcome": "paid"})

    assert response.status_code == 303
    assert response["Location"] == f"http://testserver/pay/{request.pk}/return/"
    assert len(callbacks) >= 1
    request.refresh_from_db()
    assert (request.status, request.paid_pence) == ("paid", 1000)
    assert state_of(case) == "approved"
    event = CaseEvent.objects.get(case=case, transition="payment_received")
    assert (event.actor_kind, event.actor_label) == ("system", "local webhook")
    logged = ProviderEvent.objects.get()
    assert (logged.provider, logged.event_id) == ("local", f"local-{checkout.pk}-paid")

    back = client.get(f"/pay/{request.pk}/return/")
    assert back.status_code == 200
    assert "Payment received" in back.text
    assert CaseEvent.objects.filter(case=case, transition="payment_received").count() == 1


def test_local_decline_shows_not_paid_and_is_payable_again(
    client, local_case, django_capture_on_commit_callbacks
):
    case, request = local_case
    checkout = start_local_checkout(client, request)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/payments/local/{checkout.pk}/", {"outcome": "failed"})

    assert response["Location"] == f"http://testserver/pay/{request.pk}/return/"
    request.refresh_from_db()
    assert request.status == "failed"
    back = client.get(f"/pay/{request.pk}/return/")
    assert "Your payment was declined" in back.text
    assert "Try again" in back.text
    assert state_of(case) == "awaiting_payment"

    # Trying again opens a new checkout (a new idempotency key), which can be paid.
    second = start_local_checkout_again(client, request, previous=checkout)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/payments/local/{second.pk}/", {"outcome": "paid"})
    request.refresh_from_db()
    assert request.status == "paid"
    assert state_of(case) == "approved"


def start_local_checkout_again(client, request, *, previous):
    response = client.post(f"/pay/{request.pk}/")
    assert response.status_code == 303
    checkout = LocalCheckout.objects.exclude(pk=previous.pk).get(payment_request=request)
    assert checkout.idempotency_key == f"waymark-{request.pk}-2"
    assert response["Location"] == f"http://testserver/payments/local/{checkout.pk}/"
    return checkout


def test_local_abandon_goes_back_to_the_pay_page(
    client, local_case, django_capture_on_commit_callbacks
):
    case, request = local_case
    checkout = start_local_checkout(client, request)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/payments/local/{checkout.pk}/", {"outcome": "abandoned"})

    assert response.status_code == 303
    assert response["Location"] == f"http://testserver/pay/{request.pk}/"
    assert callbacks == []  # no webhook for an abandoned checkout
    page = client.get(f"/pay/{request.pk}/")
    assert page.status_code == 200
    assert "Pay £10.00" in page.text
    assert "Continue to payment" in page.text
    request.refresh_from_db()
    assert request.status == "pending"
    assert request.is_payable
    assert state_of(case) == "awaiting_payment"
    assert not ProviderEvent.objects.exists()


def test_local_abandon_then_continue_can_still_pay(
    client, local_case, django_capture_on_commit_callbacks
):
    case, request = local_case
    checkout = start_local_checkout(client, request)
    client.post(f"/payments/local/{checkout.pk}/", {"outcome": "abandoned"})

    again = client.post(f"/pay/{request.pk}/")
    page = client.get(again["Location"])

    assert 'value="paid"' in page.text
    target = again["Location"].removeprefix("http://testserver")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(target, {"outcome": "paid"})
    request.refresh_from_db()
    assert request.status == "paid"
    assert state_of(case) == "approved"


def test_an_unknown_local_outcome_is_refused(client, local_case):
    _case, request = local_case
    checkout = start_local_checkout(client, request)

    response = client.post(f"/payments/local/{checkout.pk}/", {"outcome": "free"})

    assert response.status_code == 404
    checkout.refresh_from_db()
    assert checkout.status == "created"


def test_a_withdrawn_case_is_not_reminded_to_pay(
    client, reminder_settings, awaiting_payment, admin_user
):
    from cases.services import Actor, case_transition

    case, request = awaiting_payment("local")
    case_transition(case=case.pk, transition="withdraw", actor=Actor.caseworker(admin_user))
    assert state_of(case) == "withdrawn"
    backdate(request, created_at=timezone.now() - timedelta(days=8))

    assert remind_and_expire_payments() == {"reminded": 0, "expired": 0}
    assert not reminders(case).exists()
    request.refresh_from_db()
    assert not request.is_payable
    assert client.post(f"/pay/{request.pk}/").status_code == 409
