"""A key sees and changes only its own council's cases (and only its service, if
restricted), everywhere: the list, a case, the change feed, a search by reference, every
sub-resource and every write. A wrong, revoked or expired key is 401; a missing scope 403."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.api import keys
from cases.api.keys import api_key_revoke
from cases.models import ApiKey, Case, CaseEvent, Service
from tests.factories import new_case
from tests.test_api.conftest import STREET, client_for, make_key

pytestmark = pytest.mark.django_db

READ_URLS = ["", "/timeline", "/events", "/transitions", "/notifications", "/payments"]


def test_a_key_never_sees_another_councils_cases(api, north, south):
    mine, theirs = new_case(north), new_case(south)
    listed = [c["id"] for c in api.get("/api/v1/cases").json()["data"]]
    assert listed == [mine.process_id]
    assert api.get(f"/api/v1/cases?reference={theirs.reference}").json()["data"] == []
    for suffix in READ_URLS:
        response = api.get(f"/api/v1/cases/{theirs.process_id}{suffix}")
        assert response.status_code == 404, suffix
        assert response["Content-Type"] == "application/problem+json"
    feed = api.get("/api/v1/events").json()["data"]
    assert {event["case"] for event in feed} == {mine.process_id}


def test_a_key_never_changes_another_councils_cases(api, north, south):
    theirs = new_case(south)
    events = CaseEvent.objects.count()
    url = f"/api/v1/cases/{theirs.process_id}"
    writes = [
        api.post(f"{url}/transitions/start_assessment", {}, format="json"),
        api.post(f"{url}/notes", {"text": "x"}, format="json"),
        api.put(f"{url}/assignee", {"username": None}, format="json"),
        api.put(f"{url}/contact-preference", {"contact_preference": "sms"}, format="json"),
    ]
    assert [w.status_code for w in writes] == [404] * 4
    assert CaseEvent.objects.count() == events
    assert Case.objects.get(pk=theirs.pk).state == "submitted"


def test_a_key_opens_cases_only_for_its_own_council(api, north, south):
    made = api.post("/api/v1/cases", STREET, format="json")
    assert Case.objects.get(process_id=made.json()["id"]).organisation == north
    assert not Case.objects.filter(organisation=south).exists()


def test_a_key_restricted_to_one_service_sees_and_opens_only_that(north):
    badge, report = new_case(north), new_case(north, Service.STREET_REPORT)
    reports_only = client_for(make_key(north, service=Service.STREET_REPORT))
    assert [c["id"] for c in reports_only.get("/api/v1/cases").json()["data"]] == [
        report.process_id
    ]
    assert reports_only.get(f"/api/v1/cases/{badge.process_id}").status_code == 404
    assert {e["case"] for e in reports_only.get("/api/v1/events").json()["data"]} == {
        report.process_id
    }
    refused = reports_only.post(
        "/api/v1/cases",
        {"service": "blue_badge", "applicant": {}, "answers": {}},
        format="json",
    )
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "not_authenticated"),
        ("Bearer", "authentication_failed"),
        ("Bearer wm_live_nope.nope", "authentication_failed"),
        ("Bearer not-a-key", "authentication_failed"),
        ("Basic dXNlcjpwYXNz", "not_authenticated"),
        ("Bearer wm_live_é.x", "authentication_failed"),
    ],
)
def test_no_key_or_a_wrong_one_is_401(client, north, header, code):
    new_case(north)
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/api/v1/cases", **headers)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_revoked_or_expired_key_is_401(north):
    text = make_key(north)
    assert client_for(text).get("/api/v1/cases").status_code == 200
    api_key_revoke(key=ApiKey.objects.get())
    assert client_for(text).get("/api/v1/cases").status_code == 401

    old = make_key(north, expires_at=timezone.now() - timedelta(seconds=1))
    assert client_for(old).get("/api/v1/cases").status_code == 401


def test_a_key_revoked_by_another_process_stops_within_the_trust_window(north, monkeypatch):
    text = make_key(north)
    clock = [1000.0]
    monkeypatch.setattr(keys.time, "monotonic", lambda: clock[0])
    assert client_for(text).get("/api/v1/cases").status_code == 200
    ApiKey.objects.update(revoked_at=timezone.now())  # as another server process does
    clock[0] += keys.TRUSTED_FOR - 1
    assert client_for(text).get("/api/v1/cases").status_code == 200
    clock[0] += 1
    assert client_for(text).get("/api/v1/cases").status_code == 401


def test_an_expiry_is_kept_even_by_a_trusted_key(north, monkeypatch):
    text = make_key(north, expires_at=timezone.now() + timedelta(seconds=5))
    assert client_for(text).get("/api/v1/cases").status_code == 200
    later = timezone.now() + timedelta(seconds=6)
    monkeypatch.setattr("cases.models.timezone.now", lambda: later)
    assert client_for(text).get("/api/v1/cases").status_code == 401


def test_the_right_secret_is_needed_not_only_the_prefix(north):
    text = make_key(north)
    assert (
        client_for(text[:-1] + ("A" if text[-1] != "A" else "B")).get("/api/v1/cases").status_code
        == 401
    )


@pytest.mark.parametrize(
    ("scopes", "method", "url", "status"),
    [
        ([], "get", "/api/v1/cases", 403),
        (["cases:write"], "get", "/api/v1/cases", 403),
        (["cases:read"], "post", "/api/v1/cases", 403),
        (["cases:read"], "post", "/api/v1/cases/{id}/transitions/start_assessment", 403),
        (["cases:read"], "post", "/api/v1/cases/{id}/notes", 403),
        (
            ["cases:read", "cases:transition"],
            "post",
            "/api/v1/cases/{id}/transitions/start_assessment",
            200,
        ),
        (["cases:read"], "get", "/api/v1/cases/{id}/events", 403),
    ],
)
def test_a_key_without_the_scope_is_403(north, scopes, method, url, status):
    case = new_case(north)
    key = client_for(make_key(north, scopes=scopes))
    response = getattr(key, method)(url.format(id=case.process_id), {}, format="json")
    assert response.status_code == status
    if status == 403:
        assert response.json()["code"] == "permission_denied"


def test_a_key_records_when_it_was_last_used(api, north):
    assert ApiKey.objects.get().last_used_at is None
    api.get("/api/v1/cases")
    assert ApiKey.objects.get().last_used_at is not None
