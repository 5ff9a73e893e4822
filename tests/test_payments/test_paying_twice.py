"""A citizen can never be left having paid twice: no second checkout while one may still be
paid, and a second payment that arrives anyway (two tabs) is refunded at once, through the
provider, and said on the timeline. And one clear return page for each outcome."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case
from cases.selectors import case_timeline
from payments.models import LocalCheckout, PaymentRequest, Refund
from tests.test_payments import test_govuk_pay as pay
from tests.test_payments import test_stripe as stripe
from tests.test_payments.test_reconciliation import start_local_checkout

pytestmark = pytest.mark.django_db


@pytest.fixture
def local_case(site, sync_tasks, awaiting_payment):
    return awaiting_payment("local")


def lapse(checkout: LocalCheckout, request: PaymentRequest) -> None:
    """The checkout page was opened over an hour ago (in another tab)."""
    long_ago = timezone.now() - timedelta(hours=2)
    LocalCheckout.objects.filter(pk=checkout.pk).update(created_at=long_ago)
    PaymentRequest.objects.filter(pk=request.pk).update(checkout_expires_at=long_ago)


def test_two_tabs_paying_at_once_keep_one_payment_and_refund_the_other(
    client, local_case, django_capture_on_commit_callbacks
):
    case, request = local_case
    first_tab = start_local_checkout(client, request)  # opened, then left open
    lapse(first_tab, request)
    second_tab = client.post(f"/pay/{request.pk}/")  # the provider says the first lapsed
    second = LocalCheckout.objects.exclude(pk=first_tab.pk).get(payment_request=request)
    assert second_tab["Location"].endswith(f"/payments/local/{second.pk}/")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/payments/local/{second.pk}/", {"outcome": "paid"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/payments/local/{first_tab.pk}/", {"outcome": "paid"})

    request.refresh_from_db()
    assert (request.status, request.paid_pence, request.refunded_pence) == ("paid", 1000, 0)
    assert Case.objects.get(pk=case.pk).state == "approved"  # moved on once
    refund = Refund.objects.get()
    assert (refund.amount_pence, refund.duplicate_payment_id) == (1000, str(first_tab.pk))
    first_tab.refresh_from_db()
    second.refresh_from_db()
    assert (first_tab.refunded_pence, second.refunded_pence) == (1000, 0)
    entries = [entry.text for entry in case_timeline(case).entries]
    assert "You paid twice, so we refunded the second payment of £10.00" in entries


def test_the_second_payments_refund_is_made_once_however_often_the_news_comes(
    client, local_case, django_capture_on_commit_callbacks
):
    from payments.tasks import refund_duplicate_payment

    _case, request = local_case
    first = start_local_checkout(client, request)
    lapse(first, request)
    client.post(f"/pay/{request.pk}/")
    second = LocalCheckout.objects.exclude(pk=first.pk).get(payment_request=request)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/payments/local/{second.pk}/", {"outcome": "paid"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/payments/local/{first.pk}/", {"outcome": "paid"})

    assert refund_duplicate_payment(str(request.pk), str(first.pk), 1000) == "already refunded"
    assert Refund.objects.count() == 1


def test_a_lapsed_stripe_session_still_being_paid_gets_no_second_session(
    client, awaiting_payment, stripe_settings
):
    import responses

    _case, request = awaiting_payment("stripe")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as api:
        api.post(stripe.SESSIONS, json=stripe.session_json(request))
        client.post(f"/pay/{request.pk}/")
        PaymentRequest.objects.filter(pk=request.pk).update(
            checkout_expires_at=timezone.now() - timedelta(minutes=1)
        )
        # Stripe: the session is still open, its payment being processed.
        api.get(f"{stripe.SESSIONS}/cs_test_a1B2c3", json=stripe.session_json(request))

        response = client.post(f"/pay/{request.pk}/")

        assert [c.request.method for c in api.calls] == ["POST", "GET"]  # no second session
    assert "We are checking your payment" in response.text
    assert "Do not pay again" in response.text
    request.refresh_from_db()
    assert (request.status, request.checkouts) == ("pending", 1)


# --- One clear page for each outcome -----------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "heading", "button"),
    [
        ("failed", "P0010", "Your payment was declined", "Try again"),
        ("failed", "P0020", "Your payment timed out", "Start the payment again"),
        ("cancelled", "P0030", "You cancelled your payment", "Try again"),
        ("error", "P0050", "We could not confirm your payment", None),
        ("submitted", None, "We are checking your payment", None),
    ],
)
def test_each_govuk_pay_outcome_has_its_own_page(
    client, pay_settings, awaiting_payment, status, code, heading, button
):
    import responses

    _case, request = awaiting_payment("govuk_pay")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as api:
        api.post(f"{pay.PAY}/v1/payments", status=201, json=pay.payment_json(request))
        client.post(f"/pay/{request.pk}/")
        api.get(
            f"{pay.PAY}/v1/payments/{pay.PAYMENT_ID}",
            json=pay.payment_json(
                request, status=status, finished=status != "submitted", code=code
            ),
        )
        page = client.get(f"/pay/{request.pk}/return/")

    assert page.status_code == 200
    assert heading in page.text
    assert "did not go through" not in page.text
    assert "no longer needed" not in page.text
    if button:
        assert f">{button}</button>" in page.text.replace("\n", "")
    else:
        assert "<button" not in page.text.split('class="govuk-footer')[0]
        assert "Do not pay again" in page.text
