"""Validation and permissions of `cases.services`: what is refused, with which message,
and that nothing is written when a change is refused."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from cases import process_id
from cases.models import Case, CaseEvent, Role, Service, ServiceConfig
from cases.services import (
    Actor,
    CaseConflict,
    CasePermissionDenied,
    CaseValidationError,
    case_assign,
    case_create,
    case_transition,
)
from cases.workflows import blue_badge as bb
from cases.workflows import street_report as st
from notify.models import Notification
from payments.models import PaymentRequest
from tests.factories import ANSWERS, APPLICANT, caseworker, council, make_case, new_case

pytestmark = pytest.mark.django_db

NOT_YOURS = "You do not have permission to change this case."


def counts() -> tuple[int, int, int, int]:
    return (
        Case.objects.count(),
        CaseEvent.objects.count(),
        Notification.objects.count(),
        PaymentRequest.objects.count(),
    )


def fresh(case) -> Case:
    return Case.objects.get(pk=case.pk)


def create(organisation, service=Service.BLUE_BADGE, *, answers=None, actor=None, **applicant):
    return case_create(
        organisation=organisation,
        service=service,
        applicant={**APPLICANT, **applicant},
        answers=ANSWERS[service] if answers is None else answers,
        actor=actor or Actor.system("tests"),
    )


# --- case_create: validation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("applicant", "errors"),
    [
        pytest.param(
            {"applicant_name": "   "},
            {"applicant_name": ["Enter your full name"]},
            id="no-name",
        ),
        pytest.param(
            {"contact_preference": "email", "email": ""},
            {"email": ["Enter your email address"]},
            id="email-without-address",
        ),
        pytest.param(
            {"contact_preference": "sms", "phone": ""},
            {"phone": ["Enter a mobile phone number"]},
            id="sms-without-phone",
        ),
        pytest.param(
            {"contact_preference": "sms", "phone": "020 7946 0000"},
            {"phone": ["Enter a mobile phone number to get text messages, like 07700 900 982"]},
            id="sms-with-landline",
        ),
        pytest.param(
            {"phone": "12345"},
            {
                "phone": [
                    "Enter a telephone number, like 01632 960 001, 07700 900 982 "
                    "or +44 808 157 0192"
                ]
            },
            id="bad-phone",
        ),
        pytest.param(
            {"contact_preference": "letter", "address_line_1": "", "postcode": ""},
            {
                "address_line_1": ["Enter the first line of your address"],
                "postcode": ["Enter your postcode"],
            },
            id="letter-without-address",
        ),
        pytest.param(
            {"postcode": "XYZ 123"},
            {"postcode": ["Enter a real postcode, like SW1A 1AA"]},
            id="bad-postcode",
        ),
        pytest.param(
            {"contact_preference": "pigeon"},
            {"contact_preference": ["Choose how you would like to be contacted"]},
            id="unknown-preference",
        ),
        pytest.param(
            {"national_insurance_number": "QQ123456C"},
            {"national_insurance_number": ["Unknown field"]},
            id="unknown-field",
        ),
    ],
)
def test_case_create_rejects_bad_applicant_details(applicant, errors):
    organisation = council()
    before = counts()
    with pytest.raises(CaseValidationError) as raised:
        create(organisation, **applicant)
    assert raised.value.errors == errors
    assert counts() == before


@pytest.mark.parametrize("email", ["ann@", "ann.example.com", "ann@@example.com"])
def test_case_create_rejects_a_bad_email_address(email):
    organisation = council()
    before = counts()
    with pytest.raises(CaseValidationError) as raised:
        create(organisation, email=email)
    assert list(raised.value.errors) == ["email"]
    (message,) = raised.value.errors["email"]
    assert "email address" in message
    assert counts() == before


def test_sms_with_a_landline_talks_about_mobile_numbers():
    with pytest.raises(CaseValidationError) as raised:
        create(council(), contact_preference="sms", phone="020 7946 0000")
    assert "mobile" in raised.value.errors["phone"][0]


@pytest.mark.parametrize(
    ("service", "answers", "key", "message"),
    [
        (
            Service.BLUE_BADGE,
            {"eligibility": "flying", "date_of_birth": "1950-04-01"},
            "answers.eligibility",
            "Select a valid choice. flying is not one of the available choices.",
        ),
        (
            Service.BLUE_BADGE,
            {"eligibility": "pip", "date_of_birth": "2999-01-01"},
            "answers.date_of_birth",
            "Date of birth must be in the past",
        ),
        (
            Service.STREET_REPORT,
            {"issue_type": "pothole"},
            "answers.location",
            "This field is required.",
        ),
    ],
)
def test_case_create_rejects_bad_answers(service, answers, key, message):
    organisation = council()
    before = counts()
    with pytest.raises(CaseValidationError) as raised:
        create(organisation, service, answers=answers)
    assert raised.value.errors == {key: [message]}
    assert counts() == before


def test_case_create_refuses_a_service_the_council_does_not_offer():
    organisation = council(services=(Service.STREET_REPORT,))
    before = counts()
    with pytest.raises(CaseValidationError) as raised:
        create(organisation, Service.BLUE_BADGE)
    assert raised.value.errors == {"service": [f"{organisation} does not offer this service"]}
    assert counts() == before


def test_case_create_refuses_a_disabled_service():
    organisation = council()
    ServiceConfig.objects.filter(organisation=organisation, service=Service.BLUE_BADGE).update(
        enabled=False
    )
    before = counts()
    with pytest.raises(CaseValidationError) as raised:
        create(organisation, Service.BLUE_BADGE)
    assert list(raised.value.errors) == ["service"]
    assert counts() == before
    assert create(organisation, Service.STREET_REPORT).state == st.REPORTED


def test_case_create_refuses_a_partner_of_another_council():
    organisation = council()
    before = counts()
    with pytest.raises(CasePermissionDenied):
        create(organisation, actor=Actor.partner(council(), "Other council's back office"))
    assert counts() == before


def test_case_create_normalises_what_was_typed():
    case = fresh(
        create(
            council(),
            applicant_name="  Ann Example ",
            phone="07911 123456",
            postcode=" ab12cd ",
            email=" ann.example@example.com ",
        )
    )
    assert case.applicant_name == "Ann Example"
    assert case.phone == "+447911123456"
    assert case.postcode == "AB1 2CD"
    assert case.email == "ann.example@example.com"
    assert case.answers == {"eligibility": "pip", "date_of_birth": "1950-04-01"}


# --- case_create: what it writes --------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "prefix"), [(Service.BLUE_BADGE, "BB"), (Service.STREET_REPORT, "ST")]
)
def test_case_create_writes_one_event_and_one_email(service, prefix):
    organisation = council()
    before = counts()
    case = new_case(organisation, service, email="ann@example.com")

    assert counts() == (before[0] + 1, before[1] + 1, before[2] + 1, before[3])
    (event,) = CaseEvent.objects.filter(case=case)
    assert event.kind == CaseEvent.Kind.CREATED
    assert event.public is True
    assert event.actor_kind == "system"
    assert event.to_state == case.state
    (notification,) = Notification.objects.filter(case=case)
    assert notification.channel == "email"
    assert notification.recipient == "ann@example.com"
    assert notification.case_event_id == event.pk
    assert process_id.is_valid(case.process_id)
    assert case.process_id.startswith(prefix)
    assert case.version == 1


def test_case_create_texts_a_citizen_who_chose_sms():
    case = new_case(council(), contact="sms", phone="07911 123456")
    (notification,) = Notification.objects.filter(case=case)
    assert (notification.channel, notification.recipient) == ("sms", "+447911123456")


def test_case_create_sends_nothing_to_a_citizen_who_opted_out():
    case = new_case(council(), contact="none")
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.CREATED).count() == 1
    assert not Notification.objects.filter(case=case).exists()


# --- Permissions ------------------------------------------------------------------------


def assert_denied(case, transition, actor, message=NOT_YOURS, **kwargs):
    case = fresh(case)
    before = counts()
    with pytest.raises(CasePermissionDenied) as raised:
        case_transition(case=case.pk, transition=transition, actor=actor, **kwargs)
    assert str(raised.value) == message
    after = fresh(case)
    assert (after.state, after.version) == (case.state, case.version)
    assert counts() == before
    return raised.value


def test_caseworker_of_another_council_is_denied():
    case = new_case(council())
    stranger = caseworker(council(), role=Role.ADMIN)
    assert_denied(case, "start_assessment", Actor.caseworker(stranger))


def test_read_only_member_is_denied():
    organisation = council()
    case = new_case(organisation)
    viewer = caseworker(organisation, role=Role.READ_ONLY)
    assert_denied(case, "start_assessment", Actor.caseworker(viewer))


@pytest.mark.parametrize("role", [Role.EDITOR, Role.ADMIN])
def test_editor_and_admin_members_succeed(role):
    organisation = council()
    case = new_case(organisation)
    user = caseworker(organisation, role=role)
    result = case_transition(
        case=case.pk, transition="start_assessment", actor=Actor.caseworker(user)
    )
    assert fresh(result).state == bb.IN_ASSESSMENT
    event = CaseEvent.objects.get(case=case, transition="start_assessment")
    assert (event.actor_user_id, event.actor_label) == (user.pk, user.username)


def test_superuser_succeeds_at_any_council(admin_user):
    for organisation in (council(), council()):
        case = new_case(organisation)
        case_transition(
            case=case.pk, transition="start_assessment", actor=Actor.caseworker(admin_user)
        )
        assert fresh(case).state == bb.IN_ASSESSMENT


@pytest.mark.parametrize("flags", [{"is_active": False}, {"is_staff": False}])
def test_inactive_or_non_staff_member_is_denied(flags):
    organisation = council()
    case = new_case(organisation)
    user = caseworker(organisation, role=Role.ADMIN, **flags)
    assert_denied(case, "start_assessment", Actor.caseworker(user))


def test_citizen_can_withdraw_their_own_case_but_not_someone_elses():
    organisation = council()
    mine, theirs = new_case(organisation), new_case(organisation)
    assert_denied(theirs, "withdraw", Actor.citizen(mine))

    case_transition(case=mine.pk, transition="withdraw", actor=Actor.citizen(mine))
    assert fresh(mine).state == bb.WITHDRAWN
    assert fresh(theirs).state == bb.SUBMITTED


def test_partner_of_another_council_is_denied_and_of_the_same_council_succeeds():
    organisation = council()
    case = new_case(organisation)
    assert_denied(case, "start_assessment", Actor.partner(council(), "Elsewhere back office"))

    case_transition(
        case=case.pk,
        transition="start_assessment",
        actor=Actor.partner(organisation, "Back office"),
    )
    assert fresh(case).state == bb.IN_ASSESSMENT


def test_actor_kind_not_allowed_is_told_who_may(admin_user):
    case = new_case(council())
    case_transition(case=case.pk, transition="start_assessment", actor=Actor.caseworker(admin_user))

    error = assert_denied(
        case, "approve", Actor.citizen(case), message="Only a caseworker can 'Approve'."
    )
    assert "caseworker" in str(error)
    assert_denied(
        case, "approve", Actor.system("nightly"), message="Only a caseworker can 'Approve'."
    )


def test_citizen_starting_an_assessment_is_told_both_staff_kinds():
    case = new_case(council())
    error = assert_denied(
        case,
        "start_assessment",
        Actor.citizen(case),
        message="Only a caseworker, partner system can 'Start assessment'.",
    )
    assert "partner system" in str(error)


def test_denied_actor_with_a_stale_version_learns_nothing(admin_user):
    case = new_case(council())
    case_transition(case=case.pk, transition="start_assessment", actor=Actor.caseworker(admin_user))
    stranger = caseworker(council())
    with pytest.raises(CasePermissionDenied):
        case_transition(
            case=case.pk,
            transition="request_evidence",
            actor=Actor.caseworker(stranger),
            message="Send more.",
            expected_version=1,
        )


# --- Validation of a transition's data ----------------------------------------------------


def assert_invalid(case, transition, errors, actor, **kwargs):
    case = fresh(case)
    before = counts()
    with pytest.raises(CaseValidationError) as raised:
        case_transition(case=case.pk, transition=transition, actor=actor, **kwargs)
    assert raised.value.errors == errors
    after = fresh(case)
    assert (after.state, after.version, after.details) == (case.state, case.version, case.details)
    assert counts() == before


@pytest.fixture
def staff(admin_user):
    return Actor.caseworker(admin_user)


def test_refuse_needs_a_reason(staff):
    case = new_case(council())
    assert_invalid(
        case, "refuse", {"reason": ["Enter a reason"]}, staff, message="You are not eligible."
    )
    assert_invalid(
        case,
        "refuse",
        {"reason": ["Enter a reason"], "message": ["Enter a message for the citizen"]},
        staff,
        reason="  ",
        message="  ",
    )


def test_request_evidence_needs_a_message(staff):
    case = new_case(council())
    assert_invalid(
        case, "request_evidence", {"message": ["Enter a message for the citizen"]}, staff
    )
    assert_invalid(
        case,
        "request_evidence",
        {"message": ["Enter a message for the citizen"]},
        staff,
        message=" \n ",
    )


def test_a_message_on_a_change_that_sends_none_is_refused(staff):
    case = new_case(council())
    assert_invalid(
        case,
        "start_assessment",
        {"message": ["This change does not send the citizen a message"]},
        staff,
        message="We have started.",
    )


def test_data_on_a_change_that_takes_none_is_refused(staff):
    case = new_case(council())
    assert_invalid(
        case,
        "start_assessment",
        {"data": ["This change takes no other information"]},
        staff,
        data={"priority": "high"},
    )


@pytest.fixture
def inspected():
    return make_case(council(), Service.STREET_REPORT, st.INSPECTED)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            (timezone.localdate() - timedelta(days=1)).isoformat(),
            "The repair date must be today or in the future",
        ),
        ("next tuesday", "Enter a real date, with the day first, like 27 3 2027"),
        ("", "This field is required."),
    ],
)
def test_schedule_repair_needs_a_date_not_in_the_past(inspected, staff, value, message):
    assert_invalid(
        inspected,
        "schedule_repair",
        {"repair_date": [message]},
        staff,
        data={"repair_date": value},
    )


def test_schedule_repair_today_is_allowed(inspected, staff):
    today = timezone.localdate().isoformat()
    case_transition(
        case=inspected.pk, transition="schedule_repair", actor=staff, data={"repair_date": today}
    )
    case = fresh(inspected)
    assert case.state == st.REPAIR_SCHEDULED
    assert case.details["repair_date"] == today
    assert CaseEvent.objects.get(case=case).data == {"repair_date": today}


def test_mark_duplicate_rejects_bad_references(inspected, staff):
    organisation = inspected.organisation
    elsewhere = make_case(council(), Service.STREET_REPORT, st.REPORTED)
    blue_badge = make_case(organisation, Service.BLUE_BADGE, bb.SUBMITTED)
    no_such = process_id.generate("ST")
    assert not Case.objects.filter(process_id=no_such).exists()
    real = make_case(organisation, Service.STREET_REPORT, st.REPORTED).process_id
    swapped = real[:5] + real[6] + real[5] + real[7:]
    if swapped == real:  # two equal neighbours: change one character instead
        swapped = real[:5] + ("2" if real[5] != "2" else "3") + real[6:]
    nothing_here = "There is no street report with that reference here"
    for reference, message in [
        (no_such, nothing_here),
        (elsewhere.process_id, nothing_here),
        (blue_badge.process_id, nothing_here),
        ("ST-2345", "Your reference number should be 13 characters, like BB-4K7M-Q9XA-W3R"),
        (
            "ST-1234",
            "Your reference number contains a character that is never used in reference numbers: 1",
        ),
        (
            swapped,
            "Check your reference number: it looks like a character is wrong or two are swapped",
        ),
        (inspected.process_id, "A report cannot be a duplicate of itself"),
        ("", "This field is required."),
    ]:
        assert_invalid(
            inspected,
            "mark_duplicate",
            {"duplicate_of": [message]},
            staff,
            data={"duplicate_of": reference},
        )


def test_mark_duplicate_of_a_report_at_the_same_council(inspected, staff):
    original = make_case(inspected.organisation, Service.STREET_REPORT, st.REPORTED)
    typed = process_id.format_display(original.process_id).lower()
    case_transition(
        case=inspected.pk, transition="mark_duplicate", actor=staff, data={"duplicate_of": typed}
    )
    case = fresh(inspected)
    assert case.state == st.DUPLICATE
    assert case.duplicate_of_id == original.pk
    assert CaseEvent.objects.get(case=case).data == {"duplicate_of": original.process_id}


def test_not_responsible_needs_who_is(inspected, staff):
    assert_invalid(
        inspected,
        "not_responsible",
        {"redirect_to": ["This field is required."]},
        staff,
    )
    assert_invalid(
        inspected,
        "not_responsible",
        {"redirect_to": ["This field is required."]},
        staff,
        data={"redirect_to": "   "},
    )


# --- Optimistic concurrency -------------------------------------------------------------


def test_stale_version_is_a_conflict_and_writes_nothing(staff):
    case = new_case(council())
    case_transition(case=case.pk, transition="start_assessment", actor=staff)
    assert fresh(case).version == 2
    before = counts()

    with pytest.raises(CaseConflict) as raised:
        case_transition(
            case=case.pk,
            transition="request_evidence",
            actor=staff,
            message="Send a GP letter.",
            expected_version=1,
        )
    assert "'In assessment'" in str(raised.value)
    assert counts() == before
    assert (fresh(case).state, fresh(case).version) == (bb.IN_ASSESSMENT, 2)

    case_transition(
        case=case.pk,
        transition="request_evidence",
        actor=staff,
        message="Send a GP letter.",
        expected_version=2,
    )
    assert (fresh(case).state, fresh(case).version) == (bb.EVIDENCE_REQUESTED, 3)


# --- CaseEvent is append-only -----------------------------------------------------------


def test_case_events_cannot_be_changed_or_deleted():
    case = new_case(council())
    event = CaseEvent.objects.get(case=case)
    original = (event.kind, event.message, event.public)

    event.message = "Rewritten history"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        CaseEvent.objects.update(message="Rewritten history")
    with pytest.raises(TypeError):
        CaseEvent.objects.filter(case=case).update(public=False)
    with pytest.raises(TypeError):
        CaseEvent.objects.all().delete()
    with pytest.raises(TypeError):
        CaseEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(TypeError), transaction.atomic():
        CaseEvent.objects.bulk_update([event], ["message"])

    stored = CaseEvent.objects.get(pk=event.pk)
    assert (stored.kind, stored.message, stored.public) == original
    assert CaseEvent.objects.filter(case=case).count() == 1


@pytest.mark.parametrize(
    ("role", "active", "given"),
    [
        (Role.EDITOR, True, True),
        (Role.ADMIN, True, True),
        (Role.READ_ONLY, True, False),  # the admin's form never offered them either
        (Role.EDITOR, False, False),
    ],
)
def test_a_case_goes_only_to_an_active_editor_or_admin_of_its_council(role, active, given):
    organisation = council()
    case = new_case(organisation)
    person = caseworker(organisation, role=role, is_active=active)
    actor = Actor.caseworker(caseworker(organisation, role=Role.ADMIN))
    if given:
        assert case_assign(case=case.pk, assignee=person, actor=actor).assigned_to == person
    else:
        with pytest.raises(CaseValidationError):
            case_assign(case=case.pk, assignee=person, actor=actor)
        assert Case.objects.get(pk=case.pk).assigned_to is None
