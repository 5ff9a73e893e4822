"""The partner API against its own rules: cases by process ID written any way, ETags and
If-Match, steps through `cases.services` as the partner, the staff-only record only with
its scope, and every personal read in the access log under the key's name."""

import pytest

from cases.models import AccessLog, ApiKey, Case, CaseEvent, Service
from tests.factories import caseworker, make_case, new_case
from tests.test_api.conftest import STREET, client_for, make_key

pytestmark = pytest.mark.django_db


def test_a_case_is_found_by_its_process_id_however_it_is_written(api, north):
    case = new_case(north)
    for written in (
        case.process_id,
        case.reference,
        case.reference.lower(),
        case.reference.replace("-", " "),
    ):
        response = api.get(f"/api/v1/cases/{written}")
        assert response.status_code == 200, written
        assert response.json()["id"] == case.process_id
        assert response.json()["reference"] == case.reference


def test_the_etag_is_the_version_and_if_none_match_answers_304(api, north):
    case = new_case(north)
    first = api.get(f"/api/v1/cases/{case.process_id}")
    assert first["ETag"] == '"1"'
    assert api.get(f"/api/v1/cases/{case.process_id}", HTTP_IF_NONE_MATCH='"1"').status_code == 304
    api.post(f"/api/v1/cases/{case.process_id}/transitions/start_assessment", {}, format="json")
    again = api.get(f"/api/v1/cases/{case.process_id}", HTTP_IF_NONE_MATCH='"1"')
    assert again.status_code == 200
    assert again["ETag"] == '"2"'


def test_a_step_with_a_stale_if_match_is_refused_with_412_and_writes_nothing(api, north):
    report = make_case(north, Service.STREET_REPORT, "reported")
    api.post(f"/api/v1/cases/{report.process_id}/transitions/inspect", {}, format="json")
    events = CaseEvent.objects.count()

    response = api.post(
        f"/api/v1/cases/{report.process_id}/transitions/schedule_repair",
        {"data": {"repair_date": "2099-01-03"}},
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 412
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "precondition_failed"
    assert response.json()["current_version"] == 2
    assert CaseEvent.objects.count() == events
    assert Case.objects.get(pk=report.pk).state == "inspected"


def test_a_step_runs_as_the_partner_and_answers_with_the_case(api, north):
    case = new_case(north)
    response = api.post(
        f"/api/v1/cases/{case.reference}/transitions/start_assessment",
        {"reason": "Checked by the CRM"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["version"]) == ("in_assessment", 2)
    event = CaseEvent.objects.get(case=case, kind="transition")
    assert event.actor_kind == "partner"
    assert event.actor_label.startswith("API key CRM (wm_live_")
    assert event.reason == "Checked by the CRM"


def test_a_step_not_possible_now_is_422_listing_those_that_are(api, north):
    report = make_case(north, Service.STREET_REPORT, "reported")
    url = f"/api/v1/cases/{report.process_id}/transitions"
    response = api.post(f"{url}/mark_fixed", {}, format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "not_allowed_now"
    assert response.json()["allowed"] == ["inspect"]
    # A caseworker's own step is not the partner's at all; a step no workflow has, no page.
    assert api.post(f"{url}/mark_duplicate", {}, format="json").status_code == 403
    assert api.post(f"{url}/fly", {}, format="json").status_code == 404


def test_a_steps_data_is_validated_by_the_workflows_form(api, north):
    report = make_case(north, Service.STREET_REPORT, "inspected")
    url = f"/api/v1/cases/{report.process_id}/transitions/schedule_repair"
    bad = api.post(url, {"data": {"repair_date": "yesterday"}}, format="json")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["attr"] == "repair_date"
    good = api.post(url, {"data": {"repair_date": "03/01/2099"}}, format="json")
    assert good.status_code == 200
    assert Case.objects.get(pk=report.pk).details["repair_date"] == "2099-01-03"  # day first


def test_the_transitions_list_is_what_this_key_may_run_now_with_the_data_each_needs(api, north):
    report = make_case(north, Service.STREET_REPORT, "inspected")
    steps = {
        s["name"]: s
        for s in api.get(f"/api/v1/cases/{report.process_id}/transitions").json()["data"]
    }
    assert "schedule_repair" in steps
    assert steps["schedule_repair"]["data_schema"]["properties"]["repair_date"]["format"] == "date"
    assert "mark_duplicate" not in steps  # a caseworker's step, not a partner's
    reader = client_for(make_key(north, scopes=[ApiKey.Scope.READ]))
    assert reader.get(f"/api/v1/cases/{report.process_id}/transitions").json()["data"] == []


def test_opening_a_case_is_validated_like_the_portal_and_names_the_field(api, north):
    bad = api.post(
        "/api/v1/cases",
        {**STREET, "applicant": {"contact_preference": "email"}, "answers": {"issue_type": "x"}},
        format="json",
    )
    assert bad.status_code == 400
    attrs = {error["attr"] for error in bad.json()["errors"]}
    assert {
        "applicant.applicant_name",
        "applicant.email",
        "answers.issue_type",
        "answers.location",
    } <= attrs
    assert not Case.objects.exists()

    made = api.post("/api/v1/cases", STREET, format="json")
    assert made.status_code == 201
    case = Case.objects.get()
    assert made["Location"] == f"http://testserver/api/v1/cases/{case.process_id}"
    assert made.json()["state"] == "reported"
    assert CaseEvent.objects.get(case=case).actor_kind == "partner"


def test_notes_assignee_and_contact_preference(api, north):
    case = new_case(north)
    colleague = caseworker(north, username="cath")
    note = api.post(
        f"/api/v1/cases/{case.process_id}/notes", {"text": "Rang the citizen"}, format="json"
    )
    assert note.status_code == 201
    assert note.json()["kind"] == "note"
    assigned = api.put(
        f"/api/v1/cases/{case.process_id}/assignee", {"username": "cath"}, format="json"
    )
    assert assigned.json()["assigned_to"] == "cath"
    assert Case.objects.get(pk=case.pk).assigned_to == colleague
    stranger = api.put(
        f"/api/v1/cases/{case.process_id}/assignee", {"username": "nobody"}, format="json"
    )
    assert stranger.status_code == 400
    contact = api.put(
        f"/api/v1/cases/{case.process_id}/contact-preference",
        {"contact_preference": "sms"},
        format="json",
        HTTP_IF_MATCH=assigned["ETag"],
    )
    assert contact.status_code == 200
    assert contact.json()["applicant"]["contact_preference"] == "sms"
    stale = api.put(
        f"/api/v1/cases/{case.process_id}/contact-preference",
        {"contact_preference": "email"},
        format="json",
        HTTP_IF_MATCH=assigned["ETag"],
    )
    assert stale.status_code == 412


def test_the_staff_only_record_needs_its_scope(north):
    case = new_case(north)
    reader = client_for(make_key(north, scopes=[ApiKey.Scope.READ]))
    assert reader.get(f"/api/v1/cases/{case.process_id}/events").status_code == 403
    feed = reader.get("/api/v1/events").json()["data"]
    assert feed
    assert "reason" not in feed[0]
    staff = client_for(make_key(north, scopes=[ApiKey.Scope.READ, ApiKey.Scope.INTERNAL]))
    assert "reason" in staff.get(f"/api/v1/cases/{case.process_id}/events").json()["data"][0]


def test_every_read_of_personal_data_is_logged_with_the_keys_name(api, north):
    cases = [new_case(north) for _ in range(3)]
    api.get("/api/v1/cases")
    api.get(f"/api/v1/cases/{cases[0].process_id}")
    api.get(f"/api/v1/cases/{cases[0].process_id}/notifications")
    api.get(f"/api/v1/cases/{cases[1].process_id}/timeline")
    api.get(f"/api/v1/cases/{cases[1].process_id}/events")
    api.get("/api/v1/events")  # the messages sent and the notes on all three
    logged = AccessLog.objects.filter(action=AccessLog.Action.API_READ)
    assert logged.count() == 3 + 1 + 1 + 1 + 1 + 3
    assert {entry.api_key.name for entry in logged} == {"CRM"}
    assert all(entry.user is None for entry in logged)


def test_the_timeline_speaks_the_language_asked_for(api, north):
    case = new_case(north)
    english = api.get(f"/api/v1/cases/{case.process_id}/timeline").json()
    welsh = api.get(f"/api/v1/cases/{case.process_id}/timeline", HTTP_ACCEPT_LANGUAGE="cy").json()
    assert english["stages"][0]["title"] == "Application received"
    assert welsh["stages"][0]["title"] == "Cais wedi dod i law"


def test_services_describe_each_workflow(north):
    key = client_for(make_key(north, service=Service.STREET_REPORT))
    services = key.get("/api/v1/services").json()["data"]
    assert [s["service"] for s in services] == ["street_report"]
    report = services[0]
    steps = {t["name"]: t for t in report["transitions"]}
    assert steps["schedule_repair"]["from"] == ["inspected"]
    assert steps["schedule_repair"]["to"] == ["repair_scheduled"]
    assert {
        "stage": "reported",
        "title": {"en": "Reported", "cy": "Wedi'i adrodd"},
        "states": ["reported"],
    } in report["stages"]
    assert (
        report["create_schema"]["properties"]["answers"]["properties"]["issue_type"]["enum"][0]
        == "pothole"
    )


def _queries(api, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert api.get(url).status_code == 200
    return len(queries)


def test_a_case_costs_a_fixed_number_of_queries(api, north):
    case = new_case(north)
    case_assign_to = caseworker(north)
    Case.objects.filter(pk=case.pk).update(assigned_to=case_assign_to)
    api.get("/api/v1/cases")  # the key is checked, its "last used" written once a minute
    # The case with its assignee, the access log. (The rate limit's count is written every
    # twelfth request, API_REQUESTS_PER_MINUTE // 100.)
    assert _queries(api, f"/api/v1/cases/{case.process_id}") == 2


def test_the_case_list_costs_the_same_queries_for_10_and_100_rows(api, north):
    for _ in range(100):
        new_case(north)
    api.get("/api/v1/cases")
    ten = _queries(api, "/api/v1/cases?limit=10")
    hundred = _queries(api, "/api/v1/cases?limit=100")
    # The page, the access log (one insert for all its rows).
    assert ten == hundred == 2


@pytest.mark.parametrize(
    ("when", "status"),
    [
        ("1971-06-01T16:10:14+23:52", 200),  # read in UTC
        ("0001-01-01T00:00:00+01:00", 400),  # before the calendar's first moment in UTC
        ("9999-12-31T23:59:59-01:00", 400),  # after its last
    ],
)
def test_a_since_with_any_offset_is_answered_not_a_server_error(api, north, when, status):
    new_case(north)
    response = api.get("/api/v1/cases", {"updated_since": when})
    assert response.status_code == status


def test_a_create_names_every_problem_at_once_as_it_was_sent(api, north):
    response = api.post(
        "/api/v1/cases",
        {
            "service": "street_report",
            "applicant": {"applicant_name": "", "nickname": "Sam"},
            "answers": {"issue_type": "pothole"},
        },
        format="json",
    )
    assert response.status_code == 400
    assert sorted(e["attr"] for e in response.json()["errors"]) == [
        "answers.location",
        "applicant.applicant_name",
        "applicant.email",  # asked for by email, the default
        "applicant.nickname",
    ]
    assert not Case.objects.exists()


def test_a_name_from_another_council_is_refused_as_an_unknown_one_is(api, north, south):
    case = new_case(north)
    caseworker(south, username="sid")
    url = f"/api/v1/cases/{case.process_id}/assignee"
    elsewhere = api.put(url, {"username": "sid"}, format="json")
    unknown = api.put(url, {"username": "nobody"}, format="json")
    assert elsewhere.status_code == unknown.status_code == 400
    assert elsewhere.json()["errors"] == unknown.json()["errors"]
    assert Case.objects.get(pk=case.pk).assigned_to is None


@pytest.mark.parametrize("field", ["assignee", "contact-preference"])
def test_a_stale_if_match_on_a_field_is_412_with_the_version_and_writes_nothing(api, north, field):
    case = new_case(north)
    caseworker(north, username="cath")
    body = {"username": "cath"} if field == "assignee" else {"contact_preference": "none"}
    events = CaseEvent.objects.filter(case=case).count()
    response = api.put(
        f"/api/v1/cases/{case.process_id}/{field}",
        body,
        format="json",
        HTTP_IF_MATCH=f'"{case.version + 1}"',
    )
    assert response.status_code == 412
    assert response.json()["current_version"] == case.version
    assert CaseEvent.objects.filter(case=case).count() == events
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.version, fresh.assigned_to_id, fresh.contact_preference) == (
        case.version,
        None,
        case.contact_preference,
    )


def test_if_match_is_checked_under_the_lock_not_on_the_read_before_it(api, north, monkeypatch):
    from django.db.models import F

    from cases import services

    case = new_case(north)
    lock = services.case_lock

    def changed_just_before_the_lock(found):  # another caseworker, between read and lock
        Case.objects.filter(pk=case.pk).update(version=F("version") + 1)
        return lock(found)

    monkeypatch.setattr(services, "case_lock", changed_just_before_the_lock)
    response = api.put(
        f"/api/v1/cases/{case.process_id}/contact-preference",
        {"contact_preference": "none"},
        format="json",
        HTTP_IF_MATCH=f'"{case.version}"',
    )
    assert response.status_code == 412
    assert response.json()["current_version"] == case.version + 1
    assert Case.objects.get(pk=case.pk).contact_preference == case.contact_preference


def test_a_query_parameter_the_operation_does_not_take_is_refused_by_name(api, north):
    response = api.get("/api/v1/cases", {"limit": "5", "colour": "red", "stat": "open"})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"attr": "colour", "code": "unknown", "detail": "This is not a parameter here."},
        {"attr": "stat", "code": "unknown", "detail": "This is not a parameter here."},
    ]
