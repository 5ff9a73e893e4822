"""Caseworkers see a case's evidence on its page and download it; nobody else can."""

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import reverse

from cases.links import signed_link
from cases.models import Evidence, Role
from tests.factories import UserFactory, caseworker, council, new_case

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture
def north():
    return council(slug="north", name="North")


@pytest.fixture
def evidence(north):
    item = Evidence(
        case=new_case(north),
        original_name="Award letter (PIP).pdf",
        content_type="application/pdf",
        size=len(PDF),
    )
    item.file.save("0a1b2c.pdf", ContentFile(PDF), save=False)
    item.save()
    return item


def download_url(item) -> str:
    return reverse("admin:cases_evidence_download", args=[item.pk])


def test_the_download_is_an_admin_page():
    assert download_url(Evidence(pk=7)) == "/admin/cases/case/evidence/7/download/"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EDITOR, Role.READ_ONLY])
def test_a_member_of_the_council_downloads_its_evidence(client, north, evidence, role):
    client.force_login(caseworker(north, role=role))

    response = client.get(download_url(evidence))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Award letter (PIP).pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_the_type_is_the_one_stored_not_guessed_from_the_name(client, north, evidence):
    Evidence.objects.filter(pk=evidence.pk).update(original_name="IMG_0042")
    client.force_login(caseworker(north))
    response = client.get(download_url(evidence))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="IMG_0042.pdf"'


def test_the_download_is_named_for_what_the_file_is_not_what_it_was_called(client, north, evidence):
    Evidence.objects.filter(pk=evidence.pk).update(original_name="x.html")
    client.force_login(caseworker(north))
    response = client.get(download_url(evidence))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="x.pdf"'


def test_the_file_is_never_sniffed_even_without_the_sites_nosniff_setting(
    client, north, evidence, settings
):
    settings.SECURE_CONTENT_TYPE_NOSNIFF = False  # SecurityMiddleware's header, turned off
    client.force_login(caseworker(north))
    assert client.get(download_url(evidence))["X-Content-Type-Options"] == "nosniff"


def test_a_national_administrator_downloads_any_councils_evidence(client, evidence):
    client.force_login(UserFactory(is_superuser=True))
    response = client.get(download_url(evidence))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


def test_another_councils_caseworker_gets_404(client, evidence):
    south = council(slug="south", name="South")
    client.force_login(caseworker(south, role=Role.ADMIN))
    assert client.get(download_url(evidence)).status_code == 404


def test_staff_of_no_council_get_404(client, evidence):
    client.force_login(UserFactory())
    assert client.get(download_url(evidence)).status_code == 404


def test_an_unknown_file_or_one_gone_from_storage_gives_404(client, north, evidence):
    client.force_login(caseworker(north))
    assert client.get(download_url(Evidence(pk=evidence.pk + 1))).status_code == 404
    evidence.file.delete(save=False)
    assert client.get(download_url(evidence)).status_code == 404


def test_anonymous_users_are_sent_to_the_admin_sign_in(client, evidence):
    url = download_url(evidence)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={url}"


def test_a_citizen_who_is_not_staff_is_sent_to_the_sign_in_too(client, north, evidence):
    client.force_login(caseworker(north, is_staff=False))
    assert client.get(download_url(evidence))["Location"].startswith("/admin/login/")


def test_only_get_downloads(client, north, evidence):
    client.force_login(caseworker(north))
    assert client.post(download_url(evidence)).status_code == 405


def test_the_case_page_lists_the_evidence_with_a_download_link(client, north, evidence):
    client.force_login(caseworker(north, role=Role.READ_ONLY))

    html = client.get(f"/admin/cases/case/{evidence.case.pk}/change/").text

    inline = html.split('id="evidence-group"')[1].split("</fieldset>")[0]
    for column in ("File name", "Type", "Size", "Uploaded", "Download"):
        assert f'">{column}' in inline
    for value in ("Award letter (PIP).pdf", ">PDF<", f">{len(PDF)}\xa0bytes<"):
        assert value in inline
    assert f'<a href="{download_url(evidence)}">Download' in inline
    # Read-only: no box to change, no file to upload, nothing to delete.
    assert 'name="evidence-0-original_name"' not in inline
    assert 'name="evidence-0-DELETE"' not in inline
    assert 'type="file"' not in inline


def test_each_download_is_logged_with_who_and_when(client, north, evidence):
    from cases.models import AccessLog

    user = caseworker(north, role=Role.READ_ONLY)
    client.force_login(user)
    b"".join(client.get(download_url(evidence)).streaming_content)
    client.force_login(caseworker(council(slug="south")))
    client.get(download_url(evidence))  # refused: not logged as a download

    logged = AccessLog.objects.filter(case=evidence.case, action="downloaded")
    assert list(logged.values_list("user", flat=True)) == [user.pk]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def test_a_photo_is_shown_on_the_case_page_and_a_pdf_is_a_link(client, north, evidence):
    photo = Evidence(
        case=evidence.case, original_name="pothole.png", content_type="image/png", size=len(PNG)
    )
    photo.file.save("p.png", ContentFile(PNG), save=False)
    photo.save()
    client.force_login(caseworker(north))

    page = client.get(f"/admin/cases/case/{evidence.case_id}/change/").text
    shown = client.get(download_url(photo) + "?inline=1")
    pdf_inline = client.get(download_url(evidence) + "?inline=1")

    assert f'src="{download_url(photo)}?inline=1" alt="The photo pothole.png"' in page
    assert f'src="{download_url(evidence)}?inline=1"' not in page
    assert shown["Content-Disposition"].startswith("inline")
    assert shown["Content-Type"] == "image/png"
    assert pdf_inline["Content-Disposition"].startswith("attachment")  # a PDF never inline


@pytest.mark.parametrize("where", ["admin", "portal"])
def test_a_name_with_a_control_character_still_downloads(client, north, evidence, where):
    # A header cannot hold one: the name is written with underscores instead.
    Evidence.objects.filter(pk=evidence.pk).update(original_name="Award\nletter\x07.pdf")
    case = evidence.case
    if where == "admin":
        client.force_login(caseworker(north))
        url = download_url(evidence)
    else:
        client.get(signed_link(case).removeprefix(settings.SITE_URL))  # opens it here
        url = reverse("portal:file", args=[case.process_id, evidence.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Award_letter_.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_citizens_file_is_not_served_to_a_browser_that_has_not_opened_the_case(client, evidence):
    url = reverse("portal:file", args=[evidence.case.process_id, evidence.pk])
    assert client.get(url).status_code == 404
