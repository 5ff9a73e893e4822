"""Council admins create and manage their own council's staff accounts, and only those."""

import pytest
from django.contrib.auth.models import User

from cases.models import Membership, Role
from tests.factories import caseworker, council

pytestmark = pytest.mark.django_db

NEW = {
    "username": "new.caseworker",
    "first_name": "New",
    "last_name": "Caseworker",
    "email": "new.caseworker@north.example.gov.uk",
    "role": Role.EDITOR,
    "password1": "a-long-and-unusual-passphrase-42",
    "password2": "a-long-and-unusual-passphrase-42",
}


@pytest.fixture
def north_admin(client):
    north, south = council(slug="north"), council(slug="south")
    boss = caseworker(north, role=Role.ADMIN)
    client.force_login(boss)
    return north, south, boss


def test_a_council_admin_creates_a_staff_account_for_their_council(client, north_admin):
    north, _south, _boss = north_admin

    response = client.post("/admin/cases/staffaccount/add/", {**NEW, "organisation": north.pk})

    assert response.status_code == 302, response.text
    user = User.objects.get(username="new.caseworker")
    assert (user.is_staff, user.is_superuser, user.email) == (True, False, NEW["email"])
    assert user.check_password(NEW["password1"])
    assert Membership.objects.get(user=user).organisation == north
    client.logout()
    signed_in = client.post(
        "/admin/login/?next=/admin/",
        {"username": "new.caseworker", "password": NEW["password1"]},
    )
    assert signed_in.status_code == 302


def test_not_for_another_council_and_not_with_a_weak_password(client, north_admin):
    _north, south, _boss = north_admin

    other_council = client.post("/admin/cases/staffaccount/add/", {**NEW, "organisation": south.pk})
    weak = client.post(
        "/admin/cases/staffaccount/add/",
        {**NEW, "organisation": _north.pk, "password1": "password", "password2": "password"},
    )
    mismatched = client.post(
        "/admin/cases/staffaccount/add/", {**NEW, "organisation": _north.pk, "password2": "x"}
    )

    assert "Select a valid choice" in other_council.text
    assert "This password is too common" in weak.text
    assert "The two passwords are not the same" in mismatched.text
    assert not User.objects.filter(username="new.caseworker").exists()


def test_staff_accounts_list_only_the_councils_own_staff(client, north_admin):
    north, south, _boss = north_admin
    ours, theirs = caseworker(north), caseworker(south)
    both = caseworker(north)
    Membership.objects.create(user=both, organisation=south, role=Role.ADMIN)

    listing = client.get("/admin/cases/staffaccount/").text

    assert ours.username in listing
    assert both.username in listing
    assert theirs.username not in listing
    assert f"{south} (" not in listing  # never another council's roles
    assert client.get(f"/admin/cases/staffaccount/{theirs.pk}/change/").status_code == 302


def test_a_council_admin_deactivates_their_own_staff_but_not_shared_ones(client, north_admin):
    north, south, _boss = north_admin
    ours, shared = caseworker(north), caseworker(north)
    Membership.objects.create(user=shared, organisation=south, role=Role.EDITOR)
    fields = {"first_name": "A", "last_name": "B", "email": "a@b.example"}

    client.post(f"/admin/cases/staffaccount/{ours.pk}/change/", fields)  # is_active unticked
    client.post(f"/admin/cases/staffaccount/{shared.pk}/change/", fields)

    ours.refresh_from_db()
    shared.refresh_from_db()
    assert ours.is_active is False
    assert (shared.is_active, shared.email) == (True, shared.email)


def test_editors_cannot_create_staff_accounts(client):
    north = council(slug="north")
    client.force_login(caseworker(north, role=Role.EDITOR))

    assert client.get("/admin/cases/staffaccount/add/").status_code == 403
