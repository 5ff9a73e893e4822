"""What citizens ran into, tried the way they found it: a text-only applicant finding
their case, a repair date typed day first reaching the citizen right, the not-responsible
outcome in words, and two tabs paying at once."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.links import signed_link
from cases.models import Case, PaymentProvider, Role, Service
from cases.services import Actor, case_transition
from notify.models import Notification
from payments.models import LocalCheckout, PaymentRequest, Refund
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import caseworker, council, make_case, new_case


def open_link(page, url: str):
    page.goto(url.split("localhost:8000")[-1])


@pytest.fixture
def north(transactional_db, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    return council(
        slug="north", name="Northshire Council", fee_pence=1000, contact_phone="0300 123 4567"
    )


@pytest.fixture
def texting(north):
    """Applied by text message only: no email address, no postcode."""
    return new_case(north, contact="sms", email="", postcode="", address_line_1="", town="")


def test_a_text_only_applicant_finds_their_case_by_mobile_number(page, texting):
    page.goto("/track/")
    page.get_by_label("Reference number").fill(texting.reference)
    page.get_by_label("Postcode, email address or mobile number").fill("07911 123 456")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_test_id("reference")).to_have_text(texting.reference)
    assert axe_violations(page) == []


def test_a_text_only_applicant_gets_a_link_sent_and_it_opens_their_case(
    browser, live_server, texting
):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.goto("/track/")
    page.get_by_role("link", name="Get a link to your case sent to you").click()
    assert axe_violations(page) == []
    page.get_by_label("Reference number").fill(texting.reference.lower())
    page.get_by_role("button", name="Send me the link").click()
    expect(page.locator("h1")).to_have_text("Check your email, phone or post")
    assert axe_violations(page) == []
    context.close()

    text = Notification.objects.get(case=texting, event="case_link")
    assert (text.channel, text.recipient) == ("sms", "+447911123456")
    phone = browser.new_context(base_url=live_server.url)
    on_the_phone = phone.new_page()
    open_link(on_the_phone, text.personalisation["short_url"])
    expect(on_the_phone.get_by_test_id("reference")).to_have_text(texting.reference)
    phone.close()


def test_a_repair_date_typed_day_first_reaches_the_citizen_right(page, north):
    editor = caseworker(north, role=Role.EDITOR)
    report = make_case(north, Service.STREET_REPORT, "inspected")
    when = timezone.localdate().replace(day=3, month=1) + timedelta(days=366)
    when = when.replace(day=3, month=1)
    sign_in(page, editor)
    page.goto(f"/admin/cases/case/{report.pk}/change/")
    action = page.locator('details[data-transition="schedule_repair"]')
    action.get_by_label("Day").fill("03")
    action.get_by_label("Month").fill("01")
    action.get_by_label("Year").fill(str(when.year))
    action.get_by_label("Reason (staff only)").fill("Booked with the contractor")
    action.locator('input[type="submit"]').click()
    expect(page.get_by_test_id("state")).to_have_text("Repair scheduled")

    open_link(page, signed_link(report))
    expect(page.locator("h1")).to_have_text(f"A repair is booked for 3 January {when.year}")
    message = Notification.objects.filter(case=report, event="repair_scheduled").first()
    assert f"3 January {when.year}" in message.body


def test_the_not_responsible_outcome_says_who_is(page, north):
    editor = caseworker(north, role=Role.EDITOR)
    report = new_case(north, Service.STREET_REPORT)
    sign_in(page, editor)
    page.goto(f"/admin/cases/case/{report.pk}/change/")
    action = page.locator('details[data-transition="not_responsible"]')
    action.locator("summary").click()
    action.get_by_label("Who is responsible, and how the citizen can contact them").fill(
        "National Highways: 0300 123 5000"
    )
    action.get_by_role("checkbox").check()
    action.locator('input[type="submit"]').click()
    expect(page.get_by_test_id("state")).to_have_text("Not the council's responsibility")

    open_link(page, signed_link(report))
    expect(page.locator("h1")).to_have_text("This is not the council's to fix")
    body = page.locator("main").inner_text()
    assert "This is not ours to fix: National Highways: 0300 123 5000" in body
    assert "{" not in body
    assert axe_violations(page) == []


@pytest.fixture
def owed(north, admin_user):
    north.service_configs.filter(service=Service.BLUE_BADGE).update(
        payment_provider=PaymentProvider.LOCAL
    )
    case = new_case(north)
    actor = Actor.caseworker(admin_user)
    case_transition(case=case, transition="start_assessment", actor=actor)
    return case_transition(case=case, transition="approve", actor=actor)


def test_two_tabs_paying_at_once_end_with_one_payment_kept_and_one_refunded(
    browser, live_server, settings, owed
):
    settings.SITE_URL = live_server.url
    context = browser.new_context(base_url=live_server.url)
    first, second = context.new_page(), context.new_page()
    for tab in (first, second):
        open_link(tab, signed_link(owed))

    first.get_by_role("link", name="Pay £10.00").click()
    first.get_by_role("button", name="Continue to payment").click()
    expect(first.get_by_role("button", name="Pay now")).to_be_visible()  # left open
    checkout = LocalCheckout.objects.get()
    # An hour passes on the first tab's page; the second tab pays afresh.
    long_ago = timezone.now() - timedelta(hours=2)
    LocalCheckout.objects.filter(pk=checkout.pk).update(created_at=long_ago)
    PaymentRequest.objects.filter(case=owed).update(checkout_expires_at=long_ago)
    second.reload()
    second.get_by_role("link", name="Pay £10.00").click()
    second.get_by_role("button", name="Continue to payment").click()
    second.get_by_role("button", name="Pay now").click()
    expect(second.locator("h1")).to_have_text("Payment received")

    first.get_by_role("button", name="Pay now").click()  # the first tab pays too

    expect(first.locator("h1")).to_have_text("Payment received")
    refund = Refund.objects.get()
    assert (refund.amount_pence, refund.duplicate_payment_id) == (1000, str(checkout.pk))
    request = PaymentRequest.objects.get(case=owed)
    assert (request.status, request.refunded_pence) == ("paid", 0)
    assert Case.objects.get(pk=owed.pk).state == "approved"
    first.get_by_role("link", name="See the progress of your case").click()
    expect(first.locator(".moj-timeline")).to_contain_text(
        "You paid twice, so we refunded the second payment of £10.00"
    )
    context.close()


def test_while_the_provider_cannot_say_the_timeline_says_do_not_pay_again(page, owed):
    PaymentRequest.objects.filter(case=owed).update(status="unknown")
    open_link(page, signed_link(owed))
    expect(page.get_by_test_id("checking")).to_have_text(
        "We are checking your payment. Do not pay again."
    )
    expect(page.get_by_role("link", name=re.compile("Pay £"))).to_have_count(0)
