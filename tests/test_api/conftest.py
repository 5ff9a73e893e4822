"""A council with an API key, and a client that sends it."""

import pytest
from rest_framework.test import APIClient

from cases.api import keys
from cases.api.keys import api_key_create
from cases.models import ApiKey
from tests.factories import council

# A street report as a partner opens one: no one to contact, so nothing is sent.
STREET = {
    "service": "street_report",
    "applicant": {"applicant_name": "Sam Reporter", "contact_preference": "none"},
    "answers": {"issue_type": "pothole", "location": "Outside 3 Mill Lane"},
}

ALL_SCOPES = [scope.value for scope in ApiKey.Scope]


def make_key(organisation, scopes=ALL_SCOPES, **kw) -> str:
    return api_key_create(
        organisation=organisation, name=kw.pop("name", "CRM"), scopes=scopes, **kw
    )[1]


def client_for(text: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
    return client


@pytest.fixture(autouse=True)
def _trust_no_key_from_another_test():
    keys._trusted.clear()
    yield
    keys._trusted.clear()


@pytest.fixture
def north(db):
    return council(slug="north", name="Northshire Council")


@pytest.fixture
def south(db):
    return council(slug="south", name="Southshire Council")


@pytest.fixture
def api(north):
    return client_for(make_key(north))
