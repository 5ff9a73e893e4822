"""The citizen finds their case, pays the fee from the timeline with the local provider,
and sees the payment stage completed. axe-core checks every page on the way."""

import pytest
from playwright.sync_api import expect

from cases.models import PaymentProvider, Service
from cases.services import Actor, case_transition
from tests.browser.conftest import axe_violations
from tests.factories import council, new_case


@pytest.fixture
def approved_case(admin_user):
    organisation = council(fee_pence=1000, name="Northshire Council", slug="northshire")
    organisation.service_configs.filter(service=Service.BLUE_BADGE).update(
        payment_provider=PaymentProvider.LOCAL
    )
    case = new_case(organisation)
    caseworker = Actor.caseworker(admin_user)
    case_transition(case=case, transition="start_assessment", actor=caseworker)
    return case_transition(case=case, transition="approve", actor=caseworker)


def assert_accessible(page):
    assert axe_violations(page) == [], page.url


def test_citizen_pays_from_the_timeline_and_sees_the_payment_stage_done(
    page, live_server, settings, approved_case
):
    settings.SITE_URL = live_server.url

    page.goto("/")
    assert_accessible(page)
    page.get_by_role("button", name="Find your case").click()
    assert_accessible(page)
    page.get_by_label("Reference number").fill(approved_case.reference.lower().replace("-", " "))
    page.get_by_label("Postcode, email address or mobile number").fill("ab12cd")
    page.get_by_role("button", name="Continue").click()

    assert page.locator("h1").inner_text() == "Approved: waiting for your payment"
    assert page.locator('[data-stage="payment"]').get_attribute("data-status") == "current"
    assert_accessible(page)
    page.get_by_role("link", name="Pay £10.00").click()

    assert_accessible(page)
    page.get_by_role("button", name="Continue to payment").click()
    assert "No money is taken" in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Pay now").click()

    assert page.locator("h1").inner_text() == "Payment received"
    assert_accessible(page)
    page.get_by_role("link", name="See the progress of your case").click()

    assert page.locator('[data-stage="payment"]').get_attribute("data-status") == "done"
    assert page.locator('[data-stage="badge"]').get_attribute("data-status") == "current"
    assert "We received your payment" in page.locator(".moj-timeline").inner_text()
    assert_accessible(page)
    approved_case.refresh_from_db()
    assert approved_case.state == "approved"


def test_a_wrong_second_factor_does_not_say_whether_the_case_exists(page, approved_case):
    page.goto("/track/")
    page.get_by_label("Reference number").fill(approved_case.reference)
    page.get_by_label("Postcode, email address or mobile number").fill("ZZ9 9ZZ")
    page.get_by_role("button", name="Continue").click()

    summary = page.locator(".govuk-error-summary").inner_text()
    assert "We could not find a case with that reference number" in summary
    assert page.title().startswith("Error:")
    assert_accessible(page)


def test_a_declined_payment_says_so_and_offers_to_try_again(
    page, live_server, settings, approved_case
):
    """One page per outcome, each with its way on: a declined payment offers to try again
    (a new checkout); going back from that checkout returns to the pay page, and paying
    from there goes on with the same checkout, still open, rather than a third."""
    settings.SITE_URL = live_server.url
    page.goto("/track/")
    page.get_by_label("Reference number").fill(approved_case.reference)
    page.get_by_label("Postcode, email address or mobile number").fill("AB1 2CD")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Pay £10.00").click()
    page.get_by_role("button", name="Continue to payment").click()

    page.get_by_role("button", name="Decline the payment").click()
    expect(page.locator("h1")).to_have_text("Your payment was declined")
    expect(page.locator("main")).not_to_contain_text("no longer needed")
    assert_accessible(page)

    page.get_by_role("button", name="Try again").click()
    page.get_by_role("button", name="Go back without paying").click()
    expect(page.locator("h1")).to_have_text("Pay £10.00")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Pay now").click()
    expect(page.locator("h1")).to_have_text("Payment received")
    payment = approved_case.payment_requests.get()
    assert payment.status == "paid"
    assert len(payment.checkout_ids) == 2
