"""The inputs the fuzz run and the testers reported as server errors, each pinned as a
plain test: every one is now a 400 or a validation message, and changes nothing."""

import json

import pytest

from notify.models import Notification
from tests.factories import caseworker, council, new_case
from tests.helpers import use_secrets
from tests.test_fuzz.conftest import check, snapshot
from tests.test_payments import test_govuk_pay as pay
from tests.test_payments import test_stripe as stripe

pytestmark = pytest.mark.django_db

TOKEN = "a-long-callback-token-for-tests"


@pytest.fixture
def northshire(settings):
    use_secrets(
        settings,
        NOTIFY_CALLBACK_TOKEN_NORTHSHIRE=TOKEN,
        STRIPE_WEBHOOK_SECRET_NORTHSHIRE=stripe.SECRET,
        GOVUK_PAY_WEBHOOK_SECRET_NORTHSHIRE=pay.SECRET,
    )
    return council(slug="northshire", fee_pence=1000, sms_inbound_number="+447700900000")


def test_a_date_of_birth_with_a_superscript_day(client, northshire):
    base = "/apply/northshire/blue-badge/"
    client.post(f"{base}eligibility/", {"eligibility": "pip"})
    before = snapshot()

    response = client.post(f"{base}date-of-birth/", {"day": "²", "month": "4", "year": "1950"})

    check(response, before, what="day=²")
    assert response.status_code == 400
    assert "Date of birth must be a real date" in response.text
    year = client.post(f"{base}date-of-birth/", {"day": "1", "month": "4", "year": "¹⁹⁵⁰"})
    assert "Year must include 4 numbers" in year.text


@pytest.mark.parametrize(
    ("url", "header", "value"),
    [
        ("/payments/webhooks/govuk-pay/northshire", "Pay-Signature", "é"),
        ("/payments/webhooks/stripe/northshire", "Stripe-Signature", "t=1,v1=éé"),
        ("/payments/webhooks/stripe/northshire", "Stripe-Signature", "t=é,v1=00"),
    ],
)
def test_signatures_that_are_not_ascii(client, northshire, url, header, value):
    before = snapshot()
    response = client.post(
        url, data=b"{}", content_type="application/json", headers={header: value}
    )
    check(response, before, what=value)
    assert response.status_code == 400


def test_a_delivery_receipt_whose_status_is_an_object(client, northshire):
    row = Notification.objects.get(case=new_case(northshire, contact="sms"))
    before = snapshot()
    response = client.post(
        "/notify/callbacks/northshire/delivery-status",
        data=json.dumps({"reference": str(row.pk), "status": {"delivered": True}}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    check(response, before, what="status object")
    assert response.status_code == 400


@pytest.mark.parametrize("date", ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000000+14:00"])
def test_an_inbound_text_dated_year_1(client, northshire, settings, date):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    response = client.post(
        "/notify/callbacks/northshire/inbound-sms",
        data=json.dumps(
            {
                "id": "d1b7a0e8-0000-4000-8000-000000000001",
                "source_number": "447911123456",
                "destination_number": "07700900000",
                "message": "Hello",
                "date_received": date,
            }
        ),
        content_type="application/json",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 200  # stored, with the time we received it


@pytest.mark.parametrize(
    "body",
    [
        {"id": "evt_1", "object": "event", "type": "checkout.session.completed"},  # no data
        {
            "id": "evt_2",
            "object": "event",
            "type": "charge.refunded",
            "data": {"object": {"id": "ch_1", "object": "charge", "amount_refunded": 100}},
        },  # no payment_intent
        [{"id": "evt_3", "type": "checkout.session.completed"}],  # a JSON array
    ],
    ids=["without-data", "without-payment-intent", "an-array"],
)
def test_validly_signed_stripe_events_we_cannot_use(client, northshire, body):
    payload = json.dumps(body).encode()
    before = snapshot()
    response = client.post(
        "/payments/webhooks/stripe/northshire",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": stripe.sign(payload)},
    )
    check(response, before, what=body)
    assert response.status_code == 400


def test_a_validly_signed_pay_event_whose_resource_is_a_string(client, northshire):
    payload = json.dumps(
        {"webhook_message_id": "m1", "resource_type": "payment", "resource": "payment"}
    ).encode()
    before = snapshot()
    response = client.post(
        "/payments/webhooks/govuk-pay/northshire",
        data=payload,
        content_type="application/json",
        headers={"Pay-Signature": pay.pay_signature(payload)},
    )
    check(response, before, what="resource string")
    assert response.status_code == 400


def test_admin_inputs_that_are_not_numbers(client, northshire):
    case = new_case(northshire)
    client.force_login(caseworker(northshire))
    answers = [
        client.post(f"/admin/cases/case/{case.pk}/transition/start_assessment/", {"version": "x"}),
        client.get("/admin/cases/case/abc/change/"),
        client.post("/admin/cases/case/", {"action": "assign_to_me", "_selected_action": ["x"]}),
    ]
    assert [(r.status_code, r["Location"]) for r in answers] == [
        (302, f"/admin/cases/case/{case.pk}/change/"),  # "the page was out of date"
        (302, "/admin/"),  # no such case
        (302, "/admin/cases/case/"),  # nothing selected that is a case
    ]
    case.refresh_from_db()
    assert (case.state, case.assigned_to) == ("submitted", None)
