"""The citizen's timeline of a case (`cases.selectors.case_timeline`).

Expected stage lists, texts and working-day totals are written out by hand from the
workflow's specification; they are not read back from the workflow classes."""

import itertools
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import calendar
from cases.models import Case, CaseEvent, Service, ServiceConfig
from cases.selectors import case_timeline
from cases.services import Actor, case_mark_overdue, case_transition
from cases.workflows import blue_badge as bb
from payments.models import PaymentRequest
from tests.factories import council, new_case

pytestmark = pytest.mark.django_db

# Blue Badge stages and their working days (the specification, not the workflow).
WITH_FEE = ["received", "assessment", "payment", "badge", "sent"]
FREE = ["received", "assessment", "badge", "sent"]
DAYS = {"received": 5, "assessment": 20, "payment": 10, "badge": 10, "sent": 0}

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
GP_LETTER = "Please send us a letter from your GP about your walking."


def fresh(case) -> Case:
    return Case.objects.get(pk=case.pk)


def statuses(timeline) -> list[tuple[str, str]]:
    return [(s.stage.slug, s.status) for s in timeline.stages]


def run(case, transition, actor, **kwargs) -> Case:
    return case_transition(case=case.pk, transition=transition, actor=actor, **kwargs)


def case_with_public_events(organisation, count: int, actor) -> Case:
    """A Blue Badge case with `count` public events: created, then a loop of
    start_assessment → request_evidence → receive_evidence → start_assessment …"""
    case = new_case(organisation)
    loop = itertools.cycle(
        [
            ("start_assessment", {}),
            ("request_evidence", {"message": GP_LETTER}),
            ("receive_evidence", {}),
        ]
    )
    for _ in range(count - 1):
        name, kwargs = next(loop)
        run(case, name, actor, **kwargs)
    return fresh(case)


# --- Queries ----------------------------------------------------------------------------


def test_query_count_is_the_same_for_3_and_300_events(admin_user, django_assert_num_queries):
    organisation = council(fee_pence=1000)
    actor = Actor.caseworker(admin_user)
    small = case_with_public_events(organisation, 3, actor)
    large = case_with_public_events(organisation, 300, actor)
    assert CaseEvent.objects.filter(case=small, public=True).count() == 3
    assert CaseEvent.objects.filter(case=large, public=True).count() == 300
    assert small.state == large.state == bb.EVIDENCE_REQUESTED

    with CaptureQueriesContext(connection) as captured:
        small_timeline = case_timeline(small)
    small_count = len(captured.captured_queries)
    assert 1 <= small_count <= 5

    with django_assert_num_queries(small_count):
        large_timeline = case_timeline(large)

    assert len(small_timeline.entries) == 3
    assert len(large_timeline.entries) == 300
    # The acknowledgement, 100 evidence requests and 99 receipts (starting sends nothing).
    assert len(large_timeline.notifications) == 1 + 100 + 99


# --- Stages -----------------------------------------------------------------------------


def test_new_case_first_stage_current_others_upcoming():
    case = fresh(new_case(council(fee_pence=1000)))
    timeline = case_timeline(case)

    assert statuses(timeline) == [
        ("received", "current"),
        ("assessment", "upcoming"),
        ("payment", "upcoming"),
        ("badge", "upcoming"),
        ("sent", "upcoming"),
    ]
    assert timeline.current.stage.slug == "received"
    assert timeline.current.due_date == calendar.add_working_days(case.created_at, 5)
    assert [s.due_date for s in timeline.stages[1:]] == [None] * 4
    assert [s.completed_at for s in timeline.stages] == [None] * 5
    assert timeline.outcome is None
    assert timeline.actions == []
    assert [e.text for e in timeline.entries] == ["We received your application"]


def test_start_assessment_completes_the_first_stage(admin_user):
    case = new_case(council(fee_pence=1000))
    run(case, "start_assessment", Actor.caseworker(admin_user))
    event = CaseEvent.objects.get(case=case, transition="start_assessment")

    timeline = case_timeline(fresh(case))

    assert statuses(timeline) == [
        ("received", "done"),
        ("assessment", "current"),
        ("payment", "upcoming"),
        ("badge", "upcoming"),
        ("sent", "upcoming"),
    ]
    received, assessment = timeline.stages[0], timeline.stages[1]
    assert received.completed_at == event.created_at
    assert received.due_date is None
    assert assessment.completed_at is None
    assert assessment.due_date == calendar.add_working_days(event.created_at, 20)
    assert [e.text for e in timeline.entries] == [
        "A caseworker started assessing your application",
        "We received your application",
    ]


def test_free_council_has_no_payment_stage_and_approval_goes_straight_to_approved(admin_user):
    case = new_case(council(fee_pence=0))
    assert [s.stage.slug for s in case_timeline(fresh(case)).stages] == FREE

    actor = Actor.caseworker(admin_user)
    run(case, "start_assessment", actor)
    approved = run(case, "approve", actor)

    assert approved.state == bb.APPROVED
    timeline = case_timeline(fresh(case))
    assert statuses(timeline) == [
        ("received", "done"),
        ("assessment", "done"),
        ("badge", "current"),
        ("sent", "upcoming"),
    ]
    approve_event = CaseEvent.objects.get(case=case, transition="approve")
    assert timeline.stages[1].completed_at == approve_event.created_at
    assert timeline.actions == []
    assert not PaymentRequest.objects.filter(case=case).exists()


def test_council_with_fee_shows_payment_stage_and_asks_for_the_fee(admin_user):
    case = new_case(council(fee_pence=1000))
    actor = Actor.caseworker(admin_user)
    run(case, "start_assessment", actor)
    approved = run(case, "approve", actor)

    assert approved.state == bb.AWAITING_PAYMENT
    timeline = case_timeline(fresh(case))
    assert statuses(timeline) == [
        ("received", "done"),
        ("assessment", "done"),
        ("payment", "current"),
        ("badge", "upcoming"),
        ("sent", "upcoming"),
    ]
    assert len(timeline.actions) == 1
    assert timeline.actions[0]["slug"] == "pay"
    assert "£10.00" in timeline.actions[0]["text"]
    assert [p.amount_pence for p in timeline.payments] == [1000]


# --- Outcomes ---------------------------------------------------------------------------


def test_refused_case_shows_the_outcome_and_only_the_stages_reached(admin_user):
    case = new_case(council(fee_pence=1000))
    actor = Actor.caseworker(admin_user)
    run(case, "start_assessment", actor)
    staff_reason = "Award letter is for the standard rate only (staff note)"
    message = "You do not qualify because your PIP award has no mobility points."
    run(case, "refuse", actor, reason=staff_reason, message=message)
    case = fresh(case)
    started = CaseEvent.objects.get(case=case, transition="start_assessment")

    timeline = case_timeline(case)

    assert timeline.outcome is not None
    assert timeline.outcome.state == "refused"
    assert str(timeline.outcome.title) == "Application refused"
    assert statuses(timeline) == [("received", "done"), ("assessment", "done")]
    assert timeline.stages[0].completed_at == started.created_at
    assert timeline.stages[1].completed_at == case.closed_at
    assert [s.due_date for s in timeline.stages] == [None, None]
    assert timeline.current is None
    assert [e.text for e in timeline.entries] == [
        "Your application was refused",
        "A caseworker started assessing your application",
        "We received your application",
    ]
    assert timeline.entries[0].message == message
    assert [e.at for e in timeline.entries] == sorted(
        (e.at for e in timeline.entries), reverse=True
    )
    shown = " ".join(e.text + " " + e.message for e in timeline.entries)
    assert staff_reason not in shown
    assert timeline.expected_completion is None
    assert timeline.actions == []


def test_refused_straight_from_submitted_shows_only_the_first_stage(admin_user):
    case = new_case(council(fee_pence=1000))
    run(
        case,
        "refuse",
        Actor.caseworker(admin_user),
        reason="No evidence at all",
        message="We could not find any evidence of eligibility.",
    )
    timeline = case_timeline(fresh(case))
    assert timeline.outcome.state == "refused"
    assert statuses(timeline) == [("received", "done")]


# --- Overdue ----------------------------------------------------------------------------


def test_overdue_case_says_it_is_late_and_names_the_due_date():
    case = new_case(council())
    due = timezone.localdate() - timedelta(days=3)
    Case.objects.filter(pk=case.pk).update(due_date=due)
    assert case_timeline(fresh(case)).overdue is False

    assert case_mark_overdue(case=case.pk, actor=Actor.system("deadline check")) is not None

    timeline = case_timeline(fresh(case))
    assert timeline.overdue is True
    assert timeline.current.due_date == due
    late = timeline.entries[0]
    assert "taking longer than it should" in late.text
    assert late.text == (
        "This is taking longer than it should. We aimed to finish this stage by "
        f"{due.day} {MONTHS[due.month - 1]} {due.year}."
    )
    assert [e.text for e in timeline.entries][1:] == ["We received your application"]


# --- Expected completion ----------------------------------------------------------------


def test_expected_completion_of_a_new_case_with_fee():
    case = fresh(new_case(council(fee_pence=1000)))
    due = calendar.add_working_days(case.created_at, DAYS["received"])
    assert case.due_date == due
    remaining = DAYS["assessment"] + DAYS["payment"] + DAYS["badge"] + DAYS["sent"]
    assert remaining == 40

    expected = calendar.add_working_days(max(due, timezone.localdate()), remaining)
    assert case_timeline(case).expected_completion == expected


def test_expected_completion_of_a_new_case_at_a_free_council_skips_payment_days():
    case = fresh(new_case(council(fee_pence=0)))
    remaining = DAYS["assessment"] + DAYS["badge"] + DAYS["sent"]
    expected = calendar.add_working_days(max(case.due_date, timezone.localdate()), remaining)
    assert case_timeline(case).expected_completion == expected


def test_expected_completion_honours_the_councils_sla_override():
    organisation = council(fee_pence=1000)
    ServiceConfig.objects.filter(organisation=organisation, service=Service.BLUE_BADGE).update(
        sla_days={"assessment": 30}
    )
    case = fresh(new_case(organisation))
    due = calendar.add_working_days(case.created_at, 5)
    assert case.due_date == due
    expected = calendar.add_working_days(max(due, timezone.localdate()), 30 + 10 + 10 + 0)
    assert case_timeline(case).expected_completion == expected


def test_expected_completion_after_start_assessment(admin_user):
    case = new_case(council(fee_pence=1000))
    run(case, "start_assessment", Actor.caseworker(admin_user))
    case = fresh(case)
    event = CaseEvent.objects.get(case=case, transition="start_assessment")
    due = calendar.add_working_days(event.created_at, 20)
    assert case.due_date == due
    expected = calendar.add_working_days(max(due, timezone.localdate()), 10 + 10 + 0)
    assert case_timeline(case).expected_completion == expected


def test_expected_completion_counts_from_today_once_the_deadline_has_passed():
    case = new_case(council(fee_pence=1000))
    Case.objects.filter(pk=case.pk).update(due_date=timezone.localdate() - timedelta(days=10))
    expected = calendar.add_working_days(timezone.localdate(), 40)
    assert case_timeline(fresh(case)).expected_completion == expected


def test_expected_completion_on_a_known_date_crosses_bank_holidays():
    # Friday 1 May 2026; Monday 4 May and Monday 25 May 2026 are bank holidays.
    frozen = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    with mock.patch("django.utils.timezone.now", return_value=frozen):
        case = fresh(new_case(council(fee_pence=1000)))
        timeline = case_timeline(case)
    assert case.due_date == date(2026, 5, 11)  # 5, 6, 7, 8, 11 May
    # 40 working days after 11 May: 13 more in May, 22 in June, 5 in July.
    assert timeline.expected_completion == date(2026, 7, 7)


def test_expected_completion_is_none_when_closed(admin_user):
    case = new_case(council(fee_pence=1000))
    run(case, "withdraw", Actor.caseworker(admin_user))
    timeline = case_timeline(fresh(case))
    assert timeline.outcome.state == "withdrawn"
    assert timeline.expected_completion is None


# --- Public and internal events ---------------------------------------------------------


def test_only_public_events_appear(admin_user):
    case = new_case(council())
    run(case, "start_assessment", Actor.caseworker(admin_user))
    CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.ASSIGNED,
        actor_kind="caseworker",
        actor_user=admin_user,
        data={"assigned_to": admin_user.pk},
        public=False,
    )
    CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.NOTE,
        actor_kind="caseworker",
        actor_user=admin_user,
        message="Internal: phoned the GP surgery, awaiting call back",
        public=False,
    )
    assert CaseEvent.objects.filter(case=case).count() == 4

    timeline = case_timeline(fresh(case))

    public = CaseEvent.objects.filter(case=case, public=True).order_by("-created_at", "-id")
    assert [e.at for e in timeline.entries] == [e.created_at for e in public]
    assert [e.text for e in timeline.entries] == [
        "A caseworker started assessing your application",
        "We received your application",
    ]
    assert all("GP surgery" not in e.message for e in timeline.entries)
