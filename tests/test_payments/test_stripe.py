"""Stripe Checkout end to end through the real `stripe` library: only Stripe's HTTP API is
faked (with `responses`), and webhooks are signed exactly as Stripe signs them."""

import hashlib
import hmac
import json
import re
import time
from urllib.parse import parse_qs

import pytest
import responses

from cases.models import Case, CaseEvent
from cases.selectors import case_timeline
from payments.models import ProviderEvent, Refund
from payments.services import PaymentError, payment_refund

pytestmark = pytest.mark.django_db

STRIPE = "https://stripe.test"
SESSIONS = f"{STRIPE}/v1/checkout/sessions"
REFUNDS = f"{STRIPE}/v1/refunds"
CHECKOUT_URL = "https://checkout.stripe.com/c/pay/cs_test_a1B2c3"
WEBHOOK = "/payments/webhooks/stripe/northshire"
SECRET = "whsec_test"  # settings.STRIPE_WEBHOOK_SECRET in these tests


# --- Stripe's side, as its API and webhooks present it ------------------------------------


def session_json(
    request,
    *,
    session_id="cs_test_a1B2c3",
    status="open",
    payment_status="unpaid",
    payment_intent=None,
    url=CHECKOUT_URL,
):
    now = int(time.time())
    return {
        "id": session_id,
        "object": "checkout.session",
        "amount_subtotal": 1000,
        "amount_total": 1000,
        "cancel_url": f"http://testserver/pay/{request.pk}/",
        "client_reference_id": str(request.pk),
        "created": now,
        "currency": "gbp",
        "customer": None,
        "expires_at": now + 3600,
        "livemode": False,
        "locale": "auto",
        "metadata": {"payment_request": str(request.pk), "case": request.reference},
        "mode": "payment",
        "payment_intent": payment_intent,
        "payment_status": payment_status,
        "status": status,
        "success_url": f"http://testserver/pay/{request.pk}/return/",
        "url": url if status == "open" else None,
    }


def paid_session(request, **kw):
    return session_json(
        request, status="complete", payment_status="paid", payment_intent="pi_test_9Z8y7X", **kw
    )


def stripe_event(event_type, obj, *, event_id="evt_test_1"):
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def sign(payload: bytes, *, secret=SECRET, timestamp=None) -> str:
    """`Stripe-Signature` as Stripe computes it: HMAC-SHA256 of "<t>.<raw body>"."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def deliver(client, event, *, secret=SECRET, timestamp=None):
    payload = json.dumps(event).encode()
    return client.post(
        WEBHOOK,
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": sign(payload, secret=secret, timestamp=timestamp)},
    )


def form(call) -> dict[str, str]:
    """A Stripe API request's form-encoded body, one value per key."""
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


@pytest.fixture
def stripe_api(stripe_settings):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def stripe_case(awaiting_payment):
    return awaiting_payment("stripe")


@pytest.fixture
def pending(client, stripe_api, stripe_case):
    """A request whose citizen pressed "Continue to payment": a Checkout Session is open."""
    case, request = stripe_case
    stripe_api.post(SESSIONS, json=session_json(request))
    response = client.post(f"/pay/{request.pk}/")
    assert response.status_code == 303
    request.refresh_from_db()
    assert request.status == "pending"
    return case, request


@pytest.fixture
def paid(client, pending):
    case, request = pending
    response = deliver(client, stripe_event("checkout.session.completed", paid_session(request)))
    assert response.status_code == 200
    request.refresh_from_db()
    assert (request.status, request.provider_payment_id) == ("paid", "pi_test_9Z8y7X")
    return case, request


def state_of(case) -> str:
    return Case.objects.get(pk=case.pk).state


def payment_received_events(case):
    return CaseEvent.objects.filter(case=case, transition="payment_received")


# --- Creating a checkout --------------------------------------------------------------------


def test_pay_creates_a_checkout_session_and_redirects_to_it(client, stripe_api, stripe_case):
    case, request = stripe_case
    stripe_api.post(SESSIONS, json=session_json(request))

    response = client.post(f"/pay/{request.pk}/")

    assert response.status_code == 303
    assert response["Location"] == CHECKOUT_URL
    assert len(stripe_api.calls) == 1
    call = stripe_api.calls[0]
    assert call.request.headers["Idempotency-Key"] == f"waymark-{request.pk}-1"
    assert call.request.headers["Authorization"] == "Bearer sk_test_123"
    sent = form(call)
    assert sent["mode"] == "payment"
    assert sent["line_items[0][price_data][unit_amount]"] == "1000"
    assert sent["line_items[0][price_data][currency]"] == "gbp"
    assert sent["line_items[0][quantity]"] == "1"
    assert sent["line_items[0][price_data][product_data][name]"] == "Blue Badge application fee"
    assert sent["client_reference_id"] == str(request.pk)
    assert sent["metadata[payment_request]"] == str(request.pk)
    assert sent["metadata[case]"] == case.process_id
    assert sent["success_url"] == f"http://testserver/pay/{request.pk}/return/"
    assert sent["success_url"].endswith(f"/pay/{request.pk}/return/")
    assert sent["cancel_url"] == f"http://testserver/pay/{request.pk}/"
    assert int(sent["expires_at"]) > time.time() + 1800

    request.refresh_from_db()
    assert request.status == "pending"
    assert request.provider_id == "cs_test_a1B2c3"
    assert request.checkout_url == CHECKOUT_URL
    assert request.checkouts == 1
    assert request.checkout_is_open()


def test_a_double_click_reuses_the_open_session(client, stripe_api, stripe_case):
    _case, request = stripe_case
    stripe_api.post(SESSIONS, json=session_json(request))

    first = client.post(f"/pay/{request.pk}/")
    second = client.post(f"/pay/{request.pk}/")

    assert (first.status_code, second.status_code) == (303, 303)
    assert second["Location"] == first["Location"] == CHECKOUT_URL
    assert len(stripe_api.calls) == 1
    request.refresh_from_db()
    assert (request.checkouts, request.provider_id) == (1, "cs_test_a1B2c3")


def test_a_stripe_failure_asks_the_citizen_to_try_again_with_a_new_key_next_time(
    client, stripe_api, stripe_case
):
    _case, request = stripe_case
    stripe_api.post(
        SESSIONS,
        status=500,
        json={"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}},
    )

    response = client.post(f"/pay/{request.pk}/")

    assert response.status_code == 503
    assert "Sorry, there is a problem with the payment service" in response.text
    assert "You have not been charged." in response.text
    request.refresh_from_db()
    assert request.status == "requested"
    assert request.is_payable
    assert request.provider_id == ""
    assert request.last_error.startswith("Stripe: ")
    assert "Something went wrong" in request.last_error
    assert request.checkouts == 1

    stripe_api.replace(responses.POST, SESSIONS, json=session_json(request))
    retry = client.post(f"/pay/{request.pk}/")

    assert retry.status_code == 303
    keys = [call.request.headers["Idempotency-Key"] for call in stripe_api.calls]
    assert keys == [f"waymark-{request.pk}-1", f"waymark-{request.pk}-2"]
    request.refresh_from_db()
    assert (request.status, request.last_error, request.checkouts) == ("pending", "", 2)


def test_paying_a_paid_request_again_is_refused_without_asking_stripe(client, paid):
    _case, request = paid

    response = client.post(f"/pay/{request.pk}/")

    assert response.status_code == 409
    assert "This has already been paid." in response.text
    assert "You do not need to pay again." in response.text


# --- Webhooks -----------------------------------------------------------------------------


def test_completed_webhook_marks_paid_and_moves_the_case_on_once(client, pending):
    case, request = pending

    response = deliver(client, stripe_event("checkout.session.completed", paid_session(request)))

    assert response.status_code == 200
    assert response.json() == {"ok": True, "outcome": "pending → paid"}
    request.refresh_from_db()
    assert request.status == "paid"
    assert request.paid_pence == 1000
    assert request.paid_at is not None
    assert request.provider_payment_id == "pi_test_9Z8y7X"
    assert state_of(case) == "approved"
    event = payment_received_events(case).get()
    assert (event.actor_kind, event.actor_label) == ("system", "stripe webhook")
    assert (event.from_state, event.to_state) == ("awaiting_payment", "approved")
    logged = ProviderEvent.objects.get()
    assert (logged.provider, logged.event_id, logged.type) == (
        "stripe",
        "evt_test_1",
        "checkout.session.completed",
    )
    assert logged.payment_request_id == request.pk
    assert logged.payload["data"]["object"]["id"] == "cs_test_a1B2c3"


def test_the_same_event_delivered_three_times_counts_once(client, pending):
    case, request = pending
    event = stripe_event("checkout.session.completed", paid_session(request))

    outcomes = [deliver(client, event).json()["outcome"] for _ in range(3)]

    assert outcomes == ["pending → paid", "duplicate", "duplicate"]
    assert ProviderEvent.objects.count() == 1
    assert payment_received_events(case).count() == 1
    assert state_of(case) == "approved"


def test_a_late_expired_event_does_not_undo_a_payment(client, pending):
    case, request = pending
    deliver(client, stripe_event("checkout.session.completed", paid_session(request)))

    expired = session_json(request, status="expired")
    response = deliver(client, stripe_event("checkout.session.expired", expired, event_id="evt_2"))

    assert response.status_code == 200
    request.refresh_from_db()
    assert request.status == "paid"
    assert state_of(case) == "approved"
    assert ProviderEvent.objects.count() == 2
    assert payment_received_events(case).count() == 1


def test_completed_after_expired_still_counts_as_paid(client, pending):
    case, request = pending
    expired = session_json(request, status="expired")
    deliver(client, stripe_event("checkout.session.expired", expired, event_id="evt_2"))
    request.refresh_from_db()
    assert request.status == "expired"

    deliver(client, stripe_event("checkout.session.completed", paid_session(request)))

    request.refresh_from_db()
    assert request.status == "paid"
    assert state_of(case) == "approved"
    assert payment_received_events(case).count() == 1


def test_completed_but_unpaid_waits_for_async_payment_succeeded(client, pending):
    """A delayed payment method: the session completes before the money arrives."""
    case, request = pending
    awaiting = session_json(request, status="complete", payment_intent="pi_test_9Z8y7X")
    deliver(client, stripe_event("checkout.session.completed", awaiting))
    request.refresh_from_db()
    assert request.status == "pending"
    assert state_of(case) == "awaiting_payment"

    deliver(
        client,
        stripe_event(
            "checkout.session.async_payment_succeeded", paid_session(request), event_id="evt_2"
        ),
    )

    request.refresh_from_db()
    assert request.status == "paid"
    assert state_of(case) == "approved"


@pytest.mark.parametrize("tampering", ["wrong secret", "tampered body", "missing header", "old"])
def test_a_badly_signed_webhook_is_refused_and_changes_nothing(client, pending, tampering):
    case, request = pending
    payload = json.dumps(stripe_event("checkout.session.completed", paid_session(request)))
    payload = payload.encode()
    header = sign(payload)
    if tampering == "wrong secret":
        header = sign(payload, secret="whsec_someone_else")
    elif tampering == "tampered body":
        payload = payload.replace(b'"amount_total": 1000', b'"amount_total": 1')
        assert b'"amount_total": 1,' in payload
    elif tampering == "old":  # a replay beyond Stripe's five-minute tolerance
        header = sign(payload, timestamp=int(time.time()) - 3600)
    headers = {} if tampering == "missing header" else {"Stripe-Signature": header}

    response = client.post(WEBHOOK, data=payload, content_type="application/json", headers=headers)

    assert response.status_code == 400
    assert response.json() == {"error": "invalid signature"}
    assert not ProviderEvent.objects.exists()
    request.refresh_from_db()
    assert (request.status, request.paid_pence) == ("pending", 0)
    assert state_of(case) == "awaiting_payment"
    assert not payment_received_events(case).exists()


def test_a_webhook_is_refused_when_no_secret_is_configured(client, pending, settings):
    _case, request = pending
    del settings.COUNCIL_SECRETS["STRIPE_WEBHOOK_SECRET"]["NORTHSHIRE"]
    response = deliver(client, stripe_event("checkout.session.completed", paid_session(request)))
    assert response.status_code == 400
    assert not ProviderEvent.objects.exists()


def test_an_expired_session_can_be_paid_again_with_a_new_session(client, stripe_api, pending):
    _case, request = pending
    expired = session_json(request, status="expired")

    deliver(client, stripe_event("checkout.session.expired", expired))

    request.refresh_from_db()
    assert request.status == "expired"
    assert request.is_payable
    assert request.checkout_url == ""

    new_url = "https://checkout.stripe.com/c/pay/cs_test_n3w"
    stripe_api.replace(
        responses.POST, SESSIONS, json=session_json(request, session_id="cs_test_n3w", url=new_url)
    )
    response = client.post(f"/pay/{request.pk}/")

    assert response.status_code == 303
    assert response["Location"] == new_url
    keys = [call.request.headers["Idempotency-Key"] for call in stripe_api.calls]
    assert keys == [f"waymark-{request.pk}-1", f"waymark-{request.pk}-2"]
    request.refresh_from_db()
    assert (request.status, request.provider_id) == ("pending", "cs_test_n3w")


def test_async_payment_failed_makes_the_request_payable_again(client, pending):
    case, request = pending
    failed = session_json(request, status="complete", payment_intent="pi_test_9Z8y7X")

    response = deliver(client, stripe_event("checkout.session.async_payment_failed", failed))

    assert response.json()["outcome"] == "pending → failed"
    request.refresh_from_db()
    assert request.status == "failed"
    assert request.is_payable
    assert request.checkout_url == ""
    assert state_of(case) == "awaiting_payment"


def test_an_event_for_a_session_we_do_not_know_is_recorded_and_ignored(client, pending):
    _case, request = pending
    stranger = paid_session(request, session_id="cs_test_other")
    stranger["client_reference_id"] = "not-one-of-ours"
    stranger["metadata"] = {"payment_request": "not-one-of-ours"}

    response = deliver(client, stripe_event("checkout.session.completed", stranger))

    assert response.json()["outcome"] == "no matching payment request"
    assert ProviderEvent.objects.get().payment_request is None
    request.refresh_from_db()
    assert request.status == "pending"


def test_a_session_without_client_reference_id_is_matched_by_its_metadata(client, pending):
    """Sessions made elsewhere on the account (Payment Links, the Dashboard) carry no
    client_reference_id; the code falls back to metadata["payment_request"]."""
    case, request = pending
    session = paid_session(request)
    session["client_reference_id"] = None

    response = deliver(client, stripe_event("checkout.session.completed", session))

    assert response.status_code == 200
    request.refresh_from_db()
    assert request.status == "paid"
    assert state_of(case) == "approved"


# --- The return page: ask Stripe, never trust the redirect ----------------------------------


def test_the_return_page_asks_stripe_and_shows_payment_received(client, stripe_api, pending):
    case, request = pending
    stripe_api.get(f"{SESSIONS}/cs_test_a1B2c3", json=paid_session(request))

    response = client.get(f"/pay/{request.pk}/return/")

    assert response.status_code == 200
    assert "Payment received" in response.text
    assert "We have received your payment of £10.00." in response.text
    assert case.process_id in response.text
    assert [(c.request.method, c.request.url) for c in stripe_api.calls][-1] == (
        "GET",
        f"{SESSIONS}/cs_test_a1B2c3",
    )
    request.refresh_from_db()
    assert (request.status, request.provider_payment_id) == ("paid", "pi_test_9Z8y7X")
    assert state_of(case) == "approved"
    assert payment_received_events(case).get().actor_label == "return page"


def test_a_return_that_stripe_says_is_unpaid_does_not_move_the_case(client, stripe_api, pending):
    case, request = pending
    stripe_api.get(f"{SESSIONS}/cs_test_a1B2c3", json=session_json(request))

    response = client.get(f"/pay/{request.pk}/return/")

    assert response.status_code == 200
    assert "We are checking your payment" in response.text
    assert "Do not pay again" in response.text
    assert "Payment received" not in response.text
    assert "Try again" not in response.text
    assert stripe_api.calls[-1].request.method == "GET"
    request.refresh_from_db()
    assert request.status == "pending"
    assert state_of(case) == "awaiting_payment"
    assert not payment_received_events(case).exists()


def test_a_return_when_stripe_cannot_be_reached_says_so(client, stripe_api, pending):
    case, request = pending
    stripe_api.get(f"{SESSIONS}/cs_test_a1B2c3", status=503, json={"error": {"type": "api_error"}})

    response = client.get(f"/pay/{request.pk}/return/")

    assert response.status_code == 503
    assert "We could not check your payment just now." in response.text
    request.refresh_from_db()
    assert request.status == "pending"
    assert state_of(case) == "awaiting_payment"


# --- Refunds --------------------------------------------------------------------------------


def refund_json(amount, refund_id="re_test_1"):
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "charge": "ch_test_1",
        "created": int(time.time()),
        "currency": "gbp",
        "metadata": {},
        "payment_intent": "pi_test_9Z8y7X",
        "reason": None,
        "status": "succeeded",
    }


def test_a_full_refund(stripe_api, paid, admin_user):
    case, request = paid
    stripe_api.post(REFUNDS, json=refund_json(1000))

    refund = payment_refund(
        payment_request=request, amount_pence=1000, reason="Applied twice", user=admin_user
    )

    call = stripe_api.calls[-1]
    assert (call.request.method, call.request.url) == ("POST", REFUNDS)
    assert form(call) == {"payment_intent": "pi_test_9Z8y7X", "amount": "1000"}
    assert call.request.headers["Idempotency-Key"] == f"waymark-refund-{request.pk}-1"
    assert (refund.amount_pence, refund.provider_refund_id, refund.created_by) == (
        1000,
        "re_test_1",
        admin_user,
    )
    request.refresh_from_db()
    assert (request.status, request.refunded_pence, request.refundable_pence) == (
        "refunded",
        1000,
        0,
    )
    assert request.refunded_at is not None
    event = CaseEvent.objects.get(case=case, kind="refunded")
    assert (event.public, event.actor_kind, event.reason) == (True, "caseworker", "Applied twice")
    assert event.data == {"amount_pence": 1000}
    texts = [entry.text for entry in case_timeline(Case.objects.get(pk=case.pk)).entries]
    assert texts[0] == "We refunded £10.00 to you"


def test_partial_refunds_add_up_and_show_on_the_timeline(stripe_api, paid, admin_user):
    case, request = paid
    stripe_api.post(REFUNDS, json=refund_json(400))

    payment_refund(payment_request=request, amount_pence=400, reason="Fee cut", user=admin_user)

    request.refresh_from_db()
    assert (request.status, request.refunded_pence, request.refundable_pence) == (
        "partially_refunded",
        400,
        600,
    )
    assert form(stripe_api.calls[-1]) == {"payment_intent": "pi_test_9Z8y7X", "amount": "400"}
    texts = [entry.text for entry in case_timeline(Case.objects.get(pk=case.pk)).entries]
    assert "We refunded £4.00 to you" in texts

    stripe_api.replace(responses.POST, REFUNDS, json=refund_json(600, "re_test_2"))
    payment_refund(payment_request=request, amount_pence=600, reason="The rest", user=admin_user)

    assert stripe_api.calls[-1].request.headers["Idempotency-Key"] == (
        f"waymark-refund-{request.pk}-2"
    )
    request.refresh_from_db()
    assert (request.status, request.refunded_pence) == ("refunded", 1000)
    assert Refund.objects.filter(payment_request=request).count() == 2


@pytest.mark.parametrize("amount", [1001, 0, -5])
def test_refunding_more_than_is_refundable_is_refused_without_asking_stripe(
    stripe_api, paid, admin_user, amount
):
    case, request = paid
    calls_before = len(stripe_api.calls)

    with pytest.raises(PaymentError, match=re.escape("Enter an amount between £0.01 and £10.00")):
        payment_refund(payment_request=request, amount_pence=amount, reason="x", user=admin_user)

    assert len(stripe_api.calls) == calls_before
    request.refresh_from_db()
    assert (request.status, request.refunded_pence) == ("paid", 0)
    assert not Refund.objects.exists()
    assert not CaseEvent.objects.filter(case=case, kind="refunded").exists()


def test_a_refund_beyond_what_is_left_after_a_partial_refund_is_refused(
    stripe_api, paid, admin_user
):
    _case, request = paid
    stripe_api.post(REFUNDS, json=refund_json(700))
    payment_refund(payment_request=request, amount_pence=700, reason="Most", user=admin_user)
    calls_before = len(stripe_api.calls)

    with pytest.raises(PaymentError, match=re.escape("and £3.00")):
        payment_refund(
            payment_request=request, amount_pence=301, reason="Too much", user=admin_user
        )

    assert len(stripe_api.calls) == calls_before
    request.refresh_from_db()
    assert request.refunded_pence == 700


def test_a_refund_needs_a_reason_and_a_paid_fee(stripe_api, pending, admin_user):
    _case, request = pending
    with pytest.raises(PaymentError, match="Enter a reason for the refund"):
        payment_refund(payment_request=request, amount_pence=100, reason="  ", user=admin_user)
    with pytest.raises(PaymentError, match=re.escape("Only a paid fee can be refunded.")):
        payment_refund(payment_request=request, amount_pence=100, reason="x", user=admin_user)
    assert [c.request.url for c in stripe_api.calls] == [SESSIONS]


def charge_json(amount_refunded):
    return {
        "id": "ch_test_1",
        "object": "charge",
        "amount": 1000,
        "amount_captured": 1000,
        "amount_refunded": amount_refunded,
        "captured": True,
        "currency": "gbp",
        "paid": True,
        "payment_intent": "pi_test_9Z8y7X",
        "refunded": amount_refunded == 1000,
        "status": "succeeded",
    }


def test_a_charge_refunded_webhook_records_a_refund_made_in_the_dashboard(client, paid):
    case, request = paid

    deliver(client, stripe_event("charge.refunded", charge_json(300), event_id="evt_r1"))

    request.refresh_from_db()
    assert (request.status, request.refunded_pence) == ("partially_refunded", 300)
    assert ProviderEvent.objects.get(event_id="evt_r1").payment_request_id == request.pk

    deliver(client, stripe_event("charge.refunded", charge_json(1000), event_id="evt_r2"))

    request.refresh_from_db()
    assert (request.status, request.refunded_pence) == ("refunded", 1000)
    assert state_of(case) == "approved"


def test_the_webhook_for_our_own_refund_does_not_count_it_twice(
    client, stripe_api, paid, admin_user
):
    _case, request = paid
    stripe_api.post(REFUNDS, json=refund_json(400))
    payment_refund(payment_request=request, amount_pence=400, reason="Fee cut", user=admin_user)

    deliver(client, stripe_event("charge.refunded", charge_json(400), event_id="evt_r1"))

    request.refresh_from_db()
    assert (request.status, request.refunded_pence) == ("partially_refunded", 400)


def test_a_late_expired_event_for_an_old_session_leaves_the_new_one_open(
    client, stripe_api, pending
):
    _case, request = pending
    old = session_json(request, status="expired")
    deliver(client, stripe_event("checkout.session.expired", old, event_id="evt_old_1"))
    new_url = "https://checkout.stripe.com/c/pay/cs_test_n3w"
    stripe_api.replace(
        responses.POST, SESSIONS, json=session_json(request, session_id="cs_test_n3w", url=new_url)
    )
    client.post(f"/pay/{request.pk}/")
    request.refresh_from_db()
    assert (request.status, request.provider_id) == ("pending", "cs_test_n3w")

    # Stripe redelivers the old session's expiry under a new event (or a sibling event).
    deliver(client, stripe_event("checkout.session.expired", old, event_id="evt_old_2"))

    request.refresh_from_db()
    assert (request.status, request.provider_id, request.checkout_url) == (
        "pending",
        "cs_test_n3w",
        new_url,
    )
