"""Text messages from citizens: routed by the council's inbound number, matched to that
council's cases by phone number, acted on through cases.services as the citizen — on the
one case the text is about, never on several — and acted on once however often Notify
delivers them."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from cases.models import Case, CaseEvent, Service
from cases.services import Actor, case_add_note
from notify.inbound import keyword, phone_number, process_inbound_sms
from notify.models import InboundSms, Notification
from tests.factories import council, make_case, new_case
from tests.helpers import use_secrets

pytestmark = pytest.mark.django_db

TOKEN = "a-long-callback-token-for-tests"
URL = "/notify/callbacks/northshire/inbound-sms"
PHONE = "+447911123456"  # the factories' applicant
INBOUND_NUMBER = "07700900000"  # Northshire's, as Notify writes the destination
Outcome = InboundSms.Outcome


@pytest.fixture(autouse=True)
def _settings(settings):
    use_secrets(
        settings,
        NOTIFY_CALLBACK_TOKEN_NORTHSHIRE=TOKEN,
        NOTIFY_CALLBACK_TOKEN_BRYN_DEWI="bryn-dewis-callback-token",
    )
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}


@pytest.fixture
def organisation():
    return council(slug="northshire", sms_inbound_number="+447700900000")


@pytest.fixture
def bryn_dewi():
    return council(slug="bryn-dewi", sms_inbound_number="+447700900999")


@pytest.fixture
def text(client, django_capture_on_commit_callbacks):
    """Posts a text message as Notify would, runs what it queued, returns the stored row."""

    def send(
        message,
        *,
        source="447911123456",
        notify_id=None,
        destination=INBOUND_NUMBER,
        council="northshire",
        token=TOKEN,
    ):
        body = {
            "id": notify_id or str(uuid.uuid4()),
            "source_number": source,
            "destination_number": destination,
            "message": message,
            "date_received": timezone.now().isoformat(),
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/notify/callbacks/{council}/inbound-sms",
                data=json.dumps(body),
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}"},
            )
        assert response.status_code == 200, response.content
        assert response.json() == {"ok": True}
        return InboundSms.objects.get(notify_id=body["id"])

    return send


def reload(case):
    return Case.objects.get(pk=case.pk)


def notes(case):
    return list(CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.NOTE))


def only_note(case):
    (note,) = notes(case)
    return note


# --- Reading the message ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("STOP", "STOP"),
        ("  stop.  ", "STOP"),
        ("Not fixed!", "NOT FIXED"),
        ("not-fixed", "NOT FIXED"),
        ("Withdraw,   yes", "WITHDRAW YES"),
        ("It's still broken", "ITS STILL BROKEN"),
    ],
)
def test_keywords_ignore_case_spaces_and_punctuation(message, expected):
    assert keyword(message) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("447911123456", PHONE),
        ("+447911123456", PHONE),
        ("07911 123456", PHONE),
        ("not a number", ""),
        ("", ""),
    ],
)
def test_the_sender_number_is_normalised_as_cases_store_it(source, expected):
    assert phone_number(source) == expected


# --- Storing ----------------------------------------------------------------------------


def test_the_message_is_stored_as_notify_sent_it(client, organisation):
    new_case(organisation, contact="sms")
    body = {
        "id": str(uuid.uuid4()),
        "source_number": "447911123456",
        "destination_number": "07700900000",
        "message": "Hello",
        "date_received": "2025-05-14T12:15:30.000000Z",
    }

    response = client.post(
        URL,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )

    assert response.status_code == 200
    inbound = InboundSms.objects.get()
    assert inbound.source_number == "447911123456"
    assert inbound.destination_number == "07700900000"
    assert inbound.message == "Hello"
    assert inbound.received_at == datetime(2025, 5, 14, 12, 15, 30, tzinfo=UTC)
    assert inbound.organisation == organisation


@pytest.mark.parametrize(
    "body",
    [
        {"source_number": "447911123456", "message": "STOP"},
        {"id": "", "source_number": "447911123456", "message": "STOP"},
        {"id": "x" * 65, "source_number": "447911123456", "message": "STOP"},
        {"id": "abc", "message": "STOP"},
        {"id": "abc", "source_number": "447911123456"},
        {"id": "abc", "source_number": "447911123456", "message": 7},
    ],
)
def test_a_message_we_cannot_use_is_refused_and_not_stored(client, organisation, body):
    response = client.post(
        URL,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 400
    assert response.json()["error"]
    assert not InboundSms.objects.exists()


def test_the_same_message_delivered_twice_is_stored_and_acted_on_once(text, organisation):
    case = new_case(organisation, contact="sms")
    notify_id = str(uuid.uuid4())

    text("When will I hear back?", notify_id=notify_id)
    text("When will I hear back?", notify_id=notify_id)

    assert InboundSms.objects.filter(notify_id=notify_id).count() == 1
    assert len(notes(case)) == 1


def test_processing_a_message_again_does_nothing_more(text, organisation):
    case = new_case(organisation, contact="sms")
    inbound = text("When will I hear back?")

    assert process_inbound_sms(inbound.pk) == "skipped"

    assert len(notes(case)) == 1
    inbound.refresh_from_db()
    assert inbound.outcome == Outcome.NEEDS_ATTENTION


# --- Matching -------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["447700900111", "not a number"])
def test_a_message_from_a_number_with_no_open_case_is_unmatched(text, organisation, source):
    case = new_case(organisation, contact="sms")
    events = CaseEvent.objects.count()

    inbound = text("STOP", source=source)

    assert inbound.outcome == Outcome.UNMATCHED
    assert inbound.case is None
    assert inbound.action
    assert CaseEvent.objects.count() == events
    assert reload(case).contact_preference == "sms"


def test_a_closed_case_is_not_matched(text, organisation):
    make_case(organisation, Service.STREET_REPORT, "closed")

    inbound = text("NOT FIXED")

    assert inbound.outcome == Outcome.UNMATCHED


# --- STOP -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("applicant", "expected"),
    [
        ({}, "email"),
        ({"email": ""}, "letter"),
        ({"email": "", "address_line_1": "", "postcode": ""}, "none"),
    ],
)
def test_stop_switches_texting_cases_to_the_next_way_to_reach_them(
    text, organisation, applicant, expected
):
    case = new_case(organisation, contact="sms", **applicant)

    inbound = text("Stop")

    case = reload(case)
    assert case.contact_preference == expected
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.CONTACT_CHANGED)
    assert event.data == {"from": "sms", "to": expected}
    assert event.reason == "Citizen texted STOP"
    assert (event.actor_kind, event.actor_label) == ("citizen", f"text message from {PHONE}")
    assert (inbound.outcome, inbound.case) == (Outcome.ACTED, case)
    assert inbound.action


def test_stop_switches_every_texting_case_and_leaves_the_others(text, organisation):
    first = new_case(organisation, contact="sms")
    second = new_case(organisation, Service.STREET_REPORT, contact="sms")
    by_letter = new_case(organisation, contact="letter")

    inbound = text("STOP")

    assert reload(first).contact_preference == "email"
    assert reload(second).contact_preference == "email"
    assert reload(by_letter).contact_preference == "letter"
    assert inbound.outcome == Outcome.ACTED


# --- FIXED / NOT FIXED ------------------------------------------------------------------


@pytest.mark.parametrize("message", ["FIXED", "fixed.", " Yes! "])
def test_fixed_closes_the_fixed_street_report(text, organisation, message):
    case = make_case(organisation, Service.STREET_REPORT, "fixed")

    inbound = text(message)

    assert reload(case).state == "closed"
    event = CaseEvent.objects.get(case=case, transition="confirm_fixed")
    assert (event.actor_kind, event.actor_label) == ("citizen", f"text message from {PHONE}")
    assert (inbound.outcome, inbound.case) == (Outcome.ACTED, reload(case))
    assert not notes(case)


@pytest.mark.parametrize("message", ["NOT FIXED", "Not fixed!", "no"])
def test_not_fixed_reopens_the_fixed_street_report(text, organisation, message):
    case = make_case(organisation, Service.STREET_REPORT, "fixed")

    inbound = text(message)

    assert reload(case).state == "reported"
    event = CaseEvent.objects.get(case=case, transition="reopen")
    assert event.actor_kind == "citizen"
    assert event.message == message.strip()
    assert inbound.outcome == Outcome.ACTED


@pytest.mark.parametrize("message", ["FIXED", "NOT FIXED"])
def test_fixed_with_no_fixed_report_becomes_a_note(text, organisation, message):
    case = new_case(organisation, Service.STREET_REPORT, contact="sms")

    inbound = text(message)

    assert reload(case).state == "reported"
    note = only_note(case)
    assert note.reason == message
    assert note.data["needs_attention"] is True
    assert note.actor_kind == "citizen"
    assert (inbound.outcome, inbound.case) == (Outcome.NEEDS_ATTENTION, case)


def test_fixed_with_two_fixed_reports_asks_which_and_closes_neither(text, organisation):
    cases = [make_case(organisation, Service.STREET_REPORT, "fixed") for _ in range(2)]

    inbound = text("FIXED")

    for case in cases:
        assert reload(case).state == "fixed"
        assert not notes(case)
    assert inbound.outcome == Outcome.ASKED
    question = Notification.objects.get(event="which_case")
    assert (question.channel, question.recipient) == ("sms", PHONE)
    assert all(case.reference in question.body for case in cases)


def test_fixed_naming_its_report_closes_that_one_only(text, organisation):
    first, second = (make_case(organisation, Service.STREET_REPORT, "fixed") for _ in range(2))

    inbound = text(f"{second.reference.lower().replace('-', ' ')} fixed")

    assert (reload(first).state, reload(second).state) == ("fixed", "closed")
    assert (inbound.outcome, inbound.case) == (Outcome.ACTED, reload(second))


def test_a_reply_with_just_the_reference_answers_which_case(text, organisation):
    first, second = (make_case(organisation, Service.STREET_REPORT, "fixed") for _ in range(2))
    asked = text("FIXED")

    answer = text(first.reference)

    assert (reload(first).state, reload(second).state) == ("closed", "fixed")
    asked.refresh_from_db()
    assert (asked.outcome, asked.case) == (Outcome.ACTED, reload(first))
    assert (answer.outcome, answer.case) == (Outcome.ACTED, reload(first))
    assert first.reference in answer.action


def test_not_fixed_after_the_window_becomes_a_note(text, organisation):
    long_ago = (timezone.now() - timedelta(days=30)).isoformat()
    case = make_case(organisation, Service.STREET_REPORT, "fixed", details={"fixed_at": long_ago})

    inbound = text("NOT FIXED")

    assert reload(case).state == "fixed"
    note = only_note(case)
    assert note.data["needs_attention"] is True
    assert "problem" in note.data
    assert inbound.outcome == Outcome.NEEDS_ATTENTION


# --- WITHDRAW ---------------------------------------------------------------------------


def test_withdraw_asks_for_confirmation_and_changes_nothing_yet(text, organisation):
    case = new_case(organisation, contact="sms")

    inbound = text("Withdraw")

    assert reload(case).state == "submitted"
    confirm = Notification.objects.get(case=case, event="withdraw_confirm")
    assert (confirm.channel, confirm.recipient) == ("sms", PHONE)
    assert "WITHDRAW YES" in confirm.body
    assert case.reference in confirm.body
    note = only_note(case)
    assert note.data["confirm_transition"] == "withdraw"
    assert "confirm_requested_at" in note.data
    assert note.data["needs_attention"] is False
    assert confirm.case_event == note
    assert (inbound.outcome, inbound.case) == (Outcome.ACTED, case)
    assert "confirm" in inbound.action


def test_the_confirmation_is_in_the_citizens_language(text, organisation):
    case = new_case(organisation, contact="sms")
    Case.objects.filter(pk=case.pk).update(language="cy")

    text("WITHDRAW")

    confirm = Notification.objects.get(case=case, event="withdraw_confirm")
    assert confirm.language == "cy"
    assert confirm.body.startswith(f"{organisation.name_cy}: Atebwch WITHDRAW YES")
    assert confirm.personalisation == {
        "council": organisation.name_cy,
        "reference": case.reference,
        "short_url": confirm.personalisation["short_url"],
        "council_phone": "",
    }


def test_withdraw_yes_after_a_request_withdraws(text, organisation):
    case = new_case(organisation, contact="sms")
    text("WITHDRAW")

    inbound = text("withdraw yes")

    assert reload(case).state == "withdrawn"
    event = CaseEvent.objects.get(case=case, transition="withdraw")
    assert (event.actor_kind, event.actor_label) == ("citizen", f"text message from {PHONE}")
    assert (inbound.outcome, inbound.case) == (Outcome.ACTED, reload(case))


def test_confirm_also_confirms_a_withdrawal(text, organisation):
    case = new_case(organisation, contact="sms")
    text("WITHDRAW")

    text("Confirm")

    assert reload(case).state == "withdrawn"


def test_withdraw_yes_without_a_request_becomes_a_note(text, organisation):
    case = new_case(organisation, contact="sms")

    inbound = text("WITHDRAW YES")

    assert reload(case).state == "submitted"
    assert only_note(case).data["needs_attention"] is True
    assert inbound.outcome == Outcome.NEEDS_ATTENTION


def test_withdraw_yes_more_than_48_hours_after_the_request_becomes_a_note(text, organisation):
    case = new_case(organisation, contact="sms")
    requested = (timezone.now() - timedelta(hours=49)).isoformat()
    case_add_note(
        case=case,
        actor=Actor.citizen(case, "text message"),
        text="Texted WITHDRAW",
        data={"confirm_transition": "withdraw", "confirm_requested_at": requested},
    )

    inbound = text("WITHDRAW YES")

    assert reload(case).state == "submitted"
    assert inbound.outcome == Outcome.NEEDS_ATTENTION
    assert notes(case)[-1].data["needs_attention"] is True


def test_withdraw_with_nothing_to_withdraw_becomes_a_note(text, organisation):
    case = make_case(organisation, Service.BLUE_BADGE, "approved")

    inbound = text("WITHDRAW")

    assert reload(case).state == "approved"
    assert not Notification.objects.filter(event="withdraw_confirm").exists()
    assert only_note(case).data["needs_attention"] is True
    assert inbound.outcome == Outcome.NEEDS_ATTENTION


# --- Anything else ---------------------------------------------------------------------


def test_any_other_message_is_a_note_for_a_caseworker_on_the_case(text, organisation):
    badge = new_case(organisation, contact="sms")
    someone_else = new_case(organisation, contact="sms", phone="07700 900123")

    inbound = text("When will my badge arrive?")

    note = only_note(badge)
    assert note.reason == "When will my badge arrive?"
    assert note.data == {"inbound_sms": inbound.notify_id, "needs_attention": True}
    assert (note.actor_kind, note.actor_label) == ("citizen", f"text message from {PHONE}")
    assert not notes(someone_else)
    assert (inbound.outcome, inbound.case) == (Outcome.NEEDS_ATTENTION, badge)
    assert inbound.action


def test_a_message_that_could_be_about_several_cases_asks_which_one(text, organisation):
    badge = new_case(organisation, contact="sms")
    report = new_case(organisation, Service.STREET_REPORT, contact="email")

    inbound = text("When will my badge arrive?")

    assert not notes(badge)
    assert not notes(report)
    assert (inbound.outcome, inbound.case) == (Outcome.ASKED, None)

    answer = text(f"It is about {badge.reference}")  # not just the reference: a new note

    assert only_note(badge).reason == f"It is about {badge.reference}"
    assert answer.outcome == Outcome.NEEDS_ATTENTION

    text(badge.reference)  # just the reference: the text we asked about goes on the case

    assert [n.reason for n in notes(badge)][-1] == "When will my badge arrive?"
    inbound.refresh_from_db()
    assert (inbound.outcome, inbound.case) == (Outcome.NEEDS_ATTENTION, badge)
    assert not notes(report)


# --- Only the council the text was sent to --------------------------------------------------


def test_a_text_acts_only_on_the_cases_of_the_council_it_was_sent_to(text, organisation, bryn_dewi):
    ours = make_case(organisation, Service.STREET_REPORT, "fixed")
    theirs = make_case(bryn_dewi, Service.STREET_REPORT, "fixed")
    theirs_too = new_case(bryn_dewi, contact="sms")

    inbound = text("FIXED")
    text("STOP")

    assert (reload(ours).state, reload(theirs).state) == ("closed", "fixed")
    assert reload(theirs_too).contact_preference == "sms"
    assert not notes(theirs)
    assert not notes(theirs_too)
    assert inbound.organisation == organisation


def test_a_text_to_the_other_councils_number_reaches_only_that_council(
    text, organisation, bryn_dewi
):
    ours = new_case(organisation, contact="sms")
    theirs = new_case(bryn_dewi, contact="sms")

    inbound = text(
        "Hello", destination="07700900999", council="bryn-dewi", token="bryn-dewis-callback-token"
    )

    assert only_note(theirs).reason == "Hello"
    assert not notes(ours)
    assert (inbound.organisation, inbound.case) == (bryn_dewi, theirs)


@pytest.mark.parametrize(
    "destination",
    ["07700900999", "07700900123", "", "not a number"],
    ids=["another-councils", "nobodys", "none", "nonsense"],
)
def test_a_text_to_a_number_that_is_not_the_councils_is_held(
    text, organisation, bryn_dewi, destination
):
    case = new_case(organisation, contact="sms")
    theirs = new_case(bryn_dewi, contact="sms")
    events = CaseEvent.objects.count()

    inbound = text("STOP", destination=destination)

    assert (inbound.outcome, inbound.organisation, inbound.case) == (Outcome.HELD, None, None)
    assert "national administrator" in inbound.action
    assert CaseEvent.objects.count() == events
    assert reload(case).contact_preference == reload(theirs).contact_preference == "sms"
    assert process_inbound_sms(inbound.pk) == "skipped"


def test_held_texts_are_shown_only_to_national_administrators(
    client, text, organisation, admin_user
):
    from tests.factories import caseworker

    text("Held text for the administrators", destination="07700900123")
    client.force_login(caseworker(organisation, role="admin"))
    assert "Held text" not in client.get("/admin/notify/inboundsms/").text
    client.force_login(admin_user)
    assert "Held text" in client.get("/admin/notify/inboundsms/").text
