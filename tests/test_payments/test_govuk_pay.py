"""GOV.UK Pay over its REST API: only Pay's end is faked (with `responses`), and webhooks
are signed as Pay signs them (hex HMAC-SHA256 of the raw body in `Pay-Signature`)."""

import hashlib
import hmac
import json

import pytest
import responses

from cases.models import Case, CaseEvent
from payments.models import PaymentRequest, ProviderEvent, Refund
from payments.providers import ProviderError
from payments.services import payment_refund

pytestmark = pytest.mark.django_db

PAY = "https://pay.test"
PAYMENT_ID = "hu20sqlact5260q2nanm0q8u93"
NEXT_URL = f"https://card.payments.service.gov.uk/secure/{PAYMENT_ID}"
WEBHOOK = "/payments/webhooks/govuk-pay/northshire"
SECRET = "pay-secret"  # settings.GOVUK_PAY_WEBHOOK_SECRET in these tests


def payment_json(request, *, status="created", finished=False, code=None, language="en", **kw):
    state = {"status": status, "finished": finished}
    if code:
        state["code"] = code
        state["message"] = "Payment was cancelled by the user"
    payment = {
        "amount": 1000,
        "description": "Blue Badge application fee",
        "reference": request.reference,
        "language": language,
        "metadata": {"payment_request": str(request.pk)},
        "email": "ann@example.com",
        "state": state,
        "payment_id": PAYMENT_ID,
        "payment_provider": "sandbox",
        "created_date": "2025-06-01T10:00:00.000Z",
        "return_url": f"http://testserver/pay/{request.pk}/return/",
        "refund_summary": {
            "status": "available" if status == "success" else "pending",
            "amount_available": 1000 if status == "success" else 0,
            "amount_submitted": 0,
        },
        "delayed_capture": False,
        "moto": False,
        "_links": {
            "self": {"href": f"{PAY}/v1/payments/{PAYMENT_ID}", "method": "GET"},
            "next_url": {"href": NEXT_URL, "method": "GET"},
        },
    }
    payment.update(kw)
    return payment


def webhook_message(request, *, message_id="s0wjen129ejalk21nfjkdknf1jejklh", **resource_kw):
    resource = payment_json(request, status="success", finished=True, **resource_kw)
    del resource["_links"]
    return {
        "webhook_message_id": message_id,
        "created_date": "2025-06-01T10:05:00.000Z",
        "resource_id": PAYMENT_ID,
        "api_version": 1,
        "resource_type": "payment",
        "event_type": "card_payment_succeeded",
        "resource": resource,
    }


def pay_signature(payload: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def deliver(client, message, *, secret=SECRET):
    payload = json.dumps(message).encode()
    return client.post(
        WEBHOOK,
        data=payload,
        content_type="application/json",
        headers={"Pay-Signature": pay_signature(payload, secret)},
    )


@pytest.fixture
def pay_api(pay_settings):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def pending(client, pay_api, awaiting_payment):
    case, request = awaiting_payment("govuk_pay")
    pay_api.post(f"{PAY}/v1/payments", status=201, json=payment_json(request))
    response = client.post(f"/pay/{request.pk}/")
    assert response.status_code == 303
    request.refresh_from_db()
    assert (request.status, request.provider_id) == ("pending", PAYMENT_ID)
    return case, request


def state_of(case) -> str:
    return Case.objects.get(pk=case.pk).state


@pytest.mark.parametrize("language", ["en", "cy"])
def test_pay_creates_a_payment_and_redirects_to_next_url(
    client, pay_api, awaiting_payment, language
):
    case, request = awaiting_payment("govuk_pay", language=language)
    pay_api.post(f"{PAY}/v1/payments", status=201, json=payment_json(request, language=language))

    response = client.post(f"/pay/{request.pk}/")

    assert response.status_code == 303
    assert response["Location"] == NEXT_URL
    assert len(pay_api.calls) == 1
    sent = pay_api.calls[0].request
    assert (sent.method, sent.url) == ("POST", f"{PAY}/v1/payments")
    assert sent.headers["Authorization"] == "Bearer api_test_abc123"
    assert sent.headers["Idempotency-Key"] == f"waymark-{request.pk}-1"
    assert sent.headers["Content-Type"] == "application/json"
    body = json.loads(sent.body)
    assert body["amount"] == 1000
    assert body["reference"] == case.process_id
    assert (
        body["description"]
        == {
            "en": "Blue Badge application fee",
            "cy": "Cais am Fathodyn Glas – ffi",
        }[language]
    )
    assert body["return_url"] == f"http://testserver/pay/{request.pk}/return/"
    assert body["language"] == language
    request.refresh_from_db()
    assert (request.status, request.provider_id, request.checkout_url) == (
        "pending",
        PAYMENT_ID,
        NEXT_URL,
    )


def test_a_pay_error_asks_the_citizen_to_try_again(client, pay_api, awaiting_payment):
    _case, request = awaiting_payment("govuk_pay")
    pay_api.post(
        f"{PAY}/v1/payments",
        status=500,
        json={"code": "P0999", "description": "GOV.UK Pay is unavailable"},
    )

    response = client.post(f"/pay/{request.pk}/")

    assert response.status_code == 503
    assert "Sorry, there is a problem with the payment service" in response.text
    request.refresh_from_db()
    assert request.status == "requested"
    assert request.last_error == "GOV.UK Pay answered 500: GOV.UK Pay is unavailable"


def test_the_return_page_asks_pay_and_shows_payment_received(client, pay_api, pending):
    case, request = pending
    pay_api.get(
        f"{PAY}/v1/payments/{PAYMENT_ID}",
        json=payment_json(request, status="success", finished=True),
    )

    response = client.get(f"/pay/{request.pk}/return/")

    assert response.status_code == 200
    assert "Payment received" in response.text
    last = pay_api.calls[-1].request
    assert (last.method, last.url) == ("GET", f"{PAY}/v1/payments/{PAYMENT_ID}")
    assert last.headers["Authorization"] == "Bearer api_test_abc123"
    request.refresh_from_db()
    assert (request.status, request.paid_pence) == ("paid", 1000)
    assert state_of(case) == "approved"


def test_a_failed_payment_shows_the_not_paid_page(client, pay_api, pending):
    case, request = pending
    pay_api.get(
        f"{PAY}/v1/payments/{PAYMENT_ID}",
        json=payment_json(request, status="failed", finished=True, code="P0010"),
    )

    response = client.get(f"/pay/{request.pk}/return/")

    assert response.status_code == 200
    assert "Your payment was declined" in response.text
    assert "Try again" in response.text
    assert "no longer needed" not in response.text
    assert "Payment received" not in response.text
    request.refresh_from_db()
    assert request.status == "failed"
    assert request.is_payable
    assert state_of(case) == "awaiting_payment"


def test_a_timed_out_payment_is_expired_and_payable_again(client, pay_api, pending):
    _case, request = pending
    pay_api.get(
        f"{PAY}/v1/payments/{PAYMENT_ID}",
        json=payment_json(request, status="failed", finished=True, code="P0020"),
    )

    client.get(f"/pay/{request.pk}/return/")

    request.refresh_from_db()
    assert request.status == "expired"
    assert request.is_payable


def test_a_pay_error_state_puts_the_case_in_payment_unknown_until_pay_says_success(
    client, pay_api, pending
):
    case, request = pending
    pay_api.get(
        f"{PAY}/v1/payments/{PAYMENT_ID}",
        json=payment_json(request, status="error", finished=True),
    )

    client.get(f"/pay/{request.pk}/return/")

    request.refresh_from_db()
    assert request.status == "unknown"
    assert state_of(case) == "payment_unknown"
    unknown = CaseEvent.objects.get(case=case, transition="payment_unknown")
    assert unknown.reason == "The payment provider could not say whether the fee was paid"

    deliver(client, webhook_message(request))

    request.refresh_from_db()
    assert request.status == "paid"
    assert state_of(case) == "approved"


def test_a_signed_webhook_marks_paid(client, pending):
    case, request = pending

    response = deliver(client, webhook_message(request))

    assert response.status_code == 200
    assert response.json() == {"ok": True, "outcome": "pending → paid"}
    request.refresh_from_db()
    assert (request.status, request.paid_pence, request.provider_payment_id) == (
        "paid",
        1000,
        PAYMENT_ID,
    )
    assert state_of(case) == "approved"
    event = CaseEvent.objects.get(case=case, transition="payment_received")
    assert (event.actor_kind, event.actor_label) == ("system", "govuk_pay webhook")
    logged = ProviderEvent.objects.get()
    assert (logged.provider, logged.event_id, logged.type) == (
        "govuk_pay",
        "s0wjen129ejalk21nfjkdknf1jejklh",
        "card_payment_succeeded",
    )


@pytest.mark.parametrize("tampering", ["wrong secret", "tampered body", "missing header"])
def test_a_badly_signed_webhook_is_refused_and_writes_nothing(client, pending, tampering):
    case, request = pending
    payload = json.dumps(webhook_message(request)).encode()
    signature = pay_signature(payload)
    if tampering == "wrong secret":
        signature = pay_signature(payload, "another-secret")
    elif tampering == "tampered body":
        payload = payload.replace(b'"amount": 1000', b'"amount": 1')
        assert b'"amount": 1,' in payload
    headers = {} if tampering == "missing header" else {"Pay-Signature": signature}

    response = client.post(WEBHOOK, data=payload, content_type="application/json", headers=headers)

    assert response.status_code == 400
    assert not ProviderEvent.objects.exists()
    request.refresh_from_db()
    assert request.status == "pending"
    assert state_of(case) == "awaiting_payment"


def test_a_duplicate_webhook_message_is_a_no_op(client, pending):
    case, request = pending
    message = webhook_message(request)

    first = deliver(client, message)
    again = deliver(client, message)
    # The same message ID with a different body (Pay's retry) is still the same message.
    message["event_type"] = "card_payment_captured"
    third = deliver(client, message)

    assert [r.json()["outcome"] for r in (first, again, third)] == [
        "pending → paid",
        "duplicate",
        "duplicate",
    ]
    assert ProviderEvent.objects.count() == 1
    assert CaseEvent.objects.filter(case=case, transition="payment_received").count() == 1


def test_a_refund_asks_pay_what_is_available_then_refunds(pay_api, client, pending, admin_user):
    case, request = pending
    deliver(client, webhook_message(request))
    payment_url = f"{PAY}/v1/payments/{PAYMENT_ID}"
    pay_api.get(payment_url, json=payment_json(request, status="success", finished=True))
    pay_api.post(
        f"{payment_url}/refunds",
        status=202,
        json={
            "refund_id": "j6se0f2o427g28g8yg3u3i",
            "amount": 400,
            "status": "submitted",
            "created_date": "2025-06-02T09:00:00.000Z",
        },
    )
    calls_before = len(pay_api.calls)

    refund = payment_refund(
        payment_request=request, amount_pence=400, reason="Fee reduced", user=admin_user
    )

    calls = pay_api.calls[calls_before:]
    assert [(c.request.method, c.request.url) for c in calls] == [
        ("GET", payment_url),
        ("POST", f"{payment_url}/refunds"),
    ]
    assert json.loads(calls[1].request.body) == {"amount": 400, "refund_amount_available": 1000}
    assert calls[1].request.headers["Idempotency-Key"] == f"waymark-refund-{request.pk}-1"
    assert refund.provider_refund_id == "j6se0f2o427g28g8yg3u3i"
    request.refresh_from_db()
    assert (request.status, request.refunded_pence) == ("partially_refunded", 400)
    assert Refund.objects.get().amount_pence == 400
    assert CaseEvent.objects.get(case=case, kind="refunded").data == {"amount_pence": 400}


def test_a_refund_pay_refuses_is_not_recorded(pay_api, client, pending, admin_user):
    _case, request = pending
    deliver(client, webhook_message(request))
    payment_url = f"{PAY}/v1/payments/{PAYMENT_ID}"
    pay_api.get(payment_url, json=payment_json(request, status="success", finished=True))
    pay_api.post(
        f"{payment_url}/refunds",
        status=412,
        json={"code": "P0604", "description": "Refund amount available mismatch."},
    )

    with pytest.raises(ProviderError, match="412"):
        payment_refund(payment_request=request, amount_pence=400, reason="x", user=admin_user)

    request.refresh_from_db()
    assert (request.status, request.refunded_pence) == ("paid", 0)
    assert not Refund.objects.exists()


def test_a_refunded_webhook_records_the_refund(client, pending):
    _case, request = pending
    deliver(client, webhook_message(request))
    refunded = webhook_message(
        request,
        message_id="second-message",
        refund_summary={"status": "full", "amount_available": 0, "amount_submitted": 1000},
    )
    refunded["event_type"] = "card_payment_refunded"

    deliver(client, refunded)

    request.refresh_from_db()
    assert (request.status, request.refunded_pence) == ("refunded", 1000)


def test_pay_is_never_called_without_an_api_key(client, pay_api, awaiting_payment, settings):
    """No key, on a laptop (LOCAL_BACKENDS): the local provider stands in, loudly, instead
    of calling Pay unauthenticated."""
    del settings.COUNCIL_SECRETS["GOVUK_PAY_API_KEY"]["NORTHSHIRE"]
    _case, request = awaiting_payment("govuk_pay")

    response = client.post(f"/pay/{request.pk}/")

    assert response.status_code == 303
    assert response["Location"].startswith("http://testserver/payments/local/")
    assert len(pay_api.calls) == 0


def test_a_webhook_without_our_metadata_is_matched_by_the_payment_id(client, pending):
    case, request = pending
    message = webhook_message(request)
    del message["resource"]["metadata"]

    assert deliver(client, message).json()["outcome"] == "pending → paid"
    assert state_of(case) == "approved"


def test_a_payment_confirmed_after_asking_again_cancels_the_new_request(
    client, pay_api, pending, admin_user
):
    from cases.services import Actor, case_transition

    case, request = pending
    pay_api.get(
        f"{PAY}/v1/payments/{PAYMENT_ID}", json=payment_json(request, status="error", finished=True)
    )
    client.get(f"/pay/{request.pk}/return/")
    case_transition(
        case=case.pk,
        transition="payment_not_received",
        actor=Actor.caseworker(admin_user),
        reason="Pay shows nothing",
    )
    replacement = PaymentRequest.objects.exclude(pk=request.pk).get(case=case)
    assert replacement.status == "requested"

    # Pay finally confirms the first payment.
    deliver(client, webhook_message(request))

    request.refresh_from_db()
    assert request.status == "paid"
    assert state_of(case) == "approved"
    replacement.refresh_from_db()
    assert replacement.status == "cancelled"
