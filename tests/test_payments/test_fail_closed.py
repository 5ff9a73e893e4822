"""Money fails closed: outside LOCAL_BACKENDS nobody can mark a fee paid without paying, a
council without its provider's key cannot take payments (and says so), a provider event
counts only for what was asked of it, and one council's webhook never touches another's."""

import json

import pytest
import responses

from cases.models import Case, CaseEvent
from payments.models import LocalCheckout, PaymentRequest, ProviderEvent
from tests.helpers import use_secrets
from tests.test_payments import test_govuk_pay as pay
from tests.test_payments import test_stripe as stripe

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_api(stripe_settings):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def stripe_pending(client, stripe_api, awaiting_payment):
    """A Stripe Checkout Session open for a £10 fee."""
    case, request = awaiting_payment("stripe")
    stripe_api.post(stripe.SESSIONS, json=stripe.session_json(request))
    assert client.post(f"/pay/{request.pk}/").status_code == 303
    request.refresh_from_db()
    return case, request


@pytest.fixture
def pay_pending(client, pay_settings, awaiting_payment):
    """A GOV.UK Pay payment open for a £10 fee."""
    case, request = awaiting_payment("govuk_pay")
    with responses.RequestsMock() as pay_api:
        pay_api.post(f"{pay.PAY}/v1/payments", status=201, json=pay.payment_json(request))
        assert client.post(f"/pay/{request.pk}/").status_code == 303
    request.refresh_from_db()
    return case, request


def attention_notes(case):
    notes = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.NOTE)
    return [note for note in notes if note.data.get("needs_attention")]


# --- The local provider exists only where LOCAL_BACKENDS is on ---------------------------


@pytest.fixture
def local_checkout(client, awaiting_payment):
    case, request = awaiting_payment("local")
    response = client.post(f"/pay/{request.pk}/")
    assert response.status_code == 303
    return case, request, LocalCheckout.objects.get(payment_request=request)


def test_outside_local_backends_the_local_payment_page_does_not_exist(
    client, settings, local_checkout
):
    case, request, checkout = local_checkout
    settings.LOCAL_BACKENDS = False

    assert client.get(f"/payments/local/{checkout.pk}/").status_code == 404
    assert client.post(f"/payments/local/{checkout.pk}/", {"outcome": "paid"}).status_code == 404

    checkout.refresh_from_db()
    request.refresh_from_db()
    assert (checkout.status, request.status) == ("created", "pending")
    assert Case.objects.get(pk=case.pk).state == "awaiting_payment"


def test_outside_local_backends_the_local_webhook_task_refuses(settings, local_checkout):
    from payments.tasks import local_webhook

    _case, request, checkout = local_checkout
    settings.LOCAL_BACKENDS = False

    assert local_webhook(str(checkout.pk), "paid") == "refused"
    request.refresh_from_db()
    assert request.status == "pending"


@pytest.mark.parametrize("provider", ["stripe", "govuk_pay", "local"])
def test_a_council_that_cannot_take_payments_says_so_and_the_fee_stays_owed(
    client, settings, awaiting_payment, provider
):
    """No key for its provider (or the local provider outside LOCAL_BACKENDS): no fallback
    to a page where anyone could mark the fee paid."""
    settings.LOCAL_BACKENDS = False
    case, request = awaiting_payment(provider)

    with responses.RequestsMock() as nothing_is_called:
        page = client.get(f"/pay/{request.pk}/")
        pressed = client.post(f"/pay/{request.pk}/")
        again = client.post(f"/pay/{request.pk}/")
        assert len(nothing_is_called.calls) == 0

    for response in (page, pressed, again):
        assert response.status_code == 503
        assert "Sorry, you cannot pay online at the moment" in response.text
        assert "you still owe the fee" in response.text
        assert case.reference in response.text
        assert "/payments/local/" not in response.text
    request.refresh_from_db()
    assert (request.status, request.provider_id) == ("requested", "")
    assert not LocalCheckout.objects.exists()
    assert Case.objects.get(pk=case.pk).state == "awaiting_payment"
    (note,) = attention_notes(case)  # caseworkers are told, once
    assert "not set up" in note.reason
    assert note.data["payment_request"] == str(request.pk)


def test_the_unavailable_page_gives_the_councils_contact_details(
    client, settings, awaiting_payment
):
    settings.LOCAL_BACKENDS = False
    case, request = awaiting_payment("stripe")
    case.organisation.contact_phone = "0300 123 4567"
    case.organisation.save()

    page = client.get(f"/pay/{request.pk}/")

    assert "0300 123 4567" in page.text


def test_the_unavailable_page_is_in_welsh_too(client, settings, awaiting_payment):
    settings.LOCAL_BACKENDS = False
    _case, request = awaiting_payment("stripe", language="cy")
    client.cookies["waymark_language"] = "cy"

    page = client.get(f"/pay/{request.pk}/", headers={"Accept-Language": "cy"})

    assert "ni allwch dalu ar-lein ar hyn o bryd" in page.text


# --- "Paid" only when it is what was asked --------------------------------------------


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"amount_total": 1}, "1p was paid, not the 1000p asked for"),
        ({"amount_total": 100000}, "100000p was paid"),
        ({"currency": "usd"}, "it is in USD, not GBP"),
        ({"id": "cs_test_someone_elses"}, "a checkout not issued for this request"),
    ],
)
def test_a_stripe_payment_that_does_not_match_is_recorded_and_flagged_not_paid(
    client, stripe_pending, change, why
):
    case, request = stripe_pending
    session = {**stripe.paid_session(request), **change}

    response = stripe.deliver(client, stripe.stripe_event("checkout.session.completed", session))

    assert response.status_code == 200
    assert response.json()["outcome"].startswith("not marked paid")
    assert why in response.json()["outcome"]
    request.refresh_from_db()
    assert (request.status, request.paid_pence, request.paid_at) == ("pending", 0, None)
    assert Case.objects.get(pk=case.pk).state == "awaiting_payment"
    event = ProviderEvent.objects.get()
    assert (event.flagged, event.payment_request_id) == (True, request.pk)
    (note,) = attention_notes(case)
    assert why in note.reason
    assert "has not been marked paid" in note.reason

    # The real payment, when it comes, still counts.
    stripe.deliver(
        client,
        stripe.stripe_event(
            "checkout.session.completed", stripe.paid_session(request), event_id="evt_2"
        ),
    )
    request.refresh_from_db()
    assert request.status == "paid"


def test_a_govuk_pay_payment_for_another_amount_is_not_paid(client, pay_pending):
    case, request = pay_pending

    response = pay.deliver(client, pay.webhook_message(request, amount=999))

    assert "999p was paid" in response.json()["outcome"]
    request.refresh_from_db()
    assert request.status == "pending"
    assert attention_notes(case)


def test_a_return_page_the_provider_says_paid_the_wrong_amount_is_not_paid(
    client, stripe_api, stripe_pending
):
    case, request = stripe_pending
    stripe_api.get(
        f"{stripe.SESSIONS}/{request.provider_id}",
        json={**stripe.paid_session(request), "amount_total": 500},
    )

    client.get(f"/pay/{request.pk}/return/")

    request.refresh_from_db()
    assert request.status == "pending"
    assert Case.objects.get(pk=case.pk).state == "awaiting_payment"
    assert attention_notes(case)


# --- Each council's own webhook URL and secret -------------------------------------------


@pytest.fixture
def other_council(settings):
    from tests.factories import council

    use_secrets(settings, STRIPE_WEBHOOK_SECRET_BRYN_DEWI="whsec_bryn_dewi")
    return council(slug="bryn-dewi")


def test_a_webhook_signed_with_another_councils_secret_is_refused(
    client, stripe_pending, other_council
):
    _case, request = stripe_pending
    event = stripe.stripe_event("checkout.session.completed", stripe.paid_session(request))

    response = stripe.deliver(client, event, secret="whsec_bryn_dewi")  # to Northshire's URL

    assert response.status_code == 400
    request.refresh_from_db()
    assert request.status == "pending"


def test_one_councils_webhook_never_pays_another_councils_request(
    client, stripe_pending, other_council
):
    """Bryn Dewi's Stripe account sends an event naming Northshire's request: it is
    recorded for Bryn Dewi and matches nothing."""
    case, request = stripe_pending
    event = stripe.stripe_event("checkout.session.completed", stripe.paid_session(request))
    payload = json.dumps(event).encode()

    response = client.post(
        "/payments/webhooks/stripe/bryn-dewi",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": stripe.sign(payload, secret="whsec_bryn_dewi")},
    )

    assert response.json()["outcome"] == "no matching payment request"
    request.refresh_from_db()
    assert request.status == "pending"
    assert Case.objects.get(pk=case.pk).state == "awaiting_payment"
    assert ProviderEvent.objects.get().organisation == other_council


def test_the_same_event_to_two_councils_urls_is_handled_for_each(
    client, settings, stripe_pending, other_council
):
    """Councils sharing one Stripe account get every event at each URL: the first
    council's delivery must not turn the other's into a "duplicate"."""
    case, request = stripe_pending
    use_secrets(settings, STRIPE_WEBHOOK_SECRET_BRYN_DEWI="whsec_test")  # shared account
    event = stripe.stripe_event("checkout.session.completed", stripe.paid_session(request))
    payload = json.dumps(event).encode()
    client.post(
        "/payments/webhooks/stripe/bryn-dewi",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": stripe.sign(payload)},
    )

    response = stripe.deliver(client, event)

    assert response.json()["outcome"] == "pending → paid"
    assert Case.objects.get(pk=case.pk).state == "approved"
    assert PaymentRequest.objects.get(pk=request.pk).status == "paid"


# --- A payment's status only moves forward -----------------------------------------------


def test_no_status_ever_moves_back_from_paid_or_refunded():
    settled = set(PaymentRequest.SETTLED_STATUSES)
    for status in settled:
        assert PaymentRequest.MOVES[status] <= settled, status
    assert PaymentRequest.MOVES[PaymentRequest.Status.REFUNDED] == set()
    assert PaymentRequest.MOVES[PaymentRequest.Status.CANCELLED] == {PaymentRequest.Status.PAID}


@pytest.mark.parametrize("news", ["failed", "cancelled", "expired", "unknown", "pending"])
def test_late_news_never_unsettles_a_paid_request(stripe_pending, news):
    from payments.providers import ProviderState
    from payments.services import payment_apply_state

    case, request = stripe_pending
    paid = ProviderState("paid", paid_pence=1000, currency="GBP", payment_id="pi_1")
    payment_apply_state(
        payment_request=request, state=paid, source="test", provider_id=request.provider_id
    )

    payment_apply_state(
        payment_request=request,
        state=ProviderState(news),
        source="test",
        provider_id=request.provider_id,
    )

    request.refresh_from_db()
    assert request.status == "paid"
    assert Case.objects.get(pk=case.pk).state == "approved"
