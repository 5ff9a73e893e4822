"""Payments in the admin: scoped to the caseworker's councils, read-only except for the
refund page, which only editors and administrators of the case's council can use."""

import pytest
from django.contrib.admin import site

from cases.models import Role
from cases.selectors import case_timeline
from cases.services import Actor, case_transition
from payments.admin import PaymentRequestAdmin
from payments.models import LocalCheckout, PaymentRequest, ProviderEvent, Refund
from payments.providers import ProviderError
from payments.providers.local import LocalProvider
from payments.services import payment_check_with_provider, payment_start_checkout
from tests.factories import caseworker, council, new_case

pytestmark = pytest.mark.django_db

LIST = "/admin/payments/paymentrequest/"


def approved_case(organisation, user):
    """A Blue Badge case approved by a caseworker: its fee is now requested."""
    case = new_case(organisation)
    actor = Actor.caseworker(user)
    case_transition(case=case.pk, transition="start_assessment", actor=actor)
    case_transition(case=case.pk, transition="approve", actor=actor)
    return case


def paid_payment(organisation, user) -> PaymentRequest:
    """A £10.00 fee paid through the local provider, confirmed with the provider."""
    case = approved_case(organisation, user)
    request = case.payment_requests.get()
    request = payment_start_checkout(
        payment_request=request, return_url="http://testserver/r", cancel_url="http://testserver/c"
    )
    LocalCheckout.objects.filter(pk=request.provider_id).update(status="paid")
    return payment_check_with_provider(payment_request=request, source="test")[0]


def refund_url(payment: PaymentRequest) -> str:
    return f"{LIST}{payment.pk}/refund/"


def change_url(payment: PaymentRequest) -> str:
    return f"{LIST}{payment.pk}/change/"


def assert_unchanged(payment: PaymentRequest):
    payment.refresh_from_db()
    assert payment.status == PaymentRequest.Status.PAID
    assert payment.refunded_pence == 0
    assert not Refund.objects.filter(payment_request=payment).exists()
    assert LocalCheckout.objects.get(pk=payment.provider_id).refunded_pence == 0


@pytest.fixture
def north():
    return council(slug="north", fee_pence=1000)


@pytest.fixture
def payment(north, admin_user):
    payment = paid_payment(north, admin_user)
    assert payment.status == PaymentRequest.Status.PAID
    assert payment.paid_pence == 1000
    return payment


def test_a_caseworker_sees_and_refunds_only_their_councils_payments(
    client, north, payment, admin_user
):
    theirs = paid_payment(council(slug="south", fee_pence=1000), admin_user)
    client.force_login(caseworker(north, role=Role.EDITOR))

    listing = client.get(LIST)
    assert listing.status_code == 200
    assert payment.case.reference in listing.text
    assert "£10.00" in listing.text
    assert refund_url(payment) in listing.text
    assert theirs.case.reference not in listing.text

    assert client.get(change_url(payment)).status_code == 200
    other = client.get(change_url(theirs), follow=True)
    assert other.redirect_chain  # to the admin index: "doesn't exist"
    assert theirs.case.reference not in other.text
    assert client.get(refund_url(theirs)).status_code == 404
    response = client.post(refund_url(theirs), {"amount": "4.00", "reason": "Sneaky"})
    assert response.status_code == 404
    assert_unchanged(theirs)


def test_a_read_only_member_cannot_refund(client, north, payment):
    client.force_login(caseworker(north, role=Role.READ_ONLY))

    assert client.get(change_url(payment)).status_code == 200
    assert client.get(refund_url(payment)).status_code == 403
    response = client.post(refund_url(payment), {"amount": "4.00", "reason": "Fee reduced"})
    assert response.status_code == 403
    assert_unchanged(payment)


def test_an_editor_refunds_part_of_the_fee_and_the_applicant_sees_it(client, north, payment):
    editor = caseworker(north, role=Role.EDITOR)
    client.force_login(editor)
    page = client.get(refund_url(payment))
    assert page.status_code == 200
    assert 'value="10.00"' in page.text  # the whole refundable amount by default

    response = client.post(
        refund_url(payment), {"amount": "4.00", "reason": "Badge fee reduced"}, follow=True
    )

    assert response.redirect_chain[-1][0] == change_url(payment)
    assert f"Refunded £4.00 on {payment.case.reference}" in response.text
    payment.refresh_from_db()
    assert payment.status == PaymentRequest.Status.PARTIALLY_REFUNDED
    assert payment.refunded_pence == 400
    refund = Refund.objects.get(payment_request=payment)
    assert (refund.amount_pence, refund.reason, refund.created_by) == (
        400,
        "Badge fee reduced",
        editor,
    )
    assert "Badge fee reduced" in response.text  # the refunds inline on the payment page
    texts = [entry.text for entry in case_timeline(payment.case).entries]
    assert "We refunded £4.00 to you" in texts


def test_refunding_more_than_is_left_shows_an_error_and_changes_nothing(client, north, payment):
    client.force_login(caseworker(north, role=Role.ADMIN))

    response = client.post(refund_url(payment), {"amount": "10.01", "reason": "Too much"})

    assert response.status_code == 200
    assert "You can refund at most £10.00 of this payment" in response.text
    assert_unchanged(payment)


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("ten", "Enter the amount in pounds, like 10.00"),
        ("-1", "Enter an amount more than £0.00"),
        ("0", "Enter an amount more than £0.00"),
        ("1.234", "Enter pounds and pence only, like 10.50"),
        ("", "This field is required"),
        ("1e999999999", "Enter the amount in pounds, like 10.00"),
        ("1e-5", "Enter the amount in pounds, like 10.00"),
        ("NaN", "Enter the amount in pounds, like 10.00"),
        ("Infinity", "Enter the amount in pounds, like 10.00"),
        ("99999999999", "Enter the amount in pounds, like 10.00"),
        ("１０", "Enter the amount in pounds, like 10.00"),
    ],
)
def test_a_bad_amount_shows_an_error(client, north, payment, amount, error):
    client.force_login(caseworker(north, role=Role.EDITOR))

    response = client.post(refund_url(payment), {"amount": amount, "reason": "Fee reduced"})

    assert response.status_code == 200
    assert error in response.text
    assert_unchanged(payment)


def test_a_refund_needs_a_reason(client, north, payment):
    client.force_login(caseworker(north, role=Role.EDITOR))
    response = client.post(refund_url(payment), {"amount": "4.00", "reason": "  "})
    assert response.status_code == 200
    assert "This field is required" in response.text
    assert_unchanged(payment)


def test_a_provider_failure_is_explained_and_changes_nothing(client, north, payment, monkeypatch):
    def refuse(self, request, **kwargs):
        raise ProviderError("Connection timed out")

    monkeypatch.setattr(LocalProvider, "refund", refuse)
    client.force_login(caseworker(north, role=Role.EDITOR))

    response = client.post(refund_url(payment), {"amount": "4.00", "reason": "Fee reduced"})

    assert response.status_code == 200
    assert (
        "The payment provider could not make the refund: Connection timed out. "
        "Nothing has changed. Try again later."
    ) in response.text
    assert_unchanged(payment)
    assert "We refunded" not in " ".join(e.text for e in case_timeline(payment.case).entries)


def test_an_unpaid_fee_cannot_be_refunded(client, north, admin_user):
    unpaid = approved_case(north, admin_user).payment_requests.get()
    client.force_login(admin_user)

    response = client.post(refund_url(unpaid), {"amount": "4.00", "reason": "x"}, follow=True)

    assert "There is nothing to refund on this payment." in response.text
    assert not Refund.objects.exists()
    assert refund_url(unpaid) not in client.get(change_url(unpaid)).text


def test_the_case_page_shows_its_payments(client, north, payment):
    client.force_login(caseworker(north, role=Role.READ_ONLY))

    page = client.get(f"/admin/cases/case/{payment.case.pk}/change/")

    assert page.status_code == 200
    assert 'id="payment_requests-group"' in page.text
    assert change_url(payment) in page.text
    assert "£10.00" in page.text


def test_the_payment_page_links_to_the_provider_and_the_refund_page(client, admin_user, payment):
    client.force_login(admin_user)
    page = client.get(change_url(payment))
    assert f"/payments/local/{payment.provider_id}/" in page.text
    assert refund_url(payment) in page.text


def test_the_list_filters_by_status(client, north, payment, admin_user):
    unpaid = approved_case(north, admin_user)
    client.force_login(admin_user)

    paid = client.get(LIST, {"status": "paid"})
    assert payment.case.reference in paid.text
    assert unpaid.reference not in paid.text

    requested = client.get(LIST, {"status": "requested"})
    assert unpaid.reference in requested.text
    assert payment.case.reference not in requested.text


def test_search_finds_a_payment_by_process_id_however_typed(client, north, payment, admin_user):
    other = paid_payment(north, admin_user)
    client.force_login(admin_user)
    typed = payment.case.reference.lower()  # as printed on letters: "bb-4k7m-q9xa-w3r"
    response = client.get(LIST, {"q": typed})
    assert "1 result" in response.text
    assert payment.case.reference in response.text
    assert other.case.reference not in response.text


def test_provider_events_are_scoped_and_unmatched_ones_are_for_administrators(
    client, north, payment, admin_user
):
    theirs = paid_payment(council(slug="south", fee_pence=1000), admin_user)
    ProviderEvent.objects.create(
        provider="local", event_id="evt_mine", type="paid", payment_request=payment
    )
    ProviderEvent.objects.create(
        provider="local", event_id="evt_theirs", type="paid", payment_request=theirs
    )
    ProviderEvent.objects.create(provider="local", event_id="evt_orphan", type="paid")

    client.force_login(caseworker(north, role=Role.ADMIN))
    listing = client.get("/admin/payments/providerevent/")
    assert listing.status_code == 200
    assert "evt_mine" in listing.text
    assert "evt_theirs" not in listing.text
    assert "evt_orphan" not in listing.text

    client.force_login(admin_user)
    everything = client.get("/admin/payments/providerevent/")
    assert all(e in everything.text for e in ("evt_mine", "evt_theirs", "evt_orphan"))


@pytest.mark.parametrize(
    ("provider", "ids", "expected"),
    [
        (
            "stripe",
            {"provider_payment_id": "pi_123"},
            "https://dashboard.stripe.com/payments/pi_123",
        ),
        ("govuk_pay", {"provider_id": "pay_456"}, "(payment pay_456)"),
        ("stripe", {"provider_id": "cs_789"}, "cs_789"),  # not paid yet: no payment intent
    ],
)
def test_the_provider_link_goes_to_the_providers_dashboard(provider, ids, expected):
    row = PaymentRequest(provider=provider, **ids)
    assert expected in str(PaymentRequestAdmin(PaymentRequest, site).provider_link(row))
