"""A citizen applies for a Blue Badge and reports a pothole in Chromium, with and without
JavaScript: every page passes axe-core, nothing breaks the Content-Security-Policy, and the
journey ends on the confirmation panel and then the case's timeline. The contact details
are asked on a page of their own after the channel (no conditional reveal), so axe-core has
nothing to tolerate."""

from __future__ import annotations

import pytest

from cases.models import Case, Evidence
from tests.browser.conftest import axe_violations
from tests.factories import council

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256))


@pytest.fixture
def northshire(transactional_db):
    return council(slug="northshire", name="Northshire Council")


@pytest.fixture
def evidence_file(tmp_path):
    path = tmp_path / "award-letter.png"
    path.write_bytes(PNG)
    return path


@pytest.fixture
def console(page):
    """Script errors and Content-Security-Policy reports (a page with a form error answers
    400, which the console also logs: that one is expected)."""
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    return problems


class Journey:
    """Drives the pages; with `accessible`, runs axe-core on each page it arrives at."""

    def __init__(self, page, accessible: bool):
        self.page, self.accessible = page, accessible
        self.pages: list[str] = []

    def arrived(self, heading: str | None = None):
        if heading is not None:
            assert self.page.locator("h1").inner_text().strip() == heading, self.page.url
        self.pages.append(self.page.url)
        if self.accessible:
            assert axe_violations(self.page) == [], self.page.url

    def press(self, name: str, heading: str | None = None):
        self.page.get_by_role("button", name=name, exact=True).click()
        self.arrived(heading)

    def follow(self, name: str, heading: str | None = None):
        self.page.get_by_role("link", name=name).click()
        self.arrived(heading)


def apply_for_a_blue_badge(page, evidence_file, *, accessible: bool) -> Case:
    journey = Journey(page, accessible)
    page.goto("/")
    journey.arrived()
    journey.follow("Apply for a Blue Badge – Northshire Council", "Apply for a Blue Badge")
    journey.press("Start now", "Why are you eligible for a Blue Badge?")

    journey.press("Continue")  # nothing chosen: the error page is checked too
    assert page.title().startswith("Error: ")
    assert "Select why you are eligible" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Difficulty walking").check()
    journey.press("Continue", "What is your date of birth?")

    page.get_by_label("Day").fill("1")
    page.get_by_label("Year").fill("1950")
    journey.press("Continue")
    assert "Date of birth must include a month" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Month").fill("4")
    journey.press("Continue", "What is your full name?")

    page.get_by_label("Full name").fill("Ann Example")
    journey.press("Continue", "How would you like us to contact you?")

    # Only the channel here; its details are asked on the next page.
    assert page.locator(".govuk-radios__conditional").count() == 0
    assert page.get_by_label("Address line 1").count() == 0
    page.get_by_label("Letter", exact=True).check()
    journey.press("Continue", "Where should we post the badge?")

    page.get_by_label("Address line 1").fill("1 High Street")
    journey.press("Continue")  # no town or postcode: the error page is checked too
    assert "Enter town or city" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Town or city").fill("Northtown")
    page.get_by_label("Postcode").fill("ab1 2cd")
    journey.press("Continue", "Upload evidence that you are eligible")

    page.get_by_label("Upload a file").set_input_files(str(evidence_file))
    journey.press("Upload file", "Upload evidence that you are eligible")
    assert "award-letter.png" in page.locator(".govuk-summary-list").inner_text()
    journey.press("Continue", "Check your answers before sending your application")

    summary = page.locator(".govuk-summary-list").inner_text()
    for text in (
        "Difficulty walking",
        "1 April 1950",
        "Ann Example",
        "Badge posted to",
        "AB1 2CD",
        "award-letter.png",
        "Fee",
    ):
        assert text in summary
    journey.press("Accept and send", "Application complete")

    case = Case.objects.get()
    assert page.locator(".govuk-panel--confirmation").inner_text().endswith(case.reference)
    journey.follow("See the progress of your application", "We have your application")
    assert page.url.endswith(f"/track/{case.process_id}/")
    assert page.get_by_test_id("reference").inner_text() == case.reference
    assert len(journey.pages) == 15  # every page, errors included, was checked
    return case


def test_apply_for_a_blue_badge_with_every_page_accessible(
    page, northshire, evidence_file, console
):
    case = apply_for_a_blue_badge(page, evidence_file, accessible=True)

    assert case.answers == {"eligibility": "walking", "date_of_birth": "1950-04-01"}
    assert Evidence.objects.get(case=case).content_type == "image/png"
    assert "govuk-frontend-supported" in page.locator("body").get_attribute("class")
    assert console == []


def test_apply_for_a_blue_badge_without_javascript(no_js_page, northshire, evidence_file):
    case = apply_for_a_blue_badge(no_js_page, evidence_file, accessible=False)

    assert (case.contact_preference, case.postcode) == ("letter", "AB1 2CD")
    assert Evidence.objects.get(case=case).original_name == "award-letter.png"


def test_report_a_pothole(page, northshire, tmp_path, console):
    photo = tmp_path / "pothole.jpg"
    photo.write_bytes(JPEG)
    journey = Journey(page, accessible=True)
    page.goto("/")
    journey.follow("Report a street problem – Northshire Council", "Report a street problem")
    journey.press("Start now", "What kind of problem are you reporting?")
    page.get_by_label("Pothole").check()
    journey.press("Continue", "Where is the problem?")
    page.get_by_label("Describe where the problem is").fill("Outside 3 Mill Lane")
    page.get_by_label("Postcode (optional)").fill("ab1 2cd")
    journey.press("Continue", "Add a photo of the problem (optional)")
    page.get_by_label("Upload a photo").set_input_files(str(photo))
    journey.press("Continue", "What is your name?")
    page.get_by_label("Full name").fill("Sam Reporter")
    journey.press("Continue", "How would you like us to tell you about progress?")
    page.get_by_label("Email", exact=True).check()
    journey.press("Continue", "What is your email address?")
    page.get_by_label("What is your email address?").fill("sam@example.com")
    journey.press("Continue", "Check your answers before sending your report")
    assert "sam@example.com" in page.locator(".govuk-summary-list").inner_text()

    # Changing the channel asks for the new channel's details, and forgets the old ones.
    journey.follow("Change how we contact you", "How would you like us to tell you about progress?")
    page.get_by_label("Text message", exact=True).check()
    journey.press("Continue", "What is your mobile phone number?")
    page.get_by_label("What is your mobile phone number?").fill("07700 900982")
    journey.press("Continue", "Check your answers before sending your report")
    summary = page.locator(".govuk-summary-list").inner_text()
    assert "+447700900982" in summary
    assert "sam@example.com" not in summary
    journey.press("Send report", "Report sent")

    case = Case.objects.get()
    assert case.reference in page.locator(".govuk-panel--confirmation").inner_text()
    journey.follow("See the progress of your report", "We have your report")
    assert page.get_by_test_id("reference").inner_text() == case.reference
    assert case.answers["issue_type"] == "pothole"
    assert (case.contact_preference, case.phone, case.email) == ("sms", "+447700900982", "")
    assert Evidence.objects.get(case=case).content_type == "image/jpeg"
    assert console == []
