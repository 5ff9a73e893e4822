"""Idempotency-Key: a retry gets the first answer, a different request with the key is
422, one in flight 409; and every error under /api/ is a problem, never an HTML page."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from cases.api import idempotency
from cases.models import Case, IdempotencyRecord
from tests.factories import new_case
from tests.test_api.conftest import STREET as BODY
from tests.test_api.conftest import client_for, make_key


@pytest.mark.django_db
def test_the_same_create_twice_makes_one_case_and_the_same_answer(api):
    first = api.post("/api/v1/cases", BODY, format="json", HTTP_IDEMPOTENCY_KEY="crm-123")
    again = api.post("/api/v1/cases", BODY, format="json", HTTP_IDEMPOTENCY_KEY="crm-123")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_422_and_opens_nothing(api):
    api.post("/api/v1/cases", BODY, format="json", HTTP_IDEMPOTENCY_KEY="crm-123")
    other = {**BODY, "answers": {**BODY["answers"], "location": "Elsewhere"}}
    response = api.post("/api/v1/cases", other, format="json", HTTP_IDEMPOTENCY_KEY="crm-123")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_mismatch"
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_keys_belong_to_one_api_key(api, north):
    other = client_for(make_key(north, name="Back office"))
    api.post("/api/v1/cases", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k")
    other.post("/api/v1/cases", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert Case.objects.count() == 2


@pytest.mark.django_db
def test_a_request_still_running_with_the_key_is_409_with_retry_after(api):
    api.post("/api/v1/cases", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k")
    IdempotencyRecord.objects.update(status=None, response=None)  # as if still running
    response = api.post("/api/v1/cases", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_in_flight"
    assert response["Retry-After"] == "1"
    # One that died long ago is run again.
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    assert (
        api.post("/api/v1/cases", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    )


@pytest.mark.django_db
def test_a_refusal_is_replayed_too_and_a_bad_key_is_refused(api):
    bad = {**BODY, "answers": {}}
    first = api.post("/api/v1/cases", bad, format="json", HTTP_IDEMPOTENCY_KEY="k")
    again = api.post("/api/v1/cases", bad, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert (first.status_code, again.status_code) == (400, 400)
    assert again.json()["errors"] == first.json()["errors"]
    assert again["Content-Type"] == "application/problem+json"
    spaced = api.post("/api/v1/cases", BODY, format="json", HTTP_IDEMPOTENCY_KEY="has space")
    assert spaced.status_code == 400


@pytest.mark.django_db
def test_answers_are_kept_for_a_day(api):
    api.post("/api/v1/cases", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert idempotency.prune() == 0
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency.prune() == 1


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_with_one_key_open_one_case(north):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent requests need PostgreSQL (CI runs it)")
    text = make_key(north)

    def send(key: str, barrier, statuses):
        client = client_for(text)
        barrier.wait()
        response = client.post("/api/v1/cases", BODY, format="json", HTTP_IDEMPOTENCY_KEY=key)
        statuses.append(response.status_code)
        connection.close()

    for round_ in range(1, 21):
        barrier, statuses = threading.Barrier(2), []
        threads = [
            threading.Thread(target=send, args=(f"race-{round_}", barrier, statuses))
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert Case.objects.count() == round_  # one case per key, however the two met
        assert sorted(statuses) in ([201, 201], [201, 409]), statuses


# --- Problems ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("call", "status", "code"),
    [
        (lambda c: c.get("/api/v1/nowhere"), 404, "not_found"),
        (lambda c: c.get("/api/v1/cases/XX"), 404, "not_found"),
        (lambda c: c.delete("/api/v1/cases"), 405, "method_not_allowed"),
        (lambda c: c.get("/api/v1/cases", HTTP_ACCEPT="text/html"), 406, "not_acceptable"),
        (
            lambda c: c.post(
                "/api/v1/cases", "a=b", content_type="application/x-www-form-urlencoded"
            ),
            415,
            "unsupported_media_type",
        ),
        (
            lambda c: c.post("/api/v1/cases", "{not json", content_type="application/json"),
            400,
            "parse_error",
        ),
        (lambda c: c.get("/api/v1/cases?limit=0"), 400, "invalid"),
        (lambda c: c.get("/api/v1/cases?updated_since=yesterday"), 400, "invalid"),
    ],
)
def test_every_error_is_a_problem(api, call, status, code):
    response = call(api)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"/api/v1/problems#{code}"
    assert body["instance"] == f"urn:waymark:request:{response['X-Request-ID']}"
    assert {"title", "detail"} <= set(body)


@pytest.mark.django_db
def test_too_many_requests_is_429_with_retry_after(api, settings):
    settings.API_REQUESTS_PER_MINUTE = 3
    statuses = [api.get("/api/v1/cases").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = api.get("/api/v1/cases")
    assert refused.json()["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60


@pytest.mark.django_db
def test_a_server_error_is_a_problem_too(api, north, monkeypatch, settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    case = new_case(north)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("cases.api.views.case_timeline", broken)
    response = api.get(f"/api/v1/cases/{case.process_id}/timeline")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "server_error"
    assert "boom" not in response.content.decode()


@pytest.mark.django_db
@override_settings(DEBUG_PROPAGATE_EXCEPTIONS=False)
def test_an_error_outside_the_api_views_is_a_problem(client):
    response = client.get("/api/v1/cases/\x00")
    assert response["Content-Type"] == "application/problem+json"
    assert b"<html" not in response.content.lower()


@pytest.mark.django_db
def test_the_problems_are_listed(client):
    listed = client.get("/api/v1/problems").json()
    assert listed["precondition_failed"] == {
        "status": 412,
        "title": "The case has changed since the version you sent",
    }


@pytest.mark.django_db
def test_a_refusal_quoting_a_nul_back_is_kept_and_replayed(api):
    # JSON may carry "\u0000", which PostgreSQL's jsonb refuses, and the refusal quotes
    # the field's name back (found by schemathesis on PostgreSQL).
    body = json.dumps({**BODY, "applicant": {**BODY["applicant"], "nick\x00": "S"}})
    first, again = (
        api.post("/api/v1/cases", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="nul")
        for _ in range(2)
    )
    assert (first.status_code, again.status_code) == (400, 400)
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert [e["attr"] for e in first.json()["errors"]] == ["applicant.nick\x00"]
    assert [e["attr"] for e in again.json()["errors"]] == ["applicant.nick"]


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["key", "value"])
def test_a_body_with_a_lone_surrogate_is_unreadable(api, where):
    body = {**BODY, "x\ud800": 1} if where == "key" else {**BODY, "service": "x\udfff"}
    response = api.post("/api/v1/cases", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert not Case.objects.exists()
