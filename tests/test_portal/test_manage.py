"""The citizen's actions from the timeline (cases/portal/manage.py): change how we contact
you, withdraw an application, and say whether a street problem is fixed. Every change goes
through cases.services as the citizen; every refusal changes nothing."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from cases.models import Case, CaseEvent, ContactPreference, Service
from cases.services import Actor, case_transition
from tests.factories import council, make_case, new_case

pytestmark = pytest.mark.django_db

STALE = "Someone else changed this case while you were looking at it"


@pytest.fixture
def organisation():
    return council(name="Northshire Council", slug="northshire")


@pytest.fixture
def caseworker_actor(admin_user):
    return Actor.caseworker(admin_user)


def open_case(client, case, second_factor="AB1 2CD"):
    """Proves the browser may see the case, as a citizen does: reference and postcode."""
    response = client.post(
        "/track/", {"reference": case.reference, "postcode_or_email": second_factor}
    )
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == f"/track/{case.process_id}/"


def fresh(case) -> Case:
    return Case.objects.get(pk=case.pk)


def events(case) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case).order_by("id"))


def text(response) -> str:
    """The page's text, tags and runs of white space collapsed."""
    html = response.content.decode()
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def error_summary(response) -> str:
    html = response.content.decode()
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    assert match, "no error summary on the page"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(0))).split())


def title(response) -> str:
    return " ".join(re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)[1].split())


def hidden_version(response) -> int:
    return int(re.search(r'name="version" value="(\d+)"', response.content.decode())[1])


def success_banner(response) -> str:
    html = response.content.decode()
    match = re.search(
        r'<div class="govuk-notification-banner govuk-notification-banner--success".*?</p>',
        html,
        re.S,
    )
    assert match, "no success banner on the page"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(0))).split())


# --- Change how we contact you -----------------------------------------------------------


def test_the_timeline_links_to_the_contact_page(client, organisation):
    case = new_case(organisation)
    open_case(client, case)
    html = client.get(f"/track/{case.process_id}/").content.decode()
    assert f'href="/track/{case.process_id}/contact/"' in html
    assert "Change how we contact you" in html


def test_changing_to_text_message_goes_through_the_services(client, organisation):
    case = new_case(organisation)
    open_case(client, case)
    page = client.get(f"/track/{case.process_id}/contact/")
    assert page.status_code == 200
    assert "How should we contact you?" in text(page)
    assert re.search(r'value="email" checked', page.content.decode())

    response = client.post(f"/track/{case.process_id}/contact/", {"contact_preference": "sms"})

    assert response.status_code == 302
    assert response["Location"] == f"/track/{case.process_id}/"
    assert fresh(case).contact_preference == ContactPreference.SMS
    changed = events(case)[-1]
    assert changed.kind == CaseEvent.Kind.CONTACT_CHANGED
    assert changed.actor_kind == "citizen"
    assert changed.actor_label == "citizen portal"
    assert changed.data == {"from": "email", "to": "sms"}
    timeline = client.get(response["Location"])
    assert "We will contact you by text message" in success_banner(timeline)
    assert "We contact you by Text message" in text(timeline)
    # The banner is shown once.
    assert "We will contact you by text message" not in text(client.get(response["Location"]))


def test_a_channel_we_have_no_details_for_cannot_be_chosen(client, organisation):
    case = new_case(organisation, phone="")
    open_case(client, case)

    page = client.get(f"/track/{case.process_id}/contact/")
    # Only the ways we can use are radios; the page says what we are missing for the rest.
    radios = re.findall(r'type="radio" value="(\w+)"', page.content.decode())
    assert radios == ["email", "letter", "none"]
    assert "You cannot choose: Text message – We do not have a mobile number for you" in text(page)

    response = client.post(f"/track/{case.process_id}/contact/", {"contact_preference": "sms"})

    assert response.status_code == 400
    assert "We do not have a mobile number for you" in error_summary(response)
    assert title(response).startswith("Error:")
    assert fresh(case).contact_preference == ContactPreference.EMAIL
    assert [e.kind for e in events(case)] == [CaseEvent.Kind.CREATED]


def test_a_landline_is_not_a_number_we_can_text(client, organisation):
    case = new_case(organisation, phone="01632 960001")
    open_case(client, case)
    response = client.post(f"/track/{case.process_id}/contact/", {"contact_preference": "sms"})
    assert response.status_code == 400
    assert "We do not have a mobile number for you" in error_summary(response)
    assert fresh(case).contact_preference == ContactPreference.EMAIL


def test_letters_need_a_postal_address(client, organisation):
    case = new_case(organisation, address_line_1="", town="", postcode="")
    open_case(client, case, second_factor="ann@example.com")
    response = client.post(f"/track/{case.process_id}/contact/", {"contact_preference": "letter"})
    assert response.status_code == 400
    assert "We do not have a postal address for you" in error_summary(response)
    assert fresh(case).contact_preference == ContactPreference.EMAIL


def test_no_choice_or_an_unknown_one_is_an_error(client, organisation):
    case = new_case(organisation)
    open_case(client, case)
    for data in ({}, {"contact_preference": "pigeon"}):
        response = client.post(f"/track/{case.process_id}/contact/", data)
        assert response.status_code == 400
        assert "Select how we should contact you" in error_summary(response)
        # The summary links to the first radio, which has that id.
        assert 'href="#id_contact_preference"' in response.content.decode()
        assert 'id="id_contact_preference"' in response.content.decode()
    assert len(events(case)) == 1


def test_do_not_contact_me_is_always_possible(client, organisation):
    case = new_case(organisation)
    open_case(client, case)
    response = client.post(f"/track/{case.process_id}/contact/", {"contact_preference": "none"})
    assert response.status_code == 302
    assert fresh(case).contact_preference == ContactPreference.NONE
    timeline = client.get(response["Location"])
    assert "We will not contact you about this case" in success_banner(timeline)


# --- Access and CSRF ---------------------------------------------------------------------


@pytest.mark.parametrize("action", ["contact", "withdraw", "fixed"])
def test_without_access_every_page_sends_you_to_find_your_case(client, organisation, action):
    case = make_case(organisation, Service.STREET_REPORT, "fixed")
    badge = new_case(organisation)
    target = case if action == "fixed" else badge
    other = new_case(organisation)
    open_case(client, other)  # access to another case is not access to this one

    for method in (client.get, client.post):
        response = method(
            f"/track/{target.process_id}/{action}/",
            {"contact_preference": "sms", "confirm": "yes", "fixed": "yes", "version": "1"},
        )
        assert response.status_code == 302
        assert response["Location"] == "/track/"
    assert len(events(badge)) == 1
    assert events(case) == []
    assert fresh(badge).contact_preference == ContactPreference.EMAIL
    assert fresh(badge).state == "submitted"
    assert fresh(case).state == "fixed"


def test_an_unknown_reference_sends_you_to_find_your_case(client):
    response = client.get("/track/BB-0000-0000-000/withdraw/")
    assert response.status_code == 302
    assert response["Location"] == "/track/"


def test_the_forms_are_csrf_protected(organisation):
    case = new_case(organisation)
    client = Client(enforce_csrf_checks=True)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get("/track/").text)
    client.post(
        "/track/",
        {
            "reference": case.reference,
            "postcode_or_email": "AB1 2CD",
            "csrfmiddlewaretoken": token[1],
        },
    )
    page = client.get(f"/track/{case.process_id}/withdraw/")
    assert page.status_code == 200
    data = {"confirm": "yes", "version": str(case.version)}

    assert client.post(f"/track/{case.process_id}/withdraw/", data).status_code == 403
    assert (
        client.post(f"/track/{case.process_id}/contact/", {"contact_preference": "sms"}).status_code
        == 403
    )
    assert fresh(case).state == "submitted"

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    response = client.post(
        f"/track/{case.process_id}/withdraw/", {**data, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert fresh(case).state == "withdrawn"


# --- Withdraw ----------------------------------------------------------------------------


def test_withdrawing_goes_through_the_services_and_the_timeline_shows_the_outcome(
    client, organisation
):
    case = new_case(organisation)
    open_case(client, case)
    timeline = client.get(f"/track/{case.process_id}/")
    assert f'href="/track/{case.process_id}/withdraw/"' in timeline.content.decode()

    page = client.get(f"/track/{case.process_id}/withdraw/")
    assert page.status_code == 200
    assert "Are you sure you want to withdraw your application?" in text(page)
    assert hidden_version(page) == case.version

    response = client.post(
        f"/track/{case.process_id}/withdraw/", {"confirm": "yes", "version": case.version}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/track/{case.process_id}/"
    assert fresh(case).state == "withdrawn"
    event = events(case)[-1]
    assert (event.kind, event.transition, event.actor_kind, event.actor_label) == (
        CaseEvent.Kind.TRANSITION,
        "withdraw",
        "citizen",
        "citizen portal",
    )
    timeline = client.get(response["Location"])
    assert re.search(r"<h1[^>]*>Your application was withdrawn</h1>", timeline.content.decode())
    assert "You have withdrawn your application" in success_banner(timeline)
    assert "The application was withdrawn" in text(timeline)
    # Nothing left to withdraw.
    assert "Withdraw your application" not in text(timeline)


def test_answering_no_changes_nothing(client, organisation):
    case = new_case(organisation)
    open_case(client, case)
    response = client.post(
        f"/track/{case.process_id}/withdraw/", {"confirm": "no", "version": case.version}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/track/{case.process_id}/"
    assert fresh(case).state == "submitted"
    assert len(events(case)) == 1


def test_withdraw_without_an_answer_is_an_error(client, organisation):
    case = new_case(organisation)
    open_case(client, case)
    response = client.post(f"/track/{case.process_id}/withdraw/", {"version": case.version})
    assert response.status_code == 400
    assert "Select yes if you want to withdraw your application" in error_summary(response)
    assert title(response).startswith("Error: Are you sure")
    assert 'class="govuk-error-message"' in response.content.decode()
    assert fresh(case).state == "submitted"


def test_an_approved_application_cannot_be_withdrawn(client, organisation, caseworker_actor):
    case = new_case(organisation)
    case_transition(case=case, transition="start_assessment", actor=caseworker_actor)
    case = case_transition(case=case, transition="approve", actor=caseworker_actor)
    assert case.state == "approved"
    before = len(events(case))
    open_case(client, case)

    timeline = client.get(f"/track/{case.process_id}/")
    assert "Withdraw your application" not in text(timeline)
    # The page itself sends you back to the timeline.
    page = client.get(f"/track/{case.process_id}/withdraw/")
    assert page.status_code == 302
    assert page["Location"] == f"/track/{case.process_id}/"

    response = client.post(
        f"/track/{case.process_id}/withdraw/", {"confirm": "yes", "version": case.version}
    )

    assert response.status_code == 409
    assert "This case is 'Approved', so 'Withdraw' is not possible" in error_summary(response)
    assert title(response).startswith("Error:")
    assert fresh(case).state == "approved"
    assert len(events(case)) == before


def test_a_stale_page_gets_a_conflict_message(client, organisation, caseworker_actor):
    case = new_case(organisation)
    open_case(client, case)
    page = client.get(f"/track/{case.process_id}/withdraw/")
    seen = hidden_version(page)
    case_transition(case=case, transition="start_assessment", actor=caseworker_actor)
    before = len(events(case))

    response = client.post(
        f"/track/{case.process_id}/withdraw/", {"confirm": "yes", "version": seen}
    )

    assert response.status_code == 409
    assert STALE in error_summary(response)
    assert "It is now 'In assessment'" in error_summary(response)
    assert fresh(case).state == "in_assessment"
    assert len(events(case)) == before
    # The page now carries the current version: answering again works.
    assert hidden_version(response) == fresh(case).version != seen
    again = client.post(
        f"/track/{case.process_id}/withdraw/",
        {"confirm": "yes", "version": hidden_version(response)},
    )
    assert again.status_code == 302
    assert fresh(case).state == "withdrawn"


def test_a_missing_version_is_an_error(client, organisation):
    case = new_case(organisation)
    open_case(client, case)
    response = client.post(f"/track/{case.process_id}/withdraw/", {"confirm": "yes"})
    assert response.status_code == 400
    assert "This page is out of date" in error_summary(response)
    assert 'href="#id_version"' not in response.content.decode()
    assert fresh(case).state == "submitted"


# --- Is it fixed? ------------------------------------------------------------------------


@pytest.fixture
def fixed_report(organisation):
    return make_case(organisation, Service.STREET_REPORT, "fixed")


def test_the_timeline_asks_whether_it_is_fixed(client, fixed_report):
    open_case(client, fixed_report)
    html = client.get(f"/track/{fixed_report.process_id}/").content.decode()
    assert re.search(
        rf'<a class="govuk-notification-banner__link" href="/track/{fixed_report.process_id}/'
        r'fixed/">Tell us if it is fixed</a>',
        html,
    )
    assert "Withdraw your application" not in html
    page = client.get(f"/track/{fixed_report.process_id}/fixed/")
    assert page.status_code == 200
    assert "Is it fixed?" in text(page)
    assert "What is still wrong? (optional)" in text(page)


def test_yes_it_is_fixed_closes_the_report(client, fixed_report):
    open_case(client, fixed_report)
    response = client.post(
        f"/track/{fixed_report.process_id}/fixed/",
        # A message typed before choosing yes is not sent with the confirmation.
        {"fixed": "yes", "message": "typed then changed my mind", "version": 1},
    )
    assert response.status_code == 302
    assert fresh(fixed_report).state == "closed"
    event = events(fixed_report)[-1]
    assert (event.transition, event.actor_kind, event.message) == ("confirm_fixed", "citizen", "")
    timeline = client.get(response["Location"])
    assert "We have closed your report" in success_banner(timeline)
    assert "You told us it is fixed" in text(timeline)


def test_no_it_is_not_fixed_reopens_the_report_with_what_is_wrong(client, fixed_report):
    open_case(client, fixed_report)
    response = client.post(
        f"/track/{fixed_report.process_id}/fixed/",
        {"fixed": "no", "message": "The hole is back after the rain.", "version": 1},
    )
    assert response.status_code == 302
    assert fresh(fixed_report).state == "reported"
    event = events(fixed_report)[-1]
    assert (event.transition, event.actor_kind) == ("reopen", "citizen")
    assert event.message == "The hole is back after the rain."
    timeline = client.get(response["Location"])
    assert "We have reopened your report" in success_banner(timeline)
    assert "The hole is back after the rain." in text(timeline)
    # No longer fixed: the question has gone.
    assert client.get(f"/track/{fixed_report.process_id}/fixed/").status_code == 302


def test_what_is_still_wrong_is_optional(client, fixed_report):
    open_case(client, fixed_report)
    response = client.post(
        f"/track/{fixed_report.process_id}/fixed/", {"fixed": "no", "version": 1}
    )
    assert response.status_code == 302
    assert fresh(fixed_report).state == "reported"
    assert events(fixed_report)[-1].message == ""


def test_is_it_fixed_needs_an_answer_and_a_short_enough_message(client, fixed_report):
    open_case(client, fixed_report)
    url = f"/track/{fixed_report.process_id}/fixed/"
    response = client.post(url, {"version": 1})
    assert response.status_code == 400
    assert "Select yes if the problem is fixed" in error_summary(response)
    response = client.post(url, {"fixed": "no", "message": "x" * 1001, "version": 1})
    assert response.status_code == 400
    assert "What is still wrong must be 1000 characters or less" in error_summary(response)
    # The answer is kept and the text box shown.
    assert re.search(r'value="no" checked', response.content.decode())
    assert fresh(fixed_report).state == "fixed"
    assert events(fixed_report) == []


def test_after_the_reopen_window_the_citizen_is_told_why_not(client, organisation):
    long_ago = (timezone.now() - timedelta(days=30)).isoformat()
    report = make_case(organisation, Service.STREET_REPORT, "fixed", details={"fixed_at": long_ago})
    open_case(client, report)
    response = client.post(f"/track/{report.process_id}/fixed/", {"fixed": "no", "version": 1})
    assert response.status_code == 409
    summary = error_summary(response)
    assert "'Reopen: it is not fixed' is not possible" in summary
    assert "From there you can: Confirm it is fixed." in summary
    assert fresh(report).state == "fixed"
    assert events(report) == []


def test_is_it_fixed_with_a_stale_page(client, fixed_report, caseworker_actor):
    open_case(client, fixed_report)
    case_transition(case=fixed_report, transition="close", actor=Actor.system("nightly"))
    response = client.post(
        f"/track/{fixed_report.process_id}/fixed/", {"fixed": "yes", "version": 1}
    )
    assert response.status_code == 409
    assert STALE in error_summary(response)
    assert fresh(fixed_report).state == "closed"
    assert [e.transition for e in events(fixed_report)] == ["close"]


def test_the_question_is_only_asked_of_a_fixed_report(client, organisation):
    report = make_case(organisation, Service.STREET_REPORT, "repair_scheduled")
    open_case(client, report)
    assert "/fixed/" not in client.get(f"/track/{report.process_id}/").content.decode()
    response = client.get(f"/track/{report.process_id}/fixed/")
    assert response.status_code == 302
    assert response["Location"] == f"/track/{report.process_id}/"
