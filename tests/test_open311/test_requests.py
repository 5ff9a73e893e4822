"""`requests`: what a POST makes of what it is sent (the street report's own form fields,
the reporter, what the form has no field for), and which reports a GET lists."""

from datetime import timedelta

import pytest

from cases.models import Case, CaseEvent, Service
from cases.open311.models import Open311Submission
from cases.services import Actor, case_transition
from tests.factories import new_case
from tests.test_api.conftest import make_key
from tests.test_open311.conftest import BASE, FMS_REPORT, FROZEN, WRITE, fms, frozen, post

pytestmark = pytest.mark.django_db


def made(client, data: dict) -> Case:
    response = post(client, data)
    assert response.status_code == 200, response.content
    return Case.objects.get(process_id=fms(response.content)["request"][0]["service_request_id"])


def listed(client, **query) -> list[str]:
    return [r["service_request_id"] for r in client.get(f"{BASE}/requests.json", query).json()]


# --- POST ---------------------------------------------------------------------------------


def test_a_fixmystreet_report_fills_the_street_reports_form(client, key):
    case = made(client, {**FMS_REPORT, "api_key": key})
    assert case.service == Service.STREET_REPORT
    assert case.state == "reported"
    assert case.answers == {
        "issue_type": "pothole",
        "location": "3 Mill Lane, Northtown",  # attribute[closest_address]: no address_string
        "latitude": 53.480759,
        "longitude": -2.242631,
        "description": FMS_REPORT["description"],
    }
    assert (case.applicant_name, case.email, case.phone) == (
        "Sam Reporter",
        "sam@example.com",
        "",
    )
    assert case.contact_preference == "email"
    created = CaseEvent.objects.get(case=case)
    assert created.actor_kind == "partner"
    assert created.actor_label.startswith("Open311: API key FixMyStreet (wm_live_")
    submission = Open311Submission.objects.get(case=case)
    assert submission.attributes == {
        "fixmystreet_id": "4455",
        "closest_address": "3 Mill Lane, Northtown",
    }


def test_an_address_string_is_where_it_is_and_a_postcode_is_kept_as_one(client, key):
    report = {"api_key": key, "service_code": "drain", "email": "sam@example.com"}
    words = made(client, {**report, "address_string": "  By the  school gates "})
    assert words.answers["location"] == "By the school gates"
    assert "location_postcode" not in words.answers
    postcode = made(client, {**report, "address_string": "ab1 2cd"})
    assert postcode.answers["location"] == "ab1 2cd"
    assert postcode.answers["location_postcode"] == "AB1 2CD"


def test_the_pin_alone_is_written_out_as_the_place(client, key):
    case = made(
        client,
        {"api_key": key, "service_code": "sign", "lat": "53.4807591234", "long": "-2.2426"},
    )
    assert case.answers["latitude"] == 53.480759  # to the 6 places the report keeps
    assert case.answers["location"] == "53.480759, -2.2426"


def test_what_the_form_has_no_field_for_is_kept_with_the_report(client, key):
    case = made(
        client,
        {
            **FMS_REPORT,
            "api_key": key,
            "deviceid": "pothole",  # FixMyStreet's spelling (use_service_as_deviceid)
            "account_id": "fms-user-88",
            "media_url": ["https://fms.example/photo/1.jpeg", "https://fms.example/photo/2.jpeg"],
            "attribute[uprn]": "100023336956",
            "attribute[hazards][]": ["traffic", "school"],
        },
    )
    submission = Open311Submission.objects.get(case=case)
    assert submission.device_id == "pothole"
    assert submission.account_id == "fms-user-88"
    assert submission.media_urls == [
        "https://fms.example/photo/1.jpeg",
        "https://fms.example/photo/2.jpeg",
    ]
    assert submission.attributes["uprn"] == "100023336956"
    assert submission.attributes["hazards"] == ["traffic", "school"]
    assert (
        made(
            client,
            {**FMS_REPORT, "api_key": key, "device_id": "app-7", "attribute[fixmystreet_id]": "9"},
        ).open311.device_id
        == "app-7"
    )
    # With no photo of its own, a GET gives the first link the client sent.
    (request,) = client.get(f"{BASE}/requests/{case.process_id}.json").json()
    assert request["media_url"] == "https://fms.example/photo/1.jpeg"


def test_without_an_email_address_the_reporter_is_sent_nothing(client, key):
    report = {k: v for k, v in FMS_REPORT.items() if k not in ("email", "first_name")}
    case = made(client, {**report, "api_key": key, "phone": "01632 960 001"})
    assert case.contact_preference == "none"
    assert case.phone == "+441632960001"
    assert case.applicant_name == "Reporter"
    assert not case.notifications.exists()


def test_a_reporter_with_no_name_is_not_given(client, key):
    report = {k: v for k, v in FMS_REPORT.items() if k not in ("first_name", "last_name")}
    assert made(client, {**report, "api_key": key}).applicant_name == "Not given"


def test_jurisdiction_id_may_name_the_keys_own_council(client, key, north, south):
    case = made(client, {**FMS_REPORT, "api_key": key, "jurisdiction_id": "north"})
    assert case.organisation == north
    south_key = make_key(south, scopes=WRITE)
    assert made(client, {**FMS_REPORT, "api_key": south_key}).organisation == south


def test_the_key_may_come_in_the_query_string(client, key):
    response = client.post(f"{BASE}/requests.xml?api_key={key}", FMS_REPORT)
    assert response.status_code == 200


# --- GET: what anyone may read ------------------------------------------------------------


def test_no_answer_names_the_reporter_or_how_to_reach_them(client, key, north, admin_user):
    made(client, {**FMS_REPORT, "api_key": key, "phone": "07700 900 982"})
    report = new_case(north, Service.STREET_REPORT)  # Ann Example, ann@example.com, 07911…
    case_transition(case=report.pk, transition="inspect", actor=Actor.caseworker(admin_user))
    ids = ",".join(Case.objects.values_list("process_id", flat=True))
    submitted = Open311Submission.objects.get().case.process_id
    for fmt in ("xml", "json"):
        for path in (
            f"requests.{fmt}",
            f"requests.{fmt}?service_request_id={ids}",
            f"requests/{report.process_id}.{fmt}",
            f"servicerequestupdates.{fmt}",
            f"tokens/{submitted}.{fmt}",
        ):
            text = client.get(f"{BASE}/{path}").content.decode()
            for personal in (
                "Sam",
                "sam@example.com",
                "Ann",
                "ann@example.com",
                "7911",
                "7700",
                "900982",
                "High Street",
                "AB1 2CD",
            ):
                assert personal not in text, (path, personal)


def test_a_list_of_ids_overrides_every_other_parameter(client, north):
    reports = [new_case(north, Service.STREET_REPORT) for _ in range(3)]
    blue_badge = new_case(north)
    asked = [
        reports[0].reference.lower(),  # any way a person writes it
        reports[2].process_id,
        blue_badge.process_id,  # not a street report: not listed
        "nonsense",
    ]
    found = listed(
        client,
        service_request_id=",".join(asked),
        start_date="not a date",
        status="nonsense",
        service_code="blue_badge",
    )
    assert sorted(found) == sorted([reports[0].process_id, reports[2].process_id])


def test_the_list_filters_by_service_status_and_date(client, north, admin_user):
    with frozen(FROZEN - timedelta(days=100)):
        old = new_case(north, Service.STREET_REPORT)
    with frozen(FROZEN):
        pothole = new_case(north, Service.STREET_REPORT)
        drain = new_case(north, Service.STREET_REPORT)
        Case.objects.filter(pk=drain.pk).update(answers={**drain.answers, "issue_type": "drain"})
    with frozen(FROZEN + timedelta(days=1)):
        case_transition(
            case=pothole.pk,
            transition="mark_duplicate",
            actor=Actor.caseworker(admin_user),
            data={"duplicate_of": drain.process_id},
        )
    with frozen(FROZEN + timedelta(days=2)):
        assert set(listed(client)) == {pothole.process_id, drain.process_id}  # the last 90 days
        assert listed(client, service_code="drain,sign") == [drain.process_id]
        assert listed(client, status="closed") == [pothole.process_id]
        assert set(listed(client, status="open,closed")) == {pothole.process_id, drain.process_id}
        assert listed(
            client,
            start_date=(FROZEN - timedelta(days=101)).isoformat(),
            end_date=(FROZEN - timedelta(days=99)).isoformat(),
        ) == [old.process_id]
        after = (FROZEN + timedelta(hours=12)).isoformat()
        # Changed since: over every date (no 90-day default), by the last public change.
        assert listed(client, updated_after=after) == [pothole.process_id]
        assert set(listed(client, updated_before=after)) == {old.process_id, drain.process_id}


def test_the_list_comes_a_page_at_a_time_newest_first(client, north):
    made_at = []
    for hours in range(5):
        with frozen(FROZEN + timedelta(hours=hours)):
            made_at.append(new_case(north, Service.STREET_REPORT).process_id)
    newest_first = made_at[::-1]
    with frozen(FROZEN + timedelta(days=1)):
        assert listed(client, page_size="2") == newest_first[:2]
        assert listed(client, page_size="2", page="2") == newest_first[2:4]
        assert listed(client, page_size="2", page="3") == newest_first[4:]
        assert listed(client, page_size="2", page="4") == []


def test_each_council_sees_only_its_own(client, north, south):
    mine, theirs = new_case(north, Service.STREET_REPORT), new_case(south, Service.STREET_REPORT)
    assert listed(client, jurisdiction_id="north") == [mine.process_id]
    assert listed(client, jurisdiction_id="south") == [theirs.process_id]
    one = client.get(f"{BASE}/requests/{theirs.process_id}.json", {"jurisdiction_id": "north"})
    assert one.status_code == 404


def test_a_list_costs_the_same_queries_for_one_report_and_ten(client, north):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            client.get(f"{BASE}/requests.xml")
        return len(queries)

    new_case(north, Service.STREET_REPORT)
    one = cost()
    for _ in range(9):
        new_case(north, Service.STREET_REPORT)
    assert cost() == one
