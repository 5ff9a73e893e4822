"""Street report messages name the problem and the place: "your report of a pothole at
Outside 3 Mill Lane", in the case's language; every report_* template asks for both, in
every channel; a long place is cut so a text message stays short."""

from __future__ import annotations

import pytest

from cases.models import Service
from cases.services import Actor, case_create
from cases.workflows.street_report import PLACE_LIMIT, StreetReportAnswers, StreetReportCase
from notify.models import Notification
from notify.services import case_values
from notify.sms import GSM_BASIC
from notify.templates import TEMPLATES
from tests.factories import APPLICANT, council, make_case

pytestmark = pytest.mark.django_db
REPORT_EVENTS = sorted(event for event in TEMPLATES if event.startswith("report_"))


def report(organisation, *, language="en", contact="email", **answers):
    return case_create(
        organisation=organisation,
        service=Service.STREET_REPORT,
        applicant={**APPLICANT, "contact_preference": contact},
        answers={"issue_type": "pothole", "location": "Outside 3 Mill Lane", **answers},
        actor=Actor.system("tests"),
        language=language,
    )


def test_every_issue_type_has_a_name_in_both_languages():
    assert set(StreetReportCase.ISSUE_LABELS) == {k for k, _ in StreetReportAnswers.ISSUE_TYPES}
    for label in StreetReportCase.ISSUE_LABELS.values():
        assert label.en
        assert label.cy


@pytest.mark.parametrize("event", REPORT_EVENTS)
@pytest.mark.parametrize("channel", ["email", "sms", "letter"])
def test_every_report_template_names_the_problem_and_the_place(event, channel):
    for language in ("en", "cy"):
        assert {"problem", "place"} <= TEMPLATES[event].placeholders(channel, language)


def test_the_acknowledgement_says_what_and_where(db):
    case = report(council())
    email = Notification.objects.get(case=case, event="report_received")
    assert email.subject == "We have your report of a pothole"
    assert "Thank you for reporting a pothole at Outside 3 Mill Lane." in email.body
    assert email.personalisation["problem"] == "a pothole"
    assert email.personalisation["place"] == "Outside 3 Mill Lane"


def test_a_text_message_says_it_too(db):
    case = report(council(), contact="sms", issue_type="street_light")
    sms = Notification.objects.get(case=case, event="report_received")
    assert sms.channel == "sms"
    assert "Thank you for reporting a street light not working at Outside 3 Mill Lane." in sms.body


def test_in_welsh_the_problem_is_named_in_welsh(db):
    case = report(council(), language="cy")
    email = Notification.objects.get(case=case, event="report_received")
    assert email.subject == "Mae eich adroddiad gennym: twll yn y ffordd"
    assert "twll yn y ffordd, Outside 3 Mill Lane" in email.body


def test_a_long_place_is_cut_for_a_short_text_message(db):
    place = "By the third lamp post along the footpath that runs behind the leisure centre car park"
    values = case_values(report(council(), location=place), "")
    assert len(values["place"]) <= PLACE_LIMIT
    assert values["place"].endswith("...")
    assert place.startswith(values["place"].removesuffix("..."))
    assert set(values["place"]) <= GSM_BASIC  # no character that makes a text cost more


@pytest.mark.parametrize("event", REPORT_EVENTS)
@pytest.mark.parametrize("language", ["en", "cy"])
def test_every_report_template_renders_for_a_report(event, language):
    case = make_case(
        council(),
        Service.STREET_REPORT,
        "reported",
        language=language,
        details={"redirect_to": "National Highways"},
    )
    values = case_values(case, "")
    for channel in ("email", "sms", "letter"):
        subject, body = TEMPLATES[event].render(channel, language, values)
        assert "((" not in subject + body
        assert "Outside 3 Mill Lane" in body
