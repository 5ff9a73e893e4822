"""FixMyStreet as the client: every answer read the way its Open311.pm reads XML (the root
ignored, `service`, `attribute`, `value`, `request`, `error` and `request_update` always
lists, an empty element undef), and the fields it uses checked there."""

from datetime import timedelta, timezone

import pytest

from cases.models import Case
from cases.services import Actor, case_transition
from tests.test_open311.conftest import BASE, FMS_REPORT, FROZEN, fms, frozen, post

pytestmark = pytest.mark.django_db

# What FixMyStreet's map_state knows (its extended statuses, lower case).
FMS_STATES = {
    "open",
    "closed",
    "fixed",
    "in_progress",
    "planned",
    "action_scheduled",
    "investigating",
    "duplicate",
    "not_councils_responsibility",
    "no_further_action",
    "internal_referral",
    "cancelled",
    "reopen",
    "for_triage",
    "unchanged",
}


def test_the_service_list_sync_reads_each_category(client, north):
    # Open311/PopulateServiceList.pm: service_code, service_name, metadata, keywords, group.
    services = fms(client.get(f"{BASE}/services.xml").content)["service"]
    assert [s["service_code"] for s in services] == [
        "pothole",
        "street_light",
        "drain",
        "sign",
        "pavement",
        "other",
    ]
    for service in services:
        assert service["metadata"] == "true"
        assert service["keywords"] is None  # none of private, inactive, staff, waste_only
        assert service["group"] == ["Street issue report"]  # `group` is a ForceArray one
        assert service["type"] == "realtime"


def test_the_definition_declares_fixmystreet_id_for_fixmystreet_to_fill(client, north):
    definition = fms(client.get(f"{BASE}/services/pothole.xml").content)
    attributes = definition["attributes"]["attribute"]
    by_code = {a["code"]: a for a in attributes}
    assert by_code["fixmystreet_id"]["automated"] == "server_set"
    assert by_code["closest_address"]["automated"] == "server_set"
    for attribute in attributes:
        assert attribute["variable"] == "false"  # nothing asked of the reporter
        assert attribute["required"] == "false"
        assert int(attribute["order"]) >= 1  # read as a number
        assert not attribute["description"].endswith(":")
        assert attribute["values"] is None


def test_the_post_answers_with_a_plain_service_request_id(client, key):
    answer = fms(post(client, {**FMS_REPORT, "api_key": key}).content)
    request_id = answer["request"][0]["service_request_id"]
    assert isinstance(request_id, str)  # a scalar: stored as the report's external_id
    assert "token" not in answer["request"][0]  # realtime: nothing to poll
    assert Case.objects.get().process_id == request_id


def test_a_token_gives_the_service_request_id(client, key):
    request_id = fms(post(client, {**FMS_REPORT, "api_key": key}).content)["request"][0][
        "service_request_id"
    ]
    answer = fms(client.get(f"{BASE}/tokens/{request_id}.xml").content)
    assert answer["request"][0]["service_request_id"] == request_id


def test_an_error_reads_as_its_code_and_description(client, key):
    # Open311.pm's _process_error: "<code>: <description>" for each error.
    answer = fms(post(client, {**FMS_REPORT, "api_key": "wm_live_nope.nope"}).content)
    messages = [f"{e['code']}: {e['description']}" for e in answer["error"]]
    assert messages == ["403: api_key: not valid: it may be wrong, revoked or expired"]


def test_the_updates_job_finds_each_change_in_its_window(client, key, north, admin_user):
    """The job asks for the last two hours, both dates given; each update is kept if
    its time is within them (UTC), and known again by its update_id."""
    with frozen(FROZEN):
        request_id = fms(post(client, {**FMS_REPORT, "api_key": key}).content)["request"][0][
            "service_request_id"
        ]
    case = Case.objects.get(process_id=request_id)
    steps = [
        ("inspect", {}, Actor.partner(north, "Highways")),
        ("schedule_repair", {"repair_date": "2025-03-10"}, Actor.partner(north, "Highways")),
        ("mark_fixed", {}, Actor.partner(north, "Highways")),
    ]
    for minutes, (name, data, actor) in zip((30, 60, 90), steps, strict=True):
        with frozen(FROZEN + timedelta(minutes=minutes)):
            case_transition(case=case.pk, transition=name, actor=actor, data=data)

    def fetch(start, end):
        query = {
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "jurisdiction_id": "north",
            "api_key": "what FixMyStreet adds to its GETs",
        }
        content = client.get(f"{BASE}/servicerequestupdates.xml", query).content
        return fms(content).get("request_update", [])

    found = fetch(FROZEN, FROZEN + timedelta(hours=2))
    assert [(u["status"], u["external_status_code"]) for u in found] == [
        ("investigating", "inspection"),
        ("action_scheduled", "repair"),
        ("fixed", "fixed"),
    ]
    for update in found:
        assert update["service_request_id"] == request_id
        assert update["update_id"]
        assert update["status"] in FMS_STATES
        assert update["media_url"] is None
    assert len({u["update_id"] for u in found}) == 3  # unique and stable: read twice, same
    assert found == fetch(FROZEN, FROZEN + timedelta(hours=2))
    # Both ends are included; a moment either side leaves the update out.
    at_30 = FROZEN + timedelta(minutes=30)
    assert [u["status"] for u in fetch(at_30, at_30)] == ["investigating"]
    one_second = timedelta(seconds=1)
    assert fetch(at_30 + one_second, FROZEN + timedelta(minutes=60) - one_second) == []
    # The same moments written with another offset find the same.
    paris = timezone(timedelta(hours=1))
    assert fetch(FROZEN.astimezone(paris), (FROZEN + timedelta(hours=2)).astimezone(paris)) == found


def test_the_requests_list_reads_as_reports(client, key):
    post(client, {**FMS_REPORT, "api_key": key})
    (report,) = fms(client.get(f"{BASE}/requests.xml").content)["request"]
    assert report["status"] == "open"
    assert report["service_code"] == "pothole"
    assert float(report["lat"]) == 53.480759
    assert float(report["long"]) == -2.242631
    assert report["requested_datetime"].endswith("+00:00")
    assert report["media_url"] is None
