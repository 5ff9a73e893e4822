"""Send more evidence: from the timeline's call to action, files checked by content, the
case moved on as the citizen, all or nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import CaseEvent, Evidence
from cases.services import Actor, case_transition
from tests.factories import council, new_case

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@pytest.fixture
def asked(client, admin_user):
    case = new_case(council())
    case_transition(
        case=case,
        transition="request_evidence",
        actor=Actor.caseworker(admin_user),
        message="Please send your award letter",
    )
    client.post("/track/", {"reference": case.reference, "postcode_or_email": "AB1 2CD"})
    return case


def url(case):
    return f"/track/{case.process_id}/evidence/"


def test_the_timeline_links_to_the_page_and_the_upload_moves_the_case_on(client, asked):
    timeline = client.get(f"/track/{asked.process_id}/")
    assert f'href="{url(asked)}"' in timeline.text

    response = client.post(
        url(asked),
        {
            "files": [
                SimpleUploadedFile("letter.png", PNG, content_type="image/png"),
                SimpleUploadedFile("scan.png", PNG, content_type="image/png"),
            ]
        },
    )

    assert response.status_code == 302
    asked.refresh_from_db()
    assert asked.state == "evidence_received"
    assert sorted(Evidence.objects.filter(case=asked).values_list("original_name", flat=True)) == [
        "letter.png",
        "scan.png",
    ]
    event = CaseEvent.objects.get(case=asked, transition="receive_evidence")
    assert event.actor_kind == "citizen"
    assert "We have your evidence" in client.get(response["Location"]).text


def test_a_file_that_is_not_a_pdf_jpg_or_png_is_refused_and_nothing_changes(client, asked):
    response = client.post(
        url(asked),
        {"files": [SimpleUploadedFile("letter.pdf", b"just text", content_type="application/pdf")]},
    )
    assert response.status_code == 400
    assert "The selected file must be a PDF, JPG or PNG" in response.text
    assert response.content.decode().count("govuk-error-summary") >= 1
    asked.refresh_from_db()
    assert asked.state == "evidence_requested"
    assert not Evidence.objects.filter(case=asked).exists()


def test_no_file_chosen_is_an_error(client, asked):
    response = client.post(url(asked), {})
    assert "Select a file to upload" in response.text


def test_the_page_is_only_there_when_evidence_was_asked_for(client, admin_user):
    case = new_case(council())
    client.post("/track/", {"reference": case.reference, "postcode_or_email": "AB1 2CD"})
    assert client.get(url(case))["Location"] == f"/track/{case.process_id}/"
    stranger = client.__class__()
    assert stranger.get(url(case))["Location"] == "/track/"
