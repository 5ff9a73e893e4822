"""The footer's pages, the phase banner's feedback link and signing out, in Chromium: each
page is reached the way a citizen reaches it and passes axe-core."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.factories import council, new_case

FOOTER_PAGES = [
    ("Privacy", "/privacy/", "Privacy notice"),
    ("Cookies", "/cookies/", "Cookies"),
    ("Accessibility statement", "/accessibility/", "Accessibility statement for Waymark"),
]


@pytest.fixture
def organisation(transactional_db):
    return council(
        name="Northshire Council",
        slug="northshire",
        contact_email="help@northshire.example.gov.uk",
        contact_phone="01632 960 001",
    )


def open_case(page, case):
    """Proves this browser may see the case, as the citizen does."""
    page.goto("/track/")
    page.get_by_label("Reference number").fill(case.reference)
    page.locator('input[name="postcode_or_email"]').fill("AB1 2CD")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(rf"/track/{case.process_id}/$"))


@pytest.mark.parametrize(("link", "path", "heading"), FOOTER_PAGES)
def test_each_footer_link_leads_to_an_accessible_page(page, organisation, link, path, heading):
    page.goto("/")
    page.locator("footer").get_by_role("link", name=link, exact=True).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(path)}$"))
    expect(page.locator("h1")).to_have_text(heading)
    assert axe_violations(page) == [], page.url


def test_the_feedback_link_opens_the_feedback_page_in_a_new_tab(page, organisation):
    page.goto("/")
    link = page.locator(".govuk-phase-banner").get_by_role(
        "link", name="give your feedback (opens in new tab)"
    )
    with page.context.expect_page() as opened:
        link.click()
    feedback = opened.value
    feedback.wait_for_load_state()
    expect(feedback).to_have_url(re.compile(r"/feedback/$"))
    expect(feedback.locator("h1")).to_have_text("Give feedback")
    expect(feedback.get_by_text("Contact Northshire Council:")).to_be_visible()
    assert axe_violations(feedback) == [], feedback.url
    expect(page).to_have_url(re.compile(r"/$"))  # the citizen's own tab stays where it was


def test_sign_out_ends_the_tracking_session(page, organisation):
    case = new_case(organisation)
    page.goto("/")
    expect(page.get_by_role("link", name="Sign out")).to_have_count(0)
    open_case(page, case)

    page.get_by_role("link", name="Sign out").click()

    expect(page.locator("h1")).to_have_text("You have signed out")
    assert axe_violations(page) == [], page.url
    expect(page.get_by_role("link", name="Sign out")).to_have_count(0)
    page.goto(f"/track/{case.process_id}/")
    expect(page).to_have_url(re.compile(r"/track/$"))
    expect(page.locator("h1")).to_have_text("Find your case")


def test_sign_out_works_without_javascript(no_js_page, organisation):
    case = new_case(organisation)
    open_case(no_js_page, case)
    no_js_page.get_by_role("link", name="Sign out").click()
    expect(no_js_page.locator("h1")).to_have_text("You have signed out")
    no_js_page.get_by_role("link", name="Find your case").click()
    expect(no_js_page).to_have_url(re.compile(r"/track/$"))
    no_js_page.goto(f"/track/{case.process_id}/")
    expect(no_js_page).to_have_url(re.compile(r"/track/$"))
