"""Apply for a Blue Badge: every page's errors, the contact pages (the channel, then only
that channel's details), the evidence rules, the happy path to a case with its evidence,
check-your-answers changes, and drafts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from cases.errors import CaseConflict, CaseValidationError
from cases.models import Case, Draft, Evidence, Service, ServiceConfig
from cases.portal import apply
from cases.workflows.blue_badge import BlueBadgeAnswers
from notify.models import Notification
from tests.factories import council

BASE = "/apply/northshire/blue-badge/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 40
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x02" * 40
MB = 1024 * 1024


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def northshire(db):
    return council(slug="northshire", name="Northshire Council")


def page(client, slug, data=None, **kwargs):
    url = BASE + slug + "/"
    return client.post(url, data, **kwargs) if data is not None else client.get(url)


def answer_up_to(client, last: str) -> None:
    """Answers the pages in order, stopping after `last`."""
    posts = [
        ("eligibility", {"eligibility": "pip"}),
        ("date-of-birth", {"day": "1", "month": "4", "year": "1950"}),
        ("name", {"applicant_name": "  Ann Example "}),
        ("contact", {"contact_preference": "letter"}),
        (
            "contact-address",
            {"address_line_1": "1 High Street", "town": "Northtown", "postcode": "ab1 2cd"},
        ),
        (
            "evidence",
            {"action": "continue", "files": [upload("award.pdf", PDF), upload("Photo 1.PNG", PNG)]},
        ),
    ]
    for slug, data in posts:
        response = page(client, slug, data)
        assert response.status_code == 302, (slug, response.content.decode()[:3000])
        if slug == last:
            return


def error_summary(response) -> str:
    html = response.content.decode()
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    assert match, "no error summary"
    return match.group(0)


def assert_error(response, message: str, anchor: str) -> None:
    """The message is in the error summary (linking to the field) and inline by the field."""
    html = response.content.decode()
    assert response.status_code == 400
    summary = error_summary(response)
    assert f'<a href="#{anchor}">{message}</a>' in summary
    inline = re.search(
        r'class="govuk-error-message">\s*<span class="govuk-visually-hidden">Error:</span> '
        + re.escape(message),
        html,
    )
    assert inline, f"no inline error {message!r}"
    assert re.search(r"<title>\s*Error: ", html)


# --- Which councils, which pages --------------------------------------------------------


def test_start_page_links_to_the_first_question(client, northshire):
    response = client.get(BASE)
    assert response.status_code == 200
    assert f'href="{BASE}eligibility/"' in response.content.decode()
    assert "Northshire Council" in response.content.decode()


def test_the_start_page_lists_the_councils_services(client, northshire):
    html = client.get("/").content.decode()
    assert f'href="{BASE}"' in html
    assert 'href="/report/northshire/"' in html


@pytest.mark.parametrize("url", [BASE, BASE + "eligibility/", BASE + "check-answers/"])
def test_a_council_that_does_not_offer_the_service_gives_404(client, northshire, url):
    ServiceConfig.objects.filter(organisation=northshire, service=Service.BLUE_BADGE).update(
        enabled=False
    )
    assert client.get(url).status_code == 404
    assert client.get(url.replace("northshire", "nowhere")).status_code == 404


def test_a_council_without_the_service_gives_404(client, db):
    council(slug="northshire", services=(Service.STREET_REPORT,))
    assert client.get(BASE).status_code == 404
    assert client.get("/report/northshire/").status_code == 200


def test_an_unknown_page_gives_404(client, northshire):
    assert client.get(BASE + "favourite-colour/").status_code == 404


def test_a_later_page_sends_you_back_to_the_first_unanswered_one(client, northshire):
    answer_up_to(client, "eligibility")
    response = client.get(BASE + "contact/")
    assert response.status_code == 302
    assert response["Location"] == BASE + "date-of-birth/"
    assert client.get(BASE + "check-answers/")["Location"] == BASE + "date-of-birth/"


def test_eligibility_choices_cover_the_workflow_and_are_translatable():
    assert set(apply.ELIGIBILITY_LABELS) == {key for key, _label in BlueBadgeAnswers.ELIGIBILITY}


# --- Each page's errors ------------------------------------------------------------------


def test_eligibility_must_be_chosen(client, northshire):
    response = page(client, "eligibility", {})
    assert_error(response, "Select why you are eligible for a Blue Badge", "id_eligibility")
    response = page(client, "eligibility", {"eligibility": "because"})
    assert_error(response, "Select why you are eligible for a Blue Badge", "id_eligibility")


def test_a_page_without_errors_has_no_error_prefix_in_its_title(client, northshire):
    html = client.get(BASE + "eligibility/").content.decode()
    assert re.search(r"<title>Why are you eligible for a Blue Badge\? – ", html)
    assert "govuk-error-summary" not in html
    # The radios are GOV.UK Frontend's: first radio carries the field id, others id-2...
    assert 'id="id_eligibility" name="eligibility" type="radio" value="pip"' in html
    assert 'id="id_eligibility-2" name="eligibility" type="radio" value="dla"' in html


@pytest.mark.parametrize(
    ("data", "message", "anchor", "marked"),
    [
        ({}, "Enter your date of birth", "day", {"day", "month", "year"}),
        ({"day": "1", "year": "1950"}, "Date of birth must include a month", "month", {"month"}),
        ({"month": "4"}, "Date of birth must include a day and year", "day", {"day", "year"}),
        (
            {"day": "31", "month": "2", "year": "1950"},
            "Date of birth must be a real date",
            "day",
            {"day"},
        ),
        (
            {"day": "1", "month": "13", "year": "1950"},
            "Date of birth must be a real date",
            "month",
            {"month"},
        ),
        ({"day": "1", "month": "4", "year": "50"}, "Year must include 4 numbers", "year", {"year"}),
        (
            {"day": "1", "month": "1", "year": str(timezone.localdate().year + 1)},
            "Date of birth must be in the past",
            "day",
            {"day", "month", "year"},
        ),
    ],
)
def test_date_of_birth_errors(client, northshire, data, message, anchor, marked):
    answer_up_to(client, "eligibility")
    data = {"day": "", "month": "", "year": "", **data}
    response = page(client, "date-of-birth", data)
    assert_error(response, message, f"date-of-birth-{anchor}")
    html = response.content.decode()
    errored = set(re.findall(r'govuk-input--error" id="date-of-birth-(\w+)"', html))
    assert errored == marked
    # What was typed is shown again.
    for part, value in data.items():
        if value:
            box = f'id="date-of-birth-{part}" name="{part}" type="text" inputmode="numeric"'
            assert f'{box} value="{value}"' in html


def test_date_of_birth_accepts_a_month_name(client, northshire):
    answer_up_to(client, "eligibility")
    response = page(client, "date-of-birth", {"day": "7", "month": "Sept", "year": "1948"})
    assert response.status_code == 302
    assert client.session["waymark_journey:blue_badge:northshire"]["answers"]["date-of-birth"] == {
        "date_of_birth": "1948-09-07"
    }


def test_name_is_required(client, northshire):
    answer_up_to(client, "date-of-birth")
    assert_error(
        page(client, "name", {"applicant_name": "   "}), "Enter your full name", "id_applicant_name"
    )
    assert_error(
        page(client, "name", {"applicant_name": "x" * 201}),
        "Full name must be 200 characters or fewer",
        "id_applicant_name",
    )


# --- Contact: the channel, then a page for only that channel's details ------------------

CHANNEL_PAGES = {
    "email": ("contact-email", "What is your email address?"),
    "sms": ("contact-mobile", "What is your mobile phone number?"),
    "letter": ("contact-address", "Where should we post the badge?"),
}


def heading(response) -> str:
    match = re.search(r"<h1[^>]*>\s*(?:<label[^>]*>)?([^<]+)<", response.content.decode())
    assert match, "no heading"
    return match.group(1).strip()


def test_the_contact_page_asks_only_for_the_channel_with_no_reveal(client, northshire):
    answer_up_to(client, "name")
    html = client.get(BASE + "contact/").content.decode()
    for value in ("email", "sms", "letter"):
        assert f'name="contact_preference" type="radio" value="{value}"' in html
    for name in ("email", "phone", "address_line_1", "town", "postcode"):
        assert f'name="{name}"' not in html
    assert "govuk-radios__conditional" not in html
    assert "aria-controls" not in html
    assert "Do not contact me" not in html  # applicants must be contactable


@pytest.mark.parametrize("data", [{}, {"contact_preference": "none"}])
def test_a_channel_must_be_chosen(client, northshire, data):
    answer_up_to(client, "name")
    assert_error(
        page(client, "contact", data),
        "Select how you would like us to contact you",
        "id_contact_preference",
    )


@pytest.mark.parametrize("channel", ["email", "sms", "letter"])
def test_each_channel_is_followed_by_a_page_for_its_details_only(client, northshire, channel):
    answer_up_to(client, "name")
    slug, title = CHANNEL_PAGES[channel]
    response = page(client, "contact", {"contact_preference": channel})
    assert response["Location"] == BASE + slug + "/"
    shown = client.get(BASE + slug + "/")
    assert heading(shown) == title
    assert re.search(rf"<title>{re.escape(title)} – ", shown.content.decode())
    assert f'<a href="{BASE}contact/" class="govuk-back-link' in shown.content.decode()
    # The other channels' pages are not asked: they send you on to this one.
    for other, (other_slug, _title) in CHANNEL_PAGES.items():
        if other != channel:
            assert client.get(BASE + other_slug + "/")["Location"] == BASE + slug + "/"
    # And the pages after it wait for it.
    assert client.get(BASE + "evidence/")["Location"] == BASE + slug + "/"
    assert client.get(BASE + "check-answers/")["Location"] == BASE + slug + "/"


def test_the_channel_pages_are_not_asked_before_the_channel_is_chosen(client, northshire):
    answer_up_to(client, "name")
    for slug, _title in CHANNEL_PAGES.values():
        assert client.get(BASE + slug + "/")["Location"] == BASE + "contact/"


@pytest.mark.parametrize(
    ("channel", "data", "errors"),
    [
        ("email", {"email": "  "}, {"email": "Enter your email address"}),
        (
            "email",
            {"email": "ann@"},
            {"email": "Enter an email address in the correct format, like name@example.com"},
        ),
        (
            "email",
            {"email": "a" * 250 + "@example.com"},
            {"email": "Email address must be 254 characters or fewer"},
        ),
        ("sms", {"phone": ""}, {"phone": "Enter a mobile phone number"}),
        (
            "sms",
            {"phone": "01632 960 001"},
            {"phone": "Enter a mobile phone number to get text messages, like 07700 900 982"},
        ),
        (
            "sms",
            {"phone": "0" * 21},
            {"phone": "Mobile phone number must be 20 characters or fewer"},
        ),
        (
            "letter",
            {},
            {
                "address_line_1": "Enter address line 1, typically the building and street",
                "town": "Enter town or city",
                "postcode": "Enter postcode",
            },
        ),
        (
            "letter",
            {"address_line_1": "1 High St", "town": "Northtown", "postcode": "12345"},
            {"postcode": "Enter a real postcode, like SW1A 1AA"},
        ),
        (
            "letter",
            {
                "address_line_1": "1 High St",
                "address_line_2": "x" * 201,
                "town": "Northtown",
                "postcode": "AB1 2CD",
            },
            {"address_line_2": "Address line 2 must be 200 characters or fewer"},
        ),
    ],
)
def test_channel_details_errors(client, northshire, channel, data, errors):
    answer_up_to(client, "name")
    page(client, "contact", {"contact_preference": channel})
    slug, _title = CHANNEL_PAGES[channel]
    response = page(client, slug, data)
    for field, message in errors.items():
        assert_error(response, message, f"id_{field}")
    assert error_summary(response).count("<li>") == len(errors)
    # What was typed is shown again.
    for name, value in data.items():
        if value.strip():
            assert f'name="{name}" type=' in response.content.decode()
            assert f'value="{value}"' in response.content.decode()


@pytest.mark.parametrize(
    ("channel", "data", "stored"),
    [
        ("email", {"email": " ann@example.com "}, {"email": "ann@example.com"}),
        ("sms", {"phone": "07700 900 982"}, {"phone": "+447700900982"}),
        (
            "letter",
            {"address_line_1": "1 High Street", "town": "Northtown", "postcode": "ab12cd"},
            {"address_line_1": "1 High Street", "town": "Northtown", "postcode": "AB1 2CD"},
        ),
    ],
)
def test_channel_details_are_kept_normalised(client, northshire, channel, data, stored):
    answer_up_to(client, "name")
    page(client, "contact", {"contact_preference": channel})
    slug, _title = CHANNEL_PAGES[channel]
    response = page(client, slug, data)
    # Then the postal address, asked of everyone (for letter it was this page).
    after = "evidence" if slug == "contact-address" else "contact-address"
    assert response["Location"] == BASE + after + "/"
    answers = journey(client)["answers"]
    assert answers["contact"] == {"contact_preference": channel}
    assert answers[slug] == stored


def test_switching_channel_asks_for_the_new_details_and_keeps_the_postal_address(
    client, northshire
):
    answer_up_to(client, "evidence")

    response = page(client, "contact", {"contact_preference": "email"})

    assert response["Location"] == BASE + "contact-email/"
    assert "contact-address" in journey(client)["answers"]  # the badge is still posted there
    assert client.get(BASE + "check-answers/")["Location"] == BASE + "contact-email/"
    assert 'value=""' in client.get(BASE + "contact-email/").content.decode()
    response = page(client, "contact-email", {"email": "ann@example.com"})
    assert response["Location"] == BASE + "check-answers/"
    html = client.get(BASE + "check-answers/").content.decode()
    assert "ann@example.com" in html
    assert f'href="{BASE}contact-email/">Change' in html
    assert f'href="{BASE}contact-address/">Change' in html  # "Badge posted to"
    assert "1 High Street" in html

    client.post(BASE + "check-answers/")
    case = Case.objects.get()
    assert (case.contact_preference, case.email) == ("email", "ann@example.com")
    assert (case.address_line_1, case.postcode) == ("1 High Street", "AB1 2CD")


def test_keeping_the_same_channel_goes_back_to_check_answers_with_its_details(client, northshire):
    answer_up_to(client, "evidence")
    response = page(client, "contact", {"contact_preference": "letter"})
    assert response["Location"] == BASE + "check-answers/"
    assert "1 High Street" in client.get(BASE + "check-answers/").content.decode()
    # Changing only the details goes back to check answers too.
    response = page(
        client,
        "contact-address",
        {"address_line_1": "2 Low Road", "town": "Northtown", "postcode": "AB1 2CD"},
    )
    assert response["Location"] == BASE + "check-answers/"
    assert "2 Low Road" in client.get(BASE + "check-answers/").content.decode()


# --- Evidence ------------------------------------------------------------------------------


def journey(client) -> dict:
    return client.session["waymark_journey:blue_badge:northshire"]


@pytest.fixture
def at_evidence(client, northshire):
    answer_up_to(client, "contact-address")
    return client


def test_evidence_files_are_checked_by_content_and_stored_under_the_draft_folder(at_evidence):
    response = page(
        at_evidence,
        "evidence",
        {
            "action": "upload",
            "files": [upload("award.pdf", PDF), upload("scan.jpeg", JPEG), upload("IMG_1", PNG)],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == BASE + "evidence/"  # back to the page with the list
    files = journey(at_evidence)["files"]
    assert [(f["name"], f["content_type"]) for f in files] == [
        ("award.pdf", "application/pdf"),
        ("scan.jpeg", "image/jpeg"),
        ("IMG_1.png", "image/png"),  # the extension of what it is
    ]
    folder = "drafts/" + journey(at_evidence)["id"] + "/"
    assert all(f["path"].startswith(folder) and default_storage.exists(f["path"]) for f in files)
    html = at_evidence.get(BASE + "evidence/").content.decode()
    assert "You have uploaded 3 files" in html
    assert html.count('name="remove"') == 3


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("award.pdf", PNG),  # a PNG calling itself a PDF
        ("award.pdf", b"This is not really a PDF at all, just text."),
        ("notes.txt", b"plain text"),
        ("award.png", PDF),
        ("page.html", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_a_file_that_is_not_what_it_claims_or_not_pdf_jpg_png_is_refused(
    at_evidence, name, content
):
    response = page(at_evidence, "evidence", {"action": "upload", "files": upload(name, content)})
    assert_error(response, "The selected file must be a PDF, JPG or PNG", "id_files")
    assert journey(at_evidence)["files"] == []


def test_a_file_over_10mb_is_refused_and_one_of_exactly_10mb_is_accepted(at_evidence, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * MB
    too_big = upload("big.pdf", PDF + b"\x00" * (10 * MB + 1 - len(PDF)))
    response = page(at_evidence, "evidence", {"action": "upload", "files": too_big})
    assert_error(response, "The selected file must be smaller than 10MB", "id_files")
    assert journey(at_evidence)["files"] == []

    just_fits = upload("big.pdf", PDF + b"\x00" * (10 * MB - len(PDF)))
    assert (
        page(at_evidence, "evidence", {"action": "upload", "files": just_fits}).status_code == 302
    )
    assert [f["size"] for f in journey(at_evidence)["files"]] == [10 * MB]


def test_a_file_whose_name_disagrees_with_its_content_is_kept_under_what_it_is(at_evidence):
    """A PDF called page.html is accepted (its content is checked) but never kept, or
    downloaded later, as .html."""
    response = page(
        at_evidence, "evidence", {"action": "upload", "files": upload("page.html", PDF)}
    )
    assert response.status_code == 302
    (record,) = journey(at_evidence)["files"]
    assert (record["name"], record["content_type"]) == ("page.pdf", "application/pdf")
    assert record["path"].endswith(".pdf")


class CountingHandler:
    """Stands after the capped handler: counts the bytes of each file it is given."""

    received: dict[str, int] = {}

    def __new__(cls, request=None):
        from django.core.files.uploadhandler import MemoryFileUploadHandler

        class Counting(MemoryFileUploadHandler):
            def handle_raw_input(self, *args, **kwargs):
                super().handle_raw_input(*args, **kwargs)
                self.activated = True  # keep everything in memory, for the count

            def receive_data_chunk(self, raw_data, start):
                cls.received[self.file_name] = start + len(raw_data)
                return super().receive_data_chunk(raw_data, start)

        return Counting(request)


def test_a_file_over_10mb_stops_being_read_once_it_passes_the_limit(at_evidence, settings):
    settings.FILE_UPLOAD_HANDLERS = [
        "cases.portal.uploads.CappedUploadHandler",
        "tests.test_portal.test_apply.CountingHandler",
    ]
    CountingHandler.received.clear()
    huge = upload("huge.pdf", PDF + b"\x00" * (40 * MB))

    response = page(
        at_evidence, "evidence", {"action": "upload", "files": [huge, upload("ok.png", PNG)]}
    )

    assert_error(response, "huge.pdf must be smaller than 10MB", "id_files")
    assert CountingHandler.received["huge.pdf"] <= 10 * MB  # the other 30MB were skipped
    assert journey(at_evidence)["files"] == []


def test_a_request_too_big_for_any_page_is_refused_before_it_is_read(at_evidence):
    class Unreadable:
        def read(self, *args):
            raise AssertionError("the body was read")

        readline = read

    response = at_evidence.post(
        BASE + "evidence/",
        data=b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(151 * MB + 1),
        **{"wsgi.input": Unreadable()},
    )

    assert response.status_code == 413
    assert "The files you chose are too big" in response.text
    assert journey(at_evidence)["files"] == []


def test_the_journeys_pages_are_never_stored_by_a_browser_or_cache(at_evidence):
    response = at_evidence.get(BASE + "evidence/")
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_an_empty_file_is_refused(at_evidence):
    response = page(at_evidence, "evidence", {"action": "upload", "files": upload("a.png", b"")})
    assert_error(response, "The selected file is empty", "id_files")


def test_with_several_files_each_error_names_its_file_and_none_is_kept(at_evidence):
    response = page(
        at_evidence,
        "evidence",
        {
            "action": "upload",
            "files": [upload("good.png", PNG), upload("bad.txt", b"text"), upload("e.pdf", b"")],
        },
    )
    assert_error(response, "bad.txt must be a PDF, JPG or PNG", "id_files")
    assert "e.pdf is empty" in error_summary(response)
    assert journey(at_evidence)["files"] == []


def test_the_16th_file_is_refused(at_evidence):
    fifteen = [upload(f"page{n}.png", PNG) for n in range(15)]
    assert page(at_evidence, "evidence", {"action": "upload", "files": fifteen}).status_code == 302
    response = page(at_evidence, "evidence", {"action": "upload", "files": upload("16.png", PNG)})
    assert_error(response, "You can upload up to 15 files", "id_files")
    assert len(journey(at_evidence)["files"]) == 15


def test_sixteen_files_at_once_are_refused(at_evidence):
    sixteen = [upload(f"page{n}.png", PNG) for n in range(16)]
    response = page(at_evidence, "evidence", {"action": "upload", "files": sixteen})
    assert_error(response, "You can upload up to 15 files", "id_files")
    assert journey(at_evidence)["files"] == []


def test_upload_or_continue_without_any_file_asks_for_one(at_evidence):
    assert_error(
        page(at_evidence, "evidence", {"action": "upload"}), "Select a file to upload", "id_files"
    )
    assert_error(
        page(at_evidence, "evidence", {"action": "continue"}), "Select a file to upload", "id_files"
    )


def test_a_file_can_be_removed(at_evidence):
    page(
        at_evidence,
        "evidence",
        {"action": "upload", "files": [upload("a.png", PNG), upload("b.pdf", PDF)]},
    )
    first, second = journey(at_evidence)["files"]
    response = page(at_evidence, "evidence", {"remove": first["id"]})
    assert response.status_code == 302
    assert journey(at_evidence)["files"] == [second]
    assert not default_storage.exists(first["path"])


def test_removing_every_file_makes_the_evidence_page_unanswered_again(at_evidence):
    page(at_evidence, "evidence", {"action": "continue", "files": upload("a.png", PNG)})
    assert at_evidence.get(BASE + "check-answers/").status_code == 200
    page(at_evidence, "evidence", {"remove": journey(at_evidence)["files"][0]["id"]})
    assert at_evidence.get(BASE + "check-answers/")["Location"] == BASE + "evidence/"


# --- Check your answers and sending ---------------------------------------------------


def test_check_answers_shows_every_answer_with_a_change_link(client, northshire):
    answer_up_to(client, "evidence")
    response = client.get(BASE + "check-answers/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Personal Independence Payment (PIP) mobility award",
        "1 April 1950",
        "Ann Example",
        "Letter",
        "1 High Street",
        "AB1 2CD",
        "award.pdf",
        "Photo 1.PNG",
    ):
        assert text in html
    for slug in ("eligibility", "date-of-birth", "name", "contact", "contact-address", "evidence"):
        assert f'href="{BASE}{slug}/">Change' in html
    assert f'<a href="{BASE}evidence/" class="govuk-back-link' in html


def test_a_change_returns_to_check_answers(client, northshire):
    answer_up_to(client, "evidence")
    response = page(client, "date-of-birth", {"day": "2", "month": "5", "year": "1951"})
    assert response["Location"] == BASE + "check-answers/"
    assert "2 May 1951" in client.get(BASE + "check-answers/").content.decode()


def test_the_whole_journey_opens_one_case_with_its_evidence(client, northshire):
    answer_up_to(client, "evidence")
    draft_files = [f["path"] for f in journey(client)["files"]]

    response = client.post(BASE + "check-answers/")

    assert response.status_code == 302
    assert response["Location"] == BASE + "confirmation/"
    case = Case.objects.get()
    assert case.service == Service.BLUE_BADGE
    assert case.organisation == northshire
    assert case.answers == {"eligibility": "pip", "date_of_birth": "1950-04-01"}
    assert (case.applicant_name, case.contact_preference) == ("Ann Example", "letter")
    assert (case.address_line_1, case.town, case.postcode) == (
        "1 High Street",
        "Northtown",
        "AB1 2CD",
    )
    assert case.email == case.phone == ""
    assert case.language == "en"
    evidence = list(Evidence.objects.filter(case=case).order_by("id"))
    assert [(e.original_name, e.content_type, e.size) for e in evidence] == [
        ("award.pdf", "application/pdf", len(PDF)),
        ("Photo 1.PNG", "image/png", len(PNG)),
    ]
    for item, content in zip(evidence, (PDF, PNG), strict=True):
        assert item.file.name.startswith("evidence/")
        assert item.file.read() == content
    assert not any(default_storage.exists(path) for path in draft_files)
    notifications = Notification.objects.filter(case=case)
    assert [n.event for n in notifications] == ["application_received"]

    confirmation = client.get(response["Location"])
    html = confirmation.content.decode()
    assert "govuk-panel--confirmation" in html
    assert case.reference in html
    assert f'href="/track/{case.process_id}/"' in html
    timeline = client.get(f"/track/{case.process_id}/")
    assert timeline.status_code == 200
    assert case.reference in timeline.content.decode()


def test_sending_twice_does_not_open_a_second_case(client, northshire):
    answer_up_to(client, "evidence")
    client.post(BASE + "check-answers/")
    again = client.post(BASE + "check-answers/")
    assert again["Location"] == BASE + "eligibility/"
    assert Case.objects.count() == 1


def test_the_confirmation_page_needs_the_browser_that_applied(client, northshire):
    answer_up_to(client, "evidence")
    client.post(BASE + "check-answers/")
    assert Client().get(BASE + "confirmation/")["Location"] == "/"


def test_welsh_applicants_get_a_welsh_case(client, northshire):
    client.cookies["waymark_language"] = "cy"
    answer_up_to(client, "evidence")
    client.post(BASE + "check-answers/")
    assert Case.objects.get().language == "cy"


@pytest.mark.parametrize(
    ("key", "slug", "anchor"),
    [
        ("answers.date_of_birth", "date-of-birth", "date-of-birth-day"),
        ("applicant_name", "name", "id_applicant_name"),
        ("postcode", "contact-address", "id_postcode"),
        ("contact_preference", "contact", "id_contact_preference"),
    ],
)
def test_errors_found_when_sending_are_shown_on_their_page(
    client, northshire, monkeypatch, key, slug, anchor
):
    def refuse(**kwargs):
        raise CaseValidationError({key: ["That is not right"]})

    monkeypatch.setattr("cases.portal.drafts.case_create", refuse)
    answer_up_to(client, "evidence")
    response = client.post(BASE + "check-answers/")
    assert response["Location"] == BASE + slug + "/"
    shown = client.get(BASE + slug + "/")
    assert f'<a href="#{anchor}">That is not right</a>' in error_summary(shown)
    assert Case.objects.count() == 0
    assert Evidence.objects.count() == 0


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (CaseValidationError({"service": ["Not offered here"]}), "Not offered here"),
        (CaseConflict("Could not allocate a reference number"), "Could not allocate"),
    ],
)
def test_an_error_no_page_asks_for_is_shown_on_check_answers(
    client, northshire, monkeypatch, error, message
):
    def refuse(**kwargs):
        raise error

    monkeypatch.setattr("cases.portal.drafts.case_create", refuse)
    answer_up_to(client, "evidence")
    response = client.post(BASE + "check-answers/")
    assert response.status_code == 400
    assert message in error_summary(response)
    assert Case.objects.count() == 0


# --- Save and come back later ---------------------------------------------------------


def resume_link(response) -> str:
    match = re.search(
        r'href="http://testserver(/apply/resume/[0-9a-f-]+/)"', response.content.decode()
    )
    assert match, "no resume link"
    return match.group(1)


def test_save_and_come_back_later_restores_the_answers_in_a_new_browser(client, northshire):
    answer_up_to(client, "date-of-birth")
    response = page(client, "name", {"applicant_name": "Ann Example", "action": "save"})
    assert response["Location"] == BASE + "saved/"
    saved = client.get(BASE + "saved/")
    link = resume_link(saved)

    draft = Draft.objects.get()
    assert link == f"/apply/resume/{draft.token}/"
    assert draft.service == Service.BLUE_BADGE
    assert draft.organisation == northshire
    assert draft.answers["answers"]["name"] == {"applicant_name": "Ann Example"}
    assert timedelta(days=29) < draft.expires_at - timezone.now() <= timedelta(days=30)

    other = Client()
    response = other.get(link)
    assert response.status_code == 302
    assert response["Location"] == BASE + "contact/"  # the first unanswered page
    html = other.get(BASE + "eligibility/").content.decode()
    assert 'value="pip" checked' in html


def test_a_draft_saved_after_choosing_a_channel_resumes_at_its_details_page(client, northshire):
    answer_up_to(client, "name")
    response = page(client, "contact", {"contact_preference": "sms", "action": "save"})
    assert response["Location"] == BASE + "saved/"
    other = Client()
    assert other.get(resume_link(client.get(BASE + "saved/")))["Location"] == (
        BASE + "contact-mobile/"
    )
    assert other.get(BASE + "contact-address/")["Location"] == BASE + "contact-mobile/"
    assert page(other, "contact-mobile", {"phone": "07700900982"})["Location"] == (
        BASE + "contact-address/"
    )


def test_a_page_with_a_problem_is_left_out_of_the_draft(client, northshire):
    answer_up_to(client, "eligibility")
    response = page(
        client, "date-of-birth", {"day": "40", "month": "1", "year": "1950", "action": "save"}
    )
    assert response["Location"] == BASE + "saved/"
    assert set(Draft.objects.get().answers["answers"]) == {"eligibility"}


def test_a_drafts_evidence_is_kept_and_comes_back(client, northshire):
    answer_up_to(client, "contact-address")
    response = page(client, "evidence", {"action": "save", "files": upload("award.pdf", PDF)})
    assert response["Location"] == BASE + "saved/"
    draft = Draft.objects.get()
    [record] = draft.answers["files"]
    assert record["path"].startswith(f"drafts/{draft.token.hex}/")
    assert default_storage.exists(record["path"])

    other = Client()
    assert other.get(f"/apply/resume/{draft.token}/")["Location"] == BASE + "evidence/"
    assert "award.pdf" in other.get(BASE + "evidence/").content.decode()
    page(other, "evidence", {"action": "continue"})
    other.post(BASE + "check-answers/")
    assert Evidence.objects.get().original_name == "award.pdf"
    assert not Draft.objects.exists()  # sent: the link no longer works
    assert other.get(f"/apply/resume/{draft.token}/").status_code == 404


def test_saving_again_updates_the_same_draft(client, northshire):
    page(client, "eligibility", {"eligibility": "pip", "action": "save"})
    page(client, "eligibility", {"eligibility": "arms", "action": "save"})
    draft = Draft.objects.get()
    assert draft.answers["answers"]["eligibility"] == {"eligibility": "arms"}


def test_an_expired_or_unknown_link_says_it_has_expired_with_404(client, northshire):
    page(client, "eligibility", {"eligibility": "pip", "action": "save"})
    draft = Draft.objects.get()
    Draft.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    for token in (draft.token, "8f14e45f-ceea-467f-a9a5-8f1bfa0a6b2c"):
        response = Client().get(f"/apply/resume/{token}/")
        assert response.status_code == 404
        assert "This link has expired" in response.content.decode()
    assert client.get(BASE + "saved/")["Location"] == BASE


def test_expired_drafts_are_deleted_with_their_files(client, northshire):
    from cases.portal.drafts import drafts_delete_expired

    answer_up_to(client, "contact-address")
    page(client, "evidence", {"action": "save", "files": upload("a.png", PNG)})
    path = Draft.objects.get().answers["files"][0]["path"]
    assert drafts_delete_expired() == 0
    assert drafts_delete_expired(timezone.now() + timedelta(days=31)) == 1
    assert not Draft.objects.exists()
    assert not default_storage.exists(path)


def test_files_gone_from_storage_are_asked_for_again(client, northshire):
    answer_up_to(client, "evidence")
    for record in journey(client)["files"]:
        default_storage.delete(record["path"])
    assert client.post(BASE + "check-answers/")["Location"] == BASE + "evidence/"
    assert not Case.objects.exists()
