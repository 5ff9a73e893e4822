"""Every refusal in the format asked for, with the spec's status: 404 for what does not
exist, 403 for a missing or bad api_key, 400 for anything else; and 405 and 500 too.
Never an HTML page, wherever under /open311/ it comes from."""

import logging

import pytest

from cases.models import ApiKey, Case, Service
from tests.factories import council, new_case
from tests.test_api.conftest import make_key
from tests.test_open311.conftest import (
    BASE,
    DECLARATION,
    FMS_REPORT,
    JSON_TYPE,
    WRITE,
    XML_TYPE,
    fms,
    post,
)

pytestmark = pytest.mark.django_db

FORMATS = ["xml", "json"]
NOT_NORTHS = "is not a service of Northshire Council"


def errors(response, fmt: str) -> list[tuple[int, str]]:
    """The answer's errors, having checked it is an Open311 error body in `fmt`."""
    if fmt == "xml":
        assert response["Content-Type"] == XML_TYPE
        assert response.content.startswith(DECLARATION)
        found = fms(response.content)["error"]
        return [(int(e["code"]), e["description"]) for e in found]
    assert response["Content-Type"] == JSON_TYPE
    return [(e["code"], e["description"]) for e in response.json()]


def refused(response, fmt: str, status: int) -> list[str]:
    assert response.status_code == status, response.content
    found = errors(response, fmt)
    assert {code for code, _text in found} == {status}
    return [text for _code, text in found]


# --- 400 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"service_code": ""}, "service_code: missing: send the code of one of services.xml"),
        (
            {"lat": "", "long": "", "attribute[closest_address]": ""},
            "lat, long, address_string: send where the problem is",
        ),
        ({"long": ""}, "lat, long: send both, or address_string"),
        ({"lat": "north"}, "lat: give a number of degrees, like 51.501009"),
        ({"lat": "0"}, "lat: Ensure this value is greater than or equal to 49."),
        (
            {"email": "not an address"},
            "email: Enter an email address in the correct format, like name@example.com",
        ),
        (
            {"description": "x" * 2001},
            "description: Ensure this value has at most 2000 characters (it has 2001).",
        ),
        ({"media_url": "ftp://fms.example/1.jpg"}, "media_url: give an http or https address"),
        ({"description": "a\x00b"}, "description: remove the character that is not text (a NUL)"),
    ],
)
def test_a_post_that_is_not_valid(client, key, fmt, change, message):
    response = post(client, {**FMS_REPORT, "api_key": key, **change}, fmt)
    assert refused(response, fmt, 400) == [message]
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_mistake_of_a_post_is_named_at_once(client, key, fmt):
    bad = {**FMS_REPORT, "api_key": key, "email": "nope", "description": "x" * 2001}
    assert len(refused(post(client, bad, fmt), fmt, 400)) == 2


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"start_date": "yesterday"},
            "start_date: give a date and time with its offset, like 2025-01-31T09:00:00Z",
        ),
        (
            {"end_date": "2025-01-31T09:00:00"},
            "end_date: give a date and time with its offset, like 2025-01-31T09:00:00Z",
        ),
        (
            {"start_date": "2025-02-30T00:00:00Z"},
            "start_date: give a date and time with its offset, like 2025-01-31T09:00:00Z",
        ),
        (
            {"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-04-02T00:00:00Z"},
            "start_date, end_date: must be at most 90 days apart",
        ),
        (
            {"start_date": "2025-02-01T00:00:00Z", "end_date": "2025-01-01T00:00:00Z"},
            "start_date: must not be after end_date",
        ),
        (
            {"start_date": "9999-12-31T00:00:00Z"},
            "start_date, end_date: the window must end by the year 9999",
        ),
        ({"status": "pending"}, "status: open, closed, or both (open,closed)"),
        ({"page": "0"}, "page: give a whole number from 1 to 100000"),
        ({"page_size": "1001"}, "page_size: give a whole number from 1 to 1000"),
        (
            {"updated_after": "soon"},
            "updated_after: give a date and time with its offset, like 2025-01-31T09:00:00Z",
        ),
    ],
)
def test_a_list_asked_for_wrongly(client, north, fmt, query, message):
    response = client.get(f"{BASE}/requests.{fmt}", query)
    assert refused(response, fmt, 400) == [message]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_updates_window_has_the_same_rules(client, north, fmt):
    query = {"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-06-01T00:00:00Z"}
    response = client.get(f"{BASE}/servicerequestupdates.{fmt}", query)
    assert refused(response, fmt, 400) == ["start_date, end_date: must be at most 90 days apart"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction_id_is_needed_once_two_councils_report_here(client, north, south, fmt):
    response = client.get(f"{BASE}/services.{fmt}")
    assert refused(response, fmt, 400) == [
        "jurisdiction_id: required here, as this endpoint serves several councils: give "
        "the council's ID"
    ]
    assert client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "south"}).status_code == 200


# --- 403 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_post_without_a_usable_key(client, north, south, fmt):
    north_key = make_key(north, scopes=WRITE)
    cases = [
        ({}, "api_key: missing: send the council's API key"),
        ({"api_key": "wm_live_abc.def"}, "api_key: not valid: it may be wrong, revoked or expired"),
        (
            {"api_key": make_key(north, scopes=[ApiKey.Scope.READ.value])},
            "api_key: this key does not have the cases:write scope",
        ),
        (
            {"api_key": make_key(north, scopes=WRITE, service=Service.BLUE_BADGE)},
            "api_key: this key is only for Blue Badge application",
        ),
        (
            {"api_key": north_key, "jurisdiction_id": "south"},
            "api_key: this key is for another council than jurisdiction_id",
        ),
    ]
    for change, message in cases:
        response = post(client, {**FMS_REPORT, "jurisdiction_id": "north", **change}, fmt)
        assert refused(response, fmt, 403) == [message]
    assert not Case.objects.exists()


def test_a_revoked_key_is_refused(client, north):
    from cases.api.keys import api_key_create, api_key_revoke

    key, text = api_key_create(organisation=north, name="Old", scopes=WRITE)
    api_key_revoke(key=key)
    assert post(client, {**FMS_REPORT, "api_key": text}).status_code == 403


# --- 404 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_what_does_not_exist(client, key, north, fmt):
    blue_badge = new_case(north)  # a Blue Badge application is never an Open311 request
    paths = {
        f"services/blue_badge.{fmt}": f"service_code: blue_badge {NOT_NORTHS}",
        f"services/potholes.{fmt}": f"service_code: potholes {NOT_NORTHS}",
        f"requests/{blue_badge.process_id}.{fmt}": "service_request_id: there is no street "
        "report here with that ID",
        f"requests/ST-0000.{fmt}": "service_request_id: there is no street report here with "
        "that ID",
        f"tokens/never-issued.{fmt}": "token: this endpoint never issued it",
        f"requests.{fmt}?service_code=blue_badge": "service_code: blue_badge is not a service here",
        f"services.{fmt}?jurisdiction_id=nowhere": "jurisdiction_id: there is no council here "
        "with that ID",
        f"nowhere.{fmt}": "There is no Open311 method at this address",
        f"services.html.{fmt}": "There is no Open311 method at this address",
    }
    for path, message in paths.items():
        assert refused(client.get(f"{BASE}/{path}"), fmt, 404) == [message], path
    response = post(client, {**FMS_REPORT, "api_key": key, "service_code": "blue_badge"}, fmt)
    assert refused(response, fmt, 404) == [
        "service_code: blue_badge is not a service of Northshire Council"
    ]


def test_a_token_of_a_report_not_made_through_open311_was_never_issued(client, north):
    report = new_case(north, Service.STREET_REPORT)
    assert client.get(f"{BASE}/tokens/{report.process_id}.xml").status_code == 404
    assert client.get(f"{BASE}/requests/{report.process_id}.xml").status_code == 200


def test_a_council_without_street_reports_is_not_here(client):
    council(slug="badges", services=(Service.BLUE_BADGE,))
    response = client.get(f"{BASE}/services.xml", {"jurisdiction_id": "badges"})
    assert refused(response, "xml", 404) == [
        "jurisdiction_id: there is no council here with that ID"
    ]
    assert refused(client.get(f"{BASE}/services.xml"), "xml", 404) == [
        "jurisdiction_id: no council reports street problems here"
    ]


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("/open311/", "xml"),
        ("/open311/v1/services.json", "json"),
        ("/open311/v2", "xml"),
        ("/open311/v2/", "xml"),
        ("/open311/v2/services", "xml"),
        ("/open311/v2/services.XML", "xml"),
    ],
)
def test_an_unknown_address_under_open311_is_never_html(client, north, path, fmt):
    response = client.get(path, follow=True)
    assert refused(response, fmt, 404) == ["There is no Open311 method at this address"]


# --- 405 and the rest ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_method_an_address_does_not_take(client, key, fmt):
    delete = client.delete(f"{BASE}/requests.{fmt}")
    assert refused(delete, fmt, 405) == ["This address takes GET and POST only"]
    assert delete["Allow"] == "GET, HEAD, POST"
    created = client.post(f"{BASE}/services.{fmt}", {"api_key": key})
    assert refused(created, fmt, 405) == ["This address takes GET only"]
    assert created["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_failure_of_ours_is_a_500_in_the_format_and_logged(
    client, north, fmt, monkeypatch, caplog
):
    from cases.open311 import reads

    def broken(council):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(reads, "reports", broken)
    with caplog.at_level(logging.ERROR, logger="cases.open311.views"):
        response = client.get(f"{BASE}/requests.{fmt}")
    assert refused(response, fmt, 500) == ["Something went wrong on our side"]
    (record,) = [r for r in caplog.records if r.name == "cases.open311.views"]
    assert record.exc_info is not None
    assert "the database went away" in str(record.exc_info[1])


def test_a_nul_in_the_address_is_refused_in_the_format(client, north):
    response = client.get(f"{BASE}/requests.json?service_code=%00")
    assert refused(response, "json", 400) == [
        "The address has a character that is never part of one."
    ]


def test_a_body_too_large_for_any_upload_is_refused_in_the_format(client, key):
    from cases.portal.uploads import MAX_REQUEST_BYTES

    response = client.post(
        f"{BASE}/requests.xml",
        "x",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(MAX_REQUEST_BYTES + 1),
    )
    assert refused(response, "xml", 413) == ["The request is too large"]


def test_a_body_that_cannot_be_read_is_a_400(client, key):
    response = client.post(
        f"{BASE}/requests.json",
        b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb',
        content_type="multipart/form-data; boundary=",
    )
    assert refused(response, "json", 400) == ["The request's body could not be read"]


def test_a_post_needs_its_api_key_not_a_csrf_token(key):
    from django.test import Client

    browserless = Client(enforce_csrf_checks=True)
    assert post(browserless, {**FMS_REPORT, "api_key": key}).status_code == 200
    assert post(browserless, FMS_REPORT).status_code == 403  # no key: still Open311's 403
    assert fms(post(browserless, FMS_REPORT).content)["error"][0]["code"] == "403"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_key_sending_too_often_is_told_when_to_try_again(client, key, settings, fmt):
    settings.API_REQUESTS_PER_MINUTE = 2
    for number in range(2):
        data = {**FMS_REPORT, "api_key": key, "attribute[fixmystreet_id]": f"{fmt}{number}"}
        assert post(client, data, fmt).status_code == 200
    response = post(client, {**FMS_REPORT, "api_key": key}, fmt)
    (message,) = refused(response, fmt, 429)
    assert message.startswith("api_key: too many requests with this key: try again in ")
    assert 1 <= int(response["Retry-After"]) <= 60


def test_at_most_a_thousand_ids_at_once(client, north):
    ids = ",".join(f"ST{number}" for number in range(1001))
    response = client.get(f"{BASE}/requests.json", {"service_request_id": ids})
    assert refused(response, "json", 400) == ["service_request_id: at most 1000 IDs"]
