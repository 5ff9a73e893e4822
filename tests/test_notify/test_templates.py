"""The message templates declared in code, and counting text-message fragments."""

from __future__ import annotations

import pytest
from django.db import transaction

from cases.models import Service
from cases.workflows import WORKFLOWS
from cases.workflows.base import Notify
from notify.models import Notification
from notify.services import create_notification
from notify.sms import fragments
from notify.templates import TEMPLATES, MissingPersonalisation
from tests.factories import council, new_case

CHANNELS = ("email", "sms", "letter")


def workflow_events() -> set[str]:
    """Every event a workflow's Notify hooks can send, on create or on a transition."""
    events = set()
    for workflow in WORKFLOWS.values():
        hooks = list(workflow.ON_CREATE)
        for transition in workflow().get_all_state_transitions():
            hooks.extend(transition.custom["step"].hooks)
        events |= {hook.event for hook in hooks if isinstance(hook, Notify)}
    return events


def test_every_event_a_workflow_sends_has_a_template():
    events = workflow_events()

    # The walk does reach both services' hooks, on create and on transitions.
    assert {"application_received", "report_received", "repair_scheduled"} <= events
    assert len(events) >= 19
    assert sorted(events - set(TEMPLATES)) == []


@pytest.mark.parametrize("event", sorted(TEMPLATES))
def test_english_and_welsh_ask_for_the_same_values(event):
    template = TEMPLATES[event]
    for channel in CHANNELS:
        english = template.placeholders(channel, "en")
        assert english == template.placeholders(channel, "cy"), channel
        assert english, f"{event} {channel} has no placeholders at all"


def test_render_fills_every_placeholder():
    subject, body = TEMPLATES["repair_scheduled"].render(
        "sms",
        "cy",
        {
            "council": "Cyngor Gogledd",
            "reference": "SR-123",
            "repair_date": "3 Mehefin 2025",
            "short_url": "https://x/t/1",
            "council_phone": " Ffôn 0300 123 4567",
        },
    )
    assert subject == ""
    assert body == (
        "Cyngor Gogledd: Atgyweiriad ar gyfer 3 Mehefin 2025. Cyf SR-123. https://x/t/1"
        " Ffôn 0300 123 4567"
    )


def test_render_names_the_missing_value():
    values = {
        "name": "Ann",
        "reference": "SR-1",
        "council": "C",
        "track_url": "https://x/",
        "caseworker_message": "",
        "council_contact": "",
    }
    with pytest.raises(MissingPersonalisation, match=r"repair_scheduled.*needs: repair_date$"):
        TEMPLATES["repair_scheduled"].render("email", "en", values)


@pytest.mark.django_db
def test_a_missing_value_refuses_the_row_and_rolls_back_the_transaction():
    case = new_case(council(), Service.STREET_REPORT)
    Notification.objects.filter(case=case).delete()
    assert "repair_date" not in case.details
    values = {
        "name": case.applicant_name,
        "reference": case.reference,
        "council": case.organisation.name,
        "track_url": "https://waymark.test/track/",
        "caseworker_message": "",
        "council_contact": "",
        "problem": "a pothole",
        "place": "Mill Lane",
    }

    written_inside = []

    def notify_twice_in_one_transaction():
        with transaction.atomic():
            create_notification(
                case=case, event="report_inspected", channel="email", personalisation=values
            )
            written_inside.append(Notification.objects.filter(case=case).count())
            create_notification(
                case=case, event="repair_scheduled", channel="email", personalisation=values
            )

    with pytest.raises(MissingPersonalisation, match="repair_date"):
        notify_twice_in_one_transaction()

    assert written_inside == [1]
    assert not Notification.objects.filter(case=case).exists()


# --- Text message fragments --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" + "a" * 158, 1),  # 160 places
        ("€" + "a" * 159, 2),  # 161 places: an extension character counts double
        ("[" * 80, 1),
        ("[" * 81, 2),
        ("ŵ" + "a" * 69, 1),  # any non-GSM character: 70 a message
        ("ŵ" + "a" * 70, 2),
        ("ŵ" + "a" * 133, 2),  # then 67 a fragment
        ("ŵ" + "a" * 134, 3),
        ("", 1),
    ],
)
def test_fragments(text, expected):
    assert fragments(text) == expected


@pytest.mark.django_db
def test_a_text_message_row_stores_its_body_and_fragments():
    organisation = council()
    case = new_case(organisation, contact="sms")
    row = Notification.objects.get(case=case)

    assert row.channel == "sms"
    assert row.subject == ""
    link = row.personalisation["short_url"]
    assert row.body == (
        f"{organisation.name}: We have your Blue Badge application. Ref {case.reference}. {link}"
    )
    assert row.fragments == 1  # the short link keeps it in one fragment


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("message", "expected"),
    [("a" * 200, 2), ("Diolch ŵ " + "a" * 100, 2), ("a" * 400, 3)],
)
def test_a_long_text_message_counts_its_fragments(message, expected):
    case = new_case(council(), contact="sms")

    row = create_notification(
        case=case, event="announcement", channel="sms", personalisation={"message": message}
    )

    row.refresh_from_db()
    assert row.body == message
    assert row.personalisation == {"message": message}
    assert row.fragments == expected


@pytest.mark.django_db
def test_only_text_messages_count_fragments():
    case = new_case(council(), contact="email")
    row = Notification.objects.get(case=case)
    assert (row.channel, row.fragments) == ("email", 0)
    assert row.subject == "We have your Blue Badge application"


@pytest.mark.django_db
def test_an_email_after_a_caseworkers_message_includes_it_and_the_councils_contacts(admin_user):
    from cases.services import Actor, case_transition

    organisation = council(contact_phone="0300 123 4567", contact_email="help@north.example")
    case = new_case(organisation, Service.STREET_REPORT)
    case_transition(
        case=case.pk,
        transition="inspect",
        actor=Actor.caseworker(admin_user),
        message="The hole is deeper than it looks: we have coned it off.",
    )

    email = Notification.objects.get(case=case, event="report_inspected")
    assert "A message from your caseworker:\n\nThe hole is deeper" in email.body
    assert "Telephone: 0300 123 4567\nEmail: help@north.example" in email.body
    first = Notification.objects.get(case=case, event="report_received")
    assert "A message from your caseworker" not in first.body  # none was written
    assert "Telephone: 0300 123 4567" in first.body


@pytest.mark.django_db
def test_a_text_message_gives_the_councils_phone_number():
    organisation = council(contact_phone="0300 123 4567")
    case = new_case(organisation, contact="sms")
    assert Notification.objects.get(case=case).body.endswith("Tel 0300 123 4567")
