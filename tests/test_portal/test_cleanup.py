"""The daily clean-up of the portal's unfinished journeys: expired drafts with their files,
and the upload folders of journeys left in a browser for more than 2 days."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django.utils.module_loading import import_string

from cases.models import Draft
from cases.tasks import delete_expired_drafts
from config.schedules import JOBS
from tests.factories import council

APPLY = "/apply/northshire/blue-badge/"
REPORT = "/report/northshire/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64
LATER = {"hours": timedelta(hours=47), "days": timedelta(days=2, minutes=1)}


@pytest.fixture
def northshire(db):
    return council(slug="northshire", name="Northshire Council")


def photo(name="a.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def report_with_a_photo(client: Client) -> str:
    """A street report left in the browser after its photo page; the photo's path."""
    client.post(REPORT + "what/", {"issue_type": "pothole"})
    client.post(REPORT + "where/", {"location": "Mill Lane"})
    response = client.post(REPORT + "photo/", {"action": "upload", "files": photo()})
    assert response.status_code == 302
    [record] = client.session["waymark_journey:street_report:northshire"]["files"]
    return record["path"]


def draft_with_a_file(client: Client) -> tuple[Draft, str]:
    """A Blue Badge application saved on its evidence page, with one file."""
    client.post(APPLY + "eligibility/", {"eligibility": "pip"})
    client.post(APPLY + "date-of-birth/", {"day": "1", "month": "4", "year": "1950"})
    client.post(APPLY + "name/", {"applicant_name": "Ann Example"})
    client.post(APPLY + "contact/", {"contact_preference": "email"})
    client.post(APPLY + "contact-email/", {"email": "ann@example.com"})
    address = {"address_line_1": "1 High Street", "town": "Northtown", "postcode": "AB1 2CD"}
    client.post(APPLY + "contact-address/", address)
    response = client.post(APPLY + "evidence/", {"action": "save", "files": photo()})
    assert response["Location"] == APPLY + "saved/"
    draft = Draft.objects.get(
        token=client.session["waymark_journey:blue_badge:northshire"]["draft"]
    )
    return draft, draft.answers["files"][0]["path"]


def folder(path: str) -> str:
    return default_storage.path(path.rsplit("/", 1)[0])


def test_the_clean_up_is_scheduled_daily():
    [job] = [job for job in JOBS if job.func == "cases.tasks.delete_expired_drafts"]
    assert job.minutes == 1440
    assert import_string(job.func) is delete_expired_drafts


def test_expired_drafts_are_deleted_with_their_files_and_others_kept(northshire):
    _expired, expired_path = draft_with_a_file(Client())
    Draft.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    kept, kept_path = draft_with_a_file(Client())

    assert delete_expired_drafts() == {"drafts": 1, "upload_folders": 0}

    assert list(Draft.objects.all()) == [kept]
    assert not default_storage.exists(expired_path)
    assert default_storage.exists(kept_path)


def test_a_drafts_files_stay_while_the_draft_does_however_old(northshire):
    _draft, path = draft_with_a_file(Client())
    later = timezone.now() + timedelta(days=29)
    assert delete_expired_drafts(later) == {"drafts": 0, "upload_folders": 0}
    assert default_storage.exists(path)
    # Once it has expired, the draft goes with its files and their folder.
    assert delete_expired_drafts(later + timedelta(days=2)) == {"drafts": 1, "upload_folders": 1}
    assert not default_storage.exists(path)
    assert not os.path.exists(folder(path))


def test_a_journey_left_in_the_browser_loses_its_uploads_after_2_days(client, northshire):
    path = report_with_a_photo(client)

    assert delete_expired_drafts(timezone.now() + LATER["hours"])["upload_folders"] == 0
    assert default_storage.exists(path)

    assert delete_expired_drafts(timezone.now() + LATER["days"])["upload_folders"] == 1
    assert not default_storage.exists(path)
    assert not os.path.exists(folder(path))
    # Back in the browser, the journey asks for the photo again rather than failing.
    client.post(REPORT + "photo/", {"action": "continue"})
    client.post(REPORT + "name/", {"applicant_name": "Sam Reporter"})
    client.post(REPORT + "contact/", {"contact_preference": "none"})
    assert client.get(REPORT + "check-answers/").status_code == 200
    assert "No photo" in client.get(REPORT + "check-answers/").text


def test_a_folder_with_a_recent_upload_is_kept(client, northshire):
    path = report_with_a_photo(client)
    old = (timezone.now() - timedelta(days=3)).timestamp()
    os.utime(default_storage.path(path), (old, old))
    recent = default_storage.save(path.rsplit("/", 1)[0] + "/recent.png", photo())

    assert delete_expired_drafts()["upload_folders"] == 0
    assert default_storage.exists(path)
    assert default_storage.exists(recent)


def test_a_sent_journeys_empty_folder_goes_and_other_folders_are_left(client, northshire):
    path = report_with_a_photo(client)
    client.post(REPORT + "photo/", {"action": "continue"})
    client.post(REPORT + "name/", {"applicant_name": "Sam Reporter"})
    client.post(REPORT + "contact/", {"contact_preference": "none"})
    client.post(REPORT + "check-answers/")
    assert not default_storage.exists(path)
    assert os.path.isdir(folder(path))
    not_a_journey = default_storage.save("drafts/README/notes.txt", photo())

    assert delete_expired_drafts(timezone.now() + LATER["days"])["upload_folders"] == 1

    assert not os.path.exists(folder(path))
    assert default_storage.exists(not_a_journey)


def test_nothing_uploaded_yet_is_nothing_to_do(db):
    assert delete_expired_drafts() == {"drafts": 0, "upload_folders": 0}
