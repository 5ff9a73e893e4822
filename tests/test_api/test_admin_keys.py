"""API keys in the admin: only a council's admins make them, for their own council only;
each council sees only its own keys; the key is shown once and never stored."""

import re

import pytest

from cases.models import ApiKey, Role
from tests.factories import caseworker
from tests.test_api.conftest import make_key

pytestmark = pytest.mark.django_db

ADD = "/admin/cases/apikey/add/"


def form(organisation, **extra):
    return {
        "organisation": organisation.pk,
        "name": "CRM",
        "scopes": ["cases:read"],
        "service": "",
        **extra,
    }


def test_a_council_admin_makes_a_key_for_their_council_and_sees_it_once(client, north):
    client.force_login(caseworker(north, role=Role.ADMIN))
    page = client.post(
        ADD, form(north, expires_on_day="1", expires_on_month="1", expires_on_year="2099")
    )
    assert page.status_code == 200
    text = re.search(r'value="(wm_live_[^"]+)"', page.text).group(1)
    key = ApiKey.objects.get()
    assert (key.organisation, key.scopes, key.name) == (north, ["cases:read"], "CRM")
    assert key.expires_at.date().isoformat() == "2099-01-01"
    assert text.split(".")[1] not in key.hashed_secret
    assert text not in client.get(f"/admin/cases/apikey/{key.pk}/change/").text


def test_a_council_admin_cannot_make_a_key_for_another_council(client, north, south):
    client.force_login(caseworker(north, role=Role.ADMIN))
    page = client.post(ADD, form(south))
    assert page.status_code == 200
    assert "Select a valid choice" in page.text
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("role", [Role.EDITOR, Role.READ_ONLY])
def test_only_a_council_admin_makes_keys(client, north, role):
    client.force_login(caseworker(north, role=role))
    assert client.post(ADD, form(north)).status_code == 403
    assert not ApiKey.objects.exists()


def test_each_council_sees_only_its_own_keys(client, north, south):
    make_key(north, name="North CRM")
    theirs = ApiKey.objects.get(
        pk=ApiKey.objects.create(
            organisation=south, name="South CRM", prefix="x1", hashed_secret="0"
        ).pk
    )
    client.force_login(caseworker(north, role=Role.ADMIN))
    listing = client.get("/admin/cases/apikey/").text
    assert "North CRM" in listing
    assert "South CRM" not in listing
    assert client.get(f"/admin/cases/apikey/{theirs.pk}/change/").status_code == 302
    client.post("/admin/cases/apikey/", {"action": "revoke", "_selected_action": [theirs.pk]})
    assert ApiKey.objects.get(pk=theirs.pk).revoked_at is None


def test_an_expiry_in_the_past_is_refused(client, north):
    client.force_login(caseworker(north, role=Role.ADMIN))
    page = client.post(
        ADD, form(north, expires_on_day="1", expires_on_month="1", expires_on_year="2020")
    )
    assert "The expiry date must be today or in the future" in page.text
    assert not ApiKey.objects.exists()
