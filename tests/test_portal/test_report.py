"""Report a street problem: each page's errors, the optional photo, the contact pages
("Do not contact me" asks nothing more), and the happy path to a case the browser can
follow."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Case, Evidence, Service, ServiceConfig
from cases.portal import report
from cases.workflows.street_report import StreetReportAnswers
from notify.models import Notification
from tests.factories import council

BASE = "/report/northshire/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64
JPEG = b"\xff\xd8\xff\xe1\x00\x18Exif\x00\x00" + b"\x02" * 64
PDF = b"%PDF-1.4\n%%EOF\n"
MB = 1024 * 1024


@pytest.fixture
def northshire(db):
    return council(slug="northshire", name="Northshire Council")


def post(client, slug, data):
    return client.post(f"{BASE}{slug}/", data)


def answer_up_to(client, last: str, contact=None) -> None:
    posts = [
        ("what", {"issue_type": "pothole"}),
        (
            "where",
            {"location": "Outside 3 Mill Lane,\n by the  bus stop", "location_postcode": "ab1 2cd"},
        ),
        ("photo", {"action": "continue", "files": SimpleUploadedFile("pothole.jpg", JPEG)}),
        ("name", {"applicant_name": "Sam Reporter"}),
        ("contact", contact or {"contact_preference": "none"}),
    ]
    for slug, data in posts:
        response = post(client, slug, data)
        assert response.status_code == 302, (slug, response.content.decode()[:2000])
        if slug == last:
            return


def assert_error(response, message: str, anchor: str) -> None:
    html = response.content.decode()
    assert response.status_code == 400
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S).group(0)
    assert f'<a href="#{anchor}">{message}</a>' in summary
    assert re.search(
        r'<span class="govuk-visually-hidden">Error:</span> ' + re.escape(message), html
    )
    assert re.search(r"<title>\s*Error: ", html)


def test_issue_types_cover_the_workflow():
    assert set(report.ISSUE_LABELS) == {key for key, _label in StreetReportAnswers.ISSUE_TYPES}


def test_start_page_and_404_when_the_council_does_not_offer_reports(client, northshire):
    response = client.get(BASE)
    assert response.status_code == 200
    assert f'href="{BASE}what/"' in response.content.decode()
    ServiceConfig.objects.filter(service=Service.STREET_REPORT).update(enabled=False)
    assert client.get(BASE).status_code == 404
    assert client.get(BASE + "what/").status_code == 404


def test_what_kind_must_be_chosen(client, northshire):
    html = client.get(BASE + "what/").content.decode()
    assert 'value="pothole"' in html
    assert "Save and come back later" not in html
    assert_error(
        post(client, "what", {}), "Select what kind of problem you are reporting", "id_issue_type"
    )


@pytest.mark.parametrize(
    ("data", "message", "anchor"),
    [
        ({"location": "  "}, "Enter where the problem is", "id_location"),
        (
            {"location": "x" * 501},
            "Where the problem is must be 500 characters or fewer",
            "id_location",
        ),
        (
            {"location": "Mill Lane", "location_postcode": "not a postcode"},
            "Enter a real postcode, like SW1A 1AA",
            "id_location_postcode",
        ),
    ],
)
def test_where_errors(client, northshire, data, message, anchor):
    answer_up_to(client, "what")
    assert_error(post(client, "where", data), message, anchor)


def test_the_postcode_is_optional(client, northshire):
    answer_up_to(client, "what")
    assert post(client, "where", {"location": "Mill Lane"})["Location"] == BASE + "photo/"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("scan.pdf", PDF, "The selected file must be a JPG or PNG"),
        ("photo.jpg", b"GIF89a not a jpeg", "The selected file must be a JPG or PNG"),
        ("photo.jpg", PNG, "The selected file must be a JPG or PNG"),
        ("photo.png", PNG + b"\x00" * (10 * MB), "The selected file must be smaller than 10MB"),
    ],
)
def test_the_photo_must_be_a_jpg_or_png_under_10mb(client, northshire, name, content, message):
    answer_up_to(client, "where")
    response = post(
        client, "photo", {"action": "continue", "files": SimpleUploadedFile(name, content)}
    )
    assert_error(response, message, "id_files")


def test_the_photo_is_optional_and_only_one(client, northshire):
    answer_up_to(client, "where")
    assert post(client, "photo", {"action": "continue"})["Location"] == BASE + "name/"
    post(client, "photo", {"action": "continue", "files": SimpleUploadedFile("a.png", PNG)})
    response = post(
        client, "photo", {"action": "continue", "files": SimpleUploadedFile("b.png", PNG)}
    )
    assert_error(response, "You can only upload 1 photo. Remove it to choose another", "id_files")


def test_reports_offer_do_not_contact_me_which_asks_nothing_more(client, northshire):
    answer_up_to(client, "name")
    html = client.get(BASE + "contact/").content.decode()
    assert 'type="radio" value="none"' in html
    assert "Do not contact me" in html
    assert "govuk-radios__conditional" not in html
    assert 'name="phone"' not in html

    response = post(client, "contact", {"contact_preference": "none"})

    assert response["Location"] == BASE + "check-answers/"
    check = client.get(BASE + "check-answers/").content.decode()
    assert f'<a href="{BASE}contact/" class="govuk-back-link' in check
    assert f'href="{BASE}contact/">Change' in check
    for slug in ("contact-email", "contact-mobile", "contact-address"):
        assert f"{BASE}{slug}/" not in check
        assert client.get(f"{BASE}{slug}/")["Location"] == BASE + "check-answers/"


def test_text_messages_ask_for_a_mobile_number_on_the_next_page(client, northshire):
    answer_up_to(client, "name")
    response = post(client, "contact", {"contact_preference": "sms"})
    assert response["Location"] == BASE + "contact-mobile/"
    assert "What is your mobile phone number?" in client.get(response["Location"]).text
    assert_error(
        post(client, "contact-mobile", {"phone": ""}), "Enter a mobile phone number", "id_phone"
    )
    assert client.get(BASE + "check-answers/")["Location"] == BASE + "contact-mobile/"


def test_switching_to_do_not_contact_me_forgets_the_number(client, northshire):
    answer_up_to(client, "name")
    post(client, "contact", {"contact_preference": "sms"})
    post(client, "contact-mobile", {"phone": "07700 900982"})
    assert post(client, "contact", {"contact_preference": "none"})["Location"] == (
        BASE + "check-answers/"
    )
    assert "07700" not in client.get(BASE + "check-answers/").text
    assert (
        "contact-mobile"
        not in client.session["waymark_journey:street_report:northshire"]["answers"]
    )
    client.post(BASE + "check-answers/")
    case = Case.objects.get()
    assert (case.contact_preference, case.phone) == ("none", "")


def test_a_report_opens_a_case_with_its_photo_and_the_browser_can_follow_it(client, northshire):
    answer_up_to(client, "contact")
    check = client.get(BASE + "check-answers/").content.decode()
    for text in (
        "Pothole",
        "Outside 3 Mill Lane, by the bus stop",
        "AB1 2CD",
        "pothole.jpg",
        "Sam Reporter",
        "Do not contact me",
    ):
        assert text in check

    response = client.post(BASE + "check-answers/")

    assert response["Location"] == BASE + "confirmation/"
    case = Case.objects.get()
    assert case.service == Service.STREET_REPORT
    assert case.answers == {
        "issue_type": "pothole",
        "location": "Outside 3 Mill Lane, by the bus stop",
        "location_postcode": "AB1 2CD",
    }
    assert (case.applicant_name, case.contact_preference) == ("Sam Reporter", "none")
    photo = Evidence.objects.get(case=case)
    assert (photo.original_name, photo.content_type) == ("pothole.jpg", "image/jpeg")
    assert not Notification.objects.filter(case=case).exists()  # asked not to be contacted
    html = client.get(response["Location"]).content.decode()
    assert "govuk-panel--confirmation" in html
    assert case.reference in html
    assert client.get(f"/track/{case.process_id}/").status_code == 200


def test_a_report_by_text_message_without_a_photo(client, northshire):
    answer_up_to(client, "where")
    post(client, "photo", {"action": "continue"})
    post(client, "name", {"applicant_name": "Sam Reporter"})
    post(client, "contact", {"contact_preference": "sms"})
    post(client, "contact-mobile", {"phone": "07700 900982"})
    check = client.get(BASE + "check-answers/").content.decode()
    assert "No photo" in check
    assert "+447700900982" in check
    assert f'href="{BASE}contact-mobile/">Change' in check
    assert f'<a href="{BASE}contact-mobile/" class="govuk-back-link' in check
    client.post(BASE + "check-answers/")
    case = Case.objects.get()
    assert (case.contact_preference, case.phone) == ("sms", "+447700900982")
    assert not Evidence.objects.exists()
    assert [n.event for n in Notification.objects.filter(case=case)] == ["report_received"]
