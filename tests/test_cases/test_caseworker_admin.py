"""The caseworker's admin: roles, scoping, transitions through the services, bulk work,
export and the dashboard."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, CaseEvent, Membership, Role, Service
from cases.services import Actor, case_transition
from notify.models import Notification
from tests.factories import UserFactory, caseworker, council, make_case, new_case

pytestmark = pytest.mark.django_db

ROLES = [Role.ADMIN, Role.EDITOR, Role.READ_ONLY]


@pytest.fixture
def north_and_south():
    north, south = council(slug="north", name="North"), council(slug="south", name="South")
    return north, south, new_case(north), new_case(south)


def change_url(case):
    return f"/admin/cases/case/{case.pk}/change/"


def transition_url(case, name):
    return f"/admin/cases/case/{case.pk}/transition/{name}/"


@pytest.mark.parametrize("role", ROLES)
def test_other_councils_cases_are_invisible_to_every_role(client, north_and_south, role):
    north, _south, mine, theirs = north_and_south
    client.force_login(caseworker(north, role=role))

    listing = client.get("/admin/cases/case/")
    assert mine.reference in listing.text
    assert theirs.reference not in listing.text
    # Search, by their exact reference: still nothing.
    found = client.get("/admin/cases/case/", {"q": theirs.reference})
    assert "0 results" in found.text
    assert f'href="{change_url(theirs)}"' not in found.text
    # Typed by hand: the case page, a transition, a note.
    assert theirs.reference not in client.get(change_url(theirs), follow=True).text
    assert client.post(transition_url(theirs, "start_assessment")).status_code == 404
    assert client.post(f"/admin/cases/case/{theirs.pk}/note/", {"text": "hi"}).status_code == 404
    # Export of everything the list offers, with "select all across pages".
    export = client.post(
        "/admin/cases/case/",
        {
            "action": "export_csv",
            "select_across": "1",
            "index": "0",
            "_selected_action": [str(mine.pk)],
        },
    )
    body = b"".join(export.streaming_content).decode()
    assert mine.reference in body
    assert theirs.reference not in body
    # The council filter names only their own council.
    assert "South" not in listing.text.split('id="changelist-filter"')[-1]
    theirs.refresh_from_db()
    assert theirs.state == "submitted"
    assert not CaseEvent.objects.filter(case=theirs).exclude(kind="created").exists()


def test_a_read_only_member_sees_no_buttons_and_cannot_transition(client, north_and_south):
    north, _south, case, _ = north_and_south
    client.force_login(caseworker(north, role=Role.READ_ONLY))

    page = client.get(change_url(case))
    assert page.status_code == 200
    assert "read-only role" in page.text
    assert 'data-transition="start_assessment"' not in page.text

    client.post(transition_url(case, "start_assessment"), {"version": case.version})
    case.refresh_from_db()
    assert case.state == "submitted"
    assert not CaseEvent.objects.filter(case=case, kind="transition").exists()


@pytest.mark.parametrize("role", [Role.EDITOR, Role.ADMIN])
def test_an_editor_moves_a_case_on_through_the_services(client, north_and_south, role):
    north, _south, case, _ = north_and_south
    user = caseworker(north, role=role)
    client.force_login(user)
    page = client.get(change_url(case))
    assert 'data-transition="start_assessment"' in page.text

    response = client.post(
        transition_url(case, "request_evidence"),
        {
            "version": case.version,
            "reason": "Letter unreadable",
            "message": "Please send a clearer copy of your award letter",
        },
        follow=True,
    )

    assert "is now &#x27;More evidence requested&#x27;" in response.text
    case.refresh_from_db()
    assert case.state == "evidence_requested"
    event = CaseEvent.objects.get(case=case, kind="transition")
    assert (event.actor_user, event.reason) == (user, "Letter unreadable")
    assert Notification.objects.filter(case=case, event="evidence_requested").count() == 1


def test_a_transition_not_allowed_shows_the_reason_and_changes_nothing(client, north_and_south):
    north, _south, case, _ = north_and_south
    client.force_login(caseworker(north))

    response = client.post(
        transition_url(case, "dispatch_badge"), {"version": case.version}, follow=True
    )

    assert "so &#x27;Badge dispatched&#x27; is not possible" in response.text
    case.refresh_from_db()
    assert case.state == "submitted"
    assert case.version == 1


def test_a_missing_reason_or_a_stale_page_is_explained_and_changes_nothing(client, north_and_south):
    north, _south, case, _ = north_and_south
    client.force_login(caseworker(north))
    unconfirmed = client.post(
        transition_url(case, "refuse"),
        {"version": case.version, "message": "No", "reason": "Not eligible"},
        follow=True,
    )
    assert "Nothing has changed: tick the box to confirm" in unconfirmed.text
    refused = client.post(
        transition_url(case, "refuse"),
        {"version": case.version, "message": "No", "confirm": "yes"},
        follow=True,
    )
    assert "Reason: Enter a reason" in refused.text
    stale = client.post(transition_url(case, "start_assessment"), {"version": 99}, follow=True)
    assert "Someone else changed this case" in stale.text
    case.refresh_from_db()
    assert (case.state, case.version) == ("submitted", 1)


def test_transition_data_is_validated_by_the_workflows_form(client):
    north = council(slug="north")
    report = make_case(north, Service.STREET_REPORT, "inspected")
    client.force_login(caseworker(north))
    page = client.get(change_url(report))
    for part in ("day", "month", "year"):  # GOV.UK's date input
        assert f'name="data-repair_date_{part}"' in page.text

    bad = client.post(
        transition_url(report, "schedule_repair"),
        {
            "version": 1,
            "data-repair_date_day": "31",
            "data-repair_date_month": "2",
            "data-repair_date_year": "2099",
        },
        follow=True,
    )
    assert "Repair date: Enter a real date, with the day first" in bad.text
    good = client.post(
        transition_url(report, "schedule_repair"),
        {
            "version": 1,
            "data-repair_date_day": "1",
            "data-repair_date_month": "5",
            "data-repair_date_year": "2099",
        },
        follow=True,
    )
    assert "Repair scheduled" in good.text
    report.refresh_from_db()
    assert report.details["repair_date"] == "2099-05-01"


@pytest.mark.parametrize(
    "typed",
    [
        {"repair_date": "03/01/2099"},
        {"repair_date": "2099-01-03"},
        {"repair_date_day": "3", "repair_date_month": "1", "repair_date_year": "2099"},
    ],
)
def test_a_repair_date_is_read_day_first_however_it_is_typed(admin_user, typed):
    report = make_case(council(), Service.STREET_REPORT, "inspected")
    done = case_transition(
        case=report.pk,
        transition="schedule_repair",
        actor=Actor.caseworker(admin_user),
        data=typed,
    )
    assert done.details["repair_date"] == "2099-01-03"  # 3 January, never 1 March


def test_notes_are_recorded_with_who_wrote_them(client, north_and_south):
    north, _south, case, _ = north_and_south
    user = caseworker(north)
    client.force_login(user)
    client.post(f"/admin/cases/case/{case.pk}/note/", {"text": "Called the applicant"})
    note = CaseEvent.objects.get(case=case, kind="note")
    assert (note.reason, note.actor_user, note.public) == ("Called the applicant", user, False)


def test_a_council_admin_manages_their_councils_users_and_an_editor_cannot(client):
    north, south, east = council(slug="north"), council(slug="south"), council(slug="east")
    boss, editor = caseworker(north, role=Role.ADMIN), caseworker(north, role=Role.EDITOR)
    Membership.objects.create(user=boss, organisation=east, role=Role.ADMIN)
    other = caseworker(south)
    unaffiliated = UserFactory()

    client.force_login(editor)
    assert client.get("/admin/cases/membership/add/").status_code == 403

    client.force_login(boss)
    listing = client.get("/admin/cases/membership/")
    assert editor.username in listing.text
    assert other.username not in listing.text
    form = client.get("/admin/cases/membership/add/").text
    assert editor.username in form
    assert other.username not in form  # another council's editor is not even offered
    assert unaffiliated.username not in form
    added = client.post(
        "/admin/cases/membership/add/",
        {"user": editor.pk, "organisation": east.pk, "role": Role.READ_ONLY},
    )
    assert added.status_code == 302
    assert Membership.objects.get(user=editor, organisation=east).role == Role.READ_ONLY
    # Never another council's staff, even by a tampered form.
    refused = client.post(
        "/admin/cases/membership/add/",
        {"user": other.pk, "organisation": north.pk, "role": Role.ADMIN},
    )
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.text
    assert not Membership.objects.filter(user=other, organisation=north).exists()
    # Not for another council.
    client.post(
        "/admin/cases/membership/add/",
        {"user": editor.pk, "organisation": south.pk, "role": Role.ADMIN},
    )
    assert not Membership.objects.filter(user=editor, organisation=south).exists()
    membership = Membership.objects.get(user=editor, organisation=north)
    client.post(
        f"/admin/cases/membership/{membership.pk}/change/",
        {"user": editor.pk, "organisation": north.pk, "role": Role.READ_ONLY},
    )
    membership.refresh_from_db()
    assert membership.role == Role.READ_ONLY


def bulk(client, cases, **fields):
    return client.post(
        "/admin/cases/case/",
        {
            "action": "transition_selected",
            "apply": "1",
            "index": "0",
            "_selected_action": [str(c.pk) for c in cases],
            **fields,
        },
    )


def test_bulk_transition_reports_each_row(client):
    north = council(slug="north")
    ready = [make_case(north, Service.BLUE_BADGE, "submitted") for _ in range(3)]
    stuck = make_case(north, Service.BLUE_BADGE, "approved")
    client.force_login(caseworker(north))

    response = bulk(client, [*ready, stuck], transition="start_assessment")

    assert response.status_code == 200
    assert "<strong>3</strong> done, <strong>1</strong> not done" in response.text
    assert "so &#x27;Start assessment&#x27; is not possible" in response.text
    assert Case.objects.filter(state="in_assessment").count() == 3
    stuck.refresh_from_db()
    assert stuck.state == "approved"


def queries_for_bulk(client, organisation, count):
    cases = [make_case(organisation, Service.BLUE_BADGE, "submitted") for _ in range(count)]
    with CaptureQueriesContext(connection) as captured:
        response = bulk(client, cases, transition="start_assessment")
    assert f"<strong>{count}</strong> done" in response.text
    return len(captured.captured_queries)


def test_bulk_transition_over_200_cases_costs_the_same_queries_per_row(client):
    north = council(slug="north")
    client.force_login(caseworker(north))
    ten, twenty = queries_for_bulk(client, north, 10), queries_for_bulk(client, north, 20)
    per_row = (twenty - ten) / 10
    two_hundred = queries_for_bulk(client, north, 200)
    assert per_row == int(per_row)
    assert two_hundred == ten + 190 * per_row
    assert per_row <= 15


def test_the_case_list_costs_the_same_queries_for_5_and_50_rows(client, admin_user):
    north = council(slug="north")
    client.force_login(admin_user)
    for _ in range(5):
        new_case(north)
    with CaptureQueriesContext(connection) as five:
        client.get("/admin/cases/case/")
    for _ in range(45):
        new_case(north)
    with CaptureQueriesContext(connection) as fifty:
        page = client.get("/admin/cases/case/")
    assert page.text.count("BB-") >= 50
    assert len(fifty.captured_queries) == len(five.captured_queries)


def test_a_caseworkers_case_list_is_eleven_queries_for_5_or_100_rows(client):
    """The session and the user, the user's councils (once, however often the page asks
    what the user may do), the council filter's choices, the counts, the permissions,
    the page of cases and the date hierarchy's two."""
    north = council(slug="north")
    client.force_login(caseworker(north))
    for _ in range(5):
        new_case(north)
    client.get("/admin/cases/case/")  # a first visit may warm caches
    with CaptureQueriesContext(connection) as five:
        client.get("/admin/cases/case/")
    for _ in range(95):
        new_case(north)
    with CaptureQueriesContext(connection) as hundred:
        page = client.get("/admin/cases/case/")
    assert page.text.count('class="action-select"') == 100
    assert len(five.captured_queries) == len(hundred.captured_queries) == 11


def test_assign_to_me_and_the_assigned_filter(client, north_and_south):
    north, _south, case, _ = north_and_south
    user = caseworker(north)
    client.force_login(user)
    client.post(
        "/admin/cases/case/",
        {"action": "assign_to_me", "index": "0", "_selected_action": [str(case.pk)]},
    )
    case.refresh_from_db()
    assert case.assigned_to == user
    assert CaseEvent.objects.filter(case=case, kind="assigned").count() == 1
    mine = client.get("/admin/cases/case/", {"assigned": "me"})
    assert case.reference in mine.text
    assert case.reference not in client.get("/admin/cases/case/", {"assigned": "nobody"}).text


def test_export_has_a_header_and_a_row_per_case(client, north_and_south):
    north, _south, case, _ = north_and_south
    client.force_login(caseworker(north, role=Role.READ_ONLY))
    response = client.post(
        "/admin/cases/case/",
        {"action": "export_csv", "index": "0", "_selected_action": [str(case.pk)]},
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["reference", "service", "state"]
    assert rows[1][:3] == [case.reference, "blue_badge", "submitted"]


@pytest.mark.parametrize(
    "typed",
    [
        '=HYPERLINK("http://evil.example","Click")',
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "+1+2",
        "-2+3+cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_the_export_never_writes_a_formula_a_citizen_typed(client, north_and_south, typed):
    north, _south, case, _ = north_and_south
    Case.objects.filter(pk=case.pk).update(applicant_name=typed, postcode=typed[:10])
    client.force_login(caseworker(north, role=Role.READ_ONLY))

    response = client.post(
        "/admin/cases/case/",
        {"action": "export_csv", "index": "0", "_selected_action": [str(case.pk)]},
    )

    text = b"".join(response.streaming_content).decode()
    row = next(r for r in csv.reader(io.StringIO(text)) if r[0] == case.reference)
    name, postcode = row[-2], row[-1]
    assert (name, postcode) == ("'" + typed, "'" + typed[:10])


def test_the_export_leaves_ordinary_text_alone(client, north_and_south):
    north, _south, case, _ = north_and_south
    Case.objects.filter(pk=case.pk).update(applicant_name="Ann O'Neil-Smith = 2")
    client.force_login(caseworker(north, role=Role.READ_ONLY))
    response = client.post(
        "/admin/cases/case/",
        {"action": "export_csv", "index": "0", "_selected_action": [str(case.pk)]},
    )
    assert "Ann O'Neil-Smith = 2" in b"".join(response.streaming_content).decode()


@pytest.mark.parametrize("version", ["abc", "1.5", "²", "-1", "9" * 40])
def test_a_transition_with_a_version_that_is_not_a_number_is_refused_plainly(
    client, north_and_south, version
):
    north, _south, case, _ = north_and_south
    client.force_login(caseworker(north, role=Role.EDITOR))

    response = client.post(transition_url(case, "start_assessment"), {"version": version})

    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).state == "submitted"
    page = client.get(change_url(case))
    assert "The page was out of date" in page.text


@pytest.mark.parametrize("year", ["447700900982", "0", "9999", "abc", "²", "9" * 5000])
def test_a_date_filter_that_is_not_a_date_is_dropped(client, north_and_south, year):
    north, *_ = north_and_south
    client.force_login(caseworker(north))

    response = client.get("/admin/cases/case/", {"created_at__year": year, "q": "Ann"})

    assert response.status_code == 302
    assert response["Location"] == "/admin/cases/case/?q=Ann"


@pytest.mark.parametrize(
    ("object_id", "status", "at"),
    [
        ("abc", 200, "/admin/"),  # the admin's home, saying there is no such case
        ("1.5", 200, "/admin/"),
        ("9" * 30, 200, "/admin/"),
        ("%00", 400, None),  # a NUL is never part of an address
    ],
)
def test_a_case_page_for_an_id_that_is_not_one_is_not_found(
    client, north_and_south, object_id, status, at
):
    north, *_ = north_and_south
    client.force_login(caseworker(north, role=Role.EDITOR))

    response = client.get(f"/admin/cases/case/{object_id}/change/", follow=True)

    assert response.status_code == status
    assert [url for url, _code in response.redirect_chain][-1:] == ([at] if at else [])
    assert "Internal Server Error" not in response.text


@pytest.mark.parametrize("selected", ["abc", "1.5", "", "²"])
def test_an_action_on_a_selection_that_is_not_an_id_changes_nothing(
    client, north_and_south, selected
):
    north, _south, case, _ = north_and_south
    client.force_login(caseworker(north, role=Role.EDITOR))

    response = client.post(
        "/admin/cases/case/",
        {"action": "assign_to_me", "index": "0", "_selected_action": [selected]},
        follow=True,
    )

    assert response.status_code == 200
    assert Case.objects.get(pk=case.pk).assigned_to is None


def test_the_dashboard_counts_only_the_users_councils(client, north_and_south):
    north, _south, case, _ = north_and_south
    Case.objects.filter(pk=case.pk).update(overdue=True)
    Notification.objects.filter(case=case).update(status="permanent-failure")
    client.force_login(caseworker(north, role=Role.READ_ONLY))
    page = client.get("/admin/cases/case/dashboard/")
    assert page.status_code == 200
    assert 'data-testid="open">1<' in page.text
    assert 'data-testid="overdue" class="waymark-overdue">1<' in page.text
    assert 'data-testid="failed">1<' in page.text


def test_views_and_exports_of_personal_data_are_logged_with_who_and_when(client, north_and_south):
    from cases.models import AccessLog

    north, _south, case, _ = north_and_south
    user = caseworker(north, role=Role.READ_ONLY)
    client.force_login(user)

    client.get(change_url(case), REMOTE_ADDR="10.2.3.4")
    export = client.post(
        "/admin/cases/case/",
        {"action": "export_csv", "index": "0", "_selected_action": [str(case.pk)]},
    )
    b"".join(export.streaming_content)

    logged = list(
        AccessLog.objects.filter(case=case)
        .order_by("at")
        .values_list("user", "action", "ip_address")
    )
    assert logged == [(user.pk, "viewed", "10.2.3.4"), (user.pk, "exported", "127.0.0.1")]
    # Caseworkers of the council can read the log; nobody can change it.
    page = client.get("/admin/cases/accesslog/")
    assert page.status_code == 200
    assert case.reference in page.text or str(case) in page.text


def test_autocomplete_never_offers_another_councils_cases(client, north_and_south):
    north, _south, mine, theirs = north_and_south
    client.force_login(caseworker(north))
    url = "/admin/autocomplete/"
    params = {"app_label": "cases", "model_name": "case", "field_name": "duplicate_of"}

    own = client.get(url, {**params, "term": mine.reference})
    other = client.get(url, {**params, "term": theirs.reference})

    assert own.status_code == 200
    assert [r["id"] for r in own.json()["results"]] == [str(mine.pk)]
    assert other.json()["results"] == []


def test_the_case_page_shows_times_day_first(client, north_and_south):
    north, _, case, _ = north_and_south
    user = caseworker(north)
    case_transition(
        case=case.pk,
        transition="request_evidence",
        actor=Actor.caseworker(user),
        reason="Unreadable",
        message="Please send a clearer copy",
    )
    when = datetime(2026, 12, 2, 13, 30, tzinfo=UTC)
    Notification.objects.filter(case=case).update(created_at=when)
    client.force_login(user)
    page = client.get(change_url(case)).content.decode()
    assert "2 December 2026, 13:30" in page
    assert "Dec. 2" not in page
