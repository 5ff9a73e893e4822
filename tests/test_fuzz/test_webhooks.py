"""Fuzzing both payment webhooks: any signature header, and any body signed correctly
with the council's secret (what only the provider, or someone with its secret, can send)."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import use_secrets
from tests.test_fuzz.conftest import check, snapshot
from tests.test_fuzz.strategies import FUZZ, json_object_like, json_value, raw_body, text
from tests.test_payments import test_govuk_pay as pay
from tests.test_payments import test_stripe as stripe

pytestmark = pytest.mark.django_db

STRIPE_URL = "/payments/webhooks/stripe/northshire"
PAY_URL = "/payments/webhooks/govuk-pay/northshire"


@pytest.fixture
def requests(settings, awaiting_payment):
    use_secrets(
        settings,
        STRIPE_WEBHOOK_SECRET_NORTHSHIRE=stripe.SECRET,
        GOVUK_PAY_WEBHOOK_SECRET_NORTHSHIRE=pay.SECRET,
    )
    _case, stripe_request = awaiting_payment("stripe")
    _case, pay_request = awaiting_payment("govuk_pay")
    return stripe_request, pay_request


def stripe_events(request):
    session = stripe.paid_session(request)
    charge = {
        "id": "ch_1",
        "object": "charge",
        "amount": 1000,
        "amount_refunded": 100,
        "currency": "gbp",
        "payment_intent": "pi_1",
    }
    types = st.sampled_from(
        [
            "checkout.session.completed",
            "checkout.session.async_payment_succeeded",
            "checkout.session.async_payment_failed",
            "checkout.session.expired",
            "charge.refunded",
            "customer.created",
        ]
    )
    obj = st.one_of(json_object_like(session), json_object_like(charge), json_value)
    event = st.builds(
        lambda kind, thing, event_id: {
            **stripe.stripe_event(kind, {}),
            "id": event_id,
            "data": {"object": thing},
        },
        types,
        obj,
        st.one_of(st.just("evt_1"), text),
    )
    return st.one_of(
        json_object_like(stripe.stripe_event("checkout.session.completed", session)),
        event.flatmap(json_object_like),
        json_value,
    )


@FUZZ
@given(data=st.data())
def test_a_validly_signed_stripe_body_never_causes_a_server_error(client, requests, data):
    stripe_request, _ = requests
    body = data.draw(st.one_of(stripe_events(stripe_request).map(json.dumps), raw_body))
    payload = body.encode() if isinstance(body, str) else body
    before = snapshot()
    response = client.post(
        STRIPE_URL,
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": stripe.sign(payload)},
    )
    check(response, before, what=("stripe", payload))


@FUZZ
@given(data=st.data())
def test_a_validly_signed_pay_body_never_causes_a_server_error(client, requests, data):
    _, pay_request = requests
    message = pay.webhook_message(pay_request)
    shaped = st.one_of(
        json_object_like(message),
        json_object_like(message["resource"]).map(lambda r: {**message, "resource": r}),
        json_value,
    )
    body = data.draw(st.one_of(shaped.map(json.dumps), raw_body))
    payload = body.encode() if isinstance(body, str) else body
    before = snapshot()
    response = client.post(
        PAY_URL,
        data=payload,
        content_type="application/json",
        headers={"Pay-Signature": pay.pay_signature(payload)},
    )
    check(response, before, what=("pay", payload))


@pytest.mark.parametrize(
    ("url", "header"), [(STRIPE_URL, "Stripe-Signature"), (PAY_URL, "Pay-Signature")]
)
@FUZZ
@given(signature=text, body=raw_body)
def test_any_signature_header_is_refused_without_a_server_error(
    client, requests, url, header, signature, body
):
    before = snapshot()
    try:
        response = client.post(
            url, data=body, content_type="application/json", headers={header: signature}
        )
    except ValueError:  # a header no HTTP client could send (a newline)
        return
    check(response, before, what=(header, signature))
    assert response.status_code == 400
