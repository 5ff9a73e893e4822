"""Whole journeys across the citizen's pages and the caseworker's actions: apply, get
approved, pay from the timeline, see it paid; report a pothole, follow it until it is
fixed. axe-core checks every page the citizen sees."""

import pytest

from cases.models import Case, PaymentProvider, Service
from cases.services import Actor, case_transition
from tests.browser.conftest import axe_violations
from tests.browser.test_apply_journey import JPEG, apply_for_a_blue_badge
from tests.factories import council


@pytest.fixture
def charging_council(transactional_db):
    organisation = council(slug="northshire", name="Northshire Council", fee_pence=1000)
    organisation.service_configs.filter(service=Service.BLUE_BADGE).update(
        payment_provider=PaymentProvider.LOCAL
    )
    return organisation


@pytest.fixture
def evidence_file(tmp_path):
    path = tmp_path / "award-letter.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    return path


def stage_status(page, slug):
    return page.locator(f'[data-stage="{slug}"]').get_attribute("data-status")


def checked(page):
    assert axe_violations(page) == [], page.url


def test_apply_get_approved_pay_and_see_it_paid(
    page, live_server, settings, charging_council, evidence_file, admin_user
):
    settings.SITE_URL = live_server.url
    case = apply_for_a_blue_badge(page, evidence_file, accessible=True)

    caseworker = Actor.caseworker(admin_user)  # the caseworker's buttons call the same services
    case_transition(case=case, transition="start_assessment", actor=caseworker)
    page.reload()
    assert stage_status(page, "received") == "done"
    assert stage_status(page, "assessment") == "current"
    checked(page)

    case_transition(case=case, transition="approve", actor=caseworker)
    page.reload()
    assert page.locator("h1").inner_text() == "Approved: waiting for your payment"
    checked(page)
    page.get_by_role("link", name="Pay £10.00").click()
    checked(page)
    page.get_by_role("button", name="Continue to payment").click()
    checked(page)
    page.get_by_role("button", name="Pay now").click()
    assert page.locator("h1").inner_text() == "Payment received"
    checked(page)
    page.get_by_role("link", name="See the progress of your case").click()

    assert stage_status(page, "payment") == "done"
    assert stage_status(page, "badge") == "current"
    assert "We received your payment" in page.locator(".moj-timeline").inner_text()
    checked(page)
    assert Case.objects.get(pk=case.pk).state == "approved"


def test_report_a_pothole_and_follow_it_until_it_is_fixed(
    page, live_server, settings, charging_council, tmp_path, admin_user
):
    settings.SITE_URL = live_server.url
    page.goto("/")
    page.get_by_role("link", name="Report a street problem – Northshire Council").click()
    page.get_by_role("button", name="Start now").click()
    page.get_by_label("Pothole").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Describe where the problem is").fill("Outside 3 Mill Lane")
    page.get_by_label("Postcode (optional)").fill("ab1 2cd")
    page.get_by_role("button", name="Continue").click()
    photo = tmp_path / "pothole.jpg"
    photo.write_bytes(JPEG)
    page.get_by_label("Upload a photo").set_input_files(str(photo))
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Full name").fill("Sam Reporter")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Email", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("What is your email address?").fill("sam@example.com")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send report").click()
    case = Case.objects.get()

    # Later, in a new browser session: find it with the reference and the email address.
    page.context.clear_cookies()
    page.goto("/track/")
    page.get_by_label("Reference number").fill(case.reference)
    page.get_by_label("Postcode, email address or mobile number").fill("sam@example.com")
    page.get_by_role("button", name="Continue").click()
    assert page.locator("h1").inner_text() == "We have your report"
    checked(page)

    caseworker = Actor.caseworker(admin_user)
    case_transition(case=case, transition="inspect", actor=caseworker)
    case_transition(
        case=case,
        transition="schedule_repair",
        actor=caseworker,
        data={"repair_date": "2099-03-02"},
    )
    page.reload()
    assert stage_status(page, "repair") == "current"
    assert "A repair is booked for 2 March 2099." in page.locator("main").inner_text()
    checked(page)

    case_transition(case=case, transition="mark_fixed", actor=caseworker)
    page.reload()
    assert stage_status(page, "fixed") == "current"
    page.get_by_role("link", name="Tell us if it is fixed").click()
    checked(page)
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()
    assert stage_status(page, "closed") == "done"
    checked(page)
    assert Case.objects.get(pk=case.pk).state == "closed"
