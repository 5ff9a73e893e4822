import pytest

from cases.models import Role, Service
from tests.factories import caseworker, council, new_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_councils():
    north, south = council(slug="north"), council(slug="south")
    return north, south, new_case(north), new_case(south, Service.STREET_REPORT)


def test_a_caseworker_sees_only_their_councils_cases(client, two_councils):
    north, _south, north_case, south_case = two_councils
    client.force_login(caseworker(north, role=Role.READ_ONLY))

    listing = client.get("/admin/cases/case/")
    assert listing.status_code == 200
    assert north_case.reference in listing.text
    assert south_case.reference not in listing.text
    assert client.get(f"/admin/cases/case/{north_case.pk}/change/").status_code == 200
    # Typing the other council's case into the address bar does not reveal it.
    other = client.get(f"/admin/cases/case/{south_case.pk}/change/", follow=True)
    assert south_case.reference not in other.text


def test_search_finds_a_process_id_however_it_is_typed(client, two_councils):
    north, _south, north_case, _ = two_councils
    another = new_case(north)
    client.force_login(caseworker(north))
    typed = north_case.reference.lower().replace("-", " ")
    response = client.get("/admin/cases/case/", {"q": typed})
    assert north_case.reference in response.text
    assert another.reference not in response.text
    assert "1 result" in response.text


def test_cases_cannot_be_edited_in_the_admin(client, two_councils, admin_user):
    _north, _south, north_case, _ = two_councils
    client.force_login(admin_user)
    response = client.post(
        f"/admin/cases/case/{north_case.pk}/change/", {"applicant_name": "Changed"}
    )
    assert response.status_code == 403
    north_case.refresh_from_db()
    assert north_case.applicant_name == "Ann Example"


def test_staff_without_a_council_cannot_open_case_work(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get("/admin/cases/case/").status_code == 403
