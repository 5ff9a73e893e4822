"""A report made through Open311 is a street report like any other: on its reporter's
timeline and the caseworkers' case page by the same process ID, its photos checked as the
portal checks them and served to Open311 clients only by a signed link that expires."""

import time
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import links
from cases.models import AccessLog, Case, Evidence
from cases.portal.uploads import MAX_FILE_BYTES
from tests.factories import caseworker, new_case
from tests.test_open311.conftest import BASE, FMS_REPORT, PNG, fms, png, post

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def made(client, data) -> Case:
    response = post(client, data)
    assert response.status_code == 200, response.content
    return Case.objects.get(process_id=fms(response.content)["request"][0]["service_request_id"])


def test_the_reporter_finds_it_on_their_timeline(client, key):
    case = made(client, {**FMS_REPORT, "api_key": key, "photo1": png()})
    found = client.post(
        "/track/", {"reference": case.reference, "postcode_or_email": "sam@example.com"}
    )
    assert found["Location"] == f"/track/{case.process_id}/"
    timeline = client.get(found["Location"]).text
    assert case.reference in timeline
    assert "We received your report" in timeline
    assert "3 Mill Lane, Northtown" in timeline
    assert "hole.png" in timeline  # their photo, shown back to them


def test_caseworkers_find_it_on_the_case_page(client, key, north):
    case = made(client, {**FMS_REPORT, "api_key": key, "photo1": png()})
    client.force_login(caseworker(north))
    page = client.get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200
    assert case.reference in page.text
    assert "hole.png" in page.text
    listing = client.get("/admin/cases/case/", {"q": case.process_id})
    assert case.reference in listing.text


def test_a_photo_becomes_the_reports_evidence_and_its_link_serves_it(client, key):
    case = made(client, {**FMS_REPORT, "api_key": key, "photo1": png()})
    (photo,) = Evidence.objects.filter(case=case)
    assert (photo.content_type, photo.original_name, photo.size) == (
        "image/png",
        "hole.png",
        len(PNG),
    )

    (request,) = client.get(f"{BASE}/requests/{case.process_id}.json").json()
    link = request["media_url"]
    assert link.startswith("http://localhost:8000/open311/v2/media/")
    served = client.get(link.removeprefix("http://localhost:8000"))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["Content-Disposition"].startswith("inline")
    assert b"".join(served.streaming_content) == PNG
    assert AccessLog.objects.filter(case=case, action="downloaded").count() == 1


def test_an_expired_or_tampered_photo_link_is_refused(client, key):
    case = made(client, {**FMS_REPORT, "api_key": key, "photo1": png()})
    (request,) = client.get(f"{BASE}/requests/{case.process_id}.json").json()
    path = request["media_url"].removeprefix("http://localhost:8000")
    tampered = path[:-2] + ("aa" if not path.endswith("aa") else "bb")
    other_file = path.replace(f"/media/{case.evidence.get().pk}.", "/media/999999.")
    for refused in (tampered, other_file, f"{BASE}/media/nonsense", f"{BASE}/media/1.x.y"):
        response = client.get(refused)
        assert response.status_code == 404, refused
        assert fms(response.content)["error"][0]["code"] == "404"
    later = time.time() + links.MEDIA_MAX_AGE + 1
    with mock.patch("cases.links.time.time", return_value=later):
        assert client.get(path).status_code == 404
    assert not AccessLog.objects.filter(action="downloaded").exists()


def test_a_signed_link_to_anything_but_a_street_reports_photo_serves_nothing(client, north):
    application = new_case(north)  # a Blue Badge application's evidence
    evidence = Evidence.objects.create(
        case=application,
        file=SimpleUploadedFile("letter.png", PNG),
        original_name="letter.png",
        content_type="image/png",
        size=len(PNG),
    )
    path = links.media_link(evidence).removeprefix("http://localhost:8000")
    assert client.get(path).status_code == 404


def test_photos_keep_their_order_and_other_files_may_be_documents(client, key):
    case = made(
        client,
        {
            **FMS_REPORT,
            "api_key": key,
            "photo2": SimpleUploadedFile("second.jpg", JPEG),
            "photo1": png("first.png"),
            "file_1": SimpleUploadedFile("report.pdf", PDF),
        },
    )
    names = list(Evidence.objects.filter(case=case).values_list("original_name", "content_type"))
    assert names == [
        ("first.png", "image/png"),
        ("second.jpg", "image/jpeg"),
        ("report.pdf", "application/pdf"),
    ]


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("hole.png", PDF), "photo: The selected file must be a JPG or PNG"),
        (SimpleUploadedFile("hole.pdf", PNG), "photo: The selected file must be a JPG or PNG"),
        (SimpleUploadedFile("hole.png", b""), "photo: The selected file is empty"),
        (
            SimpleUploadedFile("hole.png", PNG + b"\x00" * MAX_FILE_BYTES),
            "photo, file: The selected file must be smaller than 10MB",
        ),
    ],
)
def test_a_photo_is_checked_as_the_portal_checks_one(client, key, upload, message, settings):
    response = post(client, {**FMS_REPORT, "api_key": key, "photo1": upload})
    assert response.status_code == 400
    assert [e["description"] for e in fms(response.content)["error"]] == [message]
    assert not Case.objects.exists()
    assert not [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]


def test_a_file_that_is_not_a_pdf_jpg_or_png_is_refused(client, key):
    upload = SimpleUploadedFile("notes.txt", b"just words")
    response = post(client, {**FMS_REPORT, "api_key": key, "file_notes": upload}, "json")
    assert response.json() == [
        {"code": 400, "description": "file: The selected file must be a PDF, JPG or PNG"}
    ]
